"""im2col and col2im: ``unfold`` and ``fold``, as ``torch.nn.functional``.

``unfold`` copies every window a convolution would see into one column of a matrix, so the whole
convolution becomes one matrix product (the lecture's "im2col")::

    unfold   input (N, C, H, W)            -> cols (N, C·kH·kW, L),   L = H_out · W_out
    fold     cols  (N, C·kH·kW, L)         -> (N, C, H, W)            (output_size = (H, W))

with ``H_out = floor((H + 2p - d·(kH - 1) - 1)/s) + 1`` (the same for the width, see
``shapes.conv_output_size``). An unbatched (C, H, W) input gives a (C·kH·kW, L) matrix, and an
unbatched (C·kH·kW, L) matrix folds back to (C, H, W). With 0-based indices and X_pad the input
zero-padded by p on each side::

    cols[n][(c·kH + i)·kW + j][y·W_out + x] = X_pad[n][c][s·y + d·i][s·x + d·j]

Rows go channel-major, then kernel row i, then kernel column j (PyTorch's order, the order of
``weight.reshape(C_out, -1)``); columns are the window positions (y, x) in row-major order. So a
convolution without groups is one matrix product::

    conv2d(X, W) = (W.reshape(C_out, -1) @ unfold(X)).reshape(N, C_out, H_out, W_out)

``fold`` is the adjoint of ``unfold``: it adds every column back into its window (overlapping
windows sum up) and drops the padding, so ``<unfold(x), y> = <x, fold(y)>``; ``fold(unfold(x))``
is ``x`` times the number of windows covering each cell. It is also col2im, the input gradient of
the matrix product: ``dL/dX = fold(W_matᵀ @ dL/dO_mat)``.

Arguments follow PyTorch: ``kernel_size``, ``dilation``, ``padding`` and ``stride`` are an int or
an (h, w) pair (padding is symmetric: p zeros on each side; no strings). float32 inputs give
float32 results, everything else float64.
"""

from __future__ import annotations

import numpy as np

from . import shapes
from ._params import as_array, batched, check_spatial, float_dtype
from .shapes import IntOrPair, Pair, as_pair

__all__ = ["col2im", "fold", "im2col", "unfold", "unfold_output_shape"]


def _geometry(
    kernel_size: IntOrPair, dilation: IntOrPair, padding: IntOrPair, stride: IntOrPair
) -> tuple[Pair, Pair, Pair, Pair]:
    """The checked (height, width) pairs: kernel, dilation, padding, stride."""
    if isinstance(padding, str):
        raise ValueError(f"unfold and fold take padding as an int or a pair; got {padding!r}")
    return (
        as_pair(kernel_size, "kernel_size", 1),
        as_pair(dilation, "dilation", 1),
        as_pair(padding, "padding", 0),
        as_pair(stride, "stride", 1),
    )


