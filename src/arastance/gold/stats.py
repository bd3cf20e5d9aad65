"""Descriptive statistics of the gold set: what `arastance gold stats` prints (tables, or --json).

Sentence lengths count words: tokens of `tokenize_words` that hold a letter or digit, so that
punctuation tokens (split off by the tokenizer) do not lengthen a sentence.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from arastance.corpus.segment import tokenize_words
from arastance.gold.model import GoldDocument
from arastance.schema import Schema


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def sentence_lengths(doc: GoldDocument) -> list[int]:
    return [
        sum(1 for t in tokenize_words(doc.text, s.start, s.end) if _is_word(t.text))
        for s in sorted(doc.sentences, key=lambda s: s.start)
    ]


def compute_stats(docs: Sequence[GoldDocument], schema: Schema) -> dict[str, Any]:
    """A JSON-ready summary. Labels and stances are listed in schema order, zeros included."""
    labels = list(schema.entity_labels)
    extra = sorted({e.label for d in docs for e in d.entities} - set(labels))  # invalid gold still counts
    labels += extra
    per_document = []
    totals: Counter[str] = Counter()
    for doc in docs:
        counts = Counter(e.label for e in doc.entities)
        totals.update(counts)
        per_document.append(
            {
                "doc_id": doc.doc_id,
                "entities": {label: counts.get(label, 0) for label in labels},
                "total": len(doc.entities),
            }
        )
    sentence_stance = Counter(s.stance for d in docs for s in d.sentences)
    doc_stance = Counter(d.doc_stance for d in docs)
    lengths = [n for d in docs for n in sentence_lengths(d)]
    holders = [s for d in docs for s in d.sentences if s.holder is not None]
    return {
        "documents": len(docs),
        "sentences": sum(len(d.sentences) for d in docs),
        "entities": {
            "total": sum(totals.values()),
            "per_label": {label: totals.get(label, 0) for label in labels},
            "per_document": per_document,
        },
        "stance": {
            "sentences": _ordered(sentence_stance, schema.stance_classes),
            "documents": _ordered(doc_stance, schema.document_stance_classes),
        },
        "sentence_length_words": _summary(lengths),
        "holders": {
            "total": len(holders),
            "per_stance": _ordered(Counter(s.stance for s in holders), schema.stance_classes),
            "without_holder": sum(len(d.sentences) for d in docs) - len(holders),
        },
    }


def _ordered(counts: Counter[str], order: Sequence[str]) -> dict[str, int]:
    out = {label: counts.get(label, 0) for label in order}
    out.update({label: n for label, n in sorted(counts.items()) if label not in out})
    return out


def _summary(values: list[int]) -> dict[str, float | int | None]:
    if not values:
        return {"min": None, "median": None, "mean": None, "max": None}
    return {
        "min": min(values),
        "median": statistics.median(values),
        "mean": round(statistics.fmean(values), 2),
        "max": max(values),
    }


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: first column left-aligned, numbers right-aligned."""
    cells = [[str(c) for c in header]] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(cells[0]), rule, *(fmt(r) for r in cells[1:])])


def format_stats(stats: dict[str, Any]) -> str:
    entities = stats["entities"]
    labels = list(entities["per_label"])
    blocks = [
        f"{stats['documents']} documents, {stats['sentences']} sentences, {entities['total']} entities",
        "Entities per label\n" + table(["label", "count"], [[label, n] for label, n in entities["per_label"].items()]),
        "Entities per document\n"
        + table(
            ["doc_id", *labels, "total"],
            [[d["doc_id"], *(d["entities"][label] for label in labels), d["total"]] for d in entities["per_document"]]
            + [["TOTAL", *(entities["per_label"][label] for label in labels), entities["total"]]],
        ),
        "Stance\n"
        + table(
            ["stance", "sentences", "documents"],
            [
                [label, stats["stance"]["sentences"].get(label, 0), stats["stance"]["documents"].get(label, 0)]
                for label in dict.fromkeys([*stats["stance"]["sentences"], *stats["stance"]["documents"]])
            ],
        ),
        "Sentence length (words)\n"
        + table(["min", "median", "mean", "max"], [list(stats["sentence_length_words"].values())]),
        "Holders\n"
        + table(
            ["stance", "with holder"],
            [[label, n] for label, n in stats["holders"]["per_stance"].items()]
            + [["total", stats["holders"]["total"]]],
        )
        + f"\n{stats['holders']['without_holder']} sentences without a holder (the article's own voice)",
    ]
    return "\n\n".join(blocks) + "\n"
