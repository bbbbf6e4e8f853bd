"""2-D convolution and transposed convolution, forward and backward, as ``torch.nn.functional``.

Shapes (NCHW; a single unbatched (C, H, W) input is accepted and gives an unbatched output)::

    conv2d            x (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,)
                      -> (N, C_out, H_out, W_out),  H_out = floor((H + 2p - d·(kH-1) - 1)/s) + 1
    conv_transpose2d  x (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW), bias (C_out,)
                      -> (N, C_out, H_out, W_out),  H_out = (H-1)·s - 2p + d·(kH-1) + op + 1

(the same for the width). Each output value is, with 0-based indices and zero padding,

    O[n][u][y][x] = B[u] + Σ_i Σ_j Σ_k I[n][i][s·y + d·j][s·x + d·k] · F[u][i][j][k]

where i runs over the input channels of u's group. ``conv_transpose2d`` is the adjoint of
``conv2d``: it maps a gradient of conv2d's output to the gradient of its input, so both share
one implementation (see ``_lowering``), and ``reference.py`` spells both out as plain loops.

float32 inputs give float32 results, everything else float64.
"""

from __future__ import annotations

import numpy as np

from . import shapes
from ._lowering import (
    Plan,
    conv_backward,
    conv_forward,
    conv_transpose_backward,
    conv_transpose_forward,
)
from ._params import (
    Conv2dParams,
    as_array,
    batched,
    check_bias,
    check_grad_shape,
    check_spatial,
    float_dtype,
    memo,
)
from .shapes import IntOrPair

__all__ = ["conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward"]

Gradients = tuple[np.ndarray, np.ndarray, np.ndarray | None]


def _prepare(
    x: object, weight: object, bias: object, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool, np.dtype]:
    xa, unbatched = batched(as_array(x, "input"))
    check_spatial(xa)
    wa = as_array(weight, "weight")
    if wa.ndim != 4:
        raise ValueError(
            f"{what} weight must be 4-D (C_out, C_in/groups, kH, kW); got shape {wa.shape}"
        )
    ba = None if bias is None else as_array(bias, "bias")
    dtype = float_dtype(xa, wa, ba)
    return xa, wa, ba, unbatched, dtype


def _unbatch(array: np.ndarray, unbatched: bool) -> np.ndarray:
    return array[0] if unbatched else array


# --- conv2d -----------------------------------------------------------------------------------


Setup = tuple[Conv2dParams, tuple[int, int], Plan]


def _conv2d_setup(
    x: np.ndarray,
    weight: np.ndarray,
    stride: IntOrPair,
    padding: IntOrPair | str,
    dilation: IntOrPair,
    groups: int,
) -> Setup:
    """Check the arguments; return the parameters, (H_out, W_out) and the lowering plan."""

    def compute() -> Setup:
        shape = shapes.conv2d_output_shape(x.shape, weight.shape, stride, padding, dilation, groups)
        params = Conv2dParams.build(weight.shape[2:], stride, padding, dilation, groups)
        return params, (shape[-2], shape[-1]), Plan.build(params, x.shape[0], x.shape[2:])

    key = (
        "conv2d",
        x.shape,
        weight.shape,
        repr(stride),
        repr(padding),
        repr(dilation),
        repr(groups),
    )
    return memo(key, compute)


