"""`arastance gold ...`: validate, export, stats, convert and import the gold annotations.

Every command that reads gold validates it first and refuses invalid gold with the list of problems,
so that nothing downstream (training, exports) is built on gold that breaks the rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from arastance.annotation.add import duplicate_problems, read_existing
from arastance.annotation.doccano import dumps_doccano, loads_doccano
from arastance.annotation.labelstudio import dumps_tasks, labeling_config, loads_tasks, parse_control_map
from arastance.errors import UserError, listed, read_input_text
from arastance.gold.convert import to_conll, to_records
from arastance.gold.io import (
    LoadedDocument,
    Problem,
    dumps_jsonl,
    existing_outputs,
    write_standoff,
    write_text,
)
from arastance.gold.model import GoldDocument
from arastance.gold.stats import compute_stats, format_stats
from arastance.gold.validate import ValidationReport, validate, validate_path
from arastance.paths import annotations_dir, documents_dir, gold_dir
from arastance.schema import Schema, SchemaError, load_schema

CONVERT_FORMATS = ("iob2", "conll", "labelstudio", "doccano")
MAX_LISTED = 50  # problems listed in a refusal; `gold validate` lists them all


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gold = subparsers.add_parser("gold", help="validate, export, convert and import the gold annotations")
    sub = gold.add_subparsers(dest="gold_command", required=True, metavar="SUBCOMMAND")

    def with_source(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "path",
            nargs="?",
            type=Path,
            help="gold directory, standoff .json or JSONL file (default: annotations/gold/)",
        )
        p.add_argument(
            "--documents", type=Path, help="directory of <doc_id>.txt texts (default: beside the gold directory)"
        )

    p = sub.add_parser("validate", help="check the gold against schema.yaml and the guidelines; list every problem")
    with_source(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="write the (valid) gold as interchange JSON lines")
    with_source(p)
    p.add_argument("--out", type=Path, help="output file (default: stdout)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("stats", help="entity counts, stance distribution, sentence lengths, holders")
    with_source(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "convert", help="convert the (valid) gold to IOB2 JSONL, CoNLL, Label Studio tasks or doccano JSONL"
    )
    with_source(p)
    p.add_argument("--to", required=True, choices=CONVERT_FORMATS)
    p.add_argument("--out", type=Path, help="output file (default: stdout)")
    p.set_defaults(func=cmd_convert)

    for name, what in (
        ("import-labelstudio", "a Label Studio JSON export"),
        ("import-doccano", "a doccano JSONL export"),
    ):
        p = sub.add_parser(name, help=f"turn {what} into a standoff directory (OUT/gold, OUT/documents)")
        p.add_argument("file", type=Path)
        p.add_argument("--out", type=Path, required=True, help="root of the standoff directory")
        p.add_argument("--force", action="store_true", help="overwrite existing files")
        if name == "import-labelstudio":
            add_control_option(p)
        p.set_defaults(func=cmd_import_labelstudio if name == "import-labelstudio" else cmd_import_doccano)

    p = sub.add_parser(
        "dataset",
        help="write the (valid) gold as a Hugging Face dataset folder with a dataset card; optionally push it",
    )
    with_source(p)
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder to write (load it with datasets.load_dataset(DIR))",
    )
    p.add_argument("--force", action="store_true", help="replace DIR when it is not empty")
    p.add_argument(
        "--push", action="store_true", help="upload DIR to the Hugging Face Hub (your cached login or HF_TOKEN)"
    )
    p.add_argument("--repo-id", metavar="OWNER/NAME", help="Hub dataset repository for --push (created if missing)")
    p.add_argument("--private", action="store_true", help="create the Hub repository as private")
    p.set_defaults(func=cmd_dataset)

    p = sub.add_parser(
        "add", help="copy new raw texts into annotations/documents/ as NNN_<hash>.txt (refuses duplicates)"
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE.txt", help="UTF-8 Arabic news texts, one per file")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser(
        "import", help="add the completed tasks of a Label Studio export to annotations/ as new documents"
    )
    p.add_argument("file", type=Path)
    p.add_argument("--force", action="store_true", help="overwrite documents that already exist")
    add_control_option(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "labelstudio-config", help="the Label Studio labeling config (XML) generated from annotations/schema.yaml"
    )
    p.add_argument("--out", type=Path, help="output file (default: stdout)")
    p.set_defaults(func=cmd_labelstudio_config)


# --------------------------------------------------------------------------- helpers


def add_control_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--control",
        action="append",
        default=[],
        metavar="THEIRS=OURS",
        help=(
            "read the export's control THEIRS as ours (e.g. label=entities for the stock NER template), or drop it "
            "with THEIRS=- (relation=- for relations); repeatable. A control neither ours nor mapped is refused"
        ),
    )


def _schema() -> Schema:
    try:
        return load_schema()
    except SchemaError as err:
        raise UserError(str(err)) from err


def _source(args: argparse.Namespace) -> Path:
    return args.path if args.path is not None else gold_dir()


def list_problems(problems: Sequence[Problem]) -> str:
    return listed(problems, MAX_LISTED, " (run `arastance gold validate` for all)")


def _valid_documents(args: argparse.Namespace, schema: Schema) -> list[GoldDocument]:
    path = _source(args)
    report = validate_path(path, schema, args.documents)
    if not report.ok:
        raise UserError(
            f"{path} is not valid gold ({report.summary()}); fix it first:\n{list_problems(report.problems)}"
        )
    return [d.doc for d in report.documents]


def _emit(content: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(content)
        return
    try:
        write_text(out, content)
    except OSError as err:
        raise UserError(f"cannot write {out}: {err.strerror or err}") from err
    print(f"wrote {out}", file=sys.stderr)


# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    schema = _schema()
    report: ValidationReport = validate_path(_source(args), schema, args.documents)
    for problem in report.problems:
        print(problem)
    print(report.summary())
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    schema = _schema()
    _emit(dumps_jsonl(_valid_documents(args, schema), schema.version), args.out)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    schema = _schema()
    # Stats describe what is there even while annotators still have problems to fix; a file that
    # cannot be read at all is still an error.
    report = validate_path(_source(args), schema, args.documents)
    unreadable = [
        p for p in report.problems if p.rule in ("read", "empty-file", "json", "format", "missing-text", "no-documents")
    ]
    if unreadable:
        raise UserError(f"cannot read the gold:\n{list_problems(unreadable)}")
    stats = compute_stats([d.doc for d in report.documents], schema)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(format_stats(stats))
        if not report.ok:
            print(f"\nnote: the gold has {len(report.problems)} validation errors (`arastance gold validate`)")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    schema = _schema()
    docs = _valid_documents(args, schema)
    _emit(_CONVERTERS[args.to](docs, schema), args.out)
    return 0


def _to_iob2(docs: Sequence[GoldDocument], schema: Schema) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in to_records(docs))


def _to_conll(docs: Sequence[GoldDocument], schema: Schema) -> str:
    return to_conll(to_records(docs))


def _to_labelstudio(docs: Sequence[GoldDocument], schema: Schema) -> str:
    return dumps_tasks(docs, schema.version)


def _to_doccano(docs: Sequence[GoldDocument], schema: Schema) -> str:
    return dumps_doccano(docs, schema.version)


_CONVERTERS: dict[str, Callable[[Sequence[GoldDocument], Schema], str]] = {
    "iob2": _to_iob2,
    "conll": _to_conll,
    "labelstudio": _to_labelstudio,
    "doccano": _to_doccano,
}


def known_texts(root: Path) -> dict[str, str]:
    """doc_id → text of the documents under root and of the project's gold, which an import must not copy."""
    return {**read_existing(documents_dir()), **read_existing(root / "documents")}


