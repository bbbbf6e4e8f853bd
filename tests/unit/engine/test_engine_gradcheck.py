"""Every backward function against central differences (float64), and the gradcheck helpers.

Data are multiples of 1/8 and the default step is 2**-20, so x ± h and every product and sum
are exact: the central difference of these piecewise-(bi)linear maps is then exact too, and any
disagreement is a bug, not rounding. Max pooling gets distinct values (no ties) so it is
differentiable at the data.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.gradcheck import gradient_error, numerical_gradient, rel_error

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
TOLERANCE = 1e-6


def dyadic(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-16, 17, size=shape) / 8.0


def distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape))
    return (rng.permutation(size) - size / 2).reshape(shape) / 8.0


@st.composite
def conv_settings(draw: st.DrawFn) -> dict[str, object]:
    groups = draw(st.integers(1, 2))
    return {
        "n": draw(st.integers(1, 2)),
        "cin": groups * draw(st.integers(1, 2)),
        "cout": groups * draw(st.integers(1, 2)),
        "k": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "stride": (draw(st.integers(1, 2)), draw(st.integers(1, 3))),
        "padding": (draw(st.integers(0, 1)), draw(st.integers(0, 2))),
        "dilation": (draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        "groups": groups,
        "size": (draw(st.integers(5, 7)), draw(st.integers(5, 7))),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


@SETTINGS
@given(conv_settings())
def test_conv2d_backward_matches_central_differences(c: dict) -> None:
    rng = np.random.default_rng(c["seed"])
    x = dyadic(rng, (c["n"], c["cin"], *c["size"]))
    w = dyadic(rng, (c["cout"], c["cin"] // c["groups"], *c["k"]))
    b = dyadic(rng, (c["cout"],))
    kw = {
        "stride": c["stride"],
        "padding": c["padding"],
        "dilation": c["dilation"],
        "groups": c["groups"],
    }
    out = engine.conv2d(x, w, b, **kw)
    g = dyadic(rng, out.shape)
    grad_x, grad_w, grad_b = engine.conv2d_backward(g, x, w, **kw)
    assert gradient_error(lambda v: engine.conv2d(v, w, b, **kw), x, grad_x, g) < TOLERANCE
    assert gradient_error(lambda v: engine.conv2d(x, v, b, **kw), w, grad_w, g) < TOLERANCE
    assert gradient_error(lambda v: engine.conv2d(x, w, v, **kw), b, grad_b, g) < TOLERANCE


@SETTINGS
@given(conv_settings(), st.integers(0, 3))
def test_conv_transpose2d_backward_matches_central_differences(c: dict, op: int) -> None:
    rng = np.random.default_rng(c["seed"])
    small = (c["size"][0] - 3, c["size"][1] - 3)
    x = dyadic(rng, (c["n"], c["cin"], *small))
    w = dyadic(rng, (c["cin"], c["cout"] // c["groups"], *c["k"]))
    b = dyadic(rng, (c["cout"],))
    (sh, sw), (dh, dw) = c["stride"], c["dilation"]
    kw = {
        "stride": c["stride"],
        "padding": c["padding"],
        "output_padding": (op % max(sh, dh), op % max(sw, dw)),
        "groups": c["groups"],
        "dilation": c["dilation"],
    }
    try:
        out = engine.conv_transpose2d(x, w, b, **kw)
    except ValueError:
        return  # too much padding for this input: the output would be empty
    g = dyadic(rng, out.shape)
    grad_x, grad_w, grad_b = engine.conv_transpose2d_backward(g, x, w, **kw)
    f = engine.conv_transpose2d
    assert gradient_error(lambda v: f(v, w, b, **kw), x, grad_x, g) < TOLERANCE
    assert gradient_error(lambda v: f(x, v, b, **kw), w, grad_w, g) < TOLERANCE
    assert gradient_error(lambda v: f(x, w, v, **kw), b, grad_b, g) < TOLERANCE


@pytest.mark.slow  # numerical gradients, many examples
@SETTINGS
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 1),
    st.integers(1, 2),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_pool_backward_matches_central_differences(
    kh: int, kw: int, s: int, p: int, d: int, ceil_mode: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    p = min(p, kh // 2, kw // 2)
    x = distinct(rng, (2, 2, 6, 7))
    kwargs = {"kernel_size": (kh, kw), "stride": s, "padding": p, "ceil_mode": ceil_mode}
    out = engine.max_pool2d(x, **kwargs, dilation=d)
    g = dyadic(rng, out.shape)
    grad = engine.max_pool2d_backward(g, x, **kwargs, dilation=d)
    f = engine.max_pool2d
    assert gradient_error(lambda v: f(v, **kwargs, dilation=d), x, grad, g) < TOLERANCE
    for include_pad in (True, False):
        a_kwargs = {**kwargs, "count_include_pad": include_pad}
        out = engine.avg_pool2d(x, **a_kwargs)
        # Averages divide by window sizes, so rounding is unavoidable here: keep every gradient
        # entry well away from zero (positive grad_out) and, as the map is linear, take a larger
        # step (exact for linear maps) so the rounding of the loss matters less.
        g = np.abs(dyadic(rng, out.shape)) + 0.125
        grad = engine.avg_pool2d_backward(g, x, **a_kwargs)
        error = gradient_error(
            lambda v, kw=a_kwargs: engine.avg_pool2d(v, **kw), x, grad, g, h=2.0**-10
        )
        assert error < TOLERANCE


def test_relu_backward_matches_central_differences() -> None:
    rng = np.random.default_rng(0)
    x = dyadic(rng, (2, 3, 4, 4))
    x[x == 0] = 0.5  # keep away from the kink
    g = dyadic(rng, x.shape)
    assert gradient_error(engine.relu, x, engine.relu_backward(g, x), g) < TOLERANCE
    assert np.array_equal(engine.relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0])), [0, 0, 1])
    assert engine.relu(np.array([np.nan]))[0] != engine.relu(np.array([np.nan]))[0]  # NaN stays


def test_a_chained_exercise_conv_relu_pool() -> None:
    """Backpropagate by hand through conv -> relu -> max-pool, and check against the whole."""
    rng = np.random.default_rng(4)
    x = distinct(rng, (1, 2, 6, 6))
    w = dyadic(rng, (3, 2, 3, 3))
    b = np.array([0.0625, -0.125, 0.25])

    def forward(v: np.ndarray) -> np.ndarray:
        return engine.max_pool2d(engine.relu(engine.conv2d(v, w, b, padding=1)), 2)

    z = engine.conv2d(x, w, b, padding=1)
    a = engine.relu(z)
    g = dyadic(rng, forward(x).shape)
    grad_a = engine.max_pool2d_backward(g, a, 2)
    grad_z = engine.relu_backward(grad_a, z)
    grad_x, _, _ = engine.conv2d_backward(grad_z, x, w, padding=1)
    assert gradient_error(forward, x, grad_x, g) < TOLERANCE


def test_real_valued_data_also_agree() -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    g = rng.standard_normal(engine.conv2d(x, w, stride=2, padding=1).shape)
    grad_x, grad_w, _ = engine.conv2d_backward(g, x, w, stride=2, padding=1)
    num_x = numerical_gradient(lambda v: engine.conv2d(v, w, stride=2, padding=1), x, g, h=1e-5)
    num_w = numerical_gradient(lambda v: engine.conv2d(x, v, stride=2, padding=1), w, g, h=1e-5)
    assert rel_error(grad_x, num_x) < TOLERANCE
    assert rel_error(grad_w, num_w) < TOLERANCE


# --- the helpers themselves -------------------------------------------------------------------


def test_numerical_gradient_of_a_known_function() -> None:
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda v: v**3, x)
    assert rel_error(grad, 3 * x**2) < 1e-9
    weights = np.array([[1.0, 0.0], [2.0, -1.0]])
    assert np.allclose(numerical_gradient(lambda v: v**2, x, weights), 2 * x * weights)
    assert np.array_equal(x, [[1.0, -2.0], [0.5, 3.0]])  # not modified


def test_rel_error() -> None:
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [3.0]) == pytest.approx(0.5)
    assert rel_error([0.0], [0.0]) == 0.0
    assert rel_error([1e-12], [0.0]) == pytest.approx(1e-4)  # the 1e-8 floor
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.zeros(2), np.zeros(3))
