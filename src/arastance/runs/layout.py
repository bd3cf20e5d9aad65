"""The run folder, in one place: every path inside it is built here, every file in it read or written here.

    RUN/                      run_dir= of `arastance train`
      .lock                   held (fcntl) by the run training here; names its pid and host
      config.yaml             the resolved hydra config
      metrics.json            held-out scores (pooled over folds for cross-validation)
      report/                 `arastance evaluate` / `arastance report` output
      fold-K/                 one per cross-validation fold (absent for a single split, whose files
        best/                 sit in RUN itself): the model kept (save_pretrained model + tokenizer)
        checkpoints/step-N/   resumable training state, complete when its manifest.json matches
        metrics.json, predictions.jsonl, config.yaml, train_log.jsonl, tensorboard/
      mlruns/                 the local MLflow store (SQLite), when trainer.trackers has mlflow (one MLflow run
                              per fold)

Writers replace a file atomically (write a sibling temporary file, then rename), so a kill, a full
disk or a read-only folder never leaves half a metrics.json or half a best/ behind; a failed write is a
UserError naming the folder and the cause. Readers turn every expected problem into a UserError naming the file.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.errors import UserError, writing
from arastance.phases import timed_phase
from arastance.writer import building_folder, point_link, write_json, write_jsonl, write_text

CONFIG = "config.yaml"
METRICS = "metrics.json"
PREDICTIONS = "predictions.jsonl"
TRAIN_LOG = "train_log.jsonl"
BEST = "best"
CHECKPOINTS = "checkpoints"
TENSORBOARD = "tensorboard"
MLRUNS = "mlruns"
REPORT = "report"
FOLD_PATTERN = re.compile(r"^fold-(\d+)$")
# What marks a folder as holding a (finished or interrupted) run.
RUN_MARKERS = (METRICS, CHECKPOINTS, BEST)
# What hydra itself writes into run_dir before our code runs (it is run_dir's hydra.run.dir).
HYDRA_TRACES = (".hydra", "train.log")
LATEST = "latest"


def fold_name(index: int) -> str:
    return f"fold-{index}"


@dataclass(frozen=True)
class SplitDir:
    """The folder of one training split: a cross-validation fold, or the run itself for a single split."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def best(self) -> Path:
        return self.path / BEST

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    @property
    def tensorboard(self) -> Path:
        return self.path / TENSORBOARD

    @property
    def mlruns(self) -> Path:
        """The run's local MLflow store: one for the whole run (RUN/mlruns), each fold a run in it."""
        return (self.path.parent if FOLD_PATTERN.match(self.name) else self.path) / MLRUNS

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    @property
    def predictions_path(self) -> Path:
        return self.path / PREDICTIONS

    @property
    def train_log_path(self) -> Path:
        return self.path / TRAIN_LOG

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    def is_finished(self) -> bool:
        return self.metrics_path.is_file()

    def has_model(self) -> bool:
        return (self.best / "config.json").is_file()

    def read_metrics(self) -> dict[str, Any]:
        return read_json(self.metrics_path)

    def read_predictions(self) -> list[dict[str, Any]]:
        return read_jsonl(self.predictions_path)

    def read_train_log(self) -> list[dict[str, Any]]:
        path = self.train_log_path
        return read_jsonl(path, tolerate_torn_tail=True) if path.is_file() else []

    @timed_phase("write")
    def write_results(self, metrics: dict[str, Any], predictions: Sequence[dict[str, Any]], config_yaml: str) -> None:
        """What a finished split leaves: predictions and config first, metrics.json (its 'done' mark) last."""
        self.path.mkdir(parents=True, exist_ok=True)
        write_jsonl(self.predictions_path, predictions)
        write_text(self.config_path, config_yaml)
        write_json(self.metrics_path, metrics)

    def append_log(self, record: dict[str, Any]) -> None:
        with writing(self.path, TRAIN_LOG), open(self.train_log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def trim_log(self, last_step: int) -> None:
        """Drop the log lines of steps after `last_step`: a resumed run replays them, one line per step."""
        if not self.train_log_path.is_file():
            return
        rows = self.read_train_log()
        kept = [r for r in rows if int(r.get("step", 0)) <= last_step]
        if len(kept) != len(rows):
            write_jsonl(self.train_log_path, kept)

    def write_best(self, save: Callable[[Path], None]) -> None:
        """Replace best/ by what `save` writes into a fresh folder: never half a model in best/."""
        after = f"; {self.best} still holds the previous best model"
        with writing(self.path, f"{BEST}/", after), building_folder(self.best) as staging:
            save(staging)


@dataclass(frozen=True)
class RunDir:
    """A training run folder; for cross-validation, the parent of its fold folders."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    @property
    def report_dir(self) -> Path:
        return self.path / REPORT

    @property
    def report_metrics_path(self) -> Path:
        return self.report_dir / METRICS

    @property
    def hydra_overrides_path(self) -> Path:
        return self.path / ".hydra" / "overrides.yaml"

    def fold(self, name: str) -> SplitDir:
        """The folder of split `name` ("fold-K"; "fixed" is the run folder itself)."""
        return SplitDir(self.path / name) if FOLD_PATTERN.match(name) else SplitDir(self.path)

    def fold_names(self) -> tuple[str, ...]:
        """fold-K folders in fold order; () for a single split."""
        if not self.path.is_dir():
            return ()
        found = [
            (int(m.group(1)), p.name) for p in self.path.iterdir() if p.is_dir() and (m := FOLD_PATTERN.match(p.name))
        ]
        return tuple(name for _, name in sorted(found))

    def splits(self) -> list[SplitDir]:
        """Each fold's folder, or the run itself for a single split."""
        names = self.fold_names()
        return [SplitDir(self.path / n) for n in names] if names else [SplitDir(self.path)]

    def is_cv(self) -> bool:
        return bool(self.fold_names())

    def leftovers(self) -> list[str]:
        """What in this folder shows that a run already wrote here (empty for a new folder)."""
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir() if p.name in RUN_MARKERS or FOLD_PATTERN.match(p.name))

    def only_hydra_traces(self) -> bool:
        """True when the folder holds nothing but what hydra wrote at start-up (or does not exist)."""
        return not self.path.is_dir() or all(p.name in HYDRA_TRACES for p in self.path.iterdir())

    def config_candidates(self) -> list[Path]:
        return [self.config_path, *(s.config_path for s in self.splits())]

    def read_metrics(self) -> dict[str, Any] | None:
        return read_json(self.metrics_path) if self.metrics_path.is_file() else None

    def write_pooled(self, metrics: dict[str, Any], config_yaml: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_text(self.config_path, config_yaml)
        write_json(self.metrics_path, metrics)


def remove_hydra_traces(run: RunDir) -> None:
    """Undo hydra's start-up writes in a folder no run has used (a config error stops before any work).

    Only hydra's own entries are removed, then the folder if that left it empty: never anything else."""
    if not run.path.is_dir() or not run.only_hydra_traces():
        return
    for name in HYDRA_TRACES:
        entry = run.path / name
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink(missing_ok=True)
    remove_if_empty(run.path)


def remove_if_empty(folder: Path) -> None:
    """A split folder a failed run created and never wrote to does not stay behind (an empty fold-0/)."""
    try:
        Path(folder).rmdir()
    except OSError:
        pass  # not empty (it holds work), or already gone


def latest_link_dir(run_dir: Path, output_dir: Path, task: str, model: str) -> Path | None:
    """outputs/<task>/<model>/ when the run lives there (the default run_dir), else None."""
    home = Path(output_dir) / task / model
    try:
        return home if Path(run_dir).resolve().parent == home.resolve() else None
    except OSError:
        return None


def point_latest(link_dir: Path, run_dir: Path) -> Path:
    """Make link_dir/latest a relative symlink to run_dir, replaced atomically (never a dangling mix)."""
    return point_link(Path(link_dir) / LATEST, Path(run_dir).name)


# --------------------------------------------------------------------------- files


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserError(f"{path}: cannot read ({err})") from None


def read_json_object(path: Path) -> dict[str, Any]:
    data = read_json(path)
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data


def read_jsonl(path: Path, tolerate_torn_tail: bool = False) -> list[dict[str, Any]]:
    """JSON lines; a training log may end in a half-written line after a crash, which is skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: cannot read ({err})") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            if tolerate_torn_tail and number == len(lines):
                break
            raise UserError(f"{path}:{number}: not JSON ({err.msg})") from None
    return rows
