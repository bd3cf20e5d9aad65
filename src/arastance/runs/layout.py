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
      .hydra/                 hydra's record of the launch (overrides.yaml: how to run it again)
      mlruns/                 the local MLflow store (SQLite) when trainer.trackers has mlflow (a run per fold)

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
from arastance.models.saved import CONFIG_FILE as MODEL_CONFIG
from arastance.phases import timed_phase
from arastance.runs.lock import LOCK_FILE
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
# The name of the one split of a run that is not cross-validated (data=fixed or external): its files
# sit in the run folder itself.
SINGLE_SPLIT = "fixed"
# What marks a folder as holding a (finished or interrupted) run: train_log.jsonl is there from the
# first logged step, before any checkpoint or best/.
RUN_MARKERS = (METRICS, CHECKPOINTS, BEST, TRAIN_LOG)
HYDRA_DIR = ".hydra"
HYDRA_OVERRIDES = "overrides.yaml"
# What hydra itself writes into run_dir before our code runs (it is run_dir's hydra.run.dir); train.log
# only in folders of versions whose hydra logged to a file.
HYDRA_TRACES = (HYDRA_DIR, "train.log")
# What a run leaves before any work: hydra's traces and the run's lock file.
STARTUP_TRACES = (*HYDRA_TRACES, LOCK_FILE)
LATEST = "latest"
# A folder written by `arastance publish` holds the run's config under this name (publish/package.py).
PUBLISHED_MARKER = "training_config.yaml"
# checkpoints/step-NNNNNN/: complete when its manifest.json is there (training/checkpoint.py).
CHECKPOINT_PATTERN = re.compile(r"^step-(\d{6})$")
MANIFEST = "manifest.json"


def fold_name(index: int) -> str:
    return f"fold-{index}"


def split_name(fold: int | None) -> str:
    """The name of a split: fold-K for cross-validation fold K, SINGLE_SPLIT for the one split of a run."""
    return SINGLE_SPLIT if fold is None else fold_name(fold)


def checkpoint_name(step: int) -> str:
    return f"step-{step:06d}"


def _step_of(path: Path) -> int:
    return int(CHECKPOINT_PATTERN.match(path.name).group(1))  # type: ignore[union-attr]  # only matched names come here


def checkpoint_folders(folder: Path) -> list[Path]:
    """Every step-N folder, complete or not, oldest first (temporary folders of a kill mid-write excluded)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_dir() and CHECKPOINT_PATTERN.match(p.name)), key=_step_of)


def complete_checkpoints(folder: Path) -> list[Path]:
    """Checkpoints whose manifest was written (the last act of a save), oldest first; not yet verified."""
    return [p for p in checkpoint_folders(folder) if (p / MANIFEST).is_file()]


def is_model_folder(path: Path) -> bool:
    """A save_pretrained folder (a run's best/, a published folder): it holds the model's config."""
    return (Path(path) / MODEL_CONFIG).is_file()


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
        return is_model_folder(self.best)

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
        return self.path / HYDRA_DIR / HYDRA_OVERRIDES

    def fold(self, name: str) -> SplitDir:
        """The folder of split `name` ("fold-K"; SINGLE_SPLIT is the run folder itself)."""
        return SplitDir(self.path / name) if FOLD_PATTERN.match(name) else SplitDir(self.path)

    def split_dir(self, fold: int | None) -> SplitDir:
        """The folder of cross-validation fold `fold`, or the run folder itself for a single split (None)."""
        return self.fold(split_name(fold))

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

    def only_startup_traces(self) -> bool:
        """True when the folder holds nothing but what a run leaves before any work: hydra's files, the lock."""
        return not self.path.is_dir() or all(p.name in STARTUP_TRACES for p in self.path.iterdir())

    def config_candidates(self) -> list[Path]:
        return [self.config_path, *(s.config_path for s in self.splits())]

    def read_metrics(self) -> dict[str, Any] | None:
        return read_json(self.metrics_path) if self.metrics_path.is_file() else None

    def write_pooled(self, metrics: dict[str, Any], config_yaml: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_text(self.config_path, config_yaml)
        write_json(self.metrics_path, metrics)


def training_config_of(model_dir: Path) -> Path | None:
    """The training config a model folder was made with: a published folder's own copy, or the
    config.yaml of the split whose best/ it is; None when neither is there."""
    model_dir = Path(model_dir)
    for candidate in (model_dir / PUBLISHED_MARKER, SplitDir(model_dir.parent).config_path):
        if candidate.is_file():
            return candidate
    return None


def remove_startup_traces(run: RunDir) -> None:
    """Undo the start-up writes in a folder no run has used (a config error, a model that cannot be
    loaded, an interrupt before the first checkpoint): hydra's files and the released lock.

    Only those entries are removed, then the folder if that left it empty: never anything else. Called
    after the run's lock was released; a run that took the folder meanwhile has written its lock holder,
    which is left alone (the folder then holds more than traces only when it has started work)."""
    if not run.path.is_dir() or not run.only_startup_traces() or _lock_is_held(run.path / LOCK_FILE):
        return
    for name in STARTUP_TRACES:
        entry = run.path / name
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink(missing_ok=True)
    remove_if_empty(run.path)


def _lock_is_held(path: Path) -> bool:
    """A lock file that names a holder belongs to a run that is alive (or was killed): keep it."""
    try:
        return bool(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError):
        return False


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
