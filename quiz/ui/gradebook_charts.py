"""Gradebook figures (Plotly) from plain numbers; no Streamlit calls here.

Figures are plain dict specs wrapped by :func:`quiz.ui.figures.as_figure` (the tests validate
them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from quiz.ui.figures import Spec, as_figure

BAR_COLOUR = "#1c7ed6"


def totals_histogram(totals: Sequence[float], max_total: float) -> go.Figure:
    """How many students reached each total, in up to 10 equal bins from 0 to ``max_total``.

    Bin ``i`` covers ``[i·w, (i+1)·w)`` with ``w = max_total / bins``; the last bin includes
    ``max_total`` itself. Every bar's label is unique (``"0–2"``, ``"2–4"``, …).
    """
    bins = max(1, min(10, int(np.ceil(max_total)) if max_total > 0 else 1))
    width = max_total / bins if max_total > 0 else 1.0
    counts = [0] * bins
    for total in totals:
        counts[min(int(total // width), bins - 1)] += 1
    labels = [f"{_fmt(i * width)}–{_fmt((i + 1) * width)}" for i in range(bins)]
    bar = {
        "type": "bar",
        "x": labels,
        "y": counts,
        "marker": {"color": BAR_COLOUR},
        "hovertemplate": "%{x} points: %{y} students<extra></extra>",
    }
    y_axis: Spec = {"title": {"text": "students"}}
    if max(counts, default=0) <= 10:
        y_axis["dtick"] = 1  # else Plotly picks the ticks
    layout = {
        "title": {"text": "Totals"},
        "xaxis": {"title": {"text": "points"}},
        "yaxis": y_axis,
        "height": 300,
        "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
    }
    return as_figure({"data": [bar], "layout": layout})


def item_means_chart(labels: Sequence[str], means: Sequence[float | None]) -> go.Figure:
    """Mean score per item as a percentage of its points (``None``: nobody to average)."""
    bar = {
        "type": "bar",
        "x": list(labels),
        "y": [None if m is None else 100 * float(m) for m in means],
        "marker": {"color": BAR_COLOUR},
        "hovertemplate": "%{x}: %{y:.0f}%<extra></extra>",
    }
    layout = {
        "title": {"text": "Mean score per problem"},
        "yaxis": {"range": [0, 100], "ticksuffix": "%"},
        "height": 300,
        "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
    }
    return as_figure({"data": [bar], "layout": layout})


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
