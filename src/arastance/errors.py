"""Exceptions shared by every stage, and the reading of user-named inputs that raises them."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

# Exit statuses of every arastance command (README, "Exit statuses"): a script tells "you gave me
# something wrong" (1, 2) from "this is a bug" (70) and from "stopped" (130, 143).
EXIT_USER_ERROR = 1  # bad input (a file, a folder, a model) the message explains
EXIT_USAGE = 2  # a bad command line or config: argparse's and hydra's own errors, a config value out of range
EXIT_CONFIG_ERROR = EXIT_USAGE
EXIT_INTERNAL = 70  # EX_SOFTWARE of sysexits.h: a bug, with the traceback under ARASTANCE_DEBUG=1
EXIT_UNEXPECTED = EXIT_INTERNAL
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130: Ctrl-C, as shells report it
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143: `kill`, a scheduler's stop, a container's shutdown


class UserError(Exception):
    """An expected failure (bad input, missing model, no network) whose message is enough for the user.

    The CLI and hydra entry points print it without a traceback and exit with status 1.
    """


def listed(problems: Sequence[object], limit: int, hint: str = "") -> str:
    """The first `limit` problems, one a line, and how many more there were (`hint`: where to see them)."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more{hint}")
    return "\n".join(lines)


class ConfigError(UserError):
    """A config value that cannot be right (a negative step count, a seed that is not an integer).

    Found before any work starts; the entry points exit with status 2, as for a usage error.
    """


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a command that can say where it stood and how to go on (one line,
    exit 128 + the signal: 130 or 143)."""

    def __init__(self, message: str, signum: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.message = message
        self.signum = signum


class Terminated(Interrupted):
    """SIGTERM, raised where the program stands so that every `finally` and context manager runs
    (temporary files and staging folders removed) as for Ctrl-C."""

    def __init__(self, message: str = "terminated (SIGTERM)") -> None:
        super().__init__(message, signal.SIGTERM)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def terminate_like_ctrl_c() -> None:
    """SIGTERM raises Terminated in the main thread, as SIGINT raises KeyboardInterrupt.

    Left alone where SIGTERM is ignored (nohup-like parents) or outside the main thread (tests).
    """
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN:
        signal.signal(signal.SIGTERM, _raise_terminated)


class HandledExit(SystemExit):
    """The SystemExit of a failure already reported by failure_status (hydra apps raise it), told
    apart from hydra's own exit(1) after a bad override, which the CLI reports as a usage error."""


# Below this much free space a failed write is put down to a full disk: torch's C++ writer reports
# ENOSPC only as "file write failed", so the folder itself is asked why.
LOW_SPACE_BYTES = 1 << 20


def storage_problem(folder: Path | str) -> str | None:
    """Why writes into `folder` fail, if the file system says so: read-only or (nearly) full."""
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        stat = os.statvfs(probe)
    except OSError:
        return None
    if stat.f_flag & os.ST_RDONLY:
        return "read-only file system"
    if stat.f_bavail * stat.f_frsize < LOW_SPACE_BYTES:
        return "no space left on device"
    return None


@contextmanager
def writing(folder: Path | str, what: str, after: str = "") -> Iterator[None]:
    """Turns a failed write (full disk, read-only folder, no permission) into a UserError naming the
    folder and the cause; any other failure passes through unchanged. `after` says what is still safe."""
    try:
        yield
    except OSError as err:
        cause: str | None = err.strerror or str(err)
        raise UserError(f"cannot write {what} in {folder}: {cause}{after}") from None
    except Exception:
        cause = storage_problem(folder)
        if cause is None:
            raise
        raise UserError(f"cannot write {what} in {folder}: {cause}{after}") from None


