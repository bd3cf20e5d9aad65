"""`make demo`: the whole pipeline offline on the tiny model, about 30 s on 2 CPU cores.

validate the gold → NER with leave-one-document-out CV → stance with CV → report in reports/demo/,
also copied into each run's report/ folder, where `arastance publish` (`make publish RUN=outputs/demo/ner`)
finds it and puts its confidence intervals on the model card.
The scores of a random-init tiny model trained on four documents are near the floor; the demo shows
that every stage works and what the outputs look like, not what AraBERT reaches.

    arastance demo [--out reports/demo] [--runs outputs/demo] [hydra overrides ...]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from arastance.errors import UserError, exit_on_failure

if TYPE_CHECKING:
    from omegaconf import DictConfig


def _compose(experiment: str, run_dir: Path, overrides: list[str]) -> DictConfig:
    from hydra import compose, initialize_config_dir

    configs = Path(__file__).resolve().parents[2] / "configs"
    if not configs.is_dir():
        raise UserError(f"configs/ not found next to the package ({configs}); run the demo from a checkout")
    with initialize_config_dir(config_dir=str(configs), version_base="1.3"):
        return compose(config_name="train", overrides=[f"experiment={experiment}", f"run_dir={run_dir}", *overrides])


def validate_gold() -> int:
    from arastance.gold.validate import validate_path
    from arastance.paths import documents_dir, gold_dir
    from arastance.schema import load_schema

    report = validate_path(gold_dir(), load_schema(), documents_dir())
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if report.problems:
        raise UserError(f"{len(report.problems)} problem(s) in the gold; fix them first (`make validate`)")
    return len(report.documents)


def copy_report(report: Path, run_dir: Path) -> Path:
    """The report folder into RUN/report/, where publish and evaluate look for a run's report.

    Copied to a temporary folder first, then renamed: a reader never sees half a report.
    """
    from arastance.runs.layout import RunDir
    from arastance.writer import copy_folder

    target = RunDir(run_dir).report_dir
    try:
        copy_folder(report, target)
    except OSError as err:
        raise UserError(f"cannot copy the report {report} into {target}: {err.strerror or err}") from None
    return target


def run(out: Path, runs: Path, overrides: list[str]) -> dict[str, float]:
    from arastance.train import train

    started = time.perf_counter()
    print(f"[demo] gold: {validate_gold()} documents valid")
    timings = {}
    configs = {}
    for task in ("ner", "stance"):
        t0 = time.perf_counter()
        print(f"[demo] {task}: leave-one-document-out cross-validation on the tiny model …", flush=True)
        shutil.rmtree(runs / task, ignore_errors=True)  # the demo owns its run folders
        configs[task] = _compose(f"demo_{task}", runs / task, overrides)
        train(configs[task])
        timings[task] = time.perf_counter() - t0
    from arastance.evaluation.report import build_report

    eval_cfg = configs["ner"].eval
    metrics = build_report(
        out, runs / "ner", runs / "stance", eval_cfg, title="Demo: tiny model, 5-fold leave-one-document-out CV"
    )
    for task in ("ner", "stance"):
        copy_report(out, runs / task)
    timings["total"] = time.perf_counter() - started
    ner, stance = metrics["ner"], metrics["stance"]
    print(
        f"[demo] NER micro-F1 {ner['micro']['f1']:.3f} · stance macro-F1 {stance['macro_f1']:.3f} "
        f"· {timings['total']:.0f} s · report: {out / 'report.md'}"
    )
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="arastance demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path("reports/demo"), help="folder for the report (default: %(default)s)"
    )
    parser.add_argument(
        "--runs",
        type=Path,
        default=Path("outputs/demo"),
        help="folder for the two training runs, ner/ and stance/, replaced on each demo (default: %(default)s)",
    )
    parser.add_argument("overrides", nargs="*", help="hydra overrides applied to both runs (e.g. trainer.num_epochs=2)")
    args = parser.parse_args(argv)
    from arastance.models.loading import quiet_libraries

    with exit_on_failure("arastance demo"):
        quiet_libraries()
        run(args.out, args.runs, args.overrides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
