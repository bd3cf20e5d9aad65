"""classification_scores (stance) on hand-checked confusion matrices."""

from __future__ import annotations

import math

import pytest

from arastance.scoring.scorer import classification_scores

TOL = 1e-6
CLASSES = ["PRO_STAY", "PRO_WITHDRAWAL", "NONE"]
S, W, N = CLASSES


def test_hand_checked_three_classes() -> None:
    gold = [S, S, S, W, W, N, N, N]
    pred = [S, S, W, W, N, N, N, S]
    # confusion (rows gold, cols pred; order S, W, N):
    #   S: [2, 1, 0]   W: [0, 1, 1]   N: [1, 0, 2]
    # S: P 2/3 (col 2+0+1), R 2/3 -> F 2/3.  W: P 1/2 (col 1+1+0), R 1/2 -> F 1/2.
    # N: P 2/3 (col 0+1+2), R 2/3 -> F 2/3.  macro F = (2/3 + 1/2 + 2/3)/3 = 11/18.
    # stance_eval_f1 = (2/3 + 1/2)/2 = 7/12.  accuracy = (2+1+2)/8 = 5/8.
    result = classification_scores(gold, pred, CLASSES)
    assert list(result) == ["per_label", "macro_f1", "stance_eval_f1", "accuracy", "confusion_matrix"]
    assert result["confusion_matrix"] == {"labels": CLASSES, "matrix": [[2, 1, 0], [0, 1, 1], [1, 0, 2]]}
    expected = {S: (2 / 3, 2 / 3, 2 / 3, 3), W: (0.5, 0.5, 0.5, 2), N: (2 / 3, 2 / 3, 2 / 3, 3)}
    assert list(result["per_label"]) == CLASSES
    for label, (p, r, f, support) in expected.items():
        row = result["per_label"][label]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((p, r, f), abs=TOL)
        assert row["support"] == support
    assert result["macro_f1"] == pytest.approx(11 / 18, abs=TOL)
    assert result["stance_eval_f1"] == pytest.approx(7 / 12, abs=TOL)
    assert result["accuracy"] == pytest.approx(5 / 8, abs=TOL)


def test_asymmetric_precision_recall_and_absent_class() -> None:
    gold = [S, S, S, S, N]
    pred = [S, N, N, N, N]
    # S: col S = 1 (tp 1) -> P 1, R 1/4 -> F 2*1*.25/1.25 = .4.
    # N: col N = 4 (tp 1) -> P 1/4, R 1 -> F .4.   W: never seen -> 0, support 0.
    # macro over all three classes = (.4 + 0 + .4)/3 = .8/3; stance_eval = (.4 + 0)/2 = .2; acc 2/5.
    result = classification_scores(gold, pred, CLASSES)
    s, w, n = (result["per_label"][c] for c in CLASSES)
    assert (s["precision"], s["recall"], s["f1"]) == pytest.approx((1, 0.25, 0.4), abs=TOL)
    assert (n["precision"], n["recall"], n["f1"]) == pytest.approx((0.25, 1, 0.4), abs=TOL)
    assert w == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert result["macro_f1"] == pytest.approx(0.8 / 3, abs=TOL)
    assert result["stance_eval_f1"] == pytest.approx(0.2, abs=TOL)
    assert result["accuracy"] == pytest.approx(0.4, abs=TOL)


def test_stance_eval_f1_only_with_both_stance_classes() -> None:
    result = classification_scores(["a", "b"], ["a", "a"], ["a", "b"])
    # a: P 1/2 R 1 F 2/3; b: P 0 (no predictions) R 0 F 0 -> macro 1/3.
    assert "stance_eval_f1" not in result
    assert result["macro_f1"] == pytest.approx(1 / 3, abs=TOL)
    assert "stance_eval_f1" not in classification_scores([S], [S], [S, N])


def test_empty_inputs_are_zero_not_nan() -> None:
    result = classification_scores([], [], CLASSES)
    assert result["accuracy"] == 0.0 and result["macro_f1"] == 0.0 and result["stance_eval_f1"] == 0.0
    assert result["confusion_matrix"]["matrix"] == [[0, 0, 0]] * 3
    empty = classification_scores([], [], [])
    assert empty["macro_f1"] == 0.0 and not math.isnan(empty["accuracy"])
    assert empty["confusion_matrix"] == {"labels": [], "matrix": []}


@pytest.mark.parametrize(
    "gold,pred,classes,message",
    [
        ([S], [], CLASSES, "1 items but predictions have 0"),
        ([S], ["AGAINST"], CLASSES, "not among classes .*AGAINST"),
        ([S], [S], [S, S], "duplicates"),
    ],
)
def test_invalid_inputs(gold: list, pred: list, classes: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classification_scores(gold, pred, classes)
