"""Gold documents ↔ per-sentence word-level IOB2 records ↔ CoNLL text.

A record is one sentence:
    {"doc_id", "sentence_id" (index in the document), "tokens", "offsets" ([start, end] into the
     document text), "ner_tags" (IOB2 strings), "stance", "holder" ({"start","end","text"} or None)}

Tokens come from `tokenize_words` on each sentence span, exactly as prediction will tokenize, so a
model trained on these records sees the same words at inference. `tags_to_spans` is the inverse
(strict IOB2), used by prediction to turn word tags back into character-offset entities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from arastance.corpus.segment import tokenize_words
from arastance.gold.model import QUANTITY, Entity, GoldDocument
from arastance.gold.quantity import parse_quantity
from arastance.schema import Schema

Record = dict[str, Any]
SpanTuple = tuple[int, int, str]
DOCSTART = "-DOCSTART-"


class ConversionError(ValueError):
    """The gold cannot be converted (the validator reports the same cases as problems)."""


# --------------------------------------------------------------------------- pure tag functions


def spans_to_tags(spans: Iterable[SpanTuple], offsets: Sequence[Sequence[int]]) -> list[str]:
    """IOB2 tags of the tokens at `offsets` for character spans (start, end, label).

    Raises ValueError when a span does not start at a token start and end at a token end.
    """
    tags = ["O"] * len(offsets)
    index_of_start = {start: i for i, (start, _end) in enumerate(offsets)}
    index_of_end = {end: i for i, (_start, end) in enumerate(offsets)}
    for start, end, label in spans:
        first, last = index_of_start.get(start), index_of_end.get(end)
        if first is None or last is None or last < first:
            side = "start" if first is None else "end"
            raise ValueError(f"{label} span {start}-{end}: its {side} is not on a token boundary")
        if any(tag != "O" for tag in tags[first : last + 1]):
            raise ValueError(f"{label} span {start}-{end} overlaps another span")
        tags[first] = f"B-{label}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{label}"
    return tags


def tags_to_spans(tags: Sequence[str], offsets: Sequence[Sequence[int]]) -> list[SpanTuple]:
    """Strict IOB2 decoding: an entity starts at B-X and takes the following I-X tokens.

    An I-X that does not continue a B-X/I-X of the same label starts nothing and is dropped (as in
    seqeval's strict mode), so a model's inconsistent tags never invent entity starts.
    """
    if len(tags) != len(offsets):
        raise ValueError(f"{len(tags)} tags for {len(offsets)} tokens")
    spans: list[SpanTuple] = []
    open_label: str | None = None  # label of the entity the previous token belongs to
    for tag, (start, end) in zip(tags, offsets, strict=True):
        if tag == "O":
            open_label = None
            continue
        prefix, dash, label = tag.partition("-")
        if prefix not in ("B", "I") or not dash or not label:
            raise ValueError(f"not an IOB2 tag: {tag!r}")
        if prefix == "B":
            spans.append((start, end, label))
            open_label = label
        elif open_label == label:
            spans[-1] = (spans[-1][0], end, label)
        else:
            open_label = None  # a stray I- starts nothing
    return spans


# --------------------------------------------------------------------------- gold → records


def sentence_records(doc: GoldDocument) -> list[Record]:
    """One record per sentence of a (valid) document, in text order."""
    sentences = sorted(doc.sentences, key=lambda s: s.start)
    records: list[Record] = []
    for index, sentence in enumerate(sentences):
        tokens = tokenize_words(doc.text, sentence.start, sentence.end)
        offsets = [[t.start, t.end] for t in tokens]
        inside = [e for e in doc.entities if sentence.start <= e.start and e.end <= sentence.end]
        try:
            tags = spans_to_tags(((e.start, e.end, e.label) for e in inside), offsets)
        except ValueError as err:
            raise ConversionError(
                f"doc {doc.doc_id}, sentence {index} ({sentence.start}-{sentence.end}): {err}"
            ) from err
        records.append(
            {
                "doc_id": doc.doc_id,
                "sentence_id": index,
                "tokens": [t.text for t in tokens],
                "offsets": offsets,
                "ner_tags": tags,
                "stance": sentence.stance,
                "holder": sentence.holder.to_json() if sentence.holder else None,
            }
        )
    placed = {(e.start, e.end) for s in sentences for e in doc.entities if s.start <= e.start and e.end <= s.end}
    stray = [e for e in doc.entities if (e.start, e.end) not in placed]
    if stray:
        e = stray[0]
        raise ConversionError(
            f"doc {doc.doc_id}: {e.label} entity at offset {e.start}-{e.end} is not inside one sentence"
        )
    return records


def to_records(docs: Iterable[GoldDocument]) -> list[Record]:
    return [record for doc in docs for record in sentence_records(doc)]


def entity_at(text: str, start: int, end: int, label: str, schema: Schema) -> Entity:
    """An entity over text[start:end]; a QUANTITY gets value/unit/approximate from its text and context."""
    span = text[start:end]
    if label != QUANTITY:
        return Entity(start, end, label, span)
    value, unit, approximate = parse_quantity(text[max(0, start - 40) : start], span, schema)
    return Entity(start, end, label, span, value, unit, approximate)


# --------------------------------------------------------------------------- CoNLL


def to_conll(records: Iterable[Record]) -> str:
    """CoNLL text: `-DOCSTART- O <doc_id>` + blank line per document, `token tag` lines, blank line after
    each sentence. Readers that skip -DOCSTART- lines (most do) ignore the doc_id column.
    """
    lines: list[str] = []
    current_doc: str | None = None
    for record in records:
        if record["doc_id"] != current_doc:
            current_doc = record["doc_id"]
            lines += [f"{DOCSTART} O {current_doc}", ""]
        for token, tag in zip(record["tokens"], record["ner_tags"], strict=True):
            # tokenize_words splits at whitespace, so a token never contains a column separator.
            lines.append(f"{token} {tag}")
        lines.append("")
    return "\n".join(lines) + ("\n" if lines else "")
