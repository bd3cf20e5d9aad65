"""AraBERT v0.2 normalisation per word: the rules, and that gold spans keep their characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from arastance.corpus.normalize import get_normalizer, normalize_arabert_v02
from arastance.gold.convert import sentence_records
from arastance.gold.io import read_gold_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("هجوماً", "هجوما"),  # tanween removed
        ("المسيّرة", "المسيرة"),  # shadda removed
        ("القـ.ـوات", "الق . وات"),  # tatweel removed, punctuation spaced
        ("٢٠٢٤", "2024"),  # Eastern Arabic digits → ASCII
        ("و4", "و 4"),  # letters and digits separated
        ("جداااا", "جداا"),  # repetitions capped at two
        ("ـ", ""),  # a lone tatweel normalises to nothing
        ("\u064b", ""),  # a stray diacritic normalises to nothing
        ("Search", "Search"),
    ],
)
def test_arabert_v02_rules(word: str, expected: str) -> None:
    assert normalize_arabert_v02(word) == expected


def test_unknown_normalizer_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown normalization"):
        get_normalizer("farasa")


def test_every_gold_span_maps_back_to_exactly_its_characters() -> None:
    """Normalisation works on words, so a span's words' offsets reproduce its raw characters."""
    loaded = read_gold_dir(ROOT / "annotations" / "gold", ROOT / "annotations" / "documents")
    assert loaded.documents and not loaded.problems
    checked = 0
    for item in loaded.documents:
        doc = item.doc
        for record in sentence_records(doc):
            offsets = record["offsets"]
            first, last = offsets[0][0], offsets[-1][1]
            for entity in (e for e in doc.entities if first <= e.start and e.end <= last):
                inside = [(s, e) for s, e in offsets if entity.start <= s and e <= entity.end]
                assert inside[0][0] == entity.start and inside[-1][1] == entity.end
                assert doc.text[inside[0][0] : inside[-1][1]] == entity.text
                # The model sees the normalised words; every word of the span is still there.
                assert all(normalize_arabert_v02(doc.text[s:e]) or doc.text[s:e] for s, e in inside)
                checked += 1
    assert checked == sum(len(item.doc.entities) for item in loaded.documents)
