"""unfold / fold (im2col / col2im): the engine against the reference loops, and their contracts.

unfold turns a convolution into one matrix product, ``W.reshape(C_out, -1) @ unfold(X)``, and
fold is its adjoint: ``<unfold(x), y> = <x, fold(y)>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import reference

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def close(fast: np.ndarray, ref: np.ndarray, rtol: float = 1e-10) -> bool:
    """Equal within ``rtol`` relative to the largest reference value."""
    if fast.shape != ref.shape:
        return False
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    return float(np.abs(fast - ref).max(initial=0.0)) <= rtol * scale


@dataclass(frozen=True)
class UnfoldCase:
    x: np.ndarray
    kernel: tuple[int, int] | int
    dilation: tuple[int, int] | int
    padding: tuple[int, int] | int
    stride: tuple[int, int] | int

    @property
    def kwargs(self) -> dict[str, Any]:
        return {
            "kernel_size": self.kernel,
            "dilation": self.dilation,
            "padding": self.padding,
            "stride": self.stride,
        }

    @property
    def batched(self) -> np.ndarray:
        return self.x if self.x.ndim == 4 else self.x[None]


def _pair(value: tuple[int, int] | int) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def _int_or_pair(draw: st.DrawFn, low: int, high: int) -> tuple[int, int] | int:
    if draw(st.booleans()):
        return draw(st.integers(low, high))
    return (draw(st.integers(low, high)), draw(st.integers(low, high)))


@st.composite
def unfold_cases(draw: st.DrawFn) -> UnfoldCase:
    kernel = _int_or_pair(draw, 1, 4)
    dilation = _int_or_pair(draw, 1, 3)
    padding = _int_or_pair(draw, 0, 2)
    stride = _int_or_pair(draw, 1, 3)
    (kh, kw), (dh, dw), (ph, pw) = _pair(kernel), _pair(dilation), _pair(padding)
    # the padded input must hold one dilated kernel
    low_h, low_w = max(1, dh * (kh - 1) + 1 - 2 * ph), max(1, dw * (kw - 1) + 1 - 2 * pw)
    h, w = draw(st.integers(low_h, low_h + 5)), draw(st.integers(low_w, low_w + 5))
    c, n = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    shape = (c, h, w) if draw(st.integers(0, 4)) == 0 else (n, c, h, w)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(shape)
    return UnfoldCase(x, kernel, dilation, padding, stride)


@SETTINGS
@given(unfold_cases())
def test_unfold_matches_the_reference_loops(case: UnfoldCase) -> None:
    cols = engine.unfold(case.x, **case.kwargs)
    assert np.array_equal(cols, reference.unfold(case.x, **case.kwargs))
    assert cols.shape == engine.unfold_output_shape(case.x.shape, **case.kwargs)
    assert cols.dtype == np.float64


@SETTINGS
@given(unfold_cases(), st.integers(0, 2**32 - 1))
def test_fold_matches_the_reference_loops(case: UnfoldCase, seed: int) -> None:
    shape = engine.unfold_output_shape(case.x.shape, **case.kwargs)
    y = np.random.default_rng(seed).standard_normal(shape)
    size = case.x.shape[-2:]
    image = engine.fold(y, size, **case.kwargs)
    assert close(image, reference.fold(y, size, **case.kwargs))
    assert image.shape == case.x.shape


@SETTINGS
@given(unfold_cases(), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_a_convolution_is_one_matrix_product_with_the_unfolded_input(
    case: UnfoldCase, out_channels: int, seed: int
) -> None:
    x = case.batched
    kh, kw = _pair(case.kernel)
    weight = np.random.default_rng(seed).standard_normal((out_channels, x.shape[1], kh, kw))
    conv = engine.conv2d(
        x, weight, stride=case.stride, padding=case.padding, dilation=case.dilation
    )
    product = weight.reshape(out_channels, -1) @ engine.unfold(x, **case.kwargs)
    assert close(product.reshape(conv.shape), conv)


@SETTINGS
@given(unfold_cases(), st.integers(0, 2**32 - 1))
def test_fold_is_the_adjoint_of_unfold(case: UnfoldCase, seed: int) -> None:
    cols = engine.unfold(case.x, **case.kwargs)
    y = np.random.default_rng(seed).standard_normal(cols.shape)
    back = engine.fold(y, case.x.shape[-2:], **case.kwargs)
    left, right = float(np.sum(cols * y)), float(np.sum(case.x * back))
    assert abs(left - right) <= 1e-10 * max(1.0, abs(left))


@SETTINGS
@given(unfold_cases())
def test_folding_the_unfolded_input_counts_the_windows_over_each_cell(case: UnfoldCase) -> None:
    """col2im(im2col(x)) is not x: each cell comes back once per window that covers it."""
    size = case.x.shape[-2:]
    covers = engine.fold(engine.unfold(np.ones_like(case.x), **case.kwargs), size, **case.kwargs)
    again = engine.fold(engine.unfold(case.x, **case.kwargs), size, **case.kwargs)
    assert close(again, case.x * covers)
    assert np.array_equal(covers, np.round(covers)) and covers.min() >= 0


def test_worked_example_two_by_two_windows_with_stride_two() -> None:
    x = np.arange(16.0).reshape(1, 4, 4)  # one channel, rows 0..3 hold 0-3, 4-7, 8-11, 12-15
    cols = engine.unfold(x, 2, stride=2)
    # column l = y·2 + x is window (y, x); row (i·2 + j) is kernel cell (i, j)
    assert cols.tolist() == [
        [0, 2, 8, 10],
        [1, 3, 9, 11],
        [4, 6, 12, 14],
        [5, 7, 13, 15],
    ]
    assert engine.fold(cols, 4, 2, stride=2).tolist() == x.tolist()  # no overlap: fold undoes it


def test_rows_are_channel_major_then_kernel_row_then_kernel_column() -> None:
    x = np.stack([np.full((3, 3), 10.0), np.full((3, 3), 20.0)])  # channel 0: 10s, channel 1: 20s
    x[0, 0, 1] = 11.0  # channel 0, row 0, column 1
    cols = engine.unfold(x, 2)  # (2·2·2, 4)
    assert cols.shape == (8, 4)
    assert cols[:4].min() == 10.0 and cols[4:].min() == 20.0  # rows 0-3: channel 0
    assert cols[1, 0] == 11.0  # row (0·2 + 0)·2 + 1: channel 0, kernel cell (0, 1), window 0
    assert cols[0, 1] == 11.0  # kernel cell (0, 0) of window (0, 1)


def test_padding_puts_zeros_into_the_columns() -> None:
    cols = engine.unfold(np.ones((1, 2, 2)), 3, padding=1)  # 2×2 input, four 3×3 windows
    assert cols.shape == (9, 4)
    assert cols.sum(axis=0).tolist() == [4, 4, 4, 4]  # each window sees all 4 real cells
    assert cols[:, 0].tolist() == [0, 0, 0, 0, 1, 1, 0, 1, 1]


def test_float32_in_float32_out_and_integers_in_float64() -> None:
    x = np.ones((1, 2, 4, 4), np.float32)
    cols = engine.unfold(x, 3)
    assert cols.dtype == np.float32
    assert engine.fold(cols, 4, 3).dtype == np.float32
    assert engine.unfold(np.ones((1, 4, 4), int), 2).dtype == np.float64


def test_unbatched_and_empty_batches() -> None:
    x = np.random.default_rng(0).standard_normal((2, 5, 4))
    assert np.array_equal(engine.unfold(x, 2), engine.unfold(x[None], 2)[0])
    assert engine.unfold(np.zeros((0, 2, 5, 4)), 2).shape == (0, 8, 12)
    assert engine.fold(np.zeros((0, 8, 12)), (5, 4), 2).shape == (0, 2, 5, 4)


def test_the_lecture_names_are_the_same_functions() -> None:
    assert engine.im2col is engine.unfold
    assert engine.col2im is engine.fold


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: engine.unfold(np.zeros((1, 1, 4, 4)), 5), "kernel 5 is larger than"),
        (
            lambda: engine.unfold(np.zeros((1, 1, 4, 4)), 3, dilation=2),
            "kernel 3 (dilated to 5) is larger than the padded input 4",
        ),
        (lambda: engine.unfold(np.zeros((1, 1, 4, 4)), 0), "kernel_size must be positive"),
        (lambda: engine.unfold(np.zeros((1, 1, 4, 4)), 2, stride=0), "stride must be positive"),
        (lambda: engine.unfold(np.zeros((1, 1, 4, 4)), 2, padding=-1), "padding must be zero"),
        (lambda: engine.unfold(np.zeros((1, 1, 4, 4)), 2, padding="same"), "int or a pair"),
        (lambda: engine.unfold(np.zeros((4, 4)), 2), "3-D (C, H, W) or 4-D (N, C, H, W)"),
        (lambda: engine.unfold(np.zeros((1, 0, 4, 4)), 2), "at least one channel"),
        (lambda: engine.unfold(np.zeros((1, 1, 4, 4), complex), 2), "real numbers"),
        (lambda: engine.fold(np.zeros((8, 9)), 4, 3), "not a positive multiple of"),
        (lambda: engine.fold(np.zeros((9, 5)), 4, 3), "has 2·2 = 4 windows"),
        (lambda: engine.fold(np.zeros((9,)), 4, 3), "(N, C·kH·kW, L) or (C·kH·kW, L)"),
        (lambda: engine.fold(np.zeros((9, 4)), 0, 3), "output_size must be positive"),
        (lambda: engine.unfold_output_shape((1, 4, 4), 2, padding=(1, 2, 3)), "pair of ints"),
        (lambda: engine.unfold_output_shape((4, 4), 2), "(N, C, H, W) or (C, H, W)"),
    ],
)
def test_invalid_arguments_explain_themselves(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError) as err:
        call()
    assert message in str(err.value)


def test_the_reference_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        reference.unfold(np.zeros((1, 3, 3)), 4)
    with pytest.raises(ValueError, match="do not fit"):
        reference.fold(np.zeros((9, 5)), 4, 3)
