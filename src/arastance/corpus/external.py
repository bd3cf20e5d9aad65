"""Public NER corpora (CoNLL files, Hub datasets) → the gold's IOB2 sentence records, via a label map.

A label map (configs/corpus/<name>.yaml) names every source type and the schema label it becomes, or
`null` to drop it (its tokens become `O`):

    source: anercorp          # written into each record's "source"
    labels: {PERS: PER, LOC: GPE, ORG: ORG, MISC: null}
    unannotated: [NORP, DATE]   # optional: schema labels this corpus's `O` does not rule out

`unannotated` is written into each record: training with `data.partial_labels=true` then reads an `O`
word of such a record as "O or one of these labels" (features/partial.py), instead of teaching that a
date the corpus never tags is not a DATE.

Tags are read as IOB1 or IOB2 — an `I-X` that does not continue an `X` entity starts one, which is
IOB1's rule and changes nothing in valid IOB2 — and written as IOB2 after mapping, so two adjacent
source entities that map to one label stay two entities. With `strict_iob2`, such an `I-X` is an
error instead (for files that claim IOB2).

The records are the gold's sentence records (gold/convert.py `sentence_records`) without what an
external corpus does not have (raw text offsets, stance, holder):
    {"doc_id", "sentence_id", "tokens", "ner_tags", "source"(, "unannotated")}
so training can read gold and external records with one reader.

Everything here is pure except `load_label_map` and `read_conll_file`: every problem is collected
with its file and line (or map key) and raised together as one CorpusError.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arastance.corpus.text import fold, is_blank
from arastance.errors import UserError, listed, read_input_text
from arastance.schema import Schema

DOCSTART = "-DOCSTART-"
OUTSIDE = "O"
IOB_TAG = re.compile(r"(?P<prefix>[BI])-(?P<type>\S+)")
MAX_LISTED = 20  # problems listed in one error; the count says how many there were
Record = dict[str, Any]


class CorpusError(UserError):
    """The corpus or its label map cannot be converted; the message lists every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(f"nothing written ({count}):\n" + listed(self.problems, MAX_LISTED))


# --------------------------------------------------------------------------- label maps


@dataclass(frozen=True)
class LabelMap:
    source: str
    labels: dict[str, str | None]  # source type → schema label, None = dropped
    file: str
    # The corpus's own types (`native_labels:`), for runs that train and score on them (data.labels).
    native: tuple[str, ...] = ()
    # Schema labels whose mentions this corpus leaves `O` (it has no such type, or a narrower one):
    # its `O` says nothing about them (`unannotated:`; data.partial_labels).
    unannotated: tuple[str, ...] = ()


def parse_label_map(raw: Any, file: str, schema: Schema) -> LabelMap:
    """A LabelMap from a parsed YAML document; every key naming a label outside the schema is an error."""
    if not isinstance(raw, dict) or not isinstance(raw.get("labels"), dict) or not raw["labels"]:
        raise CorpusError([f"{file}: a label map needs a non-empty `labels:` mapping (source type: label or null)"])
    source = raw.get("source", Path(file).stem)
    problems: list[str] = []
    if not isinstance(source, str) or not source.strip():
        problems.append(f"{file}: key `source` must be a non-empty string, got {source!r}")
    labels: dict[str, str | None] = {}
    allowed = ", ".join(schema.entity_labels)
    for key, label in raw["labels"].items():
        name = str(key)
        if label is not None and label not in schema.entity_labels:
            problems.append(f"{file}: key `labels.{name}`: {label!r} is not a schema label ({allowed}) nor null")
        elif not name or any(ch.isspace() for ch in name) or name.startswith(("B-", "I-")) or name == OUTSIDE:
            problems.append(f"{file}: key `labels.{name}`: a source type is a tag without its B-/I- prefix")
        else:
            labels[name] = label
    native = raw.get("native_labels") or []
    if not isinstance(native, list) or not all(isinstance(t, str) and t in labels for t in native):
        problems.append(f"{file}: key `native_labels` must list source types named under `labels:`, got {native!r}")
    unannotated = raw.get("unannotated") or []
    if not isinstance(unannotated, list) or not all(t in schema.entity_labels for t in unannotated):
        problems.append(f"{file}: key `unannotated` must list schema labels ({allowed}), got {unannotated!r}")
    if problems:
        raise CorpusError(problems)
    return LabelMap(str(source), labels, file, tuple(native), tuple(sorted(set(unannotated))))


