"""`arastance aggregate DIR… --out OUT`: mean ± sd over runs (seeds), from sweep or run folders.

Writes OUT/aggregate.json ({"runs", "differing", "groups", and "metrics" when the runs form one
group}), OUT/aggregate.md (a table per group) and a strip plot of the per-run scores per group.
"""

from __future__ import annotations

import argparse
from typing import Any

from arastance.runs.state import path_argument


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "aggregate",
        help="mean ± sd of the scores over several runs (seeds); runs that differ in more are grouped",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "folders",
        type=path_argument,
        nargs="+",
        metavar="DIR",
        help="sweep folders (hydra.sweep.dir) or run folders (run_dir)",
    )
    parser.add_argument(
        "--out",
        type=path_argument,
        required=True,
        metavar="OUT",
        help="folder to write aggregate.json, aggregate.md and the plots into",
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from arastance.evaluation.aggregate import aggregate, find_runs, read_run_scores
    from arastance.evaluation.aggregate_output import write_aggregate

    summary = aggregate([read_run_scores(path) for path in find_runs(args.folders)])
    written = write_aggregate(args.out, summary, plots=not args.no_plots)
    for index, group in enumerate(summary["groups"], start=1):
        headlines = {k: v for k, v in group["metrics"].items() if k.count(".") == 1}
        shown = ", ".join(
            f"{k} {v['mean']:.4f} ± {v['sd']:.4f}" if v["sd"] is not None else f"{k} {v['mean']:.4f}"
            for k, v in headlines.items()
        )
        print(f"group {index} ({len(group['runs'])} run(s)): {shown}")
    print(f"aggregate: {written['md']}")
    return 0
