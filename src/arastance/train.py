"""Training entry point.

    python -m arastance.train task=ner model=tiny seed=7 trainer.max_steps=60 trainer.save_steps=10 run_dir=DIR
    python -m arastance.train -m seed=1,2,3 task=ner model=tiny        (one job folder per seed)
    python -m arastance.train hparams_search=ner_optuna                 (Optuna search over dev scores)
    accelerate launch --num_processes 2 -m arastance.train ...   (or torchrun --nproc_per_node 2 -m ...)

`main` returns the search objective (training/objective.py): the mean over splits of the best dev
score, never a held-out score, which is what hydra's Optuna sweeper maximises.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import hydra
from omegaconf import DictConfig, OmegaConf

from arastance.errors import UserError, entry_status, exit_on_failure
from arastance.paths import CONFIGS_DIR, config_groups_help
from arastance.phases import CLOCK, start_command
from arastance.runs.layout import RunDir, latest_link_dir, point_latest, remove_startup_traces
from arastance.runs.state import require_model, require_new_or_resumable
from arastance.schema import Schema, load_schema
from arastance.settings import DataSettings, RunSettings, checked, from_config, validate_training_config

if TYPE_CHECKING:
    from arastance.evaluation.test_sets import CorpusTestSet


def train(cfg: DictConfig) -> dict[str, Any]:
    """Run every split the config asks for; return the metrics (pooled over folds for CV)."""
    # A full or read-only disk under a log handler must not turn every log line into a
    # "--- Logging error ---" traceback: the write that fails is reported once, by the failure handler.
    logging.raiseExceptions = False
    start_command()
    run = RunDir(Path(str(cfg.get("run_dir") or ".")))
    try:
        return _train(cfg)
    except BaseException:
        # Hydra made run_dir for its own files; a run that failed before any work leaves nothing there.
        remove_startup_traces(run)
        raise


def _train(cfg: DictConfig) -> dict[str, Any]:
    validate_training_config(cfg)
    # Local: the training stack loads torch and transformers (seconds), which `arastance train --help`
    # and a config error need not.
    with CLOCK.phase("imports"):
        from arastance.evaluation.test_sets import load_corpus_test_sets
        from arastance.gold.splits import run_schema
        from arastance.models.loading import quiet_libraries
        from arastance.training.cv import is_main_process, run_all

    settings = checked_paths(from_config(cfg, OmegaConf.to_yaml(cfg, resolve=True)))
    quiet_libraries()
    schema = load_schema(settings.paths.annotations_dir / "schema.yaml")
    # A corpus's test split is read and checked before any training, like every other input.
    test_sets = load_corpus_test_sets(settings.data.eval_records, settings.task.name, run_schema(schema, settings.data))
    metrics = run_all(settings, schema)
    if metrics and is_main_process():
        if test_sets:
            metrics["test_sets"] = score_test_sets_after_training(settings, schema, test_sets, cfg)
        print(finish(settings, metrics), flush=True)
    return metrics


def checked_paths(settings: RunSettings) -> RunSettings:
    """run_dir and a local model.pretrained asked of runs/ before any work (runs/state.py): a run_dir of
    the wrong kind, resume=true with nothing to resume, a cross-validation run where one model is
    needed are refused by name; a run folder given as model.pretrained becomes its model folder."""
    require_new_or_resumable(settings.run_dir, settings.resume)
    pretrained = settings.model.pretrained
    if not pretrained or not Path(str(pretrained)).expanduser().is_dir():
        return settings  # a hub id, or a missing folder that models/factory.py names
    model_dir = require_model(Path(str(pretrained)).expanduser(), "model.pretrained=")
    return replace(settings, model=replace(settings.model, pretrained=str(model_dir)))


def score_test_sets_after_training(
    settings: RunSettings, schema: Schema, test_sets: list[CorpusTestSet], cfg: DictConfig
) -> dict[str, Any]:
    """data.eval_records scored with the kept model(s), added to the run's metrics.json beside the gold."""
    from arastance.evaluation.report import ReportSettings
    from arastance.evaluation.test_sets import score_run_test_sets
    from arastance.gold.splits import run_schema
    from arastance.models.device import choose_runtime
    from arastance.runs.layout import read_json_object, write_json

    run = RunDir(settings.run_dir)
    bootstrap = ReportSettings.from_cfg(cfg.eval).bootstrap
    labels = run_schema(schema, settings.data)
    runtime = choose_runtime(settings.trainer.precision)
    block = score_run_test_sets(
        run, settings, labels, test_sets, runtime, bootstrap, logging.getLogger("arastance.train").info
    )
    stored = read_json_object(run.metrics_path)
    write_json(run.metrics_path, {**stored, "test_sets": block})
    return block


