"""LayerConfig: knob checks, output sizes against the engine, the filled-in formula, example
tensors, the engine's output, and reading/writing query parameters."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import reference
from quiz.playground.layer import (
    AVG_POOL_DILATION,
    KNOBS,
    MAX_OUTPUT_SIDE,
    LayerConfig,
    compute,
    config_from_query,
    config_to_query,
    example_input,
    example_weight,
    full_output,
    output_shape,
    output_size_formula,
)
from tests.unit.playground.strategies import PROPERTY, layer_configs, valid_layer_configs


def _reference_output(config: LayerConfig) -> np.ndarray:
    """The same layer through engine.reference's plain loops (the oracle)."""
    c = config
    x, w = example_input(c), example_weight(c)
    if c.kind == "conv":
        return reference.conv2d(x, w, stride=c.stride, padding=c.padding, dilation=c.dilation)
    if c.kind == "conv-transpose":
        return reference.conv_transpose2d(
            x, w, stride=c.stride, padding=c.padding, dilation=c.dilation
        )
    if c.kind == "max-pool":
        return np.asarray(reference.max_pool2d(x, c.kernel, c.stride, c.padding, c.dilation))
    return np.asarray(reference.avg_pool2d(x, c.kernel, c.stride, c.padding))


# --- output size ------------------------------------------------------------------------------


@PROPERTY
@given(valid_layer_configs())
def test_output_shape_is_the_engines_actual_output_shape(config: LayerConfig) -> None:
    out = full_output(config)
    assert out.shape == output_shape(config)
    assert out.shape == _reference_output(config).shape


@PROPERTY
@given(valid_layer_configs())
def test_computed_channel_is_the_engines_and_the_oracles_output(config: LayerConfig) -> None:
    expected = _reference_output(config)
    for channel in {0, output_shape(config)[1] - 1}:
        result = compute(config, channel)
        assert result.shape == output_shape(config)
        np.testing.assert_allclose(result.plane, expected[0, channel], rtol=1e-12, atol=1e-12)


@PROPERTY
@given(layer_configs())
def test_formula_value_is_the_output_size_and_invalid_layers_say_why(config: LayerConfig) -> None:
    formula = output_size_formula(config)
    height = int(re.search(r"= (-?\d+)$", formula.height).group(1))  # type: ignore[union-attr]
    width = int(re.search(r"= (-?\d+)$", formula.width).group(1))  # type: ignore[union-attr]
    try:
        shape = output_shape(config)
    except ValueError as error:
        assert config.error == str(error)
        assert formula.shape is None
        with pytest.raises(ValueError):
            compute(config)
        return
    assert (height, width) == shape[-2:]
    if max(shape[-2:]) <= MAX_OUTPUT_SIDE:
        assert config.error is None
        assert formula.shape is not None and formula.shape.endswith(
            f"{shape[0]} \\times {shape[1]} \\times {shape[2]} \\times {shape[3]}"
        )


def test_formula_for_the_documented_link_is_filled_in() -> None:
    config, notes = config_from_query(
        {"kind": "conv", "h": "7", "w": "7", "k": "3", "s": "2", "p": "1", "d": "1"}
    )
    assert notes == []
    formula = output_size_formula(config)
    assert formula.general == (
        "H_{\\text{out}} = \\left\\lfloor \\frac{H + 2P - D(K - 1) - 1}{S} \\right\\rfloor + 1"
    )
    assert "\\frac{7 + 2\\cdot 1 - 1\\cdot (3 - 1) - 1}{2}" in formula.height
    assert formula.height.endswith("= \\lfloor 3 \\rfloor + 1 = 4")
    assert formula.width.startswith("W_{\\text{out}} = ")
    assert formula.shape is not None and formula.shape.endswith("1 \\times 1 \\times 4 \\times 4")


def test_transposed_and_average_pool_formulas() -> None:
    transposed = output_size_formula(LayerConfig("conv-transpose", 4, 5, kernel=3, stride=2))
    assert transposed.general.endswith("(H - 1)S - 2P + D(K - 1) + \\text{output\\_padding} + 1")
    assert transposed.height.endswith("(4 - 1)\\cdot 2 - 2\\cdot 1 + 1\\cdot (3 - 1) + 0 + 1 = 7")
    assert transposed.width.endswith("= 9")
    average = output_size_formula(LayerConfig("avg-pool", 6, 6, kernel=2, stride=2, padding=0))
    assert "\\frac{H + 2P - K}{S}" in average.general
    assert average.height.endswith("\\frac{6 + 2\\cdot 0 - 2}{2} \\right\\rfloor + 1 = "
                                   "\\lfloor 2 \\rfloor + 1 = 3")  # fmt: skip


def test_a_fractional_step_is_shown_before_the_floor() -> None:
    formula = output_size_formula(LayerConfig("conv", 8, 8, kernel=3, stride=2, padding=0))
    assert formula.height.endswith("= \\lfloor \\tfrac{5}{2} \\rfloor + 1 = 3")


# --- invalid layers ---------------------------------------------------------------------------


