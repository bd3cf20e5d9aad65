"""Experiment trackers of one training split, through Accelerate's tracker classes (`trainer.trackers`).

- `tensorboard` (the default): event files in the split's `tensorboard/`, as before.
- `mlflow` (opt-in, `pip install -e ".[mlflow]"`): a local MLflow store in the run folder,
  `RUN/mlruns/` (`mlflow.db`, SQLite, and `artifacts/`; one store per run, each cross-validation fold
  an MLflow run in it, the experiment named after the task), so nothing is sent anywhere. SQLite, not
  a `file:` store: MLflow 3 refuses new file stores unless MLFLOW_ALLOW_FILE_STORE=true.
  `MLFLOW_TRACKING_URI`, when set, wins: that is how a user sends runs to a shared store or server
  on purpose. View: `mlflow ui --backend-store-uri sqlite:///RUN/mlruns/mlflow.db`.

Only the main process opens trackers; the others get an empty set, so callers never branch on rank.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.runs.layout import SplitDir
from arastance.settings import TRACKERS, TrainerSettings


def check_trackers(names: Sequence[str]) -> None:
    """Fail before training, with what to do, for a tracker we do not know or cannot import."""
    unknown = [n for n in names if n not in TRACKERS]
    if unknown:
        raise UserError(f"trainer.trackers: unknown tracker(s) {', '.join(unknown)} (known: {', '.join(TRACKERS)})")
    if "mlflow" in names and importlib.util.find_spec("mlflow") is None:
        raise UserError(
            'trainer.trackers has mlflow, but mlflow is not installed: pip install -e ".[mlflow]" '
            "(or drop mlflow from trainer.trackers)"
        )


class Trackers:
    """The opened trackers of a split: scalars to all of them, closed together."""

    def __init__(self, trackers: Sequence[Any]) -> None:
        self.trackers = list(trackers)

    def __bool__(self) -> bool:
        return bool(self.trackers)

    def log(self, values: dict[str, float], step: int) -> None:
        for tracker in self.trackers:
            tracker.log(values, step=step)

    def close(self) -> None:
        for tracker in self.trackers:
            tracker.finish()


def open_trackers(
    trainer: TrainerSettings, split_dir: SplitDir, task: str, seed: int, is_main_process: bool
) -> Trackers:
    check_trackers(trainer.trackers)
    if not is_main_process:
        return Trackers([])
    opened = []
    for name in trainer.trackers:
        tracker = _tensorboard(split_dir) if name == "tensorboard" else _mlflow(trainer, split_dir, task, seed)
        opened.append(tracker)
    return Trackers(opened)


def local_store_uri(store: Path) -> str:
    return f"sqlite:///{store / 'mlflow.db'}"


def _tensorboard(split_dir: SplitDir) -> Any:
    from accelerate.tracking import TensorBoardTracker

    tracker = TensorBoardTracker(run_name="", logging_dir=split_dir.tensorboard)
    tracker.start()
    return tracker


def _mlflow(trainer: TrainerSettings, split_dir: SplitDir, task: str, seed: int) -> Any:
    import mlflow
    from accelerate.tracking import MLflowTracker

    store = split_dir.mlruns.resolve()
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        store.mkdir(parents=True, exist_ok=True)
        mlflow.set_tracking_uri(local_store_uri(store))
    run_folder = store.parent
    run_name = run_folder.name if run_folder == split_dir.path.resolve() else f"{run_folder.name}/{split_dir.name}"
    tracker = MLflowTracker(
        experiment_name=f"arastance-{task}",
        logging_dir=(store / "artifacts").as_uri(),
        run_name=run_name,
        tags={"task": task, "split": split_dir.name},
    )
    tracker.start()
    tracker.store_init_configuration(
        {"seed": seed, **{f"trainer.{k}": v for k, v in dataclasses.asdict(trainer).items()}}
    )
    return tracker
