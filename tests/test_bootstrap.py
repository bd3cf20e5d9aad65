"""Bootstrap intervals: counts reproduce the scorer, resampling is stratified by document and seeded,
intervals bracket the point estimate, and n=1000 is fast."""

from __future__ import annotations

import time

import numpy as np
import pytest

from arastance.evaluation import bootstrap as bs
from arastance.scoring.metrics import ner_metrics
from arastance.scoring.scorer import classification_scores


def point_scores(counts: bs.Counts) -> dict[str, np.ndarray]:
    """The scores on the sample itself: one replicate that draws every sentence once."""
    return {k: v[0] for k, v in bs.replicate_scores(counts, np.ones((1, len(counts.tp)))).items()}


LABELS = ("PER", "ORG", "GPE")

# Three documents; per sentence: gold tags, predicted tags.
NER_CASE = [
    ("d1", ["B-PER", "I-PER", "O", "B-ORG"], ["B-PER", "I-PER", "O", "B-ORG"]),  # 2 tp
    ("d1", ["B-GPE", "O"], ["B-GPE", "O"]),  # 1 tp
    ("d1", ["O", "B-ORG", "I-ORG"], ["O", "B-ORG", "O"]),  # boundary: fp + fn
    ("d2", ["B-PER", "O", "B-GPE"], ["B-PER", "O", "B-ORG"]),  # tp PER, type error GPE→ORG
    ("d2", ["O", "O"], ["B-PER", "O"]),  # fp PER
    ("d3", ["B-ORG", "O", "B-ORG"], ["B-ORG", "O", "B-ORG"]),  # 2 tp
    ("d3", ["B-GPE", "I-GPE"], ["O", "O"]),  # fn GPE
    ("d3", ["B-PER"], ["B-PER"]),  # tp
]


def _ner_inputs() -> tuple[list[str], list[list[str]], list[list[str]]]:
    return [d for d, _, _ in NER_CASE], [g for _, g, _ in NER_CASE], [p for _, _, p in NER_CASE]


def test_ner_counts_reproduce_the_scorer() -> None:
    _, gold, pred = _ner_inputs()
    counts = bs.ner_counts(gold, pred, LABELS)
    point = point_scores(counts)
    reference = ner_metrics(gold, pred, LABELS)
    assert point["micro_f1"] == pytest.approx(reference["micro"]["f1"])
    for j, label in enumerate(LABELS):
        for metric in ("precision", "recall", "f1"):
            assert point[metric][j] == pytest.approx(reference["per_label"][label][metric])


def test_labels_outside_the_list_still_count_towards_micro() -> None:
    counts = bs.ner_counts([["B-DATE", "O"]], [["B-DATE", "O"]], ("PER",))
    assert counts.labels == ("PER", "DATE")
    assert point_scores(counts)["micro_f1"] == 1.0


def test_stance_counts_reproduce_classification_scores() -> None:
    classes = ("PRO_STAY", "PRO_WITHDRAWAL", "NONE")
    gold = ["PRO_STAY", "NONE", "NONE", "PRO_WITHDRAWAL", "NONE", "PRO_STAY"]
    pred = ["PRO_STAY", "NONE", "PRO_STAY", "NONE", "NONE", "NONE"]
    counts = bs.stance_counts(gold, pred, classes)
    point = point_scores(counts)
    reference = classification_scores(gold, pred, classes)
    assert point["macro_f1"] == pytest.approx(reference["macro_f1"])
    assert point["micro_f1"] == pytest.approx(reference["accuracy"])  # single-label: micro = accuracy
    assert float(bs.stance_eval_f1(point["f1"], classes)) == pytest.approx(reference["stance_eval_f1"])


def test_resampling_keeps_each_documents_size_and_is_seeded() -> None:
    groups = ["a", "a", "b", "b", "b", "c"]
    weights = bs.resample_weights(groups, 200, seed=7)
    assert weights.shape == (200, 6)
    assert (weights[:, :2].sum(axis=1) == 2).all()
    assert (weights[:, 2:5].sum(axis=1) == 3).all()
    assert (weights[:, 5] == 1).all()  # a one-sentence document is always drawn once
    assert np.array_equal(weights, bs.resample_weights(groups, 200, seed=7))
    assert not np.array_equal(weights, bs.resample_weights(groups, 200, seed=8))


