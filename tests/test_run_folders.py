"""The run folder has one owner (runs/): its names are spelled there only, and every command that is
given a run or model folder asks runs/state.py what it is and refuses the same state with the same words."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from arastance import cli
from arastance.runs import layout
from arastance.runs.lock import LOCK_FILE
from arastance.runs.state import Kind, describe, inspect_folder, require_new_or_resumable

SRC = Path(__file__).resolve().parents[1] / "src" / "arastance"
REPO_ROOT = SRC.parents[1]

# --------------------------------------------------------------------------- names spelled in runs/ only

# layout.TENSORBOARD is left out: "tensorboard" is also a tracker's name (trainer.trackers).
RUN_FOLDER_NAMES = frozenset(
    {
        layout.CONFIG,
        layout.METRICS,
        layout.PREDICTIONS,
        layout.TRAIN_LOG,
        layout.BEST,
        layout.CHECKPOINTS,
        layout.MLRUNS,
        layout.HYDRA_DIR,
        layout.HYDRA_OVERRIDES,
        layout.MANIFEST,
        layout.PUBLISHED_MARKER,
        LOCK_FILE,
        *layout.HYDRA_TRACES,
    }
)
# A fold folder's name being built or matched ("fold-" before a number, a glob or the end of an
# f-string part); help text that says "fold-K" to a user is prose.
FOLD_NAME = re.compile(re.escape(layout.fold_name(0)[:-1]) + r"(\d|\*|$)")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (prose, not paths)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def spelled_names(source: str) -> list[tuple[int, str]]:
    """(line, string) of each string in `source` that names a run-folder entry: one equal to a name of
    runs/layout.py, or any string with the fold prefix in it (f-string parts included)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if text in RUN_FOLDER_NAMES or FOLD_NAME.search(text):
                hits.append((node.lineno, text))
    return hits


def test_the_check_sees_a_name_spelled_outside_runs() -> None:
    code = 'p = run / "config.yaml"\nq = run / f"fold-{k}"\nr = run.glob("fold-*/best")\nh = "give fold-K"\n'
    assert sorted(spelled_names(code)) == [(1, "config.yaml"), (2, "fold-"), (3, "fold-*/best")]
    assert spelled_names("p = run.config_path\n") == []


