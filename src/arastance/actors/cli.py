"""`arastance actors (INPUT ... | --gold [DIR]) --out DIR`: who holds which stance, one row per actor.

INPUT is a prediction file written by `arastance predict` (.jsonl, read as it is), or raw text (a .txt
file or a folder of them), which is predicted first with --ner and --stance like `arastance predict`.
--gold summarises the annotations themselves (the reference table). Writes actors.csv, actors.md and
actors.png into --out.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from arastance.errors import UserError, read_input_text


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "actors",
        help="who holds which stance: one row per actor over documents (actors.csv, actors.md, actors.png)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "inputs", nargs="*", metavar="INPUT", help="`arastance predict` .jsonl files, or .txt files / folders of them"
    )
    p.add_argument(
        "--gold",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="summarise the gold (default annotations/gold) instead",
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder for actors.csv, actors.md and actors.png"
    )
    p.add_argument("--aliases", type=Path, metavar="FILE", help="alias table (default configs/actors/aliases.yaml)")
    p.add_argument("--title", help="title of the table and the figure")
    from arastance.predict.cli import add_model_arguments

    add_model_arguments(p)
    p.set_defaults(func=run)


# --------------------------------------------------------------------------- inputs


def gold_documents(gold: str, rules: Any) -> list[Any]:
    from arastance.actors.summary import document_from_gold
    from arastance.gold.io import read_gold
    from arastance.paths import gold_dir

    path = Path(gold) if gold else gold_dir()
    result = read_gold(path)
    if result.problems:
        shown = "\n".join(str(p) for p in result.problems[:10])
        raise UserError(
            f"{path}: {len(result.problems)} problem(s) in the gold (run `arastance gold validate`):\n{shown}"
        )
    if not result.documents:
        raise UserError(f"{path}: no gold documents")
    return [document_from_gold(d.doc, rules) for d in result.documents]


def prediction_records(path: Path) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(path:line, line number, record) of each record of an `arastance predict` JSONL file."""
    for number, line in enumerate(read_input_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise UserError(f"{where}: not JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise UserError(f"{where}: not a prediction record (a JSON object)")
        if "error" in record:
            raise UserError(f"{where}: `arastance predict` could not read {record.get('source')!r}: {record['error']}")
        yield where, number, record


def prediction_documents(path: Path, rules: Any) -> list[Any]:
    """The records of an `arastance predict` JSONL file; every record must carry stance sentences with holders."""
    from arastance.actors.summary import document_from_prediction

    docs = []
    for where, number, record in prediction_records(path):
        sentences = record.get("sentences")
        if not isinstance(sentences, list):
            raise UserError(
                f"{where}: no stance predictions (`sentences` is {sentences!r}); run `arastance predict` with --stance"
            )
        if any(not isinstance(s, dict) or "holder" not in s or "stance" not in s for s in sentences):
            raise UserError(f"{where}: sentences without `stance`/`holder`; re-run this version of `arastance predict`")
        try:
            docs.append(document_from_prediction(f"{path}:{record.get('source', number)}", record, rules))
        except (KeyError, TypeError, ValueError) as err:
            raise UserError(f"{where}: malformed prediction record ({type(err).__name__}: {err})") from None
    if not docs:
        raise UserError(f"{path}: no prediction records (an empty file?); nothing to summarise")
    return docs


def text_documents(sources: Sequence[str], args: argparse.Namespace, rules: Any) -> list[Any]:
    from arastance.actors.summary import document_from_prediction
    from arastance.predict.cli import load_models, print_warnings
    from arastance.predict.documents import predict_documents

    if args.ner is None or args.stance is None:
        raise UserError("raw text needs both models: --ner DIR --stance DIR (or give `arastance predict` output)")
    ner, stance = load_models(args)
    texts = [read_input_text(s) for s in sources]
    results = predict_documents(texts, ner, stance)
    for source, result in zip(sources, results, strict=True):
        print_warnings("arastance actors", source, result)
    return [document_from_prediction(s, r, rules) for s, r in zip(sources, results, strict=True)]


def split_inputs(items: Sequence[str]) -> tuple[list[Path], list[str]]:
    """(prediction files, text files): a folder stands for its *.txt files."""
    predictions, texts = [], []
    for item in items:
        path = Path(item)
        if path.is_dir():
            from arastance.predict.cli import expand_inputs

            texts += expand_inputs([item], "arastance actors")  # what predict reads of a folder, skips named
        elif path.suffix == ".jsonl":
            predictions.append(path)
        elif path.suffix == ".txt":
            texts.append(item)
        else:
            raise UserError(f"{item}: give `arastance predict` output (.jsonl) or raw text (.txt, or a folder of them)")
    return predictions, texts


# --------------------------------------------------------------------------- command


def run(args: argparse.Namespace) -> int:
    from arastance.actors.aliases import load_alias_table
    from arastance.actors.output import write_outputs
    from arastance.actors.summary import stance_columns, summarise
    from arastance.holders.rules import load_rules
    from arastance.schema import SchemaError, load_schema

    if (args.gold is None) == (not args.inputs):
        raise UserError("give either INPUT files or --gold, not both and not neither")
    rules = load_rules()
    aliases = load_alias_table(args.aliases)
    try:
        schema = load_schema()
    except SchemaError as err:
        raise UserError(str(err)) from err
    if args.gold is not None:
        docs = gold_documents(args.gold, rules)
        title = args.title or "gold annotations"
    else:
        predictions, texts = split_inputs(args.inputs)
        docs = [d for p in predictions for d in prediction_documents(p, rules)]
        if texts:
            from arastance.models.loading import quiet_libraries

            quiet_libraries()
            docs += text_documents(texts, args, rules)
        title = args.title or "predictions"
    columns = stance_columns(schema.stance_classes, rules.no_stance)
    summary = summarise(docs, aliases, rules, schema.stance_classes)
    try:
        paths = write_outputs(args.out, summary, columns, title)
    except OSError as err:
        raise UserError(f"cannot write into {args.out}: {err.strerror or err}") from None
    print(
        f"{len(summary.rows)} actors over {summary.documents} document(s): {', '.join(str(p) for p in paths.values())}"
    )
    return 0