def decode_input(data: bytes, source: str) -> str:
    """UTF-8 text with its newlines untouched (character offsets into it must stay true).

    UTF-16 is named as such: its byte-order mark is not UTF-8, and Arabic in UTF-16 without one
    decodes as "valid" UTF-8 full of NUL characters.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{source}: UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{source}: not UTF-8 (byte offset {err.start})") from None
    if "\x00" in text:
        raise UserError(f"{source}: NUL bytes (UTF-16 without a byte-order mark, or not a text file); save it as UTF-8")
    return text


def dead_link(path: Path | str) -> str | None:
    """What is wrong with `path` when it is a symbolic link that leads to no file: "a looping link" or
    "a broken link (to TARGET)"; None for anything else (a link that works is as good as its target)."""
    import errno

    path = Path(path)
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "a looping link"
        if err.errno == errno.ENOENT:
            return f"a broken link (to {os.readlink(path)}, which does not exist)"
    return None


def read_input_text(path: Path | str) -> str:
    """A file the user named, exactly as stored; every way it can fail is a UserError naming it."""
    link = dead_link(path)
    if link is not None:
        raise UserError(f"{path}: {link}")
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a file") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read: {err.strerror or err}") from None
    return decode_input(data, str(path))


def _is_missing_config_value(err: BaseException) -> bool:
    """OmegaConf's "???" read before it was given (`arastance evaluate` without run_dir=): a usage error.
    Told by name, so that a command that never loads omegaconf does not import it here."""
    return type(err).__name__ == "MissingMandatoryValue" and type(err).__module__.startswith("omegaconf")


def failure_status(prog: str, err: BaseException) -> int:
    """The one place that turns a failure into a message on stderr and an exit status.

    ConfigError → its message, 2; UserError → its message, 1; Interrupted (Ctrl-C, SIGTERM) → its one
    line, 130 or 143; any other KeyboardInterrupt → 130; anything else → a one-paragraph message and
    70, or the exception itself re-raised (with its traceback) when ARASTANCE_DEBUG is set.
    """
    if isinstance(err, ConfigError):
        print(f"{prog}: config error: {err}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if _is_missing_config_value(err):
        key = getattr(err, "full_key", "") or "a key"
        print(
            f"{prog}: config error: {key} has no value (???); give it on the command line: {key}=...", file=sys.stderr
        )
        return EXIT_CONFIG_ERROR
    if isinstance(err, UserError):
        print(f"{prog}: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    if isinstance(err, Interrupted):
        print(f"{prog}: {err.message}", file=sys.stderr)
        return 128 + err.signum
    if isinstance(err, KeyboardInterrupt):
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if os.environ.get("ARASTANCE_DEBUG"):
        raise err
    print(
        f"{prog}: unexpected error: {type(err).__name__}: {err}\n"
        "Re-run with ARASTANCE_DEBUG=1 for the traceback and report it.",
        file=sys.stderr,
    )
    return EXIT_UNEXPECTED


@contextmanager
def exit_on_failure(prog: str) -> Iterator[None]:
    """Wraps an entry point whose caller expects SystemExit (hydra apps, `python -m` mains).

    SIGTERM is taken here too, for the processes that do not start at the CLI (`python -m
    arastance.train`, the workers of `accelerate launch`)."""
    terminate_like_ctrl_c()
    try:
        yield
    except (Exception, KeyboardInterrupt) as err:
        raise HandledExit(failure_status(prog, err)) from None


def entry_status(prog: str, run: Callable[[], object], hydra: bool) -> int:
    """Exit status of an entry point that returns it or ends with SystemExit (argparse, hydra, exit_on_failure).

    Hydra reports a bad override or config group itself and exits 1; that is a usage error (2) here,
    as argparse's are, while our own failures come as HandledExit with their status already chosen.
    """
    try:
        result = run()
    except SystemExit as exit_:
        code = exit_.code
        status = code if isinstance(code, int) else (0 if code is None else 1)
        return EXIT_USAGE if hydra and status == 1 and not isinstance(exit_, HandledExit) else status
    except (Exception, KeyboardInterrupt) as err:
        return failure_status(prog, err)
    return result if isinstance(result, int) else 0
