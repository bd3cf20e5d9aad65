"""The thread policy: how many threads and which OpenMP wait policy a command starts torch with."""

from __future__ import annotations

from pathlib import Path

import pytest

from arastance.errors import UserError
from arastance.models.threads import (
    CpuSample,
    ThreadGovernor,
    ThreadPolicy,
    decide_threads,
    free_cores,
    others_busy_cores,
    read_policy,
)

AUTO = ThreadPolicy(threads="auto", wait_policy="passive", busy_share=0.5, sample_seconds=0.0)


@pytest.mark.parametrize(
    ("cores", "busy", "expected"),
    [(2, 0.0, 2), (2, 0.3, 2), (2, 0.6, 1), (2, 1.0, 1), (2, 2.0, 1), (16, 3.2, 13), (1, 0.0, 1)],
)
def test_free_cores_leave_the_busy_ones_to_their_owners(cores: int, busy: float, expected: int) -> None:
    assert free_cores(cores, busy, 0.5) == expected


def test_one_busy_process_on_two_cores_gives_one_thread_and_passive_waits() -> None:
    assert decide_threads(AUTO, 2, 1.0, {}) == {
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    assert decide_threads(AUTO, 2, 0.0, {})["OMP_NUM_THREADS"] == "2"


def test_what_the_user_set_wins() -> None:
    chosen = decide_threads(AUTO, 2, 0.0, {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "ACTIVE"})
    assert chosen == {}


def test_a_fixed_count_and_no_wait_policy_from_the_config() -> None:
    assert decide_threads(ThreadPolicy(threads=3, wait_policy=""), 2, 2.0, {}) == {
        "OMP_NUM_THREADS": "3",
        "MKL_NUM_THREADS": "3",
    }


def test_other_processes_load_excludes_our_own() -> None:
    before = CpuSample(busy_jiffies=1000, total_jiffies=5000, own_seconds=1.0, wall=10.0)
    # 2 s of wall time, 300 jiffies (3 s) busy on our cores, 1 s of it ours: others used one core.
    after = CpuSample(busy_jiffies=1300, total_jiffies=5400, own_seconds=2.0, wall=12.0)
    assert others_busy_cores(before, after, 100) == pytest.approx(1.0)
    assert others_busy_cores(after, after, 100) == 0.0


def test_the_policy_is_read_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "threads.yaml").write_text("threads: 2\nwait_policy: active\n", encoding="utf-8")
    assert read_policy(tmp_path) == ThreadPolicy(threads=2, wait_policy="active")
    assert read_policy(tmp_path / "elsewhere") == ThreadPolicy()


def test_the_repository_config_is_valid() -> None:
    assert read_policy(Path(__file__).resolve().parents[1]).threads == "auto"


@pytest.mark.parametrize(
    "text", ["threads: 0\n", "threads: many\n", "wait_policy: spin\n", "colour: blue\n", "[1, 2]\n"]
)
def test_a_bad_config_names_the_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "threads.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=r"threads\.yaml"):
        read_policy(tmp_path)


# --------------------------------------------------------------------------- load that arrives mid-run


class FakeLoad:
    """CpuSamples in which other processes keep `others` cores busy over each window of one second."""

    def __init__(self) -> None:
        self.others = 0.0
        self.wall = 0.0
        self.busy = 0

    def sample(self) -> CpuSample:
        self.wall += 1.0
        self.busy += round(self.others * 100)
        return CpuSample(busy_jiffies=self.busy, total_jiffies=0, own_seconds=0.0, wall=self.wall)


def governor(load: FakeLoad, calls: list[int], threads: int = 2, raise_after: int = 2) -> ThreadGovernor:
    policy = ThreadPolicy(recheck_seconds=1e-9, raise_after=raise_after)
    return ThreadGovernor(policy, threads, calls.append, cores=2, sample=load.sample, ticks_per_second=100)


def test_a_core_taken_mid_run_is_given_back_at_once_and_taken_again_only_after_steady_looks() -> None:
    load, calls = FakeLoad(), []
    gov = governor(load, calls)
    assert gov.look() == 2  # the first look is the baseline
    load.others = 1.0
    assert gov.look() == 1
    assert calls == [1]
    load.others = 0.0
    assert gov.look() == 1  # one free look is not enough
    load.others = 1.0
    assert gov.look() == 1  # the burst came back: the streak starts again
    load.others = 0.0
    assert [gov.look(), gov.look()] == [1, 2]
    assert calls == [1, 2]


def test_two_busy_processes_on_two_cores_leave_one_thread_never_none() -> None:
    load, calls = FakeLoad(), []
    gov = governor(load, calls)
    gov.look()
    load.others = 2.0
    assert gov.look() == 1
    assert calls == [1]


def test_the_governor_looks_no_more_often_than_recheck_seconds() -> None:
    load, calls = FakeLoad(), []
    gov = ThreadGovernor(ThreadPolicy(recheck_seconds=3600), 2, calls.append, cores=2, sample=load.sample)
    gov.look()
    load.others = 2.0
    assert [gov.look() for _ in range(5)] == [2] * 5
    assert load.wall == 1.0  # sampled once


