"""Reading and writing gold documents: the standoff directory and the interchange JSONL file.

Two on-disk forms hold the same `GoldDocument`s:
- standoff (committed): annotations/gold/<doc_id>.json (no text) + annotations/documents/<doc_id>.txt;
- interchange JSONL: one document per line, with its "text" and "schema_version".

Reading never raises on bad input: every unreadable file, malformed JSON, empty file or structural
error (`GoldFormatError`) becomes a `Problem`, so that `arastance gold validate` can list all of them.
`Problem` lives here, the lowest layer, because reading is the first thing that finds problems;
gold/validate.py re-exports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from arastance.gold.model import GoldDocument, GoldFormatError, document_from_json, dumps_standoff

# Text is read and written byte-exact (no newline translation): offsets index the raw characters.
_ENCODING = "utf-8"


# A doc_id names files: no separators, no leading dot, nothing a shell or a file system chokes on.
DOC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Problem:
    """One violation, with enough context to find it: file (and line for JSONL), document, offset, text."""

    file: str
    doc_id: str | None
    offset: int | None
    text: str | None
    rule: str
    message: str
    line: int | None = None  # 1-based line of a JSONL file; None for standoff files

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        parts = [where]
        if self.doc_id is not None:
            parts.append(f"doc {self.doc_id}")
        if self.offset is not None:
            parts.append(f"offset {self.offset}")
        head = ": ".join(parts)
        tail = f" {quote(self.text)}" if self.text is not None else ""
        return f"{head}: [{self.rule}] {self.message}{tail}"


def quote(text: str, limit: int = 60) -> str:
    # One line per problem: newlines in a span (or a sentence) are shown, not printed.
    # JSON quoting escapes newlines and quotes, and does not clash with the corpus's «» quotes.
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return json.dumps(shown, ensure_ascii=False)


def doc_id_problem(file: str, doc_id: str, line: int | None = None) -> Problem:
    message = f"doc_id {doc_id!r} must match {DOC_ID.pattern} (it names the document's files)"
    return Problem(file, doc_id, None, None, "doc-id", message, line)


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed document and where it came from (for file-level checks and problem messages)."""

    doc: GoldDocument
    file: str
    kind: Literal["standoff", "jsonl", "memory"] = "memory"
    line: int | None = None  # 1-based line of a JSONL file
    text_file: Path | None = None  # the documents/<doc_id>.txt the text was read from (standoff)


@dataclass
class LoadResult:
    documents: list[LoadedDocument]
    problems: list[Problem]


# --------------------------------------------------------------------------- low-level reads


def read_text(path: Path) -> str:
    """The exact characters of a text file (no universal-newline translation: offsets must not move)."""
    with open(path, encoding=_ENCODING, newline="") as handle:
        return handle.read()


def write_text(path: Path, text: str) -> None:
    from arastance.writer import write_text as replace_text  # UTF-8, newlines untouched, whole or not at all

    replace_text(path, text)


def _read_file(path: Path, file: str) -> tuple[str | None, list[Problem]]:
    try:
        return read_text(path), []
    except FileNotFoundError:
        return None, [Problem(file, None, None, None, "read", "no such file")]
    except UnicodeDecodeError as err:
        return None, [Problem(file, None, err.start, None, "read", f"not UTF-8 (byte offset {err.start})")]
    except OSError as err:
        return None, [Problem(file, None, None, None, "read", f"cannot read: {err.strerror or err}")]


def _parse_json(raw: str, file: str, line: int | None = None) -> tuple[Any, list[Problem]]:
    if not raw.strip():
        return None, [Problem(file, None, None, None, "empty-file", "the file is empty", line)]
    try:
        return json.loads(raw), []
    except json.JSONDecodeError as err:
        # The place is a line/column of the file, not a document offset: it goes in the message.
        where = f"line {err.lineno} column {err.colno}" if line is None else f"column {err.colno}"
        return None, [Problem(file, None, None, None, "json", f"malformed JSON at {where}: {err.msg}", line)]


def _format_problem(err: GoldFormatError, file: str, doc_id: str | None, line: int | None = None) -> Problem:
    return Problem(file, doc_id, None, None, "format", f"{err.where}: {err.message}", line)


def _raw_doc_id(raw: Any) -> str | None:
    doc_id = raw.get("doc_id") if isinstance(raw, dict) else None
    return doc_id if isinstance(doc_id, str) else None


# --------------------------------------------------------------------------- standoff


def default_documents_dir(gold_path: Path) -> Path:
    """annotations/gold/ → annotations/documents/: texts sit beside the gold directory."""
    base = gold_path if gold_path.is_dir() else gold_path.parent
    return base.parent / "documents"


