"""Training entry point.

    python -m arastance.train task=ner model=tiny seed=7 trainer.max_steps=60 trainer.save_steps=10 run_dir=DIR
    accelerate launch --num_processes 2 -m arastance.train ...   (or torchrun --nproc_per_node 2 -m ...)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from arastance.errors import ConfigError, exit_on_failure
from arastance.paths import CONFIGS_DIR
from arastance.runs.layout import RunDir, latest_link_dir, point_latest, remove_hydra_traces
from arastance.schema import load_schema
from arastance.settings import RunSettings, from_config, validate_training_config


def train(cfg: DictConfig) -> dict[str, Any]:
    """Run every split the config asks for; return the metrics (pooled over folds for CV)."""
    # A full or read-only disk under hydra's train.log must not turn every log line into a
    # "--- Logging error ---" traceback: the write that fails is reported once, by the failure handler.
    logging.raiseExceptions = False
    try:
        validate_training_config(cfg)
    except ConfigError:
        # Hydra has already made run_dir for its own files; a run that never started leaves nothing.
        remove_hydra_traces(RunDir(Path(str(cfg.get("run_dir", ".")))))
        raise
    # Local: the training stack loads torch and transformers (seconds), which `arastance train --help`
    # and a config error need not.
    from arastance.models.loading import quiet_libraries
    from arastance.training.cv import run_all

    settings = from_config(cfg, OmegaConf.to_yaml(cfg, resolve=True))
    quiet_libraries()
    schema = load_schema(settings.paths.annotations_dir / "schema.yaml")
    metrics = run_all(settings, schema)
    if metrics and _is_main_process():
        print(finish(settings, metrics), flush=True)
    return metrics


def finish(settings: RunSettings, metrics: dict[str, Any]) -> str:
    """Point outputs/<task>/<model>/latest at this run and say what it did and what to run next."""
    from arastance.training.summary import run_summary

    run = RunDir(settings.run_dir)
    home = latest_link_dir(run.path, settings.paths.output_dir, settings.task.name, settings.model.name)
    latest = point_latest(home, run.path) if home is not None else None
    finals = [(s.name if run.is_cv() else "run", s.read_metrics()["final"]) for s in run.splits() if s.is_finished()]
    return run_summary(run.path, metrics, finals, settings.task.name, settings.task.metric, settings.trainer.max_steps, latest)


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


@hydra.main(version_base="1.3", config_path=str(CONFIGS_DIR), config_name="train")
def main(cfg: DictConfig) -> float | None:
    with exit_on_failure("arastance train"):
        metrics = train(cfg)
    task = cfg.task.name
    return metrics.get(task, {}).get(str(cfg.task.metric)) if metrics else None


if __name__ == "__main__":
    main()
