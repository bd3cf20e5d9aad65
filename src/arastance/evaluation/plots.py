"""Report figures (PNG, matplotlib's Agg renderer, no pyplot global state).

Arabic needs *shaping* (contextual letter forms) and *bidi reordering* (right-to-left runs) before
glyphs are drawn. Matplotlib >= 3.11 does both itself through libraqm (`ft2font.__libraqm_version__`);
older versions draw code points left to right in isolated forms, so there `display_text` shapes with
arabic-reshaper and reorders with python-bidi. Doing it on a libraqm build would reverse the text a
second time and break the joins (checked by rendering both), hence the switch. Fonts are a preference
list with per-glyph fallback: DejaVu Sans (bundled with matplotlib, so always present) has Arabic
glyphs; Noto fonts are used if installed. Nothing here requires a system font.

Titles are drawn with `wrap=True`: matplotlib breaks them at the figure's width when it draws, so a
long run title (the demo's, a dated run's) never leaves the figure (tests/test_figures_fit.py measures
every drawn text against the figure box).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_PREFERRED_FONTS = ("DejaVu Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Noto Sans", "Arial Unicode MS")
_MODEL, _BASELINE = "#2f6db5", "#d9822b"


@lru_cache(maxsize=1)
def native_text_layout() -> bool:
    """True when matplotlib shapes and reorders complex scripts itself (libraqm, matplotlib >= 3.11)."""
    try:
        from matplotlib import ft2font
    except ImportError:
        return False
    return bool(getattr(ft2font, "__libraqm_version__", None))


def display_text(text: str, native: bool | None = None) -> str:
    """Text as matplotlib must receive it so that Arabic comes out joined and right to left."""
    if not _ARABIC.search(text) or (native_text_layout() if native is None else native):
        return text
    try:
        import arabic_reshaper
        from bidi.algorithm import get_display
    except ImportError:  # unshaped Arabic is still better than no figure
        return text
    return str(get_display(arabic_reshaper.reshape(text)))


@lru_cache(maxsize=1)
def font_family() -> tuple[str, ...]:
    """Installed fonts from the preference list, then the generic family as the last resort."""
    try:
        from matplotlib import font_manager

        available = {f.name for f in font_manager.fontManager.ttflist}
    except Exception:
        available = set()
    return (*(name for name in _PREFERRED_FONTS if name in available), "sans-serif")


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(fig: Any, path: Path) -> Path:
    from arastance.writer import save_figure

    save_figure(fig, path, dpi=120)
    return path


def _rc() -> Any:
    """Fonts are resolved when a Text is created, so figures are built inside this context."""
    import matplotlib

    return matplotlib.rc_context(
        {"font.family": list(font_family()), "axes.spines.top": False, "axes.spines.right": False}
    )


def plot_f1_with_ci(
    path: Path,
    title: str,
    labels: Sequence[str],
    f1: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    support: Sequence[int] | None = None,
    baseline: Sequence[float] | None = None,
    baseline_name: str = "baseline",
    headline: tuple[str, float, float, float] | None = None,
    baseline_headline: float | None = None,
) -> Path:
    """Bars = F1, whiskers = bootstrap interval, diamonds = baseline F1; `headline` = (name, value,
    low, high) drawn as a separate bar at the right, set apart by a gap."""
    names = [display_text(label) for label in labels]
    if support is not None:
        names = [f"{n}\n(n={s})" for n, s in zip(names, support, strict=True)]
    values, lo, hi = np.asarray(f1, float), np.asarray(low, float), np.asarray(high, float)
    x = np.arange(len(names), dtype=float)
    if headline:
        names.append(display_text(headline[0]))
        x = np.append(x, len(x) + 0.6)
        values, lo, hi = np.append(values, headline[1]), np.append(lo, headline[2]), np.append(hi, headline[3])
    with _rc():
        fig = _figure(max(5.0, 0.9 * len(names) + 1.5), 4.0)
        ax = fig.add_subplot()
        colors = [_MODEL] * len(labels) + (["#1d3f6e"] if headline else [])
        ax.bar(x, values, width=0.6, color=colors, label="model F1")
        # Percentile intervals need not be centred on the point estimate: clip to non-negative arms.
        err = np.vstack([np.clip(values - lo, 0, None), np.clip(hi - values, 0, None)])
        ax.errorbar(x, values, yerr=err, fmt="none", ecolor="black", capsize=4, linewidth=1, label="95% CI")
        if baseline is not None:
            points = list(baseline) + ([baseline_headline] if headline and baseline_headline is not None else [])
            ax.scatter(
                x[: len(points)], points, marker="D", color=_BASELINE, zorder=3, label=display_text(baseline_name)
            )
        ax.set_xticks(x, names, fontsize=8)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("F1")
        ax.set_title(display_text(title), fontsize=10, wrap=True)
        ax.grid(axis="y", alpha=0.3)
        # Outside the axes: inside, it would cover the bars of whichever labels score near 1.
        fig.legend(fontsize=8, loc="outside lower center", ncols=3, frameon=False)
        return _save(fig, path)


def plot_confusion(path: Path, title: str, classes: Sequence[str], matrix: Sequence[Sequence[int]]) -> Path:
    """Counts in the cells; colour = share of the gold row, so a rare class's errors stay visible."""
    m = np.asarray(matrix, dtype=float)
    rows = m.sum(axis=1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    with _rc():
        fig = _figure(1.3 * len(classes) + 2.5, 1.1 * len(classes) + 1.6)
        ax = fig.add_subplot()
        image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                ax.text(
                    j, i, f"{int(m[i, j])}", ha="center", va="center", color="white" if share[i, j] > 0.55 else "black"
                )
        ticks = [display_text(c) for c in classes]
        ax.set_xticks(range(len(classes)), ticks, rotation=20, ha="right", fontsize=8)
        ax.set_yticks(
            range(len(classes)), [f"{t} ({int(r)})" for t, r in zip(ticks, rows[:, 0], strict=True)], fontsize=8
        )
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold (row total)")
        ax.set_title(display_text(title), fontsize=10, wrap=True)
        fig.colorbar(image, ax=ax, label="share of gold row", shrink=0.8)
        return _save(fig, path)


def learning_curve_series(log: Sequence[Mapping[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one train_log.jsonl key; a resumed run re-logs steps, the last value wins."""
    points = {int(r["step"]): float(r[key]) for r in log if key in r and "step" in r and r[key] is not None}
    steps = sorted(points)
    return steps, [points[s] for s in steps]


def plot_learning_curves(
    path: Path, title: str, logs: Mapping[str, Sequence[Mapping[str, Any]]], dev_metric: str
) -> Path:
    """Training loss and dev score against optimizer step, one line per fold."""
    with _rc():
        fig = _figure(10.0, 3.8)
        loss_ax, dev_ax = fig.subplots(1, 2)
        for fold, log in logs.items():
            steps, loss = learning_curve_series(log, "loss")
            line = loss_ax.plot(steps, loss, marker=".", label=fold)[0]
            steps, dev = learning_curve_series(log, "dev")
            if steps:
                dev_ax.plot(steps, dev, marker="o", markersize=3, color=line.get_color(), label=fold)
        from matplotlib.ticker import MaxNLocator

        loss_ax.set(xlabel="step", ylabel="training loss", title="loss")
        dev_ax.set(xlabel="step", ylabel=f"dev {dev_metric}", title=f"dev {dev_metric}", ylim=(0, 1.02))
        for ax in (loss_ax, dev_ax):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
        if not dev_ax.lines:
            dev_ax.text(0.5, 0.5, "no dev evaluation logged", ha="center", va="center", transform=dev_ax.transAxes)
        fig.suptitle(display_text(title), fontsize=10, wrap=True)
        return _save(fig, path)


def plot_top_errors(path: Path, title: str, rows: Sequence[tuple[str, int, int]]) -> Path:
    """Horizontal bars of the surface forms most often missed (FN) or wrongly predicted (FP).

    `rows` = (Arabic entity text, false negatives, false positives), most frequent first.
    """
    rows = list(rows)[::-1]  # barh draws bottom-up; keep the most frequent on top
    with _rc():
        fig = _figure(7.0, max(2.0, 0.32 * len(rows) + 1.2))
        ax = fig.add_subplot()
        y = np.arange(len(rows))
        fn = np.array([r[1] for r in rows])
        fp = np.array([r[2] for r in rows])
        ax.barh(y, fn, color=_MODEL, label="missed (FN)")
        ax.barh(y, fp, left=fn, color=_BASELINE, label="spurious (FP)")
        ax.set_yticks(y, [display_text(r[0]) for r in rows], fontsize=9)
        ax.set_xlabel("errors")
        ax.set_title(display_text(title), fontsize=10, wrap=True)
        ax.grid(axis="x", alpha=0.3)
        if rows:
            ax.legend(fontsize=8, loc="lower right")
        else:
            ax.text(0.5, 0.5, "no errors", ha="center", va="center", transform=ax.transAxes)
        return _save(fig, path)
