"""How many threads torch (and ONNX Runtime) use, and how they wait: decided once, before torch starts.

On 2 cores with one busy process beside it, two torch threads fight for the one free core: at every
parallel region's barrier the thread that holds the core spins while the other waits for a time
slice, and `make demo` went from 29 s to 314-342 s. Two things prevent that:

- threads = the cores that are free when the command starts (the cores we may run on, minus those
  other processes keep busy, sampled from /proc/stat for a moment), at least one;
- a wait policy that does not spin for long: libgomp's default (spin briefly, then sleep) behaves like
  OMP_WAIT_POLICY=passive when the load comes later, without passive's cost at idle (configs/threads.yaml
  has the figures).

Both are environment variables OpenMP reads when torch loads it, so `apply_thread_policy` runs in the
command line before anything imports torch. An OMP_NUM_THREADS / OMP_WAIT_POLICY the user set wins.
configs/threads.yaml holds the settings; this module imports neither torch nor omegaconf.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arastance.settings import ThreadPolicy, checked  # the policy's keys and rules, beside every other setting

THREADS_CONFIG = Path("configs") / "threads.yaml"
# The library thread pools that follow OMP_NUM_THREADS' count (torch reads OMP_NUM_THREADS itself).
THREAD_COUNT_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class CpuSample:
    """/proc/stat's busy and total jiffies over all cores, and this process's CPU seconds, at one moment."""

    busy_jiffies: int
    total_jiffies: int
    own_seconds: float
    wall: float


def others_busy_cores(before: CpuSample, after: CpuSample, ticks_per_second: int) -> float:
    """Cores' worth of CPU that other processes used between two samples (ours subtracted)."""
    wall = after.wall - before.wall
    if wall <= 0:
        return 0.0
    busy = (after.busy_jiffies - before.busy_jiffies) / ticks_per_second
    own = after.own_seconds - before.own_seconds
    return max(0.0, (busy - own) / wall)


def free_cores(cores: int, busy_cores: float, busy_share: float) -> int:
    """Cores nobody else keeps busy, at least one: a core used at ≥ busy_share by others is taken."""
    taken = math.floor(busy_cores + (1.0 - busy_share))
    return max(1, min(cores, cores - taken))


def decide_threads(policy: ThreadPolicy, cores: int, busy_cores: float, env: Mapping[str, str]) -> dict[str, str]:
    """The environment variables to set (only those the user has not set): pure, so it is testable."""
    out: dict[str, str] = {}
    if "OMP_NUM_THREADS" not in env:
        if policy.threads == "auto":
            threads = free_cores(cores, busy_cores, policy.busy_share)
        else:
            threads = max(1, int(policy.threads))
        out.update({name: str(threads) for name in THREAD_COUNT_VARIABLES if name not in env})
    if policy.wait_policy and "OMP_WAIT_POLICY" not in env:
        out["OMP_WAIT_POLICY"] = policy.wait_policy.upper()
    return out


def needs_sample(policy: ThreadPolicy, env: Mapping[str, str]) -> bool:
    return policy.threads == "auto" and "OMP_NUM_THREADS" not in env


# --------------------------------------------------------------------------- the edges: files and /proc


def read_policy(root: Path | None = None) -> ThreadPolicy:
    """configs/threads.yaml of the project (its defaults when there is none); a bad file is a UserError."""
    import yaml

    from arastance.errors import UserError
    from arastance.paths import project_root

    try:
        path = (root or project_root()) / THREADS_CONFIG
    except Exception:
        return ThreadPolicy()
    if not path.is_file():
        return ThreadPolicy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise UserError(f"{path}: not valid YAML ({err})") from None
    return checked(ThreadPolicy, raw, source=str(path))


def cpu_sample(cpus: set[int]) -> CpuSample:
    """Busy and total jiffies of the cores we may run on (a container's /proc/stat lists the host's)."""
    busy = total = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if not name.startswith("cpu") or name == "cpu" or int(name[3:]) not in cpus:
            continue
        fields = [int(x) for x in values[:8]]
        idle = fields[3] + fields[4]  # idle + iowait
        busy, total = busy + sum(fields) - idle, total + sum(fields)
    times = os.times()
    return CpuSample(busy, total, times.user + times.system, time.monotonic())


