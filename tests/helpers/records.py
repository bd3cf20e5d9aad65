"""The inverse of `gold.convert.sentence_records`, for round-trip tests only: no command turns records back
into a document (prediction builds its documents in `predict.documents`)."""

from __future__ import annotations

from collections.abc import Sequence

from arastance.gold.convert import ConversionError, Record, entity_at, tags_to_spans
from arastance.gold.model import Entity, GoldDocument, Holder, Sentence
from arastance.schema import Schema


def records_to_document(
    records: Sequence[Record], text: str, doc_stance: str, schema: Schema, schema_version: str | None = None
) -> GoldDocument:
    """The inverse of `sentence_records` for one document; QUANTITY attributes come from parse_quantity."""
    if not records:
        raise ConversionError("no records")
    doc_id = records[0]["doc_id"]
    entities: list[Entity] = []
    sentences: list[Sentence] = []
    for record in records:
        offsets = record["offsets"]
        for start, end, label in tags_to_spans(record["ner_tags"], offsets):
            entities.append(entity_at(text, start, end, label, schema))
        holder = record.get("holder")
        sentences.append(
            Sentence(
                offsets[0][0],
                offsets[-1][1],
                record["stance"],
                Holder(holder["start"], holder["end"], holder["text"]) if holder else None,
            )
        )
    return GoldDocument(doc_id, text, doc_stance, tuple(entities), tuple(sentences), schema_version)
