"""batch_norm2d and its backward: the engine against the reference loops, central differences,
the running buffers, and the rules a student should be able to check (per-channel statistics,
biased variance, a conv bias before it is redundant, evaluation mode is per sample)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import reference
from engine.gradcheck import gradient_error, numerical_gradient

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def close(fast: np.ndarray, ref: np.ndarray, rtol: float = 1e-12) -> bool:
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    return fast.shape == ref.shape and float(np.abs(fast - ref).max(initial=0.0)) <= rtol * scale


@st.composite
def bn_cases(draw: st.DrawFn) -> dict[str, object]:
    """An (N, C) or (N, C, H, W) batch with at least two values per channel, its per-channel
    vectors (each present or not), the mode, momentum, ε and the dtype."""
    channels = draw(st.integers(1, 3))
    if draw(st.booleans()):
        shape: tuple[int, ...] = (draw(st.integers(2, 5)), channels)
    else:
        n, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        if n * h * w == 1:
            n = 2
        shape = (n, channels, h, w)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    x = (rng.standard_normal(shape) * draw(st.sampled_from([1.0, 10.0])) + 3.0).astype(dtype)
    vector = rng.standard_normal(channels).astype(dtype)
    return {
        "x": x,
        "weight": vector if draw(st.booleans()) else None,
        "bias": (rng.standard_normal(channels).astype(dtype) if draw(st.booleans()) else None),
        "running_mean": rng.standard_normal(channels),
        "running_var": rng.random(channels) + 0.25,
        "training": draw(st.booleans()),
        "momentum": draw(st.sampled_from([0.1, 0.5, 1.0, 0.0])),
        "eps": draw(st.sampled_from([1e-5, 1e-3, 0.0])),
        "buffers": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def _forward(case: dict, module) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:  # type: ignore[no-untyped-def]
    """The output and the running buffers afterwards (copies: both sides update their own)."""
    keep = case["buffers"] or not case["training"]
    mean = case["running_mean"].copy() if keep else None
    var = case["running_var"].copy() if keep else None
    out = module.batch_norm2d(
        case["x"],
        mean,
        var,
        case["weight"],
        case["bias"],
        case["training"],
        case["momentum"],
        case["eps"],
    )
    return out, mean, var


@SETTINGS
@given(bn_cases())
def test_batch_norm2d_matches_reference(case: dict) -> None:
    got, got_mean, got_var = _forward(case, engine)
    want, want_mean, want_var = _forward(case, reference)
    single = case["x"].dtype == np.float32 and all(
        case[k] is None or case[k].dtype == np.float32 for k in ("weight", "bias")
    )
    assert got.dtype == (np.float32 if single else np.float64)
    assert got.shape == case["x"].shape
    assert close(got.astype(np.float64), want, rtol=1e-6 if single else 1e-12)
    if got_mean is not None:
        assert close(got_mean, want_mean) and close(got_var, want_var)  # type: ignore[arg-type]


@SETTINGS
@given(bn_cases())
def test_batch_norm2d_backward_matches_reference(case: dict) -> None:
    x = case["x"].astype(np.float64)
    g = np.random.default_rng(case["seed"]).standard_normal(x.shape)
    kwargs = {
        "weight": case["weight"],
        "running_var": case["running_var"],
        "training": case["training"],
        "eps": case["eps"],
        "running_mean": case["running_mean"],
    }
    got = engine.batch_norm2d_backward(g, x, **kwargs)
    want = reference.batch_norm2d_backward(g, x, **kwargs)
    channels = x.shape[1]
    assert [a.shape for a in got] == [x.shape, (channels,), (channels,)]
    for mine, theirs in zip(got, want, strict=True):
        assert close(mine, theirs, rtol=1e-9)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_backward_matches_central_differences(training: bool, flat: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (4, 3) if flat else (2, 3, 2, 3)
    x = rng.standard_normal(shape)
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    g = rng.standard_normal(shape)

    def run(x_: np.ndarray, w_: np.ndarray = weight, b_: np.ndarray = bias) -> np.ndarray:
        return engine.batch_norm2d(x_, mean.copy(), var.copy(), w_, b_, training, eps=1e-3)

    dx, dw, db = engine.batch_norm2d_backward(
        g, x, weight, var, training, eps=1e-3, running_mean=mean
    )
    assert np.allclose(dx, numerical_gradient(run, x, g), rtol=1e-5, atol=1e-7)
    assert np.allclose(dw, numerical_gradient(lambda w: run(x, w), weight, g), atol=1e-7)
    assert np.allclose(db, numerical_gradient(lambda b: run(x, weight, b), bias, g), atol=1e-7)
    assert gradient_error(lambda w: run(x, w), weight, dw, g) < 1e-6


def test_a_worked_example_by_hand() -> None:
    # one channel, m = 4 values 1, 3, 5, 7: μ = 4, σ² = (9 + 1 + 1 + 9)/4 = 5 (biased)
    x = np.array([[[[1.0, 3.0], [5.0, 7.0]]]])
    out = engine.batch_norm2d(x, training=True, eps=0.0)
    assert np.allclose(out[0, 0], np.array([[-3, -1], [1, 3]]) / np.sqrt(5))
    # γ = 2, β = 1 and m = 8 values with μ = 2, σ² = 4 (σ = 2): y = 2·(x - 2)/2 + 1 = x - 1
    x = np.array([[[[6.0, 0.0], [0.0, 4.0]]], [[[0.0, 2.0], [2.0, 2.0]]]])
    out = engine.batch_norm2d(x, weight=[2.0], bias=[1.0], training=True, eps=0.0)
    assert np.array_equal(out, x - 1)
    # backward, γ = 1, σ = 1 (x̂ = x - μ), G = (1, 0, 0, ..., 0): mean(G) = 1/8,
    # mean(G·x̂) = x̂[0]/8, so dx = G - 1/8 - x̂·x̂[0]/8
    x = np.array([[1.0], [-1.0], [1.0], [-1.0], [1.0], [-1.0], [1.0], [-1.0]])
    g = np.zeros_like(x)
    g[0, 0] = 1.0
    dx, dw, db = engine.batch_norm2d_backward(g, x, eps=0.0)
    assert np.allclose(dx[:, 0], [0.75, 0, -0.25, 0, -0.25, 0, -0.25, 0])
    assert dw[0] == 1.0 and db[0] == 1.0


@SETTINGS
@given(bn_cases())
def test_training_normalises_each_channel_to_mean_0_and_variance_1(case: dict) -> None:
    x = case["x"].astype(np.float64)
    out = engine.batch_norm2d(x, training=True, eps=0.0)
    axes = tuple(a for a in range(x.ndim) if a != 1)
    centred = x - x.mean(axis=axes, keepdims=True)
    spread = np.sqrt((centred**2).mean(axis=axes))
    assert np.allclose(out.mean(axis=axes), 0.0, atol=1e-9)
    assert np.allclose(out.var(axis=axes)[spread > 1e-6], 1.0)  # biased: numpy's ddof=0


def test_the_running_buffers_use_momentum_and_the_unbiased_variance() -> None:
    x = np.array([[1.0, 10.0], [3.0, 10.0]])  # channel 0: μ = 2, σ² = 1, unbiased 2
    mean, var = np.zeros(2), np.ones(2)
    out = engine.batch_norm2d(x, mean, var, training=True, momentum=0.1, eps=0.0)
    assert np.allclose(out[:, 0], [-1.0, 1.0])  # normalised with the *biased* variance
    assert np.allclose(mean, [0.2, 1.0]) and np.allclose(var, [1.1, 0.9])
    # evaluation mode reads them and changes nothing
    out = engine.batch_norm2d(x, mean, var, training=False, eps=0.0)
    assert np.allclose(out[:, 0], (x[:, 0] - 0.2) / np.sqrt(1.1))
    assert np.allclose(mean, [0.2, 1.0]) and np.allclose(var, [1.1, 0.9])
    # momentum 1 keeps only the last batch; float32 buffers are updated in place too
    mean32, var32 = np.zeros(2, np.float32), np.ones(2, np.float32)
    engine.batch_norm2d(x, mean32, var32, training=True, momentum=1.0)
    assert mean32.dtype == np.float32 and np.allclose(mean32, [2.0, 10.0])
    assert np.allclose(var32, [2.0, 0.0])


def test_a_conv_bias_before_batch_norm_is_removed_by_the_mean() -> None:
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((3, 2, 5, 5)), rng.standard_normal((4, 2, 3, 3)), np.arange(4.0)
    with_bias = engine.batch_norm2d(engine.conv2d(x, w, b), training=True)
    without = engine.batch_norm2d(engine.conv2d(x, w), training=True)
    assert np.allclose(with_bias, without, atol=1e-12)


def test_evaluation_mode_treats_every_sample_on_its_own() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 2, 2))
    stats = {"running_mean": rng.standard_normal(3), "running_var": rng.random(3) + 0.5}
    whole = engine.batch_norm2d(x, **stats)
    alone = np.concatenate([engine.batch_norm2d(x[n : n + 1], **stats) for n in range(4)])
    assert np.array_equal(whole, alone)
    g = rng.standard_normal(x.shape)
    dx, _, _ = engine.batch_norm2d_backward(g, x, training=False, **stats)
    assert np.allclose(dx, g / np.sqrt(stats["running_var"] + 1e-5)[None, :, None, None])


def test_float32_in_float32_out() -> None:
    x = np.random.default_rng(6).standard_normal((2, 3, 4, 4)).astype(np.float32)
    gamma = np.ones(3, np.float32)
    assert engine.batch_norm2d(x, training=True).dtype == np.float32
    assert engine.batch_norm2d(x, weight=gamma, training=True).dtype == np.float32
    assert engine.batch_norm2d(x, weight=np.ones(3), training=True).dtype == np.float64
    assert engine.batch_norm2d(x.astype(int), training=True).dtype == np.float64
    grads = engine.batch_norm2d_backward(np.ones_like(x), x, gamma)
    assert all(g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: engine.batch_norm2d(np.ones((3, 4, 4)), training=True), r"2-D \(N, C\) or 4-D"),
        (lambda: engine.batch_norm2d(np.ones(3), training=True), "the batch axis is needed"),
        (
            lambda: engine.batch_norm2d(np.ones((2, 3, 2, 2)), np.zeros(2), np.ones(2)),
            r"running_mean must have shape \(C,\) = \(3,\)",
        ),
        (
            lambda: engine.batch_norm2d(np.ones((2, 3)), np.zeros(3), np.ones((3, 1))),
            r"running_var must have shape \(C,\) = \(3,\), one number per channel; got shape",
        ),
        (
            lambda: engine.batch_norm2d(np.ones((2, 3)), weight=np.ones(2), training=True),
            r"weight must have shape \(C,\) = \(3,\)",
        ),
        (
            lambda: engine.batch_norm2d(np.ones((2, 3)), bias=np.ones(4), training=True),
            r"bias must have shape \(C,\)",
        ),
        (
            lambda: engine.batch_norm2d(np.ones((2, 3)), np.zeros(3), None, training=True),
            "both be None or neither",
        ),
        (
            lambda: engine.batch_norm2d(np.ones((1, 3, 1, 1)), training=True),
            "Expected more than 1 value per channel when training",
        ),
        (
            lambda: engine.batch_norm2d(np.ones((1, 3)), training=True),
            r"input size \(1, 3\)",
        ),
        (lambda: engine.batch_norm2d(np.ones((2, 3))), "must be given in evaluation mode"),
        (
            lambda: engine.batch_norm2d(np.ones((2, 1)), [0.0], [1.0], training=True),
            "running_mean must be a float numpy array: training mode updates it in place",
        ),
        (
            lambda: engine.batch_norm2d(
                np.ones((2, 1)), np.zeros(1, int), np.ones(1), training=True
            ),
            "must be a float numpy array",
        ),
        (
            lambda: engine.batch_norm2d(np.ones((2, 1)), training=True, momentum=None),
            "momentum must be a real number",
        ),
        (
            lambda: engine.batch_norm2d_backward(np.ones((2, 3)), np.ones((2, 3, 1, 1))),
            r"grad_out has shape \(2, 3\), but batch norm's output has shape \(2, 3, 1, 1\)",
        ),
        (
            lambda: engine.batch_norm2d_backward(np.ones((2, 3)), np.ones((2, 3)), training=False),
            "must be given in evaluation mode",
        ),
        (
            lambda: engine.batch_norm2d_backward(np.ones((1, 2)), np.ones((1, 2))),
            "Expected more than 1 value per channel",
        ),
        (
            lambda: engine.batch_norm2d(np.array([[1j, 2j]]), training=True),
            "real numbers",
        ),
    ],
)
def test_bad_arguments_are_refused_clearly(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()


def test_a_single_value_per_channel_is_fine_in_evaluation_mode() -> None:
    out = engine.batch_norm2d(np.full((1, 2, 1, 1), 3.0), np.ones(2), np.full(2, 4.0), eps=0.0)
    assert np.array_equal(out.reshape(-1), [1.0, 1.0])
