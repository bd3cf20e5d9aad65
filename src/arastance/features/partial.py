"""Partial labels: an `O` word of a corpus that does not annotate some of our labels.

ANERcorp has no DATE, QUANTITY or NORP, and its ORG leaves a country's forces `O`; trained as they are,
its sentences teach that every date and every force is not an entity. With `data.partial_labels=true`,
the `O` words of a record that names `unannotated` labels (written by `corpus convert` from the
corpus's label map) become a *partial tag*: the word is `O` or the start or inside of one of those
labels, and the loss is the negative log of the probability the model gives that whole set
(training/loop.py `partial_label_nll`), so the corpus says nothing about the labels it never tagged
while its own mentions and its other `O` words teach as before.

A partial tag is a tag string (`O~DATE,NORP`) with an id after the schema's tags: the encoder needs
nothing new, and the loss reads each id's allowed tags from `allowed_tags`. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

OUTSIDE = "O"
PARTIAL_PREFIX = "O~"


def partial_tag(labels: Iterable[str]) -> str:
    """The tag of an `O` word that may also be any of `labels` (one spelling per set)."""
    return PARTIAL_PREFIX + ",".join(sorted(set(labels)))


def partial_records(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with every `O` of a record that names `unannotated` labels turned into its partial tag."""
    out = []
    for record in records:
        unannotated = record.get("unannotated")
        if not unannotated:
            out.append(record)
            continue
        tag = partial_tag(unannotated)
        out.append(record | {"ner_tags": [tag if t == OUTSIDE else t for t in record["ner_tags"]]})
    return out


def training_label2id(label2id: Mapping[str, int], tags: Iterable[str]) -> dict[str, int]:
    """The schema's tag ids, then one id per partial tag among `tags`, in sorted order (deterministic)."""
    out = dict(label2id)
    for tag in sorted({t for t in tags if t.startswith(PARTIAL_PREFIX)}):
        out[tag] = len(out)
    return out


def allowed_tags(label2id: Mapping[str, int], n_labels: int) -> list[list[bool]]:
    """Per partial tag id (id - n_labels), which of the model's `n_labels` tags it allows: O, and B-/I-
    of each of its labels. [] when there is none (the loss is then plain cross-entropy)."""
    rows: list[list[bool]] = []
    for tag, index in sorted(label2id.items(), key=lambda item: item[1]):
        if index < n_labels:
            continue
        labels = set(tag.removeprefix(PARTIAL_PREFIX).split(","))
        allowed = {OUTSIDE} | {f"{p}-{label}" for label in labels for p in ("B", "I")}
        row = [False] * n_labels
        for name, i in label2id.items():
            if i < n_labels and name in allowed:
                row[i] = True
        rows.append(row)
    return rows


def unannotated_by_source(records: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """source → the labels its records leave unannotated (for metrics.json's data block and the card)."""
    out: dict[str, set[str]] = {}
    for record in records:
        if record.get("unannotated"):
            out.setdefault(str(record.get("source", "")), set()).update(record["unannotated"])
    return {source: sorted(labels) for source, labels in sorted(out.items())}
