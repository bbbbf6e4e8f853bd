"""Plotly figures for the Playground, built from the plain arrays of ``quiz.playground``.

No Streamlit calls and no maths here: the numbers come from the engine, the window cells from
:mod:`quiz.playground.frames`.

The animation is one figure with two panels (as ``make_subplots(rows=1, cols=2)`` lays them
out): the grid the window slides over on the left, the output on the right. Its traces, in
order::

    0  grid heatmap        input values; padding and inserted zeros left empty (NaN)
    1  padding             grey, over the cells trace 0 leaves empty
    2  inserted zeros      yellow (a transposed convolution's stride), likewise
    3  output heatmap
    4  window cells        a marker on each cell the window reads  <- the only traces
    5  window outline      a rectangle around the window's span    <- the frames
    6  current output      a rectangle around the output cell      <- change

Every Plotly frame updates traces 4 to 6 only (a few dozen numbers each), so a 64×64 input
with 400 frames stays light; each frame still redraws the figure (see :data:`REDRAW`), or the
heatmaps vanish. Play/pause buttons (``layout.updatemenus``) and a slider
(``layout.sliders``) drive the frames.

Every figure is written as the plain dict Plotly serialises (``{"data", "layout", "frames"}``)
and wrapped in a :class:`~quiz.ui.figures.PlainFigure`, whose ``to_dict`` returns it. That is
what ``st.plotly_chart`` (and ``plotly.io``) send to the browser, without building and
validating a Plotly object for every trace, frame and slider step, which took most of a
rerun (``update_layout`` alone deep-copies every array). Not :func:`~quiz.ui.figures.as_figure`,
which the other chart modules use: even unvalidated, a ``go.Figure`` makes an object of each of
the animation's hundreds of frames (see :mod:`quiz.ui.figures`). The tests check that Plotly
accepts each dict (``go.Figure(figure.to_dict())``).
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from quiz.playground.frames import Animation, Role
from quiz.ui.figures import PlainFigure, Spec, named_colorscale

HIGHLIGHT = "#e8590c"
WINDOW_FILL = "rgba(232, 89, 12, 0.30)"
PADDING_FILL = "#dee2e6"
INSERTED_FILL = "#fff3bf"
TEXT_LIMIT = 20
"""Values are written in the cells when the grid has at most this many rows and columns."""
ANIMATION_WIDTH = 760
FRAME_TRACES = [4, 5, 6]
SPACING = 0.08
"""Gap between the animation's two panels, as a fraction of the width."""
CONTROLS_ROW = 45
"""Pixels of the row Play and Pause sit on: the slider goes under them, not beside them, so on a
phone its label ("Output row 0, col 0") does not run under the buttons."""


def typed_array(values: np.ndarray) -> Spec:
    """A numeric array as plotly.js's typed-array spec (``{"dtype", "bdata", "shape"}``), the
    compact base64 form Plotly itself sends numpy arrays in; NaN stays NaN (a gap).

    The smallest type that holds every value exactly: whole numbers as int8/16/32 (float32
    when there are NaNs among them and they fit in its 24-bit mantissa), others as float64.
    """
    array = np.asarray(values)
    code = "f8"
    if array.dtype.kind in "iub" and array.size:
        code = _int_code(int(array.min()), int(array.max()))
    elif array.dtype.kind == "f" and array.size:
        finite = array[np.isfinite(array)]
        whole = bool(np.all(finite == np.round(finite)))
        if whole and finite.size == array.size:
            code = _int_code(int(finite.min()), int(finite.max()))
        elif whole and not np.isinf(array).any():
            small = not finite.size or float(np.abs(finite).max()) <= 2**24
            code = "f4" if small else "f8"
    data = np.ascontiguousarray(array, dtype=np.dtype(code).newbyteorder("<"))
    spec: Spec = {"dtype": code, "bdata": base64.b64encode(data.tobytes()).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in array.shape)
    return spec


def _int_code(low: int, high: int) -> str:
    for code in ("i1", "i2", "i4"):
        info = np.iinfo(np.dtype(code))
        if info.min <= low and high <= info.max:
            return code
    return "f8"


