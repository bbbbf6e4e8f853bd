"""conv2d / conv_transpose2d: the fast engine against the reference loops, and their contracts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import _lowering, reference, shapes

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextmanager
def lowering(path: str) -> Iterator[None]:
    """Force one of the fast paths: "gather" (one im2col GEMM), "taps" (a GEMM per tap, in one
    chunk) or "chunked" (a GEMM per tap over 7 output positions at a time, to test the seams)."""
    saved = (_lowering.GATHER_LIMIT, _lowering.CHUNK_BYTES, _lowering.MIN_CHUNK_COLS)
    _lowering.GATHER_LIMIT = 1 << 62 if path == "gather" else -1
    if path == "chunked":
        _lowering.CHUNK_BYTES, _lowering.MIN_CHUNK_COLS = 1, 7
    try:
        yield
    finally:
        _lowering.GATHER_LIMIT, _lowering.CHUNK_BYTES, _lowering.MIN_CHUNK_COLS = saved


PATHS = ("gather", "taps", "chunked")


def close(fast: np.ndarray, ref: np.ndarray, rtol: float = 1e-10) -> bool:
    """Equal within ``rtol`` relative to the largest reference value."""
    if fast.shape != ref.shape:
        return False
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    return float(np.abs(fast - ref).max(initial=0.0)) <= rtol * scale


@dataclass(frozen=True)
class ConvCase:
    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, int] | int
    padding: tuple[int, int] | int | str
    dilation: tuple[int, int] | int
    groups: int
    exact: bool  # integer-valued data: results must be exact

    @property
    def kwargs(self) -> dict[str, object]:
        return {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
        }


def _data(shape: tuple[int, ...], exact: bool, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if exact:
        return rng.integers(-4, 5, size=shape).astype(np.float64)
    return rng.standard_normal(shape)


@st.composite
def conv_cases(draw: st.DrawFn, transposed: bool = False) -> ConvCase:
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding_kind = draw(st.sampled_from(["int", "pair", "pair", "same", "valid"]))
    if transposed:
        padding_kind = draw(st.sampled_from(["int", "pair"]))
    if padding_kind == "same":
        stride: tuple[int, int] | int = 1
    else:
        stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    if padding_kind == "int":
        padding: tuple[int, int] | int | str = draw(st.integers(0, 2))
    elif padding_kind == "pair":
        padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    else:
        padding = padding_kind
    ph, pw = (
        (padding, padding)
        if isinstance(padding, int)
        else (padding if isinstance(padding, tuple) else (0, 0))
    )
    if transposed:
        # the transposed input may be any size; its output must be positive
        h = draw(st.integers(1, 5))
        w = draw(st.integers(1, 5))
        too_small_h = (h - 1) * sh + dh * (kh - 1) + 1 - 2 * ph < 1
        too_small_w = (w - 1) * sw + dw * (kw - 1) + 1 - 2 * pw < 1
        if too_small_h or too_small_w:
            ph = pw = 0
            padding = 0
    else:
        # the padded input must hold one dilated kernel ("same" pads d·(k-1) in total)
        low_h = 1 if padding == "same" else max(1, dh * (kh - 1) + 1 - 2 * ph)
        low_w = 1 if padding == "same" else max(1, dw * (kw - 1) + 1 - 2 * pw)
        h = draw(st.integers(low_h, low_h + 5))
        w = draw(st.integers(low_w, low_w + 5))
    n = draw(st.integers(1, 2))
    exact = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    unbatched = draw(st.integers(0, 5)) == 0
    x_shape: tuple[int, ...] = (cin, h, w) if unbatched else (n, cin, h, w)
    weight_shape = (cin, cout // groups, kh, kw) if transposed else (cout, cin // groups, kh, kw)
    x = _data(x_shape, exact, seed)
    weight = _data(weight_shape, exact, seed + 1)
    bias = _data((cout,), exact, seed + 2) if draw(st.booleans()) else None
    dilation = (dh, dw) if draw(st.booleans()) or dh != dw else dh
    return ConvCase(x, weight, bias, stride, padding, dilation, groups, exact)


def output_padding_for(case: ConvCase, draw_value: int) -> tuple[int, int]:
    sh, sw = (case.stride, case.stride) if isinstance(case.stride, int) else case.stride
    dh, dw = (case.dilation, case.dilation) if isinstance(case.dilation, int) else case.dilation
    return (draw_value % max(sh, dh), draw_value % max(sw, dw))


# --- forward ----------------------------------------------------------------------------------


@SETTINGS
@given(conv_cases())
def test_conv2d_matches_reference_on_every_path(case: ConvCase) -> None:
    expected = reference.conv2d(case.x, case.weight, case.bias, **case.kwargs)
    shape = shapes.conv2d_output_shape(case.x.shape, case.weight.shape, **case.kwargs)
    assert expected.shape == shape
    for path in PATHS:
        with lowering(path):
            out = engine.conv2d(case.x, case.weight, case.bias, **case.kwargs)
        assert out.shape == shape
        assert out.dtype == np.float64
        if case.exact:
            assert np.array_equal(out, expected), path
        else:
            assert close(out, expected), path


@SETTINGS
@given(conv_cases())
def test_conv2d_backward_matches_reference(case: ConvCase) -> None:
    out_shape = shapes.conv2d_output_shape(case.x.shape, case.weight.shape, **case.kwargs)
    grad_out = _data(out_shape, case.exact, 7)
    has_bias = case.bias is not None
    expected = reference.conv2d_backward(
        grad_out, case.x, case.weight, **case.kwargs, bias=has_bias
    )
    for path in ("taps", "chunked"):
        with lowering(path):
            grads = engine.conv2d_backward(
                grad_out, case.x, case.weight, **case.kwargs, bias=has_bias
            )
        assert grads[0].shape == case.x.shape
        assert grads[1].shape == case.weight.shape
        for got, want in zip(grads, expected, strict=True):
            if want is None:
                assert got is None
            elif case.exact:
                assert np.array_equal(got, want), path
            else:
                assert close(got, want), path


@SETTINGS
@given(conv_cases(transposed=True), st.integers(0, 5))
def test_conv_transpose2d_matches_reference(case: ConvCase, op: int) -> None:
    output_padding = output_padding_for(case, op)
    kwargs = {
        "stride": case.stride,
        "padding": case.padding,
        "output_padding": output_padding,
        "groups": case.groups,
        "dilation": case.dilation,
    }
    expected = reference.conv_transpose2d(case.x, case.weight, case.bias, **kwargs)
    shape = shapes.conv_transpose2d_output_shape(case.x.shape, case.weight.shape, **kwargs)
    assert expected.shape == shape
    for path in ("taps", "chunked"):
        with lowering(path):
            out = engine.conv_transpose2d(case.x, case.weight, case.bias, **kwargs)
            grad_out = _data(shape, case.exact, 11)
            grads = engine.conv_transpose2d_backward(
                grad_out, case.x, case.weight, **kwargs, bias=case.bias is not None
            )
        want_grads = reference.conv_transpose2d_backward(
            grad_out, case.x, case.weight, **kwargs, bias=case.bias is not None
        )
        assert out.shape == shape
        assert np.array_equal(out, expected) if case.exact else close(out, expected)
        for got, want in zip(grads, want_grads, strict=True):
            if want is None:
                assert got is None
            else:
                assert np.array_equal(got, want) if case.exact else close(got, want)


@SETTINGS
@given(conv_cases(), st.integers(0, 5))
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case: ConvCase, op: int) -> None:
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>, and conv_transpose2d(y, w) is exactly
    conv2d_backward's input gradient (for the output_padding that gives x's size back)."""
    if isinstance(case.padding, str):
        return  # conv_transpose2d has no "same"/"valid"
    x4 = case.x if case.x.ndim == 4 else case.x[None]
    sh, sw = (case.stride, case.stride) if isinstance(case.stride, int) else case.stride
    dh, dw = (case.dilation, case.dilation) if isinstance(case.dilation, int) else case.dilation
    kh, kw = case.weight.shape[2:]
    ph, pw = (case.padding, case.padding) if isinstance(case.padding, int) else case.padding
    output_padding = (
        (x4.shape[2] + 2 * ph - dh * (kh - 1) - 1) % sh,
        (x4.shape[3] + 2 * pw - dw * (kw - 1) - 1) % sw,
    )
    if output_padding[0] >= max(sh, dh) or output_padding[1] >= max(sw, dw):
        return
    y = engine.conv2d(x4, case.weight, None, **case.kwargs)
    g = np.random.default_rng(op).integers(-3, 4, size=y.shape).astype(float)
    back = engine.conv_transpose2d(
        g,
        case.weight,
        None,
        case.stride,
        case.padding,
        output_padding,
        case.groups,
        case.dilation,
    )
    assert back.shape == x4.shape
    grad_x, _, _ = engine.conv2d_backward(g, x4, case.weight, **case.kwargs)
    assert np.array_equal(back, grad_x) if case.exact else close(back, grad_x)
    lhs, rhs = float((y * g).sum()), float((x4 * back).sum())
    assert abs(lhs - rhs) <= 1e-9 * max(1.0, abs(lhs))