def conv2d(
    input: object,
    weight: object,
    bias: object = None,
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """Cross-correlation of an image batch with a bank of filters (PyTorch's ``conv2d``).

    input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kH, kW);
    bias (C_out,) or None. Returns (N, C_out, H_out, W_out) with
    ``H_out = floor((H + p_top + p_bottom - d·(kH - 1) - 1) / s) + 1``.
    ``padding`` is an int, a (pad_h, pad_w) pair, ``"valid"`` (no padding) or ``"same"``
    (output as large as the input; stride 1 only, the odd zero goes bottom/right).
    """
    x, w, b, unbatched, dtype = _prepare(input, weight, bias, "conv2d")
    _, out_hw, plan = _conv2d_setup(x, w, stride, padding, dilation, groups)
    check_bias(b, w.shape[0])
    if x.shape[0] == 0:
        return _unbatch(np.zeros((0, w.shape[0], *out_hw), dtype), unbatched)
    b = None if b is None else b.astype(dtype, copy=False)
    out = conv_forward(x.astype(dtype, copy=False), w.astype(dtype, copy=False), b, plan)
    return _unbatch(out, unbatched)


def conv2d_backward(
    grad_out: object,
    input: object,
    weight: object,
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
    bias: bool = True,
) -> Gradients:
    """Gradients of ``conv2d`` given dL/dO: returns (dL/dinput, dL/dweight, dL/dbias or None).

    grad_out has conv2d's output shape (N, C_out, H_out, W_out). With zero padding::

        dL/dF[u][i][j][k] = Σ_n Σ_y Σ_x dL/dO[n][u][y][x] · I[n][i][s·y + d·j][s·x + d·k]
        dL/dI[n][i][s·y + d·j][s·x + d·k] += dL/dO[n][u][y][x] · F[u][i][j][k]   (all u, y, x, j, k)
        dL/dB[u] = Σ_n Σ_y Σ_x dL/dO[n][u][y][x]

    The input gradient is ``conv_transpose2d(grad_out, weight, ...)`` cropped to the input.
    Pass ``bias=False`` when the layer has no bias (the third result is then None).
    """
    x, w, _, unbatched, dtype = _prepare(input, weight, None, "conv2d")
    g = as_array(grad_out, "grad_out")
    dtype = float_dtype(x, w, g)
    _, out_hw, plan = _conv2d_setup(x, w, stride, padding, dilation, groups)
    expected = (x.shape[0], w.shape[0], *out_hw)
    check_grad_shape(g, expected[1:] if unbatched else expected, "conv2d")
    g4 = g[None] if unbatched else g
    x, w, g4 = (a.astype(dtype, copy=False) for a in (x, w, g4))
    grad_b = g4.sum(axis=(0, 2, 3), dtype=dtype) if bias else None
    if x.shape[0] == 0:
        return _unbatch(np.zeros(x.shape, dtype), unbatched), np.zeros(w.shape, dtype), grad_b
    grad_x, grad_w = conv_backward(g4, x, w, plan)
    return _unbatch(grad_x, unbatched), grad_w, grad_b


# --- conv_transpose2d -------------------------------------------------------------------------


def _transpose_setup(
    x: np.ndarray,
    weight: np.ndarray,
    stride: IntOrPair,
    padding: IntOrPair,
    output_padding: IntOrPair,
    groups: int,
    dilation: IntOrPair,
) -> Setup:
    """Check the arguments; return the parameters of the convolution this transposes, the
    output's (H_out, W_out) and the plan (whose "input" is this function's output)."""

    def compute() -> Setup:
        if isinstance(padding, str):
            raise ValueError("conv_transpose2d takes padding as an int or a pair, not a string")
        shape = shapes.conv_transpose2d_output_shape(
            x.shape, weight.shape, stride, padding, output_padding, groups, dilation
        )
        params = Conv2dParams.build(weight.shape[2:], stride, padding, dilation, groups)
        out_hw = (shape[-2], shape[-1])
        return params, out_hw, Plan.build(params, x.shape[0], out_hw)

    key = (
        "conv_transpose2d",
        x.shape,
        weight.shape,
        repr(stride),
        repr(padding),
        repr(output_padding),
        repr(groups),
        repr(dilation),
    )
    return memo(key, compute)


def conv_transpose2d(
    input: object,
    weight: object,
    bias: object = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """Transposed convolution (PyTorch's ``conv_transpose2d``), the adjoint of ``conv2d``.

    input (N, C_in, H, W) or (C_in, H, W); weight (C_in, C_out/groups, kH, kW); bias (C_out,).
    Returns (N, C_out, H_out, W_out), ``H_out = (H - 1)·s - 2p + d·(kH - 1) + output_padding + 1``.
    Each input value spreads a copy of its filter into the output::

        O[n][u][s·y - p + d·j][s·x - p + d·k] += I[n][i][y][x] · F[i][u][j][k]

    which equals the input-gradient of ``conv2d`` with the same settings and weight.
    """
    x, w, b, unbatched, dtype = _prepare(input, weight, bias, "conv_transpose2d")
    params, out_hw, plan = _transpose_setup(x, w, stride, padding, output_padding, groups, dilation)
    check_bias(b, w.shape[1] * params.groups)
    if x.shape[0] == 0:
        return _unbatch(np.zeros((0, w.shape[1] * params.groups, *out_hw), dtype), unbatched)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    out = conv_transpose_forward(x, w, plan, None if b is None else b.astype(dtype, copy=False))
    return _unbatch(out, unbatched)


def conv_transpose2d_backward(
    grad_out: object,
    input: object,
    weight: object,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
    bias: bool = True,
) -> Gradients:
    """Gradients of ``conv_transpose2d``: (dL/dinput, dL/dweight, dL/dbias or None).

    The input gradient is ``conv2d(grad_out, weight, ...)`` (cropped to the input's size), and
    ``dL/dF[i][u][j][k] = Σ_n Σ_y Σ_x I[n][i][y][x] · dL/dO[n][u][s·y - p + d·j][s·x - p + d·k]``.
    """
    x, w, _, unbatched, _ = _prepare(input, weight, None, "conv_transpose2d")
    g = as_array(grad_out, "grad_out")
    dtype = float_dtype(x, w, g)
    params, out_hw, plan = _transpose_setup(x, w, stride, padding, output_padding, groups, dilation)
    out_ch = w.shape[1] * params.groups
    expected = (x.shape[0], out_ch, *out_hw)
    check_grad_shape(g, expected[1:] if unbatched else expected, "conv_transpose2d")
    g4 = g[None] if unbatched else g
    x, w, g4 = (a.astype(dtype, copy=False) for a in (x, w, g4))
    grad_b = g4.sum(axis=(0, 2, 3), dtype=dtype) if bias else None
    if x.shape[0] == 0:
        return _unbatch(np.zeros(x.shape, dtype), unbatched), np.zeros(w.shape, dtype), grad_b
    grad_x, grad_w = conv_transpose_backward(g4, x, w, plan)
    return _unbatch(grad_x, unbatched), grad_w, grad_b