def load_label_map(path: Path, schema: Schema) -> LabelMap:
    import yaml

    text = read_input_text(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise CorpusError([f"{path}:{where} not valid YAML ({getattr(err, 'problem', None) or err})"]) from None
    return parse_label_map(raw, str(path), schema)


def native_label_map(label_map: LabelMap) -> LabelMap:
    """The map that keeps the corpus's own types (`native_labels:`) as they are: PERS stays PERS."""
    if not label_map.native:
        raise CorpusError([f"{label_map.file}: no `native_labels:` list, so the corpus's own labels are not declared"])
    # The corpus annotates all of its own types: nothing is unannotated on its own label set.
    return LabelMap(label_map.source, {t: t for t in label_map.native}, label_map.file, label_map.native)


def native_schema(schema: Schema, label_map_file: Path) -> Schema:
    """The schema a run on a corpus's own labels uses (data.labels=configs/corpus/NAME.yaml): its entity
    labels are the corpus's `native_labels`; stance and holders keep the gold schema's (such a run never uses them)."""
    return schema.with_entity_labels(native_label_map(load_label_map(label_map_file, schema)).native)


# --------------------------------------------------------------------------- source sentences


@dataclass
class SourceSentence:
    """One sentence as the source wrote it, with where each token came from (for error messages)."""

    doc_id: str
    tokens: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # "FILE:LINE" (CoNLL) or "NAME[split] row R" (hf)


def parse_conll(text: str, file: str, source: str) -> list[SourceSentence]:
    """Sentences of a two-column CoNLL text (`token tag`, space or tab; blank line between sentences).

    `-DOCSTART-` lines start a new document: ours (`-DOCSTART- O <doc_id>`, from `gold convert --to
    conll`) keep their id, others are numbered `<source>-<n>`.
    """
    sentences: list[SourceSentence] = []
    problems: list[str] = []
    doc_index = 0
    doc_id = f"{source}-0"
    current = SourceSentence(doc_id)

    def flush() -> None:
        nonlocal current
        if current.tokens:
            sentences.append(current)
        current = SourceSentence(doc_id)

    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        fields = line.split()
        if all(is_blank(ch) for ch in line):  # also a line of bidi marks or a lone byte-order mark
            flush()
            continue
        if fields[0] == DOCSTART:
            flush()
            if sentences and sentences[-1].doc_id == doc_id:
                doc_index += 1  # the document so far had sentences: the next one gets a new number
            doc_id = fields[2] if len(fields) == 3 and fields[1] == OUTSIDE else f"{source}-{doc_index}"
            current = SourceSentence(doc_id)
            continue
        if len(fields) != 2:
            what = "no tag" if len(fields) == 1 else f"{len(fields)} columns (nested tags? use a flat release)"
            problems.append(f"{file}:{number}: expected `token tag`, got {what}: {line.strip()!r}")
            continue
        current.tokens.append(fields[0])
        current.tags.append(fields[1])
        current.places.append(f"{file}:{number}")
    flush()
    if problems:
        raise CorpusError(problems)
    return sentences


def read_conll_file(path: Path, source: str) -> list[SourceSentence]:
    return parse_conll(read_input_text(path), str(path), source)


# --------------------------------------------------------------------------- tags


def split_tag(tag: str) -> tuple[str, str] | None:
    """("B"|"I", type) of an IOB tag, ("", "") for O, None when it is not an IOB tag."""
    if tag == OUTSIDE:
        return "", ""
    match = IOB_TAG.fullmatch(tag)
    return (match["prefix"], match["type"]) if match else None


def to_iob2(tags: Sequence[str], strict: bool = False) -> tuple[list[str], list[tuple[int, str]]]:
    """IOB1 or IOB2 tags → IOB2, and the (token index, message) of every tag that cannot be read.

    An `I-X` after `O` or after another type starts an entity (IOB1); with `strict` it is a problem.
    """
    out: list[str] = []
    problems: list[tuple[int, str]] = []
    previous = ""
    for i, tag in enumerate(tags):
        parts = split_tag(tag)
        if parts is None:
            problems.append((i, f"{tag!r} is not an IOB tag (O, B-TYPE or I-TYPE)"))
            out.append(OUTSIDE)
            previous = ""
            continue
        prefix, kind = parts
        if prefix == "I" and previous != kind:
            if strict:
                problems.append((i, f"{tag!r} does not continue a {kind} entity (strict IOB2)"))
            prefix = "B"
        out.append(f"{prefix}-{kind}" if kind else OUTSIDE)
        previous = kind
    return out, problems


def iob1_starts(tags: Sequence[str]) -> list[int]:
    """Indices of the `I-X` tags that do not continue an `X` entity (after `O`, another type, or first in
    the sentence): IOB1 starts, or repairs of a broken IOB2 file. `to_iob2` reads each as the start of a
    mention, as conlleval does; the converter counts them so that the repair is never silent."""
    starts: list[int] = []
    previous = ""
    for i, tag in enumerate(tags):
        parts = split_tag(tag)
        prefix, kind = parts if parts is not None else ("", "")
        if prefix == "I" and previous != kind:
            starts.append(i)
        previous = kind
    return starts


def source_file(place: str) -> str:
    """The file (or dataset split) part of a token's place: "FILE:LINE" → FILE, "NAME[split] row R" → NAME[split]."""
    return place.rsplit(" row ", 1)[0] if " row " in place else place.rsplit(":", 1)[0]


@dataclass
class Repairs:
    """Per input file: the places of the `I-` tags read as mention starts, and the sentences holding one."""

    places: dict[str, list[str]] = field(default_factory=dict)
    sentences: Counter[str] = field(default_factory=Counter)

    def add(self, sentence: SourceSentence, indices: Sequence[int]) -> None:
        if not indices:
            return
        file = source_file(sentence.places[indices[0]])
        self.places.setdefault(file, []).extend(sentence.places[i] for i in indices)
        self.sentences[file] += 1

    def lines(self) -> list[str]:
        return [
            f"repaired in {file}: {len(places):,} I- tag{'s' if len(places) != 1 else ''} with no B- before "
            f"{'them' if len(places) != 1 else 'it'} ({self.sentences[file]:,} sentence"
            f"{'s' if self.sentences[file] != 1 else ''}) read as the start of a mention, as conlleval reads "
            f"them; first at {places[0]}"
            for file, places in self.places.items()
        ]


def map_iob2(tags: Sequence[str], labels: dict[str, str | None]) -> list[str]:
    """IOB2 source tags → IOB2 schema tags; a dropped type's tokens become O. Every type must be in `labels`."""
    mapped: list[str] = []
    for tag in tags:
        if tag == OUTSIDE:
            mapped.append(OUTSIDE)
            continue
        prefix, kind = tag.split("-", 1)
        label = labels[kind]
        mapped.append(OUTSIDE if label is None else f"{prefix}-{label}")
    return mapped


# --------------------------------------------------------------------------- conversion


@dataclass
class Conversion:
    records: list[Record]
    mentions: Counter[str]  # source type → entity mentions (after IOB2 normalisation)
    tokens: int
    repairs: Repairs = field(default_factory=Repairs)


def convert_sentences(
    sentences: Iterable[SourceSentence], label_map: LabelMap, strict_iob2: bool = False
) -> Conversion:
    """Records for every sentence, or a CorpusError listing every unreadable tag and unmapped type."""
    records: list[Record] = []
    mentions: Counter[str] = Counter()
    problems: list[str] = []
    unmapped_seen: set[str] = set()
    sentence_ids: Counter[str] = Counter()
    repairs = Repairs()
    tokens = 0
    for sentence in sentences:
        iob2, tag_problems = to_iob2(sentence.tags, strict_iob2)
        problems += [f"{sentence.places[i]}: {message}" for i, message in tag_problems]
        if not strict_iob2:
            repairs.add(sentence, iob1_starts(sentence.tags))
        problems += [
            f"{sentence.places[i]}: token {token!r} shows nothing (invisible characters only: "
            f"{' '.join(f'U+{ord(ch):04X}' for ch in token)}); remove the line"
            for i, token in enumerate(sentence.tokens)
            if not fold(token).strip()
        ]
        for i, tag in enumerate(iob2):
            if tag == OUTSIDE:
                continue
            prefix, kind = tag.split("-", 1)
            if kind not in label_map.labels:
                if kind not in unmapped_seen:  # once per type: a big corpus would repeat it thousands of times
                    unmapped_seen.add(kind)
                    problems.append(
                        f"{sentence.places[i]}: type {kind!r} (tag {sentence.tags[i]!r}) is not named in "
                        f"{label_map.file}; add `{kind}: <label>` or `{kind}: null` under `labels:`"
                    )
            elif prefix == "B":
                mentions[kind] += 1
        if problems:
            continue
        tokens += len(sentence.tokens)
        records.append(
            {
                "doc_id": sentence.doc_id,
                "sentence_id": sentence_ids[sentence.doc_id],
                "tokens": list(sentence.tokens),
                "ner_tags": map_iob2(iob2, label_map.labels),
                "source": label_map.source,
            }
            | ({"unannotated": list(label_map.unannotated)} if label_map.unannotated else {})
        )
        sentence_ids[sentence.doc_id] += 1
    if problems:
        raise CorpusError(problems)
    if not records:
        raise CorpusError([f"{label_map.source}: no sentence to convert (empty input?)"])
    return Conversion(records, mentions, tokens, repairs)


def format_counts(conversion: Conversion, label_map: LabelMap) -> str:
    """Per source type: mentions and what they became (every type of the map, seen or not)."""
    rows = [("source type", "mentions", "→ label")]
    for kind, label in label_map.labels.items():
        rows.append((kind, f"{conversion.mentions.get(kind, 0):,}", label or "dropped (O)"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}" for a, b, c in rows]
    kept = sum(n for k, n in conversion.mentions.items() if label_map.labels.get(k))
    dropped = sum(conversion.mentions.values()) - kept
    docs = len({r["doc_id"] for r in conversion.records})
    lines.append(
        f"{len(conversion.records):,} sentences, {conversion.tokens:,} tokens, {docs:,} documents; "
        f"{kept:,} mentions kept, {dropped:,} dropped"
    )
    if label_map.unannotated:
        lines.append(
            f"unannotated (its O does not rule them out; used with data.partial_labels=true): "
            f"{', '.join(label_map.unannotated)}"
        )
    lines += conversion.repairs.lines()
    return "\n".join(lines) + "\n"