# --- the notes' formula -----------------------------------------------------------------------


def notes_formula(x: np.ndarray, f: np.ndarray, b: np.ndarray, s: int, swapped: bool) -> np.ndarray:
    """O[u][y][x] = B[u] + Σ_i Σ_j Σ_k I[i][s·y+j][s·x+k]·F[u][i][j][k], or the notes' typo
    I[i][s·x+j][s·y+k] when ``swapped``. x is (C_I, H, W)."""
    c_o, c_i, h_f, w_f = f.shape
    h_o = (x.shape[1] - h_f) // s + 1
    w_o = (x.shape[2] - w_f) // s + 1
    out = np.zeros((c_o, h_o, w_o))
    for u in range(c_o):
        for y in range(h_o):
            for xx in range(w_o):
                total = b[u]
                for i in range(c_i):
                    for j in range(h_f):
                        for k in range(w_f):
                            if swapped:
                                row, col = s * xx + j, s * y + k
                            else:
                                row, col = s * y + j, s * xx + k
                            total += x[i, row, col] * f[u, i, j, k]
                out[u, y, xx] = total
    return out


def test_engine_uses_the_correct_index_form_not_the_notes_swapped_one() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(-5, 6, size=(2, 7, 8)).astype(float)  # non-square: H=7, W=8
    f = rng.integers(-2, 3, size=(3, 2, 3, 3)).astype(float)
    b = np.array([1.0, -2.0, 0.5])
    out = engine.conv2d(x, f, b, stride=2)
    assert out.shape == (3, 3, 3)  # H_O = W_O = 3, so the swapped form is defined too
    correct = notes_formula(x, f, b, 2, swapped=False)
    swapped = notes_formula(x, f, b, 2, swapped=True)
    assert np.array_equal(out, correct)
    assert np.array_equal(reference.conv2d(x, f, b, stride=2), correct)
    assert not np.array_equal(out, swapped)


