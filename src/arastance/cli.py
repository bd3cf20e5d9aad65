"""The `arastance` console script. Each stage registers its own sub-commands; this file only dispatches.

Every command turns an expected failure (bad input, missing model, no network) into a one-paragraph
message on stderr and exit status 1 or 2 — never a traceback. Set ARASTANCE_DEBUG=1 to see tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from arastance.errors import UserError

# sub-command → module exposing `add_parser(subparsers)`; imported lazily so `arastance gold ...`
# does not pay for importing torch.
COMMAND_MODULES: dict[str, str] = {
    "gold": "arastance.gold.cli",
    "corpus": "arastance.corpus.cli",
    "score": "arastance.evaluation.cli",
    "report": "arastance.evaluation.report_cli",
    "publish": "arastance.publish.cli",
    "predict": "arastance.publish.predict_cli",
    "preannotate": "arastance.publish.preannotate_cli",
    "labelstudio": "arastance.gold.labelstudio_cli",
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arastance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = argv[0] if argv and argv[0] in COMMAND_MODULES else None
    for name, module_name in COMMAND_MODULES.items():
        if wanted and name != wanted:
            # Only the chosen command's module is imported; the others get a placeholder for --help.
            sub.add_parser(name, help=f"see `arastance {name} --help`")
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name and err.name.startswith("arastance"):
                continue  # stage not built in this checkout
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as err:
        print(f"arastance {args.command}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - last line of defence for a CLI
        if os.environ.get("ARASTANCE_DEBUG"):
            raise
        print(
            f"arastance {args.command}: unexpected error: {type(err).__name__}: {err}\n"
            "Re-run with ARASTANCE_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
