"""Plotly figures built from plain data (lists and arrays); no Streamlit calls here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas  # noqa: F401 - see below
import plotly.graph_objects as go

from quiz.exercises.latex import number

# Plotly looks pandas up in ``sys.modules`` without importing it; when another session's thread
# is importing pandas at that moment, plotly sees a half-initialised module and fails ("partially
# initialized module 'pandas' has no attribute 'Series'"). Importing it here, under the import
# lock, before any figure is built, closes that race.

CELL_PX = 46
HIGHLIGHT = "#e8590c"
PADDING_FILL = "#dee2e6"


def matrix_heatmap(
    values: np.ndarray | Sequence[Sequence[float]],
    title: str,
    *,
    highlight: tuple[int, int, int, int] | None = None,
    cells: Sequence[tuple[int, int]] = (),
    padding: tuple[int, int] = (0, 0),
    marks: Sequence[Sequence[bool]] | None = None,
) -> go.Figure:
    """A matrix drawn as a heatmap with its values written in the cells.

    Row 0 is at the top. ``highlight`` is a rectangle ``(row, col, height, width)`` to outline
    (a receptive field); ``cells`` are single cells to outline; ``padding`` = (rows, cols) of
    zero padding drawn greyed at each edge; ``marks`` (same shape) colour cells right/wrong.
    """
    array = np.asarray(values, dtype=float)
    rows, cols = array.shape
    if marks is not None:
        right = np.asarray(marks, dtype=bool)
        z, colours = right.astype(float), [[0, "#ffc9c9"], [1, "#b2f2bb"]]
        text = [["✓" if ok else "✗" for ok in row] for row in right]
    else:
        z, colours = array, "Blues"
        text = [[number(v) for v in row] for row in array]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale=colours,
            showscale=False,
            hovertemplate="row %{y}, col %{x}: %{text}<extra></extra>",
        )
    )
    pad_rows, pad_cols = padding
    if pad_rows or pad_cols:
        for r in range(rows):
            for c in range(cols):
                if r < pad_rows or r >= rows - pad_rows or c < pad_cols or c >= cols - pad_cols:
                    figure.add_shape(
                        type="rect",
                        x0=c - 0.5,
                        x1=c + 0.5,
                        y0=r - 0.5,
                        y1=r + 0.5,
                        fillcolor=PADDING_FILL,
                        opacity=0.55,
                        line_width=0,
                    )
    if highlight is not None:
        r, c, h, w = highlight
        figure.add_shape(
            type="rect",
            x0=c - 0.5,
            x1=c + w - 0.5,
            y0=r - 0.5,
            y1=r + h - 0.5,
            line={"color": HIGHLIGHT, "width": 4},
        )
    for r, c in cells:
        figure.add_shape(
            type="rect",
            x0=c - 0.5,
            x1=c + 0.5,
            y0=r - 0.5,
            y1=r + 0.5,
            line={"color": HIGHLIGHT, "width": 4},
        )
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        width=max(160, CELL_PX * cols + 60),
        height=max(160, CELL_PX * rows + 70),
        margin={"l": 30, "r": 10, "t": 40, "b": 20},
        xaxis={"showgrid": False, "zeroline": False, "side": "top", **_one_based(cols)},
        yaxis={
            "showgrid": False,
            "zeroline": False,
            "autorange": "reversed",
            "scaleanchor": "x",
            **_one_based(rows),
        },
    )
    return figure


def _one_based(count: int) -> dict[str, object]:
    """Axis ticks labelled 1..count (as the prompts and solutions count rows and columns)."""
    return {
        "tickmode": "array",
        "tickvals": list(range(count)),
        "ticktext": [str(i + 1) for i in range(count)],
    }
