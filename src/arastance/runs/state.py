"""What a folder named on the command line is, asked in one place, and one message for each answer.

Every command that is given a run folder or a model folder (train's run_dir and model.pretrained,
evaluate, report, aggregate, publish, predict, preannotate) calls `inspect_folder` and then `require`
with what it needs; a folder of the wrong kind is refused before any work, with the same words
whichever command was given it:

    RUN_DIR outputs/x: a training run that did not finish (fold-1 has no metrics.json; fold-1 has a
    checkpoint to resume from); finish it with `arastance train task=ner run_dir=outputs/x resume=true`
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from arastance.errors import UserError
from arastance.runs.layout import (
    FOLD_PATTERN,
    HYDRA_DIR,
    PUBLISHED_MARKER,
    REPORT,
    RunDir,
    SplitDir,
    complete_checkpoints,
    is_model_folder,
)


class Kind(enum.Enum):
    MISSING = "missing"
    NOT_A_FOLDER = "not a folder"
    EMPTY = "empty"  # nothing in it, or only what hydra and the lock leave at start-up
    NOT_A_RUN = "not a run"  # holds other things
    FINISHED = "finished run"
    INTERRUPTED = "interrupted run"  # started (or failed) and did not write its metrics.json
    FOLD = "fold"  # RUN/fold-K of a cross-validation run
    MODEL = "model"  # a save_pretrained folder (a run's best/)
    PUBLISHED = "published"  # written by `arastance publish`
    SWEEP = "sweep"  # a folder of runs (hydra's multirun folder)


@dataclass(frozen=True)
class FolderState:
    path: Path
    kind: Kind
    folds: tuple[str, ...] = ()  # fold-K names of a cross-validation run (of the parent run for FOLD)
    unfinished: tuple[str, ...] = ()  # splits (or sweep jobs) without their metrics.json
    resumable: tuple[str, ...] = ()  # unfinished splits holding a complete checkpoint
    runs: tuple[Path, ...] = ()  # SWEEP: the run folders below it, in job order
    run: Path | None = None  # FOLD / MODEL: the training run it belongs to
    overrides: tuple[str, ...] = field(default=(), compare=False)  # how the run was launched (hydra)

    @property
    def is_cv(self) -> bool:
        return bool(self.folds)

    @property
    def run_dir(self) -> RunDir:
        """The folder as a run folder (for FINISHED and INTERRUPTED)."""
        return RunDir(self.path)

    @property
    def model_dir(self) -> Path | None:
        """The folder holding the one model to load (config.json, weights, tokenizer), when there is one."""
        if self.kind in (Kind.MODEL, Kind.PUBLISHED):
            return self.path
        if self.kind is Kind.FOLD or (self.kind is Kind.FINISHED and not self.is_cv):
            return SplitDir(self.path).best
        return None


# --------------------------------------------------------------------------- asking


def inspect_folder(path: Path | str) -> FolderState:
    """What `path` is; never raises for a path that exists or not (an unreadable folder is NOT_A_RUN)."""
    path = Path(path)
    try:
        if not path.exists():
            return FolderState(path, Kind.MISSING)
        if not path.is_dir():
            return FolderState(path, Kind.NOT_A_FOLDER)
        return _inspect_dir(path)
    except OSError:
        return FolderState(path, Kind.NOT_A_RUN)


def _inspect_dir(path: Path) -> FolderState:
    run = RunDir(path)
    if (path / PUBLISHED_MARKER).is_file():
        return FolderState(path, Kind.PUBLISHED)
    if SplitDir(path.parent).best == path and SplitDir(path.parent).has_model():
        owner = path.parent.parent if FOLD_PATTERN.match(path.parent.name) else path.parent
        return FolderState(path, Kind.MODEL, run=owner if is_run_attempt(owner) else None)
    if is_model_folder(path) and not is_run_attempt(path):
        return FolderState(path, Kind.MODEL)
    if FOLD_PATTERN.match(path.name) and is_run_attempt(path.parent):
        return FolderState(path, Kind.FOLD, folds=RunDir(path.parent).fold_names(), run=path.parent)
    if is_run_attempt(path):
        return _run_state(run)
    runs = tuple(_runs_below(path))
    if runs:
        unfinished = tuple(str(r.relative_to(path)) for r in runs if not _finished(RunDir(r)))
        return FolderState(path, Kind.SWEEP, unfinished=unfinished, runs=runs)
    return FolderState(path, Kind.EMPTY if run.only_startup_traces() else Kind.NOT_A_RUN)


def is_run_attempt(path: Path) -> bool:
    """A folder a training run wrote its work into, finished or not."""
    run = RunDir(path)
    return run.config_path.is_file() or bool(run.leftovers())


def _is_sweep_job(path: Path) -> bool:
    """A run of a sweep, finished or not: a job that failed before any work leaves only .hydra/."""
    return is_run_attempt(path) or (path / HYDRA_DIR).is_dir()


def _finished(run: RunDir) -> bool:
    return run.metrics_path.is_file() and run.config_path.is_file()


def _run_state(run: RunDir) -> FolderState:
    folds = run.fold_names()
    splits = run.splits()
    unfinished = tuple(s.name for s in splits if not s.is_finished()) if folds else ()
    resumable = tuple(s.name for s in splits if not s.is_finished() and complete_checkpoints(s.checkpoints))
    kind = Kind.FINISHED if _finished(run) else Kind.INTERRUPTED
    return FolderState(run.path, kind, folds, unfinished, resumable, overrides=_overrides(run))


def _overrides(run: RunDir) -> tuple[str, ...]:
    try:
        data = yaml.safe_load(run.hydra_overrides_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ()
    return tuple(str(o) for o in data) if isinstance(data, list) else ()


def _numeric_key(path: Path) -> tuple[int, int | str]:
    """Sweep jobs 0, 1, …, 10 in job order rather than string order."""
    return (0, int(path.name)) if path.name.isdigit() else (1, path.name)


def _runs_below(folder: Path) -> list[Path]:
    """The run folders (finished or not) below `folder`, in job order; a run's own folds and report
    and hydra's folder are not runs."""
    found: list[Path] = []
    children = sorted((p for p in folder.iterdir() if p.is_dir()), key=_numeric_key)
    for child in children:
        if child.name in (HYDRA_DIR, REPORT) or FOLD_PATTERN.match(child.name):
            continue
        found += [child] if _is_sweep_job(child) else _runs_below(child)
    return found


