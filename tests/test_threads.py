"""The thread policy: how many threads and which OpenMP wait policy a command starts torch with."""

from __future__ import annotations

from pathlib import Path

import pytest

from arastance.errors import UserError
from arastance.models.threads import CpuSample, ThreadPolicy, decide_threads, free_cores, others_busy_cores, read_policy

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
