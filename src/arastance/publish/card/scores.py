"""Scores out of a metrics file, whatever shape its intervals take: per-label rows, headlines, the baseline line.

The evaluation harness's report (run_dir/report/metrics.json) is preferred because it has bootstrap
confidence intervals; `point_and_ci` reads the interval in any of the shapes listed there, so the card
does not break when the report adds fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from arastance.publish.card.facts import Headline, ScoreRow
from arastance.publish.card.text import fmt_ci
from arastance.tasks import get_task


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _pair(raw: Any) -> tuple[float, float] | None:
    """A confidence interval written as [lo, hi] or {low|lo|lower, high|hi|upper}."""
    if isinstance(raw, Mapping):
        for lo_key, hi_key in (("low", "high"), ("lo", "hi"), ("lower", "upper"), ("ci_low", "ci_high")):
            pair = _pair([raw.get(lo_key), raw.get(hi_key)])
            if pair:
                return pair
        return None
    if isinstance(raw, (list, tuple)) and len(raw) == 2:
        lo, hi = _number(raw[0]), _number(raw[1])
        if lo is not None and hi is not None:
            return lo, hi
    return None


def point_and_ci(entry: Mapping[str, Any], key: str) -> tuple[float | None, tuple[float, float] | None]:
    """The value of `key` in a metrics entry and its confidence interval, if the entry has one.

    Accepted shapes: {key: 0.8, key_ci: [lo, hi]}, {key: 0.8, key_low, key_high}, {key: 0.8,
    ci: {key: [lo, hi]}}, {key: {value|point|estimate|mean: 0.8, ci: [lo, hi] | low/high}}.
    """
    raw = entry.get(key)
    ci: tuple[float, float] | None = None
    if isinstance(raw, Mapping):
        value = next(
            (v for v in (_number(raw.get(k)) for k in ("value", "point", "estimate", "mean")) if v is not None), None
        )
        ci = _pair(raw.get("ci")) or _pair(raw)
    else:
        value = _number(raw)
    if ci is None:
        ci = _pair(entry.get(f"{key}_ci")) or _pair([entry.get(f"{key}_low"), entry.get(f"{key}_high")])
    if ci is None and isinstance(entry.get("ci"), Mapping):
        ci = _pair(entry["ci"].get(key))
    return value, ci


def dig(data: Any, path: Sequence[str]) -> Any:
    """data[path[0]][path[1]]…, or None where a key is missing."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def score_rows(
    task_scores: Mapping[str, Any], labels: Sequence[str], spread: Mapping[str, Any] | None
) -> list[ScoreRow]:
    """One row per schema label (in schema order), with fold mean ± std when the run has them."""
    per_label = task_scores.get("per_label") or {}
    fold_table = (spread or {}).get("per_label") or {}
    ci_table = dig(task_scores, ("ci", "per_label")) or {}  # the evaluation report's intervals
    rows = []
    for label in labels:
        entry = per_label.get(label) or {}
        precision, _ = point_and_ci(entry, "precision")
        recall, _ = point_and_ci(entry, "recall")
        f1, f1_ci = point_and_ci(entry, "f1")
        f1_ci = f1_ci or _pair(dig(ci_table, (label, "f1")))
        support = _number(entry.get("support"))
        folds = fold_table.get(label)
        rows.append(
            ScoreRow(
                label,
                precision,
                recall,
                f1,
                f1_ci,
                int(support) if support is not None else None,
                (float(folds["mean"]), float(folds["std"]), int(folds["n_folds"])) if folds else None,
            )
        )
    return rows


def headlines(task: str, task_scores: Mapping[str, Any]) -> list[Headline]:
    """The few numbers that summarise the task (also the model-index results of the front matter)."""
    # (where the value is, its key, name in the card, Hub metric type, where the report keeps its interval)
    wanted: list[tuple[Mapping[str, Any], str, str, str, tuple[str, ...]]]
    if get_task(task).per_word:
        micro = task_scores.get("micro") or {}
        macro = task_scores.get("macro") or {}
        wanted = [
            (micro, "f1", "micro F1 (strict IOB2 entities)", "f1", ("ci", "micro", "f1")),
            (micro, "precision", "micro precision", "precision", ("ci", "micro", "precision")),
            (micro, "recall", "micro recall", "recall", ("ci", "micro", "recall")),
            (macro, "f1", "macro F1 over entity labels", "f1", ("ci", "macro_f1")),
        ]
    else:
        document = task_scores.get("document") or {}
        wanted = [
            (task_scores, "macro_f1", "sentence macro F1", "f1", ("ci", "macro_f1")),
            (
                task_scores,
                "stance_eval_f1",
                "StanceEval F1 (mean of PRO_STAY and PRO_WITHDRAWAL F1)",
                "f1",
                ("ci", "stance_eval_f1"),
            ),
            (task_scores, "accuracy", "sentence accuracy", "accuracy", ("ci", "accuracy")),
            (
                document,
                "accuracy",
                f"document-stance accuracy (n={document.get('n', '?')})",
                "accuracy",
                ("ci", "document_accuracy"),
            ),
        ]
    out = []
    for entry, key, name, metric_type, ci_path in wanted:
        value, ci = point_and_ci(entry, key)
        if value is not None:
            out.append(Headline(name, metric_type, value, ci or _pair(dig(task_scores, ci_path))))
    return out


BASELINES = {
    "ner": ("gazetteer", "micro_f1", "micro F1", "a gazetteer of the training documents' entity strings"),
    "stance": ("majority", "macro_f1", "macro F1", "the majority class of the training sentences"),
}


def baseline_line(task: str, task_scores: Mapping[str, Any]) -> str | None:
    """The report's baseline and the paired bootstrap difference, in one sentence (None without a report)."""
    name, key, metric, description = BASELINES[task]
    baseline = dig(task_scores, ("baselines", name))
    if not isinstance(baseline, Mapping) or _number(baseline.get(key)) is None:
        return None
    line = f"Baseline ({description}): {metric} {baseline[key]:.3f}."
    diff = baseline.get("model_minus_baseline") or {}
    if _number(diff.get("difference")) is not None:
        line += f" Model minus baseline: {diff['difference']:+.3f} {fmt_ci(_pair(diff))}"
        share = _number(diff.get("share_replicates_model_better"))
        line += f", the model ahead in {share:.0%} of bootstrap replicates." if share is not None else "."
    return line


def total_support(rows: Sequence[ScoreRow]) -> int:
    return sum(r.support or 0 for r in rows)
