"""`make help`: every documented target, aligned, and colour only on a terminal (never raw escape codes in a pipe)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ESC = "\x1b"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def documented_targets() -> list[str]:
    return re.findall(r"^([a-zA-Z_-]+):.*## ", (ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.M)


def test_piped_help_lists_every_target_without_escape_codes() -> None:
    out = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert ESC not in out
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == documented_targets()
    # one column for the descriptions, whatever the longest target name
    columns = {len(line) - len(line.split(maxsplit=1)[1]) for line in lines}
    assert len(columns) == 1


def test_help_on_a_terminal_is_coloured() -> None:
    import pty

    parent, child = pty.openpty()
    try:
        subprocess.run(
            ["make", "--no-print-directory", "help"], cwd=ROOT, stdout=child, stderr=subprocess.DEVNULL, check=True
        )
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(parent, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(parent)
    assert f"{ESC}[36mhelp".encode() in b"".join(chunks)