def test_run_folder_names_are_spelled_only_in_runs() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{line}: {text!r}"
        for path in sorted(SRC.rglob("*.py"))
        if path.parent.name != "runs"
        for line, text in spelled_names(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --------------------------------------------------------------------------- one state, one message

OVERRIDES = ["task=ner", "model=tiny", "seed=3"]


def _json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _model(folder: Path) -> None:
    _json(folder / "config.json", {"architectures": ["BertForTokenClassification"]})


def _interrupted_cv(root: Path) -> Path:
    """A CV run killed in its second fold, after a complete checkpoint."""
    run = root / "run"
    (run / layout.HYDRA_DIR).mkdir(parents=True)
    (run / layout.HYDRA_DIR / layout.HYDRA_OVERRIDES).write_text(
        "".join(f"- {o}\n" for o in OVERRIDES), encoding="utf-8"
    )
    _json(run / "fold-0" / layout.METRICS, {})
    _model(run / "fold-0" / layout.BEST)
    _json(run / "fold-1" / layout.CHECKPOINTS / layout.checkpoint_name(10) / layout.MANIFEST, {"files": {}})
    return run


def _finished_cv(root: Path) -> Path:
    run = root / "cv"
    for k in (0, 1):
        _json(run / layout.fold_name(k) / layout.METRICS, {})
        _model(run / layout.fold_name(k) / layout.BEST)
    _json(run / layout.METRICS, {})
    (run / layout.CONFIG).write_text("task:\n  name: ner\n", encoding="utf-8")
    return run


def _empty(root: Path) -> Path:
    (root / "empty").mkdir()
    return root / "empty"


def _file(root: Path) -> Path:
    (root / "notes.txt").write_text("x", encoding="utf-8")
    return root / "notes.txt"


def _not_a_run(root: Path) -> Path:
    (root / "other").mkdir()
    (root / "other" / "notes.txt").write_text("x", encoding="utf-8")
    return root / "other"


def _published(root: Path) -> Path:
    _model(root / "pub")
    (root / "pub" / layout.PUBLISHED_MARKER).write_text("task:\n  name: ner\n", encoding="utf-8")
    return root / "pub"


# (make the folder, its kind): each is given to every command that reads a run folder.
STATES: dict[str, tuple[Callable[[Path], Path], Kind]] = {
    "missing": (lambda root: root / "missing", Kind.MISSING),
    "file": (_file, Kind.NOT_A_FOLDER),
    "empty": (_empty, Kind.EMPTY),
    "not-a-run": (_not_a_run, Kind.NOT_A_RUN),
    "interrupted": (_interrupted_cv, Kind.INTERRUPTED),
    "fold": (lambda root: _interrupted_cv(root) / "fold-0", Kind.FOLD),
    "published": (_published, Kind.PUBLISHED),
}
# The commands that read a run folder, as argv with the folder in it (out: a folder to write that must
# stay absent). Each needs a finished run (or a sweep of them); predict and preannotate need one model.
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "evaluate": lambda run, out: ["evaluate", f"run_dir={run}", f"report_dir={out}"],
    "report": lambda run, out: ["report", "--ner", str(run), "--out", str(out)],
    "aggregate": lambda run, out: ["aggregate", str(run), "--out", str(out)],
    "publish": lambda run, out: ["publish", str(run), "--out", str(out), "--onnx", "no"],
    "predict": lambda run, out: ["predict", "--ner", str(run), "--out", str(out), str(REPO_ROOT / "README.md")],
    "preannotate": lambda run, out: ["preannotate", "--ner", str(run), "--out", str(out), str(REPO_ROOT / "README.md")],
}
# What a command that needs one model accepts that the others refuse.
ACCEPTED = {("predict", "fold"), ("predict", "published"), ("preannotate", "fold"), ("preannotate", "published")}


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_gives_the_same_message_for_the_same_state(
    command: str, state: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if (command, state) in ACCEPTED:
        pytest.skip("a model folder is what this command needs")
    make, kind = STATES[state]
    folder = make(tmp_path)
    found = inspect_folder(folder)
    assert found.kind is kind
    out = tmp_path / "out"
    assert cli.main(COMMANDS[command](folder, out)) == 1
    err = capsys.readouterr().err
    assert f"{folder}: {describe(found)}" in err and "Traceback" not in err
    assert err.count("\n") == 1  # one message
    assert not out.exists()


def test_an_interrupted_run_says_how_to_finish_it(tmp_path: Path) -> None:
    run = _interrupted_cv(tmp_path)
    assert describe(inspect_folder(run)) == (
        "a training run that did not finish (fold-1 without metrics.json; fold-1 has a checkpoint to resume from); "
        f"finish it with `arastance train task=ner model=tiny seed=3 run_dir={run} resume=true`"
    )


@pytest.mark.parametrize("command", ["predict", "preannotate"])
def test_a_cross_validation_run_where_one_model_is_needed(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _finished_cv(tmp_path)
    assert cli.main(COMMANDS[command](run, tmp_path / "out")) == 1
    err = capsys.readouterr().err
    assert f"--ner {run}: a finished cross-validation run (2 folds): one model per fold" in err
    assert f"({run}/fold-0/best)" in err


def _status(argv: list[str]) -> int:
    """cli.main's status, also when argparse ends the command with SystemExit (a usage error)."""
    try:
        return cli.main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_empty_path_argument_is_refused(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run_dir=$RUN` with RUN unset: never the current folder (nor /report for evaluate's report)."""
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("PLACEHOLDER", "") for a in COMMANDS[command](Path("PLACEHOLDER"), tmp_path / "out")]
    assert _status(argv) != 0
    err = capsys.readouterr().err
    # argparse and runs/state.py say "is empty"; evaluate's settings rules "must be a folder (not empty)".
    assert ("is empty" in err or "(not empty)" in err) and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("state", ["missing", "empty", "not-a-run"])
def test_resume_with_nothing_to_resume_is_an_error(state: str, tmp_path: Path) -> None:
    from arastance.errors import UserError

    folder = STATES[state][0](tmp_path)
    with pytest.raises(UserError, match=r"resume=true: run_dir=.* so there is nothing to resume"):
        require_new_or_resumable(folder, resume=True)
    require_new_or_resumable(folder, resume=False)  # a new run may start there


@pytest.mark.parametrize("state", ["fold", "published", "file"])
def test_train_refuses_a_run_dir_of_the_wrong_kind(state: str, tmp_path: Path) -> None:
    from arastance.errors import UserError

    folder = STATES[state][0](tmp_path)
    with pytest.raises(UserError, match=f"run_dir={folder}: {describe(inspect_folder(folder))}"):
        require_new_or_resumable(folder, resume=False)


def _train(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(cwd / "hf"), "ARASTANCE_ROOT": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "arastance.cli", "train", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def test_train_with_an_empty_run_dir_writes_nothing_in_the_current_folder(tmp_path: Path) -> None:
    done = _train("model=tiny", "run_dir=", cwd=tmp_path)
    assert done.returncode == 1 and "run_dir is empty" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # not even hydra's .hydra/


def test_resume_on_a_new_folder_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    run = tmp_path / "new-run"
    done = _train("model=tiny", f"run_dir={run}", "resume=true", f"paths.root={REPO_ROOT}", cwd=tmp_path)
    assert done.returncode == 1 and "nothing to resume" in done.stderr, done.stderr
    assert not run.exists()


@pytest.mark.slow
def test_a_model_that_cannot_load_leaves_no_run_folder(tmp_path: Path) -> None:
    """`make train` with no arguments, offline: AraBERT is not in the cache; no dated folder stays."""
    outputs = tmp_path / "outputs"
    done = _train("task=ner", f"paths.output_dir={outputs}", f"paths.root={REPO_ROOT}", cwd=tmp_path)
    assert done.returncode == 1 and "cannot load model" in done.stderr, done.stderr
    # Hydra made the dated folder (and its parents) before the app ran: the dated folder is gone again.
    home = outputs / "ner" / "arabert_v02"
    assert not home.exists() or list(home.iterdir()) == []


def test_hydra_writes_no_log_file_into_the_run_folder() -> None:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(REPO_ROOT / "configs"), version_base="1.3"):
        cfg = compose(config_name="train", return_hydra_config=True)
    assert "file" not in cfg.hydra.job_logging.handlers


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("task", ["ner", "stance"])
def test_make_train_gives_the_tiny_model_its_recipe(task: str) -> None:
    def planned(*args: str) -> str:
        done = subprocess.run(
            ["make", "-n", "--no-print-directory", "train", "STAMP=", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    assert planned("MODEL=tiny", f"TASK={task}").endswith(f"arastance train experiment=demo_{task}")
    assert (REPO_ROOT / "configs" / "experiment" / f"demo_{task}.yaml").is_file()
    assert planned(f"TASK={task}").endswith(f"arastance train task={task} model=arabert_v02")
