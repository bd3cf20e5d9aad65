"""`arastance predict [--ner DIR] [--stance DIR] [FILE ... | -]`: one JSON line per document.

Each FILE is one document (a folder stands for its *.txt files, also *.TXT, and what else it holds is
listed on stderr as skipped; `-` or nothing for stdin). UTF-8 only: a UTF-16 file is refused as such;
a UTF-8 byte-order mark is not text (never a word) but offsets count it, as they index the raw input. Output:
{"source", "entities": [{"start","end","label","score","text"(,"value","unit","approximate")}],
 "sentences": [{"start","end","stance","scores","holder"}], "doc_stance"(, "warnings": [...])} with offsets into
the file's exact characters; a task whose model was not given is null; `warnings` (also on stderr) when most
words are unknown to the model (configs/predict.yaml). A file that cannot be read gives
{"source", "error"} and exit status 1, after every other file has been predicted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from arastance.errors import UserError, dead_link, decode_input, read_input_text
from arastance.runs.state import path_argument
from arastance.writer import refuse_overwriting_inputs, replacing

STDIN = "-"
MANY_FILES = 10  # from this many files on, a progress bar over files (on a terminal)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "predict",
        help="entities and stances of raw Arabic documents, as JSON lines with offsets into the raw text",
        description=(
            "One JSON line per document: {source, entities: [{start, end, label, score, text (QUANTITY: value, unit, "
            "approximate)}], sentences: [{start, end, stance, scores, holder: {start, end, text} | null}], "
            "doc_stance}, offsets into the document's exact characters; a task without its model is null. An "
            "unreadable file gives {source, error} and exit status 1."
        ),
    )
    add_model_arguments(p)
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="text files, one document each; folders: their *.txt (any case; the rest listed as skipped); "
        "`-` or nothing: stdin",
    )
    p.add_argument("--out", type=path_argument, metavar="FILE", help="write the JSON lines here instead of stdout")
    p.add_argument("--batch-docs", type=int, default=32, metavar="N", help="documents predicted together (default 32)")
    p.set_defaults(func=run)
    return p  # view/predict_cli.py adds --html to it


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ner", type=path_argument, metavar="DIR", help="NER model: a published folder or a run's best/")
    p.add_argument(
        "--stance", type=path_argument, metavar="DIR", help="stance model: a published folder or a run's best/"
    )
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1, ... (default auto)")
    from arastance.models.variants import BACKENDS

    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help=(
            "auto: on the CPU, the fastest exported variant (ONNX Runtime or OpenVINO) whose gate in the published "
            "folder's onnx/gate.json passed, else torch; onnx / openvino: that runtime's variant (default auto)"
        ),
    )


# --------------------------------------------------------------------------- inputs


TEXT_SUFFIX = ".txt"  # compared case-insensitively: Windows tools write NOTES.TXT


def folder_documents(folder: Path) -> tuple[list[str], list[str], list[str]]:
    """(the folder's text files, the other entries it holds, its links that lead to no file as
    "NAME: a looping link" / "NAME: a broken link (...)"), each sorted; subfolders are not entered."""
    texts: list[str] = []
    skipped: list[str] = []
    dead: list[str] = []
    for path in sorted(folder.iterdir()):
        link = dead_link(path)
        if link is not None:
            dead.append(f"{path}: {link}")
            continue
        is_text = path.is_file() and path.suffix.lower() == TEXT_SUFFIX
        (texts if is_text else skipped).append(str(path))
    return texts, skipped, dead


def expand_inputs(items: Sequence[str], prog: str = "arastance") -> list[str]:
    """Files as given; a folder becomes its *.txt files (sorted, any case of .txt), the rest of it listed
    on stderr as skipped so that nobody wonders where a document went; nothing means stdin."""
    if not items:
        return [STDIN]
    out: list[str] = []
    for item in items:
        path = Path(item)
        if item != STDIN and path.is_dir():
            found, skipped, dead = folder_documents(path)
            if skipped:
                print(
                    f"{prog}: {item}: skipped {len(skipped)} entries that are not .txt files: {', '.join(skipped)}",
                    file=sys.stderr,
                )
            if dead:
                print(
                    f"{prog}: {item}: skipped {len(dead)} links that lead to no file: {'; '.join(dead)}",
                    file=sys.stderr,
                )
            if not found:
                links = f" (and {len(dead)} links that lead to no file)" if dead else ""
                raise UserError(f"{item}: a folder without .txt files{links}")
            out += found
        else:
            out.append(item)
    if out.count(STDIN) > 1:
        raise UserError("stdin (-) can be read only once")
    return out


def read_source(source: str) -> str:
    """The document's exact characters: bytes decoded as UTF-8, no newline translation (offsets stay true)."""
    if source == STDIN:
        return decode_input(sys.stdin.buffer.read(), source)
    return read_input_text(source)