def _write_imported(
    docs: list[GoldDocument], problems: list[Problem], source: Path, root: Path, schema: Schema, force: bool
) -> int:
    """Validate imported documents and write them as standoff under root; refuse anything invalid."""
    loaded = [LoadedDocument(d, str(source)) for d in docs]
    problems = problems + validate(loaded, schema)
    if problems:
        raise UserError(f"{source} was not imported ({len(problems)} problems):\n{list_problems(problems)}")
    if not docs:
        raise UserError(f"{source}: no document to import")
    existing = [] if force else existing_outputs(docs, root)
    if existing:
        names = ", ".join(str(p) for p in existing)
        raise UserError(f"{source} was not imported: {names} already exist (use --force to overwrite)")
    # --force overwrites a document under its own id; a known text under a new id is never imported.
    duplicates = duplicate_problems([(d.doc_id, d.text) for d in docs], known_texts(root))
    if duplicates:
        raise UserError(f"{source} was not imported ({len(duplicates)} duplicates):\n" + "\n".join(duplicates))
    try:
        write_standoff(docs, root, schema.version, overwrite=force)
    except OSError as err:
        raise UserError(f"cannot write under {root}: {err}") from err
    print(f"imported {len(docs)} documents into {root / 'gold'} and {root / 'documents'}", file=sys.stderr)
    return 0


