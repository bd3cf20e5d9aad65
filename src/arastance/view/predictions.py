"""`arastance predict` records with their texts → one page, or an index and one page per document."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.pages.marks import Mark
from arastance.pages.render import (
    DocumentView,
    LegendEntry,
    Note,
    Page,
    Table,
    entity_kind,
    png_data_uri,
    render_page,
    sentence_view,
)
from arastance.settings import PageSettings, checked


@dataclass(frozen=True)
class Predicted:
    """One document: where it came from, its exact text, and its `arastance predict` record."""

    source: str
    text: str
    record: Mapping[str, Any]


def load_page_settings(path: Path | None = None) -> PageSettings:
    """configs/pages.yaml, checked by the settings rules (settings.PageSettings)."""
    from arastance.paths import config_file, read_config_mapping

    path = path or config_file("pages.yaml")
    return checked(PageSettings, read_config_mapping(path, "the page settings"), source=str(path))


def check_offsets(item: Predicted, where: str) -> None:
    """The record's entity texts must be the text at their offsets: else the file changed since `predict`."""
    for entity in item.record.get("entities") or []:
        shown = item.text[int(entity["start"]) : int(entity["end"])]
        if "text" in entity and shown != entity["text"]:
            raise UserError(
                f"{where}: {item.source} at {entity['start']}-{entity['end']} reads {shown!r}, the prediction says "
                f"{entity['text']!r}: the file changed since it was predicted; predict it again"
            )


def _sentence_notes(sentence: Mapping[str, Any]) -> list[Note]:
    holder = sentence.get("holder")
    return [
        Note("stance", str(sentence.get("stance"))),
        Note("holder", f"«{holder['text']}»" if holder else "— (the article's voice)"),
    ]


def document_view(item: Predicted, labels: Sequence[str], link: str | None = None) -> DocumentView:
    record = item.record
    marks = [
        Mark(
            int(e["start"]),
            int(e["end"]),
            entity_kind(e["label"], labels),
            e["label"],
            f"{e['label']}" + (f" (score {e['score']:.2f})" if isinstance(e.get("score"), float) else ""),
        )
        for e in record.get("entities") or []
    ]
    sentences = record.get("sentences") or [{"start": 0, "end": len(item.text)}]
    views = []
    for s in sentences:
        start, end = int(s["start"]), int(s["end"])
        inside = [m for m in marks if start <= m.start and m.end <= end]
        notes = _sentence_notes(s) if "stance" in s else []
        tags = [f"entity:{m.label}" for m in inside] + ([f"stance:{s['stance']}"] if "stance" in s else [])
        views.append(sentence_view(item.text, start, end, inside, notes, sorted(set(tags))))
    notes = [Note("document stance", str(record["doc_stance"]))] if record.get("doc_stance") else []
    notes.append(Note("entities", str(len(marks))))
    return DocumentView(item.source, tuple(views), tuple(notes), link)


def actor_parts(items: Sequence[Predicted], title: str) -> tuple[list[tuple[str, Table]], list[tuple[str, str]]]:
    """The actor-stance table and figure of `arastance actors` over the documents with stance predictions."""
    from arastance.actors.aliases import load_alias_table
    from arastance.actors.output import summary_figure
    from arastance.actors.summary import COLUMNS, document_from_prediction, stance_columns, summarise
    from arastance.holders.rules import load_rules
    from arastance.schema import load_schema

    with_stance = [i for i in items if isinstance(i.record.get("sentences"), list)]
    if not with_stance:
        return [], []
    rules = load_rules()
    schema = load_schema()
    docs = [document_from_prediction(i.source, i.record, rules) for i in with_stance]
    summary = summarise(docs, load_alias_table(), rules, schema.stance_classes)
    columns = stance_columns(schema.stance_classes, rules.no_stance)
    rows = tuple(tuple(row.csv_row(columns)[c] for c in COLUMNS) for row in summary.rows)
    buffer = io.BytesIO()
    summary_figure(summary, columns, title).savefig(buffer, format="png", dpi=120)
    uri = png_data_uri(buffer.getvalue())
    table = Table(COLUMNS, rows, numeric_from=2)
    return [(f"Who holds which stance ({summary.documents} documents)", table)], [("stance sentences per actor", uri)]


def _page(title: str, items: Sequence[Predicted], labels: Sequence[str], classes: Sequence[str], **parts: Any) -> Page:
    return Page(
        title=title,
        documents=[document_view(i, labels) for i in items],
        legend=[LegendEntry(entity_kind(label, labels), label) for label in labels],
        filter_kinds=[("entity", "entity"), ("stance", "stance")],
        filter_labels=[*labels, *classes],
        **parts,
    )


INTRO = (
    "Entities are highlighted in the running text (one colour per label; hover for the score); under each "
    "sentence its predicted stance and holder. The filter shows the sentences with an entity of a label or a stance."
)


def documents_folder(out: Path) -> Path:
    """Where an index page's documents go: OUT_documents/ beside OUT.html."""
    return out.with_name(out.stem + "_documents")


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create {folder}: {err.strerror or err}") from None


def write_prediction_pages(out: Path, items: Sequence[Predicted], title: str, settings: PageSettings) -> list[Path]:
    """OUT.html with every document, or (above settings.documents_per_page) an index and one page each."""
    from arastance.runs.layout import write_text
    from arastance.schema import load_schema

    schema = load_schema()
    labels, classes = schema.entity_labels, schema.stance_classes
    tables, figures = actor_parts(items, title)
    folder = documents_folder(out)
    _make_folder(folder if len(items) > settings.documents_per_page else out.parent)
    if len(items) <= settings.documents_per_page:
        page = _page(title, items, labels, classes, intro=[INTRO], tables=tables, figures=figures)
        write_text(out, render_page(page))
        return [out]
    written = []
    for stale in folder.glob("[0-9][0-9][0-9][0-9].html"):  # a larger earlier run's pages would still be linked
        stale.unlink()
    for number, item in enumerate(items, start=1):
        path = folder / f"{number:04d}.html"
        links = [(f"← index: {title}", f"../{out.name}")]
        write_text(path, render_page(_page(f"{item.source} — {title}", [item], labels, classes, links=links)))
        written.append(path)
    index = [
        DocumentView(i.source, (), document_view(i, labels).notes, f"{folder.name}/{p.name}")
        for i, p in zip(items, written, strict=True)
    ]
    intro = f"{len(items)} documents, one page each (listed below); the actor table covers them all."
    write_text(out, render_page(Page(title, documents=index, intro=[intro], tables=tables, figures=figures)))
    return [out, *written]
