"""Exceptions shared by every stage, and the reading of user-named inputs that raises them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class UserError(Exception):
    """An expected failure (bad input, missing model, no network) whose message is enough for the user.

    The CLI and hydra entry points print it without a traceback and exit with status 1.
    """


def decode_input(data: bytes, source: str) -> str:
    """UTF-8 text with its newlines untouched (character offsets into it must stay true)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{source}: not UTF-8 (byte offset {err.start})") from None


def read_input_text(path: Path | str) -> str:
    """A file the user named, exactly as stored; every way it can fail is a UserError naming it."""
    from pathlib import Path

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a file") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read: {err.strerror or err}") from None
    return decode_input(data, str(path))
