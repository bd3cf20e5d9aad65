"""doccano: export gold as sequence-labeling JSONL and import it back.

One line per document:
    {"text": ..., "label": [[start, end, LABEL], ...],
     "doc_id": ..., "schema_version": ..., "doc_stance": ...,
     "sentences": [{"start", "end", "stance", "holder": {"start","end","text"} | null}, ...],
     "quantities": [{"start", "end", "value", "unit", "approximate"}, ...]}

doccano labels only the entity spans; every other key is metadata, which doccano keeps and exports
again (at the top level, or under "meta" in older versions; both are read). Newer doccano exports
write entities as "entities": [{"start_offset", "end_offset", "label"}]; that is read too. A
QUANTITY without a "quantities" entry gets its attributes from `parse_quantity`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from arastance.gold.io import Problem
from arastance.gold.model import QUANTITY, Entity, GoldDocument, GoldFormatError, sentence_from_json
from arastance.gold.quantity import parse_quantity
from arastance.schema import Schema


def document_to_line(doc: GoldDocument, schema_version: str) -> dict[str, Any]:
    entities = sorted(doc.entities, key=lambda e: (e.start, e.end))
    return {
        "text": doc.text,
        "label": [[e.start, e.end, e.label] for e in entities],
        "doc_id": doc.doc_id,
        "schema_version": schema_version,
        "doc_stance": doc.doc_stance,
        "sentences": [s.to_json() for s in sorted(doc.sentences, key=lambda s: s.start)],
        "quantities": [
            {"start": e.start, "end": e.end, "value": e.value, "unit": e.unit, "approximate": e.approximate}
            for e in entities
            if e.label == QUANTITY
        ],
    }


def dumps_doccano(docs: Sequence[GoldDocument], schema_version: str) -> str:
    return "".join(json.dumps(document_to_line(d, schema_version), ensure_ascii=False) + "\n" for d in docs)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _field(raw: dict[str, Any], key: str) -> Any:
    """A metadata key at the top level, else under "meta" (older doccano exports)."""
    if key in raw:
        return raw[key]
    meta = raw.get("meta")
    return meta.get(key) if isinstance(meta, dict) else None


def _spans(raw: dict[str, Any]) -> list[Any] | None:
    """The entity spans as [start, end, LABEL]; None when the line has neither key (an export of
    another project type, or keys renamed): read as "no entities", it would import nothing silently."""
    label = raw.get("label")
    if isinstance(label, list):
        return label
    if isinstance(raw.get("entities"), list):
        return [
            [e.get("start_offset"), e.get("end_offset"), e.get("label")] if isinstance(e, dict) else e
            for e in raw["entities"]
        ]
    return None


def line_to_document(raw: Any, schema: Schema, source: str, line: int) -> tuple[GoldDocument | None, list[Problem]]:
    def problem(rule: str, message: str, doc_id: str | None = None, offset: int | None = None) -> Problem:
        return Problem(source, doc_id, offset, None, rule, message, line)

    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        return None, [problem("doccano-format", 'a line must be an object with a string "text"')]
    text: str = raw["text"]
    doc_id = _field(raw, "doc_id")
    if doc_id is None and _is_int(raw.get("id")):
        doc_id = f"doccano{raw['id']}"
    if not isinstance(doc_id, str):
        return None, [problem("doccano-format", "doc_id must be a string (or the line must have an integer id)")]
    problems: list[Problem] = []
    quantities = {}
    for q in _field(raw, "quantities") or []:
        if isinstance(q, dict) and _is_int(q.get("start")) and _is_int(q.get("end")):
            quantities[(q["start"], q["end"])] = q
    entities: list[Entity] = []
    spans = _spans(raw)
    if spans is None:
        keys = ", ".join(sorted(raw)) or "none"
        problems.append(
            problem(
                "doccano-format",
                f'no entity list: expected "label": [[start, end, LABEL], ...] (sequence labeling) or "entities": '
                f"[{{start_offset, end_offset, label}}, ...]; the line's keys: {keys}",
                doc_id,
            )
        )
    if raw.get("relations"):
        problems.append(
            problem("doccano-format", '"relations": this project has none; export without them or remove them', doc_id)
        )
    for k, span in enumerate(spans or []):
        if not (
            isinstance(span, list)
            and len(span) == 3
            and _is_int(span[0])
            and _is_int(span[1])
            and isinstance(span[2], str)
        ):
            problems.append(problem("doccano-format", f"label {k} must be [start, end, LABEL], got {span!r}", doc_id))
            continue
        start, end, label = span
        if not (0 <= start < end <= len(text)):
            problems.append(
                problem(
                    "doccano-format", f"label {k} {start}-{end} is outside the text (length {len(text)})", doc_id, start
                )
            )
            continue
        if label != QUANTITY:
            entities.append(Entity(start, end, label, text[start:end]))
            continue
        value, unit, approximate = parse_quantity(text[max(0, start - 40) : start], text[start:end], schema)
        q = quantities.get((start, end), {})
        entities.append(
            Entity(
                start,
                end,
                label,
                text[start:end],
                q.get("value", value),
                q.get("unit", unit),
                q.get("approximate", approximate),
            )
        )
    sentences = []
    sentences_raw = _field(raw, "sentences")
    if not isinstance(sentences_raw, list):
        problems.append(problem("doccano-format", '"sentences" must be a list of {start, end, stance, holder}', doc_id))
        sentences_raw = []
    for j, s in enumerate(sentences_raw):
        try:
            sentences.append(sentence_from_json(s, f"sentences[{j}]"))
        except GoldFormatError as err:
            problems.append(problem("doccano-format", str(err), doc_id))
    doc_stance = _field(raw, "doc_stance")
    version = _field(raw, "schema_version")
    doc = GoldDocument(
        doc_id,
        text,
        doc_stance if isinstance(doc_stance, str) else "",
        tuple(sorted(entities, key=lambda e: (e.start, e.end))),
        tuple(sorted(sentences, key=lambda s: s.start)),
        str(version) if version is not None else schema.version,
    )
    return doc, problems


def loads_doccano(content: str, schema: Schema, source: str = "<doccano>") -> tuple[list[GoldDocument], list[Problem]]:
    """Documents of a doccano JSONL export; malformed lines are Problems, not exceptions."""
    if not content.strip():
        return [], [Problem(source, None, None, None, "empty-file", "the file is empty")]
    docs: list[GoldDocument] = []
    problems: list[Problem] = []
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(
                Problem(source, None, None, None, "json", f"malformed JSON at column {err.colno}: {err.msg}", number)
            )
            continue
        doc, line_problems = line_to_document(raw, schema, source, number)
        problems += line_problems
        if doc is not None:
            docs.append(doc)
    return docs, problems
