"""The exit statuses README's table promises, for a sample of each kind of failure and each kind of
command (argparse sub-command, hydra app, own-argv program): 1 bad input, 2 bad command line or
config, 70 a bug, 130 / 143 signals (tests/test_writer.py sends real signals)."""

from __future__ import annotations

from pathlib import Path

import pytest

from arastance import cli
from arastance.errors import EXIT_INTERNAL, EXIT_USAGE, EXIT_USER_ERROR


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # whatever hydra creates lands here
    monkeypatch.delenv("ARASTANCE_DEBUG", raising=False)


def status(argv: list[str]) -> int:
    """What the console script exits with (argparse's SystemExit included)."""
    try:
        return cli.main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("injected bug")


# --------------------------------------------------------------------------- argparse sub-commands


def test_parser_command_statuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import arastance.scoring.cli

    assert status(["score", str(tmp_path / "missing.conll")]) == EXIT_USER_ERROR
    assert status(["score", "--mode", "lenient", "x.conll"]) == EXIT_USAGE
    assert status(["no-such-command"]) == EXIT_USAGE
    monkeypatch.setattr(arastance.scoring.cli, "score_sequences", boom)
    (tmp_path / "a.conll").write_text("word B-PER B-PER\n", encoding="utf-8")
    assert status(["score", str(tmp_path / "a.conll")]) == EXIT_INTERNAL


# --------------------------------------------------------------------------- hydra apps


def test_hydra_app_statuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import arastance.evaluate

    assert status(["evaluate", f"run_dir={tmp_path / 'missing'}"]) == EXIT_USER_ERROR
    # Hydra's own errors (an unknown config group choice, a malformed override) are usage errors.
    assert status(["train", "model=no_such_model"]) == EXIT_USAGE
    assert status(["evaluate", "run_dir=[unclosed"]) == EXIT_USAGE
    assert status(["train", "--no-such-flag"]) == EXIT_USAGE
    assert status(["evaluate"]) == EXIT_USAGE  # run_dir: ??? never given
    assert "config error: run_dir" in capsys.readouterr().err
    assert status(["train", "trainer.max_steps=-5", f"run_dir={tmp_path / 'r'}"]) == EXIT_USAGE
    capsys.readouterr()
    monkeypatch.setattr(arastance.evaluate, "evaluate", boom)
    assert status(["evaluate", f"run_dir={tmp_path}"]) == EXIT_INTERNAL
    assert "unexpected error: RuntimeError: injected bug" in capsys.readouterr().err


# --------------------------------------------------------------------------- own-argv programs


def test_argv_program_statuses(monkeypatch: pytest.MonkeyPatch) -> None:
    import arastance.demo

    assert status(["demo", "--no-such-flag"]) == EXIT_USAGE
    assert status(["bench", "--no-such-flag"]) == EXIT_USAGE
    monkeypatch.setattr(arastance.demo, "run", boom)
    assert status(["demo", "--out", "o", "--runs", "r"]) == EXIT_INTERNAL


def test_a_run_outside_the_repository_names_arastance_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ARASTANCE_ROOT", raising=False)
    assert status(["train", "model=tiny", "trainer=smoke", f"run_dir={tmp_path / 'run'}"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert f"{tmp_path}/annotations/schema.yaml: no such file" in err and "set ARASTANCE_ROOT" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("module", ["arastance.train", "arastance.evaluate"])
def test_python_dash_m_gives_the_console_script_statuses(module: str, tmp_path: Path) -> None:
    """`python -m arastance.train` (how accelerate launch and torchrun start it) maps hydra's own
    error to 2, as the console script does."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    bad = subprocess.run(
        [sys.executable, "-m", module, "model=no_such_model"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert bad.returncode == EXIT_USAGE, bad.stderr[-2000:]
