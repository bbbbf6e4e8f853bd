"""max_pool2d / avg_pool2d: the fast engine against the reference loops, and their rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import reference, shapes

SETTINGS = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class PoolCase:
    x: np.ndarray
    kernel: tuple[int, int] | int
    stride: tuple[int, int] | int | None
    padding: tuple[int, int] | int
    dilation: tuple[int, int] | int
    ceil_mode: bool

    @property
    def max_kwargs(self) -> dict[str, object]:
        return {
            "kernel_size": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "ceil_mode": self.ceil_mode,
        }


@st.composite
def pool_cases(draw: st.DrawFn, dilated: bool = True) -> PoolCase:
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilated else (1, 1)
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    stride = draw(
        st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
    )
    low_h = max(1, dh * (kh - 1) + 1 - 2 * ph)
    low_w = max(1, dw * (kw - 1) + 1 - 2 * pw)
    h, w = draw(st.integers(low_h, low_h + 5)), draw(st.integers(low_w, low_w + 5))
    shape: tuple[int, ...] = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w)
    if draw(st.integers(0, 5)) == 0:
        shape = shape[1:]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["ties", "real", "special"]))
    if kind == "ties":  # few distinct values: ties everywhere
        x = rng.integers(-2, 3, size=shape).astype(np.float64)
    else:
        x = rng.standard_normal(shape)
    if kind == "special":
        flat = x.reshape(-1)
        picks = rng.integers(0, flat.size, size=3)
        flat[picks] = rng.choice([np.nan, -np.inf, np.inf], size=3)
    kernel = (kh, kw) if kh != kw or draw(st.booleans()) else kh
    padding = (ph, pw) if ph != pw or draw(st.booleans()) else ph
    dilation = (dh, dw) if dh != dw or draw(st.booleans()) else dh
    return PoolCase(x, kernel, stride, padding, dilation, draw(st.booleans()))


def valid(case: PoolCase) -> bool:
    """Some drawn configurations are invalid (a window sees only padding); skip those."""
    try:
        shapes.max_pool2d_output_shape(case.x.shape, **case.max_kwargs)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def close(fast: np.ndarray, ref: np.ndarray) -> bool:
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    return fast.shape == ref.shape and float(np.abs(fast - ref).max(initial=0.0)) <= 1e-12 * scale


# --- max pooling ------------------------------------------------------------------------------


@SETTINGS
@given(pool_cases())
def test_max_pool2d_matches_reference(case: PoolCase) -> None:
    if not valid(case):
        with pytest.raises(ValueError, match="only padding"):
            engine.max_pool2d(case.x, **case.max_kwargs)  # type: ignore[arg-type]
        return
    want, want_idx = reference.max_pool2d(case.x, **case.max_kwargs, return_indices=True)
    got, idx = engine.max_pool2d(case.x, **case.max_kwargs, return_indices=True)
    plain = engine.max_pool2d(case.x, **case.max_kwargs)
    shape = shapes.max_pool2d_output_shape(case.x.shape, **case.max_kwargs)  # type: ignore[arg-type]
    assert got.shape == idx.shape == plain.shape == want.shape == shape
    assert idx.dtype == np.int64
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(plain, want, equal_nan=True)
    assert np.array_equal(idx, want_idx)
    # every index points into the unpadded plane at the value it reports
    planes = case.x.reshape(*case.x.shape[:-2], -1)
    picked = np.take_along_axis(planes, idx.reshape(*idx.shape[:-2], -1), axis=-1)
    assert np.array_equal(picked.reshape(got.shape), got, equal_nan=True)


@SETTINGS
@given(pool_cases())
def test_max_pool2d_backward_matches_reference(case: PoolCase) -> None:
    if not valid(case):
        return
    out = reference.max_pool2d(case.x, **case.max_kwargs)
    grad_out = np.random.default_rng(5).integers(-3, 4, size=out.shape).astype(float)
    got = engine.max_pool2d_backward(grad_out, case.x, **case.max_kwargs)
    want = reference.max_pool2d_backward(grad_out, case.x, **case.max_kwargs)
    assert got.shape == case.x.shape
    assert np.array_equal(got, want)
    assert got.sum() == grad_out.sum()  # every window hands on its whole gradient


def test_ties_go_to_the_first_maximum_in_row_major_order() -> None:
    x = np.array([[[[0.0, 7.0], [7.0, 7.0]]]])
    out, idx = engine.max_pool2d(x, 2, return_indices=True)
    assert out[0, 0, 0, 0] == 7.0 and idx[0, 0, 0, 0] == 1  # (0, 1) before (1, 0) and (1, 1)
    grad = engine.max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
    assert np.array_equal(grad, [[[[0.0, 1.0], [0.0, 0.0]]]])
    flat = np.full((1, 1, 3, 3), 2.0)
    _, idx = engine.max_pool2d(flat, 2, stride=1, return_indices=True)
    assert np.array_equal(idx[0, 0], [[0, 1], [3, 4]])  # each window's top-left cell


def test_overlapping_windows_accumulate_the_gradient() -> None:
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = 5.0  # the peak is the maximum of every window that contains it
    out = engine.max_pool2d(x, 3, stride=1, padding=1)
    grad = engine.max_pool2d_backward(np.ones_like(out), x, 3, stride=1, padding=1)
    windows_holding_peak = 9  # rows 0..2 by columns 1..3 of the 4×4 output
    assert grad[0, 0, 1, 2] == windows_holding_peak
    assert grad.sum() == out.size
    assert np.array_equal(grad, reference.max_pool2d_backward(np.ones_like(out), x, 3, 1, 1))


def test_padding_counts_as_minus_infinity() -> None:
    x = -np.ones((1, 1, 3, 3))
    out, idx = engine.max_pool2d(x, 3, stride=1, padding=1, return_indices=True)
    assert np.array_equal(out, -np.ones((1, 1, 3, 3)))  # zero padding would have given 0
    assert idx.min() >= 0 and idx.max() < 9
    # an all -inf window reports its first *real* cell, as PyTorch does
    x = np.full((1, 1, 2, 2), -np.inf)
    _, idx = engine.max_pool2d(x, 2, stride=1, padding=1, return_indices=True)
    assert np.array_equal(idx[0, 0], [[0, 0, 1], [0, 0, 1], [2, 2, 3]])


def test_nan_wins_like_pytorch() -> None:
    x = np.array([[[[1.0, np.nan, 3.0, np.nan]]]])
    out, idx = engine.max_pool2d(x, (1, 4), return_indices=True)
    assert np.isnan(out[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 3  # `v > best or isnan(v)`


def test_ceil_mode_keeps_the_last_window_inside_the_input_or_left_padding() -> None:
    # 6 wide, kernel 3, stride 2: floor gives 2 windows, ceil a third one starting at 4
    assert shapes.pool_output_size(6, 3, 2) == 2
    assert shapes.pool_output_size(6, 3, 2, ceil_mode=True) == 3
    x = np.arange(6.0).reshape(1, 1, 1, 6)
    assert np.array_equal(engine.max_pool2d(x, (1, 3), (1, 2), ceil_mode=True), [[[[2, 4, 5]]]])
    # 5 wide, padding 1, kernel 2, stride 2: a 4th ceil window would start in the right padding
    assert shapes.pool_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    # but a window may start in the *left* padding and run past the end
    assert shapes.pool_output_size(3, 4, 2, padding=0, ceil_mode=True) == 1
    x = np.array([[[[1.0, 2.0, 3.0]]]])
    assert engine.max_pool2d(x, (1, 4), (1, 2), ceil_mode=True)[0, 0, 0, 0] == 3.0


def test_stride_defaults_to_the_kernel_size() -> None:
    x = np.arange(16.0).reshape(1, 4, 4)
    assert np.array_equal(engine.max_pool2d(x, 2), [[[5, 7], [13, 15]]])
    assert np.array_equal(engine.max_pool2d(x, 2, stride=()), engine.max_pool2d(x, 2, 2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel_size": 3, "padding": 2}, "padding 2 should be at most half the kernel size 3"),
        ({"kernel_size": 2, "dilation": 3, "padding": 2}, "kernel_size // 2 = 1"),
        ({"kernel_size": 7}, "kernel 7 is larger than the padded input 5"),
        ({"kernel_size": 3, "dilation": 3}, "kernel 3 (dilated to 7) is larger"),
        ({"kernel_size": 0}, "kernel_size must be positive"),
        (
            {"kernel_size": (1, 2), "stride": 1, "padding": (0, 1), "dilation": (1, 5)},
            "would see only padding",
        ),
    ],
)
def test_invalid_max_pool_configurations(kwargs: dict[str, object], message: str) -> None:
    x = np.zeros((1, 1, 5, 4 if "dilation" in kwargs else 5))
    with pytest.raises(ValueError) as err:
        engine.max_pool2d(x, **kwargs)  # type: ignore[arg-type]
    assert message in str(err.value)


# --- average pooling --------------------------------------------------------------------------


@SETTINGS
@given(pool_cases(dilated=False), st.booleans(), st.sampled_from([None, 1, 3]))
def test_avg_pool2d_matches_reference(
    case: PoolCase, count_include_pad: bool, divisor_override: int | None
) -> None:
    x = np.nan_to_num(case.x, nan=0.5, posinf=2.0, neginf=-2.0)
    kwargs = {
        "kernel_size": case.kernel,
        "stride": case.stride,
        "padding": case.padding,
        "ceil_mode": case.ceil_mode,
        "count_include_pad": count_include_pad,
        "divisor_override": divisor_override,
    }
    want = reference.avg_pool2d(x, **kwargs)
    got = engine.avg_pool2d(x, **kwargs)
    assert got.shape == shapes.avg_pool2d_output_shape(
        x.shape, case.kernel, case.stride, case.padding, case.ceil_mode
    )
    assert close(got, want)
    grad_out = np.random.default_rng(3).standard_normal(want.shape)
    assert close(
        engine.avg_pool2d_backward(grad_out, x, **kwargs),
        reference.avg_pool2d_backward(grad_out, x, **kwargs),
    )


def test_avg_pool_divisors_at_the_border() -> None:
    x = np.ones((1, 1, 3, 3))
    with_pad = engine.avg_pool2d(x, 3, stride=1, padding=1)
    without = engine.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
    assert with_pad[0, 0, 0, 0] == 4 / 9 and with_pad[0, 0, 1, 1] == 1.0
    assert np.array_equal(without, np.ones((1, 1, 3, 3)))
    assert engine.avg_pool2d(x, 3, divisor_override=2)[0, 0, 0, 0] == 4.5
    # a ceil_mode window running past the padded input is clipped to it
    row = np.array([[[[1.0, 2.0, 3.0]]]])
    assert np.array_equal(engine.avg_pool2d(row, (1, 4), (1, 2), ceil_mode=True), [[[[2.0]]]])
    assert np.array_equal(
        engine.avg_pool2d(row, (1, 4), (1, 2), padding=(0, 2), ceil_mode=True),
        [[[[0.75, 1.5, 1.0]]]],
    )


def test_pooling_keeps_float32_and_unbatched_shapes() -> None:
    x = np.random.default_rng(0).standard_normal((3, 6, 6)).astype(np.float32)
    for out in (
        engine.max_pool2d(x, 2),
        engine.avg_pool2d(x, 2),
        engine.max_pool2d_backward(np.ones((3, 3, 3), np.float32), x, 2),
        engine.avg_pool2d_backward(np.ones((3, 3, 3), np.float32), x, 2),
    ):
        assert out.dtype == np.float32
    assert engine.max_pool2d(x, 2).shape == (3, 3, 3)
    assert engine.max_pool2d_backward(np.ones((3, 3, 3)), x, 2).shape == x.shape


def test_pool_grad_shape_is_checked() -> None:
    with pytest.raises(ValueError, match=r"grad_out has shape \(1, 1, 2, 2\), but max_pool2d"):
        engine.max_pool2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 6, 6)), 2)
    with pytest.raises(ValueError, match="avg_pool2d's output has shape"):
        engine.avg_pool2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 6, 6)), 2)
