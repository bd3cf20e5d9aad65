"""The benchmark's command line: `python -m arastance.bench --mode quick|full`, also run as `arastance bench`.
`--worker SPEC` (hidden) runs one side; bench.run starts it in a subprocess."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from arastance.bench.inputs import PLANS, ROOT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mode",
        choices=[*sorted(PLANS), "gpu"],
        default="full",
        help="quick or full: the CPU plans of bench/inputs.py (default: %(default)s); "
        "gpu: the training sides on one CUDA device",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --mode gpu: the same code on the CPU, tiny shapes, in seconds"
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="CPU threads of every side, the same for all (default: %(default)s)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "reports" / "bench",
        help="folder for bench.json and bench.md (default: reports/bench of the repository)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    import torch

    from arastance.bench.report import markdown_table
    from arastance.bench.run import WORKERS, run_bench
    from arastance.models.threads import hold_threads

    hold_threads()  # the bench's sides compare at one fixed count
    torch.set_num_threads(args.threads)
    if args.worker or args.dry_run:
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(WORKERS[spec["side"]](spec)))
        return 0
    if args.mode == "gpu":
        from arastance.bench.gpu import run_gpu_bench
        from arastance.bench.gpu_report import gpu_markdown

        print(gpu_markdown(run_gpu_bench(args.dry_run, args.threads, args.out)))
        return 0
    result = run_bench(args.mode, args.threads, args.out)
    print(markdown_table(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    from arastance import bench

    parser = argparse.ArgumentParser(prog="arastance bench", description=bench.__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
