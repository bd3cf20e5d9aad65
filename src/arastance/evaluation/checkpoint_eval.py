"""Re-predict a finished run's held-out documents from its saved `best/` models.

Each fold's model is loaded with `load_saved` (weights + tokenizer only, no optimizer or loop state),
its test documents are rebuilt from the split recorded in the fold's metrics.json, and prediction and
scoring go through the very path training used (`models.predictor.Predictor`, `score_predictions`)
with the run's own config, device rule and precision. The scores must therefore equal the training-time
metrics.json; any difference is reported, path by path, rather than hidden.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from arastance.errors import UserError
from arastance.features.encode import units_from_records
from arastance.gold.splits import records_for
from arastance.models.device import Runtime, choose_runtime
from arastance.models.predictor import load_saved_predictor
from arastance.runs.layout import SplitDir
from arastance.runs.reader import FoldRun, RunData, load_run
from arastance.scoring.metrics import score_predictions
from arastance.tasks import TaskSpec, get_task


@dataclass
class FoldEvaluation:
    name: str
    metrics: dict[str, Any]  # score_predictions output, e.g. {"ner": {...}}
    records: list[dict[str, Any]]  # predictions.jsonl-style records
    differences: list[str] = field(default_factory=list)  # vs the training-time metrics.json


@dataclass
class CheckpointEvaluation:
    run: RunData  # with the fresh predictions
    folds: list[FoldEvaluation]
    device: str
    precision: str

    @property
    def matches_training(self) -> bool:
        return all(not f.differences for f in self.folds)

    def summary(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "precision": self.precision,
            "matches_training": self.matches_training,
            "folds": [
                {"fold": f.name, "matches_training": not f.differences, "differences": f.differences[:50]}
                for f in self.folds
            ],
        }


def differences(fresh: Any, stored: Any, path: str = "") -> list[str]:
    """Where two JSON-like values differ ('' paths → root). Floats must be equal exactly: both sides
    come from the same arithmetic on the same predictions, and JSON round-trips Python floats exactly."""
    if isinstance(fresh, Mapping) and isinstance(stored, Mapping):
        out = []
        for key in sorted(set(fresh) | set(stored), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in stored:
                out.append(f"{where}: only in the new scores")
            elif key not in fresh:
                out.append(f"{where}: only in the training-time scores")
            else:
                out += differences(fresh[key], stored[key], where)
        return out
    if isinstance(fresh, (list, tuple)) and isinstance(stored, (list, tuple)):
        if len(fresh) != len(stored):
            return [f"{path}: {len(fresh)} items vs {len(stored)}"]
        return [
            d for i, (a, b) in enumerate(zip(fresh, stored, strict=True)) for d in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(fresh, float) and isinstance(stored, float) and math.isnan(fresh) and math.isnan(stored):
        return []
    return [] if fresh == stored else [f"{path}: {fresh!r} (now) vs {stored!r} (training)"]


def evaluate_fold(
    run: RunData, spec: TaskSpec, fold: FoldRun, runtime: Runtime, progress: bool = False
) -> FoldEvaluation:
    settings = run.settings
    split_dir = SplitDir(fold.path)
    if not split_dir.has_model():
        raise UserError(f"{fold.path}: no saved model in best/ (config.json missing); did training finish this fold?")
    model = settings.model
    try:
        predictor = load_saved_predictor(
            split_dir.best, spec, model.normalization, model.max_length, settings.inference, run.schema, runtime
        )
    except (OSError, ValueError) as err:
        raise UserError(f"{split_dir.best}: cannot load the saved model ({err})") from None
    test_ids = set(fold.split["test"])
    test_docs = [d for d in run.docs if d.doc_id in test_ids]
    units = units_from_records(records_for(run.docs, fold.split["test"]), spec, dict(settings.task.context or {}))
    predictions = predictor.predict(units, progress)
    metrics = score_predictions(predictions, settings.task, run.schema, test_docs)
    records = predictor.records(predictions, test_docs)
    stored = (fold.metrics or {}).get(run.task)
    diffs = (
        differences(metrics[run.task], stored)
        if stored is not None
        else ["training-time metrics.json has no scores for this task"]
    )
    return FoldEvaluation(fold.name, metrics, records, diffs)


def evaluate_checkpoints(
    run_dir: Path, progress: bool = False, log: Callable[[str], None] = print
) -> CheckpointEvaluation:
    """Re-predict and re-score every fold of a run; returns the run with the fresh predictions."""
    run = load_run(Path(run_dir), with_predictions=False)
    runtime = choose_runtime(run.settings.trainer.precision)
    threads = torch.get_num_threads()
    if run.settings.trainer.torch_threads > 0:
        torch.set_num_threads(run.settings.trainer.torch_threads)  # as training did: same reduction order
    folds = []
    spec = get_task(run.task)  # looked up once; the spec travels from here
    key = spec.headline
    try:
        for fold in run.folds:
            result = evaluate_fold(run, spec, fold, runtime, progress)
            verdict = (
                "equal to training"
                if not result.differences
                else f"{len(result.differences)} differences from training"
            )
            log(
                f"{fold.name}: test {', '.join(fold.split['test'])}: {key} {result.metrics[run.task][key]:.4f} "
                f"({verdict})"
            )
            folds.append(result)
    finally:
        torch.set_num_threads(threads)  # a library call must not leave the caller single-threaded
    fresh = run.with_predictions({f.name: f.records for f in folds})
    return CheckpointEvaluation(fresh, folds, str(runtime.device), runtime.precision)
