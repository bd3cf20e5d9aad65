"""No title, label or tick label leaves the figure, for every plot the report makes and the actors plot:
each drawn text's window extent is measured against the figure's box (long titles as the demo gives)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arastance.evaluation import plots
from arastance.evaluation.analysis import GAZETTEER, MAJORITY, TaskAnalysis
from arastance.evaluation.errors_report import NerError
from arastance.evaluation.report import write_figures
from arastance.schema import load_schema
from helpers.figures import texts_outside

DEMO_TITLE = "Demo: tiny model, 5-fold leave-one-document-out CV"  # what `arastance demo` passes
LONG_TITLE = DEMO_TITLE + ", AraBERT v0.2 base, learning rate 3e-5, seed 13, run 2026-12-02 01:00"


def _scores(labels: list[str], headline: str) -> dict[str, Any]:
    per_label = {label: {"f1": 0.1 * (i % 10), "support": 3 + i} for i, label in enumerate(labels)}
    interval = {"low": 0.2, "high": 0.6}
    block: dict[str, Any] = {"per_label": per_label}
    if headline == "micro":
        block["micro"] = {"f1": 0.4}
    else:
        block[headline] = 0.4
    return block | {
        "ci": {
            "bootstrap": {"confidence": 0.95},
            "per_label": {label: {"f1": interval} for label in labels},
            headline: {"f1": interval} if headline == "micro" else interval,
        }
    }


def synthetic_analyses(title_word: str) -> dict[str, TaskAnalysis]:
    schema = load_schema()
    entities, classes = list(schema.entity_labels), list(schema.stance_classes)
    ner = _scores(entities, "micro")
    ner["baselines"] = {GAZETTEER: _scores(entities, "micro")}
    stance = _scores(classes, "macro_f1")
    stance["baselines"] = {MAJORITY: _scores(classes, "macro_f1")}
    stance["confusion_matrix"] = {
        "labels": classes,
        "matrix": [[7 * (i == j) + i for j in range(len(classes))] for i in range(len(classes))],
    }
    logs = {
        f"fold-{k}": [{"step": s, "loss": 2.0 / s, **({"dev": 0.1 * s} if s % 2 == 0 else {})} for s in range(1, 9)]
        for k in range(5)
    }
    text = "قوات سوريا الديمقراطية وواشنطن والتحالف الدولي ضد تنظيم الدولة الإسلامية " + title_word
    errors = [
        NerError("FN", "ORG", f"d{i}", 0, text, (0, 22 + 4 * (i % 4), text[: 22 + 4 * (i % 4)]), None)
        for i in range(25)
    ]
    return {
        "ner": TaskAnalysis("ner", ner, tuple(entities), ner_errors=errors, logs=logs, dev_metric="micro_f1"),
        "stance": TaskAnalysis("stance", stance, tuple(classes), logs=logs, dev_metric="macro_f1"),
    }


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The figures the plot functions save, by file name (kept open for measuring)."""
    made: dict[str, Any] = {}
    save = plots._save

    def keep(fig: Any, path: Path) -> Path:
        made[path.name] = fig
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return made


@pytest.mark.parametrize("title", [DEMO_TITLE, LONG_TITLE + " — عرض: نموذج صغير، تحقق متقاطع بخمس طيات"])
def test_no_text_leaves_any_report_figure(figures: dict[str, Any], tmp_path: Path, title: str) -> None:
    written = write_figures(tmp_path, synthetic_analyses("الأميركية"), title)
    assert (
        set(figures)
        == set(written.values())
        == {
            "ner_f1.png",
            "ner_learning_curves.png",
            "ner_top_errors.png",
            "stance_f1.png",
            "stance_confusion.png",
            "stance_learning_curves.png",
        }
    )
    for name, fig in figures.items():
        assert texts_outside(fig) == [], name


def test_the_measure_sees_a_clipped_title() -> None:
    # The check itself must fail on what the issue saw: a long title in a narrow figure without wrapping.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), layout="constrained")
    fig.add_subplot().set_title(LONG_TITLE, fontsize=10)
    assert len(texts_outside(fig)) == 1
