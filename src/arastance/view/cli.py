"""`arastance view PREDICTIONS.jsonl ... --out OUT.html`: `arastance predict` output as a page to read.

Each record's text is read again from its `source` (a path as `predict` was given it: run `view` from
the same folder, or give --root); a source that changed since it was predicted is refused by name.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from arastance.errors import UserError, read_input_text


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "view",
        help="predictions as an HTML page: entities in the text, sentence stances and holders, the actor table",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("predictions", nargs="+", type=Path, metavar="PREDICTIONS.jsonl", help="`arastance predict` output")
    p.add_argument("--out", type=Path, required=True, metavar="OUT.html", help="the page (or index page) to write")
    p.add_argument("--root", type=Path, metavar="DIR", help="folder the records' relative sources are read from")
    p.add_argument("--title", default="Predictions", help="the page's title")
    p.set_defaults(func=run)


def read_predicted(path: Path, root: Path | None) -> list:
    from arastance.actors.cli import prediction_records
    from arastance.view.predictions import Predicted, check_offsets

    items = []
    for where, _number, record in prediction_records(path):
        source = record.get("source")
        if not isinstance(source, str) or source == "-":
            raise UserError(f"{where}: no source file to read the text from (source {source!r}); use predict --html")
        file = Path(source) if root is None or Path(source).is_absolute() else root / source
        try:
            text = read_input_text(file)
        except UserError as err:
            raise UserError(f"{where}: the text of this record: {err}") from None
        item = Predicted(source, text, record)
        check_offsets(item, where)
        items.append(item)
    return items


def run(args: argparse.Namespace) -> int:
    from arastance.view.predictions import load_page_settings, write_prediction_pages

    settings = load_page_settings()
    items = [item for path in args.predictions for item in read_predicted(path, args.root)]
    if not items:
        raise UserError(f"{', '.join(map(str, args.predictions))}: no prediction records")
    written = write_prediction_pages(args.out, items, args.title, settings)
    extra = f" and {len(written) - 1} document page(s)" if len(written) > 1 else ""
    print(f"{len(items)} document(s): {args.out}{extra}")
    return 0
