"""Plotly figures of a worked solution's bars and values pictures; no Streamlit here.

:func:`bars_figure` draws a :class:`~quiz.exercises.pictures.BarsPicture` as horizontal bars
(the labels are long: layer names, shapes, formulas), :func:`values_figure` a
:class:`~quiz.exercises.pictures.ValuesPicture` as one grid of small heatmaps. Both are plain
dict specs wrapped by :func:`quiz.ui.figures.as_figure` (``tests/unit/test_solution_charts.py``
validates them). Every number is written as plain text — ``1,179,648``, ``4.5 MiB``, ``3/16`` —
never LaTeX, which Plotly does not render. :func:`bars_summary` and :func:`values_summary` are
the charts' text alternatives.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import plotly.graph_objects as go

from quiz.exercises.latex import plain_number
from quiz.exercises.pictures import Bar, BarsPicture, Panel, ValuesPicture, count_text, size_text
from quiz.ui.figures import Spec, as_figure, named_colorscale

SERIES_COLOURS = ("#1c7ed6", "#f08c00", "#2f9e44", "#ae3ec9")
HIGHLIGHT = "#e8590c"  # as the window pictures' outlines (quiz.ui.charts)
BAR_PX = 30  # height of one bar
CHART_WIDTH = 620  # fits the centered page's column, inside a bordered container
CELL_PX = 46
_BINARY = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024), ("bytes", 1))


def value_text(value: float, unit: str) -> str:
    """A bar's number as written on it: a count with separators, or bytes in KiB/MiB/GiB (the
    exact number of bytes when it is below 1 KiB)."""
    return size_text(value) if unit == "bytes" else count_text(value)


def _escape(text: str) -> str:
    """Text for Plotly's pseudo-HTML labels: ``<`` ``>`` ``&`` as entities."""
    return html.escape(text, quote=False)


def _shape_text(shape: Sequence[int]) -> str:
    return "×".join(str(d) for d in shape)


def _tick(bar: Bar) -> str:
    """A bar's label on the category axis: the label, then its shape and note, smaller."""
    details = " · ".join(part for part in (_shape_text(bar.shape), bar.note) if part)
    label = f"<b>{_escape(bar.label)}</b>"
    return (
        f"{label}<br><span style='font-size:11px'>{_escape(details)}</span>" if details else label
    )


def _scale(picture: BarsPicture) -> tuple[str, float]:
    """The unit the value axis counts in and its size: a binary unit for bytes, so that the
    axis reads ``MiB`` rather than millions of bytes."""
    if picture.unit != "bytes":
        return picture.axis, 1.0
    largest = max((bar.total for bar in picture.bars), default=0.0)
    return next((name, float(size)) for name, size in _BINARY if largest >= size or size == 1)


def bars_figure(picture: BarsPicture) -> go.Figure:
    """Horizontal bars, the first on top: one trace per series (side by side, or stacked), each
    bar's number written on it (or, stacked, the total at its end), the asked bars outlined.

    A log axis starts a little below the smallest value; a linear one at 0. Room is left after
    the longest bar for its number.
    """
    labels = [bar.label for bar in picture.bars]
    axis_unit, scale = _scale(picture)
    series = picture.series
    marked = _marked(picture)
    traces: list[Spec] = []
    for index, name in enumerate(series):
        members = [bar for bar in picture.bars if bar.value(name) is not None]
        values = [float(bar.value(name) or 0.0) for bar in members]
        asked = [marked and name in bar.asked for bar in members]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": [bar.label for bar in members],
                "x": [value / scale for value in values],
                "text": [
                    value_text(value, picture.unit)
                    if not picture.stacked or len(bar.parts) > 1
                    else ""
                    for bar, value in zip(members, values, strict=True)
                ],
                "textposition": "inside" if picture.stacked else "outside",
                "insidetextanchor": "middle",
                "cliponaxis": False,
                "marker": {
                    "color": SERIES_COLOURS[index % len(SERIES_COLOURS)],
                    "line": {
                        "color": [HIGHLIGHT if on else "rgba(0,0,0,0)" for on in asked],
                        "width": [3 if on else 0 for on in asked],
                    },
                },
                "hovertext": [
                    f"{bar.label}: {value_text(value, picture.unit)} ({name})"
                    for bar, value in zip(members, values, strict=True)
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    grouped = 1 if picture.stacked else max(1, len(series))
    bar_px = BAR_PX if grouped == 1 else 22  # two bars a row: thinner, and the row stays short
    legend = len(series) > 1
    layout: Spec = {
        "barmode": "stack" if picture.stacked else "group",
        "width": CHART_WIDTH,
        "height": 70 + len(labels) * (bar_px * grouped + 14) + (30 if legend else 0),
        "margin": {"l": 10, "r": 20, "t": 40 if legend else 10, "b": 45},
        "showlegend": legend,
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        "uniformtext": {"mode": "hide", "minsize": 10},
        "xaxis": _value_axis(picture, axis_unit, scale),
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": labels,
            "autorange": "reversed",
            "tickmode": "array",
            "tickvals": labels,
            "ticktext": [_tick(bar) for bar in picture.bars],
            "automargin": True,
            "showgrid": False,
        },
    }
    if picture.stacked:
        layout["annotations"] = [
            {
                "x": bar.total / scale,
                "y": bar.label,
                "text": value_text(bar.total, picture.unit),
                "xanchor": "left",
                "xshift": 4,
                "showarrow": False,
                "font": {"size": 12},
            }
            for bar in picture.bars
            if bar.parts
        ]
    return as_figure({"data": traces, "layout": layout})


