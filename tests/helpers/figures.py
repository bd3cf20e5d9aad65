"""Measuring a matplotlib figure: every text it draws must lie inside the figure (no clipped title)."""

from __future__ import annotations

from typing import Any

TOLERANCE_PX = 1.0  # anti-aliasing: a glyph's box may touch the edge


def drawn_texts(fig: Any, renderer: Any) -> list[Any]:
    """Every visible, non-empty Text of the figure that is drawn (tick labels outside the view are not)."""
    from matplotlib.text import Text

    undrawn: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = (high - low) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not (low - span <= tick.get_loc() <= high + span):
                    undrawn |= {id(tick.label1), id(tick.label2)}
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible()
        and t.get_text().strip()
        and id(t) not in undrawn
        and (t.axes is None or t.axes.get_visible())
    ]


def texts_outside(fig: Any) -> list[str]:
    """'text' (its box) for each drawn text whose window extent leaves the figure's box; [] when all fit."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    outside = []
    for text in drawn_texts(fig, renderer):
        box = text.get_window_extent(renderer)
        if (
            box.x0 < page.x0 - TOLERANCE_PX
            or box.y0 < page.y0 - TOLERANCE_PX
            or box.x1 > page.x1 + TOLERANCE_PX
            or box.y1 > page.y1 + TOLERANCE_PX
        ):
            outside.append(
                f"{text.get_text()!r} {tuple(round(v) for v in box.extents)} outside "
                f"{tuple(round(v) for v in page.extents)}"
            )
    return outside
