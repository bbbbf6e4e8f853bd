"""Gradebook figures (Plotly) from plain numbers; no Streamlit calls here.

Figures are plain dict specs wrapped by :func:`quiz.ui.figures.as_figure` (the tests validate
them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from quiz.services.gradebook import histogram_bins, number_text
from quiz.ui.figures import Spec, as_figure

BAR_COLOUR = "#1c7ed6"
MARGIN = {"l": 40, "r": 10, "t": 40, "b": 40}


def _counted(amount: str, word: str) -> str:
    """``1 point``, ``0 points``, ``2.5–5 points``."""
    return f"{amount} {word}{'' if amount == '1' else 's'}"


def totals_histogram(totals: Sequence[float], max_total: float) -> go.Figure:
    """How many students reached each total, over the whole possible range 0 … ``max_total``
    in the bins of :func:`~quiz.services.gradebook.histogram_bins`: a bar per whole score up to
    10 points, else ten equal bins.

    A bin holds its left edge, and the last one also ``max_total`` itself: a perfect score is
    counted in the last bar, not past the range. The bars are counted here (not by Plotly), so
    the spec says exactly what is drawn.
    """
    start, size = histogram_bins(max_total)
    bins = max(1, math.ceil((max_total - start) / size - 1e-9))
    counts = [0] * bins
    for total in totals:
        counts[min(bins - 1, max(0, math.floor((float(total) - start) / size + 1e-9)))] += 1
    edges = [start + i * size for i in range(bins + 1)]
    whole = start < 0  # a bar per whole score, centred on it
    ranges = [
        number_text(low + size / 2) if whole else f"{number_text(low)}–{number_text(low + size)}"
        for low in edges[:-1]
    ]
    bar = {
        "type": "bar",
        "x": [low + size / 2 for low in edges[:-1]],
        "y": counts,
        "width": 0.95 * size,
        "marker": {"color": BAR_COLOUR},
        "hovertext": [
            f"{_counted(points, 'point')}: {_counted(str(count), 'student')}"
            for points, count in zip(ranges, counts, strict=True)
        ],
        "hovertemplate": "%{hovertext}<extra></extra>",
    }
    x_axis: Spec = {"title": {"text": "points"}, "range": [edges[0], edges[-1]]}
    if whole:
        x_axis |= {"tick0": 0, "dtick": 1}
    else:
        ticks = edges[:: 2 if bins > 6 and bins % 2 == 0 else 1]  # 0 and the maximum included
        x_axis |= {"tickvals": ticks, "ticktext": [number_text(edge) for edge in ticks]}
    y_axis: Spec = {"title": {"text": "students"}, "rangemode": "tozero"}
    if max(counts) <= 10:
        y_axis["dtick"] = 1  # else Plotly picks the ticks
    layout = {
        "title": {"text": f"Totals (0–{number_text(max_total)} points)"},
        "xaxis": x_axis,
        "yaxis": y_axis,
        "height": 300,
        "margin": MARGIN | {"r": 30},  # room for the last tick's label, max_total
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
        "margin": MARGIN,
    }
    return as_figure({"data": [bar], "layout": layout})


# --- the charts' numbers in words (their text alternatives) -----------------------------------


def totals_summary(totals: Sequence[float], max_total: float) -> str:
    """``3 students: lowest 2, median 5, highest 7 of 10 points.`` (no one: says so)."""
    if not totals:
        return "No student has a total yet."
    ordered = sorted(float(total) for total in totals)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return (
        f"{_counted(str(len(ordered)), 'student')}: lowest {number_text(ordered[0])}, median "
        f"{number_text(median)}, highest {number_text(ordered[-1])} of "
        f"{_counted(number_text(max_total), 'point')}."
    )


def item_means_summary(labels: Sequence[str], means: Sequence[float | None]) -> str:
    """``Mean score: P1 50%; P2 no answers yet.``"""
    parts = [
        f"{label} {'no answers yet' if mean is None else f'{100 * float(mean):.0f}%'}"
        for label, mean in zip(labels, means, strict=True)
    ]
    return "Mean score: " + "; ".join(parts) + "." if parts else "No problems."
