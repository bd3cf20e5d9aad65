"""The one way a command writes an output: a hidden temporary sibling, then a rename.

Every file (`replacing`, `write_text`, `write_json`, `write_jsonl`, `write_bytes`, `copy_file`,
`save_figure`) and every folder (`building_folder`) that a command writes goes through here, so that

- a reader never sees half a file: the temporary is flushed, fsync'ed and renamed over the target
  (`os.replace`, atomic within one file system, which a sibling always shares);
- two writers of one path never interleave: each writes its own temporary, and the last complete one
  wins (its rename comes last); neither sees an error, and the file is always one of them, whole;
- a failure (an exception, Ctrl-C, SIGTERM turned into an exception by the CLI) removes the temporary
  and leaves the old target as it was;
- what a killed process (SIGKILL, power loss) left behind is recognised by its name
  (`.NAME.tmp-PID-…`, `.NAME.building-PID-…`, `.NAME.old-PID-…`) and removed, with a note, by the next
  writer of NAME in that folder once process PID is gone.

`refuse_overwriting_inputs` is the check that an output is none of the inputs, made before anything
is opened. tests/test_writer.py fails if any other module of src/ opens a file for writing.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from arastance.errors import UserError, writing

# Hidden siblings, by the suffix after ".NAME.": a file being written (tmp), a folder being built
# (building), the previous folder being swapped out (old); each names the writing process.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|building|old)-(?P<pid>\d+)-[0-9a-f]+$")
# errno values of a write() the storage refused (full, read-only, too big), as opposed to a bug in the
# writing code; permissions are checked when the temporary is created.
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _sibling(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def leftovers(target: Path) -> list[Path]:
    """Hidden siblings of `target` left by processes that no longer run (a SIGKILL, a power cut)."""
    target = Path(target)
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match and match["name"] == target.name and not _alive(int(match["pid"])):
            found.append(entry)
    return sorted(found)


def sweep_leftovers(target: Path) -> None:
    """Remove what a killed writer of `target` left, and say so on stderr (it may have been large)."""
    for entry in leftovers(target):
        _remove(entry)
        print(f"removed {entry}, left by a killed process", file=sys.stderr)


def _is_storage_error(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in _STORAGE_ERRNOS


@contextlib.contextmanager
def _storage_errors(target: Path) -> Iterator[None]:
    """A write the storage refused (full, read-only, no permission) → a UserError naming the folder."""
    with writing(target.parent, target.name, f"; {target.name} was left as it was"):
        yield


@contextlib.contextmanager
def replacing(path: Path | str, binary: bool = False) -> Iterator[IO[Any]]:
    """A handle on a temporary sibling of `path`, renamed over `path` when the block ends without error.

    Streaming writers (predict's JSON lines) write through it as they go; on any failure, Ctrl-C or
    SIGTERM the temporary is removed and `path` keeps its old content.
    """
    target = Path(path)
    if target.is_symlink():  # written through, as open() would: the link stays a link
        target = target.resolve()
    sweep_leftovers(target)
    tmp = _sibling(target, "tmp")
    try:
        with _storage_errors(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666: the umask decides, as for open()
        # newline="": text is written as given (offsets into gold texts count \r\n as two characters).
        handle: IO[Any] = open(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline="")
        with handle:
            try:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as err:
                if not _is_storage_error(err):
                    raise
                with _storage_errors(target):
                    raise
        with _storage_errors(target):
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):  # a read-only folder cannot even take the cleanup
            tmp.unlink()
        raise


def write_text(path: Path | str, text: str) -> None:
    with replacing(path) as handle:
        handle.write(text)


def write_bytes(path: Path | str, data: bytes) -> None:
    with replacing(path, binary=True) as handle:
        handle.write(data)


def write_json(path: Path | str, data: Any, indent: int | None = 2) -> None:
    write_text(path, json.dumps(data, indent=indent, ensure_ascii=False) + "\n")


def write_jsonl(path: Path | str, rows: Iterable[dict[str, Any]]) -> None:
    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def create_new(path: Path | str, text: str) -> None:
    """Write `text` to `path` only if nothing is there: of two writers the second refuses (FileExistsError).

    For files that must never be overwritten (a gold document); whole or absent, as with `replacing`.
    """
    target = Path(path)
    sweep_leftovers(target)
    tmp = _sibling(target, "tmp")
    try:
        with replacing(tmp) as handle:
            handle.write(text)
        os.link(tmp, target)  # atomic and exclusive: fails when `path` exists, whoever made it
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def copy_file(source: Path | str, path: Path | str) -> None:
    """`source`'s bytes at `path` (its mode is not copied: a run's best/ weights are 0600)."""
    with open(source, "rb") as src, replacing(path, binary=True) as handle:
        shutil.copyfileobj(src, handle)


def save_figure(fig: Any, path: Path | str, **options: Any) -> None:
    """A matplotlib figure saved through `replacing` (the format from `path`'s suffix, as savefig does)."""
    target = Path(path)
    fmt = options.pop("format", None) or target.suffix.lstrip(".") or None
    with replacing(target, binary=True) as handle:
        fig.savefig(handle, format=fmt, **options)


# How often a folder swap retries when another writer's folder lands at `out` between its two renames.
_SWAP_ATTEMPTS = 8


def swap_in_folder(staging: Path, out: Path) -> None:
    """Rename a complete folder to `out`; a previous `out` is removed only once the new one is there.

    Two writers swapping at once: whichever renames last wins, the other's folder is removed as a
    previous one would be (a folder cannot be renamed over a non-empty one, hence the retry).
    """
    for attempt in range(_SWAP_ATTEMPTS):
        moved = _sibling(out, "old")
        old: Path | None = moved
        try:
            os.rename(out, moved)
        except FileNotFoundError:
            old = None
        try:
            os.rename(staging, out)
        except BaseException as err:
            retry = isinstance(err, OSError) and err.errno in (errno.ENOTEMPTY, errno.EEXIST)
            retry = retry and attempt < _SWAP_ATTEMPTS - 1
            if old is not None and retry:  # a newer folder of another writer is at `out`: ours goes in over it
                shutil.rmtree(old, ignore_errors=True)
            elif old is not None:  # failed for good: the previous folder goes back
                with contextlib.suppress(OSError):
                    os.rename(old, out)
            if retry:
                continue
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return


@contextlib.contextmanager
def building_folder(out: Path | str) -> Iterator[Path]:
    """An empty hidden folder beside `out` to build in; renamed to `out` when the block ends without error.

    A previous `out` is replaced only once the new one is complete; on any failure, Ctrl-C or SIGTERM
    the staging folder is removed (a SIGKILL'ed one is removed by the next build of `out`).
    """
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(target)
    staging = _sibling(target, "building")
    with _storage_errors(target):
        staging.mkdir()
    try:
        yield staging
        with _storage_errors(target):
            swap_in_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def copy_folder(source: Path | str, out: Path | str) -> Path:
    """A copy of the folder `source` at `out`, which appears whole or not at all."""
    with building_folder(out) as staging:
        shutil.copytree(source, staging, dirs_exist_ok=True)
    return Path(out)


def point_link(link: Path, target: str) -> Path:
    """Make `link` a symlink to `target`, replaced atomically (never missing, never half-made)."""
    tmp = _sibling(link, "tmp")
    with _storage_errors(link):
        os.symlink(target, tmp)
        try:
            os.replace(tmp, link)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return link


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()  # follows links: a link to an input is that input
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def refuse_overwriting_inputs(out: Path | str | None, inputs: Iterable[Path | str], option: str = "--out") -> None:
    """Refuse an output that is one of the inputs (the same file, after links), before anything is opened."""
    if out is None or str(out) == "-":
        return
    target = Path(out)
    target_id = _identity(target)
    resolved = target.resolve()
    for given in inputs:
        if str(given) == "-":  # stdin
            continue
        source = Path(given)
        same = target_id is not None and target_id == _identity(source)
        if same or resolved == source.resolve():
            raise UserError(f"{option} {out} is also an input ({given}): it would be overwritten before it is read")
