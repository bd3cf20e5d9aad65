"""errors.md: every NER and stance error, grouped so that a reader can see *kinds* of mistakes.

NER errors are classified per sentence, after removing exact matches (same extent, same label):
  type          same extent, different label;
  boundary      overlapping extent, same label, different extent;
  false positive / false negative   whatever remains on the predicted / gold side.
A predicted span that overlaps a gold span with a different label *and* a different extent is
neither a boundary nor a type error under these definitions; it is listed as a false positive and
the gold span as a false negative (the item says what it overlapped).

Spans here are (start, end-exclusive, label) character offsets relative to the sentence text, so the
functions are pure and easy to check by hand; `report.py` does the conversion from run files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int, str]

NER_KINDS: tuple[tuple[str, str], ...] = (
    ("false_negative", "False negatives (gold entity not predicted)"),
    ("false_positive", "False positives (predicted entity not in gold)"),
    ("boundary", "Boundary errors (same label, overlapping but different extent)"),
    ("type", "Type errors (same extent, different label)"),
)
OPEN, CLOSE = "⟦", "⟧"


@dataclass(frozen=True)
class ErrorSentence:
    doc_id: str
    sentence_id: int
    text: str  # the sentence
    gold: tuple[Span, ...] = ()
    pred: tuple[Span, ...] = ()


@dataclass(frozen=True)
class NerError:
    kind: str
    label: str  # the group: gold label, except for false positives (predicted label)
    doc_id: str
    sentence_id: int
    text: str
    gold: Span | None
    pred: Span | None
    overlaps: tuple[Span, ...] = field(default=())  # for FP/FN: spans on the other side it overlaps


@dataclass(frozen=True)
class StanceItem:
    doc_id: str
    sentence_id: int
    text: str
    gold: str
    pred: str
    scores: dict[str, float] | None = None


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def classify_spans(gold: Sequence[Span], pred: Sequence[Span]) -> list[tuple[str, Span | None, Span | None]]:
    """(kind, gold span, predicted span) of every error in one sentence, in text order."""
    exact = set(gold) & set(pred)
    g_left = sorted(set(gold) - exact)
    p_left = sorted(set(pred) - exact)
    errors: list[tuple[str, Span | None, Span | None]] = []

    for g in list(g_left):  # same extent, other label
        match = next((p for p in p_left if p[:2] == g[:2]), None)
        if match is not None:
            errors.append(("type", g, match))
            g_left.remove(g)
            p_left.remove(match)

    # Same label and overlapping: pair greedily by overlap size (then position) so that one predicted
    # span is a boundary error of at most one gold span.
    candidates = sorted(
        ((g, p) for g in g_left for p in p_left if g[2] == p[2] and _overlap(g, p) > 0),
        key=lambda gp: (-_overlap(*gp), gp[0], gp[1]),
    )
    for g, p in candidates:
        if g in g_left and p in p_left:
            errors.append(("boundary", g, p))
            g_left.remove(g)
            p_left.remove(p)

    errors += [("false_negative", g, None) for g in g_left]
    errors += [("false_positive", None, p) for p in p_left]
    return sorted(errors, key=lambda e: ((e[1] or e[2])[0], (e[1] or e[2])[1]))  # type: ignore[index]  # one is set


def ner_errors(sentences: Sequence[ErrorSentence]) -> list[NerError]:
    out: list[NerError] = []
    for s in sentences:
        for kind, g, p in classify_spans(s.gold, s.pred):
            label = p[2] if kind == "false_positive" and p else g[2] if g else "?"
            own = g or p
            other_side = s.pred if kind == "false_negative" else s.gold if kind == "false_positive" else ()
            overlaps = tuple(o for o in other_side if own is not None and _overlap(own, o) > 0)
            out.append(NerError(kind, label, s.doc_id, s.sentence_id, s.text, g, p, overlaps))
    return out


def group_ner_errors(errors: Sequence[NerError], labels: Sequence[str]) -> dict[str, dict[str, list[NerError]]]:
    """kind → label → errors, kinds in NER_KINDS order, labels in `labels` order (then any others)."""
    order = {label: i for i, label in enumerate(labels)}
    grouped: dict[str, dict[str, list[NerError]]] = {kind: {} for kind, _ in NER_KINDS}
    for e in sorted(errors, key=lambda e: (order.get(e.label, len(order)), e.label, e.doc_id, e.sentence_id)):
        grouped[e.kind].setdefault(e.label, []).append(e)
    return grouped


def group_stance_errors(items: Sequence[StanceItem], classes: Sequence[str]) -> dict[tuple[str, str], list[StanceItem]]:
    """(gold, predicted) → wrong sentences; pairs in `classes` × `classes` order."""
    order = {c: i for i, c in enumerate(classes)}
    grouped: dict[tuple[str, str], list[StanceItem]] = {}
    for item in sorted(items, key=lambda i: (order.get(i.gold, 99), order.get(i.pred, 99), i.doc_id, i.sentence_id)):
        if item.gold != item.pred:
            grouped.setdefault((item.gold, item.pred), []).append(item)
    return grouped


# ----------------------------------------------------------------------------------- rendering


def _one_line(text: str) -> str:
    # Sentences may span lines in the source text; a markdown quote must stay on one line.
    return " ".join(text.split())


def mark(text: str, spans: Sequence[Span]) -> str:
    """The sentence with ⟦ ⟧ around each span (spans must not overlap each other)."""
    out, pos = [], 0
    for start, end, _label in sorted(spans):
        out += [text[pos:start], OPEN, text[start:end], CLOSE]
        pos = end
    out.append(text[pos:])
    return _one_line("".join(out))


def _quote(text: str, span: Span | None) -> str:
    return f"«{_one_line(text[span[0] : span[1]])}»" if span else ""


def _ner_item(e: NerError) -> list[str]:
    where = f"`{e.doc_id}` sentence {e.sentence_id}"
    if e.kind == "false_negative":
        head = f"gold **{e.gold[2]}** {_quote(e.text, e.gold)}" if e.gold else ""
    elif e.kind == "false_positive":
        head = f"predicted **{e.pred[2]}** {_quote(e.text, e.pred)}" if e.pred else ""
    else:
        head = (
            f"gold **{e.gold[2]}** {_quote(e.text, e.gold)} → predicted **{e.pred[2]}** {_quote(e.text, e.pred)}"
            if e.gold and e.pred
            else ""
        )
    if e.overlaps:
        head += " (overlaps " + ", ".join(f"{o[2]} {_quote(e.text, o)}" for o in e.overlaps) + ")"
    lines = [f"- {where}: {head}"]
    if e.kind in ("boundary", "type") and e.gold and e.pred:
        lines += [f"  > gold: {mark(e.text, [e.gold])}", "  >", f"  > predicted: {mark(e.text, [e.pred])}"]
    else:
        own = e.gold or e.pred
        lines.append(f"  > {mark(e.text, [own] if own else [])}")
    return lines


def _count_table(grouped: dict[str, dict[str, list[NerError]]], labels: Sequence[str]) -> list[str]:
    present = [label for label in labels] + sorted({lab for by in grouped.values() for lab in by} - set(labels))
    lines = ["| kind | " + " | ".join(present) + " | total |", "|---" * (len(present) + 2) + "|"]
    for kind, _title in NER_KINDS:
        row = [len(grouped[kind].get(label, [])) for label in present]
        lines.append(f"| {kind.replace('_', ' ')} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    return lines


def _scores(scores: dict[str, float] | None) -> str:
    return ", ".join(f"{c} {p:.2f}" for c, p in scores.items()) if scores else ""


def render_errors_md(
    title: str,
    ner: Sequence[NerError] | None,
    labels: Sequence[str],
    stance: Sequence[StanceItem] | None,
    classes: Sequence[str],
    quantity_disagreements: Sequence[dict[str, Any]] = (),
) -> str:
    lines = [f"# Errors — {title}", ""]
    lines.append(
        f"Entities are marked {OPEN} {CLOSE} in their sentence. Predictions are each document's held-out "
        "prediction (the fold in which it was the test document)."
    )
    if ner is not None:
        grouped = group_ner_errors(ner, labels)
        lines += ["", "## NER", "", f"{len(ner)} errors.", "", *_count_table(grouped, labels)]
        for kind, heading in NER_KINDS:
            by_label = grouped[kind]
            lines += ["", f"### {heading}"]
            if not by_label:
                lines += ["", "None."]
            for label, errors in by_label.items():
                lines += ["", f"#### {label} ({len(errors)})", ""]
                for e in errors:
                    lines += _ner_item(e)
        if quantity_disagreements:
            lines += ["", "### QUANTITY value disagreements (exactly matched spans)", ""]
            for q in quantity_disagreements:
                lines.append(
                    f"- `{q['doc_id']}` «{_one_line(q['text'])}»: gold value {q['gold_value']}, predicted value "
                    f"{q['pred_value']}"
                )
    if stance is not None:
        grouped_stance = group_stance_errors(stance, classes)
        total = sum(len(v) for v in grouped_stance.values())
        lines += ["", "## Stance", "", f"{total} of {len(stance)} sentences wrong."]
        if not grouped_stance:
            lines += ["", "None."]
        for (gold, pred), items in grouped_stance.items():
            lines += ["", f"### {gold} → {pred} ({len(items)})", ""]
            for item in items:
                scores = _scores(item.scores)
                lines.append(f"- `{item.doc_id}` sentence {item.sentence_id}" + (f" ({scores})" if scores else ""))
                lines.append(f"  > {_one_line(item.text)}")
    return "\n".join(lines) + "\n"
