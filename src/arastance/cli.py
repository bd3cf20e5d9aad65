"""arastance: Arabic named entities and per-sentence stance on news, from gold annotations to published models.

Arabic named entities (PER, ORG, GPE, ...) and per-sentence stance on news: check the gold
annotations, fine-tune and cross-validate AraBERT, evaluate with confidence intervals, publish models
that plain `transformers` loads, and pre-annotate new articles for the next round of annotation.

The flow: gold → train → evaluate / report → publish → predict / preannotate → (annotators correct) → gold.
`arastance demo` runs it offline on a tiny model. Each command has its own --help; `train` and
`evaluate` are hydra apps that take overrides (task=ner model=tiny seed=7, run_dir=..., -m for sweeps).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

from arastance.errors import UserError, entry_status, failure_status, terminate_like_ctrl_c
from arastance.writer import refuse_overwriting_inputs

# How a command's module takes its arguments:
#   "parser": add_parser(subparsers) registers an argparse sub-command whose `func(args)` runs it;
#   "argv":   main(argv) -> int parses its own arguments (argparse programs of their own);
#   "hydra":  a @hydra.main app, which reads sys.argv itself (overrides, -m, --help, --cfg ...).
Kind = Literal["parser", "argv", "hydra"]


@dataclass(frozen=True)
class Command:
    name: str
    module: str
    summary: str  # the line `arastance --help` shows; the module is imported only when the command runs
    kind: Kind = "parser"


# In pipeline order: `arastance --help` lists them so. A new stage adds one line here.
COMMANDS: tuple[Command, ...] = (
    Command("gold", "arastance.annotation.cli", "validate, inspect, convert and import the gold annotations"),
    Command(
        "corpus", "arastance.corpus.cli", "public NER corpora (CoNLL, Hugging Face datasets) mapped onto the schema"
    ),
    Command(
        "train", "arastance.train", "fine-tune NER or stance (hydra overrides: task=ner model=tiny seed=7 ...)", "hydra"
    ),
    Command(
        "evaluate", "arastance.evaluate", "re-score a run's saved models and write its report (run_dir=...)", "hydra"
    ),
    Command("report", "arastance.evaluation.report_cli", "evaluation report for an NER and/or a stance run"),
    Command(
        "aggregate",
        "arastance.evaluation.aggregate_cli",
        "mean ± sd over several runs (seeds, sweeps), grouped by what differs",
    ),
    Command("score", "arastance.scoring.cli", "entity-level precision/recall/F1 of a CoNLL file"),
    Command("publish", "arastance.publish.cli", "package a run for plain transformers users, with a model card"),
    Command(
        "predict",
        "arastance.view.predict_cli",
        "entities and stances of raw Arabic documents, as JSON lines (--html: a page)",
    ),
    Command("preannotate", "arastance.predict.preannotate_cli", "Label Studio tasks pre-filled with model predictions"),
    Command(
        "actors", "arastance.actors.cli", "who holds which stance: one row per actor, from predictions or the gold"
    ),
    Command("view", "arastance.view.cli", "predictions as an HTML page: entities, stances, holders, actor table"),
    Command("demo", "arastance.demo", "the whole flow offline on the tiny model, about 30 s on 2 CPU cores", "argv"),
    Command(
        "bench",
        "arastance.bench.cli",
        "our training loop and prediction against transformers.Trainer and pipeline",
        "argv",
    ),
    Command("agreement", "arastance.annotation.agreement_cli", "inter-annotator agreement between two gold folders"),
)
BY_NAME = {command.name: command for command in COMMANDS}
# Commands that run torch: their thread count and OpenMP wait policy are set before torch loads.
TORCH_COMMANDS = frozenset({"train", "evaluate", "publish", "predict", "preannotate", "demo", "bench"})


def package_version() -> str:
    try:
        return version("arastance")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


def build_parser(wanted: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only `wanted`'s module is imported (so `arastance gold` never loads torch)."""
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        prog="arastance",
        description=doc.split("\n\n", 1)[1] if "\n\n" in doc else doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Set ARASTANCE_DEBUG=1 to see the traceback of an unexpected error.",
    )
    parser.add_argument("--version", action="version", version=f"arastance {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands (in pipeline order)")
    for command in COMMANDS:
        if command.name == wanted and command.kind == "parser":
            importlib.import_module(command.module).add_parser(sub)
        else:
            sub.add_parser(command.name, help=command.summary, add_help=False)
    return parser


def _delegate(command: Command, rest: list[str]) -> int:
    """Run an "argv" or "hydra" command with the arguments after its name, untouched."""
    module = importlib.import_module(command.module)
    entry: Callable[..., object] = module.main
    prog = f"arastance {command.name}"
    if command.kind == "argv":
        return entry_status(prog, lambda: entry(rest), hydra=False)
    if {"--help", "-h"} & set(rest):
        print(f"{prog}: {command.summary}\n")
    saved = sys.argv
    sys.argv = [prog, *rest]  # hydra reads its overrides from sys.argv
    try:
        return entry_status(prog, entry, hydra=True)
    finally:
        sys.argv = saved


# argparse destinations that name what a command writes; every other existing path is an input.
OUTPUT_OPTIONS = ("out", "html")


def refuse_output_among_inputs(args: argparse.Namespace) -> None:
    """An output option (`--out`, `--html`) naming one of the command's inputs (after links), or both
    naming one file, is refused before anything is opened.

    Every path-valued argument that exists is an input; commands that expand folders into files
    (predict, preannotate) check the expanded list again.
    """
    outputs = {name: getattr(args, name) for name in OUTPUT_OPTIONS if getattr(args, name, None) is not None}
    values = [v for name, v in vars(args).items() if name not in outputs for v in (v if isinstance(v, list) else [v])]
    inputs = [v for v in values if isinstance(v, (str, Path)) and str(v) and os.path.lexists(v)]
    for name, out in outputs.items():
        refuse_overwriting_inputs(out, inputs, f"--{name}")
    if len({Path(out).resolve() for out in outputs.values()}) < len(outputs):
        raise UserError(f"{' and '.join(f'--{name}' for name in outputs)} name the same file; give each its own")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    terminate_like_ctrl_c()  # every command: SIGTERM cleans up and ends in one line, as Ctrl-C does
    wanted = argv[0] if argv and argv[0] in BY_NAME else None
    if wanted in TORCH_COMMANDS and not {"--help", "-h"} & set(argv):
        from arastance.models.threads import apply_thread_policy

        try:
            apply_thread_policy()
        except Exception as err:
            return failure_status(f"arastance {wanted}", err)
    if wanted and BY_NAME[wanted].kind != "parser":
        # Their own programs parse the rest, so hydra overrides and `-m` pass through unchanged.
        return _delegate(BY_NAME[wanted], argv[1:])
    parser = build_parser(wanted)
    args = parser.parse_args(argv)
    try:
        refuse_output_among_inputs(args)
        return int(args.func(args) or 0)
    except (Exception, KeyboardInterrupt) as err:
        return failure_status(f"arastance {args.command}", err)


if __name__ == "__main__":
    sys.exit(main())
