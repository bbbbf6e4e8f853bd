"""Max and average pooling, forward and backward, as ``torch.nn.functional``.

Shapes: input (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) (or unbatched), with
``H_out = floor((H + 2p - d·(kH - 1) - 1) / s) + 1`` (``ceil`` in ceil_mode, where the last
window must start inside the input or the left padding; see ``shapes.pool_output_size``).
``stride`` defaults to ``kernel_size``. Each plane (n, c) is pooled on its own.

How it is computed: for every tap (j, k) of the window, ``view(j, k)`` is the strided view of
the padded input holding that tap of every window, ``x_pad[:, :, s·y + d·j, s·x + d·k]`` for all
(y, x). Pooling is then a running max or sum over the kH·kW views, and the backward pass adds
the gradient back through the same views, so overlapping windows accumulate by construction.

* max: padding counts as −∞; ties go to the first maximum in row-major window order, NaN wins
  (as PyTorch on the CPU); the gradient flows only to that one position. The forward pass takes
  the maximum over rows, then columns; the backward pass compares each tap with the window's
  maximum and hands the window's gradient to the first tap that matches.
* average: ``sum / divisor`` where the divisor is the window's size clipped to the padded input
  (``count_include_pad=True``), or the number of real input values in it (``False``), or
  ``divisor_override``; the gradient of each window is spread as ``grad / divisor``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, overload

import numpy as np

from ._params import (
    AvgPool2dParams,
    MaxPool2dParams,
    as_array,
    batched,
    check_grad_shape,
    check_spatial,
    float_dtype,
)
from ._scratch import scratch
from .shapes import IntOrPair

__all__ = ["avg_pool2d", "avg_pool2d_backward", "max_pool2d", "max_pool2d_backward"]


# --- shared window machinery ------------------------------------------------------------------


class _Windows:
    """The padded buffer of a pooling layer and the strided view of each window tap."""

    def __init__(
        self,
        shape: tuple[int, ...],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
        dilation: tuple[int, int],
        out_hw: tuple[int, int],
    ) -> None:
        self.shape, self.kernel, self.stride = shape, kernel, stride
        self.padding, self.dilation, self.out_hw = padding, dilation, out_hw
        h, w = shape[2:]
        # In ceil_mode the last window may run past the right padding: make room for it.
        reach = [(out_hw[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1)]
        self.padded_hw = (max(h + 2 * padding[0], reach[0]), max(w + 2 * padding[1], reach[1]))

    @property
    def needs_padding(self) -> bool:
        return self.padded_hw != tuple(self.shape[2:])

    def pad(self, x: np.ndarray, fill: float) -> np.ndarray:
        """x inside a border of ``fill`` (a reused work buffer), or x itself if none is needed."""
        if not self.needs_padding:
            return x
        (ph, pw), (h, w) = self.padding, self.shape[2:]
        padded = scratch("pool_input", (*self.shape[:2], *self.padded_hw), x.dtype)
        padded.fill(fill)
        padded[:, :, ph : ph + h, pw : pw + w] = x
        return padded

    def grad_buffer(self, dtype: np.dtype) -> np.ndarray:
        """Zeros the size of the padded input: the returned array itself when no padding."""
        shape = (*self.shape[:2], *self.padded_hw)
        if not self.needs_padding:
            return np.zeros(shape, dtype)
        return scratch("pool_grad", shape, dtype, zero=True)

    def crop(self, padded: np.ndarray) -> np.ndarray:
        """The unpadded part, as a new array (``padded`` itself when there is no padding)."""
        if not self.needs_padding:
            return padded
        (ph, pw), (h, w) = self.padding, self.shape[2:]
        return padded[:, :, ph : ph + h, pw : pw + w].copy()

    def views(self, padded: np.ndarray) -> Iterator[np.ndarray]:
        """view(j, k) for every tap, in row-major window order."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        ho, wo = self.out_hw
        for j in range(kh):
            for k in range(kw):
                r, c = j * dh, k * dw
                yield padded[:, :, r : r + (ho - 1) * sh + 1 : sh, c : c + (wo - 1) * sw + 1 : sw]

    @property
    def overlapping(self) -> bool:
        """Can one input position belong to two windows?"""
        return any(
            s < d * (k - 1) + 1
            for s, d, k in zip(self.stride, self.dilation, self.kernel, strict=True)
        )

    def real_taps(self, axis: int) -> np.ndarray:
        """(out, k) booleans: does tap j of window y land on the input (not padding)?"""
        size, k, s, p, d = (
            self.shape[2 + axis],
            self.kernel[axis],
            self.stride[axis],
            self.padding[axis],
            self.dilation[axis],
        )
        pos = np.arange(self.out_hw[axis])[:, None] * s - p + np.arange(k)[None, :] * d
        return (pos >= 0) & (pos < size)


def _prepare(x: object) -> tuple[np.ndarray, bool]:
    xa, unbatched = batched(as_array(x, "input"))
    check_spatial(xa)
    return xa.astype(float_dtype(xa), copy=False), unbatched


