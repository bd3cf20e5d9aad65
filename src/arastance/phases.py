"""Where a command's wall time goes: named phases, timed exclusively (a phase nested in another is
subtracted from it), so that the phases and `other` add up to the wall time.

Steady-state tokens/s is only part of what a user waits for; start-up, model builds, checkpoint writes
and held-out prediction are the rest. `arastance train` records them in metrics.json (`time`) and its
end-of-run summary; `make bench` reports them for a whole run.

One clock per process (`CLOCK`), because the phases sit in functions of several stages that should
not have to pass a timer through their signatures; a command calls `CLOCK.reset()` when it starts.
Nothing here imports beyond the standard library.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# The phases a training run is made of; WORK_PHASES are the ones that do the training and evaluation
# forwards: every other phase is overhead a user waits for without the model learning.
STARTUP = "startup"
WORK_PHASES = ("train_steps", "dev_eval", "held_out_predict")


@dataclass
class PhaseClock:
    clock: Callable[[], float] = time.perf_counter
    totals: dict[str, float] = field(default_factory=dict)
    stack: list[tuple[str, float]] = field(default_factory=list)
    started: float = 0.0

    def reset(self, already: float = 0.0) -> None:
        """Start counting now; `already` seconds (e.g. the process's start-up) are booked as `startup`."""
        self.totals = {STARTUP: already} if already else {}
        self.stack = []
        self.started = self.clock() - already

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        now = self.clock()
        if self.stack:  # the enclosing phase stops counting while this one runs
            outer, since = self.stack[-1]
            self._add(outer, now - since)
        self.stack.append((name, now))
        try:
            yield
        finally:
            name, since = self.stack.pop()
            now = self.clock()
            self._add(name, now - since)
            if self.stack:
                outer, _ = self.stack[-1]
                self.stack[-1] = (outer, now)

    def _add(self, name: str, seconds: float) -> None:
        self.totals[name] = self.totals.get(name, 0.0) + seconds

    def snapshot(self) -> dict[str, float]:
        """Seconds per phase so far, `other` (wall time no phase claimed) and `wall`."""
        wall = self.clock() - self.started
        out = {name: round(seconds, 3) for name, seconds in sorted(self.totals.items())}
        out["other"] = round(max(0.0, wall - sum(self.totals.values())), 3)
        out["wall"] = round(wall, 3)
        return out


CLOCK = PhaseClock()
_STARTED_ONCE = False


def start_command() -> None:
    """Reset the clock at a command's start; the first command of a process also books the process's
    start-up (interpreter, imports, config composition) as `startup`, later ones (a sweep's next job,
    the demo's second task) start at zero."""
    global _STARTED_ONCE
    CLOCK.reset(0.0 if _STARTED_ONCE else process_age())
    _STARTED_ONCE = True


def times_since(before: Mapping[str, float]) -> dict[str, float]:
    """The phase seconds added since an earlier snapshot (one fold of a run)."""
    now = CLOCK.snapshot()
    return {name: round(seconds - before.get(name, 0.0), 3) for name, seconds in now.items()}


def timed_phase(name: str) -> Callable[[F], F]:
    """Decorator: every call of the function is booked under `name` on the process's clock."""

    def wrap(function: F) -> F:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with CLOCK.phase(name):
                return function(*args, **kwargs)

        return timed  # type: ignore[return-value]  # functools.wraps keeps the signature at run time

    return wrap


def overhead_share(times: Mapping[str, float]) -> float | None:
    """The share of the wall time spent outside the training and evaluation forwards."""
    wall = times.get("wall", 0.0)
    if wall <= 0:
        return None
    return round(1.0 - sum(times.get(name, 0.0) for name in WORK_PHASES) / wall, 4)


def time_block(times: Mapping[str, float]) -> dict[str, Any]:
    """metrics.json `time`: seconds per phase, wall time, and the overhead share."""
    return {"seconds": dict(times), "overhead_share": overhead_share(times)}


def time_line(block: Mapping[str, Any]) -> str:
    """One line for a summary: wall time, the phases by size, the overhead share."""
    seconds = {k: v for k, v in block["seconds"].items() if k != "wall"}
    wall = block["seconds"].get("wall", 0.0)
    parts = [
        f"{name.replace('_', ' ')} {value:.1f} s" for name, value in sorted(seconds.items(), key=lambda kv: -kv[1])
    ]
    share = block.get("overhead_share")
    overhead = f"; outside training and evaluation forwards: {share:.0%}" if share is not None else ""
    return f"time: {wall:.1f} s — " + ", ".join(parts) + overhead


def process_age() -> float:
    """Seconds since this process started (interpreter start-up and imports included); 0 off Linux."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        # Field 22 of /proc/self/stat, after the command name in parentheses (which may hold spaces).
        started = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - started)
    except (OSError, ValueError, IndexError):
        return 0.0
