"""Reading a finished training run: its resolved config, gold, and per fold the split, predictions
and training log (the files named by runs/layout.py). Every expected problem (a folder that is not a
finished run, as runs/state.py words it; an unfinished fold; changed gold) is a UserError that says
what to do; nothing here scores anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.gold.model import GoldDocument
from arastance.runs.layout import RunDir, SplitDir
from arastance.runs.state import FINISHED_RUN, require
from arastance.schema import Schema
from arastance.settings import RunSettings, from_config
from arastance.tasks import get_task


@dataclass(frozen=True)
class FoldRun:
    name: str  # "fold-0" … or "fixed"
    path: Path
    split: dict[str, list[str]]  # train / dev / test document ids
    predictions: list[dict[str, Any]]  # predictions.jsonl records (or fresh ones from `evaluate`)
    train_log: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] | None = None  # the fold's training-time metrics.json


@dataclass(frozen=True)
class RunData:
    path: Path
    task: str
    settings: RunSettings  # the run's resolved config, typed
    schema: Schema
    docs: list[GoldDocument]
    folds: list[FoldRun]
    metrics: dict[str, Any] | None = None  # run-level metrics.json (pooled, for CV)

    def with_predictions(self, predictions: dict[str, list[dict[str, Any]]]) -> RunData:
        """The same run with some folds' predictions replaced (fold name → records)."""
        folds = [replace(f, predictions=predictions.get(f.name, f.predictions)) for f in self.folds]
        return replace(self, folds=folds)

    @property
    def labels(self) -> tuple[str, ...]:
        return get_task(self.task).labels(self.schema)


def read_run_config(run_dir: Path) -> Any:
    from omegaconf import OmegaConf

    path = require(run_dir, "", FINISHED_RUN).run_dir.config_path
    try:
        cfg = OmegaConf.load(path)
    except Exception as err:
        raise UserError(f"{path}: cannot read the run's config ({err})") from None
    for key in ("task.name", "paths.gold_dir", "paths.documents_dir", "paths.annotations_dir"):
        if OmegaConf.select(cfg, key) is None:
            raise UserError(f"{path}: no {key}; is this a training run's config.yaml?")
    return cfg


def _existing(path_value: str, what: str) -> Path:
    """A path from the run's config. Relative paths were relative to the directory training ran
    from; if that is not the current one, the project root (ARASTANCE_ROOT or the checkout) is tried."""
    from arastance.paths import project_root

    path = Path(str(path_value))
    tried = [path] if path.is_absolute() else [Path.cwd() / path, project_root() / path]
    for candidate in tried:
        if candidate.exists():
            return candidate
    raise UserError(f"the run's {what} {path_value!r} does not exist (tried {', '.join(str(t) for t in tried)})")


def run_schema_and_gold(cfg: Any) -> tuple[Schema, list[GoldDocument]]:
    from arastance.gold.splits import load_gold
    from arastance.schema import load_schema

    schema = load_schema(_existing(cfg.paths.annotations_dir, "annotations_dir") / "schema.yaml")
    docs = load_gold(
        _existing(cfg.paths.gold_dir, "gold_dir"), _existing(cfg.paths.documents_dir, "documents_dir"), schema
    )
    return schema, docs


def fold_split(fold_dir: Path, metrics: dict[str, Any], known: set[str]) -> dict[str, list[str]]:
    split = metrics.get("split")
    if not isinstance(split, dict) or not isinstance(split.get("test"), list):
        raise UserError(
            f"{fold_dir / 'metrics.json'}: no 'split' with the held-out documents (trained with an older version?)"
        )
    out = {side: [str(d) for d in split.get(side) or []] for side in ("train", "dev", "test")}
    missing = sorted({d for ids in out.values() for d in ids} - known)
    if missing:
        raise UserError(f"{fold_dir}: documents {missing} of this fold's split are not in the gold any more")
    return out


def load_run(run_dir: Path, with_predictions: bool = True) -> RunData:
    """A finished run; `with_predictions=False` skips predictions.jsonl (for re-prediction)."""
    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir)
    task = get_task(str(cfg.task.name)).name
    from arastance.gold.splits import run_schema

    gold_schema, docs = run_schema_and_gold(cfg)
    settings = from_config(cfg)
    schema = run_schema(gold_schema, settings.data)  # a corpus's own labels with data.labels
    known = {d.doc_id for d in docs}
    run = RunDir(run_dir)
    folds = [_read_fold(split_dir, known, with_predictions) for split_dir in run.splits()]
    return RunData(run_dir, task, settings, schema, docs, folds, run.read_metrics())


def _read_fold(split_dir: SplitDir, known: set[str], with_predictions: bool) -> FoldRun:
    if not split_dir.is_finished():
        raise UserError(
            f"{split_dir.path}: no metrics.json, so this fold did not finish; re-run training (resume=true finishes it)"
        )
    metrics = split_dir.read_metrics()
    return FoldRun(
        name=str(metrics.get("split", {}).get("name") or split_dir.name),
        path=split_dir.path,
        split=fold_split(split_dir.path, metrics, known),
        predictions=split_dir.read_predictions() if with_predictions else [],
        train_log=split_dir.read_train_log(),
        metrics=metrics,
    )