def test_kernel_larger_than_the_padded_input_gives_the_engines_sentence() -> None:
    config = LayerConfig("conv", 3, 3, kernel=7, stride=1, padding=1)
    with pytest.raises(ValueError) as engine_error:
        engine.conv_output_size(3, 7, 1, 1, 1, axis="height")
    assert config.error == str(engine_error.value)
    assert config.error == (
        "kernel 7 is larger than the padded input 5 (input 3 + padding 1 + 1) along the height"
    )
    assert output_size_formula(config).height.endswith("= \\lfloor -2 \\rfloor + 1 = -1")


def test_pooling_rules_follow_pytorch() -> None:
    too_much_padding = LayerConfig("max-pool", 8, 8, kernel=2, stride=2, padding=2)
    assert too_much_padding.error is not None
    assert "padding 2 should be at most half the kernel size 2" in too_much_padding.error
    dilated_average = LayerConfig("avg-pool", 8, 8, kernel=2, stride=2, padding=0, dilation=2)
    assert dilated_average.error == AVG_POOL_DILATION
    with pytest.raises(ValueError, match="no dilation"):
        compute(dilated_average)
    dilated_max = LayerConfig("max-pool", 8, 8, kernel=2, stride=2, padding=0, dilation=2)
    assert dilated_max.error is None
    assert output_shape(dilated_max) == (1, 1, 3, 3)  # floor((8 - 2·1 - 1) / 2) + 1


def test_pooling_keeps_the_channels() -> None:
    config = LayerConfig("max-pool", 6, 6, in_channels=3, out_channels=7, kernel=2, padding=0)
    assert config.out_channels == 3
    assert output_shape(config)[1] == 3
    assert example_weight(config) is None


def test_outputs_too_big_to_draw_are_refused_with_a_reason() -> None:
    config = LayerConfig("conv-transpose", 128, 128, kernel=3, stride=3, padding=0)
    assert output_shape(config)[-2:] == (384, 384)
    assert config.error is not None and "384×384" in config.error and "256×256" in config.error


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kernel", 12, "kernel size must be at most 11"),
        ("height", 0, "input height must be positive"),
        ("padding", -1, "padding must be zero or more"),
        ("stride", 1.5, "stride must be a whole number"),
        ("dilation", True, "dilation must be a whole number"),
    ],
)
def test_knobs_out_of_range_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LayerConfig("conv", **{field: value})  # type: ignore[arg-type]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="layer type must be one of"):
        LayerConfig("pool")  # type: ignore[arg-type]


# --- example tensors --------------------------------------------------------------------------


def test_example_tensors_are_seeded_small_integers_with_pytorch_layouts() -> None:
    conv = LayerConfig("conv", 5, 6, in_channels=2, out_channels=3, kernel=3)
    x, w = example_input(conv), example_weight(conv)
    assert x.shape == (1, 2, 5, 6) and w is not None and w.shape == (3, 2, 3, 3)
    assert set(np.unique(x)) <= set(range(10)) and set(np.unique(w)) <= {-1, 0, 1}
    transposed = LayerConfig("conv-transpose", 5, 6, in_channels=2, out_channels=3, kernel=3)
    tw = example_weight(transposed)
    assert tw is not None and tw.shape == (2, 3, 3, 3)
    bigger = LayerConfig("conv", 7, 8, in_channels=2, out_channels=3, kernel=3)
    np.testing.assert_array_equal(example_input(bigger)[..., :5, :6], x)  # growing keeps cells
    np.testing.assert_array_equal(example_input(conv), x)  # and it is the same every time


def test_compute_rejects_a_missing_channel() -> None:
    with pytest.raises(ValueError, match="output channel 2 does not exist"):
        compute(LayerConfig("conv", 5, 5, out_channels=2), channel=2)


# --- query parameters -------------------------------------------------------------------------


@PROPERTY
@given(layer_configs(channels=128, size=128))
def test_query_round_trip(config: LayerConfig) -> None:
    query = config_to_query(config)
    assert list(query) == ["kind", *(knob.query for knob in KNOBS)]
    back, notes = config_from_query(query)
    assert back == config
    assert notes == []


def test_bad_query_values_are_clamped_or_replaced_with_notes() -> None:
    config, notes = config_from_query(
        {"kind": "avg-pool", "h": "999", "w": "abc", "k": ["1", "5"], "d": "3", "p": " 2 "}
    )
    assert config == LayerConfig("avg-pool", 128, 7, kernel=5, stride=2, padding=2, dilation=1)
    assert notes == [
        "input height 999 is outside 1–128; using 128",
        "input width “abc” is not a whole number; using 7",
        "average pooling has no dilation; using dilation 1",
    ]
    unknown, notes = config_from_query({"kind": "<b>pool</b>", "s": "-4"})
    assert unknown.kind == "conv" and unknown.stride == 1
    assert notes[0].startswith("layer type “<b>pool</b>” is unknown")
    assert notes[1] == "stride -4 is outside 1–8; using 1"


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from(["kind", "h", "w", "cin", "cout", "k", "s", "p", "d", "x"]),
        st.one_of(st.text(max_size=12), st.lists(st.text(max_size=5), max_size=3)),
    )
)
def test_any_query_gives_a_config(query: dict[str, object]) -> None:
    config, notes = config_from_query(query)
    assert isinstance(config, LayerConfig)
    assert all(isinstance(note, str) and note for note in notes)
