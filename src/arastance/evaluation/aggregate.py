"""Several runs of one configuration (seeds) summarised with their spread; runs that differ in more
than the seed are grouped by what differs and each group is summarised on its own.

    runs = find_runs([Path("outputs/ner/tiny/multirun/2026-...")])     # sweep folders or run folders
    summary = aggregate([read_run_scores(r) for r in runs])          # pure: the aggregate.json dict

A run's scores are its own metrics.json (pooled over folds for cross-validation): every numeric
headline of the task block (`ner.micro_f1`, `stance.macro_f1`, `stance.accuracy` …) and every label's
F1 (`ner.PER.f1`), and the search objective (`ner.dev_micro_f1`: the mean over folds of the best
dev score, training/objective.py) when the run had dev documents. Beside the seed spread stands the fold
spread each run recorded (`folds` block), averaged over the group's runs, so that the two sources of
variation can be compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arastance.errors import UserError
from arastance.runs.layout import RunDir, read_json
from arastance.runs.state import RUN_OR_SWEEP, require, run_paths
from arastance.settings import flatten_config
from arastance.tasks import TASKS, get_task
from arastance.training.objective import run_dev_objective

# Config keys that tell runs of one configuration apart without changing it.
NOT_A_DIFFERENCE = frozenset({"seed", "run_dir", "resume"})


@dataclass(frozen=True)
class RunScores:
    path: Path
    seed: int | None
    config: Mapping[str, Any]  # the run's resolved config.yaml, flattened ("trainer.learning_rate": 1e-3)
    scores: Mapping[str, float]  # "ner.micro_f1" → value
    fold_sd: Mapping[str, float]  # the same names → std over the run's folds (CV runs only)


# ----------------------------------------------------------------------------------- finding runs


def find_runs(folders: Iterable[Path], arg: str = "") -> list[Path]:
    """Every training run in the given run or sweep folders, each once; anything else (a missing or
    empty folder, an unfinished run or sweep job, a fold) is refused as runs/state.py words it."""
    runs: list[Path] = []
    for folder in folders:
        found = run_paths(require(folder, arg, RUN_OR_SWEEP))
        runs += [run for run in found if run.resolve() not in {r.resolve() for r in runs}]
    return runs


# ----------------------------------------------------------------------------------- one run


def run_scores(metrics: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """(scores, fold std of each score) from a run's metrics.json."""
    scores: dict[str, float] = {}
    fold_sd: dict[str, float] = {}
    for task in TASKS:
        block = metrics.get(task)
        if not isinstance(block, Mapping):
            continue
        folds = block.get("folds") or {}
        for key, value in block.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                scores[f"{task}.{key}"] = float(value)
        if f"{task}.{get_task(task).headline}" in scores and "headline" in folds:
            fold_sd[f"{task}.{get_task(task).headline}"] = float(folds["headline"]["std"])
        for label, row in (block.get("per_label") or {}).items():
            scores[f"{task}.{label}.f1"] = float(row["f1"])
            spread = (folds.get("per_label") or {}).get(label)
            if spread and spread.get("n_folds"):
                fold_sd[f"{task}.{label}.f1"] = float(spread["std"])
    return scores, fold_sd


def read_run_scores(path: Path) -> RunScores:
    """A finished run's config and scores; a metrics.json without any task's scores is an error."""
    from omegaconf import OmegaConf

    run = RunDir(path)
    metrics = read_json(run.metrics_path)
    try:
        config = OmegaConf.to_container(OmegaConf.load(run.config_path), resolve=False)
    except Exception as err:
        raise UserError(f"{run.config_path}: cannot read the run's config ({err})") from None
    scores, fold_sd = run_scores(metrics)
    if not scores:
        raise UserError(f"{run.metrics_path}: no NER or stance scores; is this a training run's metrics.json?")
    flat = flatten_config(config if isinstance(config, Mapping) else {})
    # What a search maximised (mean best dev score over folds), beside the held-out scores.
    objective = run_dev_objective(run)
    if objective is not None and flat.get("task.name") in TASKS and flat.get("task.metric"):
        scores[f"{flat['task.name']}.dev_{flat['task.metric']}"] = objective
    seed = flat.get("seed")
    return RunScores(Path(path), int(seed) if isinstance(seed, int) else None, flat, scores, fold_sd)


