"""Numerical gradients by central differences, and the relative error used to compare them.

To check a backward function: pick a random ``grad_out`` (dL/dO), so the loss is
``L(x) = Σ f(x) · grad_out``; then ``dL/dx`` from the backward function should match

    dL/dx[i] ≈ (L(x + h·e_i) - L(x - h·e_i)) / 2h

whose error is O(h²) plus rounding of about ``eps·|L| / h``. For the (bi)linear maps of this
engine the O(h²) term vanishes, and with data on a grid of powers of two (say multiples of 1/8)
and a power-of-two ``h`` no rounding happens at all, so the check is exact.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["gradient_error", "numerical_gradient", "rel_error"]

DEFAULT_STEP = 2.0**-20
"""About 1e-6, and a power of two, so ``x ± h`` is exact for data on a binary grid."""


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    grad_out: np.ndarray | None = None,
    h: float = DEFAULT_STEP,
) -> np.ndarray:
    """Central-difference estimate of ``d/dx Σ f(x) · grad_out`` (grad_out defaults to ones).

    ``f`` is called 2·x.size times on a float64 copy of ``x`` that has one entry nudged by ±h;
    ``x`` itself is not modified. Returns an array of x's shape, in float64.
    """
    point = np.array(x, dtype=np.float64, copy=True)
    weights = None if grad_out is None else np.asarray(grad_out, dtype=np.float64)
    grad = np.zeros_like(point)
    flat_point, flat_grad = point.reshape(-1), grad.reshape(-1)

    def loss() -> float:
        out = np.asarray(f(point), dtype=np.float64)
        return float(out.sum() if weights is None else (out * weights).sum())

    for i in range(flat_point.size):
        old = flat_point[i]
        flat_point[i] = old + h
        plus = loss()
        flat_point[i] = old - h
        minus = loss()
        flat_point[i] = old
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a: object, b: object, tiny: float = 1e-8) -> float:
    """CS231n's relative error: ``max |a - b| / max(|a| + |b|, tiny)``, elementwise.

    About 1e-7 or less means the gradients agree; 1e-2 or more means a bug. ``tiny`` keeps
    entries that are both (nearly) zero from dividing by zero.
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"cannot compare arrays of shapes {x.shape} and {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(tiny, np.abs(x) + np.abs(y))))


def gradient_error(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    analytic: np.ndarray,
    grad_out: np.ndarray | None = None,
    h: float = DEFAULT_STEP,
) -> float:
    """``rel_error`` between an analytic gradient and :func:`numerical_gradient`."""
    return rel_error(analytic, numerical_gradient(f, x, grad_out, h))