def test_the_training_loop_asks_the_governor_every_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy core reported from the first look on: the loop drops to one thread while it runs."""
    import torch
    from accelerate import Accelerator

    from arastance.models import threads
    from arastance.runs.layout import SplitDir
    from arastance.training.loop import run_loop
    from helpers.tiny_loop import tiny_loop_inputs, tiny_trainer, windows

    load, calls = FakeLoad(), []
    load.others = 1.0
    monkeypatch.setattr(threads, "_GOVERNOR", governor(load, calls))
    before = torch.get_num_threads()
    try:
        _model, inputs = tiny_loop_inputs(windows(40))
        run_loop(
            Accelerator(cpu=True), inputs, tiny_trainer(log_steps=5, max_steps=6), 1, SplitDir(tmp_path), False, print
        )
    finally:
        torch.set_num_threads(before)
    assert calls == [1]
    assert load.wall >= 6  # looked at every step


def test_a_real_process_started_after_the_governor_is_seen_and_a_thread_given_back() -> None:
    """Fault injection: a spinning process starts after the command chose its threads."""
    import subprocess
    import sys
    import time

    from arastance.models.threads import usable_cpus

    cores = len(usable_cpus())
    calls: list[int] = []
    gov = ThreadGovernor(ThreadPolicy(recheck_seconds=0.5, raise_after=2), cores, calls.append)
    gov.look()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.6)  # one window with the process running (not an assertion on time)
        threads = gov.look()
    finally:
        busy.kill()
        busy.wait()
    assert threads <= max(1, cores - 1)
    assert threads >= 1


def test_a_fixed_count_stops_the_governor(monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.models import threads

    monkeypatch.setattr(threads, "_GOVERNOR", governor(FakeLoad(), []))
    threads.hold_threads()
    assert threads._GOVERNOR is None
    threads.rebalance_threads()  # nothing to ask: no error


def test_apply_starts_a_governor_only_when_the_count_is_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.models import threads

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_GOVERNOR", None)
    threads.apply_thread_policy(ThreadPolicy(sample_seconds=0.0, recheck_seconds=0.0))
    assert threads._GOVERNOR is None  # 0: never look again
    monkeypatch.delenv("OMP_NUM_THREADS")
    threads.apply_thread_policy(ThreadPolicy(sample_seconds=0.0))
    assert threads._GOVERNOR is not None
    monkeypatch.setattr(threads, "_GOVERNOR", None)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # the user's count wins: nothing to govern
    threads.apply_thread_policy(ThreadPolicy(sample_seconds=0.0))
    assert threads._GOVERNOR is None


def test_evaluation_and_prediction_batches_ask_the_governor(monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.features.batching import BatchingConfig
    from arastance.models import threads
    from arastance.models.inference import padded_batches
    from arastance.tasks import NER
    from helpers.tiny_loop import windows

    load, calls = FakeLoad(), []
    load.others = 1.0
    monkeypatch.setattr(threads, "_GOVERNOR", governor(load, calls))
    batches = list(
        padded_batches(
            windows(30), 0, BatchingConfig(max_tokens=64, max_rows=8, pool_factor=4, pad_to_multiple_of=1), NER, False
        )
    )
    assert len(batches) > 1
    assert load.wall == len(batches)  # one look per batch
    assert calls == [1]


def test_the_run_records_whether_and_how_often_the_count_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """metrics.json `threads`: a changed count can change a seed's scores, so the run says so."""
    from arastance.models import threads
    from arastance.training.summary import run_summary

    monkeypatch.setattr(threads, "_GOVERNOR", None)
    assert threads.threads_record() == {"governed": False}
    load, calls = FakeLoad(), []
    clock = iter(range(100)).__next__
    gov = ThreadGovernor(ThreadPolicy(recheck_seconds=0.5), 2, calls.append, cores=2, sample=load.sample, clock=clock)
    monkeypatch.setattr(threads, "_GOVERNOR", gov)
    assert threads.threads_record() == {"governed": True, "start": 2, "changes": 0, "counts": [2]}
    assert threads.threads_line(threads.threads_record()) == ""
    gov.look()
    load.others = 1.0
    gov.look()  # 2 → 1
    since = clock()
    load.others = 0.0
    gov.look(), gov.look()  # 1 → 2, after two free looks
    assert calls == [1, 2]
    assert threads.threads_record() == {"governed": True, "start": 2, "changes": 2, "counts": [1, 2]}
    split = threads.threads_record(since=since)
    assert split == {"governed": True, "start": 1, "changes": 1, "counts": [1, 2]}
    line = threads.threads_line(split)
    assert "changed 1 time (counts 1, 2)" in line and "OMP_NUM_THREADS=N" in line
    summary = run_summary(Path("run"), {"ner": {"micro_f1": 0.5}, "threads": split}, [], "ner", "micro_f1", 0, None)
    assert line in summary
    assert "threads:" not in run_summary(Path("run"), {"ner": {"micro_f1": 0.5}}, [], "ner", "micro_f1", 0, None)