def read_standoff_file(path: Path, documents_dir: Path) -> tuple[LoadedDocument | None, list[Problem]]:
    """One annotations/gold/<doc_id>.json with its text from documents_dir/<doc_id>.txt."""
    file = str(path)
    content, read_problems = _read_file(path, file)
    if content is None:
        return None, read_problems
    raw, json_problems = _parse_json(content, file)
    if json_problems:
        return None, json_problems
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        return None, [Problem(file, None, None, None, "format", f"document: a document must be an object, got {kind}")]
    doc_id = _raw_doc_id(raw)
    problems: list[Problem] = []
    if "text" in raw:
        # Standoff keeps text apart; a second copy here could silently disagree with the .txt.
        problems.append(
            Problem(
                file,
                doc_id,
                None,
                None,
                "format",
                "a standoff file must not contain 'text' (it lives in documents/<doc_id>.txt)",
            )
        )
    if doc_id is None:
        # Let the parser produce its precise message (missing key or wrong type).
        try:
            document_from_json(raw, text="", where="document")
        except GoldFormatError as err:
            return None, [*problems, _format_problem(err, file, None)]
        return None, [*problems, Problem(file, None, None, None, "format", "document.doc_id: must be a string")]
    if not DOC_ID.fullmatch(doc_id):
        # Never build a path from it (`../x` would read outside documents/).
        return None, [*problems, doc_id_problem(file, doc_id)]
    text_file = documents_dir / f"{doc_id}.txt"
    text, text_problems = _read_file(text_file, str(text_file))
    if text is None:
        reason = text_problems[0].message
        problems.append(Problem(file, doc_id, None, None, "missing-text", f"document text {text_file}: {reason}"))
        return None, problems
    try:
        doc = document_from_json(raw, text=text, where="document")
    except GoldFormatError as err:
        return None, [*problems, _format_problem(err, file, doc_id)]
    return LoadedDocument(doc, file, "standoff", None, text_file), problems


def read_gold_dir(gold_dir: Path, documents_dir: Path | None = None) -> LoadResult:
    """Every *.json of a standoff directory, sorted by name so that output is stable."""
    documents_dir = documents_dir or default_documents_dir(gold_dir)
    if not gold_dir.is_dir():
        return LoadResult([], [Problem(str(gold_dir), None, None, None, "read", "no such directory")])
    result = LoadResult([], [])
    for path in sorted(gold_dir.glob("*.json")):
        loaded, problems = read_standoff_file(path, documents_dir)
        result.problems.extend(problems)
        if loaded is not None:
            result.documents.append(loaded)
    return result


# --------------------------------------------------------------------------- JSONL


def parse_jsonl(content: str, file: str) -> LoadResult:
    """Documents of an interchange JSONL text (one document with "text" per non-blank line)."""
    result = LoadResult([], [])
    if not content.strip():
        result.problems.append(Problem(file, None, None, None, "empty-file", "the file is empty"))
        return result
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        raw, problems = _parse_json(line, file, number)
        if problems:
            result.problems.extend(problems)
            continue
        doc_id = _raw_doc_id(raw)
        try:
            doc = document_from_json(raw, where="document")
        except GoldFormatError as err:
            result.problems.append(_format_problem(err, file, doc_id, number))
            continue
        result.documents.append(LoadedDocument(doc, file, "jsonl", number))
    return result


def read_jsonl(path: Path) -> LoadResult:
    content, problems = _read_file(path, str(path))
    if content is None:
        return LoadResult([], problems)
    return parse_jsonl(content, str(path))


def read_gold(path: Path, documents_dir: Path | None = None) -> LoadResult:
    """A standoff directory, a single standoff .json file, or an interchange .jsonl file.

    An annotations-like root (holding gold/ and documents/) is accepted for a directory too.
    """
    if path.is_dir():
        if not any(path.glob("*.json")) and (path / "gold").is_dir():
            path = path / "gold"
        return read_gold_dir(path, documents_dir)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    loaded, problems = read_standoff_file(path, documents_dir or default_documents_dir(path))
    return LoadResult([loaded] if loaded else [], problems)


# --------------------------------------------------------------------------- writing


def document_to_jsonl_record(doc: GoldDocument, schema_version: str) -> dict[str, Any]:
    record = doc.to_json(with_text=True)
    # schema_version right after doc_id, as in the standoff form.
    return {"doc_id": record.pop("doc_id"), "schema_version": schema_version, **record}


def dumps_jsonl(docs: Iterable[GoldDocument], schema_version: str) -> str:
    lines = [json.dumps(document_to_jsonl_record(d, schema_version), ensure_ascii=False) for d in docs]
    return "".join(line + "\n" for line in lines)


def write_jsonl(docs: Iterable[GoldDocument], path: Path, schema_version: str) -> None:
    write_text(path, dumps_jsonl(docs, schema_version))


def standoff_paths(root: Path, doc_id: str) -> tuple[Path, Path]:
    """(gold file, text file) of a document under an annotations-like root."""
    return root / "gold" / f"{doc_id}.json", root / "documents" / f"{doc_id}.txt"


def existing_outputs(docs: Sequence[GoldDocument], root: Path) -> list[Path]:
    return [p for d in docs for p in standoff_paths(root, d.doc_id) if p.exists()]


def write_standoff(
    docs: Sequence[GoldDocument], root: Path, schema_version: str, overwrite: bool = False
) -> list[Path]:
    """Write root/gold/<id>.json and root/documents/<id>.txt for each document; returns the paths.

    Refuses (FileExistsError, before writing anything) when a target exists and overwrite is False.
    """
    if not overwrite:
        existing = existing_outputs(docs, root)
        if existing:
            raise FileExistsError(", ".join(str(p) for p in existing))
    written: list[Path] = []
    for doc in docs:
        gold_file, text_file = standoff_paths(root, doc.doc_id)
        write_text(text_file, doc.text)
        write_text(gold_file, dumps_standoff(doc, schema_version))
        written += [gold_file, text_file]
    return written
