"""Plotly figures built from plain data (lists and arrays); no Streamlit calls here.

Figures are written as plain dict specs and wrapped by :func:`quiz.ui.figures.as_figure`
(validating them took most of a page run; the tests validate them instead).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from quiz.exercises.latex import plain_number
from quiz.ui.figures import Spec, as_figure, named_colorscale

CELL_PX = 46
HIGHLIGHT = "#e8590c"
PADDING_FILL = "#dee2e6"
MARK_COLOURS = [[0, "#ffc9c9"], [1, "#b2f2bb"]]
TITLE_CHAR_PX = 7.5  # about the width of a character of the 14 px title, on average
TITLE_LINE_PX = 24  # a line of the title and some room


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
        z: list[list[float]] = right.astype(float).tolist()
        colours: list[list[object]] = [list(stop) for stop in MARK_COLOURS]
        text = [["✓" if ok else "✗" for ok in row] for row in right.tolist()]
    else:
        z, colours = array.tolist(), named_colorscale("Blues")
        text = [[plain_number(v) for v in row] for row in z]  # Plotly renders no LaTeX
    heatmap: Spec = {
        "type": "heatmap",
        "z": z,
        "text": text,
        "texttemplate": "%{text}",
        "colorscale": colours,
        "showscale": False,
        "hovertemplate": "row %{y}, col %{x}: %{text}<extra></extra>",
    }
    shapes = _padding_shapes(rows, cols, padding)
    if highlight is not None:
        r, c, h, w = (int(n) for n in highlight)
        shapes.append(_outline(r, c, r + h - 1, c + w - 1))
    shapes += [_outline(int(r), int(c), int(r), int(c)) for r, c in cells]
    width = max(160, CELL_PX * cols + 60)
    lines = _title_lines(title, width)
    extra = TITLE_LINE_PX * (len(lines) - 1)  # room for the title's further lines
    heading: Spec = {"text": "<br>".join(lines), "font": {"size": 14}}
    if extra:  # from the top down, above the column numbers (centred, it would cover them)
        heading.update(yref="container", y=1, yanchor="top", pad={"t": 15})
    layout: Spec = {
        "title": heading,
        "width": width,
        "height": max(160, CELL_PX * rows + 70) + extra,
        "margin": {"l": 30, "r": 10, "t": 40 + extra, "b": 20},
        "xaxis": {"showgrid": False, "zeroline": False, "side": "top", **_indexed(cols)},
        "yaxis": {
            "showgrid": False,
            "zeroline": False,
            "autorange": "reversed",
            "scaleanchor": "x",
            **_indexed(rows),
        },
    }
    if shapes:
        layout["shapes"] = shapes
    return as_figure({"data": [heatmap], "layout": layout})


def _title_lines(title: str, width: int) -> list[str]:
    """``title`` cut at spaces into lines that fit a figure ``width`` pixels wide: Plotly cuts
    off a title wider than its figure (``Window positions: column l of the unfolded matrix``
    over a 3 × 3 grid)."""
    budget = max(10, int((width - 20) / TITLE_CHAR_PX))
    return textwrap.wrap(title, budget, break_long_words=False, break_on_hyphens=False) or [title]


def _padding_shapes(rows: int, cols: int, padding: tuple[int, int]) -> list[Spec]:
    """A grey square over each cell of the ``padding`` (rows, cols) border, row by row."""
    pad_rows, pad_cols = (int(n) for n in padding)
    if not (pad_rows or pad_cols):
        return []
    return [
        {
            "type": "rect",
            "x0": c - 0.5,
            "x1": c + 0.5,
            "y0": r - 0.5,
            "y1": r + 0.5,
            "fillcolor": PADDING_FILL,
            "opacity": 0.55,
            "line": {"width": 0},
        }
        for r in range(rows)
        for c in range(cols)
        if r < pad_rows or r >= rows - pad_rows or c < pad_cols or c >= cols - pad_cols
    ]


def _outline(top: int, left: int, bottom: int, right: int) -> Spec:
    """An orange rectangle around cells ``top..bottom`` × ``left..right`` (inclusive)."""
    return {
        "type": "rect",
        "x0": left - 0.5,
        "x1": right + 0.5,
        "y0": top - 0.5,
        "y1": bottom + 0.5,
        "line": {"color": HIGHLIGHT, "width": 4},
    }


def _indexed(count: int) -> dict[str, object]:
    """Axis ticks on every row or column, labelled 0..count-1 (as the prompts, the solutions and
    the answer grid count them)."""
    return {
        "tickmode": "array",
        "tickvals": list(range(count)),
        "ticktext": [str(i) for i in range(count)],
    }