def test_swapped_form_reads_outside_a_non_square_input() -> None:
    x = np.ones((1, 5, 9))  # H_O = 2, W_O = 4: the swapped form asks for row s·3 + j >= 5
    f = np.ones((1, 1, 3, 3))
    assert engine.conv2d(x, f, stride=2).shape == (1, 2, 4)
    with pytest.raises(IndexError):
        notes_formula(x, f, np.zeros(1), 2, swapped=True)


def test_bias_has_one_number_per_output_channel() -> None:
    x = np.ones((1, 3, 5, 5))
    f = np.ones((4, 3, 3, 3))
    out = engine.conv2d(x, f, np.arange(4.0))
    assert np.array_equal(out[0, :, 0, 0], 27.0 + np.arange(4.0))
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(4,\)") as err:
        engine.conv2d(x, f, np.zeros((4, 3, 3, 3)))
    assert "one bias" in str(err.value) and "C_O × C_I × H_F × W_F" in str(err.value)
    with pytest.raises(ValueError, match="bias must have shape"):
        engine.conv2d(x, f, np.zeros(3))


def test_worked_example_from_the_notes() -> None:
    """A 100×100 image, a 5×5 filter, stride 2: (100 - 5) // 2 + 1 = 48."""
    assert shapes.conv_output_size(100, 5, stride=2) == 48
    out = engine.conv2d(np.zeros((1, 100, 100)), np.zeros((1, 1, 5, 5)), stride=2)
    assert out.shape == (1, 48, 48)