def finish(settings: RunSettings, metrics: dict[str, Any]) -> str:
    """Point outputs/<task>/<model>/latest at this run and say what it did and what to run next."""
    from arastance.evaluation.test_sets import corpus_test_lines
    from arastance.training.summary import run_summary

    run = RunDir(settings.run_dir)
    home = latest_link_dir(run.path, settings.paths.output_dir, settings.task.name, settings.model.name)
    latest = point_latest(home, run.path) if home is not None else None
    finals = [(s.name if run.is_cv() else "run", s.read_metrics()["final"]) for s in run.splits() if s.is_finished()]
    return run_summary(
        run.path,
        metrics,
        finals,
        settings.task.name,
        settings.task.metric,
        settings.trainer.max_steps,
        latest,
        corpus_test_lines(metrics.get("test_sets") or {}),
    )


def _hydra_job() -> Any | None:
    """The running hydra job's config (hydra.*), or None outside a hydra app (compose(), tests)."""
    from hydra.core.hydra_config import HydraConfig

    return HydraConfig.get() if HydraConfig.initialized() else None


def _is_multirun(job: Any | None) -> TypeGuard[Any]:  # True: `job` is not None
    from hydra.types import RunMode

    return job is not None and job.mode == RunMode.MULTIRUN


def job_run_dir(single_run_dir: str) -> str:
    """run_dir's default: `single_run_dir` for one run; a multirun job's own folder under the sweep
    folder (hydra.sweep.dir/hydra.sweep.subdir), so that two jobs of a sweep never share a run_dir."""
    job = _hydra_job()
    if _is_multirun(job):
        return os.path.join(str(job.sweep.dir), str(job.sweep.subdir))
    return single_run_dir


# Registered on import: configs/train.yaml's run_dir needs it wherever train.yaml is composed.
OmegaConf.register_new_resolver("arastance.job_run_dir", job_run_dir, replace=True)
# configs/train.yaml and evaluate.yaml's --help: only the groups the app reads.
OmegaConf.register_new_resolver("arastance.config_groups", config_groups_help, replace=True)


def overridden_keys(overrides: list[str]) -> set[str]:
    """Config keys a list of hydra overrides sets ("+a.b=1", "~c", "run_dir=X" → {"a.b", "c", "run_dir"})."""
    return {o.split("=", 1)[0].lstrip("+~") for o in overrides}


def refuse_run_dir_in_multirun(job: Any | None) -> None:
    """Every job of a sweep would write into the same run_dir=X; hydra users set the sweep folder."""
    if _is_multirun(job) and "run_dir" in overridden_keys(list(job.overrides.task)):
        raise UserError(
            "run_dir= names one run's folder and cannot be given to a multirun (-m, hparams_search): "
            "every job gets its own folder under the sweep folder; set that with hydra.sweep.dir=DIR instead"
        )


def _is_search(job: Any | None) -> bool:
    return _is_multirun(job) and "optuna" in str(job.sweeper.get("_target_", "")).lower()


def refuse_search_without_dev(job: Any | None, data: Any) -> None:
    """The objective is a dev score: a search whose splits have no dev documents fails before training."""
    if _is_search(job) and not checked(DataSettings, data, prefix="data.").has_dev:
        raise UserError(
            "a search maximises the dev score, and these splits have no dev documents: set data.dev_docs >= 1 "
            "(cross-validation) or data.dev_docs_ids (data=fixed)"
        )


def refuse_empty_paths(argv: Sequence[str], keys: Sequence[str] = ("run_dir",)) -> None:
    """`run_dir=` (an empty shell variable) would make hydra write into the current folder before any
    check of ours runs: refused here, before hydra starts."""
    for arg in argv:
        key, sep, value = arg.partition("=")
        if sep and key.lstrip("+~") in keys and not value.strip().strip("'\"").strip():
            raise UserError(f"{key.lstrip('+~')} is empty; give the folder for the run (or leave {key} out)")


@hydra.main(version_base="1.3", config_path=str(CONFIGS_DIR), config_name="train")
def _hydra_main(cfg: DictConfig) -> float | None:
    """One training run (one hydra job); returns its search objective (None without dev documents)."""
    from arastance.training.objective import require_objective, run_dev_objective

    with exit_on_failure("arastance train"):
        job = _hydra_job()
        refuse_run_dir_in_multirun(job)
        refuse_search_without_dev(job, cfg.data)
        train(cfg)
        run = RunDir(Path(str(cfg.run_dir)))
        objective = run_dev_objective(run)
        return require_objective(objective, run) if _is_search(job) else objective


def main() -> float | None:
    with exit_on_failure("arastance train"):
        refuse_empty_paths(sys.argv[1:])
    return _hydra_main()


if __name__ == "__main__":
    # `python -m arastance.train` (also under accelerate launch / torchrun) exits with the statuses of the
    # console script: hydra's own errors are usage errors (2), not hydra's 1.
    sys.exit(entry_status("arastance train", main, hydra=True))
