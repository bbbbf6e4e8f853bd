"""Plain loops that read like the notes: the oracle for tests and the source of worked solutions.

The notes define a convolutional layer (0-based indices here, ``s`` the stride) by

    O[u][y][x] = B[u] + Σ_i Σ_j Σ_k I[i][s·y + j][s·x + k] · F[u][i][j][k]

with I: C_I × H_I × W_I, F: C_O × C_I × H_F × W_F, B: C_O (one bias per filter) and
O: C_O × H_O × W_O. Two slips in the notes are corrected here, and the tests say so:

* they write ``I[i][sx + j][sy + k]``, which swaps x and y: row y of the output must read rows
  ``s·y + j`` of the input (j runs down the filter), and column x reads columns ``s·x + k``;
* they give B the shape C_O × C_I × H_F × W_F; it is C_O, one number per output channel.

These loops add a batch index n, zero padding (I is padded first), dilation d (tap j reads row
``s·y + d·j``) and groups (output channel u only sees the input channels of its group). They
compute in Python floats (float64) and count output sizes by sliding the window, independently
of the formulas in ``shapes.py``. They are slow on purpose: read them, don't train with them.
"""

# The notes' names I, O, F, B are kept on purpose, so the loops read like the formula.
# ruff: noqa: E741

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from . import shapes
from .shapes import IntOrPair, as_pair

__all__ = [
    "Term",
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_norm2d",
    "batch_norm2d_backward",
    "conv2d",
    "conv2d_backward",
    "conv2d_terms",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "fold",
    "max_pool2d",
    "max_pool2d_backward",
    "unfold",
]


def _batch(x: object) -> tuple[np.ndarray, bool]:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim == 3:
        return array[None], True
    if array.ndim != 4:
        raise ValueError(f"input must be 3-D (C, H, W) or 4-D (N, C, H, W); got {array.shape}")
    return array, False


def _zeros(*shape: int) -> list[Any]:
    """A nested list of zeros, so loops can write ``A[n][c][y][x]`` like the notes."""
    if len(shape) == 1:
        return [0.0] * shape[0]
    return [_zeros(*shape[1:]) for _ in range(shape[0])]


