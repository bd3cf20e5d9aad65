"""The README's override example trains a model that learns (not the micro-F1 0.007 of a learning rate
meant for AraBERT): run exactly as written, on one fold so that the test stays short."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Far above what a model that learnt nothing scores on a dev document (the README's old example: 0.007).
LEARNT = 0.1


def readme_example() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"override any of them on the command line, e\.g\.\s*```bash\n(arastance train [^\n]+)\n```", readme
    )
    assert match, "the README's override example is gone"
    return shlex.split(match.group(1))


def test_the_example_is_a_tiny_model_run_that_names_its_learning_rate() -> None:
    args = readme_example()
    assert "model=tiny" in args and any(a.startswith("trainer.learning_rate=") for a in args) and "run_dir=DIR" in args


@pytest.mark.slow
def test_the_readme_example_learns(tmp_path: Path) -> None:
    args = [a if a != "run_dir=DIR" else f"run_dir={tmp_path / 'run'}" for a in readme_example()[2:]]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ARASTANCE_ROOT": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "arastance.train", *args, "data.folds=[0]", "trainer.progress_bar=false"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    log = [
        json.loads(line)
        for line in (tmp_path / "run" / "fold-0" / "train_log.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    best = max(r["best_dev"] for r in log if "best_dev" in r)
    assert best > LEARNT, best
    losses = [r["loss"] for r in log if "loss" in r]
    assert losses[-1] < losses[0] / 2