# --- conventions ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_float32_in_float32_out(path: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    with lowering(path):
        out = engine.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2)
        grads = engine.conv2d_backward(np.ones_like(out), x, w, stride=(2, 1), padding=1, groups=2)
        t_out = engine.conv_transpose2d(out, w, b[:4], stride=(2, 1), padding=1, groups=2)
    assert out.dtype == np.float32 and t_out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    expected = reference.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2)
    assert close(out.astype(np.float64), expected, rtol=1e-5)


def test_mixed_and_integer_inputs_compute_in_float64() -> None:
    x = np.arange(16).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 2, 2), dtype=np.int32)
    out = engine.conv2d(x, w)
    assert out.dtype == np.float64
    assert out[0, 0, 0, 0] == 0 + 1 + 4 + 5
    assert engine.conv2d(x.astype(np.float32), w.astype(np.float64)).dtype == np.float64


def test_integer_valued_inputs_give_exact_results() -> None:
    x = np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5)
    w = np.array([[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]]])  # Sobel
    out = engine.conv2d(x, w, padding=1)
    assert np.array_equal(out, reference.conv2d(x, w, padding=1))
    assert out[0, 0, 2, 2] == -8.0  # the ramp rises by 1 per column: 1·(-2) + 2·(-2) + 1·(-2)


def test_unbatched_input_gives_unbatched_output() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6, 7))
    w = rng.standard_normal((4, 3, 3, 2))
    out = engine.conv2d(x, w, padding=(1, 0))
    assert out.shape == (4, 6, 6)
    assert np.array_equal(out, engine.conv2d(x[None], w, padding=(1, 0))[0])
    grad_x, grad_w, grad_b = engine.conv2d_backward(np.ones_like(out), x, w, padding=(1, 0))
    assert grad_x.shape == x.shape and grad_w.shape == w.shape and grad_b.shape == (4,)
    assert engine.conv_transpose2d(out, w, padding=(1, 0)).shape == x.shape


def test_same_padding_keeps_the_size_and_puts_the_odd_zero_last() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 6, 5))
    w = rng.standard_normal((3, 2, 4, 2))  # even kernels: total padding 3 and 1
    out = engine.conv2d(x, w, padding="same")
    assert out.shape == (1, 3, 6, 5)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 2), (0, 1)))
    assert close(out, engine.conv2d(padded, w))
    assert np.array_equal(engine.conv2d(x, w, padding="valid"), engine.conv2d(x, w))


def test_empty_batch() -> None:
    out = engine.conv2d(np.zeros((0, 2, 5, 5)), np.zeros((3, 2, 3, 3)))
    assert out.shape == (0, 3, 3, 3)
    grads = engine.conv2d_backward(out, np.zeros((0, 2, 5, 5)), np.zeros((3, 2, 3, 3)))
    assert grads[0].shape == (0, 2, 5, 5) and np.array_equal(grads[1], np.zeros((3, 2, 3, 3)))


