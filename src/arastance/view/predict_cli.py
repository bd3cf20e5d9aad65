"""`arastance predict … --html OUT.html`: the predict command, plus the page of what it predicted.

The command is predict/cli.py's; this module adds --html because the page shows the actor table,
and actors/ sits above predict/ in the layers (predict cannot import it).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from arastance.predict import cli as predict_cli


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = predict_cli.add_parser(subparsers)
    p.add_argument(
        "--html",
        type=Path,
        metavar="OUT.html",
        help="also write the predictions as a page (entities, stances, holders, actor table); see `arastance view`",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.html is None:
        return predict_cli.run(args)
    from arastance.view.predictions import Predicted, load_page_settings, write_prediction_pages

    settings = load_page_settings()  # a broken setting fails before the models load, not after
    kept: list[tuple[str, str, dict[str, Any]]] = []
    status = predict_cli.run(args, keep=kept)
    items = [Predicted(source, text, record) for source, text, record in kept]
    if items:
        write_prediction_pages(args.html, items, "Predictions", settings)
    return status
