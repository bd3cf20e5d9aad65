"""Atomic, resumable checkpoints: step-NNNNNN/ folders inside a split's checkpoints/ (runs/layout.py).

A checkpoint holds what Accelerate's save_state writes (model, optimizer, scheduler, every RNG state
of every process) plus trainer_state.json (step, epoch, position in the epoch's batch plan, the plan's
seed, best dev score, patience, loss history) and the resolved config. It is written into a hidden
temporary folder and renamed into place once complete, so a kill at any moment leaves either the old
set of checkpoints or the new one — never a half checkpoint that resume would pick up.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

CHECKPOINT_PATTERN = re.compile(r"^step-(\d{6})$")
STATE_FILE = "trainer_state.json"


def checkpoint_name(step: int) -> str:
    return f"step-{step:06d}"


def complete_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints in `folder`, oldest first. Temporary folders (a kill mid-write) are ignored."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and CHECKPOINT_PATTERN.match(p.name) and (p / STATE_FILE).is_file()]
    return sorted(found, key=lambda p: int(CHECKPOINT_PATTERN.match(p.name).group(1)))  # type: ignore[union-attr]


def latest_checkpoint(folder: Path) -> Path | None:
    found = complete_checkpoints(folder)
    return found[-1] if found else None


def save_checkpoint(accelerator: Any, folder: Path, step: int, state: dict[str, Any], config_yaml: str, keep: int) -> Path:
    """Write a checkpoint into `folder` atomically (all ranks call this; rank 0 renames and prunes)."""
    folder = Path(folder)
    final = folder / checkpoint_name(step)
    staging = folder / f".tmp-{checkpoint_name(step)}"
    if accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(staging))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (staging / "config.yaml").write_text(config_yaml, encoding="utf-8")
        # The state file is written last: its presence marks the checkpoint complete.
        (staging / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
        _fsync_dir(staging)
        if final.exists():
            shutil.rmtree(final)
        os.rename(staging, final)
        prune(folder, keep)
    accelerator.wait_for_everyone()
    return final


def load_checkpoint(accelerator: Any, checkpoint: Path) -> dict[str, Any]:
    accelerator.load_state(str(checkpoint))
    return json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8"))


def prune(folder: Path, keep: int) -> None:
    if keep <= 0:
        return
    for old in complete_checkpoints(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in folder.glob(".tmp-step-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
