"""`arastance labelstudio config`: the Label Studio labeling config generated from schema.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from arastance.errors import UserError
from arastance.schema import SchemaError, load_schema


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ls = subparsers.add_parser("labelstudio", help="Label Studio helpers")
    sub = ls.add_subparsers(dest="labelstudio_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser("config", help="print the labeling config (XML) generated from annotations/schema.yaml")
    p.add_argument("--out", type=Path, help="write to this file instead of stdout")
    p.set_defaults(func=cmd_config)


def cmd_config(args: argparse.Namespace) -> int:
    from arastance.gold.io import write_text
    from arastance.gold.labelstudio import labeling_config

    try:
        xml = labeling_config(load_schema())
    except SchemaError as err:
        raise UserError(str(err)) from err
    if args.out is None:
        sys.stdout.write(xml)
        return 0
    try:
        write_text(args.out, xml)
    except OSError as err:
        raise UserError(f"cannot write {args.out}: {err.strerror or err}") from err
    return 0
