"""Writing an aggregate: OUT/aggregate.json, OUT/aggregate.md and one strip plot per group.

The plot shows every run's score (one dot per run, coloured by seed) per metric with the group's
mean ± sd, so a reader sees the seeds' spread, not only its summary.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from arastance.evaluation.plots import display_text, font_family
from arastance.writer import save_figure, write_json, write_text

AGGREGATE_JSON = "aggregate.json"
AGGREGATE_MD = "aggregate.md"


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def group_title(index: int, overrides: Mapping[str, Any]) -> str:
    """ "group 2: trainer.learning_rate=0.001" (or "all runs" when nothing but the seed differs)."""
    if not overrides:
        return "all runs (they differ in seed only)"
    return f"group {index}: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in overrides.items())


def figure_name(index: int) -> str:
    return f"aggregate-{index}.png"


def plot_group(path: Path, title: str, metrics: Mapping[str, Mapping[str, Any]], seeds: Sequence[int | None]) -> Path:
    """A strip plot: one column per metric, one dot per run (jittered, coloured by seed), mean ± sd."""
    import matplotlib
    from matplotlib.figure import Figure

    names = list(metrics)
    with matplotlib.rc_context(
        {"font.family": list(font_family()), "axes.spines.top": False, "axes.spines.right": False}
    ):
        fig = Figure(figsize=(max(5.0, 0.75 * len(names) + 2.0), 4.2), layout="constrained")
        ax = fig.add_subplot()
        offsets = np.linspace(-0.15, 0.15, len(seeds)) if len(seeds) > 1 else np.zeros(1)
        colours = matplotlib.colormaps["tab10"]
        for run, (seed, dx) in enumerate(zip(seeds, offsets, strict=True)):
            xs = [i + dx for i, name in enumerate(names) if run < len(metrics[name]["values"])]
            ys = [metrics[name]["values"][run] for name in names if run < len(metrics[name]["values"])]
            ax.scatter(
                xs,
                ys,
                s=22,
                color=colours(run % 10),
                zorder=3,
                label=f"seed {seed}" if seed is not None else f"run {run}",
            )
        means = [metrics[n]["mean"] for n in names]
        sds = [metrics[n]["sd"] or 0.0 for n in names]
        ax.errorbar(
            range(len(names)),
            means,
            yerr=sds,
            fmt="_",
            markersize=16,
            color="black",
            capsize=4,
            linewidth=1,
            label="mean ± sd",
        )
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("score (held-out, pooled over folds)")
        # Overrides make long titles: wrapped to the figure's width so that all of it stays inside.
        ax.set_title(textwrap.fill(display_text(title), int(fig.get_figwidth() * 11)), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        fig.legend(fontsize=8, loc="outside lower center", ncols=min(6, len(seeds) + 1), frameon=False)
        save_figure(fig, path, dpi=120)
    return path


def render_md(summary: Mapping[str, Any], figures: Sequence[str | None]) -> str:
    lines = ["# Aggregate over runs", "", f"{len(summary['runs'])} run(s):", ""]
    lines += [f"- `{run}`" for run in summary["runs"]]
    lines += [
        "",
        "Each run's scores are its own metrics.json (held-out documents, pooled over folds). "
        "**seed sd** is the sample standard deviation over the group's runs; **fold sd** is the "
        "standard deviation over folds that each run recorded, averaged over the runs: the first "
        "says how much a score moves with the seed, the second how much it moves from document to document.",
    ]
    if summary["differing"]:
        lines += [
            "",
            "The runs differ in "
            + ", ".join(f"`{k}`" for k in summary["differing"])
            + " besides the seed; each group is summarised on its own.",
        ]
    for index, (group, figure) in enumerate(zip(summary["groups"], figures, strict=True), start=1):
        seeds = ", ".join(str(s) for s in group["seeds"])
        lines += [
            "",
            f"## {group_title(index, group['overrides'])}",
            "",
            f"{len(group['runs'])} run(s), seeds {seeds}.",
            "",
        ]
        lines += [
            "| metric | n | mean | seed sd | fold sd | min | max | per run |",
            "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | :--- |",
        ]
        for name, m in group["metrics"].items():
            per_run = ", ".join(_f(v) for v in m["values"])
            lines.append(
                f"| {name} | {m['n']} | {_f(m['mean'])} | {_f(m['sd'])} | {_f(m['fold_sd'])} | {_f(m['min'])} | "
                f"{_f(m['max'])} | {per_run} |"
            )
        if figure:
            lines += ["", f"![per-run scores, {group_title(index, group['overrides'])}]({figure})"]
    return "\n".join(lines) + "\n"


def write_aggregate(out_dir: Path, summary: Mapping[str, Any], plots: bool = True) -> dict[str, Path]:
    """aggregate.json, aggregate.md and the figures in out_dir (each file replaced atomically)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figures: list[str | None] = []
    for index, group in enumerate(summary["groups"], start=1):
        if plots:
            plot_group(
                out_dir / figure_name(index),
                f"Per-run scores — {group_title(index, group['overrides'])}",
                group["metrics"],
                group["seeds"],
            )
        figures.append(figure_name(index) if plots else None)
    write_json(out_dir / AGGREGATE_JSON, summary)
    write_text(out_dir / AGGREGATE_MD, render_md(summary, figures))
    return {"json": out_dir / AGGREGATE_JSON, "md": out_dir / AGGREGATE_MD}