def test_terms_of_one_output_spell_out_the_sum() -> None:
    x = np.arange(32.0).reshape(2, 4, 4)
    w = np.arange(1.0, 37.0).reshape(2, 2, 3, 3)
    terms = reference.conv2d_terms(x, w, channel=1, row=0, column=1, padding=0)
    assert len(terms) == 2 * 3 * 3
    assert terms[0].input_index == (0, 0, 1) and terms[0].weight_index == (1, 0, 0, 0)
    total = sum(t.input_value * t.weight_value for t in terms)
    assert total == engine.conv2d(x, w)[1, 0, 1]


# --- invalid configurations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"x": (1, 1, 10, 10), "w": (1, 1, 7, 7), "dilation": 2},
            "kernel 7 (dilated to 13) is larger than the padded input 10",
        ),
        ({"x": (1, 1, 4, 9), "w": (1, 1, 5, 3)}, "kernel 5 is larger than the padded input 4"),
        (
            {"x": (1, 1, 4, 4), "w": (1, 1, 7, 3), "padding": 1},
            "padded input 6 (input 4 + padding 1 + 1) along the height",
        ),
        (
            {"x": (1, 1, 5, 5), "w": (1, 1, 3, 3), "stride": 2, "padding": "same"},
            "padding='same' needs stride 1",
        ),
        ({"x": (1, 4, 5, 5), "w": (2, 3, 3, 3)}, "expects 3 input channels"),
        (
            {"x": (1, 6, 5, 5), "w": (4, 2, 3, 3), "groups": 4},
            "in_channels 6 is not divisible by groups 4",
        ),
        ({"x": (1, 4, 5, 5), "w": (6, 1, 3, 3), "groups": 4}, "out_channels 6 is not divisible"),
        ({"x": (1, 1, 5, 5), "w": (1, 1, 3, 3), "stride": 0}, "stride must be positive; got 0"),
        ({"x": (1, 1, 5, 5), "w": (1, 1, 3, 3), "padding": -1}, "padding must be zero or more"),
        ({"x": (1, 1, 5, 5), "w": (1, 1, 3, 3), "padding": "full"}, "'valid' or 'same'"),
        ({"x": (1, 1, 5, 5), "w": (1, 1, 3, 3), "stride": (1, 2, 3)}, "pair of ints"),
        ({"x": (1, 1, 5, 5), "w": (1, 1, 3, 3), "dilation": 1.5}, "an int or a pair of ints"),
        ({"x": (5, 5), "w": (1, 1, 3, 3)}, "3-D (C, H, W) or 4-D (N, C, H, W)"),
        ({"x": (1, 1, 5, 5), "w": (1, 3, 3)}, "weight must be 4-D"),
    ],
)
def test_invalid_conv2d_configurations_explain_themselves(
    kwargs: dict[str, object], message: str
) -> None:
    args = dict(kwargs)
    x, w = np.zeros(args.pop("x")), np.zeros(args.pop("w"))  # type: ignore[call-overload]
    with pytest.raises(ValueError) as err:
        engine.conv2d(x, w, **args)
    assert message in str(err.value)


def test_invalid_conv_transpose2d_and_grad_shapes() -> None:
    x, w = np.zeros((1, 2, 3, 3)), np.zeros((2, 1, 3, 3))
    with pytest.raises(ValueError, match="output_padding 2 must be smaller than the stride 2"):
        engine.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="not a string"):
        engine.conv_transpose2d(x, w, padding="same")
    with pytest.raises(ValueError, match="would be -1"):
        engine.conv_transpose2d(np.zeros((1, 2, 1, 1)), np.zeros((2, 1, 1, 1)), padding=1)
    with pytest.raises(ValueError, match=r"grad_out has shape \(1, 1, 2, 2\)"):
        engine.conv2d_backward(
            np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3))
        )
    with pytest.raises(ValueError, match="real numbers"):
        engine.conv2d(np.zeros((1, 1, 3, 3), complex), np.zeros((1, 1, 1, 1)))
