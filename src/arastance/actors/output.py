"""actors.csv, actors.md and actors.png of an ActorSummary."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arastance.actors.summary import COLUMNS, ActorRow, ActorSummary
from arastance.writer import write_text


def csv_text(summary: ActorSummary, stance_columns: Mapping[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in summary.rows:
        writer.writerow(row.csv_row(stance_columns))
    return buffer.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(summary: ActorSummary, stance_columns: Mapping[str, str], title: str, figure: str | None) -> str:
    columns = list(stance_columns)
    authorial = ", ".join(f"{summary.authorial[c]} {c}" for c in columns)
    lines = [
        f"# Who says what — {title}",
        "",
        f"{summary.documents} document(s). One row per actor (surface forms merged through "
        "configs/actors/aliases.yaml); `mentions` counts its entity mentions and the holder spans that are not "
        "entities, the stance columns the sentences it holds, `documents` where it appears. The articles' own voice "
        f"(no holder): {authorial}.",
        "",
    ]
    if figure:
        lines += [f"![stance sentences per actor]({figure})", ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("| :--- | :--- | " + " | ".join("---:" for _ in COLUMNS[2:]) + " |")
    for row in summary.rows:
        values = row.csv_row(stance_columns)
        lines.append("| " + " | ".join(_cell(str(values[c])) for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def held_rows(rows: Sequence[ActorRow], stance_columns: Mapping[str, str]) -> list[ActorRow]:
    return [r for r in rows if any(r.held[c] for c in stance_columns)]


def actor_figure(rows: Sequence[ActorRow], left: str, right: str, title: str) -> Any:
    """Diverging bars: sentences held for `left` (drawn leftwards) and `right` per actor, Arabic shaped."""
    import numpy as np

    from arastance.evaluation import plots

    rows = list(rows)[::-1]  # barh draws bottom-up; the most active actor on top
    with plots._rc():
        fig = plots._figure(8.0, max(2.2, 0.38 * len(rows) + 1.4))
        ax = fig.add_subplot()
        y = np.arange(len(rows))
        lefts = np.array([r.held[left] for r in rows])
        rights = np.array([r.held[right] for r in rows])
        ax.barh(y, -lefts, color=plots._BASELINE, label=left)
        ax.barh(y, rights, color=plots._MODEL, label=right)
        for yi, lv, rv in zip(y, lefts, rights, strict=True):
            if lv:
                ax.text(-lv, yi, f"{lv} ", ha="right", va="center", fontsize=8)
            if rv:
                ax.text(rv, yi, f" {rv}", ha="left", va="center", fontsize=8)
        ax.set_yticks(y, [plots.display_text(r.actor) for r in rows], fontsize=9)
        bound = max(1, int(max([*lefts, *rights], default=1))) + 1
        ax.set_xlim(-bound, bound)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(f"sentences held   ← {left} | {right} →")
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{abs(int(v))}")
        ax.set_title(plots.display_text(title), fontsize=10, wrap=True)
        ax.grid(axis="x", alpha=0.3)
        if rows:
            fig.legend(fontsize=8, loc="outside lower center", ncols=2, frameon=False)
        else:
            ax.text(0.5, 0.5, "no actor holds a stance", ha="center", va="center", transform=ax.transAxes)
    return fig


def figure_sides(stance_columns: Mapping[str, str]) -> tuple[str, str]:
    """(left, right) stance classes of the diverging figure."""
    classes = list(stance_columns)
    return (classes[1], classes[0]) if len(classes) >= 2 else (classes[0], classes[0])


def summary_figure(summary: ActorSummary, stance_columns: Mapping[str, str], title: str) -> Any:
    left, right = figure_sides(stance_columns)
    return actor_figure(held_rows(summary.rows, stance_columns), left, right, f"Who holds which stance — {title}")


def write_outputs(
    out_dir: Path, summary: ActorSummary, stance_columns: Mapping[str, str], title: str
) -> dict[str, Path]:
    from arastance.evaluation import plots

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "actors.csv", "md": out_dir / "actors.md", "png": out_dir / "actors.png"}
    plots._save(summary_figure(summary, stance_columns, title), paths["png"])
    write_text(paths["csv"], csv_text(summary, stance_columns))
    write_text(paths["md"], markdown(summary, stance_columns, title, paths["png"].name))
    return paths