def array_values(value: Any) -> np.ndarray:
    """The array a trace attribute holds: a typed-array spec decoded, or a (nested) list."""
    if isinstance(value, dict) and "bdata" in value:
        raw = base64.b64decode(value["bdata"])
        array = np.frombuffer(raw, dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        shape = value.get("shape")
        if shape:
            array = array.reshape([int(n) for n in str(shape).split(",")])
        return array.astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def _text(value: float) -> str:
    """A value as short plain text: ``7``, ``-2.5``, ``0.667``, ``−∞`` (NaN: empty)."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}"


def _texts(values: np.ndarray) -> list[list[str]]:
    return [[_text(float(v)) for v in row] for row in values]


def _cell_axes(rows: int, cols: int) -> tuple[Spec, Spec]:
    """Axes for a grid of cells: no grid lines, row 0 on top, square cells."""
    hidden = {
        "showgrid": False,
        "zeroline": False,
        "showticklabels": False,
        "ticks": "",
        "constrain": "domain",
    }
    x = {**hidden, "range": [-0.5, cols - 0.5]}
    y = {**hidden, "autorange": "reversed"}
    return x, y


def _on(trace: Spec, panel: int) -> Spec:
    """``trace`` on the animation's left (1) or right (2) panel."""
    return {**trace, "xaxis": "x" if panel == 1 else "x2", "yaxis": "y" if panel == 1 else "y2"}


def _panel_title(text: str, panel: int) -> Spec:
    """A subplot title, as ``make_subplots`` writes it."""
    width = (1 - SPACING) / 2
    return {
        "text": text,
        "font": {"size": 16},
        "showarrow": False,
        "x": width / 2 if panel == 1 else 1 - width / 2,
        "xanchor": "center",
        "xref": "paper",
        "y": 1.0,
        "yanchor": "bottom",
        "yref": "paper",
    }


# --- the animation ----------------------------------------------------------------------------


def animation_figure(anim: Animation, *, width: int = ANIMATION_WIDTH) -> PlainFigure:
    """The sliding-window animation of ``anim``: grid and output side by side, with frames."""
    grid_rows, grid_cols = anim.grid.shape
    out_rows, out_cols = anim.output.shape
    panel = (width - 60) * 0.46
    tallest = max(grid_rows / grid_cols, out_rows / out_cols)
    plot_height = min(560.0, max(200.0, panel * tallest))
    height = int(plot_height + 150 + CONTROLS_ROW)
    grid_cell = min(panel / grid_cols, plot_height / grid_rows)

    output_title = f"Output channel {anim.output_channel} ({out_rows}×{out_cols})"
    taps, box, cell = _frame_data(anim, 0)
    data = [
        _on(_grid_heatmap(anim), 1),
        _on(_role_heatmap(anim, Role.PADDING), 1),
        _on(_role_heatmap(anim, Role.INSERTED), 1),
        _on(_output_heatmap(anim.output), 2),
        _on(_taps(taps, grid_cell), 1),
        _on(_outline(box), 1),
        _on(_outline(cell), 2),
    ]
    grid_x, grid_y = _cell_axes(grid_rows, grid_cols)
    out_x, out_y = _cell_axes(out_rows, out_cols)
    side = (1 - SPACING) / 2
    layout = {
        "width": width,
        "height": height,
        "margin": {"l": 20, "r": 20, "t": 50, "b": 20},
        "showlegend": False,
        "plot_bgcolor": "white",
        "xaxis": {**grid_x, "anchor": "y", "domain": [0.0, side]},
        "yaxis": {**grid_y, "anchor": "x", "domain": [0.0, 1.0], "scaleanchor": "x"},
        "xaxis2": {**out_x, "anchor": "y2", "domain": [1 - side, 1.0]},
        "yaxis2": {**out_y, "anchor": "x2", "domain": [0.0, 1.0], "scaleanchor": "x2"},
        "annotations": [_panel_title(_grid_title(anim), 1), _panel_title(output_title, 2)],
        "updatemenus": [_play_pause(anim)],
        "sliders": [_slider(anim)],
    }
    frames = _frames(anim)
    return PlainFigure({"data": data, "layout": layout, "frames": frames})


def _grid_title(anim: Animation) -> str:
    rows, cols = anim.grid.shape
    if anim.view == "stride-dilated":
        return f"Input, stride-dilated and padded ({rows}×{cols})"
    if anim.config.padding:
        return f"Input, padded ({rows}×{cols})"
    return f"Input ({rows}×{cols})"


def _grid_heatmap(anim: Animation) -> Spec:
    """Input cells only (NaN elsewhere); hovering one names its input row and column."""
    inside = anim.roles == Role.INPUT
    values = anim.grid[inside]
    shown = np.where(inside, anim.grid, np.nan)
    trace: Spec = {
        "type": "heatmap",
        "z": typed_array(shown),
        "customdata": typed_array(anim.source),
        "hovertemplate": "input row %{customdata[0]}, col %{customdata[1]}: %{z}<extra></extra>",
        "hoverongaps": False,
        "colorscale": named_colorscale("Blues"),
        "showscale": False,
        "zmin": float(values.min()) if values.size else 0.0,
        "zmax": float(values.max()) if values.size else 1.0,
    }
    if max(anim.grid.shape) <= TEXT_LIMIT:
        trace.update(text=_texts(shown), texttemplate="%{text}")
    return trace


def _role_heatmap(anim: Animation, role: Role) -> Spec:
    """Padding (grey) or inserted zeros (yellow): the cells of ``role``, the rest left empty.

    One trace per role, so that hovering needs one label per trace, not one per cell.
    """
    cells = anim.roles == role
    if role == Role.PADDING:
        colour = PADDING_FILL
        label = "padding: −∞" if anim.config.kind == "max-pool" else "padding: 0"
    else:
        colour, label = INSERTED_FILL, "inserted zero"
    trace: Spec = {
        "type": "heatmap",
        "z": typed_array(np.where(cells, 1.0, np.nan)),
        "zmin": 0.0,
        "zmax": 1.0,
        "colorscale": [[0.0, colour], [1.0, colour]],
        "showscale": False,
        "hovertemplate": f"{label}<extra></extra>",
        "hoverongaps": False,
    }
    if max(anim.grid.shape) <= TEXT_LIMIT:
        shown = np.where(cells, anim.grid, np.nan)
        trace.update(text=_texts(shown), texttemplate="%{text}", textfont={"color": "#868e96"})
    return trace


def _output_heatmap(output: np.ndarray) -> Spec:
    """The output; hovering a cell names its row and column (from 0, as the slider)."""
    trace: Spec = {
        "type": "heatmap",
        "z": typed_array(output),
        "customdata": typed_array(np.moveaxis(np.indices(output.shape), 0, -1)),
        "colorscale": named_colorscale("Purples"),
        "showscale": False,
        "hovertemplate": "output row %{customdata[0]}, col %{customdata[1]}: %{z}<extra></extra>",
    }
    if max(output.shape) <= TEXT_LIMIT:
        trace.update(text=_texts(output), texttemplate="%{text}")
    return trace


XY = dict[str, list[float]]


def _rectangle(top: int, left: int, bottom: int, right: int) -> XY:
    """The outline of cells ``top..bottom`` × ``left..right`` (inclusive) as a closed line."""
    x0, x1, y0, y1 = left - 0.5, right + 0.5, top - 0.5, bottom + 0.5
    return {"x": [x0, x1, x1, x0, x0], "y": [y0, y0, y1, y1, y0]}


def _frame_data(anim: Animation, index: int) -> tuple[XY, XY, XY]:
    """Frame ``index``: the window's cells, the window's outline, the output cell's outline."""
    cells = anim.windows[index]
    rows, cols = cells[:, 0], cells[:, 1]
    taps = {"x": cols.tolist(), "y": rows.tolist()}
    box = _rectangle(int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max()))
    y, x = (int(v) for v in anim.positions[index])
    return taps, box, _rectangle(y, x, y, x)


