"""partial_match_scores (nervaluate 1.x) on a hand-checked two-document case.

nervaluate's rules (SemEval-2013 9.1), end offsets inclusive:
  strict   correct = same span + type; overlap otherwise -> incorrect
  exact    correct = same span, any type; overlap otherwise -> incorrect
  partial  correct = same span; overlap otherwise -> partial (worth 0.5); type ignored
  ent_type correct = overlap + same type; overlap with another type -> incorrect
  unmatched pred -> spurious, unmatched gold -> missed
  possible = correct + incorrect + partial + missed; actual = correct + incorrect + partial + spurious
  P = (correct [+ .5 partial]) / actual, R = (...) / possible  (the .5 only for partial, ent_type)
"""

from __future__ import annotations

import pytest

from arastance.scoring.scorer import NERVALUATE_STRATEGIES, entity_spans, partial_match_scores

TOL = 1e-6
LABELS = ["LOC", "ORG", "PER"]

GOLD = [
    [{"label": "PER", "start": 0, "end": 2}, {"label": "LOC", "start": 5, "end": 5}],
    [{"label": "LOC", "start": 0, "end": 1}],
]
PRED = [
    [{"label": "PER", "start": 0, "end": 1}, {"label": "ORG", "start": 5, "end": 5}],
    [{"label": "LOC", "start": 3, "end": 4}],
]
# doc 0: pred PER 0-1 overlaps gold PER 0-2 (same type, shorter); pred ORG 5 = gold LOC 5's span, other type.
# doc 1: pred LOC 3-4 does not touch gold LOC 0-1 -> spurious 1 and missed 1 under every strategy.
#
#            PER0-1 vs PER0-2   ORG5 vs LOC5   doc 1       counts (C, I, P, M, S)  possible actual
# strict     incorrect          incorrect      S+M         (0, 2, 0, 1, 1)         3        3   -> 0, 0, 0
# exact      incorrect          correct        S+M         (1, 1, 0, 1, 1)         3        3   -> 1/3
# partial    partial            correct        S+M         (1, 0, 1, 1, 1)         3        3   -> 1.5/3 = .5
# ent_type   correct            incorrect      S+M         (1, 1, 0, 1, 1)         3        3   -> 1/3
EXPECTED_OVERALL = {
    "strict": ((0, 2, 0, 1, 1), 0.0),
    "exact": ((1, 1, 0, 1, 1), 1 / 3),
    "partial": ((1, 0, 1, 1, 1), 0.5),
    "ent_type": ((1, 1, 0, 1, 1), 1 / 3),
}
# Per label (only that label's entities on both sides):
#  PER: one pred 0-1 vs one gold 0-2 -> strict/exact incorrect (0); partial 0.5/1 = .5; ent_type correct (1).
#  LOC: gold LOC5 missed (no LOC pred in doc 0), doc 1 spurious + missed -> C0 possible 2 actual 1 -> 0.
#  ORG: pred ORG5 with no ORG gold -> spurious -> 0.
EXPECTED_PER_LABEL = {
    "PER": {"strict": 0.0, "exact": 0.0, "partial": 0.5, "ent_type": 1.0},
    "LOC": dict.fromkeys(NERVALUATE_STRATEGIES, 0.0),
    "ORG": dict.fromkeys(NERVALUATE_STRATEGIES, 0.0),
}


def test_overall_hand_checked() -> None:
    result = partial_match_scores(GOLD, PRED, LABELS)
    assert set(result) == {"overall", "per_label"}
    assert set(result["overall"]) == set(NERVALUATE_STRATEGIES)
    for strategy, (counts, prf) in EXPECTED_OVERALL.items():
        row = result["overall"][strategy]
        assert tuple(row[k] for k in ("correct", "incorrect", "partial", "missed", "spurious")) == counts, strategy
        assert (row["possible"], row["actual"]) == (3, 3)
        for metric in ("precision", "recall", "f1"):  # P = R here, so F = P as well
            assert row[metric] == pytest.approx(prf, abs=TOL), (strategy, metric)


def test_per_label_hand_checked() -> None:
    result = partial_match_scores(GOLD, PRED, LABELS)
    assert list(result["per_label"]) == LABELS
    for label, expected in EXPECTED_PER_LABEL.items():
        for strategy, value in expected.items():
            row = result["per_label"][label][strategy]
            for metric in ("precision", "recall", "f1"):
                assert row[metric] == pytest.approx(value, abs=TOL), (label, strategy, metric)
    loc = result["per_label"]["LOC"]["strict"]
    assert (loc["missed"], loc["spurious"], loc["possible"], loc["actual"]) == (2, 1, 2, 1)
    per_partial = result["per_label"]["PER"]["partial"]
    assert (per_partial["partial"], per_partial["possible"], per_partial["actual"]) == (1, 1, 1)


def test_unrequested_labels_are_ignored_and_unused_requested_labels_are_zero() -> None:
    # Only PER scored: ORG and LOC entities vanish from both sides; DATE is requested but unused.
    result = partial_match_scores(GOLD, PRED, ["PER", "DATE"])
    assert list(result["per_label"]) == ["DATE", "PER"]
    assert result["per_label"]["DATE"]["strict"]["possible"] == 0
    assert result["per_label"]["DATE"]["partial"]["f1"] == 0.0
    assert result["overall"]["partial"]["f1"] == pytest.approx(0.5, abs=TOL)  # PER alone: .5/1


@pytest.mark.parametrize(
    "gold,pred",
    [([], []), ([[]], [[]]), ([[], [{"label": "PER", "start": 0, "end": 0}]], [[], []])],
)
def test_empty_inputs_zero_filled(gold: list, pred: list) -> None:
    # nervaluate alone: no strategies for [], and its loader auto-detection fails on a first empty doc.
    result = partial_match_scores(gold, pred, ["PER"])
    for strategy in NERVALUATE_STRATEGIES:
        assert result["overall"][strategy]["precision"] == 0.0
        assert result["overall"][strategy]["f1"] == 0.0
        assert result["per_label"]["PER"][strategy]["recall"] == 0.0


def test_from_conll_tags() -> None:
    # The CoNLL bridge: conlleval spans of gold "B-PER I-PER I-PER" vs pred "B-PER I-PER O".
    gold = [entity_spans(["B-PER", "I-PER", "I-PER"], "conlleval")]
    pred = [entity_spans(["B-PER", "I-PER", "O"], "conlleval")]
    result = partial_match_scores(gold, pred, ["PER"])
    assert result["overall"]["strict"]["f1"] == 0.0
    assert result["overall"]["partial"]["f1"] == pytest.approx(0.5, abs=TOL)


@pytest.mark.parametrize(
    "gold,pred,message",
    [
        ([[]], [], "1 documents but predictions have 0"),
        ([[{"label": "PER", "start": 3, "end": 1}]], [[]], "gold document 0, entity 0: start/end"),
        ([[]], [[{"label": "PER", "start": 0}]], "predicted document 0, entity 0: expected a dict"),
    ],
)
def test_invalid_spans(gold: list, pred: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        partial_match_scores(gold, pred, ["PER"])
