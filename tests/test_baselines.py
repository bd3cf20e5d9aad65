"""Gazetteer and majority-class baselines on hand-built cases."""

from __future__ import annotations

from arastance.evaluation.baselines import build_gazetteer, entity_mentions, gazetteer_tags, majority_class
from arastance.scoring.metrics import ner_metrics


def test_mentions_follow_strict_iob2() -> None:
    tokens = ["قوات", "سوريا", "الديمقراطية", "في", "الحسكة"]
    tags = ["B-ORG", "I-ORG", "I-ORG", "O", "B-GPE"]
    assert entity_mentions(tokens, tags) == [(("قوات", "سوريا", "الديمقراطية"), "ORG"), (("الحسكة",), "GPE")]
    assert entity_mentions(["a", "b"], ["O", "I-PER"]) == []  # a stray I- is no entity (strict)


def test_most_frequent_label_wins_and_ties_are_alphabetical() -> None:
    gazetteer = build_gazetteer(
        [(("سوريا",), "GPE"), (("سوريا",), "GPE"), (("سوريا",), "LOC"), (("واشنطن",), "ORG"), (("واشنطن",), "GPE")]
    )
    assert gazetteer[("سوريا",)] == "GPE"
    assert gazetteer[("واشنطن",)] == "GPE"  # 1-1 tie: GPE < ORG


def test_longest_match_first_and_word_aligned() -> None:
    gazetteer = build_gazetteer([(("سوريا",), "GPE"), (("قوات", "سوريا", "الديمقراطية"), "ORG"), (("قسد",), "ORG")])
    tokens = ["قوات", "سوريا", "الديمقراطية", "و", "سوريا", "لسوريا", "قسد"]
    assert gazetteer_tags(tokens, gazetteer) == ["B-ORG", "I-ORG", "I-ORG", "O", "B-GPE", "O", "B-ORG"]


def test_partial_long_form_falls_back_to_shorter_entries() -> None:
    gazetteer = build_gazetteer([(("سوريا",), "GPE"), (("قوات", "سوريا", "الديمقراطية"), "ORG")])
    assert gazetteer_tags(["قوات", "سوريا", "الحرة"], gazetteer) == ["O", "B-GPE", "O"]
    assert gazetteer_tags([], gazetteer) == []
    assert gazetteer_tags(["x"], {}) == ["O"]


def test_gazetteer_output_scores_with_the_shared_functions() -> None:
    train = [(["قسد", "في", "الحسكة"], ["B-ORG", "O", "B-GPE"])]
    gazetteer = build_gazetteer(m for tokens, tags in train for m in entity_mentions(tokens, tags))
    test_tokens = [["قسد", "و", "دمشق"], ["الحسكة"]]
    gold = [["B-ORG", "O", "B-GPE"], ["B-GPE"]]
    pred = [gazetteer_tags(t, gazetteer) for t in test_tokens]
    assert pred == [["B-ORG", "O", "O"], ["B-GPE"]]
    scores = ner_metrics(gold, pred, ("ORG", "GPE"))
    assert scores["micro"]["precision"] == 1.0
    assert scores["micro"]["recall"] == 2 / 3
    assert scores["per_label"]["GPE"]["recall"] == 0.5


def test_majority_class() -> None:
    classes = ("PRO_STAY", "PRO_WITHDRAWAL", "NONE")
    assert majority_class(["NONE", "PRO_STAY", "NONE"], classes) == "NONE"
    assert majority_class(["NONE", "PRO_STAY"], classes) == "PRO_STAY"  # tie → classes order
    assert majority_class([], classes) == "NONE"