def _pads(
    padding: IntOrPair | str, kernel: tuple[int, int], dilation: tuple[int, int]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)); "same" puts d·(k-1) zeros around, the odd one after."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return (
            (totals[0] // 2, totals[0] - totals[0] // 2),
            (totals[1] // 2, totals[1] - totals[1] // 2),
        )
    ph, pw = as_pair(padding, "padding", 0)
    return ((ph, ph), (pw, pw))


def _pad(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    (pt, pb), (pl, pr) = pads
    n, c, h, w = x.shape
    padded = np.zeros((n, c, h + pt + pb, w + pl + pr))
    padded[:, :, pt : pt + h, pl : pl + w] = x
    return padded


def _count_windows(size: int, span: int, stride: int) -> int:
    """How many windows of length ``span`` fit in ``size`` cells, one every ``stride`` cells."""
    count = 0
    while stride * count + span <= size:
        count += 1
    return count


# --- convolution ------------------------------------------------------------------------------


def conv2d(
    input: object,
    weight: object,
    bias: object = None,
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """O[n][u][y][x] = B[u] + Σ_i Σ_j Σ_k I[n][g·C + i][s·y + d·j][s·x + d·k] · F[u][i][j][k]."""
    inp, unbatched = _batch(input)
    filters = np.asarray(weight, dtype=np.float64)
    shapes.conv2d_output_shape(inp.shape, filters.shape, stride, padding, dilation, groups)
    C_O, C_I, H_F, W_F = filters.shape  # C_I: input channels per group
    biases = np.zeros(C_O) if bias is None else np.asarray(bias, dtype=np.float64)
    if biases.shape != (C_O,):
        raise ValueError(f"bias must have shape ({C_O},), one number per output channel")
    B = biases.tolist()
    (sh, sw), (dh, dw) = as_pair(stride, "stride", 1), as_pair(dilation, "dilation", 1)
    padded = _pad(inp, _pads(padding, (H_F, W_F), (dh, dw)))
    N, H_P, W_P = padded.shape[0], padded.shape[2], padded.shape[3]
    H_O = _count_windows(H_P, dh * (H_F - 1) + 1, sh)
    W_O = _count_windows(W_P, dw * (W_F - 1) + 1, sw)
    per_group = C_O // groups
    I, F = padded.tolist(), filters.tolist()
    O = _zeros(N, C_O, H_O, W_O)
    for n in range(N):
        for u in range(C_O):
            c0 = (u // per_group) * C_I  # first input channel of u's group
            for y in range(H_O):
                for x in range(W_O):
                    total = B[u]
                    for i in range(C_I):
                        for j in range(H_F):
                            for k in range(W_F):
                                total += (
                                    I[n][c0 + i][sh * y + dh * j][sw * x + dw * k] * F[u][i][j][k]
                                )
                    O[n][u][y][x] = total
    out = np.array(O, dtype=np.float64).reshape(N, C_O, H_O, W_O)
    return out[0] if unbatched else out


def conv2d_backward(
    grad_out: object,
    input: object,
    weight: object,
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
    bias: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The chain rule through the same loops: every product ``I·F`` in the forward sum sends
    ``dL/dO · F`` to its input cell and ``dL/dO · I`` to its filter cell.

    dL/dF[u][i][j][k] = Σ_n Σ_y Σ_x dL/dO[n][u][y][x] · I[n][g·C + i][s·y + d·j][s·x + d·k]
    """
    inp, unbatched = _batch(input)
    filters = np.asarray(weight, dtype=np.float64)
    grads = np.asarray(grad_out, dtype=np.float64)
    grads = grads[None] if unbatched else grads
    C_O, C_I, H_F, W_F = filters.shape
    (sh, sw), (dh, dw) = as_pair(stride, "stride", 1), as_pair(dilation, "dilation", 1)
    pads = _pads(padding, (H_F, W_F), (dh, dw))
    padded = _pad(inp, pads)
    N, _, H_O, W_O = grads.shape
    per_group = C_O // groups
    I, F, dO = padded.tolist(), filters.tolist(), grads.tolist()
    dI = _zeros(*padded.shape)
    dF = _zeros(*filters.shape)
    dB = [0.0] * C_O
    for n in range(N):
        for u in range(C_O):
            c0 = (u // per_group) * C_I
            for y in range(H_O):
                for x in range(W_O):
                    g = dO[n][u][y][x]
                    dB[u] += g
                    for i in range(C_I):
                        for j in range(H_F):
                            for k in range(W_F):
                                row, col = sh * y + dh * j, sw * x + dw * k
                                dF[u][i][j][k] += g * I[n][c0 + i][row][col]
                                dI[n][c0 + i][row][col] += g * F[u][i][j][k]
    (pt, _), (pl, _) = pads
    h, w = inp.shape[2:]
    grad_x = np.array(dI, dtype=np.float64)[:, :, pt : pt + h, pl : pl + w]
    grad_x = np.ascontiguousarray(grad_x[0] if unbatched else grad_x)
    return grad_x, np.array(dF, dtype=np.float64), np.array(dB) if bias else None


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
    """Each input value stamps its filter, scaled, into the output (then p is cut off each side):

    O_full[n][g·C_O + u][s·y + d·j][s·x + d·k] += I[n][i][y][x] · F[i][u][j][k]

    with O_full of size (H - 1)·s + d·(kH - 1) + 1 + output_padding.
    """
    inp, unbatched = _batch(input)
    filters = np.asarray(weight, dtype=np.float64)
    shapes.conv_transpose2d_output_shape(
        inp.shape, filters.shape, stride, padding, output_padding, groups, dilation
    )
    C_IN, C_O, H_F, W_F = filters.shape  # C_O: output channels per group
    (sh, sw), (dh, dw) = as_pair(stride, "stride", 1), as_pair(dilation, "dilation", 1)
    (ph, pw) = as_pair(padding, "padding", 0)
    (oph, opw) = as_pair(output_padding, "output_padding", 0)
    N, _, H, W = inp.shape
    H_full = (H - 1) * sh + dh * (H_F - 1) + 1 + oph
    W_full = (W - 1) * sw + dw * (W_F - 1) + 1 + opw
    per_group = C_IN // groups
    I, F = inp.tolist(), filters.tolist()
    O = _zeros(N, C_O * groups, H_full, W_full)
    for n in range(N):
        for i in range(C_IN):
            u0 = (i // per_group) * C_O  # first output channel of i's group
            for y in range(H):
                for x in range(W):
                    for u in range(C_O):
                        for j in range(H_F):
                            for k in range(W_F):
                                row, col = sh * y + dh * j, sw * x + dw * k
                                O[n][u0 + u][row][col] += I[n][i][y][x] * F[i][u][j][k]
    out = np.array(O, dtype=np.float64)[:, :, ph : H_full - ph, pw : W_full - pw]
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64).reshape(1, -1, 1, 1)
    out = np.ascontiguousarray(out)
    return out[0] if unbatched else out


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The chain rule through :func:`conv_transpose2d`'s stamping loops."""
    inp, unbatched = _batch(input)
    filters = np.asarray(weight, dtype=np.float64)
    grads = np.asarray(grad_out, dtype=np.float64)
    grads = grads[None] if unbatched else grads
    C_IN, C_O, H_F, W_F = filters.shape
    (sh, sw), (dh, dw) = as_pair(stride, "stride", 1), as_pair(dilation, "dilation", 1)
    (ph, pw) = as_pair(padding, "padding", 0)
    N, _, H, W = inp.shape
    H_out, W_out = grads.shape[2:]
    per_group = C_IN // groups
    I, F, dO = inp.tolist(), filters.tolist(), grads.tolist()
    dI, dF = _zeros(*inp.shape), _zeros(*filters.shape)
    for n in range(N):
        for i in range(C_IN):
            u0 = (i // per_group) * C_O
            for y in range(H):
                for x in range(W):
                    for u in range(C_O):
                        for j in range(H_F):
                            for k in range(W_F):
                                row, col = sh * y + dh * j - ph, sw * x + dw * k - pw
                                if 0 <= row < H_out and 0 <= col < W_out:
                                    g = dO[n][u0 + u][row][col]
                                    dI[n][i][y][x] += g * F[i][u][j][k]
                                    dF[i][u][j][k] += g * I[n][i][y][x]
    grad_x = np.array(dI, dtype=np.float64)
    grad_b = grads.sum(axis=(0, 2, 3)) if bias else None
    return (grad_x[0] if unbatched else grad_x), np.array(dF, dtype=np.float64), grad_b


@dataclass(frozen=True, slots=True)
class Term:
    """One product ``I[input_index] · F[weight_index]`` in the sum for one output value."""

    input_index: tuple[int, int, int]  # (channel, row, column) in the *padded* input
    weight_index: tuple[int, int, int, int]  # (u, i, j, k)
    input_value: float
    weight_value: float


def conv2d_terms(
    input: object,
    weight: object,
    channel: int,
    row: int,
    column: int,
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> list[Term]:
    """The products that make up ``O[channel][row][column]`` of an unbatched (C, H, W) input,
    in the order of the notes' sum (i, then j, then k), for worked solutions."""
    inp = np.asarray(input, dtype=np.float64)
    if inp.ndim != 3:
        raise ValueError(f"conv2d_terms takes one (C, H, W) input; got shape {inp.shape}")
    F = np.asarray(weight, dtype=np.float64)
    out_shape = shapes.conv2d_output_shape(inp.shape, F.shape, stride, padding, dilation, groups)
    if not all(0 <= v < size for v, size in zip((channel, row, column), out_shape, strict=True)):
        raise ValueError(f"output position {(channel, row, column)} is outside {out_shape}")
    C_O, C_I, H_F, W_F = F.shape
    (sh, sw), (dh, dw) = as_pair(stride, "stride", 1), as_pair(dilation, "dilation", 1)
    padded = _pad(inp[None], _pads(padding, (H_F, W_F), (dh, dw)))[0]
    c0 = (channel // (C_O // groups)) * C_I
    terms = []
    for i in range(C_I):
        for j in range(H_F):
            for k in range(W_F):
                at = (c0 + i, sh * row + dh * j, sw * column + dw * k)
                value, weight_value = float(padded[at]), float(F[channel, i, j, k])
                terms.append(Term(at, (channel, i, j, k), value, weight_value))
    return terms


# --- im2col: unfold and fold -----------------------------------------------------------------


def _unfold_geometry(
    kernel_size: IntOrPair, dilation: IntOrPair, padding: IntOrPair, stride: IntOrPair
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    return (
        as_pair(kernel_size, "kernel_size", 1),
        as_pair(dilation, "dilation", 1),
        as_pair(padding, "padding", 0),
        as_pair(stride, "stride", 1),
    )


def unfold(
    input: object,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> np.ndarray:
    """Every window of the padded input as one column, row by row of windows:

    cols[n][(c·kH + i)·kW + j][y·W_O + x] = I[n][c][s·y + d·i][s·x + d·j]

    (rows channel-major, then kernel row i, then kernel column j; W_O windows per row).
    """
    inp, unbatched = _batch(input)
    (H_F, W_F), (dh, dw), (ph, pw), (sh, sw) = _unfold_geometry(
        kernel_size, dilation, padding, stride
    )
    padded = _pad(inp, ((ph, ph), (pw, pw)))
    N, C, H_P, W_P = padded.shape
    H_O = _count_windows(H_P, dh * (H_F - 1) + 1, sh)
    W_O = _count_windows(W_P, dw * (W_F - 1) + 1, sw)
    if H_O < 1 or W_O < 1:
        raise ValueError(f"the {H_F}×{W_F} kernel does not fit in the padded input {H_P}×{W_P}")
    I = padded.tolist()
    cols = _zeros(max(N, 1), C * H_F * W_F, H_O * W_O)
    for n in range(N):
        for c in range(C):
            for i in range(H_F):
                for j in range(W_F):
                    row = (c * H_F + i) * W_F + j
                    for y in range(H_O):
                        for x in range(W_O):
                            cols[n][row][y * W_O + x] = I[n][c][sh * y + dh * i][sw * x + dw * j]
    out = np.array(cols, dtype=np.float64)[:N]
    return out[0] if unbatched else out


def fold(
    input: object,
    output_size: IntOrPair,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> np.ndarray:
    """Each column added back into its window (overlaps add up), then the padding cut off:

    I[n][c][s·y + d·i][s·x + d·j] += cols[n][(c·kH + i)·kW + j][y·W_O + x]
    """
    cols = np.asarray(input, dtype=np.float64)
    unbatched = cols.ndim == 2
    cols = cols[None] if unbatched else cols
    H, W = as_pair(output_size, "output_size", 1)
    (H_F, W_F), (dh, dw), (ph, pw), (sh, sw) = _unfold_geometry(
        kernel_size, dilation, padding, stride
    )
    N, rows, L = cols.shape
    C = rows // (H_F * W_F)
    H_O = _count_windows(H + 2 * ph, dh * (H_F - 1) + 1, sh)
    W_O = _count_windows(W + 2 * pw, dw * (W_F - 1) + 1, sw)
    if rows != C * H_F * W_F or L != H_O * W_O or L == 0:
        raise ValueError(f"cols of shape {cols.shape[1:]} do not fit a {H}×{W} output")
    B = cols.tolist()
    I = _zeros(max(N, 1), C, H + 2 * ph, W + 2 * pw)
    for n in range(N):
        for c in range(C):
            for i in range(H_F):
                for j in range(W_F):
                    row = (c * H_F + i) * W_F + j
                    for y in range(H_O):
                        for x in range(W_O):
                            I[n][c][sh * y + dh * i][sw * x + dw * j] += B[n][row][y * W_O + x]
    out = np.array(I, dtype=np.float64)[:N, :, ph : ph + H, pw : pw + W]
    out = np.ascontiguousarray(out)
    return out[0] if unbatched else out


# --- pooling ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pool:
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    out: tuple[int, int]  # (H_O, W_O)

    def cells(self, y: int, x: int, H: int, W: int) -> list[tuple[int, int]]:
        """The input cells (row, col) of window (y, x), in row-major window order; taps that
        fall on padding are skipped (for max pooling padding is −∞, for averages it is 0)."""
        (kh, kw), (sh, sw) = self.kernel, self.stride
        (ph, pw), (dh, dw) = self.padding, self.dilation
        cells = []
        for j in range(kh):
            for k in range(kw):
                row, col = sh * y - ph + dh * j, sw * x - pw + dw * k
                if 0 <= row < H and 0 <= col < W:
                    cells.append((row, col))
        return cells


def _pool_count(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Count windows by sliding them, PyTorch's way.

    floor mode: a window must fit in the padded input. ceil_mode: a new window starts as long
    as the previous one stopped short of the padded input's end, and it must start inside the
    input or the left padding.
    """
    span = d * (k - 1) + 1
    if not ceil_mode:
        return _count_windows(size + 2 * p, span, s)
    count = 0
    while s * (count - 1) + span < size + 2 * p and s * count < size + p:
        count += 1
    return count


def _pool(
    inp: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair,
    ceil_mode: bool,
) -> _Pool:
    kernel = as_pair(kernel_size, "kernel_size", 1)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    stride_ = kernel if no_stride else as_pair(stride, "stride", 1)
    pad, dil = as_pair(padding, "padding", 0), as_pair(dilation, "dilation", 1)
    shapes.max_pool2d_output_shape(inp.shape, kernel, stride_, pad, dil, ceil_mode)  # checks
    H, W = inp.shape[2:]
    out = (
        _pool_count(H, kernel[0], stride_[0], pad[0], dil[0], ceil_mode),
        _pool_count(W, kernel[1], stride_[1], pad[1], dil[1], ceil_mode),
    )
    return _Pool(kernel, stride_, pad, dil, out)


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
    """O[n][c][y][x] = max of the window's cells (padding is −∞, so it never wins); the index
    is ``row·W + col`` of the first maximum in row-major order (a NaN always wins)."""
    inp, unbatched = _batch(input)
    pool = _pool(inp, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, H, W = inp.shape
    H_O, W_O = pool.out
    I = inp.tolist()
    O, where = _zeros(N, C, H_O, W_O), _zeros(N, C, H_O, W_O)
    for n in range(N):
        for c in range(C):
            for y in range(H_O):
                for x in range(W_O):
                    best, at = -math.inf, -1
                    for row, col in pool.cells(y, x, H, W):
                        v = I[n][c][row][col]
                        if at < 0 or v > best or math.isnan(v):
                            best, at = v, row * W + col
                    O[n][c][y][x], where[n][c][y][x] = best, at
    out = np.array(O, dtype=np.float64).reshape(N, C, H_O, W_O)
    indices = np.array(where, dtype=np.int64).reshape(N, C, H_O, W_O)
    if unbatched:
        out, indices = out[0], indices[0]
    return (out, indices) if return_indices else out


def max_pool2d_backward(
    grad_out: object,
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """dz[y][x]/da[r][c] = 1 if (r, c) is the window's argmax, else 0 (the notes' indicator):
    each window's gradient goes to its maximum; overlapping windows add up."""
    inp, unbatched = _batch(input)
    _, indices = max_pool2d(inp, kernel_size, stride, padding, dilation, ceil_mode, True)
    grads = np.asarray(grad_out, dtype=np.float64)
    grads = grads[None] if unbatched else grads
    N, C, H, W = inp.shape
    dI = _zeros(N, C, H * W)
    dO, where = grads.tolist(), indices.tolist()
    for n in range(N):
        for c in range(C):
            for y in range(grads.shape[2]):
                for x in range(grads.shape[3]):
                    dI[n][c][where[n][c][y][x]] += dO[n][c][y][x]
    grad = np.array(dI, dtype=np.float64).reshape(N, C, H, W)
    return grad[0] if unbatched else grad


def _divisor(
    pool: _Pool,
    y: int,
    x: int,
    H: int,
    W: int,
    cells: list[tuple[int, int]],
    count_include_pad: bool,
    divisor_override: int | None,
) -> int:
    if divisor_override is not None:
        return divisor_override
    if not count_include_pad:
        return len(cells)
    # window positions inside the *padded* input (a ceil_mode window may run past its end)
    (kh, kw), (sh, sw), (ph, pw) = pool.kernel, pool.stride, pool.padding
    top, left = sh * y - ph, sw * x - pw
    return (min(top + kh, H + ph) - top) * (min(left + kw, W + pw) - left)


def avg_pool2d(
    input: object,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """O[n][c][y][x] = (sum of the window's input cells) / divisor (see ``pool.avg_pool2d``)."""
    inp, unbatched = _batch(input)
    pool = _pool(inp, kernel_size, stride, padding, 1, ceil_mode)
    N, C, H, W = inp.shape
    H_O, W_O = pool.out
    I = inp.tolist()
    O = _zeros(N, C, H_O, W_O)
    for n in range(N):
        for c in range(C):
            for y in range(H_O):
                for x in range(W_O):
                    cells = pool.cells(y, x, H, W)
                    total = 0.0
                    for row, col in cells:
                        total += I[n][c][row][col]
                    divisor = _divisor(pool, y, x, H, W, cells, count_include_pad, divisor_override)
                    O[n][c][y][x] = total / divisor
    out = np.array(O, dtype=np.float64).reshape(N, C, H_O, W_O)
    return out[0] if unbatched else out


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
    """Each window hands dL/dO / divisor to every input cell it covers."""
    inp, unbatched = _batch(input)
    pool = _pool(inp, kernel_size, stride, padding, 1, ceil_mode)
    grads = np.asarray(grad_out, dtype=np.float64)
    grads = grads[None] if unbatched else grads
    N, C, H, W = inp.shape
    H_O, W_O = pool.out
    dO = grads.tolist()
    dI = _zeros(N, C, H, W)
    for n in range(N):
        for c in range(C):
            for y in range(H_O):
                for x in range(W_O):
                    cells = pool.cells(y, x, H, W)
                    divisor = _divisor(pool, y, x, H, W, cells, count_include_pad, divisor_override)
                    for row, col in cells:
                        dI[n][c][row][col] += dO[n][c][y][x] / divisor
    grad = np.array(dI, dtype=np.float64)
    return grad[0] if unbatched else grad


# --- batch normalisation ----------------------------------------------------------------------


def _norm_input(input: object) -> tuple[np.ndarray, tuple[int, ...]]:
    """(N, C, H, W) float64, and the input's own shape ((N, C) becomes (N, C, 1, 1))."""
    array = np.asarray(input, dtype=np.float64)
    if array.ndim == 2:
        return array[:, :, None, None], array.shape
    if array.ndim != 4:
        raise ValueError(f"input must be 2-D (N, C) or 4-D (N, C, H, W); got {array.shape}")
    return array, array.shape


def _channel_statistics(I: list[Any], c: int, N: int, H: int, W: int) -> tuple[float, float]:
    """μ = (1/m) Σ_n Σ_y Σ_x I[n][c][y][x] and σ² = (1/m) Σ (I[n][c][y][x] - μ)², m = N·H·W."""
    m = N * H * W
    total = 0.0
    for n in range(N):
        for y in range(H):
            for x in range(W):
                total += I[n][c][y][x]
    mu = total / m
    squares = 0.0
    for n in range(N):
        for y in range(H):
            for x in range(W):
                squares += (I[n][c][y][x] - mu) ** 2
    return mu, squares / m


def batch_norm2d(
    input: object,
    running_mean: Any = None,
    running_var: Any = None,
    weight: object = None,
    bias: object = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    """O[n][c][y][x] = γ[c] · (I[n][c][y][x] - μ[c]) / √(σ²[c] + ε) + β[c].

    Training: μ[c] and σ²[c] are the mean and the variance divided by m = N·H·W (biased) of
    channel c over the batch, and the running buffers (if given) become
    ``(1 - momentum)·old + momentum·new`` with the unbiased variance σ²·m/(m - 1), in place.
    Evaluation: μ and σ² are the running buffers. γ = 1 and β = 0 when not given.
    """
    inp, shape = _norm_input(input)
    N, C, H, W = inp.shape
    m = N * H * W
    I = inp.tolist()
    gamma = [1.0] * C if weight is None else np.asarray(weight, dtype=np.float64).tolist()
    beta = [0.0] * C if bias is None else np.asarray(bias, dtype=np.float64).tolist()
    O = _zeros(N, C, H, W)
    for c in range(C):
        if training:
            mu, var = _channel_statistics(I, c, N, H, W)
            if running_mean is not None:
                running_mean[c] = (1 - momentum) * float(running_mean[c]) + momentum * mu
                unbiased = var * m / (m - 1)
                running_var[c] = (1 - momentum) * float(running_var[c]) + momentum * unbiased
        else:
            mu, var = float(running_mean[c]), float(running_var[c])
        sigma = math.sqrt(var + eps)
        for n in range(N):
            for y in range(H):
                for x in range(W):
                    O[n][c][y][x] = gamma[c] * (I[n][c][y][x] - mu) / sigma + beta[c]
    return np.array(O, dtype=np.float64).reshape(shape)


def batch_norm2d_backward(
    grad_out: object,
    input: object,
    weight: object = None,
    running_var: Any = None,
    training: bool = True,
    eps: float = 1e-5,
    *,
    running_mean: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chain rule through the forward pass in stages (Ioffe and Szegedy, 2015), with
    x̂ = (x - μ)/√(σ² + ε), y = γ·x̂ + β and G = dL/dy, over the m = N·H·W cells of channel c:

    dL/dx̂ = G·γ
    dL/dσ² = Σ dL/dx̂ · (x - μ) · (-1/2)·(σ² + ε)^(-3/2)
    dL/dμ  = Σ dL/dx̂ · (-1/√(σ² + ε)) + dL/dσ² · Σ -2·(x - μ)/m
    dL/dx  = dL/dx̂ / √(σ² + ε) + dL/dσ² · 2·(x - μ)/m + dL/dμ / m

    dL/dγ = Σ G·x̂, dL/dβ = Σ G. In evaluation μ and σ² are the running buffers, constants, so
    only the first term of dL/dx is left.
    """
    inp, shape = _norm_input(input)
    N, C, H, W = inp.shape
    m = N * H * W
    I = inp.tolist()
    dO = np.asarray(grad_out, dtype=np.float64).reshape(N, C, H, W).tolist()
    gamma = [1.0] * C if weight is None else np.asarray(weight, dtype=np.float64).tolist()
    dI = _zeros(N, C, H, W)
    dgamma, dbeta = [0.0] * C, [0.0] * C
    cells = [(n, y, x) for n in range(N) for y in range(H) for x in range(W)]
    for c in range(C):
        if training:
            mu, var = _channel_statistics(I, c, N, H, W)
        else:
            mu, var = float(running_mean[c]), float(running_var[c])
        sigma = math.sqrt(var + eps)
        d_var = d_mu = 0.0
        for n, y, x in cells:
            d_xhat = dO[n][c][y][x] * gamma[c]
            dgamma[c] += dO[n][c][y][x] * (I[n][c][y][x] - mu) / sigma
            dbeta[c] += dO[n][c][y][x]
            d_var += d_xhat * (I[n][c][y][x] - mu) * -0.5 * (var + eps) ** -1.5
            d_mu += d_xhat * -1 / sigma
        if training:
            for n, y, x in cells:
                d_mu += d_var * -2 * (I[n][c][y][x] - mu) / m
        for n, y, x in cells:
            d_xhat = dO[n][c][y][x] * gamma[c]
            dI[n][c][y][x] = d_xhat / sigma
            if training:
                dI[n][c][y][x] += d_var * 2 * (I[n][c][y][x] - mu) / m + d_mu / m
    grad = np.array(dI, dtype=np.float64).reshape(shape)
    return grad, np.array(dgamma, dtype=np.float64), np.array(dbeta, dtype=np.float64)
