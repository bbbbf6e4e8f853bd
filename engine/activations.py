"""ReLU and its gradient, for chained exercises (conv -> relu -> pool)."""

from __future__ import annotations

import numpy as np

from ._params import as_array, float_dtype

__all__ = ["relu", "relu_backward"]


def relu(input: object, inplace: bool = False) -> np.ndarray:
    """``max(x, 0)`` elementwise, any shape; NaN stays NaN (as PyTorch).

    With ``inplace=True`` a float array is overwritten and returned, like ``F.relu(x, True)``.
    """
    x = as_array(input, "input")
    dtype = float_dtype(x)
    if inplace and isinstance(input, np.ndarray) and input.dtype == dtype:
        return np.maximum(input, 0, out=input)
    return np.maximum(x.astype(dtype, copy=False), 0)


def relu_backward(grad_out: object, input: object) -> np.ndarray:
    """``dL/dx = dL/dy · [x > 0]``: the gradient passes where the input was positive.

    At exactly 0 the gradient is 0, and a NaN input lets it through, as in PyTorch
    (``threshold_backward`` zeroes where ``x <= 0``).
    """
    x = as_array(input, "input")
    g = as_array(grad_out, "grad_out")
    if g.shape != x.shape:
        raise ValueError(f"grad_out has shape {g.shape}, but relu's output has shape {x.shape}")
    dtype = float_dtype(x, g)
    return np.where(x <= 0, 0, g).astype(dtype, copy=False)