# --------------------------------------------------------------------------- refusing


@dataclass(frozen=True)
class Need:
    """What a path argument must be: the kinds accepted, and how to say it."""

    kinds: frozenset[Kind]
    words: str
    single_model: bool = False  # a cross-validation run (one model per fold) is not one model


FINISHED_RUN = Need(frozenset({Kind.FINISHED}), "a finished training run folder (the run_dir of `arastance train`)")
RUN_OR_SWEEP = Need(
    frozenset({Kind.FINISHED, Kind.SWEEP}), "a finished training run folder, or a sweep folder of finished runs"
)
ONE_MODEL = Need(
    frozenset({Kind.MODEL, Kind.PUBLISHED, Kind.FOLD, Kind.FINISHED}),
    "one model: a folder written by `arastance publish`, a run's best/, or a finished single-split run folder",
    single_model=True,
)


def require_model(value: Path | str | None, arg: str) -> Path:
    """The model folder of a path argument that names one model (predict's --ner, model.pretrained=)."""
    state = require(value, arg, ONE_MODEL)
    if state.model_dir is None or not is_model_folder(state.model_dir):
        raise UserError(f"{given(arg, value)}: {describe(state)}, but it holds no saved model; did training finish?")
    return state.model_dir


def path_argument(value: str) -> Path:
    """argparse `type=` of every path argument: an empty one (an unset shell variable) is refused
    rather than read as the current folder."""
    if not value.strip():
        import argparse

        raise argparse.ArgumentTypeError("is empty; give a path (an unset shell variable?)")
    return Path(value)


def run_paths(state: FolderState) -> list[Path]:
    """The runs a RUN_OR_SWEEP argument stands for: the run itself, or the sweep's runs in job order."""
    return list(state.runs) if state.kind is Kind.SWEEP else [state.path]


def given(arg: str, value: object) -> str:
    """How a message names the argument: `run_dir=X` for a hydra override, `--ner X` for a flag, the
    path alone for a positional argument (arg "")."""
    if not arg:
        return str(value)
    return f"{arg}{value}" if arg.endswith("=") else f"{arg} {value}"


