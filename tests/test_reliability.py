"""Faults injected on purpose: two runs on one folder, a stale lock, a truncated checkpoint, a resume
with another config, Ctrl-C, a full or read-only disk, a run that fails before writing anything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from tests.helpers.configs import compose_train, without_timings

from arastance.errors import ConfigError, UserError
from arastance.runs.layout import RunDir, SplitDir, latest_link_dir, point_latest, write_text
from arastance.runs.lock import RunLock
from arastance.training.checkpoint import (
    MANIFEST,
    STATE_FILE,
    manifest_problem,
    resume_checkpoint,
    write_manifest,
)
from arastance.training.resume import check_resume_config, config_changes
from arastance.training.summary import run_summary

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"

# --------------------------------------------------------------------------- run lock

HOLD_LOCK = (
    "import sys, time\n"
    "from arastance.runs.lock import RunLock\n"
    "RunLock(sys.argv[1]).acquire()\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)


def _hold_in_another_process(run_dir: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(run_dir)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_refuses_at_once_naming_the_holder(tmp_path: Path) -> None:
    holder = _hold_in_another_process(tmp_path)
    try:
        with pytest.raises(UserError) as err:
            RunLock(tmp_path).acquire()
        assert f"pid {holder.pid} on {socket.gethostname()}" in str(err.value) and "in use" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_run_is_taken_over_with_a_note(tmp_path: Path) -> None:
    holder = _hold_in_another_process(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    notes: list[str] = []
    lock = RunLock(tmp_path, notes.append)
    lock.acquire()
    try:
        assert len(notes) == 1 and "stale" in notes[0] and f"pid {holder.pid}" in notes[0]
        assert f"pid={os.getpid()}" in (tmp_path / ".lock").read_text()
    finally:
        lock.release()


def test_a_lock_released_cleanly_is_not_reported_as_stale(tmp_path: Path) -> None:
    with RunLock(tmp_path):
        pass
    notes: list[str] = []
    with RunLock(tmp_path, notes.append):
        assert notes == []


# --------------------------------------------------------------------------- checkpoint manifest


def _fake_checkpoint(folder: Path, step: int) -> Path:
    path = folder / f"step-{step:06d}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(os.urandom(4096))
    (path / "optimizer.bin").write_bytes(os.urandom(8192))
    (path / "config.yaml").write_text("seed: 1\n")
    (path / STATE_FILE).write_text(json.dumps({"step": step}))
    write_manifest(path)
    return path


def _truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def test_a_complete_checkpoint_matches_its_manifest(tmp_path: Path) -> None:
    assert manifest_problem(_fake_checkpoint(tmp_path, 10)) is None


@pytest.mark.parametrize("damaged", ["model.safetensors", "optimizer.bin", STATE_FILE])
def test_resume_falls_back_past_a_truncated_checkpoint(tmp_path: Path, damaged: str) -> None:
    older = _fake_checkpoint(tmp_path, 10)
    newest = _fake_checkpoint(tmp_path, 20)
    _truncate(newest / damaged)
    warnings: list[str] = []
    assert resume_checkpoint(tmp_path, warnings.append) == older
    assert any(damaged in w and "step-000020" in w for w in warnings)
    assert any("previous complete checkpoint step-000010" in w for w in warnings)


def test_a_same_size_corruption_is_caught_by_the_hash(tmp_path: Path) -> None:
    checkpoint = _fake_checkpoint(tmp_path, 10)
    data = bytearray((checkpoint / "model.safetensors").read_bytes())
    data[100] ^= 0xFF
    (checkpoint / "model.safetensors").write_bytes(bytes(data))
    assert "sha256" in (manifest_problem(checkpoint) or "")


def test_a_checkpoint_without_manifest_is_never_resumed_from(tmp_path: Path) -> None:
    older = _fake_checkpoint(tmp_path, 10)
    unfinished = _fake_checkpoint(tmp_path, 20)
    (unfinished / MANIFEST).unlink()
    assert resume_checkpoint(tmp_path, lambda _: None) == older


def test_no_complete_checkpoint_left_is_a_clear_error(tmp_path: Path) -> None:
    _truncate(_fake_checkpoint(tmp_path, 10) / "model.safetensors")
    with pytest.raises(UserError, match="no complete checkpoint left"):
        resume_checkpoint(tmp_path, lambda _: None)
    assert resume_checkpoint(tmp_path / "none-yet", lambda _: None) is None  # nothing saved yet: a fresh start


# --------------------------------------------------------------------------- resume with another config


def _config(**changes: object) -> dict:
    cfg = {
        "seed": 5,
        "resume": False,
        "run_dir": "/a",
        "task": {"name": "ner"},
        "model": {"name": "tiny"},
        "trainer": {"learning_rate": 1e-3, "max_steps": 60, "progress_bar": False},
        "paths": {"root": "/x"},
    }
    for dotted, value in changes.items():
        node = cfg
        *parents, last = dotted.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    return cfg


def _run_with_checkpoint(tmp_path: Path, cfg: dict) -> RunDir:
    checkpoint = _fake_checkpoint(tmp_path / "checkpoints", 10)
    (checkpoint / "config.yaml").write_text(yaml.safe_dump(cfg))
    write_manifest(checkpoint)
    return RunDir(tmp_path)


def test_resume_refuses_a_changed_seed_or_learning_rate_listing_each_key(tmp_path: Path) -> None:
    run = _run_with_checkpoint(tmp_path, _config())
    new = yaml.safe_dump(_config(seed=6, trainer__learning_rate=3e-5))
    with pytest.raises(ConfigError) as err:
        check_resume_config(run, new, (), lambda _: None)
    message = str(err.value)
    assert "seed: 5 → 6" in message and "trainer.learning_rate: 0.001 → 3e-05" in message
    assert "resume_allow_changes=[seed,trainer.learning_rate]" in message


def test_resume_accepts_a_deliberate_change_and_says_so(tmp_path: Path) -> None:
    run = _run_with_checkpoint(tmp_path, _config())
    notes: list[str] = []
    check_resume_config(run, yaml.safe_dump(_config(trainer__max_steps=120)), ("trainer.max_steps",), notes.append)
    assert len(notes) == 1 and "trainer.max_steps changed 60 → 120" in notes[0]


def test_where_a_run_writes_and_what_it_shows_are_not_changes() -> None:
    changed = _config(resume=True, run_dir="/b", trainer__progress_bar=True, paths__root="/y")
    assert config_changes(_config(), changed) == {}


# --------------------------------------------------------------------------- files and messages


def test_trim_log_keeps_one_line_per_step_up_to_the_checkpoint(tmp_path: Path) -> None:
    split = SplitDir(tmp_path)
    for step in (1, 2, 3, 4):
        split.append_log({"step": step, "loss": 1.0})
    split.append_log({"step": 2, "dev": 0.5, "best_dev": 0.5})
    split.trim_log(2)
    assert [(r["step"], "dev" in r) for r in split.read_train_log()] == [(1, False), (2, False), (2, True)]


def test_latest_points_at_the_newest_run_of_a_task_and_model(tmp_path: Path) -> None:
    home = tmp_path / "outputs" / "ner" / "tiny"
    first, second = home / "2026-01-01_00-00-00", home / "2026-01-02_00-00-00"
    for run in (first, second):
        run.mkdir(parents=True)
        assert latest_link_dir(run, tmp_path / "outputs", "ner", "tiny") == home
        point_latest(home, run)
    assert (home / "latest").resolve() == second.resolve()
    assert latest_link_dir(tmp_path / "elsewhere", tmp_path / "outputs", "ner", "tiny") is None


def test_the_summary_names_folder_stop_reason_scores_and_next_commands(tmp_path: Path) -> None:
    final = {"step": 12, "epoch": 1, "stopped_early": True, "best_step": 8, "best_dev": 0.41, "dev_metric": "micro_f1"}
    text = run_summary(tmp_path, {"ner": {"micro_f1": 0.38}}, [("fold-0", final)], "ner", "micro_f1", 0, None)
    assert str(tmp_path) in text and "early stopping at step 12" in text and "0.4100" in text
    assert "held-out micro_f1: 0.3800" in text
    assert f"arastance evaluate run_dir={tmp_path}" in text and f"arastance publish {tmp_path} --out" in text


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_during_training_names_the_step_and_the_last_checkpoint(tmp_path: Path, sig: int) -> None:
    from arastance.errors import Interrupted, failure_status
    from arastance.training.loop import LoopState, _interrupt_with_position

    _fake_checkpoint(tmp_path / "checkpoints", 5)
    state = LoopState(seed=1, step=7)
    before = signal.getsignal(sig)
    restore = _interrupt_with_position(state, SplitDir(tmp_path))
    try:
        with pytest.raises(
            Interrupted, match=r"interrupted at step 7 \(last checkpoint step-000005 .*resume=true"
        ) as err:
            os.kill(os.getpid(), sig)
            time.sleep(5)  # the handler runs at the next bytecode; never reached
    finally:
        restore()
    assert signal.getsignal(sig) is before
    assert failure_status("arastance train", err.value) == 128 + sig  # 130 for Ctrl-C, 143 for SIGTERM


def test_a_background_run_that_ignores_ctrl_c_keeps_ignoring_it(tmp_path: Path) -> None:
    from arastance.training.loop import LoopState, _interrupt_with_position

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        restore = _interrupt_with_position(LoopState(seed=1), SplitDir(tmp_path))
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # while training
        restore()
    finally:
        signal.signal(signal.SIGINT, previous)


# --------------------------------------------------------------------------- full and read-only disks


@pytest.fixture
def small_tmpfs(tmp_path: Path):
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not permitted'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> None:
    """Write until the file system is full (ENOSPC), as a disk filled by someone else would be."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while os.write(fd, b"\0" * (1 << 16)):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def test_a_write_on_a_read_only_folder_names_it_and_keeps_the_old_file(small_tmpfs: Path) -> None:
    target = small_tmpfs / "metrics.json"
    target.write_text("old\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    with pytest.raises(UserError) as err:
        write_text(target, "new\n")
    assert str(small_tmpfs) in str(err.value) and "Read-only file system" in str(err.value)
    assert target.read_text() == "old\n"


def test_a_write_on_a_full_disk_names_it_and_leaves_no_temporary_file(small_tmpfs: Path) -> None:
    target = small_tmpfs / "report.md"
    target.write_text("old\n")
    fill(small_tmpfs)
    with pytest.raises(UserError) as err:
        write_text(target, "x" * (1 << 20))
    assert str(small_tmpfs) in str(err.value) and "No space left on device" in str(err.value)
    assert target.read_text() == "old\n" and sorted(p.name for p in small_tmpfs.iterdir()) == ["filler", "report.md"]


# --------------------------------------------------------------------------- real training runs


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


def quick(run_dir: Path | None, cache: Path, *extra: str) -> list[str]:
    where = [f"run_dir={run_dir}"] if run_dir is not None else []
    return [
        "model=tiny",
        "trainer=smoke",
        *where,
        f"paths.root={ROOT}",
        f"paths.cache_dir={cache}",
        "trainer.log_steps=1",
        *extra,
    ]


def train_cli(run_dir: Path, cache: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "arastance.train", "task=ner", *quick(run_dir, cache, *extra)]


def env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 180) -> None:
    wait_for_any(path.parent, path.name, proc, seconds)


