"""One run at a time in a run folder: an fcntl lock on RUN/.lock, which also names its holder.

The kernel releases an flock when its holder dies, however it dies (SIGKILL, OOM, power loss on a
local disk), so a lock file left behind by a killed run is recognised as stale by the simple fact that
it can be locked again: the new run takes it over and says whose it was. The file holds "pid host
started" so that a refused second run can name the run that holds the folder.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from arastance.errors import UserError

LOCK_FILE = ".lock"


@dataclass(frozen=True)
class Holder:
    pid: int | None
    host: str
    started: str

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid is not None else "an unknown process"
        return f"{pid} on {self.host or 'an unknown host'}" + (f", started {self.started}" if self.started else "")


def parse_holder(text: str) -> Holder:
    """The holder recorded in a lock file; tolerant of an empty or torn file (a kill mid-write)."""
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    pid = fields.get("pid", "")
    return Holder(int(pid) if pid.isdigit() else None, fields.get("host", ""), fields.get("started", ""))


def holder_record(pid: int, host: str, started: str) -> str:
    return f"pid={pid}\nhost={host}\nstarted={started}\n"


class RunLock:
    """Held for the life of a training run (a context manager); refuses at once if another run holds it."""

    def __init__(self, run_dir: Path, note: Callable[[str], None] = print) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self.note = note
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The lock is held on a read-only descriptor: a folder remounted read-only mid-run (or unmounted)
        # must not be kept busy by it; the holder record is written through a short-lived one.
        fd = os.open(self.path, os.O_RDONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = parse_holder(_read_all(fd))
            os.close(fd)
            raise UserError(
                f"run_dir {self.path.parent} is in use by another training run ({holder.describe()}); "
                f"wait for it to end or stop it, or choose another run_dir (lock file: {self.path})"
            ) from None
        previous = _read_all(fd)
        if previous.strip():
            # Locked, yet the file names someone: that run died without releasing it (a kill).
            self.note(
                f"took over the stale lock of a run that is gone ({parse_holder(previous).describe()}): {self.path}"
            )
        self._fd = fd
        self._record(holder_record(os.getpid(), socket.gethostname(), time.strftime("%Y-%m-%dT%H:%M:%S%z")))

    def release(self) -> None:
        if self._fd is None:
            return
        # Emptied before unlocking, so the next run does not mistake a clean end for a killed run. Never
        # unlinked: a run waiting on the old inode and one creating a new file could then both hold "the" lock.
        try:
            self._record("")
        except OSError:
            pass  # a full or read-only disk must not hide the error that ended the run
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def _record(self, text: str) -> None:
        with open(self.path, "w", encoding="utf-8") as handle:
            handle.write(text)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _read_all(fd: int) -> str:
    return os.pread(fd, 4096, 0).decode("utf-8", errors="replace")
