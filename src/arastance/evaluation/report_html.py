"""report.html: the report's tables and figures, and every held-out document with gold and predicted side by side.

The headline part is report.md itself, rendered by markdown-it-py (raw HTML off, so nothing in a title
or a document id can become markup) with the figures inlined as data: URIs: one file, no second copy
of the tables to keep in step. Below it each held-out document is running text, right to left, its
entity spans coloured by how gold and prediction compare (errors_report.classify_spans, the same
classification as errors.md), with each sentence's gold and predicted stance and holder beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arastance.evaluation.analysis import TaskAnalysis
from arastance.evaluation.errors_report import Span, classify_spans
from arastance.gold.convert import tags_to_spans
from arastance.gold.model import GoldDocument, Holder
from arastance.holders.base import sentence_holders
from arastance.holders.rules import HolderRules, RuleHolders, load_rules
from arastance.pages.marks import Mark
from arastance.pages.render import (
    ERROR_KINDS,
    DocumentView,
    LegendEntry,
    Note,
    Page,
    png_data_uri,
    render_page,
    sentence_view,
)
from arastance.schema import Schema
from arastance.scoring.align import ScoredSentence

# errors_report's kinds → the page's names for them (the legend's words).
KIND_OF = {"type": "type", "boundary": "boundary", "false_negative": "missed", "false_positive": "spurious"}
STANCE_KINDS = (("stance", "wrong stance"), ("holder", "wrong holder"))


def entity_marks(gold: Sequence[Span], pred: Sequence[Span]) -> list[Mark]:
    """Gold and predicted spans of one sentence as marks: one per agreement or error."""
    marks = [Mark(a, b, "correct", label, f"gold and predicted {label}") for a, b, label in set(gold) & set(pred)]
    for kind, g, p in classify_spans(gold, pred):
        name = KIND_OF[kind]
        if kind == "type" and g and p:
            marks.append(Mark(g[0], g[1], name, f"{g[2]}→{p[2]}", f"gold {g[2]}, predicted {p[2]}", g[2]))
            continue
        if g:
            marks.append(Mark(g[0], g[1], name, g[2] + (" (gold)" if p else ""), f"{name}: gold {g[2]}", g[2]))
        if p:
            marks.append(Mark(p[0], p[1], name, p[2] + (" (pred)" if g else ""), f"{name}: predicted {p[2]}", p[2]))
    return marks


def _holder_text(holder: Holder | None) -> str:
    return f"«{holder.text}»" if holder else "— (the article's voice)"


def _same_holder(a: Holder | None, b: Holder | None) -> bool:
    return (a.start, a.end) == (b.start, b.end) if a and b else a is None and b is None


def _by_sentence(analysis: TaskAnalysis | None) -> dict[tuple[str, int], ScoredSentence]:
    return {(s.doc_id, s.sentence_id): s for s in analysis.sentences} if analysis else {}


def predicted_holders(
    doc: GoldDocument,
    stances: Sequence[str | None],
    entities: Sequence[Mapping[str, Any]] | None,
    rules: HolderRules,
) -> list[Holder | None]:
    """The holder prediction would give each gold sentence: the project's rule method on the predicted
    stance and the predicted entities (the gold entities where no NER run was given)."""
    sentences = sorted(doc.sentences, key=lambda s: s.start)
    triples = [(s.start, s.end, stance or rules.no_stance) for s, stance in zip(sentences, stances, strict=True)]
    mentions = doc.entities if entities is None else entities
    return sentence_holders(doc.text, triples, mentions, RuleHolders(rules), rules.no_stance)


def document_view(
    doc: GoldDocument,
    ner: Mapping[tuple[str, int], ScoredSentence],
    stance: TaskAnalysis | None,
    rules: HolderRules,
) -> DocumentView:
    sentences = sorted(doc.sentences, key=lambda s: s.start)
    scored_stance = _by_sentence(stance)
    pred_stances = [
        (scored_stance.get((doc.doc_id, i)) or ScoredSentence(doc.doc_id, i, [], [])).pred_stance
        for i in range(len(sentences))
    ]
    pred_entities = None
    if ner:
        pred_entities = [
            {"start": a, "end": b, "label": label}
            for i in range(len(sentences))
            if (doc.doc_id, i) in ner
            for a, b, label in tags_to_spans(ner[doc.doc_id, i].pred_tags or [], ner[doc.doc_id, i].offsets)
        ]
    holders = predicted_holders(doc, pred_stances, pred_entities, rules) if stance else [None] * len(sentences)
    views = []
    for i, sentence in enumerate(sentences):
        marks: list[Mark] = []
        scored = ner.get((doc.doc_id, i))
        if scored is not None:
            gold = tags_to_spans(scored.gold_tags or [], scored.offsets)
            pred = tags_to_spans(scored.pred_tags or [], scored.offsets)
            marks = entity_marks(gold, pred)
        tags = [m.tag for m in marks]
        notes: list[Note] = []
        if stance is not None and pred_stances[i] is not None:
            ok = pred_stances[i] == sentence.stance
            notes += [
                Note("gold stance", sentence.stance),
                Note("predicted", str(pred_stances[i]), "ok" if ok else "wrong"),
            ]
            same = _same_holder(sentence.holder, holders[i])
            notes += [
                Note("gold holder", _holder_text(sentence.holder)),
                Note("predicted holder", _holder_text(holders[i]), "ok" if same else "wrong"),
            ]
            tags += [] if ok else [f"stance:{sentence.stance}", f"stance:{pred_stances[i]}"]
            tags += [] if same else [f"holder:{sentence.stance}"]
        views.append(sentence_view(doc.text, sentence.start, sentence.end, marks, notes, sorted(set(tags))))
    doc_notes = [Note("gold document stance", doc.doc_stance)]
    if stance is not None and doc.doc_id in stance.doc_stances:
        predicted = stance.doc_stances[doc.doc_id]
        doc_notes.append(Note("predicted", predicted, "ok" if predicted == doc.doc_stance else "wrong"))
    return DocumentView(doc.doc_id, tuple(views), tuple(doc_notes))


def held_out_documents(by_task: Mapping[str, TaskAnalysis], docs: Sequence[GoldDocument]) -> list[GoldDocument]:
    """The documents some analysis scored, in the gold's order."""
    scored = {s.doc_id for a in by_task.values() for s in a.sentences}
    return [d for d in docs if d.doc_id in scored]


