"""Typed records of the gold data set and their JSON form (the stable interchange format).

A gold document is standoff: character offsets into the raw document text, which is stored apart
in annotations/documents/<doc_id>.txt. Parsing is lenient about nothing: `document_from_json`
raises GoldFormatError with the JSON path of the first structural problem; the semantic checks
(offsets in range, text equals slice, ...) live in gold/validate.py so that all of them are reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

QUANTITY = "QUANTITY"


class GoldFormatError(ValueError):
    """A gold record does not have the structure of the format (wrong type, missing key)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label: str
    text: str
    value: float | None = None  # QUANTITY only
    unit: str | None = None  # QUANTITY only
    approximate: bool | None = None  # QUANTITY only

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label, "text": self.text}
        if self.label == QUANTITY:
            out.update(value=self.value, unit=self.unit, approximate=self.approximate)
        return out


@dataclass(frozen=True)
class Holder:
    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    stance: str
    holder: Holder | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "stance": self.stance,
            "holder": self.holder.to_json() if self.holder else None,
        }


@dataclass(frozen=True)
class GoldDocument:
    doc_id: str
    text: str
    doc_stance: str
    entities: tuple[Entity, ...] = field(default_factory=tuple)
    sentences: tuple[Sentence, ...] = field(default_factory=tuple)
    schema_version: str | None = None

    def to_json(self, with_text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"doc_id": self.doc_id}
        if with_text:
            out["text"] = self.text
        out["doc_stance"] = self.doc_stance
        out["entities"] = [e.to_json() for e in sorted(self.entities, key=lambda e: (e.start, e.end))]
        out["sentences"] = [s.to_json() for s in sorted(self.sentences, key=lambda s: s.start)]
        return out


# --------------------------------------------------------------------------- parsing


def _expect(obj: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    # bool is an int subclass in Python; an offset of `true` is a type error, not 1.
    if isinstance(obj, bool) and kind in (int, (int, float)):
        raise GoldFormatError(where, f"{what} must be {_kind_name(kind)}, got a boolean")
    if not isinstance(obj, kind):
        raise GoldFormatError(where, f"{what} must be {_kind_name(kind)}, got {type(obj).__name__}")
    return obj


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "an integer", bool: "a boolean"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _key(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise GoldFormatError(where, f"missing key {key!r}")
    return obj[key]


def _span_fields(raw: Any, where: str) -> tuple[int, int, str]:
    _expect(raw, dict, where, "a span")
    start = _expect(_key(raw, "start", where), int, f"{where}.start", "start")
    end = _expect(_key(raw, "end", where), int, f"{where}.end", "end")
    text = _expect(_key(raw, "text", where), str, f"{where}.text", "text")
    return start, end, text


def entity_from_json(raw: Any, where: str) -> Entity:
    start, end, text = _span_fields(raw, where)
    label = _expect(_key(raw, "label", where), str, f"{where}.label", "label")
    # Quantity attributes are read on every label, so that the validator can report them where they
    # do not belong instead of the reader dropping them silently.
    value = raw.get("value")
    if value is not None:
        _expect(value, (int, float), f"{where}.value", "value")
    unit = raw.get("unit")
    if unit is not None:
        _expect(unit, str, f"{where}.unit", "unit")
    approximate = raw.get("approximate")
    if approximate is not None:
        _expect(approximate, bool, f"{where}.approximate", "approximate")
    return Entity(start, end, label, text, value, unit, approximate)


def sentence_from_json(raw: Any, where: str) -> Sentence:
    _expect(raw, dict, where, "a sentence")
    start = _expect(_key(raw, "start", where), int, f"{where}.start", "start")
    end = _expect(_key(raw, "end", where), int, f"{where}.end", "end")
    stance = _expect(_key(raw, "stance", where), str, f"{where}.stance", "stance")
    holder_raw = raw.get("holder")
    holder = Holder(*_span_fields(holder_raw, f"{where}.holder")) if holder_raw is not None else None
    return Sentence(start, end, stance, holder)


def document_from_json(raw: Any, text: str | None = None, where: str = "document") -> GoldDocument:
    """Parse one document record. `text` is given for standoff files, which do not store it."""
    _expect(raw, dict, where, "a document")
    doc_id = _expect(_key(raw, "doc_id", where), str, f"{where}.doc_id", "doc_id")
    if text is None:
        text = _expect(_key(raw, "text", where), str, f"{where}.text", "text")
    doc_stance = _expect(_key(raw, "doc_stance", where), str, f"{where}.doc_stance", "doc_stance")
    entities_raw = _expect(raw.get("entities", []), list, f"{where}.entities", "entities")
    sentences_raw = _expect(raw.get("sentences", []), list, f"{where}.sentences", "sentences")
    version = raw.get("schema_version")
    return GoldDocument(
        doc_id=doc_id,
        text=text,
        doc_stance=doc_stance,
        entities=tuple(entity_from_json(e, f"{where}.entities[{i}]") for i, e in enumerate(entities_raw)),
        sentences=tuple(sentence_from_json(s, f"{where}.sentences[{i}]") for i, s in enumerate(sentences_raw)),
        schema_version=str(version) if version is not None else None,
    )


def dumps_standoff(doc: GoldDocument, schema_version: str) -> str:
    """The committed standoff form: one entity or sentence per line, so that `git diff` reads well."""
    record = doc.to_json(with_text=False)
    lines = ["{", f'  "doc_id": {json.dumps(doc.doc_id)},', f'  "schema_version": {json.dumps(schema_version)},']
    lines.append(f'  "doc_stance": {json.dumps(doc.doc_stance)},')
    for key in ("entities", "sentences"):
        items = [json.dumps(item, ensure_ascii=False) for item in record[key]]
        body = ",\n".join(f"    {item}" for item in items)
        closing = "," if key == "entities" else ""
        lines.append(f'  "{key}": [\n{body}\n  ]{closing}' if items else f'  "{key}": []{closing}')
    lines.append("}")
    return "\n".join(lines) + "\n"