def wait_for_any(folder: Path, pattern: str, proc: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not any(folder.glob(pattern)):
        assert proc.poll() is None, "the run ended before the fault could be injected"
        assert time.monotonic() < deadline, f"{folder / pattern} never appeared"
        time.sleep(0.02)


def logged_steps(run_dir: Path) -> list[int]:
    return [r["step"] for r in SplitDir(run_dir).read_train_log() if "loss" in r]


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_status_130_and_resume_continues_with_one_log_line_per_step(
    tmp_path: Path, cache: Path
) -> None:
    # Far more steps than the first checkpoints need: the signal must land during training, however fast
    # the loop runs (at 40 steps the sync-free loop had finished before the signal arrived).
    steps = 400
    args = ("seed=5", f"trainer.max_steps={steps}", "trainer.save_steps=5", "data=fixed", "trainer.precision=fp32")
    run = tmp_path / "run"
    proc = subprocess.Popen(
        train_cli(run, cache, *args), env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_for_any(run / "checkpoints", f"step-*/{MANIFEST}", proc)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in stderr
    (line,) = [text for text in stderr.splitlines() if "interrupted" in text]
    assert line.startswith("arastance train: interrupted at step ") and "resume with `resume=true`" in line
    assert not (run / "metrics.json").exists()

    changed = subprocess.run(
        train_cli(run, cache, *args, "resume=true", "seed=6"), env=env(), capture_output=True, text=True
    )
    assert changed.returncode == 2 and "seed: 5 → 6" in changed.stderr and "Traceback" not in changed.stderr

    resumed = subprocess.run(train_cli(run, cache, *args, "resume=true"), env=env(), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert logged_steps(run) == list(range(1, steps + 1))
    assert f"training done: {run}" in resumed.stdout and f"arastance evaluate run_dir={run}" in resumed.stdout


@pytest.mark.slow
def test_a_truncated_newest_checkpoint_falls_back_and_ends_as_an_uninterrupted_run(
    tmp_path: Path, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from arastance.train import train

    args = (
        "seed=3",
        "trainer.max_steps=6",
        "trainer.save_steps=2",
        "trainer.keep_checkpoints=3",
        "data=fixed",
        "trainer.precision=fp32",
    )
    straight = train(compose_train(quick(tmp_path / "straight", cache, *args)))
    run = tmp_path / "damaged"
    train(compose_train(quick(run, cache, *args)))
    (run / "metrics.json").unlink()  # as if killed after the last checkpoint
    _truncate(run / "checkpoints" / "step-000006" / "model.safetensors")
    caplog.set_level("INFO", logger="arastance.train")
    resumed = train(compose_train(quick(run, cache, *args, "resume=true")))
    assert "model.safetensors" in caplog.text and "previous complete checkpoint step-000004" in caplog.text
    assert without_timings(resumed) == without_timings(straight)


def _fault_after_first_checkpoint(monkeypatch: pytest.MonkeyPatch, fault) -> None:
    """Inject `fault` right after the first checkpoint is complete (prune runs after each rename)."""
    import arastance.training.checkpoint as checkpoint

    original = checkpoint.prune
    calls = []

    def prune_then_fault(folder: Path, keep: int) -> None:
        original(folder, keep)
        calls.append(folder)
        if len(calls) == 1:
            fault()

    monkeypatch.setattr(checkpoint, "prune", prune_then_fault)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_full_or_read_only_disk_mid_run_names_the_folder_and_keeps_earlier_checkpoints(
    fault: str, small_tmpfs: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arastance.train import train

    run = small_tmpfs / "run"
    if fault == "full":
        _fault_after_first_checkpoint(monkeypatch, lambda: fill(small_tmpfs))
    else:
        _fault_after_first_checkpoint(
            monkeypatch, lambda: subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
        )
    cfg = compose_train(
        quick(run, cache, "trainer.max_steps=6", "trainer.save_steps=2", "trainer.eval_steps=2", "data=fixed")
    )
    with pytest.raises(UserError) as err:
        train(cfg)
    message = str(err.value)
    assert str(run) in message
    assert (
        ("No space left on device" in message or "no space left on device" in message)
        if fault == "full"
        else "Read-only file system" in message
    )
    first = run / "checkpoints" / "step-000002"
    assert manifest_problem(first) is None
    leftovers = [*run.rglob(".tmp-*"), *run.rglob(".*.tmp-*"), *run.rglob(".*.building-*")]
    assert not leftovers and not (run / "metrics.json").exists()
    best = run / "best"
    assert not best.exists() or {"config.json", "model.safetensors"} <= {p.name for p in best.iterdir()}


@pytest.mark.slow
def test_two_training_runs_on_one_run_dir_the_second_refuses_naming_the_first(tmp_path: Path, cache: Path) -> None:
    run = tmp_path / "run"
    args = ("trainer.max_steps=400", "data=fixed", "trainer.save_steps=1000")
    first = subprocess.Popen(
        train_cli(run, cache, *args), env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(run / "train_log.jsonl", first)  # it holds the lock and is training
        second = subprocess.run(
            train_cli(run, cache, *args, "resume=true"), env=env(), capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 1
        assert f"in use by another training run (pid {first.pid} on {socket.gethostname()}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait()


def test_a_run_that_fails_before_training_leaves_no_empty_fold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.train import train

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    run = tmp_path / "run"
    cfg = compose_train(
        ["model=arabert_v02", "trainer=smoke", f"run_dir={run}", f"paths.root={ROOT}", "data.folds=[0]"]
    )
    with pytest.raises(UserError, match="model=tiny"):
        train(cfg)
    assert not (run / "fold-0").exists()
    assert RunDir(run).leftovers() == []


@pytest.mark.slow
def test_early_stopping_says_so_and_latest_points_at_the_run(
    tmp_path: Path, cache: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from arastance.train import train

    outputs = tmp_path / "outputs"
    caplog.set_level("INFO", logger="arastance.train")
    # patience 1 with a dev evaluation every step: the first evaluation that does not improve stops.
    cfg = compose_train(
        quick(
            None,
            cache,
            f"paths.output_dir={outputs}",
            "data=fixed",
            "trainer.max_steps=30",
            "trainer.eval_steps=1",
            "trainer.early_stopping_patience=1",
            "trainer.learning_rate=1e-6",
        )
    )
    metrics = train(cfg)
    assert metrics["final"]["stopped_early"]
    assert f"early stopping at step {metrics['final']['step']}" in caplog.text
    latest = outputs / "ner" / "tiny" / "latest"
    assert latest.is_symlink() and (latest / "metrics.json").is_file()
    out = capsys.readouterr().out
    assert "early stopping at step" in out and f"arastance evaluate run_dir={latest.resolve()}" in out
