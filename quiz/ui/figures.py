"""Figure specs to what ``st.plotly_chart`` takes: the one place that wraps them; no Streamlit.

Stride's figures are written as *specs*: the plain dict Plotly serialises (``{"data": [...],
"layout": {...}, "frames": [...]}``; traces as dicts with their ``"type"``; numbers as Python
floats, ints and ``None``, never numpy). Building them through ``plotly.graph_objects`` instead
(``go.Figure(...)``, ``update_layout``, ``add_shape``, ``add_bar``) validates every property and
parses every dotted path, and was the largest CPU cost of a page run (py-spy: ~60 % of a Study
page run, ~45 % of a Statistics one). Measured on the development machine:

- ``matrix_heatmap`` (4×4, padding, one outlined cell) built with graph objects: 25 ms;
- ``go.Figure(spec)``, validated: 10.8 ms;
- ``go.Figure(spec, _validate=False)``: 0.5 ms, its ``to_dict()`` 0.8 ms, and
  ``plotly.io.to_json(dict, validate=False)`` 0.2 ms.

Given a figure, ``st.plotly_chart`` calls ``figure.to_dict()`` and then
``plotly.io.to_json(..., validate=False)``; given a dict it validates it again through
``go.Figure(**spec)`` (the slow path). So the builders hand it :func:`as_figure` of their spec.

Nothing validates a spec at run time: ``tests/unit/test_figure_specs.py`` does, for every builder
over representative inputs (``go.Figure(figure.to_dict())``, strict, so a misspelt property fails
there), and compares each with what the graph-objects builders drew.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas  # noqa: F401 - see below
import plotly.graph_objects as go
import plotly.io as pio

# Plotly looks pandas up in ``sys.modules`` without importing it; when another session's thread
# is importing pandas at that moment, plotly sees a half-initialised module and fails ("partially
# initialized module 'pandas' has no attribute 'Series'"). Importing it here, under the import
# lock, before any figure is built (every chart module imports this one), closes that race.

Spec = dict[str, Any]


def as_figure(spec: Spec) -> go.Figure:
    """``spec`` as a Plotly figure, without validating it (see the module docstring).

    The figure is a real one: ``update_layout`` and friends still work (and validate what they
    are given). It takes about 1 ms per trace-light figure; for a figure with hundreds of
    animation frames, which it would turn into as many objects, use :class:`PlainFigure`.
    """
    return go.Figure(spec, _validate=False)


class PlainFigure(go.Figure):
    """A figure given as its spec; :meth:`to_dict` returns the spec (with the default template).

    For figures with many frames (the Playground's animation): even unvalidated, ``go.Figure``
    makes an object of every frame and trace, and ``to_dict`` deep-copies them all (75 ms and
    18 ms for 400 frames, against 2 ms to write the spec). ``plotly.io.to_json``, ``show`` and
    ``st.plotly_chart`` read a figure through :meth:`to_dict`. The Plotly object itself stays
    empty: ``update_layout`` and friends do not change what is drawn.
    """

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        self._spec = spec

    def to_dict(self) -> Spec:
        spec = dict(self._spec)
        spec["data"] = [dict(trace) for trace in self._spec["data"]]
        spec["layout"] = {"template": _template(pio.templates.default), **self._spec["layout"]}
        return spec


@functools.lru_cache(maxsize=4)
def _template(name: str) -> Spec:
    """The default template ``name``, as ``go.Figure().to_dict()`` carries it (built once per
    name). Importing Streamlit makes its own, ``"streamlit"``, the default: its placeholder
    colours are what the browser swaps for the app's theme."""
    return go.Figure().to_dict()["layout"].get("template", {})


def named_colorscale(name: str) -> list[list[Any]]:
    """A named Plotly colour scale (``"Blues"``, ``"gray"``) as the list plotly.js reads.

    Validation expands a name into Plotly's (Python) scale; plotly.js knows only some of the
    names, and with other colours (its ``"Blues"`` is not Plotly's), so specs spell them out.
    """
    return [list(stop) for stop in _colorscale(name)]


@functools.cache
def _colorscale(name: str) -> tuple[tuple[float, str], ...]:
    return tuple((float(at), str(colour)) for at, colour in go.Heatmap(colorscale=name).colorscale)