def read_all(sources: Iterable[str]) -> Iterator[tuple[str, str | None, str | None]]:
    """(source, text, error) per input; an unreadable file is reported, not fatal."""
    for source in sources:
        try:
            yield source, read_source(source), None
        except UserError as err:
            yield source, None, str(err)


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def progress_bar(total: int, what: str) -> Any:
    """A bar over files, advanced as batches are predicted; only for many files, only on a terminal."""
    from tqdm.auto import tqdm

    # disable=None: on when stderr is a terminal, off in logs and pipes.
    return tqdm(total=total, desc=what, unit="file", disable=True if total < MANY_FILES else None, file=sys.stderr)


def print_warnings(prog: str, source: str, result: dict[str, Any]) -> None:
    """A document's warnings (predict/unknown.py) on stderr, one line each, named by its source."""
    for warning in result.get("warnings", ()):
        print(f"{prog}: warning: {source}: {warning}", file=sys.stderr)


def load_models(args: argparse.Namespace) -> tuple[Any, Any]:
    from arastance.predict.documents import load_published_model
    from arastance.tasks import NER, STANCE

    if args.ner is None and args.stance is None:
        raise UserError("give at least one model: --ner DIR and/or --stance DIR")
    backend = getattr(args, "backend", "auto")
    ner = load_published_model(args.ner, NER, args.device, backend) if args.ner is not None else None
    stance = load_published_model(args.stance, STANCE, args.device, backend) if args.stance is not None else None
    return ner, stance


# --------------------------------------------------------------------------- command


def run(args: argparse.Namespace, keep: list[tuple[str, str, dict[str, Any]]] | None = None) -> int:
    """Predict every input; `keep` (when given) receives (source, text, record) of each readable one."""
    from arastance.models.loading import quiet_libraries
    from arastance.predict.documents import predict_documents

    if args.batch_docs < 1:
        raise UserError("--batch-docs must be at least 1")
    sources = expand_inputs(args.files, "arastance predict")
    if STDIN in sources and sys.stdin.isatty():
        raise UserError("no input: give FILE ... or pipe text on stdin (`-`)")
    refuse_overwriting_inputs(args.out, [s for s in sources if s != STDIN])
    quiet_libraries()
    ner, stance = load_models(args)
    failed = 0
    bar = progress_bar(len(sources), "predict")
    # Streamed into a temporary file renamed at the end: a reader never sees half of it, and of two
    # runs with the same --out the last to finish wins, whole.
    output = replacing(args.out) if args.out else contextlib.nullcontext(sys.stdout)
    try:
        with output as out:
            for batch in chunks(read_all(sources), args.batch_docs):
                readable = [(s, t) for s, t, e in batch if t is not None]
                results = iter(predict_documents([t for _, t in readable], ner, stance)) if readable else iter(())
                for source, text, error in batch:
                    if error is not None:
                        failed += 1
                        print(f"arastance predict: {error}", file=sys.stderr)
                        record: dict[str, Any] = {"source": source, "error": error}
                    else:
                        record = {"source": source, **next(results)}
                        print_warnings("arastance predict", source, record)
                        if keep is not None and text is not None:
                            keep.append((source, text, record))
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()  # lines appear as batches finish: a long run can be followed and piped
                bar.update(len(batch))
    except OSError as err:
        raise UserError(f"cannot write the output: {err.strerror or err}") from None
    finally:
        bar.close()
    return 1 if failed else 0
