"""A student can check any answer in PyTorch: same names, arguments, layout and numbers.

Runs only where torch is installed (the optional ``bench`` extra); float64 must agree to
rounding, indices exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from tests.torch_parity import grads_of, parity_settings, same

torch = pytest.importorskip("torch")
F = torch.nn.functional

SETTINGS = parity_settings(40)


@SETTINGS
@given(
    st.integers(1, 2),
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 3),
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
    st.integers(0, 2**32 - 1),
)
def test_conv2d_and_its_gradients_match_pytorch(
    groups, per_group, kh, kw, stride, dilation, padding, seed
) -> None:
    rng = np.random.default_rng(seed)
    cin, cout = groups * per_group, groups * 2
    x = rng.standard_normal((2, cin, 8, 7))
    w = rng.standard_normal((cout, per_group, kh, kw))
    b = rng.standard_normal(cout)
    kw_ = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    ours = engine.conv2d(x, w, b, **kw_)
    g = rng.standard_normal(ours.shape)
    theirs, grads = grads_of(lambda *t: F.conv2d(*t, **kw_), [x, w, b], g)
    assert same(ours, theirs)
    for mine, their in zip(engine.conv2d_backward(g, x, w, **kw_), grads, strict=True):
        assert same(mine, their)


@SETTINGS
@given(
    st.integers(1, 2),
    st.integers(1, 3),
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(0, 1), st.integers(0, 1)),
    st.integers(0, 2),
    st.integers(0, 2**32 - 1),
)
def test_conv_transpose2d_and_its_gradients_match_pytorch(
    groups, k, stride, dilation, padding, op, seed
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2 * groups, 4, 5))
    w = rng.standard_normal((2 * groups, 3, k, k))
    b = rng.standard_normal(3 * groups)
    output_padding = tuple(op % max(s, d) for s, d in zip(stride, dilation, strict=True))
    kw_ = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "groups": groups,
        "dilation": dilation,
    }
    ours = engine.conv_transpose2d(x, w, b, **kw_)
    g = rng.standard_normal(ours.shape)
    theirs, grads = grads_of(lambda *t: F.conv_transpose2d(*t, **kw_), [x, w, b], g)
    assert same(ours, theirs)
    for mine, their in zip(engine.conv_transpose2d_backward(g, x, w, **kw_), grads, strict=True):
        assert same(mine, their)


@SETTINGS
@given(
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
    st.integers(1, 3),
    st.integers(0, 1),
    st.integers(1, 2),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_pooling_matches_pytorch(kernel, stride, padding, dilation, ceil_mode, ties, seed) -> None:
    rng = np.random.default_rng(seed)
    padding = min(padding, kernel[0] // 2, kernel[1] // 2)
    shape = (2, 3, 7, 6)
    x = rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    kw_ = {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode}
    try:
        theirs, their_idx = F.max_pool2d(
            torch.tensor(x), **kw_, dilation=dilation, return_indices=True
        )
    except RuntimeError:
        with pytest.raises(ValueError):
            engine.max_pool2d(x, **kw_, dilation=dilation)
        return
    ours, idx = engine.max_pool2d(x, **kw_, dilation=dilation, return_indices=True)
    assert same(ours, theirs) and np.array_equal(idx, their_idx.numpy())
    g = rng.standard_normal(ours.shape)
    _, (grad,) = grads_of(lambda t: F.max_pool2d(t, **kw_, dilation=dilation), [x], g)
    assert same(engine.max_pool2d_backward(g, x, **kw_, dilation=dilation), grad)
    for include_pad in (True, False):
        a_kw = {**kw_, "count_include_pad": include_pad}
        ours = engine.avg_pool2d(x, **a_kw)
        g = rng.standard_normal(ours.shape)
        theirs, (grad,) = grads_of(lambda t, a=a_kw: F.avg_pool2d(t, **a), [x], g)
        assert same(ours, theirs)
        assert same(engine.avg_pool2d_backward(g, x, **a_kw), grad)


def test_float32_matches_pytorch_float32() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    ours = engine.conv2d(x, w, padding=1)
    theirs = F.conv2d(torch.tensor(x), torch.tensor(w), padding=1)
    assert same(ours, theirs, rtol=1e-5)


def test_relu_matches_pytorch() -> None:
    x = np.array([-1.0, 0.0, 2.0, np.nan])
    g = np.array([1.0, 2.0, 3.0, 4.0])
    out, (grad,) = grads_of(F.relu, [x], g)
    assert np.array_equal(engine.relu(x), out.detach().numpy(), equal_nan=True)
    assert np.array_equal(engine.relu_backward(g, x), grad.numpy())
