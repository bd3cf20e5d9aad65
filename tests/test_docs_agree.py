"""What the docs promise users about the document stance (ties) and the demo's duration is what the code
does, and is said the same way everywhere users look."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from arastance.features.predictions import aggregate_document_stance
from arastance.publish.card.sections import doc_stance_rule

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ["PRO_STAY", "PRO_WITHDRAWAL", "NONE"]


def test_a_vote_tie_goes_to_the_larger_summed_probability() -> None:
    probs = np.array([[0.9, 0.05, 0.05], [0.1, 0.5, 0.4], [0.0, 0.1, 0.9]])  # one vote each; PRO_STAY sums 1.0
    assert aggregate_document_stance(probs, CLASSES, "majority_non_none", 0.15) == "PRO_STAY"
    assert (
        aggregate_document_stance(
            probs[:, [1, 0, 2]], ["PRO_WITHDRAWAL", "PRO_STAY", "NONE"], "majority_non_none", 0.15
        )
        == "PRO_STAY"
    )


def test_a_full_tie_goes_to_the_class_predicted_first() -> None:
    probs = np.array([[0.2, 0.6, 0.2], [0.6, 0.2, 0.2]])  # one vote each, equal sums
    assert aggregate_document_stance(probs, CLASSES, "majority_non_none", 0.15) == "PRO_WITHDRAWAL"
    assert aggregate_document_stance(probs[::-1], CLASSES, "majority_non_none", 0.15) == "PRO_STAY"


def test_equal_means_go_to_the_first_class_in_schema_order() -> None:
    probs = np.array([[0.4, 0.4, 0.2]])
    assert aggregate_document_stance(probs, CLASSES, "mean_prob", 0.15) == "PRO_STAY"


@pytest.mark.parametrize(
    ("where", "phrase"),
    [
        (
            "configs/task/stance.yaml",
            "A tie\n#              between classes goes to the class with the larger probability summed",
        ),
        ("configs/task/stance.yaml", "(equal means: the\n#              first class in schema.yaml's order)"),
        (
            "README.md",
            "a tie\n  between classes goes to the class with the larger probability summed over the document's "
            "sentences",
        ),
    ],
)
def test_the_tie_rule_is_written_where_users_look(where: str, phrase: str) -> None:
    assert phrase in (ROOT / where).read_text(encoding="utf-8")


def test_the_card_states_the_tie_rule_of_each_aggregation() -> None:
    assert "a tie between classes goes to the class with the larger probability summed" in doc_stance_rule(
        "majority_non_none", None
    )
    assert "equal means: the first class" in doc_stance_rule("mean_prob", 0.15) and "below 0.15" in doc_stance_rule(
        "mean_prob", 0.15
    )


DEMO_DURATION = "about 30 s on 2 CPU cores"  # measured idle; README's reference-machine figures
DEMO_MENTIONS = [
    "README.md",
    "Makefile",
    "src/arastance/cli.py",
    "src/arastance/demo.py",
    "configs/experiment/demo_ner.yaml",
    "configs/experiment/demo_stance.yaml",
]
OTHER_DURATIONS = re.compile(r"half a minute|about a minute|a minute on|few minutes on two|one-minute", re.I)


@pytest.mark.parametrize("where", DEMO_MENTIONS)
def test_one_demo_duration_everywhere(where: str) -> None:
    text = (ROOT / where).read_text(encoding="utf-8")
    assert DEMO_DURATION in " ".join(text.split())
    assert OTHER_DURATIONS.findall(text) == []


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    from arastance.cli import main

    try:
        main(argv)
    except SystemExit:  # argparse's --help
        pass
    return " ".join(capsys.readouterr().out.split())


def test_the_demo_duration_is_in_both_helps(capsys: pytest.CaptureFixture[str]) -> None:
    assert DEMO_DURATION in _help(["--help"], capsys)
    assert DEMO_DURATION in _help(["demo", "--help"], capsys)