def test_intervals_are_deterministic_and_contain_the_point_estimate() -> None:
    docs, gold, pred = _ner_inputs()
    counts = bs.ner_counts(gold, pred, LABELS)
    point = point_scores(counts)

    def run(seed: int) -> dict:
        return bs.ner_intervals(counts, bs.resample_weights(docs, 500, seed), 0.95, LABELS)

    first = run(0)
    assert first == run(0)
    assert first != run(1)
    micro = first["micro"]["f1"]
    assert micro["low"] <= float(point["micro_f1"]) <= micro["high"]
    assert micro["low"] < micro["high"]
    assert first["headline"] == micro
    for j, label in enumerate(LABELS):
        interval = first["per_label"][label]["f1"]
        assert 0.0 <= interval["low"] <= float(point["f1"][j]) <= interval["high"] <= 1.0


def test_stance_intervals_contain_the_point_estimate() -> None:
    classes = ("PRO_STAY", "PRO_WITHDRAWAL", "NONE")
    gold = ["PRO_STAY", "NONE", "NONE", "NONE", "PRO_WITHDRAWAL", "NONE", "PRO_STAY", "NONE"] * 3
    pred = ["PRO_STAY", "NONE", "PRO_STAY", "NONE", "NONE", "NONE", "PRO_STAY", "NONE"] * 3
    docs = ["a"] * 8 + ["b"] * 8 + ["c"] * 8
    counts = bs.stance_counts(gold, pred, classes)
    intervals = bs.stance_intervals(counts, bs.resample_weights(docs, 1000, 0), 0.95)
    reference = classification_scores(gold, pred, classes)
    assert intervals["macro_f1"]["low"] <= reference["macro_f1"] <= intervals["macro_f1"]["high"]
    assert intervals["accuracy"]["low"] <= reference["accuracy"] <= intervals["accuracy"]["high"]
    assert intervals["headline"] == intervals["macro_f1"]
    assert set(intervals["per_label"]) == set(classes)


def test_a_perfect_system_has_a_degenerate_interval() -> None:
    gold = [["B-PER"], ["B-ORG", "O"]]
    counts = bs.ner_counts(gold, gold, LABELS)
    intervals = bs.ner_intervals(counts, bs.resample_weights(["a", "b"], 100, 0), 0.95, LABELS)
    assert intervals["micro"]["f1"] == {"low": 1.0, "high": 1.0}


def test_paired_difference_of_a_system_with_itself_is_zero() -> None:
    docs, gold, pred = _ner_inputs()
    counts = bs.ner_counts(gold, pred, LABELS)
    weights = bs.resample_weights(docs, 300, 0)
    diff = bs.paired_difference("ner", counts, counts, weights, LABELS, 0.95)
    assert diff["difference"] == 0.0 and diff["low"] == 0.0 and diff["high"] == 0.0
    perfect = bs.ner_counts(gold, gold, LABELS)
    better = bs.paired_difference("ner", perfect, counts, weights, LABELS, 0.95)
    assert better["difference"] > 0 and better["low"] >= 0 and better["share_replicates_model_better"] > 0.9


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        bs.BootstrapSettings(n=0)
    with pytest.raises(ValueError):
        bs.BootstrapSettings(confidence=1.0)


def test_thousand_replicates_take_well_under_a_second() -> None:
    rng = np.random.default_rng(0)
    n_sentences, labels = 600, ("PER", "ORG", "GPE", "NORP", "LOC", "FAC", "QUANTITY", "DATE")
    shape = (n_sentences, len(labels))
    counts = bs.Counts(labels, rng.integers(0, 3, shape), rng.integers(0, 2, shape), rng.integers(0, 2, shape))
    docs = [i % 5 for i in range(n_sentences)]
    start = time.perf_counter()
    bs.ner_intervals(counts, bs.resample_weights(docs, 1000, 0), 0.95, labels)
    assert time.perf_counter() - start < 1.0
