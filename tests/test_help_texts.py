"""What users read before running anything: every `arastance …` command the docs quote exists, and
each command's --help names itself, explains every option and lists only what it reads."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from arastance import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
# `arastance WORD [WORD]` inside code: fenced blocks and inline spans.
QUOTED = re.compile(r"\barastance[ \t]+([a-z][\w-]*)(?:[ \t]+([a-z][\w-]*))?")
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)


def subcommands(name: str) -> set[str]:
    """The sub-commands of a command (`gold validate`, `corpus convert`), or none."""
    parser = cli.build_parser(name)
    (top,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    command_parser = top.choices[name]
    nested = [a for a in command_parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(nested[0].choices) if nested else set()


def quoted_commands(text: str) -> list[tuple[str, str | None]]:
    return [(m[1], m[2]) for block in CODE.findall(text) for m in QUOTED.finditer(block)]


def test_the_scan_sees_inline_and_fenced_commands() -> None:
    text = "run `arastance gold validate` then\n```bash\narastance labelstudio config\n```\n"
    assert quoted_commands(text) == [("gold", "validate"), ("labelstudio", "config")]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_quoted_command_exists(doc: Path) -> None:
    missing = []
    known_subcommands: dict[str, set[str]] = {}
    for command, second in quoted_commands(doc.read_text(encoding="utf-8")):
        if command not in cli.BY_NAME:
            missing.append(f"arastance {command}")
            continue
        if cli.BY_NAME[command].kind != "parser":
            continue
        subs = known_subcommands.setdefault(command, subcommands(command))
        if subs and second is not None and second not in subs:
            missing.append(f"arastance {command} {second}")
    assert not missing, f"{doc.name} quotes commands that do not exist: {sorted(set(missing))}"


def options_without_text(help_text: str) -> list[str]:
    """Option lines of an argparse --help with no text beside them nor on the next line."""
    lines = help_text.splitlines()
    bare = []
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        if line.startswith("  -") and "  " not in line.strip() and not after.startswith(" " * 8):
            bare.append(line.strip())
    return bare


def test_the_check_sees_an_option_without_text() -> None:
    text = "options:\n  -h, --help   show this\n  --out OUT\n  --mode {a,b}\n                help on the next line\n"
    assert options_without_text(text) == ["--out OUT"]


def test_own_argv_programs_name_themselves_and_explain_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("bench", "demo"):
        assert cli.main([name, "--help"]) == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: arastance {name} "), text[:80]
        assert not options_without_text(text), f"arastance {name} --help: options without a text"


def test_hydra_help_lists_only_the_groups_the_app_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    groups = text.split("== Configuration groups ==", 1)[1].split("== Config ==", 1)[0]
    listed = {line.split(":", 1)[0] for line in groups.splitlines() if ":" in line and not line.startswith("Compose")}
    assert {"task", "model", "trainer", "data", "experiment", "hparams_search"} <= listed
    assert not listed & {"corpus", "onnx", "actors", "holders"}
    assert "tiny" in groups and "arastance train is powered by Hydra" in text