def _taps(xy: XY, cell_px: float) -> Spec:
    return {
        "type": "scatter",
        **xy,
        "mode": "markers",
        "marker": {
            "symbol": "square",
            "size": max(3.0, 0.75 * cell_px),
            "color": WINDOW_FILL,
            "line": {"color": HIGHLIGHT, "width": 1},
        },
        "hovertemplate": "a cell the window reads<extra></extra>",
    }


def _outline(xy: XY) -> Spec:
    return {
        "type": "scatter",
        **xy,
        "mode": "lines",
        "line": {"color": HIGHLIGHT, "width": 3},
        "hoverinfo": "skip",
    }


def _frames(anim: Animation) -> list[Spec]:
    """Every frame as a plain dict: new x/y for traces 4 to 6, nothing else.

    The same numbers as :func:`_frame_data` for each frame, computed for all frames at once.
    """
    rows, cols = anim.windows[:, :, 0], anim.windows[:, :, 1]
    box_x = _outline_coords(cols.min(axis=1), cols.max(axis=1), (0, 1, 1, 0, 0))
    box_y = _outline_coords(rows.min(axis=1), rows.max(axis=1), (0, 0, 1, 1, 0))
    out_y, out_x = anim.positions[:, 0], anim.positions[:, 1]
    cell_x = _outline_coords(out_x, out_x, (0, 1, 1, 0, 0))
    cell_y = _outline_coords(out_y, out_y, (0, 0, 1, 1, 0))
    columns = zip(cols.tolist(), rows.tolist(), box_x, box_y, cell_x, cell_y, strict=True)
    return [
        {
            "name": str(index),
            "data": [
                {"type": "scatter", "x": tap_x, "y": tap_y},
                {"type": "scatter", "x": bx, "y": by},
                {"type": "scatter", "x": cx, "y": cy},
            ],
            "traces": FRAME_TRACES,
        }
        for index, (tap_x, tap_y, bx, by, cx, cy) in enumerate(columns)
    ]