def _value_axis(picture: BarsPicture, unit: str, scale: float) -> Spec:
    """The value axis: its title and a range with room for the numbers after the bars."""
    values = [value / scale for bar in picture.bars for _, value in bar.parts]
    largest = max(
        [bar.total / scale for bar in picture.bars] if picture.stacked else values, default=0.0
    )
    if picture.log_scale:
        low = math.floor(math.log10(min(values))) - 0.3
        high = math.log10(max(largest, 1e-12))
        return {
            "type": "log",
            "title": {"text": f"{unit} (log scale)"},
            "range": [low, high + 0.22 * (high - low) + 0.1],
            "dtick": 1,  # a tick per power of ten
            "tickformat": "~s",
            "showgrid": True,
        }
    return {
        "type": "linear",
        "title": {"text": unit},
        "range": [0, (largest or 1.0) * 1.3],
        "tickformat": "~s" if largest >= 1e6 else ",~r",  # 500M, not 500,000,000
        "rangemode": "tozero",
        "showgrid": True,
    }


def _marked(picture: BarsPicture) -> bool:
    """Whether the asked bars are marked: not when every bar is asked entirely (a total)."""
    return any(name not in bar.asked for bar in picture.bars for name, _ in bar.parts) and bool(
        picture.asked
    )


def bars_summary(picture: BarsPicture) -> str:
    """The bars' numbers as plain sentences (the chart's text alternative), the asked ones
    marked, then the picture's caption."""
    grouped = len(picture.series) > 1 and not picture.stacked
    marked = _marked(picture)

    def amount(value: float, series: str) -> str:
        if picture.unit == "bytes":
            return f"{count_text(value)} bytes ({size_text(value)})"
        return f"{count_text(value)} {series if grouped else picture.axis}"

    items = []
    for bar in picture.bars:
        shape = f" ({_shape_text(bar.shape)})" if bar.shape else ""
        if not bar.parts:
            text = "none"
        elif len(bar.parts) == 1:
            text = amount(bar.parts[0][1], bar.parts[0][0]) + " (asked)" * (
                marked and bool(bar.asked)
            )
        elif grouped:
            text = ", ".join(
                amount(value, name) + " (asked)" * (marked and name in bar.asked)
                for name, value in bar.parts
            )
        else:
            text = (
                " + ".join(f"{value_text(value, picture.unit)} {name}" for name, value in bar.parts)
                + f" = {amount(bar.total, '')}"
                + " (asked)" * (marked and bool(bar.asked))
            )
        items.append(f"{bar.label}{shape}: {text}")
    return "; ".join(items) + "." + (f" {picture.caption}" if picture.caption else "")


# --- values ------------------------------------------------------------------------------------

_ROW_TITLE_PX, _NAME_PX, _GAP_PX, _TICK_PX = 28, 24, 34, 20