def _blocks(hw: tuple[int, int], kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Pair:
    """(H_out, W_out): how many windows fit along each axis."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    return (
        shapes.conv_output_size(hw[0], kh, sh, ph, dh, axis="height"),
        shapes.conv_output_size(hw[1], kw, sw, pw, dw, axis="width"),
    )


def unfold_output_shape(
    input_shape: tuple[int, ...],
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> tuple[int, ...]:
    """Shape of ``unfold(x, ...)`` for an input of shape (N, C, H, W) or (C, H, W):
    (N, C·kH·kW, L) or (C·kH·kW, L), with L = H_out · W_out window positions."""
    shape = tuple(input_shape)
    if len(shape) not in (3, 4):
        raise ValueError(f"unfold expects an input of shape (N, C, H, W) or (C, H, W); got {shape}")
    for dim in shape:
        shapes.check_int(dim, "each input dimension", 0)
    if min(shape[-3:]) < 1:
        raise ValueError(f"unfold expects at least one channel, row and column; got {shape}")
    kernel, dilation_hw, padding_hw, stride_hw = _geometry(kernel_size, dilation, padding, stride)
    out_h, out_w = _blocks((shape[-2], shape[-1]), kernel, dilation_hw, padding_hw, stride_hw)
    return (*shape[:-3], shape[-3] * kernel[0] * kernel[1], out_h * out_w)


def _tap(i: int, j: int, out: Pair, dilation: Pair, stride: Pair) -> tuple[slice, slice]:
    """Where kernel tap (i, j) reads in the padded input, for every window at once."""
    (oh, ow), (dh, dw), (sh, sw) = out, dilation, stride
    return (
        slice(dh * i, dh * i + sh * (oh - 1) + 1, sh),
        slice(dw * j, dw * j + sw * (ow - 1) + 1, sw),
    )


def unfold(
    input: object,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> np.ndarray:
    """im2col (PyTorch's ``F.unfold``): every sliding window of the input as one column.

    input (N, C, H, W) or (C, H, W) -> (N, C·kH·kW, L) or (C·kH·kW, L), L = H_out · W_out::

        cols[n][(c·kH + i)·kW + j][y·W_out + x] = X_pad[n][c][s·y + d·i][s·x + d·j]

    so ``conv2d(X, W) = (W.reshape(C_out, -1) @ unfold(X)).reshape(N, C_out, H_out, W_out)``.
    """
    x, unbatched = batched(as_array(input, "input"))
    check_spatial(x)
    kernel, dilation_hw, padding_hw, stride_hw = _geometry(kernel_size, dilation, padding, stride)
    out = _blocks(x.shape[2:], kernel, dilation_hw, padding_hw, stride_hw)
    dtype = float_dtype(x)
    (ph, pw), (kh, kw) = padding_hw, kernel
    n, c, h, w = x.shape
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype)
    padded[:, :, ph : ph + h, pw : pw + w] = x
    cols = np.empty((n, c, kh, kw, out[0], out[1]), dtype)
    for i in range(kh):
        for j in range(kw):
            taps_h, taps_w = _tap(i, j, out, dilation_hw, stride_hw)
            cols[:, :, i, j] = padded[:, :, taps_h, taps_w]
    cols = cols.reshape(n, c * kh * kw, out[0] * out[1])
    return cols[0] if unbatched else cols


def fold(
    input: object,
    output_size: IntOrPair,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> np.ndarray:
    """col2im (PyTorch's ``F.fold``), the adjoint of :func:`unfold`: each column is added back
    into its window of an (H, W) = ``output_size`` image; overlapping windows sum up.

    input (N, C·kH·kW, L) or (C·kH·kW, L) -> (N, C, H, W) or (C, H, W)::

        X_pad[n][c][s·y + d·i][s·x + d·j] += cols[n][(c·kH + i)·kW + j][y·W_out + x]

    then the padding is cut off. L must be the number of windows, H_out · W_out.
    """
    cols = as_array(input, "input")
    if cols.ndim not in (2, 3):
        raise ValueError(
            f"fold expects an input of shape (N, C·kH·kW, L) or (C·kH·kW, L); got {cols.shape}"
        )
    unbatched = cols.ndim == 2
    cols = cols[None] if unbatched else cols
    h, w = as_pair(output_size, "output_size", 1)
    kernel, dilation_hw, padding_hw, stride_hw = _geometry(kernel_size, dilation, padding, stride)
    (kh, kw), (ph, pw) = kernel, padding_hw
    n, rows, length = cols.shape
    if rows == 0 or rows % (kh * kw):
        raise ValueError(
            f"fold's input has {rows} rows, which is not a positive multiple of "
            f"kH·kW = {kh}·{kw} = {kh * kw} (one row per channel and kernel cell)"
        )
    out = _blocks((h, w), kernel, dilation_hw, padding_hw, stride_hw)
    if length != out[0] * out[1]:
        raise ValueError(
            f"fold's input has {length} columns, but an output of size {h}×{w} with this kernel, "
            f"dilation, padding and stride has {out[0]}·{out[1]} = {out[0] * out[1]} windows"
        )
    dtype = float_dtype(cols)
    c = rows // (kh * kw)
    blocks = cols.astype(dtype, copy=False).reshape(n, c, kh, kw, out[0], out[1])
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype)
    for i in range(kh):
        for j in range(kw):
            # one tap's windows never share a cell, so += on the strided view is exact
            taps_h, taps_w = _tap(i, j, out, dilation_hw, stride_hw)
            padded[:, :, taps_h, taps_w] += blocks[:, :, i, j]
    image = np.ascontiguousarray(padded[:, :, ph : ph + h, pw : pw + w])
    return image[0] if unbatched else image


im2col = unfold
"""The lecture's name for :func:`unfold`."""
col2im = fold
"""The lecture's name for :func:`fold`."""
