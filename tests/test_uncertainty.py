"""`arastance preannotate --rank uncertainty`: the scores on synthetic probabilities, the ranking,
and the command end to end on tiny models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from arastance.cli import main
from arastance.predict.uncertainty import (
    Uncertainty,
    document_uncertainty,
    mean_low_margin,
    mean_word_entropy,
    normalised_entropy,
    rank_by_uncertainty,
)
from helpers.publish_runs import biased_copy, trained_runs

# --------------------------------------------------------------------------- pure scores


def test_entropy_is_zero_for_certainty_and_one_for_a_uniform_guess() -> None:
    rows = np.array([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]])
    assert normalised_entropy(rows) == pytest.approx([0.0, 1.0, math.log(2) / math.log(4)])


def test_word_entropy_is_the_mean_over_all_words_of_the_document() -> None:
    certain, unsure = [1.0, 0.0], [0.5, 0.5]
    # Three words in two sentences (one of 2 words, one of 1): a mean over words, not over sentences.
    assert mean_word_entropy([np.array([certain, certain]), np.array([unsure])]) == pytest.approx(1 / 3)
    assert mean_word_entropy([np.zeros((0, 2))]) is None


def test_stance_margin_signal() -> None:
    assert mean_low_margin([{"A": 1.0, "B": 0.0, "C": 0.0}]) == pytest.approx(0.0)
    assert mean_low_margin([{"A": 0.5, "B": 0.5, "C": 0.0}]) == pytest.approx(1.0)
    assert mean_low_margin([{"A": 0.6, "B": 0.3, "C": 0.1}, {"A": 0.2, "B": 0.2, "C": 0.6}]) == pytest.approx(
        ((1 - 0.3) + (1 - 0.4)) / 2
    )
    assert mean_low_margin([]) is None


def test_a_document_combines_the_signals_its_models_give() -> None:
    result = {"sentences": [{"scores": {"A": 0.5, "B": 0.5}}]}
    both = document_uncertainty([np.array([[1.0, 0.0]])], result)
    assert (both.ner_entropy, both.stance_low_margin, both.score) == pytest.approx((0.0, 1.0, 0.5))
    ner_only = document_uncertainty([np.array([[0.5, 0.5]])], {"sentences": None})
    assert ner_only.stance_low_margin is None and ner_only.score == pytest.approx(1.0)
    assert document_uncertainty(None, result).ner_entropy is None
    assert Uncertainty(None, None).score == 0.0


def test_ranking_puts_the_most_uncertain_first_and_keeps_ties_in_order() -> None:
    tasks = [{"data": {"doc_id": name}} for name in "abcd"]
    scores = [Uncertainty(0.2, None), Uncertainty(0.9, 0.7), Uncertainty(0.2, None), Uncertainty(None, 0.5)]
    ranked = rank_by_uncertainty(tasks, scores)
    assert [t["data"]["doc_id"] for t in ranked] == ["b", "d", "a", "c"]
    assert ranked[0]["meta"] == {"uncertainty": 0.8, "ner_entropy": 0.9, "stance_low_margin": 0.7}
    assert ranked[1]["meta"] == {"uncertainty": 0.5, "stance_low_margin": 0.5}
    assert "meta" not in tasks[0]  # the input tasks are not changed


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = trained_runs(tmp_path_factory)
    ner = runs["ner_cv"] / "fold-0" / "best"
    return {
        "ner": ner,
        "stance": runs["stance_fixed"] / "best",
        "ner_sure": biased_copy(ner, tmp_path_factory.mktemp("sure") / "ner", "B-GPE"),  # every word B-GPE, certainly
    }


@pytest.fixture
def docs(tmp_path: Path) -> list[Path]:
    texts = [
        "قسد في الحسكة.\nواشنطن باقية.",
        "وتنشر واشنطن نحو 900 عسكري في سوريا، وقالت مصادر إن 300 جندي وصلوا.",
        "أميركا لن تنسحب من سوريا.",
    ]
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / f"new_{i}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    return paths


def preannotate(argv: list[str], out: Path) -> list[dict]:
    assert main(["preannotate", *argv, "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_rank_uncertainty_orders_the_tasks_and_records_the_score(
    models: dict[str, Path], docs: list[Path], tmp_path: Path
) -> None:
    argv = [*map(str, docs), "--ner", str(models["ner"]), "--stance", str(models["stance"])]
    plain = preannotate(argv, tmp_path / "plain.json")
    ranked = preannotate([*argv, "--rank", "uncertainty"], tmp_path / "ranked.json")

    assert all("meta" not in t for t in plain)  # the default order and tasks are unchanged
    scores = [t["meta"]["uncertainty"] for t in ranked]
    assert scores == sorted(scores, reverse=True)
    for task in ranked:
        meta = task["meta"]
        assert 0.0 <= meta["ner_entropy"] <= 1.0 and 0.0 <= meta["stance_low_margin"] <= 1.0
        assert meta["uncertainty"] == pytest.approx((meta["ner_entropy"] + meta["stance_low_margin"]) / 2, abs=1e-4)
    # The same tasks, reordered: nothing but meta was added.
    by_id = {t["data"]["doc_id"]: t for t in plain}
    assert sorted(by_id) == sorted(t["data"]["doc_id"] for t in ranked)
    for task in ranked:
        assert {k: v for k, v in task.items() if k != "meta"} == by_id[task["data"]["doc_id"]]


@pytest.mark.slow
def test_a_certain_model_scores_lower_than_an_unsure_one(
    models: dict[str, Path], docs: list[Path], tmp_path: Path
) -> None:
    unsure = preannotate([str(docs[1]), "--ner", str(models["ner"]), "--rank", "uncertainty"], tmp_path / "a.json")
    sure = preannotate([str(docs[1]), "--ner", str(models["ner_sure"]), "--rank", "uncertainty"], tmp_path / "b.json")
    assert sure[0]["meta"]["ner_entropy"] < 0.01 < unsure[0]["meta"]["ner_entropy"]
    assert "stance_low_margin" not in sure[0]["meta"]  # no stance model: the NER signal alone
    assert sure[0]["meta"]["uncertainty"] == sure[0]["meta"]["ner_entropy"]
