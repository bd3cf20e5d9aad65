"""`arastance report --ner RUN --stance RUN --out DIR`: an evaluation report from finished training runs
(their held-out predictions.jsonl; `arastance evaluate` re-predicts from the checkpoints instead)."""

from __future__ import annotations

import argparse
from typing import Any

from arastance.errors import UserError
from arastance.runs.state import path_argument


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="evaluation report (metrics.json, report.md, errors.md, figures) for an NER and/or a stance run",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--ner", type=path_argument, metavar="RUN", help="an NER training run folder (run_dir=)")
    parser.add_argument("--stance", type=path_argument, metavar="RUN", help="a stance training run folder (run_dir=)")
    parser.add_argument(
        "--out", type=path_argument, required=True, metavar="DIR", help="folder to write the report into"
    )
    parser.add_argument("--title", default="evaluation", help="report title (default: evaluation)")
    parser.add_argument(
        "--bootstrap-n", type=int, default=1000, metavar="N", help="bootstrap replicates (default: 1000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level (default: 0.95)")
    parser.add_argument("--no-baselines", action="store_true", help="skip the gazetteer / majority-class baselines")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Local: the report pulls in matplotlib and the run reader (seconds); `arastance report --help` need not.
    from arastance.evaluation.report import build_report, headline_line
    from arastance.tasks import TASKS

    if args.ner is None and args.stance is None:
        raise UserError("give --ner RUN, --stance RUN, or both")
    if args.bootstrap_n < 1 or not 0 < args.confidence < 1:
        raise UserError("--bootstrap-n must be >= 1 and --confidence between 0 and 1")
    eval_cfg = {
        "bootstrap": {"n": args.bootstrap_n, "seed": args.seed, "confidence": args.confidence},
        "baselines": not args.no_baselines,
        "plots": not args.no_plots,
    }
    metrics = build_report(args.out, args.ner, args.stance, eval_cfg, args.title)
    for task in TASKS:
        if task in metrics:
            print(headline_line(task, metrics[task]))
    print(f"report: {args.out / 'report.md'}")
    return 0