def cmd_labelstudio_config(args: argparse.Namespace) -> int:
    _emit(labeling_config(_schema()), args.out)
    return 0


def cmd_import_labelstudio(args: argparse.Namespace) -> int:
    schema = _schema()
    controls = parse_control_map(args.control)
    docs, problems = loads_tasks(read_input_text(args.file), schema, str(args.file), controls=controls)
    return _write_imported(docs, problems, args.file, args.out, schema, args.force)


def cmd_import_doccano(args: argparse.Namespace) -> int:
    schema = _schema()
    docs, problems = loads_doccano(read_input_text(args.file), schema, str(args.file))
    return _write_imported(docs, problems, args.file, args.out, schema, args.force)


def cmd_dataset(args: argparse.Namespace) -> int:
    from arastance.annotation.dataset import build_datasets, write_dataset_folder
    from arastance.annotation.dataset_card import render_card
    from arastance.gold.io import read_text
    from arastance.gold.stats import compute_stats, sentence_lengths
    from arastance.hub import check_repo_id, push_folder

    if args.push:
        check_repo_id(args.repo_id)  # before any work: a typo should not cost a build
    schema = _schema()
    docs = _valid_documents(args, schema)
    notes = [annotations_dir() / name for name in ("schema.yaml", "guidelines.md", "adjudication.md")]
    missing = [str(p) for p in notes if not p.is_file()]
    if missing:
        raise UserError(f"the dataset card needs {', '.join(missing)}")
    built = build_datasets(docs, schema)
    card = render_card(
        built,
        compute_stats(docs, schema),
        schema,
        read_text(notes[1]),
        read_text(notes[2]),
        sum(n for doc in docs for n in sentence_lengths(doc)),
    )
    try:
        out = write_dataset_folder(built, args.out, card, notes, replace=args.force)
    except FileExistsError:
        raise UserError(f"{args.out} exists and is not empty; use --force to replace it") from None
    except OSError as err:
        raise UserError(f"cannot write {args.out}: {err.strerror or err}") from None
    sizes = ", ".join(f"{name} {len(dataset)} rows" for name, dataset in built.items())
    print(f"wrote {out} ({sizes}); load it with datasets.load_dataset({str(out)!r})", file=sys.stderr)
    if args.push:
        url = push_folder(
            out,
            args.repo_id,
            repo_type="dataset",
            commit_message="Upload the arastance gold dataset",
            retry_hint="arastance gold dataset --out DIR --force --push",
            private=args.private,
        )
        print(f"pushed {out} to {url}", file=sys.stderr)
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from arastance.annotation.add import add_documents
    from arastance.paths import documents_dir

    target = documents_dir()
    for new in add_documents(args.files, target):
        print(f"added {new.source} as {target / (new.doc_id + '.txt')}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """New documents from Label Studio into annotations/: only tasks with a completed annotation."""
    schema = _schema()
    controls = parse_control_map(args.control)
    docs, problems = loads_tasks(
        read_input_text(args.file), schema, str(args.file), require_annotation=False, controls=controls
    )
    return _write_imported(docs, problems, args.file, annotations_dir(), schema, args.force)
