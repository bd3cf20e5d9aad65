"""Reading back the sentence records `arastance corpus convert` writes, for training (`data.extra_records`).

One JSON object per line: {"doc_id", "sentence_id", "tokens", "ner_tags", "source"}, tags IOB2 over
the schema's labels, and optionally "unannotated": the schema labels the corpus's `O` does not rule out
(from its label map; read by data.partial_labels). A file someone edited by hand, or converted with an
older schema, must fail before any training starts, with every problem listed by file and line: a model
trained on a tag the schema does not have cannot be scored or published.

`parse_extra_records` is pure; `read_extra_records` adds the file reading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arastance.errors import UserError, listed, read_input_text
from arastance.schema import Schema

Record = dict[str, Any]
MAX_LISTED = 20  # problems listed in one message; the count says how many there were


class ExtraRecordsError(UserError):
    """Extra training records that cannot be used; the message lists every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            "data.extra_records: nothing trained, fix these first (records as `arastance corpus convert` writes "
            "them):\n" + listed(self.problems, MAX_LISTED)
        )


def _iob2_problem(tags: Sequence[str], allowed: frozenset[str]) -> str | None:
    """Why these tags are not IOB2 over the schema's labels, or None."""
    previous = "O"
    for i, tag in enumerate(tags):
        if tag not in allowed:
            return f"tag {tag!r} (word {i}) is not one of the schema's IOB2 tags"
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return f"tag {tag!r} (word {i}) does not continue an entity (IOB2: an entity starts with B-)"
        previous = tag
    return None


def record_problem(raw: Any, allowed: frozenset[str], entity_labels: Sequence[str]) -> str | None:
    """Why one parsed line is not a usable NER sentence record, or None."""
    if not isinstance(raw, dict):
        return "not a JSON object"
    missing = [k for k in ("doc_id", "sentence_id", "tokens", "ner_tags") if k not in raw]
    if missing:
        return f"missing key(s) {', '.join(missing)}"
    if not isinstance(raw["doc_id"], str) or not raw["doc_id"]:
        return "`doc_id` must be a non-empty string"
    if not isinstance(raw["sentence_id"], int) or isinstance(raw["sentence_id"], bool):
        return "`sentence_id` must be an integer"
    tokens, tags = raw["tokens"], raw["ner_tags"]
    if (
        not isinstance(tokens, list)
        or not tokens
        or not all(isinstance(t, str) and t and not t.isspace() for t in tokens)
    ):
        return "`tokens` must be a non-empty list of non-empty strings"
    if not isinstance(tags, list) or len(tags) != len(tokens):
        return f"`ner_tags` must be a list with one tag per token ({len(tokens)} tokens)"
    if "source" in raw and (not isinstance(raw["source"], str) or not raw["source"]):
        return "`source` must be a non-empty string"
    unannotated = raw.get("unannotated", [])
    if not isinstance(unannotated, list) or not all(isinstance(t, str) and t in entity_labels for t in unannotated):
        return f"`unannotated` must be a list of schema labels ({', '.join(entity_labels)}), got {unannotated!r}"
    return _iob2_problem(tags, allowed)


def parse_extra_records(
    text: str, file: str, schema: Schema, gold_doc_ids: frozenset[str] = frozenset()
) -> list[Record]:
    """The records of one file, each with its `source` (the file's stem when the record has none).

    A record whose doc_id is a gold document is refused: it would put a held-out document's
    sentences into training (a converted copy of our own gold, for instance).
    """
    allowed = frozenset(schema.iob_tags)
    records: list[Record] = []
    problems: list[str] = []
    seen: set[tuple[str, int]] = set()
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(f"{file}:{number}: not valid JSON ({err.msg}, column {err.colno})")
            continue
        problem = record_problem(raw, allowed, schema.entity_labels)
        if problem is None and raw["doc_id"] in gold_doc_ids:
            problem = f"doc_id {raw['doc_id']!r} is a gold document: the gold must not come back as extra training data"
        if problem is None and (raw["doc_id"], raw["sentence_id"]) in seen:
            problem = f"sentence {raw['sentence_id']} of document {raw['doc_id']!r} appears twice"
        if problem is not None:
            problems.append(f"{file}:{number}: {problem}")
            continue
        seen.add((raw["doc_id"], raw["sentence_id"]))
        records.append(
            {k: raw[k] for k in ("doc_id", "sentence_id", "tokens", "ner_tags")}
            | {"source": raw.get("source") or Path(file).stem}
            | ({"unannotated": sorted(set(raw["unannotated"]))} if raw.get("unannotated") else {})
        )
    if not problems and not records:
        problems.append(f"{file}: no records (an empty file?)")
    if problems:
        raise ExtraRecordsError(problems)
    return records


def read_extra_records(
    paths: Sequence[Path | str], schema: Schema, gold_doc_ids: frozenset[str] = frozenset()
) -> list[Record]:
    """Every file's records, in order; the problems of all files are reported together."""
    records: list[Record] = []
    problems: list[str] = []
    for path in paths:
        try:
            records += parse_extra_records(read_input_text(path), str(path), schema, gold_doc_ids)
        except ExtraRecordsError as err:
            problems += err.problems
        except UserError as err:  # missing, unreadable, not UTF-8: already names the file
            problems.append(str(err))
    if problems:
        raise ExtraRecordsError(problems)
    return records


def with_word_offsets(record: Record) -> Record:
    """The record with `offsets` as if its tokens were joined by single spaces.

    External corpora carry no raw text; training never reads offsets (only predictions are mapped
    back to text), but the units the gold and extra records share need them.
    """
    offsets, start = [], 0
    for token in record["tokens"]:
        offsets.append([start, start + len(token)])
        start += len(token) + 1
    return {**record, "offsets": offsets}
