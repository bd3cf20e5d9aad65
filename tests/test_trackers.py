"""Experiment trackers: TensorBoard by default, MLflow opt-in into the run folder's local file store."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from arastance.errors import UserError
from arastance.runs.layout import SplitDir
from arastance.training import trackers
from helpers.tiny_loop import tiny_loop_inputs, tiny_trainer, windows

ROOT = Path(__file__).resolve().parents[1]


def test_tensorboard_is_the_default_tracker_and_the_smoke_trainer_has_none() -> None:
    assert list(OmegaConf.load(ROOT / "configs" / "trainer" / "default.yaml").trackers) == ["tensorboard"]
    assert list(OmegaConf.load(ROOT / "configs" / "trainer" / "smoke.yaml").trackers) == []


def test_an_unknown_tracker_is_refused_before_training() -> None:
    with pytest.raises(UserError, match=r"trainer\.trackers: unknown tracker.*wandb.*known: tensorboard, mlflow"):
        trackers.check_trackers(["tensorboard", "wandb"])


def test_mlflow_without_mlflow_installed_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    with pytest.raises(UserError, match=r'pip install -e "\.\[mlflow\]"'):
        trackers.check_trackers(["mlflow"])


def test_a_run_with_mlflow_writes_a_local_run_with_the_logged_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mlflow", reason='mlflow is an optional extra: pip install -e ".[mlflow]"')
    from accelerate import Accelerator
    from mlflow.tracking import MlflowClient

    from arastance.training.loop import run_loop

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    split_dir = SplitDir(tmp_path / "run-7" / "fold-2")
    split_dir.path.mkdir(parents=True)
    _model, inputs = tiny_loop_inputs(windows(60))
    run_loop(
        Accelerator(cpu=True),
        inputs,
        tiny_trainer(log_steps=2, max_steps=6, trackers=("tensorboard", "mlflow")),
        1,
        split_dir,
        False,
        lambda *_: None,
    )

    store = tmp_path / "run-7" / "mlruns"
    assert store.is_dir() and not (split_dir.path / "mlruns").exists()
    assert list(split_dir.tensorboard.glob("events.out.tfevents.*"))
    assert (store / "mlflow.db").is_file()
    client = MlflowClient(tracking_uri=trackers.local_store_uri(store))
    experiment = client.get_experiment_by_name("arastance-ner")
    [run] = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "run-7/fold-2"
    assert run.info.status == "FINISHED"
    assert run.data.params["trainer.log_steps"] == "2"
    logged = [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "train/loss")]
    expected = [(r["step"], r["loss"]) for r in split_dir.read_train_log() if "loss" in r]
    assert [s for s, _ in logged] == [s for s, _ in expected] == [2, 4, 6]
    assert [v for _, v in logged] == pytest.approx([v for _, v in expected])