def measure_busy_cores(seconds: float) -> float:
    """Other processes' load in cores, sampled over `seconds`; 0 where /proc/stat is not readable."""
    try:
        cpus = usable_cpus()
        before = cpu_sample(cpus)
        time.sleep(seconds)
        return others_busy_cores(before, cpu_sample(cpus), os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def usable_cpus() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return set(range(os.cpu_count() or 1))


def apply_thread_policy(policy: ThreadPolicy | None = None) -> dict[str, str]:
    """Set the thread variables in os.environ (before torch is imported); returns what was set.

    Where the count is ours to choose (auto, and no OMP_NUM_THREADS from the user), it also starts the
    governor that `rebalance_threads` asks while the command runs."""
    global _GOVERNOR
    policy = policy or read_policy()
    env = os.environ
    busy = measure_busy_cores(policy.sample_seconds) if needs_sample(policy, env) else 0.0
    chosen = decide_threads(policy, len(usable_cpus()), busy, env)
    if needs_sample(policy, env) and policy.recheck_seconds > 0:
        _GOVERNOR = ThreadGovernor(policy, int(chosen["OMP_NUM_THREADS"]), _set_torch_threads)
    env.update(chosen)
    return chosen


# --------------------------------------------------------------------------- while the command runs
#
# The count chosen at start is right only while the load stays as it was. A process that starts a
# few seconds later (a browser, a second job, the test suite) leaves two threads fighting for one core,
# and on 2 cores `make demo` went from 35 s to 89 s with one such process and 175 s with two. So the
# loops that run torch (training steps, evaluation and prediction batches) call `rebalance_threads`
# between units of work: at most every `recheck_seconds` it reads /proc/stat (no sleep: the window is
# the time since the last look) and sets torch's count again. A core is given back at once; one is
# taken again only after `raise_after` looks in a row find it free, so a short burst does not make the
# count flap.


@dataclass
class ThreadGovernor:
    policy: ThreadPolicy
    threads: int
    set_threads: Callable[[int], None]
    cores: int = field(default_factory=lambda: len(usable_cpus()))
    sample: Callable[[], CpuSample] = field(default_factory=lambda: _sample_usable_cpus)
    ticks_per_second: int = field(default_factory=lambda: os.sysconf("SC_CLK_TCK"))
    clock: Callable[[], float] = time.monotonic
    last: CpuSample | None = None
    looked_at: float | None = None
    free_streak: int = 0
    changes: list[tuple[float, int]] = field(default_factory=list)
    initial: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.initial = self.threads

    def look(self) -> int:
        """Take a sample if `recheck_seconds` have passed since the last; returns the thread count."""
        now = self.clock()
        if self.looked_at is not None and now - self.looked_at < self.policy.recheck_seconds:
            return self.threads
        self.looked_at = now
        try:
            current = self.sample()
        except (OSError, ValueError, IndexError):
            return self.threads
        if self.last is not None:
            busy = others_busy_cores(self.last, current, self.ticks_per_second)
            self.threads = self.decide(free_cores(self.cores, busy, self.policy.busy_share))
        self.last = current
        return self.threads

    def decide(self, free: int) -> int:
        """Fewer threads at once, more only after `raise_after` looks in a row; calls set_threads on a change."""
        wanted = self.threads
        if free < self.threads:
            wanted, self.free_streak = free, 0
        elif free > self.threads:
            self.free_streak += 1
            if self.free_streak >= self.policy.raise_after:
                wanted, self.free_streak = self.threads + 1, 0
        else:
            self.free_streak = 0
        if wanted != self.threads:
            self.set_threads(wanted)
            self.changes.append((self.clock(), wanted))
        return wanted


_GOVERNOR: ThreadGovernor | None = None


def rebalance_threads() -> None:
    """Between units of work: let the governor adapt torch's thread count (nothing when there is none)."""
    if _GOVERNOR is not None:
        _GOVERNOR.look()


def hold_threads() -> None:
    """A count fixed on purpose (trainer.torch_threads, a benchmark's setting) is kept: no more changes."""
    global _GOVERNOR
    _GOVERNOR = None


def threads_record(since: float | None = None) -> dict[str, object]:
    """metrics.json `threads`: whether the governor chose torch's thread count and, since `since`
    (time.monotonic; None: the whole process), how often it changed it and which counts ran. A change
    reorders torch's floating-point sums, so the same seed can score differently: a run is bit-identical
    to another only at one fixed count."""
    if _GOVERNOR is None:
        return {"governed": False}
    changes = [count for at, count in _GOVERNOR.changes if since is None or at >= since]
    earlier = [count for at, count in _GOVERNOR.changes if since is not None and at < since]
    start = earlier[-1] if earlier else _GOVERNOR.initial
    return {"governed": True, "start": start, "changes": len(changes), "counts": sorted({start, *changes})}


def threads_line(record: Mapping[str, object]) -> str:
    """One line for a summary when the count changed during the run; "" when it did not."""
    changes = record.get("changes")
    if not isinstance(changes, int) or not changes:
        return ""
    counts = record.get("counts")
    used = ", ".join(str(c) for c in counts) if isinstance(counts, list) else "?"
    return (
        f"threads: torch's thread count changed {changes} time{'s' if changes != 1 else ''} (counts {used}) as other "
        "processes took or freed cores; the same seed is bit-identical only at one fixed count "
        "(OMP_NUM_THREADS=N or trainer.torch_threads=N)"
    )


def thread_changes() -> list[tuple[float, int]]:
    """(monotonic time, new count) of every change the governor made in this process."""
    return list(_GOVERNOR.changes) if _GOVERNOR is not None else []


def _sample_usable_cpus() -> CpuSample:
    return cpu_sample(usable_cpus())


def _set_torch_threads(count: int) -> None:
    import torch  # the governor only acts once torch runs: the loops that call it imported it

    torch.set_num_threads(count)
