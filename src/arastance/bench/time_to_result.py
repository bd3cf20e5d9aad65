"""Time to result of a whole `arastance train`: where the wall time of a 5-fold cross-validation goes
(the run's own `time` block, src/arastance/phases.py), for the demo's recipe on the tiny model and for
the real recipe's shape — a random-init BERT-base-shaped model (AraBERT v0.2's shape), the default
trainer, 5 folds — with its steps per fold capped so that it fits a CPU bench.

Each run is a fresh `arastance train` process, as a user runs it, with the bench's thread count.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arastance.bench.inputs import ROOT
from arastance.runs.layout import RunDir


def run_commands(base_model: Path, max_steps: int) -> dict[str, list[str]]:
    """The two runs timed: the demo's NER recipe, and the real recipe's shape (steps capped per fold)."""
    return {
        "demo_ner_tiny": ["experiment=demo_ner"],
        "ner_base_shaped_cv": [
            "task=ner",
            "model=arabert_v02",
            f"model.pretrained={base_model}",
            f"trainer.max_steps={max_steps}",
            "trainer.progress_bar=false",
            "trainer.trackers=[]",
        ],
    }


def timed_train(overrides: Sequence[str], threads: int) -> dict[str, Any]:
    """Run `arastance train` in a fresh process; its metrics.json `time` block."""
    with tempfile.TemporaryDirectory() as folder:
        run = RunDir(Path(folder) / "run")
        command = [sys.executable, "-m", "arastance.cli", "train", *overrides, f"run_dir={run.path}"]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
        metrics = run.read_metrics()
        if metrics is None:
            raise RuntimeError(f"{' '.join(command)} wrote no {run.metrics_path}")
        return metrics["time"]


def time_rows(base_model: Path, max_steps: int, threads: int) -> list[dict[str, Any]]:
    rows = []
    for side, overrides in run_commands(base_model, max_steps).items():
        print(f"[bench] time to result: arastance train {' '.join(overrides)} …", flush=True)
        block = timed_train(overrides, threads)
        rows.append({"kind": "time_to_result", "side": side, "overrides": list(overrides), **block})
        print(f"[bench]   {block['seconds']['wall']:.1f} s, overhead {block['overhead_share']:.0%}", flush=True)
    return rows


def time_table(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Markdown: one column per run, one row per phase (seconds and share of the wall time)."""
    runs = [r for r in rows if r["kind"] == "time_to_result"]
    if not runs:
        return []
    phases = sorted({p for r in runs for p in r["seconds"] if p != "wall"}, key=lambda p: -runs[0]["seconds"].get(p, 0))
    lines = [
        "",
        "Time to result (`arastance train`, 5-fold CV; phases in docs/metrics_schema.md):",
        "",
        "| phase | " + " | ".join(r["side"] for r in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for phase in [*phases, "wall"]:
        cells = []
        for r in runs:
            seconds, wall = r["seconds"].get(phase, 0.0), r["seconds"]["wall"]
            cells.append(f"{seconds:.1f} s ({seconds / wall:.0%})" if phase != "wall" else f"{wall:.1f} s")
        lines.append(f"| {phase.replace('_', ' ')} | " + " | ".join(cells) + " |")
    lines.append(
        "| outside training and evaluation forwards | " + " | ".join(f"{r['overhead_share']:.0%}" for r in runs) + " |"
    )
    return lines
