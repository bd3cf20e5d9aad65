"""The one `arastance` command line: commands in pipeline order, --version, pass-through to the hydra
and argparse programs, one exit status per kind of failure, and no torch on the start-up path."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from arastance import cli
from arastance.errors import Terminated, UserError, exit_on_failure, failure_status

REPO_ROOT = Path(__file__).resolve().parents[1]
PIPELINE = [
    "gold",
    "corpus",
    "train",
    "evaluate",
    "report",
    "aggregate",
    "score",
    "publish",
    "predict",
    "preannotate",
    "actors",
    "view",
    "demo",
    "bench",
    "agreement",
]


def _arastance(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "arastance.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_help_lists_every_command_in_pipeline_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    listing = out.split("commands (in pipeline order):", 1)[1]
    listed = [
        line.split()[0] for line in listing.splitlines() if line.startswith("    ") and not line.startswith("     ")
    ]
    assert listed == PIPELINE
    assert "The flow: gold → train" in out


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"arastance {version('arastance')}"


def test_help_and_gold_commands_do_not_import_torch() -> None:
    # A fresh interpreter: this test session has imported torch long ago.
    script = (
        "import sys, contextlib, io\n"
        "from arastance.cli import main\n"
        "codes = []\n"
        "for argv in (['--help'], ['gold', 'validate'], ['gold', 'stats'], ['agreement', '--help'], ['train', "
        "'--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            codes.append(main(argv))\n"
        "        except SystemExit as e:\n"
        "            codes.append(e.code)\n"
        "print(codes, sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0, 0, 0, 0, 0] []"


@pytest.mark.parametrize("command", ["train", "evaluate", "demo", "bench"])
def test_each_program_s_help_exits_0(command: str) -> None:
    done = _arastance(command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "a help text"
    if command in ("train", "evaluate"):  # our line first, then hydra's app help
        assert done.stdout.startswith(f"arastance {command}: {cli.BY_NAME[command].summary}")
        assert "== Config ==" in done.stdout


def test_train_takes_hydra_overrides_unchanged() -> None:
    done = _arastance("train", "task=stance", "model=tiny", "seed=7", "--cfg", "job")
    assert done.returncode == 0, done.stderr
    assert "\nseed: 7\n" in done.stdout and "name: stance" in done.stdout


def test_hydra_commands_get_the_arguments_after_their_name_as_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    import arastance.train

    seen: list[list[str]] = []
    monkeypatch.setattr(arastance.train, "main", lambda: seen.append(list(sys.argv)))
    before = list(sys.argv)
    assert cli.main(["train", "-m", "seed=1,2", "task=ner", "hydra.sweep.dir=X"]) == 0
    assert seen == [["arastance train", "-m", "seed=1,2", "task=ner", "hydra.sweep.dir=X"]]
    assert sys.argv == before  # restored for whoever runs next


def test_argv_commands_get_the_arguments_after_their_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import arastance.demo

    seen: list[list[str]] = []
    monkeypatch.setattr(arastance.demo, "main", lambda argv: seen.append(argv) or 3)
    assert cli.main(["demo", "--out", "x", "trainer.num_epochs=2"]) == 3
    assert seen == [["--out", "x", "trainer.num_epochs=2"]]


def test_a_user_error_in_a_hydra_app_is_one_line_and_status_1(tmp_path: Path) -> None:
    done = _arastance("evaluate", f"run_dir={tmp_path / 'nonexistent'}", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"arastance evaluate: run_dir={tmp_path / 'nonexistent'}: no such folder; "
        "needed: a finished training run folder, or a sweep folder of finished runs"
    ]


def test_python_dash_m_entry_points_keep_working(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "arastance.evaluate", f"run_dir={tmp_path / 'x'}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1 and "no such folder" in done.stderr and "Traceback" not in done.stderr


def test_failure_statuses(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARASTANCE_DEBUG", raising=False)
    assert failure_status("arastance x", UserError("bad.json: line 3: no text")) == 1
    assert capsys.readouterr().err == "arastance x: bad.json: line 3: no text\n"
    assert failure_status("arastance x", KeyboardInterrupt()) == 130
    assert capsys.readouterr().err == "arastance x: interrupted\n"
    assert failure_status("arastance x", Terminated()) == 143
    assert capsys.readouterr().err == "arastance x: terminated (SIGTERM)\n"
    assert failure_status("arastance x", ZeroDivisionError("division by zero")) == 70
    err = capsys.readouterr().err
    assert (
        err.startswith("arastance x: unexpected error: ZeroDivisionError: division by zero")
        and "ARASTANCE_DEBUG=1" in err
    )
    monkeypatch.setenv("ARASTANCE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        failure_status("arastance x", ZeroDivisionError("division by zero"))


def test_exit_on_failure_raises_system_exit_with_the_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARASTANCE_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_, exit_on_failure("arastance train"):
        raise UserError("no gold")
    assert exit_.value.code == 1
    with exit_on_failure("arastance train"):
        pass  # nothing raised, nothing exits


def test_an_unexpected_error_in_a_parser_command_is_status_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import arastance.annotation.cli

    def broken(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.delenv("ARASTANCE_DEBUG", raising=False)
    monkeypatch.setattr(arastance.annotation.cli, "cmd_validate", broken)
    assert cli.main(["gold", "validate"]) == 70
    assert "arastance gold: unexpected error: RuntimeError: boom" in capsys.readouterr().err
