"""Holder evaluation (evaluation/holders.py): exact-span accuracy, the always-null baseline, intervals."""

from __future__ import annotations

import numpy as np
import pytest

from arastance.evaluation.bootstrap import BootstrapSettings
from arastance.evaluation.holders import (
    HolderItem,
    holder_scores,
    holder_section_md,
    items_end_to_end,
    items_given_gold,
)
from arastance.gold.model import Entity, GoldDocument, Holder, Sentence
from arastance.holders.rules import RuleHolders, load_rules

SETTINGS = BootstrapSettings(n=200, seed=3, confidence=0.9)


def test_exact_span_and_null_agreement() -> None:
    h = Holder(5, 10, "xxxxx")
    assert HolderItem("d", None, None).correct
    assert HolderItem("d", h, Holder(5, 10, "xxxxx")).correct
    assert not HolderItem("d", h, Holder(5, 9, "xxxx")).correct
    assert not HolderItem("d", h, None).correct
    assert not HolderItem("d", None, h).correct


def test_scores_beside_the_always_null_baseline() -> None:
    h = Holder(0, 3, "abc")
    items = [
        HolderItem("a", h, h),
        HolderItem("a", None, None),
        HolderItem("b", h, None),
        HolderItem("b", None, h),
        HolderItem("b", h, h),
    ]
    scores = holder_scores(items, SETTINGS)
    expected = np.mean([i.correct for i in items])
    null = np.mean([i.gold is None for i in items])
    assert scores["n"] == 5 and scores["gold_holders"] == 3
    assert scores["accuracy"] == pytest.approx(expected)
    assert scores["null_baseline"]["accuracy"] == pytest.approx(null)
    assert scores["model_minus_baseline"]["difference"] == pytest.approx(expected - null)
    for block in (scores["ci"], scores["null_baseline"]["ci"]):
        assert 0.0 <= block["low"] <= block["high"] <= 1.0
    assert scores["ci"]["low"] <= scores["accuracy"] <= scores["ci"]["high"]


def test_a_document_whose_sentences_are_all_right_has_no_spread() -> None:
    h = Holder(0, 3, "abc")
    scores = holder_scores([HolderItem("a", h, h), HolderItem("a", None, None)], SETTINGS)
    assert scores["ci"] == {"low": 1.0, "high": 1.0}


def _doc() -> GoldDocument:
    first = "وقال الوزير لويد أوستن إن القوات باقية في سوريا."
    second = "القوات باقية في سوريا."
    text = f"{first} {second}"
    per = text.index("لويد أوستن")
    return GoldDocument(
        "d1",
        text,
        "PRO_STAY",
        entities=(Entity(per, per + len("لويد أوستن"), "PER", "لويد أوستن"),),
        sentences=(
            Sentence(0, len(first), "PRO_STAY", Holder(per, per + len("لويد أوستن"), "لويد أوستن")),
            Sentence(len(first) + 1, len(text), "PRO_STAY", None),
        ),
    )


def test_given_gold_and_end_to_end_items() -> None:
    doc = _doc()
    method = RuleHolders(load_rules())
    given = items_given_gold([doc], method, "NONE")
    assert [i.correct for i in given] == [True, True]
    per = doc.entities[0]
    entity = {"start": per.start, "end": per.end, "label": "PER", "text": per.text}
    # Predicted NONE: no holder, so the first sentence is wrong and the authorial one right.
    none = items_end_to_end(
        [doc], {"d1": [entity]}, {"d1": {0: "NONE", doc.sentences[1].start: "NONE"}}, method, "NONE"
    )
    assert [i.correct for i in none] == [False, True]
    # No NER mention: the verb's subject window still names no actor, so no holder.
    missed = items_end_to_end([doc], {"d1": []}, {"d1": {0: "PRO_STAY"}}, method, "NONE")
    assert [i.predicted for i in missed] == [None, None]
    # A document without NER predictions is not scored end to end.
    assert items_end_to_end([doc], {}, {"d1": {0: "PRO_STAY"}}, method, "NONE") == []


def test_report_section_shows_both_rows_and_the_baseline() -> None:
    h = Holder(0, 3, "abc")
    block = {
        "method": "rules",
        "given_gold": holder_scores([HolderItem("a", h, h), HolderItem("a", None, None)], SETTINGS),
    }
    lines = "\n".join(holder_section_md(block))
    assert "(a) given gold" in lines and "always-null" in lines and "(b) needs an NER run" in lines
    block["end_to_end"] = holder_scores([HolderItem("a", h, None)], SETTINGS)
    lines = "\n".join(holder_section_md(block))
    assert "(b) end to end" in lines and "needs an NER run" not in lines