# ----------------------------------------------------------------------------------- summaries


def summary_stats(values: Sequence[float]) -> dict[str, Any]:
    """n, mean, sample sd (None for one value: one run says nothing of the spread), min, max, values."""
    array = np.asarray(values, dtype=float)
    return {
        "n": int(array.size),
        "mean": float(array.mean()),
        "sd": float(array.std(ddof=1)) if array.size > 1 else None,
        "min": float(array.min()),
        "max": float(array.max()),
        "values": [float(v) for v in array],
    }


def differing_keys(runs: Sequence[RunScores]) -> list[str]:
    """Config keys whose value is not the same in every run (the seed and the folder excepted)."""
    keys = sorted({k for r in runs for k in r.config} - NOT_A_DIFFERENCE)
    return [k for k in keys if len({repr(r.config.get(k)) for r in runs}) > 1]


def group_runs(runs: Sequence[RunScores]) -> list[tuple[dict[str, Any], list[RunScores]]]:
    """Runs grouped by their values of the differing keys, groups in the order of their first run."""
    keys = differing_keys(runs)
    groups: dict[str, tuple[dict[str, Any], list[RunScores]]] = {}
    for run in runs:
        overrides = {k: run.config.get(k) for k in keys}
        groups.setdefault(repr(sorted(overrides.items())), (overrides, []))[1].append(run)
    return list(groups.values())


def group_metrics(runs: Sequence[RunScores]) -> dict[str, dict[str, Any]]:
    """Each score's statistics over the runs that have it, with the mean fold sd beside them."""
    names = list(dict.fromkeys(name for r in runs for name in r.scores))  # headlines first, labels in schema order
    metrics = {}
    for name in names:
        stats = summary_stats([r.scores[name] for r in runs if name in r.scores])
        fold_sds = [r.fold_sd[name] for r in runs if name in r.fold_sd]
        stats["fold_sd"] = float(np.mean(fold_sds)) if fold_sds else None
        metrics[name] = stats
    return metrics


def aggregate(runs: Sequence[RunScores]) -> dict[str, Any]:
    """The aggregate.json dict: every run, one entry per group, and the top-level `metrics` of the
    runs when they form one group (a seed sweep); with several groups, each group has its own."""
    if not runs:
        raise UserError("no runs to aggregate")
    groups = [
        {
            "overrides": overrides,
            "runs": [str(r.path) for r in members],
            "seeds": [r.seed for r in members],
            "metrics": group_metrics(members),
        }
        for overrides, members in group_runs(runs)
    ]
    summary: dict[str, Any] = {"runs": [str(r.path) for r in runs], "differing": differing_keys(runs), "groups": groups}
    if len(groups) == 1:
        summary["metrics"] = groups[0]["metrics"]
    return summary


# ----------------------------------------------------------------------------------- seed spread of a report


def sweep_seed_block(run_paths: Sequence[Path], task: str) -> dict[str, Any] | None:
    """The seed block of a report given `run_paths` (runs.state.run_paths' answer): None for a single run."""
    if len(run_paths) < 2:
        return None
    return seed_spread([read_run_scores(p) for p in run_paths], task)


def seed_spread(runs: Sequence[RunScores], task: str) -> dict[str, Any]:
    """The report's seed block for `task`: its headline and each label's F1 over the runs (seeds).
    Runs of different configurations are not seeds of one: that is an error naming what differs."""
    groups = group_runs(runs)
    if len(groups) > 1:
        raise UserError(
            f"{runs[0].path.parent}: its runs differ in {', '.join(differing_keys(runs))} besides the seed; "
            "report one run, or compare them with `arastance aggregate`"
        )
    metrics = group_metrics(runs)
    prefix = f"{task}."
    labels = {
        name[len(prefix) : -len(".f1")]: stats
        for name, stats in metrics.items()
        if name.startswith(prefix) and name.endswith(".f1")
    }
    headline = metrics.get(f"{task}.{get_task(task).headline}")
    if headline is None:
        raise UserError(f"{runs[0].path}: not a {task} run")
    return {
        "runs": [str(r.path) for r in runs],
        "seeds": [r.seed for r in runs],
        "headline": headline,
        "per_label": labels,
    }
