"""The Playground's figures are plain dicts: Plotly accepts every one of them and would send
the same JSON itself; arrays go as exact typed arrays; the animation redraws its frames."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quiz.playground.filters import KERNELS, feature_maps
from quiz.playground.frames import animation
from quiz.playground.images import sample_image
from quiz.playground.layer import LayerConfig, compute
from quiz.ui.playground_charts import (
    CONTROLS_ROW,
    FRAME_TRACES,
    PlainFigure,
    animation_figure,
    array_values,
    feature_map_figure,
    output_figure,
    typed_array,
)
from tests.unit.playground.strategies import PROPERTY, valid_layer_configs

CONFIGS = [
    LayerConfig(),
    LayerConfig("conv", 9, 6, in_channels=2, out_channels=3, kernel=3, stride=2, padding=2,
                dilation=2),
    LayerConfig("max-pool", 8, 7, kernel=3, stride=2, padding=1),
    LayerConfig("avg-pool", 6, 6, kernel=2, stride=2, padding=0),
    LayerConfig("conv-transpose", 3, 4, kernel=3, stride=2, padding=1),
    LayerConfig("conv", 64, 64, kernel=3, stride=1, padding=1),
]  # fmt: skip


def _figures() -> list[PlainFigure]:
    figures: list[PlainFigure] = []
    for config in CONFIGS:
        result = compute(config)
        figures += [animation_figure(animation(config, result)), output_figure(result.plane, "O")]
    image = sample_image("letter")
    for stage in feature_maps(image, KERNELS["sobel-x"].values, relu=True, pool="avg"):
        figures.append(feature_map_figure(stage.values, stage.title))
    return figures


@pytest.mark.parametrize("figure", _figures(), ids=lambda figure: figure.to_dict()["layout"].get(
    "title", {}).get("text", "animation"))  # fmt: skip
def test_plotly_accepts_the_dict_and_would_send_the_same_json(figure: PlainFigure) -> None:
    plain = json.loads(pio.to_json(figure, validate=False))  # what st.plotly_chart sends
    validated = json.loads(pio.to_json(go.Figure(figure.to_dict())))  # raises if invalid
    assert _decoded(plain) == _decoded(validated)


def _decoded(spec: dict[str, Any]) -> dict[str, Any]:
    """Typed arrays (Plotly may choose another dtype) decoded to lists of numbers."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict) and "bdata" in value:
            array = array_values(value)
            return {"array": [None if v != v else v for v in array.ravel().tolist()],
                    "shape": list(array.shape)}  # fmt: skip
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    return walk(spec)


def test_the_animation_has_frames_buttons_and_a_slider_that_redraw() -> None:
    spec = animation_figure(animation(LayerConfig())).to_dict()
    assert len(spec["data"]) == 7 and FRAME_TRACES == [4, 5, 6]
    assert [trace["type"] for trace in spec["data"]] == ["heatmap"] * 4 + ["scatter"] * 3
    assert len(spec["frames"]) == 16
    arguments = [button["args"][1] for button in spec["layout"]["updatemenus"][0]["buttons"]]
    arguments += [step["args"][1] for step in spec["layout"]["sliders"][0]["steps"]]
    # without a redraw, plotly.js drops the heatmaps from the plot on the first frame
    assert all(argument["frame"]["redraw"] is True for argument in arguments)


def test_play_and_pause_have_a_row_of_their_own_above_the_slider() -> None:
    """On a phone the slider's label ran under the buttons: the slider now spans the width, one
    row lower, and the figure is that much taller."""
    layout = animation_figure(animation(LayerConfig())).to_dict()["layout"]
    (buttons,), (slider,) = layout["updatemenus"], layout["sliders"]
    assert (buttons["x"], buttons["y"], buttons["yanchor"]) == (0.0, slider["y"], "top")
    assert (slider["x"], slider["len"]) == (0.0, 1.0)
    assert slider["pad"]["t"] >= buttons["pad"]["t"] + CONTROLS_ROW


def test_colour_scales_are_spelled_out_for_the_browser() -> None:
    for figure in _figures():
        for trace in figure.to_dict()["data"]:
            if "colorscale" in trace:
                assert isinstance(trace["colorscale"], list) and len(trace["colorscale"]) >= 2


def test_plain_figures_carry_the_default_template() -> None:
    spec = output_figure(np.eye(2), "I").to_dict()
    assert spec["layout"]["template"] == go.Figure().to_dict()["layout"]["template"]


@PROPERTY
@given(
    st.one_of(
        arrays(np.int64, st.tuples(st.integers(1, 5), st.integers(1, 5)),
               elements=st.integers(-(2**31), 2**31 - 1)),
        arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 2)),
               elements=st.floats(allow_nan=True, allow_infinity=True)),
        arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
               elements=st.one_of(st.integers(-300, 300).map(float), st.just(float("nan")))),
    )
)  # fmt: skip
def test_typed_arrays_are_exact(values: np.ndarray) -> None:
    spec = typed_array(values)
    back = array_values(spec)
    assert back.shape == values.shape
    np.testing.assert_array_equal(back, values.astype(np.float64))  # NaN where NaN
    small_whole = np.isfinite(values).all() and (values == np.round(values)).all()
    if values.dtype.kind == "f" and small_whole and np.abs(values).max() < 100:
        assert spec["dtype"] == "i1"  # the compact form


@pytest.mark.slow  # hypothesis, a figure per generated layer
@PROPERTY
@given(valid_layer_configs())
def test_the_figures_hold_the_engines_output(config: LayerConfig) -> None:
    result = compute(config)
    spec = animation_figure(animation(config, result)).to_dict()
    np.testing.assert_array_equal(array_values(spec["data"][3]["z"]), result.plane)
    static = output_figure(result.plane, "O").to_dict()
    np.testing.assert_array_equal(array_values(static["data"][0]["z"]), result.plane)