def _outline_coords(
    low: np.ndarray, high: np.ndarray, corners: tuple[int, ...]
) -> list[list[float]]:
    """One coordinate of :func:`_rectangle`'s closed line, for many rectangles at once."""
    ends = np.stack([low - 0.5, high + 0.5], axis=1)
    return ends[:, list(corners)].tolist()


def _frame_ms(frames: int) -> int:
    """Slower steps for small outputs (each one can be read), faster for big ones."""
    return int(min(600, max(60, 12_000 / max(frames, 1))))


REDRAW = True
"""Frames redraw the whole figure. Without it (``redraw: false``, the fast path for scatter
plots) plotly.js drops the heatmaps from the plot on the first frame: only the window's
markers and outlines were left (seen in Chromium with Streamlit's plotly.js 4)."""


def _play_pause(anim: Animation) -> Spec:
    play = {
        "frame": {"duration": _frame_ms(len(anim.positions)), "redraw": REDRAW},
        "transition": {"duration": 0},
        "fromcurrent": True,
        "mode": "immediate",
    }
    pause = {"frame": {"duration": 0, "redraw": REDRAW}, "mode": "immediate"}
    return {
        "type": "buttons",
        "direction": "left",
        "showactive": False,
        "x": 0.0,
        "y": -0.02,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"t": 10, "r": 10},
        "buttons": [
            {"label": "▶ Play", "method": "animate", "args": [None, play]},
            {"label": "Pause", "method": "animate", "args": [[None], pause]},
        ],
    }