def markdown_html(text: str) -> Any:
    """report.md as HTML; raw HTML in it is shown as text (html=False), tables on."""
    from markdown_it import MarkdownIt
    from markupsafe import Markup

    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


def render_report_html(
    metrics: Mapping[str, Any],
    report_md: str,
    by_task: Mapping[str, TaskAnalysis],
    docs: Sequence[GoldDocument],
    schema: Schema,
) -> str:
    ner = _by_sentence(by_task.get("ner"))
    stance = by_task.get("stance")
    rules = load_rules()
    documents = [document_view(d, ner, stance, rules) for d in held_out_documents(by_task, docs)]
    kinds = [(k, name) for k, name, _ in ERROR_KINDS] if ner else []
    kinds += list(STANCE_KINDS) if stance else []
    page = Page(
        title=f"Evaluation report — {metrics['title']}",
        body_html=markdown_html(report_md.split("\n", 1)[1] if report_md.startswith("# ") else report_md),
        documents=documents,
        legend=[LegendEntry(k, name, text) for k, name, text in ERROR_KINDS] if ner else [],
        filter_kinds=kinds,
        filter_labels=[*(schema.entity_labels if ner else ()), *(schema.stance_classes if stance else ())],
        intro=[
            "Every held-out document follows the tables, right to left: entity spans coloured by how the "
            "prediction compares with the gold (legend below; hover a span for both labels), each sentence "
            "with its gold and predicted stance and holder. The filter shows only the sentences with a "
            "given kind of error or label."
        ],
    )
    return render_page(page)


def figure_uris(out_dir: Path, figures: Mapping[str, str]) -> dict[str, str]:
    return {name: png_data_uri(out_dir / file) for name, file in figures.items()}