def require(value: Path | str | None, arg: str, need: Need) -> FolderState:
    """The state of the folder given as `arg`, or a UserError saying what was given and what is needed."""
    if value is None or not str(value).strip():
        raise UserError(f"{arg.rstrip('= ') or 'the folder'} is empty (or not given); give {need.words}")
    state = inspect_folder(Path(str(value)))
    problem = _problem(state, need)
    if problem is not None:
        raise UserError(f"{given(arg, value)}: {problem}")
    return state


def _problem(state: FolderState, need: Need) -> str | None:
    if state.kind is Kind.SWEEP and Kind.SWEEP in need.kinds and state.unfinished:
        return f"{describe(state)}; finish them (resume=true) or leave them out of the folders given"
    if state.kind is Kind.FOLD and need.single_model and not SplitDir(state.path).has_model():
        return f"{describe(state)}, which holds no saved model (no best/config.json); did it finish?"
    if state.kind is Kind.FINISHED and need.single_model and state.is_cv:
        first = f"{state.path}/{state.folds[0]}/{SplitDir(state.path).best.name}"
        return (
            f"{describe(state)}: one model per fold, each trained without its held-out document; pass one fold's "
            f"model ({first}) or a folder written by `arastance publish`"
        )
    if state.kind in need.kinds:
        return None
    return f"{describe(state)}; {_hint(state) or 'needed: ' + need.words}"


def _hint(state: FolderState) -> str | None:
    """What to give instead, when the folder points at the right one."""
    if state.kind in (Kind.FOLD, Kind.MODEL) and state.run is not None:
        return f"give the run folder {state.run}"
    return None


def describe(state: FolderState) -> str:
    """The one sentence for a folder's state, the same in every command."""
    kind = state.kind
    if kind is Kind.MISSING:
        return "no such folder"
    if kind is Kind.NOT_A_FOLDER:
        return "a file, not a folder"
    if kind is Kind.EMPTY:
        return "holds no training run (it is empty, or holds only what a run leaves at start-up)"
    if kind is Kind.NOT_A_RUN:
        return "not a training run folder (no config.yaml, metrics.json, checkpoints/, best/ or fold-K/ in it)"
    if kind is Kind.FINISHED:
        return f"a finished cross-validation run ({len(state.folds)} folds)" if state.is_cv else "a finished run"
    if kind is Kind.INTERRUPTED:
        return interrupted_words(state)
    if kind is Kind.FOLD:
        return f"fold {state.path.name} of the cross-validation run {state.run}"
    if kind is Kind.MODEL:
        return "a model folder" + (f" (the kept model of the run {state.run})" if state.run is not None else "")
    if kind is Kind.PUBLISHED:
        return "a model folder written by `arastance publish`, not a training run"
    unfinished = f", of which {', '.join(state.unfinished)} did not finish" if state.unfinished else ""
    return f"a sweep folder of {len(state.runs)} run(s){unfinished}"


def interrupted_words(state: FolderState) -> str:
    """An unfinished run: which splits lack metrics.json, whether a checkpoint is there, how to go on."""
    metrics = RunDir(state.path).metrics_path.name
    missing = f"{', '.join(state.unfinished)} without {metrics}" if state.unfinished else f"no {metrics}"
    holders = ", ".join(state.resumable) if state.is_cv else "it"
    saved = f"; {holders} has a checkpoint to resume from" if state.resumable else ""
    return f"a training run that did not finish ({missing}{saved}); finish it with `{resume_command(state)}`"


def resume_command(state: FolderState) -> str:
    """The command that finishes the run: its own overrides (when hydra recorded them) with resume=true."""
    kept = [o for o in state.overrides if o.split("=", 1)[0].lstrip("+~") not in ("resume", "run_dir")]
    return " ".join(["arastance train", *kept, f"run_dir={state.path}", "resume=true"])


def require_new_or_resumable(run_dir: Path | str, resume: bool) -> FolderState:
    """train's run_dir: a new (or empty) folder, or with resume=true a run to continue."""
    state = inspect_folder(run_dir)
    if resume and state.kind in (Kind.MISSING, Kind.EMPTY, Kind.NOT_A_RUN):
        raise UserError(
            f"resume=true: run_dir={run_dir} {describe(state)}, so there is nothing to resume; "
            "start the run without resume=true"
        )
    wrong: Collection[Kind] = (Kind.NOT_A_FOLDER, Kind.FOLD, Kind.MODEL, Kind.PUBLISHED, Kind.SWEEP)
    if state.kind in wrong:
        raise UserError(f"run_dir={run_dir}: {describe(state)}; needed: a new folder for the run (or one to resume)")
    return state