def values_figure(picture: ValuesPicture) -> go.Figure:
    """Every panel as a small heatmap with its values written in the cells (row 0 on top,
    indices on the axes), each row of panels side by side under its title; the asked panel's
    name is marked and its cells outlined."""
    widths = [
        sum(_TICK_PX + CELL_PX * _columns(panel) for panel in row) + _GAP_PX * (len(row) - 1)
        for row in picture.rows
    ]
    width = max(max(widths), 380)
    heights = [
        _ROW_TITLE_PX + _NAME_PX + _TICK_PX + CELL_PX * max(len(panel.values) for panel in row)
        for row in picture.rows
    ]
    height = sum(heights) + 10 * (len(heights) - 1)
    traces: list[Spec] = []
    layout: Spec = {
        "width": width + 20,
        "height": height + 20,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "showlegend": False,
    }
    annotations: list[Spec] = []
    shapes: list[Spec] = []
    top = 0
    number = 0
    for row_index, (row, row_height) in enumerate(zip(picture.rows, heights, strict=True)):
        if picture.titles:
            annotations.append(
                _label(0, top, picture.titles[row_index], width, height, size=13, bold=True)
            )
        left = 0
        grid_top = top + _ROW_TITLE_PX + _NAME_PX + _TICK_PX
        row_values = [float(v) for panel in row for line in panel.values for v in line]
        z_range = (min(row_values), max(row_values))  # one colour scale for a row
        for panel in row:
            number += 1
            rows, cols = len(panel.values), _columns(panel)
            x0, x1 = left + _TICK_PX, left + _TICK_PX + CELL_PX * cols
            y0, y1 = grid_top, grid_top + CELL_PX * rows
            suffix = "" if number == 1 else str(number)
            traces.append(_panel_heatmap(panel, f"x{suffix}", f"y{suffix}", z_range))
            layout[f"xaxis{suffix}"] = _panel_axis(cols, (x0 / width, x1 / width), f"y{suffix}")
            layout[f"yaxis{suffix}"] = _panel_axis(
                rows, (1 - y1 / height, 1 - y0 / height), f"x{suffix}", reversed_=True
            )
            name = panel.name + ("  ← asked" if panel.asked else "")
            annotations.append(
                _label(x0, top + _ROW_TITLE_PX, name, width, height, size=12, bold=panel.asked)
            )
            if panel.asked:
                shapes.append(
                    {
                        "type": "rect",
                        "xref": f"x{suffix}",
                        "yref": f"y{suffix}",
                        "x0": -0.5,
                        "x1": cols - 0.5,
                        "y0": -0.5,
                        "y1": rows - 0.5,
                        "line": {"color": HIGHLIGHT, "width": 4},
                    }
                )
            left = x1 + _GAP_PX
        top += row_height + 10
    layout["annotations"] = annotations
    if shapes:
        layout["shapes"] = shapes
    return as_figure({"data": traces, "layout": layout})


def _columns(panel: Panel) -> int:
    return len(panel.values[0])


def _label(
    x: float, y: float, text: str, width: int, height: int, *, size: int, bold: bool
) -> Spec:
    """Text whose top-left corner is at pixel ``(x, y)`` of the plotting area."""
    escaped = _escape(text)
    return {
        "x": x / width,
        "y": 1 - y / height,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "left",
        "yanchor": "top",
        "text": f"<b>{escaped}</b>" if bold else escaped,
        "showarrow": False,
        "font": {"size": size},
    }


def _panel_heatmap(panel: Panel, xaxis: str, yaxis: str, z_range: tuple[float, float]) -> Spec:
    """A panel's heatmap, coloured on ``z_range`` (its row's: the samples compare)."""
    z = [[float(v) for v in row] for row in panel.values]
    text = [[plain_number(v) for v in row] for row in z]
    low, high = z_range
    return {
        "type": "heatmap",
        "z": z,
        "text": text,
        "texttemplate": "%{text}",
        "colorscale": named_colorscale("Blues"),
        "zmin": low,
        "zmax": high if high > low else low + 1.0,
        "showscale": False,
        "xaxis": xaxis,
        "yaxis": yaxis,
        "hovertemplate": f"{_escape(panel.name)} row %{{y}}, col %{{x}}: %{{text}}<extra></extra>",
    }


def _panel_axis(
    count: int, domain: tuple[float, float], anchor: str, *, reversed_: bool = False
) -> Spec:
    axis: Spec = {
        "domain": [max(0.0, domain[0]), min(1.0, domain[1])],
        "anchor": anchor,
        "showgrid": False,
        "zeroline": False,
        "tickmode": "array",
        "tickvals": list(range(count)),
        "ticktext": [str(i) for i in range(count)],
        "tickfont": {"size": 10},
        "range": [count - 0.5, -0.5] if reversed_ else [-0.5, count - 0.5],
        "fixedrange": True,
    }
    if not reversed_:
        axis["side"] = "top"
    return axis


def facts_text(picture: ValuesPicture) -> str:
    """The picture's facts as one plain line: ``μ = 1 · σ² = 4 · σ = 2``."""
    return " · ".join(f"{name} = {plain_number(value)}" for name, value in picture.facts)


def values_summary(picture: ValuesPicture) -> str:
    """The asked panels' values as plain text (with :func:`facts_text`, the chart's text
    alternative), then the picture's caption."""
    asked = " — ".join(
        f"{panel.name}: "
        + "; ".join(
            f"row {r}: " + ", ".join(plain_number(v) for v in row)
            for r, row in enumerate(panel.values)
        )
        for row in picture.rows
        for panel in row
        if panel.asked
    )
    parts = [f"Asked, {asked}." if asked else "", picture.caption]
    return " ".join(part for part in parts if part)
