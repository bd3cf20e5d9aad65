"""Atomic, verifiable, resumable checkpoints: step-NNNNNN/ folders inside a split's checkpoints/.

A checkpoint holds what Accelerate's save_state writes (model, optimizer, scheduler, every RNG state
of every process) plus trainer_state.json (step, epoch, position in the epoch's batch plan, the plan's
seed, best dev score, patience, loss history) and the resolved config. It is written into a hidden
temporary folder and renamed into place once complete. Its manifest.json (size and sha256 of every
other file), written last, defines "complete": a checkpoint whose files no longer match it (a disk
that lost the tail of a file, a copy cut short) is never resumed from; resume falls back to the
previous complete one and says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arastance.errors import UserError, writing
from arastance.phases import timed_phase
from arastance.runs.layout import CONFIG, MANIFEST, checkpoint_folders, checkpoint_name, complete_checkpoints
from arastance.writer import swap_in_folder, write_json, write_text

STATE_FILE = "trainer_state.json"
_HASH_CHUNK = 1 << 20


def latest_checkpoint(folder: Path) -> Path | None:
    found = complete_checkpoints(folder)
    return found[-1] if found else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def build_manifest(checkpoint: Path) -> dict[str, Any]:
    files = sorted(p for p in Path(checkpoint).rglob("*") if p.is_file() and p.name != MANIFEST)
    return {
        "files": {
            p.relative_to(checkpoint).as_posix(): {"size": p.stat().st_size, "sha256": file_sha256(p)} for p in files
        }
    }


def write_manifest(checkpoint: Path) -> None:
    write_json(Path(checkpoint) / MANIFEST, build_manifest(checkpoint))


def manifest_problem(checkpoint: Path) -> str | None:
    """Why a checkpoint cannot be trusted (the first file that differs from its manifest), or None."""
    try:
        listed = json.loads((Path(checkpoint) / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"{MANIFEST} unreadable ({err})"
    if STATE_FILE not in listed:
        return f"{MANIFEST} does not list {STATE_FILE}"
    for name, expected in listed.items():
        path = Path(checkpoint) / name
        if not path.is_file():
            return f"{name} is missing"
        size = path.stat().st_size
        if size != expected["size"]:
            return f"{name} has {size} bytes, {expected['size']} were written"
        if file_sha256(path) != expected["sha256"]:
            return f"{name} differs from what was written (sha256)"
    return None


def resume_checkpoint(folder: Path, warn: Callable[[str], None]) -> Path | None:
    """The newest checkpoint that matches its manifest; each damaged newer one is reported and skipped.

    None when the split has no checkpoint folder at all (a fresh start); a UserError when there are
    some but none is complete, since starting over silently would throw their training away.
    """
    folders = checkpoint_folders(folder)
    rejected: list[str] = []
    for candidate in reversed(folders):
        problem = manifest_problem(candidate) if (candidate / MANIFEST).is_file() else "no manifest (never finished)"
        if problem is None:
            if rejected:
                warn(f"resuming from the previous complete checkpoint {candidate.name} instead")
            return candidate
        rejected.append(candidate.name)
        warn(f"checkpoint {candidate} is not complete: {problem}; skipped")
    if folders:
        raise UserError(
            f"no complete checkpoint left in {folder} ({', '.join(rejected)} damaged or unfinished): "
            f"cannot resume. Move {folder} away and start again without resume=true (or in another run_dir)"
        )
    return None


@timed_phase("checkpoint")
def save_checkpoint(
    accelerator: Any, folder: Path, step: int, state: dict[str, Any], config_yaml: str, keep: int
) -> Path:
    """Write a checkpoint into `folder` atomically (all ranks call this; rank 0 renames and prunes).

    A full disk or a read-only folder ends the run with a UserError naming the folder; the half-written
    temporary folder is removed and the earlier checkpoints are left as they were.
    """
    folder = Path(folder)
    final = folder / checkpoint_name(step)
    staging = folder / f".tmp-{checkpoint_name(step)}"
    after = "; the earlier checkpoints are intact: free space (or make the folder writable) and rerun with resume=true"
    try:
        with writing(folder, f"checkpoint {final.name}", after):
            if accelerator.is_main_process:
                shutil.rmtree(staging, ignore_errors=True)
                staging.mkdir(parents=True)
            accelerator.wait_for_everyone()
            accelerator.save_state(str(staging))
            accelerator.wait_for_everyone()
            if accelerator.is_main_process:
                write_text(staging / CONFIG, config_yaml)
                write_json(staging / STATE_FILE, state)
                # The manifest is written last: its presence marks the checkpoint complete.
                write_manifest(staging)
                _fsync_dir(staging)
                swap_in_folder(staging, final)
    except BaseException:
        if accelerator.is_main_process:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if accelerator.is_main_process:
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
