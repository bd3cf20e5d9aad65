"""Checkpoint evaluation and reports on real (tiny, few-step) training runs.

Two folds of the tiny model, three steps each, per task: a few seconds, but a real run folder with
best/ models, predictions.jsonl, train_log.jsonl and pooled metrics.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_dir

from arastance.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIGS = str(REPO_ROOT / "configs")
PNG = b"\x89PNG\r\n\x1a\n"


def _start_training(task: str, run_dir: Path, *extra: str) -> subprocess.Popen[str]:
    # A subprocess, as `make train` runs it: Accelerate's state is a per-process singleton that
    # refuses a second precision, so in-process training would depend on what other tests ran first.
    # One thread each, so that the two tasks train side by side on a small machine.
    overrides = [
        f"task={task}",
        "model=tiny",
        "trainer=smoke",
        "trainer.max_steps=3",
        "data.folds=[0,1]",
        "trainer.torch_threads=1",
        f"run_dir={run_dir}",
        f"paths.root={REPO_ROOT}",
        *extra,
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "arastance.train", *overrides],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )


def _evaluate_cfg(run_dir: Path, *extra: str) -> Any:
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        return compose(
            "evaluate", overrides=[f"run_dir={run_dir}", f"paths.root={REPO_ROOT}", "eval.bootstrap.n=200", *extra]
        )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    base = tmp_path_factory.mktemp("runs")
    # NER in the default precision (bf16 where the CPU has it: evaluate must follow the run's
    # precision to reproduce its numbers), stance in fp32 (the other branch, and faster on CPU).
    jobs = {
        "ner": _start_training("ner", base / "ner"),
        "stance": _start_training("stance", base / "stance", "trainer.precision=fp32"),
    }
    for task, job in jobs.items():
        _, stderr = job.communicate(timeout=300)
        assert job.returncode == 0, f"{task} training failed:\n{stderr[-3000:]}"
    return {task: base / task for task in jobs}


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("task", ["ner", "stance"])
def test_evaluate_equals_training(
    runs: dict[str, Path], task: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from arastance.evaluate import evaluate

    run_dir = runs[task]
    report_dir = tmp_path / "report"
    metrics = evaluate(_evaluate_cfg(run_dir, f"report_dir={report_dir}"))

    check = metrics["checkpoint_eval"]
    assert check["matches_training"], check
    assert [f["fold"] for f in check["folds"]] == ["fold-0", "fold-1"]
    # Fold by fold: the re-predicted files score exactly as training's.
    for fold in ("fold-0", "fold-1"):
        fresh = [
            json.loads(line)
            for line in (report_dir / "predictions" / f"{fold}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        stored = [
            json.loads(line) for line in (run_dir / fold / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert fresh == stored
    # Pooled: every key training wrote is reproduced by the report.
    pooled = _read(run_dir / "metrics.json")[task]
    assert {k: metrics[task][k] for k in pooled} == pooled
    assert "scores equal the training-time metrics.json" in capsys.readouterr().out


@pytest.mark.slow
def test_evaluate_fold_scores_equal_training_metrics_json(runs: dict[str, Path]) -> None:
    from arastance.evaluation.checkpoint_eval import evaluate_checkpoints

    result = evaluate_checkpoints(runs["ner"], log=lambda _line: None)
    for fold in result.folds:
        assert fold.metrics["ner"] == _read(runs["ner"] / fold.name / "metrics.json")["ner"]


def test_differences_are_reported_path_by_path() -> None:
    from arastance.evaluation.checkpoint_eval import differences

    assert differences({"a": {"f1": 0.5}, "b": [1, 2]}, {"a": {"f1": 0.5}, "b": [1, 2]}) == []
    assert differences({"a": {"f1": 0.5}, "b": [1]}, {"a": {"f1": 0.25}, "b": [1, 2], "c": 1}) == [
        "a.f1: 0.5 (now) vs 0.25 (training)",
        "b: 1 items vs 2",
        "c: only in the training-time scores",
    ]


@pytest.mark.slow
def test_expected_failures_are_user_errors(runs: dict[str, Path], tmp_path: Path) -> None:
    from arastance.evaluate import evaluate

    with pytest.raises(UserError, match="no such folder"):
        evaluate(_evaluate_cfg(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="holds no training run"):
        evaluate(_evaluate_cfg(tmp_path / "empty"))
    broken = tmp_path / "broken"
    shutil.copytree(runs["ner"], broken, ignore=shutil.ignore_patterns("checkpoints", "report"))
    shutil.rmtree(broken / "fold-1" / "best")
    with pytest.raises(UserError, match="no saved model in best/"):
        evaluate(_evaluate_cfg(broken, f"report_dir={tmp_path / 'r'}"))
    (broken / "fold-0" / "metrics.json").unlink()
    with pytest.raises(UserError, match="fold did not finish"):
        evaluate(_evaluate_cfg(broken, f"report_dir={tmp_path / 'r'}"))


def test_cli_prints_a_message_and_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "arastance.evaluate", f"run_dir={missing}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1
    assert "no such folder" in done.stderr
    assert "Traceback" not in done.stderr
    assert not missing.exists()  # hydra must not create the folder it was given
    assert list(tmp_path.iterdir()) == []  # nor write logs into the working directory


REQUIRED_FILES = [
    "metrics.json",
    "report.md",
    "report.html",
    "errors.md",
    "ner_f1.png",
    "ner_learning_curves.png",
    "ner_top_errors.png",
    "stance_f1.png",
    "stance_confusion.png",
    "stance_learning_curves.png",
]


@pytest.mark.slow
def test_build_report_from_ner_and_stance_runs(runs: dict[str, Path], tmp_path: Path, schema: Any) -> None:
    from arastance.evaluation.report import build_report

    out = tmp_path / "demo"
    cfg = {"bootstrap": {"n": 300, "seed": 1, "confidence": 0.9}, "baselines": True, "plots": True}
    metrics = build_report(out, runs["ner"], runs["stance"], cfg, "Demo")
    for name in REQUIRED_FILES:
        assert (out / name).is_file(), name
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == PNG

    written = _read(out / "metrics.json")
    assert written == json.loads(json.dumps(metrics, ensure_ascii=False))
    ner, stance = written["ner"], written["stance"]
    assert list(ner["per_label"]) == list(schema.entity_labels)
    assert 0.0 <= ner["micro"]["f1"] <= 1.0
    assert list(stance["per_label"]) == list(schema.stance_classes)
    assert 0.0 <= stance["macro_f1"] <= 1.0
    assert set(ner["ci"]["per_label"]) == set(schema.entity_labels)
    assert ner["ci"]["micro"]["f1"]["low"] <= ner["micro"]["f1"] <= ner["ci"]["micro"]["f1"]["high"]
    assert stance["ci"]["macro_f1"]["low"] <= stance["macro_f1"] <= stance["ci"]["macro_f1"]["high"]
    assert written["bootstrap"]["n"] == 300 and ner["ci"]["bootstrap"]["confidence"] == 0.9
    assert set(ner["nervaluate"]["overall"]) == {"strict", "exact", "partial", "ent_type"}
    assert {"gold", "exact_span_matches", "agreement_on_matched", "agreement_on_gold"} <= set(ner["quantity"])
    assert "gazetteer" in ner["baselines"] and "majority" in stance["baselines"]
    assert "model_minus_baseline" in ner["baselines"]["gazetteer"]
    assert stance["document"]["n"] == 2
    assert len(ner["folds"]["headline"]["values"]) == 2 and len(ner["per_fold"]) == 2
    assert written["data"]["documents"] == 5

    # A superset of what training wrote.
    for task in ("ner", "stance"):
        pooled = _read(runs[task] / "metrics.json")[task]
        assert {k: written[task][k] for k in pooled} == pooled

    report = (out / "report.md").read_text(encoding="utf-8")
    assert "the 90% intervals are the honest headline" in report
    assert "## Model vs baselines" in report and "### Confusion matrix" in report and "## Data" in report
    errors = (out / "errors.md").read_text(encoding="utf-8")
    assert "## NER" in errors and "## Stance" in errors
    page = (out / "report.html").read_text(encoding="utf-8")
    tested = {d for f in ner["per_fold"] for d in f["test"]}
    assert page.count('<article class="document"') == len(tested)  # every held-out document, once
    assert "<table>" in page and page.count("data:image/png;base64,") == len(list(out.glob("*.png")))


@pytest.mark.slow
def test_build_report_rejects_a_run_of_the_other_task(runs: dict[str, Path], tmp_path: Path) -> None:
    from arastance.evaluation.report import build_report

    with pytest.raises(UserError, match="is a stance run"):
        build_report(tmp_path / "r", runs["stance"], None, None, "x")
    with pytest.raises(UserError, match="needs an NER run"):
        build_report(tmp_path / "r", None, None, None, "x")


@pytest.mark.slow
def test_report_cli(runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from arastance.evaluation import report_cli

    parser = argparse.ArgumentParser()
    report_cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["report", "--stance", str(runs["stance"]), "--out", str(tmp_path / "r"), "--bootstrap-n", "50", "--no-plots"]
    )
    assert args.func(args) == 0
    assert "stance macro-F1" in capsys.readouterr().out
    assert (tmp_path / "r" / "report.md").is_file() and not list((tmp_path / "r").glob("*.png"))
