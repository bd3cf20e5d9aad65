"""What a finished training run says at the end: where it is, how it stopped, how well it scores, and
the next command. Pure: built from the metrics the run wrote."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arastance.models.threads import threads_line
from arastance.phases import time_line


def stop_reason(final: Mapping[str, Any], max_steps: int) -> str:
    if final.get("stopped_early"):
        return f"early stopping at step {final.get('step')} (best dev at step {final.get('best_step')})"
    if max_steps > 0:
        return f"trainer.max_steps={max_steps} reached"
    return f"trainer.num_epochs done ({int(final.get('epoch', 0)) + 1} epochs, {final.get('step')} steps)"


def _score(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "n/a"


def run_summary(
    run_dir: Path,
    metrics: Mapping[str, Any],
    split_finals: Sequence[tuple[str, Mapping[str, Any]]],
    task: str,
    metric: str,
    max_steps: int,
    latest: Path | None,
    test_set_lines: Sequence[str] = (),
) -> str:
    """A few lines: run folder, steps and stop reason per split, best dev and held-out scores, a corpus's
    test set scores (`test_set_lines`, apart from the gold's), next steps."""
    lines = [f"training done: {run_dir}"]
    for name, final in split_finals:
        dev = f", best dev {metric} {_score(final.get('best_dev'))}" if final.get("dev_metric") else ", no dev set"
        lines.append(f"  {name}: {final.get('step')} steps, {stop_reason(final, max_steps)}{dev}")
    pooled = " (pooled over the folds' held-out documents)" if len(split_finals) > 1 else " (held-out documents)"
    if metrics.get("split", {}).get("test") == []:
        lines.append("  no gold documents held out (trained on a corpus's own labels: data.labels)")
    else:
        lines.append(f"  held-out {metric}: {_score(metrics.get(task, {}).get(metric))}{pooled}")
    lines += [f"  {line}" for line in test_set_lines]
    if "time" in metrics:
        lines.append(f"  {time_line(metrics['time'])}")
    if threads := threads_line(metrics.get("threads") or {}):
        lines.append(f"  {threads}")
    if latest is not None:
        lines.append(f"  {latest} -> {run_dir.name}")
    lines.append(f"next: arastance evaluate run_dir={run_dir}   (report with confidence intervals, plots, errors)")
    lines.append(
        f"      arastance publish {run_dir} --out DIR   (a folder plain transformers loads, with a model card)"
    )
    return "\n".join(lines)