def _grad(grad_out: object, expected: tuple[int, ...], unbatched: bool, dtype: np.dtype, what: str):
    g = as_array(grad_out, "grad_out")
    check_grad_shape(g, expected[1:] if unbatched else expected, what)
    return (g[None] if unbatched else g).astype(dtype, copy=False)


# --- max pooling ------------------------------------------------------------------------------


def _max_argmax(x: np.ndarray, win: _Windows) -> tuple[np.ndarray, np.ndarray]:
    """Running max over the taps; returns (max, tap number of the chosen element)."""
    views = win.views(win.pad(x, -np.inf))
    best = next(views).copy()
    arg = scratch("pool_arg", best.shape, np.dtype(np.int16), zero=True)
    better = scratch("pool_mask", best.shape, np.dtype(bool))
    has_nan = bool(np.isnan(x).any())
    for t, view in enumerate(views, start=1):
        np.greater(view, best, out=better)
        if has_nan:
            better |= np.isnan(view)  # PyTorch: `val > max || isnan(val)`
        np.copyto(best, view, where=better)
        np.copyto(arg, t, where=better)
    if win.needs_padding:
        # A window whose real values are all -inf keeps its first *real* tap, as PyTorch does.
        stuck = np.isneginf(best)
        if stuck.any():
            first_j = np.argmax(win.real_taps(0), axis=1)
            first_k = np.argmax(win.real_taps(1), axis=1)
            first = first_j[:, None] * win.kernel[1] + first_k[None, :]
            np.copyto(arg, np.broadcast_to(first, arg.shape).astype(np.int16), where=stuck)
    return best, arg


