"""Shape arithmetic: sizes, "same" padding, receptive fields, parameter and MAC counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import shapes
from engine.shapes import LayerSpec

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True)


def test_worked_example_100_by_100_with_a_5_by_5_filter_and_stride_2() -> None:
    assert shapes.conv_output_size(100, 5, 2) == 48
    assert shapes.conv2d_output_shape((1, 100, 100), (1, 1, 5, 5), stride=2) == (1, 48, 48)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((32, 3), 30),
        ((32, 3, 1, 1), 32),
        ((32, 3, 2, 1), 16),
        ((7, 3, 1, 0, 2), 3),
        ((5, 2, 1, (0, 1)), 5),  # explicit (before, after)
        ((6, 4, 1, "same"), 6),
        ((6, 4, 1, "valid"), 3),
        ((224, 7, 2, 3), 112),
    ],
)
def test_conv_output_size(args: tuple, expected: int) -> None:
    assert shapes.conv_output_size(*args) == expected


@pytest.mark.parametrize(
    ("kernel", "dilation", "expected"),
    [(1, 1, (0, 0)), (3, 1, (1, 1)), (4, 1, (1, 2)), (3, 2, (2, 2)), (2, 3, (1, 2))],
)
def test_same_padding_puts_the_odd_zero_after(kernel: int, dilation: int, expected: tuple) -> None:
    assert shapes.same_padding(kernel, dilation) == expected


def test_pool_output_size() -> None:
    assert shapes.pool_output_size(224, 3, 2, 1) == 112  # ResNet's stem pool
    assert shapes.pool_output_size(4, 2) == 2  # stride defaults to the kernel
    assert shapes.pool_output_size(5, 2) == 2
    assert shapes.pool_output_size(5, 2, ceil_mode=True) == 3
    assert shapes.pool_output_size(7, 3, 2, dilation=2) == 2


def test_conv_transpose_output_size() -> None:
    assert shapes.conv_transpose_output_size(3, 3, 2, 1) == 5
    assert shapes.conv_transpose_output_size(3, 3, 2, 1, output_padding=1) == 6
    assert shapes.conv_transpose_output_size(4, 3, 1, 0, output_padding=1, dilation=2) == 9


@SETTINGS
@given(
    st.integers(1, 40), st.integers(1, 7), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3)
)
def test_transposed_size_inverts_the_convolution_size(
    i: int, k: int, s: int, p: int, d: int
) -> None:
    """conv maps i to o; its transpose with output_padding a = (i + 2p - d(k-1) - 1) mod s maps
    o back to i, and without output_padding to the smallest of the inputs that give o."""
    if d * (k - 1) + 1 > i + 2 * p:
        with pytest.raises(ValueError, match="is larger than the padded input"):
            shapes.conv_output_size(i, k, s, p, d)
        return
    o = shapes.conv_output_size(i, k, s, p, d)
    a = (i + 2 * p - d * (k - 1) - 1) % s
    if a >= max(s, d):
        return
    assert shapes.conv_transpose_output_size(o, k, s, p, a, d) == i
    smallest = i - a
    if smallest >= 1:
        assert shapes.conv_output_size(smallest, k, s, p, d) == o
        assert shapes.conv_transpose_output_size(o, k, s, p, 0, d) == smallest


@SETTINGS
@given(
    st.integers(1, 30),
    st.integers(1, 6),
    st.integers(1, 4),
    st.integers(0, 3),
    st.integers(1, 3),
    st.booleans(),
)
def test_pool_size_counts_windows(i: int, k: int, s: int, p: int, d: int, ceil: bool) -> None:
    """Against a literal count: floor mode keeps windows inside the padded input; ceil_mode
    keeps a window if the one before it ended short of the padded end, and it starts inside
    the input or the left padding."""
    span = d * (k - 1) + 1
    count = 0
    while True:
        fits = s * count + span <= i + 2 * p
        ceil_ok = s * (count - 1) + span < i + 2 * p and s * count < i + p
        if not (ceil_ok if ceil else fits):
            break
        count += 1
    try:
        got = shapes.pool_output_size(i, k, s, p, d, ceil)
    except ValueError as err:
        assert p > k // 2 or count == 0 or "only padding" in str(err)
        return
    assert p <= k // 2
    assert got == count


def test_receptive_field_and_jump() -> None:
    assert shapes.receptive_field([]) == (1, 1)
    assert shapes.receptive_field([LayerSpec(3), LayerSpec(3)]) == (5, 1)
    assert shapes.receptive_field([LayerSpec(3)] * 3) == (7, 1)  # VGG: three 3×3 = one 7×7
    # AlexNet's start: conv 11 stride 4, then max-pool 3 stride 2
    assert shapes.receptive_field([LayerSpec(11, 4), LayerSpec(3, 2)]) == (19, 8)
    # WaveNet-style dilations 1, 2, 4: 3 + 2·2 + 2·4 = 15
    layers = [LayerSpec(3, 1, 1), LayerSpec(3, 1, 2), LayerSpec(3, 1, 4)]
    assert shapes.receptive_field(layers) == (15, 1)
    # tuples are read as (kernel, stride, dilation, padding); padding does not change the size
    assert shapes.receptive_field([(3, 2, 1, 1), (3, 2, 1, 1)]) == (7, 4)
    with pytest.raises(ValueError, match="stride must be positive; got 0"):
        LayerSpec(3, 0)


def test_receptive_field_matches_the_gradient_of_one_output() -> None:
    """The input cells that influence one output unit span exactly the receptive field."""
    x = np.random.default_rng(0).standard_normal((1, 1, 40, 40))
    w1 = np.ones((1, 1, 3, 3))
    w2 = np.ones((1, 1, 3, 3))
    y1 = engine.conv2d(x, w1, stride=2)
    y2 = engine.conv2d(y1, w2, dilation=2)
    g2 = np.zeros_like(y2)
    g2[0, 0, 0, 0] = 1.0
    g1, _, _ = engine.conv2d_backward(g2, y1, w2, dilation=2)
    gx, _, _ = engine.conv2d_backward(g1, x, w1, stride=2)
    rows = np.nonzero(gx[0, 0].any(axis=1))[0]
    rf, jump = shapes.receptive_field([LayerSpec(3, 2), LayerSpec(3, 1, 2)])
    assert (rf, jump) == (11, 2)
    assert rows.max() - rows.min() + 1 == rf


def test_parameter_count() -> None:
    assert shapes.conv2d_parameter_count(3, 64, 3) == 64 * 3 * 9 + 64 == 1792
    assert shapes.conv2d_parameter_count(3, 64, 3, bias=False) == 1728
    assert shapes.conv2d_parameter_count(32, 32, 3, groups=32) == 32 * 9 + 32  # depthwise
    assert shapes.conv2d_parameter_count(64, 128, (1, 1), groups=4) == 128 * 16 + 128
    with pytest.raises(ValueError, match="in_channels 6 is not divisible by groups 4"):
        shapes.conv2d_parameter_count(6, 8, 3, groups=4)


def test_multiply_accumulate_count() -> None:
    assert shapes.conv2d_macs((1, 3, 32, 32), 16, 3) == 30 * 30 * 16 * 27
    assert shapes.conv2d_macs((8, 64, 56, 56), 64, 3, padding=1) == 8 * 56 * 56 * 64 * 64 * 9
    assert shapes.conv2d_macs((3, 8, 8), 6, 3, padding="same", groups=3) == 6 * 64 * 1 * 9


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: shapes.conv_output_size(10, 7, dilation=2),
            "kernel 7 (dilated to 13) is larger than the padded input 10",
        ),
        (lambda: shapes.conv_output_size(0, 1), "input size must be positive; got 0"),
        (lambda: shapes.conv_output_size(5, 3, 0), "stride must be positive; got 0"),
        (lambda: shapes.conv_output_size(5, 3, 1, -1), "padding must be zero or more; got -1"),
        (lambda: shapes.conv_output_size(5, 3, 2, "same"), "needs stride 1"),
        (lambda: shapes.conv_output_size(5, True), "kernel size must be a whole number"),
        (lambda: shapes.conv_output_size(5, 2.0), "kernel size must be a whole number"),
        (
            lambda: shapes.pool_output_size(5, 3, padding=2),
            "padding 2 should be at most half the kernel size 3",
        ),
        (
            lambda: shapes.conv_transpose_output_size(3, 3, 2, output_padding=2),
            "output_padding 2 must be smaller than the stride 2 or the dilation 1",
        ),
        (
            lambda: shapes.conv2d_output_shape((1, 4, 5, 5), (2, 3, 3, 3)),
            "expects 3 input channels (3 per group × 1 group), but the input has 4",
        ),
        (lambda: shapes.conv2d_output_shape((5, 5), (1, 1, 3, 3)), "(N, C, H, W) or (C, H, W)"),
        (lambda: shapes.conv2d_output_shape((1, 1, 5, 5), (1, 1, 3)), "4-D weight"),
        (
            lambda: shapes.conv_transpose2d_output_shape((1, 2, 5, 5), (3, 1, 3, 3)),
            "expects 3 input channels",
        ),
        (lambda: shapes.max_pool2d_output_shape((1, 1, 5, 5), 2, stride=(1, 2, 3)), "pair"),
        (lambda: shapes.receptive_field([LayerSpec(0)]), "kernel must be positive; got 0"),
    ],
)
def test_invalid_configurations_raise_readable_value_errors(call, message: str) -> None:
    with pytest.raises(ValueError) as err:
        call()
    assert message in str(err.value)


def test_numpy_integers_are_accepted() -> None:
    assert shapes.conv_output_size(np.int64(10), np.int32(3), np.int8(1)) == 8
    assert shapes.conv2d_output_shape(np.zeros((1, 2, 9, 9)).shape, (4, 2, 3, 3)) == (1, 4, 7, 7)
