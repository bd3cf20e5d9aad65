"""Report building blocks: QUANTITY value agreement, fold spread, settings, Arabic text in figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from arastance.evaluation import plots
from arastance.evaluation.analysis import fold_spread, quantity_agreement, top_error_strings
from arastance.evaluation.errors_report import NerError
from arastance.evaluation.report import ReportSettings
from arastance.schema import Schema

TEXT = "وتنشر واشنطن نحو 900 جندي ونفذت 151 هجوماً و3 غارات"


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def test_quantity_agreement(schema: Schema) -> None:
    soldiers, attacks, raids = _span(TEXT, "900 جندي"), _span(TEXT, "151 هجوماً"), _span(TEXT, "3 غارات")
    gold = [("d", *soldiers, 900), ("d", *attacks, 151), ("d", *raids, 4)]  # the last gold value disagrees on purpose
    predicted = [("d", *soldiers), ("d", *raids), ("d", attacks[0], attacks[1] - 2)]  # third: wrong extent
    summary, disagreements = quantity_agreement(gold, predicted, {"d": TEXT}, schema)
    assert summary == {
        "gold": 3,
        "predicted": 3,
        "exact_span_matches": 2,
        "value_agree": 1,
        "agreement_on_matched": 0.5,
        "agreement_on_gold": pytest.approx(1 / 3),
        "normaliser_on_gold_spans": pytest.approx(2 / 3),
    }
    assert disagreements == [
        {"doc_id": "d", "start": raids[0], "end": raids[1], "text": "3 غارات", "gold_value": 4, "pred_value": 3}
    ]


def test_quantity_agreement_without_quantities(schema: Schema) -> None:
    summary, disagreements = quantity_agreement([], [], {}, schema)
    assert summary["agreement_on_gold"] == 0.0 and summary["agreement_on_matched"] == 0.0 and disagreements == []


def test_fold_spread_ignores_folds_without_gold_mentions() -> None:
    folds = [
        {"PER": {"f1": 0.5, "support": 2}, "ORG": {"f1": 1.0, "support": 3}},
        {"PER": {"f1": 0.0, "support": 0}, "ORG": {"f1": 0.5, "support": 1}},
    ]
    spread = fold_spread(folds, "f1", [0.8, 0.4])
    assert spread["per_label"]["PER"] == {"mean": 0.5, "std": 0.0, "n_folds": 1}
    assert spread["per_label"]["ORG"] == {"mean": 0.75, "std": 0.25, "n_folds": 2}
    assert spread["headline"]["mean"] == pytest.approx(0.6)
    assert spread["headline"]["values"] == [0.8, 0.4]


def test_report_settings_defaults() -> None:
    settings = ReportSettings.from_cfg(None)
    assert (settings.bootstrap.n, settings.bootstrap.seed, settings.bootstrap.confidence) == (1000, 0, 0.95)
    assert settings.baselines and settings.plots
    custom = ReportSettings.from_cfg({"bootstrap": {"n": 50}, "plots": False})
    assert custom.bootstrap.n == 50 and custom.bootstrap.seed == 0 and not custom.plots


def test_top_error_strings() -> None:
    text = "قسد في سوريا"
    errors = [
        NerError("false_negative", "ORG", "d", 0, text, (0, 3, "ORG"), None),
        NerError("type", "ORG", "d", 1, text, (0, 3, "ORG"), (0, 3, "GPE")),
        NerError("false_positive", "GPE", "d", 0, text, None, (7, 12, "GPE")),
    ]
    assert top_error_strings(errors) == [("قسد", 2, 1), ("سوريا", 0, 1)]


def test_display_text_shapes_arabic_only_without_native_layout() -> None:
    word = "قسد"
    assert plots.display_text("ORG (n=3)", native=False) == "ORG (n=3)"
    assert plots.display_text(word, native=True) == word  # matplotlib with libraqm shapes it itself
    shaped = plots.display_text(word, native=False)
    assert shaped != word and len(shaped) == len(word)
    assert all("\ufe70" <= ch <= "\ufeff" for ch in shaped)  # contextual presentation forms
    assert shaped[-1] == "\ufed7"  # qaf, initial form, drawn rightmost: visual (right-to-left) order


def test_fonts_fall_back_to_the_generic_family() -> None:
    assert plots.font_family()[-1] == "sans-serif"


def test_figures_are_written(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n"
    files = [
        plots.plot_f1_with_ci(
            tmp_path / "f1.png",
            "F1 — تجربة",
            ["PER", "ORG"],
            [0.5, 0.8],
            [0.3, 0.7],
            [0.7, 0.9],
            [3, 10],
            [0.2, 0.6],
            "baseline",
            ("micro", 0.7, 0.6, 0.8),
            0.5,
        ),
        plots.plot_confusion(tmp_path / "cm.png", "cm", ["A", "B"], [[3, 1], [0, 0]]),
        plots.plot_learning_curves(
            tmp_path / "lc.png",
            "lc",
            {"fold-0": [{"step": 1, "loss": 2.0}, {"step": 2, "dev": 0.5, "best_dev": 0.5}]},
            "micro_f1",
        ),
        plots.plot_learning_curves(tmp_path / "lc_empty.png", "lc", {}, "micro_f1"),
        plots.plot_top_errors(tmp_path / "top.png", "أخطاء", [("قوات سوريا الديمقراطية", 3, 1)]),
        plots.plot_top_errors(tmp_path / "none.png", "none", []),
    ]
    for path in files:
        assert path.read_bytes()[:8] == png


def test_learning_curve_series_keeps_the_last_value_of_a_relogged_step() -> None:
    log = [{"step": 2, "loss": 3.0}, {"step": 1, "loss": 4.0}, {"step": 2, "loss": 2.5}, {"step": 2, "dev": 0.1}]
    assert plots.learning_curve_series(log, "loss") == ([1, 2], [4.0, 2.5])
    assert plots.learning_curve_series(log, "dev") == ([2], [0.1])
