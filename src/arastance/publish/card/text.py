"""Formatting shared by the card's sections: scores, intervals, document ids, table cells, shell words."""

from __future__ import annotations

import shlex
from collections.abc import Sequence


def fmt_score(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def fmt_ci(ci: tuple[float, float] | None) -> str:
    return "–" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def doc_ids(ids: Sequence[str] | None) -> str:
    return ", ".join(f"`{i}`" for i in ids) if ids else "none"


def table_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def shell_quote(arg: str) -> str:
    return shlex.quote(arg)