def _separable_max(padded: np.ndarray, win: _Windows, out: np.ndarray | None = None) -> np.ndarray:
    """Max without indices: first over the rows of each window, then over its columns.
    ``padded`` is the input inside its −∞ border (``win.pad(x, -np.inf)``)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = win.kernel, win.stride, win.dilation, win.out_hw
    rows = scratch("pool_rows", (*padded.shape[:2], ho, padded.shape[3]), padded.dtype)
    rows[...] = padded[:, :, 0 : (ho - 1) * sh + 1 : sh, :]
    for j in range(1, kh):
        np.maximum(rows, padded[:, :, j * dh : j * dh + (ho - 1) * sh + 1 : sh, :], out=rows)
    if out is None:
        out = np.empty((*padded.shape[:2], ho, wo), padded.dtype)
    out[...] = rows[:, :, :, 0 : (wo - 1) * sw + 1 : sw]
    for k in range(1, kw):
        np.maximum(out, rows[:, :, :, k * dw : k * dw + (wo - 1) * sw + 1 : sw], out=out)
    return out


def _flat_indices(arg: np.ndarray, win: _Windows) -> np.ndarray:
    """Tap numbers -> indices into the unpadded H·W plane (PyTorch's ``return_indices``)."""
    (kw, (sh, sw), (ph, pw), (dh, dw), (ho, wo)) = (
        win.kernel[1],
        win.stride,
        win.padding,
        win.dilation,
        win.out_hw,
    )
    j, k = np.divmod(arg.astype(np.int64), kw)
    rows = (np.arange(ho) * sh - ph)[:, None] + j * dh
    cols = (np.arange(wo) * sw - pw)[None, :] + k * dw
    return rows * win.shape[3] + cols


def _max_setup(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair,
    ceil_mode: bool,
) -> _Windows:
    p = MaxPool2dParams.build(kernel_size, stride, padding, dilation, ceil_mode)
    out_hw = p.output_hw(*x.shape[2:])
    return _Windows(x.shape, p.kernel, p.stride, p.padding, p.dilation, out_hw)


@overload
def max_pool2d(
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: Literal[False] = False,
) -> np.ndarray: ...


@overload
def max_pool2d(
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
    *,
    return_indices: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def max_pool2d(
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]: ...


def max_pool2d(
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Max pooling: ``O[n][c][y][x] = max_{j,k} I_pad[n][c][s·y + d·j][s·x + d·k]``.

    (N, C, H, W) -> (N, C, H_out, W_out); padding counts as −∞ and may be at most half the
    kernel. With ``return_indices`` also returns, for each output, the int64 index of the
    chosen element in its unpadded H·W plane (``row·W + col``): the first maximum in
    row-major window order.
    """
    x, unbatched = _prepare(input)
    win = _max_setup(x, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices:
        out = _separable_max(win.pad(x, -np.inf), win)
        return out[0] if unbatched else out
    out, arg = _max_argmax(x, win)
    indices = _flat_indices(arg, win)
    return (out[0], indices[0]) if unbatched else (out, indices)


def max_pool2d_backward(
    grad_out: object,
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """Gradient of ``max_pool2d`` w.r.t. its input, given dL/dO of the output's shape.

    ``dL/dI[n][c][a][b] = Σ_{windows (y, x) whose chosen element is (a, b)} dL/dO[n][c][y][x]``:
    each window sends its whole gradient to its (first) maximum; overlapping windows add up.
    """
    x, unbatched = _prepare(input)
    win = _max_setup(x, kernel_size, stride, padding, dilation, ceil_mode)
    g = _grad(grad_out, (*x.shape[:2], *win.out_hw), unbatched, x.dtype, "max_pool2d")
    grad = win.grad_buffer(x.dtype)
    if not _first_match_backward(x, g, win, grad):
        _, arg = _max_argmax(x, win)
        hit = np.empty(arg.shape, bool)
        for t, view in enumerate(win.views(grad)):
            np.equal(arg, t, out=hit)
            view += np.where(hit, g, 0)
    out = win.crop(grad)
    return out[0] if unbatched else out


def _first_match_backward(x: np.ndarray, g: np.ndarray, win: _Windows, grad: np.ndarray) -> bool:
    """The common, fast case: no argmax at all. Compare every tap with the window's maximum
    and hand the still unassigned gradient to the first tap that equals it (row-major order).

    Returns False, doing nothing, when NaNs, infinite gradients or all -inf windows next to
    padding need the exact bookkeeping of :func:`_max_argmax`.
    """
    if np.isnan(x).any() or not np.isfinite(g).all():
        return False
    padded = win.pad(x, -np.inf)
    best = _separable_max(padded, win, scratch("pool_best", g.shape, x.dtype))
    if win.needs_padding and np.isneginf(best).any():
        return False
    remaining = scratch("pool_remaining", g.shape, x.dtype)  # gradient not yet handed out
    remaining[...] = g
    hit = scratch("pool_mask", g.shape, np.dtype(bool))
    share = scratch("pool_share", g.shape, x.dtype)
    taps = list(zip(win.views(padded), win.views(grad), strict=True))
    for t, (view, grad_view) in enumerate(taps):
        np.equal(view, best, out=hit)
        if win.overlapping:
            np.multiply(remaining, hit, out=share)
            grad_view += share
        else:  # each input position is in one window: write straight into the gradient
            share = grad_view
            np.multiply(remaining, hit, out=share)
        if t < len(taps) - 1:
            remaining -= share
    return True


# --- average pooling --------------------------------------------------------------------------


def _avg_setup(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> tuple[_Windows, AvgPool2dParams]:
    p = AvgPool2dParams.build(
        kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    out_hw = p.output_hw(*x.shape[2:])
    return _Windows(x.shape, p.kernel, p.stride, p.padding, (1, 1), out_hw), p


def _axis_divisor(size: int, k: int, s: int, p: int, count: int, include_pad: bool) -> np.ndarray:
    """Per output position along one axis: the window's length as PyTorch counts it."""
    start = np.arange(count) * s - p
    end = np.minimum(start + k, size + p)  # clipped to the padded input
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)  # clipped to the real input


def _divisor(win: _Windows, p: AvgPool2dParams, dtype: np.dtype) -> np.ndarray | float:
    if p.divisor_override is not None:
        return float(p.divisor_override)
    lengths = [
        _axis_divisor(
            win.shape[2 + a],
            p.kernel[a],
            p.stride[a],
            p.padding[a],
            win.out_hw[a],
            p.count_include_pad,
        )
        for a in (0, 1)
    ]
    area = (lengths[0][:, None] * lengths[1][None, :]).astype(dtype)
    if (area == area.flat[0]).all():
        return float(area.flat[0])
    return area


def avg_pool2d(
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Average pooling: ``O[n][c][y][x] = (Σ_{j,k} I_pad[n][c][s·y + j][s·x + k]) / divisor``.

    (N, C, H, W) -> (N, C, H_out, W_out). The divisor is kH·kW for a window inside the padded
    input; a ceil_mode window that runs past it is clipped. With ``count_include_pad=False``
    only real input values are counted; ``divisor_override`` replaces the divisor.
    """
    x, unbatched = _prepare(input)
    win, p = _avg_setup(
        x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    views = win.views(win.pad(x, 0.0))
    total = next(views).copy()
    for view in views:
        total += view
    total /= _divisor(win, p, x.dtype)
    return total[0] if unbatched else total


def avg_pool2d_backward(
    grad_out: object,
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Gradient of ``avg_pool2d`` w.r.t. its input: each window hands ``grad / divisor`` to
    every element it covers (padding's share is dropped); overlapping windows add up."""
    x, unbatched = _prepare(input)
    win, p = _avg_setup(
        x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    g = _grad(grad_out, (*x.shape[:2], *win.out_hw), unbatched, x.dtype, "avg_pool2d")
    share = scratch("pool_share", g.shape, x.dtype)
    np.divide(g, _divisor(win, p, x.dtype), out=share)
    grad = win.grad_buffer(x.dtype)
    for view in win.views(grad):
        view += share
    out = win.crop(grad)
    return out[0] if unbatched else out
