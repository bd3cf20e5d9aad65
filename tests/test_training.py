"""The training loop end to end on the tiny model: every experiment config, determinism,
resume after a kill, two processes vs one, and the offline fail-fast of hub models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.helpers.configs import compose_train, without_timings

from arastance.errors import UserError
from arastance.train import train

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
# The two-stage recipe's experiments need their inputs (extra records, stage 1's run): tests/test_two_stage.py
# runs them.
# The two-stage and ANERcorp recipes need the user's corpus files (data.extra_records): they are run end to end
# on fixtures in tests/test_two_stage.py and tests/test_corpus_test_sets.py.
EXPERIMENTS = sorted(
    p.stem for p in (CONFIGS / "experiment").glob("*.yaml") if not p.stem.startswith(("ner_two_stage", "anercorp_"))
)


def quick(run_dir: Path, cache: Path, *extra: str) -> list[str]:
    return [
        "model=tiny",
        "trainer=smoke",
        f"run_dir={run_dir}",
        f"paths.root={ROOT}",
        f"paths.cache_dir={cache}",
        "trainer.log_steps=1",
        *extra,
    ]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.mark.slow
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes_and_trains_one_step(experiment: str, tmp_path: Path, cache: Path) -> None:
    # Hub models cannot be fetched here: the experiment is run on the tiny model, all else as configured.
    # save_steps=1: a checkpoint at the last step, so that every experiment's checkpoint is written too
    # (by default checkpoints are by time and none is written at the last step).
    args = quick(tmp_path, cache, "trainer.max_steps=1", "trainer.save_steps=1", "data.folds=[0]")
    cfg = compose_train([f"experiment={experiment}", *args])
    metrics = train(cfg)
    task = cfg.task.name
    assert metrics["final"]["step"] == 1
    assert set(metrics[task]["per_label"]) >= set(("PER", "ORG") if task == "ner" else ("PRO_STAY", "NONE"))
    fold = tmp_path / "fold-0"
    assert (fold / "best" / "config.json").is_file() and (fold / "predictions.jsonl").is_file()
    assert (fold / "checkpoints" / "step-000001" / "trainer_state.json").is_file()


@pytest.mark.slow
def test_same_seed_gives_identical_metrics(tmp_path: Path, cache: Path) -> None:
    runs = []
    for name in ("a", "b"):
        cfg = compose_train(
            quick(tmp_path / name, cache, "task=stance", "seed=11", "trainer.max_steps=8", "data=fixed")
        )
        runs.append(train(cfg))
    assert without_timings(runs[0]) == without_timings(runs[1])
    assert {"governed"} <= set(runs[0]["threads"])  # whether the thread count could have changed the scores
    seconds = runs[0]["time"]["seconds"]  # where the wall time went: phases that add up to it
    assert {"train_steps", "model_build", "tokenise", "held_out_predict", "model_load"} <= set(seconds)
    assert sum(v for k, v in seconds.items() if k != "wall") == pytest.approx(seconds["wall"], abs=0.01)
    history = [json.loads(line) for line in (tmp_path / "a" / "train_log.jsonl").read_text().splitlines()]
    assert [h["loss"] for h in history if "loss" in h] == [
        h["loss"] for h in map(json.loads, (tmp_path / "b" / "train_log.jsonl").read_text().splitlines()) if "loss" in h
    ]


def _cli(run_dir: Path, cache: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "arastance.train", "task=ner", *quick(run_dir, cache, *extra)]


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def _scores(run_dir: Path) -> dict:
    return without_timings(json.loads((run_dir / "metrics.json").read_text()))


@pytest.mark.slow
def test_resume_after_kill_ends_with_the_metrics_of_an_uninterrupted_run(tmp_path: Path, cache: Path) -> None:
    args = (
        "seed=5",
        "trainer.max_steps=60",
        "trainer.save_steps=10",
        "trainer.eval_steps=10",
        "data=fixed",
        "trainer.precision=fp32",
    )
    straight = tmp_path / "straight"
    subprocess.run(_cli(straight, cache, *args), check=True, env=_env(), capture_output=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        _cli(killed, cache, *args), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not (killed / "checkpoints" / "step-000020" / "trainer_state.json").exists():
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "metrics.json").exists()

    subprocess.run(_cli(killed, cache, *args, "resume=true"), check=True, env=_env(), capture_output=True)
    log = (killed / "train_log.jsonl").read_text()
    assert "step" in log
    resumed, reference = _scores(killed), _scores(straight)
    assert resumed["ner"] == reference["ner"]
    assert resumed["final"]["step"] == reference["final"]["step"] == 60
    assert resumed["history"][-1] == reference["history"][-1]


def test_half_written_checkpoints_are_never_resumed_from(tmp_path: Path) -> None:
    from arastance.training.checkpoint import latest_checkpoint, write_manifest

    (tmp_path / "checkpoints" / "step-000010").mkdir(parents=True)
    (tmp_path / "checkpoints" / "step-000010" / "trainer_state.json").write_text("{}")
    write_manifest(tmp_path / "checkpoints" / "step-000010")
    (tmp_path / "checkpoints" / ".tmp-step-000020").mkdir()
    (tmp_path / "checkpoints" / "step-000030").mkdir()  # no manifest: incomplete
    (tmp_path / "checkpoints" / "step-000030" / "trainer_state.json").write_text("{}")
    assert latest_checkpoint(tmp_path / "checkpoints") == tmp_path / "checkpoints" / "step-000010"


@pytest.mark.slow
def test_two_processes_follow_the_loss_curve_of_one_with_the_same_global_batch(tmp_path: Path, cache: Path) -> None:
    args = (
        "seed=3",
        "trainer.max_steps=6",
        "data=fixed",
        "trainer.precision=fp32",
        "trainer.early_stopping_patience=0",
    )
    one = tmp_path / "one"
    subprocess.run(
        _cli(one, cache, *args, "trainer.gradient_accumulation_steps=2"), check=True, env=_env(), capture_output=True
    )
    two = tmp_path / "two"
    # On a CPU-only machine `accelerate launch` starts one process unless told --multi_gpu (gloo then).
    launch = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        "29731",
    ]
    done = subprocess.run(launch + _cli(two, cache, *args)[1:], env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]

    def curve(run: Path) -> list[dict]:
        return [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines() if '"loss"' in line]

    a, b = curve(one), curve(two)
    assert json.loads((two / "metrics.json").read_text())["final"]["world_size"] == 2
    assert [r["step"] for r in a] == [r["step"] for r in b] == list(range(1, 7))
    assert [r["lr"] for r in a] == pytest.approx([r["lr"] for r in b], rel=1e-9)
    # Same global batches and schedule; only dropout masks differ (each rank draws its own).
    assert [r["loss"] for r in a] == pytest.approx([r["loss"] for r in b], rel=0.02)


def test_hub_model_offline_fails_fast_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    cfg = compose_train(
        [
            "model=arabert_v02",
            "trainer=smoke",
            f"run_dir={tmp_path}",
            f"paths.root={ROOT}",
            "data=fixed",
            "trainer.max_steps=1",
        ]
    )
    started = time.monotonic()
    with pytest.raises(UserError) as err:
        train(cfg)
    message = str(err.value)
    assert "aubmindlab/bert-base-arabertv02" in message and "model=tiny" in message and "model.pretrained=" in message
    assert time.monotonic() - started < 30  # not the 20-50 s of hub retries


def test_unreachable_hub_fails_fast_without_offline_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.models.loading import resolve_pretrained

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(UserError, match="did not answer"):
        resolve_pretrained("aubmindlab/bert-base-arabertv02", connect_timeout_s=2)


def _train_with_annotations(annotations: Path, run_dir: Path, cache: Path) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "arastance.train",
        "model=tiny",
        f"paths.annotations_dir={annotations}",
        f"run_dir={run_dir}",
        f"paths.cache_dir={cache}",
    ]
    return subprocess.run(cmd, env=_env(), capture_output=True, text=True)


@pytest.mark.slow
def test_train_cli_reports_invalid_gold_without_traceback(tmp_path: Path, cache: Path) -> None:
    gold = tmp_path / "annotations" / "gold"
    gold.mkdir(parents=True)
    (tmp_path / "annotations" / "documents").mkdir()
    (tmp_path / "annotations" / "schema.yaml").write_text((ROOT / "annotations" / "schema.yaml").read_text())
    (gold / "broken.json").write_text("{not json")
    done = _train_with_annotations(tmp_path / "annotations", tmp_path / "run", cache)
    assert done.returncode == 1
    assert "broken.json" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_train_cli_reports_a_missing_schema_without_traceback(tmp_path: Path, cache: Path) -> None:
    done = _train_with_annotations(tmp_path, tmp_path / "run", cache)
    assert done.returncode == 1
    assert "schema.yaml" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_new_run_never_overwrites_an_existing_one(tmp_path: Path, cache: Path) -> None:
    cfg = compose_train(quick(tmp_path, cache, "trainer.max_steps=1", "data=fixed"))
    train(cfg)
    with pytest.raises(UserError, match="resume=true"):
        train(cfg)


@pytest.mark.slow
def test_one_process_can_train_twice_with_different_precisions(tmp_path: Path, cache: Path) -> None:
    precisions = []
    for precision in ("bf16", "fp32"):
        cfg = compose_train(
            quick(tmp_path / precision, cache, "trainer.max_steps=1", "data=fixed", f"trainer.precision={precision}")
        )
        precisions.append(train(cfg)["final"]["mixed_precision"])
    assert precisions[1] == "no" and precisions[0] in {"bf16", "no"}  # bf16 where this CPU has it


@pytest.mark.slow
def test_building_the_tiny_model_does_not_change_the_run_that_builds_it(tmp_path: Path) -> None:
    """The first run (which builds the tiny model) and a later one (which loads it) are identical."""
    runs = []
    for name in ("builds", "loads"):
        cfg = compose_train(
            quick(tmp_path / name, tmp_path / "fresh-cache", "seed=4", "trainer.max_steps=3", "data=fixed")
        )
        runs.append(without_timings(train(cfg)))
    assert runs[0] == runs[1]
