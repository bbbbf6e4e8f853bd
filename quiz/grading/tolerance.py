"""Comparing numbers with a relative + absolute tolerance (never ``==`` on floats)."""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_REL_TOL = 1e-6
"""Relative tolerance: an answer must match the expected value to about 6 significant digits."""
DEFAULT_ABS_TOL = 1e-9
"""Absolute tolerance, for expected values at or near zero."""


def is_close(
    actual: Any,
    expected: Any,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    abs_tol: float = DEFAULT_ABS_TOL,
) -> bool | np.ndarray:
    """Whether ``|actual - expected| <= abs_tol + rel_tol * |expected|``, elementwise for arrays.

    The relative part is measured against the *expected* value (as PrairieLearn and
    ``numpy.isclose`` do), so the student's answer cannot widen its own tolerance. NaN is never
    close to anything; an infinity is close only to the same infinity. Returns a ``bool`` for
    scalars and a boolean array (broadcast as numpy does) otherwise.
    """
    if not (rel_tol >= 0 and abs_tol >= 0):
        raise ValueError(
            f"tolerances must be non-negative; got rel_tol={rel_tol}, abs_tol={abs_tol}"
        )
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(a - e) <= abs_tol + rel_tol * np.abs(e)
    close = np.where(np.isinf(e), a == e, close)
    if close.ndim == 0:
        return bool(close)
    return close
