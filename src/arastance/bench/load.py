"""`make demo` idle and beside one busy process: does the thread policy (models/threads.py) keep a
command from collapsing when something else takes a core? Reports demo_seconds_idle / _loaded.

Each demo is a fresh `arastance demo` process with the thread variables removed from its
environment, so it decides its threads as `make demo` would; the busy process is a pure-Python spin
loop (one core), started before the demo and killed after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from arastance.bench.inputs import ROOT

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")
BUSY_LOOP = [sys.executable, "-c", "while True: pass"]


def demo_command(folder: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "arastance.cli",
        "demo",
        "--out",
        str(folder / "report"),
        "--runs",
        str(folder / "runs"),
    ]


def fresh_env() -> dict[str, str]:
    """The environment of a user's shell: the bench's own thread settings removed."""
    return {**{k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}, "HF_HUB_OFFLINE": "1"}


@contextmanager
def busy_process(on: bool) -> Iterator[subprocess.Popen[bytes] | None]:
    """One process spinning on a core for the duration (nothing when `on` is false)."""
    if not on:
        yield None
        return
    busy = subprocess.Popen(BUSY_LOOP, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)  # running before the demo samples the load
        yield busy
    finally:
        busy.kill()
        busy.wait()


def timed_run(command: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(list(command), cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return seconds


def demo_rows(repeats: int, command: Callable[[Path], list[str]] = demo_command) -> list[dict[str, Any]]:
    """One row per condition (idle, loaded): the fastest of `repeats` runs, and every run's time."""
    rows = []
    for loaded in (False, True):
        times = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as folder, busy_process(loaded):
                label = "beside a busy process" if loaded else "idle"
                print(f"[bench] make demo {label} …", flush=True)
                times.append(timed_run(command(Path(folder)), fresh_env()))
        rows.append({"kind": "demo", "side": "loaded" if loaded else "idle", "seconds": min(times), "runs": times})
        print(f"[bench]   {min(times):.1f} s", flush=True)
    return rows


def demo_figures(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """demo_seconds_idle, demo_seconds_loaded and their ratio; {} when the plan ran no demo."""
    by_side = {r["side"]: r["seconds"] for r in rows if r["kind"] == "demo"}
    if {"idle", "loaded"} - set(by_side):
        return {}
    return {
        "demo_seconds_idle": by_side["idle"],
        "demo_seconds_loaded": by_side["loaded"],
        "demo_loaded_vs_idle": by_side["loaded"] / by_side["idle"],
    }
