"""Batch norm as PyTorch computes it: ``F.batch_norm``'s output, running buffers and gradients.

Runs only where torch is installed (the optional ``bench`` extra); float64 must agree to
rounding, float32 to float32 rounding.
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
    st.sampled_from([(4, 3), (2, 3, 4, 5), (1, 2, 3, 3), (3, 1, 1, 2)]),
    st.booleans(),
    st.sampled_from([0.1, 0.5, 1.0]),
    st.sampled_from([1e-5, 1e-3]),
    st.integers(0, 2**32 - 1),
)
def test_batch_norm_and_its_gradients_match_pytorch(shape, training, momentum, eps, seed) -> None:
    rng = np.random.default_rng(seed)
    channels = shape[1]
    x = rng.standard_normal(shape) * 3 + 1
    w, b = rng.standard_normal(channels), rng.standard_normal(channels)
    mean, var = rng.standard_normal(channels), rng.random(channels) + 0.5
    their_mean, their_var = torch.tensor(mean), torch.tensor(var)
    our_mean, our_var = mean.copy(), var.copy()
    kw_ = {"training": training, "momentum": momentum, "eps": eps}
    ours = engine.batch_norm2d(x, our_mean, our_var, w, b, **kw_)
    g = rng.standard_normal(shape)
    theirs, grads = grads_of(
        lambda *t: F.batch_norm(t[0], their_mean, their_var, t[1], t[2], **kw_), [x, w, b], g
    )
    assert same(ours, theirs)
    assert same(our_mean, their_mean) and same(our_var, their_var)
    # the backward pass reads the buffers as the forward pass did (before its update)
    mine = engine.batch_norm2d_backward(g, x, w, var, training, eps, running_mean=mean)
    for our_grad, their_grad in zip(mine, grads, strict=True):
        assert same(our_grad, their_grad, rtol=1e-11)


@SETTINGS
@given(st.sampled_from([(2, 3), (2, 2, 2, 2), (3, 1, 2, 1)]), st.integers(0, 2**32 - 1))
def test_without_affine_parameters_or_buffers_as_pytorch(shape, seed) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, shape).astype(float)
    x.reshape(-1)[0] = 7.0  # never a constant channel
    ours = engine.batch_norm2d(x, training=True)
    assert same(ours, F.batch_norm(torch.tensor(x), None, None, training=True))
    g = rng.standard_normal(shape)
    _, (grad,) = grads_of(lambda t: F.batch_norm(t, None, None, training=True), [x], g)
    assert same(engine.batch_norm2d_backward(g, x)[0], grad, rtol=1e-11)


def test_float32_matches_pytorch_float32() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 6, 6)).astype(np.float32)
    w, b = rng.standard_normal(8).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    mean, var = np.zeros(8, np.float32), np.ones(8, np.float32)
    their_mean, their_var = torch.tensor(mean), torch.tensor(var)
    ours = engine.batch_norm2d(x, mean, var, w, b, training=True)
    theirs = F.batch_norm(
        torch.tensor(x), their_mean, their_var, torch.tensor(w), torch.tensor(b), training=True
    )
    assert same(ours, theirs, rtol=1e-5)
    assert same(mean, their_mean, rtol=1e-6) and same(var, their_var, rtol=1e-6)


def test_the_same_inputs_are_refused() -> None:
    """Where PyTorch refuses (one value per channel in training, a wrong-sized buffer, no running
    statistics in evaluation), the engine raises a ValueError saying so."""
    cases = [
        ((np.ones((1, 3, 1, 1)), None, None), {"training": True}),
        ((np.ones((2, 3)), np.zeros(2), np.ones(2)), {"training": False}),
        ((np.ones((2, 3)), None, None), {"training": False}),
        ((np.ones((2, 3)), np.zeros(3), None), {"training": True}),
    ]
    for (x, mean, var), kw_ in cases:
        as_tensor = [None if a is None else torch.tensor(a) for a in (x, mean, var)]
        with pytest.raises((RuntimeError, ValueError)):
            F.batch_norm(*as_tensor, **kw_)
        with pytest.raises(ValueError):
            engine.batch_norm2d(x, mean, var, **kw_)
