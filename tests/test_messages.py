"""What messages, docs and the model card tell users to run exists: `hf download` (huggingface-cli is gone
from current huggingface_hub) with options that `hf download --help` lists."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT_FILES = [
    *sorted((ROOT / "src").rglob("*.py")),
    *sorted((ROOT / "docs").rglob("*.md")),
    *sorted((ROOT / "configs").rglob("*.yaml")),
    ROOT / "README.md",
    ROOT / "Makefile",
]
HF_DOWNLOAD = re.compile(r"hf download([^`\n]*)")


def test_no_file_names_the_removed_huggingface_cli() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in TEXT_FILES if "huggingface-cli" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_every_hf_download_option_we_print_exists() -> None:
    hf = shutil.which("hf", path=str(Path(sys.executable).parent))
    if hf is None:
        pytest.skip("the hf command of huggingface_hub is not installed next to this interpreter")
    help_text = subprocess.run([hf, "download", "--help"], capture_output=True, text=True, check=True).stdout
    used = {
        option
        for p in TEXT_FILES
        for match in HF_DOWNLOAD.finditer(p.read_text(encoding="utf-8"))
        for option in re.findall(r"--[a-z-]+", match.group(1))
    }
    assert used, "no `hf download` command found: the scan is broken"
    assert sorted(option for option in used if option not in help_text) == []


def test_the_offline_message_says_hf_download(monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.errors import UserError
    from arastance.models.loading import resolve_pretrained

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match=r"`hf download no-such-org/no-such-model`"):
        resolve_pretrained("no-such-org/no-such-model", 1.0)
