"""`make demo` idle and beside busy processes: does the thread policy (models/threads.py) keep a
command from collapsing when something else takes a core — load there at start, and load that
arrives after the demo chose its threads? Reports demo_seconds_<side> and demo_<side>_vs_idle.

Each demo is a fresh `arastance demo` process with the thread variables removed from its
environment, so it decides its threads as `make demo` would; a busy process is a pure-Python spin
loop (one core), started before the demo or a few seconds into it, and killed after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.bench.inputs import ROOT
from arastance.writer import copy_file

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")
BUSY_LOOP = [sys.executable, "-c", "while True: pass"]


CLI = [sys.executable, "-m", "arastance.cli"]


def demo_command(folder: Path) -> list[str]:
    return [
        *CLI,
        "demo",
        "--out",
        str(folder / "report"),
        "--runs",
        str(folder / "runs"),
    ]


def fresh_env() -> dict[str, str]:
    """The environment of a user's shell: the bench's own thread settings removed."""
    return {**{k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}, "HF_HUB_OFFLINE": "1"}


@dataclass(frozen=True)
class LoadCondition:
    """`busy` spinning processes beside the demo; `arrives_after` seconds into it (None: before it starts)."""

    side: str
    busy: int
    arrives_after: float | None


# Idle; one busy process already running (the thread count chosen at start sees it); one and two that
# start 5 s into the demo, after it chose its threads — the case a count decided once cannot serve.
CONDITIONS = (
    LoadCondition("idle", 0, None),
    LoadCondition("loaded", 1, None),
    LoadCondition("arriving_1", 1, 5.0),
    LoadCondition("arriving_2", 2, 5.0),
)


def busy_command(arrives_after: float | None) -> list[str]:
    """The spin loop, delayed inside the child so that the demo starts at once."""
    if arrives_after is None:
        return list(BUSY_LOOP)
    return ["sh", "-c", f'sleep {arrives_after}; exec "$0" "$@"', *BUSY_LOOP]


@contextmanager
def busy_processes(condition: LoadCondition) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The condition's busy processes for the duration of the block, killed and reaped after it."""
    started = [
        subprocess.Popen(busy_command(condition.arrives_after), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(condition.busy)
    ]
    try:
        if started and condition.arrives_after is None:
            time.sleep(0.5)  # running before the demo samples the load
        yield started
    finally:
        for busy in started:
            busy.kill()
            busy.wait()


def timed_run(command: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(list(command), cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return seconds


def load_rows(
    kind: str,
    repeats: int,
    command: Callable[[Path], list[str]],
    conditions: Sequence[LoadCondition] = CONDITIONS,
) -> list[dict[str, Any]]:
    """One row per load condition: the fastest of `repeats` runs of `command`, and every run's time."""
    rows = []
    for condition in conditions:
        times = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as folder, busy_processes(condition):
                print(f"[bench] {kind}, {condition.side.replace('_', ' ')} …", flush=True)
                times.append(timed_run(command(Path(folder)), fresh_env()))
        rows.append({"kind": kind, "side": condition.side, "seconds": min(times), "runs": times})
        print(f"[bench]   {min(times):.1f} s", flush=True)
    return rows


def demo_rows(
    repeats: int,
    command: Callable[[Path], list[str]] = demo_command,
    conditions: Sequence[LoadCondition] = CONDITIONS,
) -> list[dict[str, Any]]:
    """`make demo` under each load condition."""
    return load_rows("demo", repeats, command, conditions)


def predict_rows(repeats: int, copies: int, conditions: Sequence[LoadCondition] = CONDITIONS) -> list[dict[str, Any]]:
    """`arastance predict` over a folder (the gold documents `copies` times, with the demo's models,
    published once, on the torch backend) under each load condition."""
    with tempfile.TemporaryDirectory() as work:
        models, inputs = published_demo_models(Path(work)), Path(work) / "documents"
        inputs.mkdir()
        documents = sorted((ROOT / "annotations" / "documents").glob("*.txt"))
        for copy in range(copies):
            for document in documents:
                copy_file(document, inputs / f"{copy:03d}-{document.name}")

        def command(folder: Path) -> list[str]:
            return [
                *CLI,
                "predict",
                "--backend",
                "torch",
                "--ner",
                str(models / "ner"),
                "--stance",
                str(models / "stance"),
                str(inputs),
                "--out",
                str(folder / "predicted.jsonl"),
            ]

        return load_rows("predict_load", repeats, command, conditions)  # not "predict": those are speed rows


def published_demo_models(work: Path) -> Path:
    """The demo's NER and stance models (fold 0), published without exports: MODELS/ner, MODELS/stance."""
    runs, models = work / "runs", work / "models"
    print("[bench] predict under load: the demo's models …", flush=True)
    timed_run(demo_command(work), fresh_env())
    for task in ("ner", "stance"):
        timed_run([*CLI, "publish", str(runs / task), "--out", str(models / task), "--onnx", "no"], fresh_env())
    return models


def demo_figures(rows: Sequence[dict[str, Any]], kind: str = "demo") -> dict[str, float]:
    """<kind>_seconds_<side> of every condition that ran, and <kind>_<side>_vs_idle; {} without an idle run."""
    by_side = {r["side"]: r["seconds"] for r in rows if r["kind"] == kind}
    if "idle" not in by_side:
        return {}
    figures = {f"{kind}_seconds_{side}": seconds for side, seconds in by_side.items()}
    figures.update(
        {f"{kind}_{side}_vs_idle": seconds / by_side["idle"] for side, seconds in by_side.items() if side != "idle"}
    )
    return figures
