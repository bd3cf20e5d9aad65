"""Gold statistics: counts per label and document, stance distribution, lengths, holders."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from arastance.gold.io import read_gold
from arastance.gold.model import Sentence
from arastance.gold.stats import compute_stats, format_stats, sentence_lengths, table

FIXTURES = Path(__file__).parent / "fixtures" / "gold"


def _base():
    return read_gold(FIXTURES / "gold").documents[0].doc


def test_counts(schema):
    base = _base()
    other = dataclasses.replace(base, doc_id="other", doc_stance="NONE", entities=base.entities[:2])
    stats = compute_stats([base, other], schema)
    assert stats["documents"] == 2 and stats["sentences"] == 6
    assert stats["entities"]["total"] == 12
    assert stats["entities"]["per_label"] == {
        "PER": 1,
        "ORG": 4,
        "GPE": 3,
        "NORP": 0,
        "LOC": 1,
        "FAC": 1,
        "QUANTITY": 1,
        "DATE": 1,
    }
    assert stats["entities"]["per_document"][1] == {
        "doc_id": "other",
        "entities": {"PER": 0, "ORG": 1, "GPE": 1, "NORP": 0, "LOC": 0, "FAC": 0, "QUANTITY": 0, "DATE": 0},
        "total": 2,
    }
    assert stats["stance"]["sentences"] == {"PRO_STAY": 4, "PRO_WITHDRAWAL": 0, "NONE": 2}
    assert stats["stance"]["documents"] == {"PRO_STAY": 1, "PRO_WITHDRAWAL": 0, "NONE": 1}
    assert stats["holders"] == {
        "total": 4,
        "per_stance": {"PRO_STAY": 2, "PRO_WITHDRAWAL": 0, "NONE": 2},
        "without_holder": 2,
    }


def test_sentence_lengths_count_words_not_punctuation():
    # "مصادر أمنية: لا خطة ..." has 9 words; ":" "." and the quotes around "قسد" are not counted
    assert sentence_lengths(_base()) == [9, 15, 13]


def test_length_summary(schema):
    text = "واحد اثنان ثلاثة.\nواحد.\nواحد اثنان."
    base = dataclasses.replace(
        _base(),
        text=text,
        entities=(),
        sentences=(Sentence(0, 17, "NONE"), Sentence(18, 23, "NONE"), Sentence(24, 35, "NONE")),
    )
    stats = compute_stats([base], schema)
    assert stats["sentence_length_words"] == {"min": 1, "median": 2, "mean": 2.0, "max": 3}
    assert compute_stats([], schema)["sentence_length_words"] == {
        "min": None,
        "median": None,
        "mean": None,
        "max": None,
    }


def test_unknown_labels_still_counted(schema):
    base = _base()
    odd = dataclasses.replace(base, entities=(dataclasses.replace(base.entities[0], label="EVENT"),))
    assert compute_stats([odd], schema)["entities"]["per_label"]["EVENT"] == 1


def test_format_stats_tables(schema):
    out = format_stats(compute_stats([_base()], schema))
    assert "1 documents, 3 sentences, 10 entities" in out
    assert "Entities per document" in out
    row = next(line for line in out.splitlines() if line.startswith("base "))
    assert row.split() == ["base", "1", "3", "2", "0", "1", "1", "1", "1", "10"]
    assert "PRO_STAY" in out and "sentences without a holder" in out


def test_table_alignment():
    assert table(["a", "n"], [["xx", 1], ["y", 10]]) == "a    n\n--  --\nxx   1\ny   10"
