"""`make demo` then `make publish RUN=outputs/demo/ner`: publish finds the demo's report (copied into
each run's report/) and the model card carries its confidence intervals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from arastance.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
# The demo's own experiments, cut to a few steps and two folds so that the test stays short.
FAST = ["trainer.max_steps=3", "data.folds=[0,1]", "eval.bootstrap.n=50", "trainer.precision=fp32"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("demo")
    out, runs = base / "report", base / "runs"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ARASTANCE_ROOT": str(REPO_ROOT)}
    # A child process: training sets process-wide state (accelerate, seeds) other tests must not inherit.
    done = subprocess.run(
        [sys.executable, "-m", "arastance.demo", "--out", str(out), "--runs", str(runs), *FAST],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return {"report": out, "ner": runs / "ner", "stance": runs / "stance"}


@pytest.mark.slow
def test_each_demo_run_holds_the_demo_report(demo: dict[str, Path]) -> None:
    expected = json.loads((demo["report"] / "metrics.json").read_text(encoding="utf-8"))
    assert (demo["report"] / "report.html").is_file()  # the page beside report.md (README: reading it in a browser)
    for task in ("ner", "stance"):
        copied = demo[task] / "report"
        assert json.loads((copied / "metrics.json").read_text(encoding="utf-8")) == expected
        assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in demo["report"].iterdir())
        assert not (demo[task] / "report.tmp").exists()


@pytest.mark.slow
@pytest.mark.parametrize("task", ["ner", "stance"])
def test_publish_of_a_demo_run_carries_the_report_intervals(demo: dict[str, Path], tmp_path: Path, task: str) -> None:
    out = tmp_path / "published"
    assert main(["publish", str(demo[task]), "--out", str(out)]) == 0
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "report/metrics.json" in card and "No confidence intervals" not in card
    metrics = json.loads((demo["report"] / "metrics.json").read_text(encoding="utf-8"))[task]
    interval = metrics["ci"]["micro"]["f1"] if task == "ner" else metrics["ci"]["macro_f1"]
    assert f"[{interval['low']:.3f}, {interval['high']:.3f}]" in card
