"""Checkpoint evaluation entry point: re-score a finished run from its saved models and write a report.

    python -m arastance.evaluate run_dir=outputs/ner/tiny/2025-...          (make evaluate RUN=...)
    python -m arastance.evaluate run_dir=DIR eval.bootstrap.n=2000 report_dir=DIR/report-2000
    python -m arastance.evaluate run_dir=SWEEP     (a multirun of seeds: its first run, with the seeds' spread)

Every fold's `best/` model predicts that fold's held-out documents again (no training state is
loaded); the scores are compared with the training-time metrics.json and must be equal. The report
(metrics.json, report.md, errors.md, figures) goes to `report_dir` (default: <run_dir>/report), along
with the fresh predictions. Expected failures print one message and exit with status 1.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from arastance.errors import entry_status, exit_on_failure
from arastance.paths import CONFIGS_DIR, config_groups_help
from arastance.settings import EvaluateSettings, checked
from arastance.writer import write_jsonl


def pooled_differences(task: str, report_block: dict[str, Any], run_metrics: dict[str, Any] | None) -> list[str]:
    """The report's pooled scores against the run's pooled metrics.json (CV runs only). The report's
    block is a superset of training's, so every key training wrote is compared."""
    from arastance.evaluation.checkpoint_eval import differences

    stored = (run_metrics or {}).get(task)
    if stored is None or "folds" not in stored:  # a fixed split has no pooled block
        return []
    return differences({k: report_block.get(k) for k in stored}, dict(stored))


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Re-predict every fold of cfg.run_dir, check against training, write the report; returns its metrics."""
    from arastance.evaluation.aggregate import sweep_seed_block
    from arastance.runs.reader import read_run_config
    from arastance.runs.state import RUN_OR_SWEEP, require, run_paths

    # Every key and value checked before any work (an unknown `+key`, a confidence of 95, an empty run_dir).
    config = checked(EvaluateSettings, cfg)
    # Then asked of runs/ what run_dir is: a fold, an interrupted run, a published folder … are refused
    # as every command refuses them. A sweep folder of seeds: its first run is re-scored, the seeds'
    # spread comes from their metrics.json.
    seed_paths = run_paths(require(config.run_dir, "run_dir=", RUN_OR_SWEEP))
    run_dir = seed_paths[0]
    read_run_config(run_dir)

    from arastance.evaluation.checkpoint_eval import evaluate_checkpoints
    from arastance.evaluation.report import ReportSettings, analyse, headline_line, write_report
    from arastance.evaluation.test_sets import corpus_test_lines
    from arastance.models.loading import quiet_libraries

    quiet_libraries()
    result = evaluate_checkpoints(run_dir, progress=config.progress)
    run = result.run
    settings = ReportSettings.from_cfg(config.eval)
    analysis = analyse(run, settings)
    seeds = sweep_seed_block(seed_paths, run.task)
    if seeds is not None:
        analysis.metrics["seeds"] = seeds
    summary = result.summary()
    summary["pooled_differences"] = pooled_differences(run.task, analysis.metrics, run.metrics)
    summary["matches_training"] = summary["matches_training"] and not summary["pooled_differences"]

    extra: dict[str, Any] = {"checkpoint_eval": summary}
    test_sets = corpus_test_sets(config.eval_records, run, settings.bootstrap)
    if test_sets:
        extra["test_sets"] = test_sets
    report_dir = config.report_dir
    title = config.title or f"{run.task} run {run_dir.name}"
    metrics = write_report(report_dir, [analysis], run.docs, run.schema, settings, title, extra)
    predictions_dir = report_dir / "predictions"
    for fold in result.folds:
        write_jsonl(predictions_dir / f"{fold.name}.jsonl", fold.records)

    print(
        f"{headline_line(run.task, metrics[run.task])} ({int(settings.bootstrap.confidence * 100)}% CI, "
        f"{len(run.folds)} fold(s))"
    )
    if summary["matches_training"]:
        print("scores equal the training-time metrics.json")
    else:
        shown = [d for f in summary["folds"] for d in f["differences"]] + summary["pooled_differences"]
        print(
            f"WARNING: scores differ from the training-time metrics.json ({len(shown)} differences), e.g.:",
            file=sys.stderr,
        )
        for line in shown[:10]:
            print(f"  {line}", file=sys.stderr)
    for line in corpus_test_lines(metrics.get("test_sets") or {}):
        print(line)
    print(f"report: {report_dir / 'report.md'}")
    return metrics


def corpus_test_sets(files: Sequence[str] | None, run: Any, bootstrap: Any) -> dict[str, Any]:
    """The run's data.eval_records, or the files given as `eval_records=[…]`, scored with its saved models."""
    from arastance.evaluation.test_sets import load_corpus_test_sets, score_run_test_sets
    from arastance.models.device import choose_runtime
    from arastance.runs.layout import RunDir

    chosen = list(run.settings.data.eval_records) if files is None else list(files)
    test_sets = load_corpus_test_sets(chosen, run.task, run.schema)
    if not test_sets:
        return {}
    runtime = choose_runtime(run.settings.trainer.precision)  # as training scored them
    return score_run_test_sets(RunDir(run.path), run.settings, run.schema, test_sets, runtime, bootstrap)


# --help lists only the config groups evaluate reads (configs/evaluate.yaml's hydra.help.template).
OmegaConf.register_new_resolver("arastance.config_groups", config_groups_help, replace=True)


@hydra.main(version_base="1.3", config_path=str(CONFIGS_DIR), config_name="evaluate")
def main(cfg: DictConfig) -> None:
    with exit_on_failure("arastance evaluate"):
        evaluate(cfg)


if __name__ == "__main__":
    # `python -m arastance.evaluate` (also under accelerate launch / torchrun) exits with the statuses of the
    # console script: hydra's own errors are usage errors (2), not hydra's 1.
    sys.exit(entry_status("arastance evaluate", main, hydra=True))
