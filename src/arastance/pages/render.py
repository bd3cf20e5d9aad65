"""Documents → view records → one HTML page, through Jinja2 templates shipped as package data.

Jinja2 with autoescape on: every piece of document text, label, file name and title is escaped by the
template engine, so an article containing `<script>` or `&amp;` shows exactly those characters. Only
HTML built by a well-kept renderer is passed through unescaped (`Markup`): the report's markdown
rendered by markdown-it-py with raw HTML disabled (evaluation/report_html.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from arastance.pages.marks import Mark, Segment, segments

# The colours of the error kinds live in templates/page.css; these are their names and legend texts.
ERROR_KINDS: tuple[tuple[str, str, str], ...] = (
    ("correct", "same span, same label", "gold and predicted entity agree exactly"),
    ("type", "wrong label", "same span, predicted with another label (gold → predicted)"),
    ("boundary", "wrong extent", "same label, overlapping but different span"),
    ("missed", "missed", "gold entity with no matching prediction (false negative)"),
    ("spurious", "spurious", "predicted entity not in the gold (false positive)"),
)
ENTITY_COLOURS = 10  # templates/page.css defines k-e0 … k-e9; labels beyond reuse them in turn


@dataclass(frozen=True)
class Note:
    """One fact shown beside a sentence or document: `state` is "ok", "wrong" or "" (neither)."""

    name: str
    value: str
    state: str = ""


@dataclass(frozen=True)
class SentenceView:
    start: int
    end: int
    marks: tuple[Mark, ...]
    segments: tuple[Segment, ...]
    notes: tuple[Note, ...] = ()
    tags: tuple[str, ...] = ()  # "kind:label" pairs the filter matches

    def after(self, segment: Segment) -> str:
        """The labels written after a segment: those of the marks that end with it."""
        return " | ".join(self.marks[i].label for i in segment.ends)

    def classes(self, segment: Segment) -> str:
        return " ".join(dict.fromkeys(f"k-{self.marks[i].kind}" for i in segment.marks))

    def title(self, segment: Segment) -> str:
        return "\n".join(self.marks[i].title or self.marks[i].label for i in segment.marks)

    def marks_json(self) -> str:
        """[[start, end, kind, label], ...]: what the browser test checks the shown text against."""
        return json.dumps([[m.start, m.end, m.kind, m.label] for m in self.marks], ensure_ascii=False)

    def mark_ids(self, segment: Segment) -> str:
        return " ".join(str(i) for i in segment.marks)


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    sentences: tuple[SentenceView, ...]
    notes: tuple[Note, ...] = ()
    link: str | None = None  # the document's own page, on an index


@dataclass(frozen=True)
class LegendEntry:
    kind: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    numeric_from: int = 1  # columns from this one on are right-aligned


@dataclass
class Page:
    title: str
    documents: Sequence[DocumentView] = ()
    legend: Sequence[LegendEntry] = ()
    filter_kinds: Sequence[tuple[str, str]] = ()  # (value, shown name) of the kind filter; empty: no filter
    filter_labels: Sequence[str] = ()
    body_html: Any = None  # Markup from a trusted renderer, placed before the documents
    intro: Sequence[str] = ()  # paragraphs of plain text
    figures: Sequence[tuple[str, str]] = ()  # (caption, data: URI)
    tables: Sequence[tuple[str, Table]] = ()  # (heading, table)
    links: Sequence[tuple[str, str]] = ()  # (text, href) at the top: back to the index
    extra: dict[str, Any] = field(default_factory=dict)


def sentence_view(
    text: str, start: int, end: int, marks: Sequence[Mark], notes: Sequence[Note] = (), tags: Sequence[str] = ()
) -> SentenceView:
    ordered = tuple(sorted(marks, key=lambda m: (m.start, m.end, m.kind)))
    return SentenceView(start, end, ordered, tuple(segments(text, start, end, ordered)), tuple(notes), tuple(tags))


def entity_kind(label: str, labels: Sequence[str]) -> str:
    """The colour class of an entity label on a predictions page, stable for the schema's label order."""
    index = list(labels).index(label) if label in labels else len(labels)
    return f"e{index % ENTITY_COLOURS}"


def png_data_uri(png: Path | bytes) -> str:
    """A PNG figure inside the page: a report is one file that can be mailed or opened offline."""
    data = png if isinstance(png, bytes) else Path(png).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@lru_cache(maxsize=1)
def environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("arastance.pages", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,  # a misspelt field fails the test run instead of rendering empty
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(page: Page, template: str = "page.html.j2", **context: Mapping[str, Any]) -> str:
    env = environment()
    css = env.loader.get_source(env, "page.css")[0]
    script = env.loader.get_source(env, "filter.js")[0]
    return env.get_template(template).render(page=page, css=css, script=script, **context)