def _slider(anim: Animation) -> Spec:
    jump = {"frame": {"duration": 0, "redraw": REDRAW}, "mode": "immediate"}
    steps = [
        {
            "label": f"row {int(y)}, col {int(x)}",
            "method": "animate",
            "args": [[str(index)], jump],
        }
        for index, (y, x) in enumerate(anim.positions)
    ]
    return {
        "active": 0,
        "x": 0.0,
        "len": 1.0,
        "y": -0.02,
        "yanchor": "top",
        "pad": {"t": 10 + CONTROLS_ROW},  # its own row, under Play and Pause
        "currentvalue": {"prefix": "Output ", "font": {"size": 13, "color": "#343a40"}},
        "font": {"color": "rgba(0, 0, 0, 0)", "size": 1},  # step labels: only the current one
        "ticklen": 0,
        "minorticklen": 0,
        "steps": steps,
    }


# --- static heatmaps --------------------------------------------------------------------------


def output_figure(values: np.ndarray, title: str) -> PlainFigure:
    """A layer's output channel as a heatmap, the numbers written in when it is small."""
    array = np.asarray(values, dtype=float)
    rows, cols = array.shape
    cell = 34 if max(rows, cols) <= TEXT_LIMIT else max(3, 480 // max(rows, cols))
    x_axis, y_axis = _cell_axes(rows, cols)
    layout = {
        "title": {"text": title, "font": {"size": 14}},
        "width": max(220, cell * cols + 40),
        "height": max(160, cell * rows + 70),
        "margin": {"l": 20, "r": 20, "t": 40, "b": 20},
        "xaxis": x_axis,
        "yaxis": {**y_axis, "scaleanchor": "x"},
    }
    return PlainFigure({"data": [_output_heatmap(array)], "layout": layout})


def feature_map_figure(values: np.ndarray, title: str, *, size: int = 300) -> PlainFigure:
    """A grayscale picture of an image or feature map (black = lowest, white = highest)."""
    array = np.asarray(values, dtype=float)
    rows, cols = array.shape
    scale = size / max(rows, cols)
    trace = {
        "type": "heatmap",
        "z": typed_array(array),
        "colorscale": named_colorscale("gray"),
        "showscale": True,
        "colorbar": {"thickness": 10, "len": 0.9},
        "hovertemplate": "row %{y}, col %{x}: %{z:.3f}<extra></extra>",
    }
    x_axis, y_axis = _cell_axes(rows, cols)
    layout = {
        "title": {"text": f"{title} ({rows}×{cols})", "font": {"size": 14}},
        "width": int(cols * scale) + 90,
        "height": int(rows * scale) + 60,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "xaxis": x_axis,
        "yaxis": {**y_axis, "scaleanchor": "x"},
    }
    return PlainFigure({"data": [trace], "layout": layout})


# --- the pictures' numbers in words (their text alternatives) ---------------------------------

VALUES_LIMIT = 36
"""Up to this many values are listed in words; a larger map is described by its range."""


def values_text(values: np.ndarray, name: str) -> str:
    """A map's values in words: each row when it is small, else its size and range;
    ``Output channel 0 (2×2): row 0: 1, 2; row 1: 3, 4.``"""
    array = np.asarray(values, dtype=float)
    rows, cols = array.shape
    if array.size <= VALUES_LIMIT:
        listed = "; ".join(
            f"row {r}: " + ", ".join(_number(v) for v in row) for r, row in enumerate(array)
        )
        return f"{name} ({rows}×{cols}): {listed}."
    return f"{name} ({rows}×{cols}): values from {_number(array.min())} to {_number(array.max())}."


def grid_text(anim: Animation) -> str:
    """The animation's grid in words: its size and the input values in it (the output's values
    are said under the output's own chart)."""
    rows, cols = anim.grid.shape
    held = anim.grid[anim.roles == Role.INPUT]
    padded = " and padding" if (anim.roles == Role.PADDING).any() else ""
    if not held.size:
        return f"The grid the window slides over is {rows}×{cols}."
    return (
        f"The grid the window slides over is {rows}×{cols}: input values from "
        f"{_number(held.min())} to {_number(held.max())}{padded}."
    )


def _number(value: float) -> str:
    """``3``, ``-2.5``, ``0.333`` (three significant digits), with a real minus sign."""
    text = f"{float(value):.3g}"
    return text.replace("-", "−") if text != "-0" else "0"
