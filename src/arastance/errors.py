"""Exceptions shared by every stage, and the reading of user-named inputs that raises them."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Exit statuses of every arastance command (the console script and the hydra entry points alike).
EXIT_USER_ERROR = 1  # bad input the message explains
EXIT_UNEXPECTED = 2  # a bug: message, and the traceback with ARASTANCE_DEBUG=1
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class UserError(Exception):
    """An expected failure (bad input, missing model, no network) whose message is enough for the user.

    The CLI and hydra entry points print it without a traceback and exit with status 1.
    """


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


def read_input_text(path: Path | str) -> str:
    """A file the user named, exactly as stored; every way it can fail is a UserError naming it."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a file") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read: {err.strerror or err}") from None
    return decode_input(data, str(path))


def failure_status(prog: str, err: BaseException) -> int:
    """The one place that turns a failure into a message on stderr and an exit status.

    UserError → its message, 1; KeyboardInterrupt → 130; anything else → a one-paragraph message and
    2, or the exception itself re-raised (with its traceback) when ARASTANCE_DEBUG is set.
    """
    if isinstance(err, UserError):
        print(f"{prog}: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    if isinstance(err, KeyboardInterrupt):
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
    """Wraps an entry point whose caller expects SystemExit (hydra apps, `python -m` mains)."""
    try:
        yield
    except (Exception, KeyboardInterrupt) as err:  # noqa: BLE001 - last line of defence of a command
        raise SystemExit(failure_status(prog, err)) from None
