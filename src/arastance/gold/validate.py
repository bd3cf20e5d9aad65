"""Semantic checks of gold documents; every violation is reported, not only the first.

`validate(documents, schema)` returns a list of `Problem`s (file, doc_id, offset, text, rule, message);
`validate_path(path)` reads a standoff directory or a JSONL file first, so that unreadable files,
malformed JSON and wrong types are problems in the same format instead of tracebacks.

Rules (the `rule` field; guidelines.md says why each exists):

read, empty-file, json, format, missing-text   the file could not be turned into a document
offset-type          an offset is not an integer
offset-range         an offset is outside the text, or start >= end
span-text            the stored span text differs from the document text at its offsets
word-boundary        a span (entity, holder, sentence) starts or ends inside a word (tokenize_words)
entity-label         the label is not in schema.yaml
entity-overlap       two entities overlap
entity-sentence      an entity is not inside a single sentence (IOB2 conversion needs it)
quantity-attributes  QUANTITY without a numeric value, a unit string and an approximate boolean
                     (or those attributes on another label)
stance-label         a sentence stance is not in schema.yaml
doc-stance           the document stance is missing or not in schema.yaml
holder-span          a holder is not inside its sentence
sentence-order       sentences are not sorted by start
sentence-overlap     two sentences overlap
sentence-coverage    visible text that no sentence covers (whitespace and invisible characters need none)
doc-id               the doc_id cannot be a file name (it names documents/<doc_id>.txt)
doc-id-duplicate     two documents share a doc_id
file-name            a standoff file is not named <doc_id>.json
document-text        a JSONL document's text differs from documents/<doc_id>.txt
line-endings         the text's line endings (CRLF / LF) differ from those it was annotated on: the
                     offsets all fit once they are converted (one problem instead of hundreds)
schema-version       the document's schema_version is missing or not the schema's
no-documents         the path holds no gold document (an empty folder or a JSONL file of blank lines)
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.corpus.segment import Span, tokenize_words
from arastance.corpus.text import is_blank, is_invisible
from arastance.gold.io import DOC_ID, LoadedDocument, Problem, doc_id_problem, quote, read_gold, read_text
from arastance.gold.model import QUANTITY, GoldDocument
from arastance.paths import documents_dir as repo_documents_dir
from arastance.schema import Schema

__all__ = ["Problem", "ValidationReport", "validate", "validate_document", "validate_path"]


@dataclass
class ValidationReport:
    documents: list[LoadedDocument]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        entities = sum(len(d.doc.entities) for d in self.documents)
        sentences = sum(len(d.doc.sentences) for d in self.documents)
        n = len(self.problems)
        return (
            f"{len(self.documents)} documents, {entities} entities, {sentences} sentences: "
            f"{n} error{'' if n == 1 else 's'}"
        )


class _Boundaries:
    """Word-token boundaries of one document, computed once and shared by every span check."""

    def __init__(self, text: str) -> None:
        self.tokens: list[Span] = tokenize_words(text)
        self.token_starts = [t.start for t in self.tokens]
        self.starts = set(self.token_starts)
        self.ends = {t.end for t in self.tokens}

    def word_at(self, offset: int) -> Span | None:
        i = bisect.bisect_right(self.token_starts, offset) - 1
        if i >= 0 and self.tokens[i].start <= offset < self.tokens[i].end:
            return self.tokens[i]
        return None


class _Checker:
    """Collects the problems of one document; each method checks one rule."""

    def __init__(self, doc: GoldDocument, schema: Schema, file: str, line: int | None) -> None:
        self.doc = doc
        self.schema = schema
        self.file = file
        self.line = line
        self.words = _Boundaries(doc.text)
        self.problems: list[Problem] = []

    def add(self, rule: str, message: str, offset: int | None = None, text: str | None = None) -> None:
        self.problems.append(Problem(self.file, self.doc.doc_id, offset, text, rule, message, self.line))

    # ---------------------------------------------------------------- spans

    def span(self, what: str, start: Any, end: Any, stored: str | None) -> bool:
        """Offsets, text and word boundaries of one span; True when its offsets are usable."""
        if not _is_int(start) or not _is_int(end):
            bad = start if not _is_int(start) else end
            self.add("offset-type", f"{what}: offsets must be integers, got {bad!r}")
            return False
        n = len(self.doc.text)
        if not (0 <= start < end <= n):
            reason = "start >= end" if start >= end else f"outside the text (length {n})"
            self.add("offset-range", f"{what} {start}-{end}: {reason}", start)
            return False
        actual = self.doc.text[start:end]
        if stored is not None and stored != actual:
            self.add(
                "span-text", f"{what} {start}-{end}: stored text {_show(stored)} differs from the text", start, actual
            )
        for offset, side, ok in ((start, "starts", start in self.words.starts), (end, "ends", end in self.words.ends)):
            if not ok:
                at = offset if side == "starts" else offset - 1
                inside = self.words.word_at(at)
                where = f"inside the word {_show(inside.text)}" if inside else _blank_name(self.doc.text, at)
                self.add("word-boundary", f"{what} {start}-{end} {side} {where}", offset, actual)
        return True

    # ---------------------------------------------------------------- checks

    def document(self) -> None:
        doc, schema = self.doc, self.schema
        if not isinstance(doc.doc_id, str) or not DOC_ID.fullmatch(doc.doc_id):
            self.problems.append(doc_id_problem(self.file, doc.doc_id, self.line))
        if not doc.doc_stance:
            self.add("doc-stance", "the document stance is missing")
        elif doc.doc_stance not in schema.document_stance_classes:
            self.add(
                "doc-stance",
                f"document stance {doc.doc_stance!r} is not one of {', '.join(schema.document_stance_classes)}",
            )
        if doc.schema_version is None:
            self.add("schema-version", f"schema_version is missing (the schema is version {schema.version})")
        elif doc.schema_version != schema.version:
            self.add("schema-version", f"schema_version {doc.schema_version!r} is not the schema's {schema.version!r}")

    def entities(self) -> list[tuple[int, int, int]]:
        """Checks each entity; returns (start, end, index) of those with usable offsets."""
        usable: list[tuple[int, int, int]] = []
        for i, entity in enumerate(self.doc.entities):
            what = f"entity {i} {entity.label}"
            if self.span(what, entity.start, entity.end, entity.text):
                usable.append((entity.start, entity.end, i))
            if entity.label not in self.schema.entity_labels:
                self.add(
                    "entity-label",
                    f"{what}: label {entity.label!r} is not one of {', '.join(self.schema.entity_labels)}",
                    _offset(entity.start),
                    entity.text,
                )
            self.quantity(i, what)
        usable.sort()
        furthest: tuple[int, int, int] | None = None  # the entity reaching furthest right so far
        for start, end, i in usable:
            if furthest is not None and start < furthest[1]:
                other = self.doc.entities[furthest[2]]
                this = f"entity {i} {self.doc.entities[i].label} {start}-{end}"
                that = f"entity {furthest[2]} {other.label} {other.start}-{other.end} {_show(other.text)}"
                self.add("entity-overlap", f"{this} overlaps {that}", start, self.doc.text[start:end])
            if furthest is None or end > furthest[1]:
                furthest = (start, end, i)
        return usable

    def quantity(self, i: int, what: str) -> None:
        entity = self.doc.entities[i]
        offset = _offset(entity.start)
        attributes = (entity.value, entity.unit, entity.approximate)
        if entity.label != QUANTITY:
            if any(a is not None for a in attributes):
                self.add(
                    "quantity-attributes", f"{what}: only QUANTITY carries value/unit/approximate", offset, entity.text
                )
            return
        value = entity.value
        if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)):
            self.add("quantity-attributes", f"{what}: value must be a number, got {value!r}", offset, entity.text)
        if not isinstance(entity.unit, str) or not entity.unit.strip():
            self.add(
                "quantity-attributes",
                f"{what}: unit must be a non-empty string, got {entity.unit!r}",
                offset,
                entity.text,
            )
        if not isinstance(entity.approximate, bool):
            self.add(
                "quantity-attributes",
                f"{what}: approximate must be true or false, got {entity.approximate!r}",
                offset,
                entity.text,
            )

    def sentences(self) -> list[tuple[int, int]]:
        """Checks sentences and holders; returns the usable sentence spans, sorted."""
        usable: list[tuple[int, int]] = []
        previous_start: int | None = None
        for i, sentence in enumerate(self.doc.sentences):
            what = f"sentence {i}"
            ok = self.span(what, sentence.start, sentence.end, None)
            if ok:
                usable.append((sentence.start, sentence.end))
                if previous_start is not None and sentence.start < previous_start:
                    self.add(
                        "sentence-order",
                        f"{what} starts at {sentence.start}, before the previous sentence ({previous_start})",
                        sentence.start,
                    )
                previous_start = sentence.start
            if sentence.stance not in self.schema.stance_classes:
                self.add(
                    "stance-label",
                    f"{what}: stance {sentence.stance!r} is not one of {', '.join(self.schema.stance_classes)}",
                    _offset(sentence.start),
                )
            holder = sentence.holder
            if holder is None or not self.span(f"{what} holder", holder.start, holder.end, holder.text) or not ok:
                continue
            if not (sentence.start <= holder.start and holder.end <= sentence.end):
                where = f"{holder.start}-{holder.end} is outside its sentence {sentence.start}-{sentence.end}"
                self.add("holder-span", f"{what} holder {where}", holder.start, holder.text)
        usable.sort()
        for (s1, e1), (s2, e2) in itertools.pairwise(usable):
            if s2 < e1:
                self.add(
                    "sentence-overlap",
                    f"sentence {s2}-{e2} overlaps sentence {s1}-{e1}",
                    s2,
                    self.doc.text[s2 : min(e1, e2)],
                )
        self.coverage(usable)
        return usable

    def coverage(self, sentences: list[tuple[int, int]]) -> None:
        text = self.doc.text
        covered = bytearray(len(text))
        for start, end in sentences:
            covered[start:end] = b"\x01" * (end - start)
        # One problem per run of uncovered text (whitespace does not end a run; covered text does);
        # invisible characters are not text (corpus/text.py), so no sentence needs to cover them.
        run: list[int] = []  # [start, end) of the current run
        for pos in (i for i, ch in enumerate(text) if not is_blank(ch)):
            if covered[pos]:
                self._uncovered(run)
                run = []
            elif run:
                run[1] = pos + 1
            else:
                run = [pos, pos + 1]
        self._uncovered(run)

    def _uncovered(self, run: list[int]) -> None:
        if run:
            start, end = run
            self.add("sentence-coverage", f"text {start}-{end} is in no sentence", start, self.doc.text[start:end])

    def entity_in_sentence(self, entities: list[tuple[int, int, int]], sentences: list[tuple[int, int]]) -> None:
        starts = [s for s, _ in sentences]
        for start, end, i in entities:
            j = bisect.bisect_right(starts, start) - 1
            if j < 0 or end > sentences[j][1]:
                entity = self.doc.entities[i]
                self.add(
                    "entity-sentence",
                    f"entity {i} {entity.label} {start}-{end} is not inside one sentence",
                    start,
                    self.doc.text[start:end],
                )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _offset(value: Any) -> int | None:
    return value if _is_int(value) else None


def _show(text: str) -> str:
    return quote(text)


def validate_document(
    doc: GoldDocument, schema: Schema, file: str = "<document>", line: int | None = None
) -> list[Problem]:
    """Every problem of one document, sorted by offset (document-level problems first)."""
    checker = _Checker(doc, schema, file, line)
    checker.document()
    entities = checker.entities()
    sentences = checker.sentences()
    # Placing entities in sentences needs sorted, disjoint sentences; when they are not, that is
    # already reported, and placing entities would only add noise.
    if not any(p.rule in ("sentence-overlap", "sentence-order") for p in checker.problems):
        checker.entity_in_sentence(entities, sentences)
    return sorted(checker.problems, key=lambda p: -1 if p.offset is None else p.offset)


def validate(
    documents: Sequence[LoadedDocument | GoldDocument],
    schema: Schema,
    documents_dir: Path | None = None,
) -> list[Problem]:
    """Every problem of every document, plus the checks across documents and files.

    `documents_dir` is where documents/<doc_id>.txt live; JSONL documents are compared with them
    when the directory exists.
    """
    loaded = [d if isinstance(d, LoadedDocument) else LoadedDocument(d, "<memory>") for d in documents]
    problems: list[Problem] = []
    first_file: dict[str, LoadedDocument] = {}
    for item in loaded:
        doc = item.doc
        problems += _line_endings_problem(item) or validate_document(doc, schema, item.file, item.line)
        if item.kind == "standoff" and Path(item.file).stem != doc.doc_id:
            problems.append(
                Problem(item.file, doc.doc_id, None, None, "file-name", f"the file must be named {doc.doc_id}.json")
            )
        if (
            item.kind == "jsonl"
            and documents_dir is not None
            and documents_dir.is_dir()
            and DOC_ID.fullmatch(doc.doc_id)
        ):
            problems += _check_document_text(item, documents_dir)
        if doc.doc_id in first_file:
            other = first_file[doc.doc_id]
            place = f"{other.file}:{other.line}" if other.line is not None else other.file
            problems.append(
                Problem(
                    item.file, doc.doc_id, None, None, "doc-id-duplicate", f"doc_id also used in {place}", item.line
                )
            )
        else:
            first_file[doc.doc_id] = item
    return problems


def _line_endings_problem(item: LoadedDocument) -> list[Problem]:
    """One problem when the spans' stored texts fit only with the other line endings (a re-saved file).

    Every offset after the first line break moves with the line endings, so without this check one
    converted file gives a problem for nearly every span; the rest is checked once it is converted back.
    """
    doc = item.doc
    spans = [(e.start, e.end, e.text) for e in doc.entities] + [
        (h.start, h.end, h.text) for s in doc.sentences if (h := s.holder)
    ]
    checkable = [(s, e, t) for s, e, t in spans if _is_int(s) and _is_int(e) and isinstance(t, str)]

    def fits(text: str) -> bool:
        return bool(checkable) and all(text[s:e] == t for s, e, t in checkable)

    if "\n" not in doc.text or fits(doc.text):
        return []
    lf = doc.text.replace("\r\n", "\n")
    if "\r\n" in doc.text:
        converted, has, annotated, fix = lf, "CRLF (Windows)", "LF", "dos2unix FILE, or sed -i 's/\\r$//' FILE"
    else:
        converted, has, annotated, fix = lf.replace("\n", "\r\n"), "LF", "CRLF (Windows)", "unix2dos FILE"
    if not fits(converted):
        return []
    where = str(item.text_file) if item.text_file else item.file
    message = (
        f"{where} has {has} line endings but was annotated with {annotated} ones, so every offset after the first "
        f"line break is off; convert the file back ({fix}): the annotated texts then fit, and validate again"
    )
    return [Problem(item.file, doc.doc_id, None, None, "line-endings", message, item.line)]


def _check_document_text(item: LoadedDocument, documents_dir: Path) -> list[Problem]:
    doc = item.doc
    path = documents_dir / f"{doc.doc_id}.txt"
    try:
        stored = read_text(path)
    except FileNotFoundError:
        return [Problem(item.file, doc.doc_id, None, None, "document-text", f"{path} does not exist", item.line)]
    except (OSError, UnicodeDecodeError) as err:
        return [Problem(item.file, doc.doc_id, None, None, "document-text", f"cannot read {path}: {err}", item.line)]
    if stored == doc.text:
        return []
    # Up to the shorter text: when one is a prefix of the other, they differ where it ends (the default).
    at = next(
        (i for i, (a, b) in enumerate(zip(stored, doc.text, strict=False)) if a != b), min(len(stored), len(doc.text))
    )
    return [
        Problem(
            item.file,
            doc.doc_id,
            at,
            doc.text[at : at + 20],
            "document-text",
            f"text differs from {path} from offset {at} (lengths {len(doc.text)} and {len(stored)})",
            item.line,
        )
    ]


def validate_path(path: Path, schema: Schema, documents_dir: Path | None = None) -> ValidationReport:
    """Read a gold directory, a standoff file or a JSONL file and validate what could be read."""
    result = read_gold(path, documents_dir)
    if documents_dir is None:
        documents_dir = repo_documents_dir()
    problems = result.problems + validate(result.documents, schema, documents_dir)
    if not result.documents and not problems:
        # A summary of no documents (stats of zeros, an empty export) looks like a result: a wrong path is refused.
        problems.append(Problem(str(path), None, None, None, "no-documents", "no gold documents here"))
    return ValidationReport(result.documents, problems)


def _blank_name(text: str, at: int) -> str:
    """Where a span boundary that is in no word lies: whitespace, or an invisible character (corpus/text.py),
    named by its code point since it cannot be seen."""
    if 0 <= at < len(text) and is_invisible(text[at]):
        return f"on an invisible character (U+{ord(text[at]):04X}); move it past the mark"
    return "on whitespace"
