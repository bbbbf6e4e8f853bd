"""The fast path behind ``conv.py``: GEMMs over shifted views of the input, no im2col copy.

A convolution is a sum over the kernel's taps (j, k) of matrix products::

    O[n, :, y, x] = Σ_jk  F[:, :, j, k] @ I_pad[n, :, s·y + d·j, s·x + d·k]

Store each padded input plane flat, row after row (``I_pad[n, c]`` becomes a vector of length
H_pad · W_pad). At stride 1, output position ``p = y·W_pad + x`` reads input position
``p + shift`` with ``shift = d·j·W_pad + d·k`` for tap (j, k): for all p at once that is one
*contiguous* slice of every channel's vector, a view BLAS can read directly. Outputs are
computed over the full padded width (the columns past W_out are dropped at the end); that is
what keeps the slice contiguous. The planes stay in NCHW order: nothing is transposed on the
way in or out.

* One GEMM for all taps: stack the taps' (C_out, C_in) matrices into one (taps · C_out, C_in)
  matrix, multiply it with the input planes once, ``Z = F_stack @ I_n``, then add each tap's
  rows of Z in at its shift: ``O[:, p] = Σ_tap Z_tap[:, p + shift]``. One big GEMM keeps two
  cores busier than nine small ones with additions in between.
* Strides > 1 become stride 1 by a *phase split* (space-to-depth): the padded plane is cut into
  s_h · s_w sub-grids ``I_pad[a::s_h, b::s_w]``; tap (j, k) reads sub-grid
  (d·j mod s_h, d·k mod s_w) shifted by (d·j div s_h, d·k div s_w): again one slice. Taps that
  read the same sub-grid share one GEMM.
* Dilation only changes the shifts; groups are a batch dimension of the GEMMs.
* Backward: ``grad_I[p + shift] += (F_stackᵀ @ G)_tap[p]`` (G = grad_out on the same flat grid,
  zero where no output exists): the "scatter" form of the transposed convolution, which is also
  ``conv_transpose2d``'s forward pass; and ``grad_F[tap] = Σ_n I_n[:, shift : shift + L] @ G_nᵀ``,
  one GEMM per tap.

Work goes a few samples (or a part of one) at a time, so intermediate results stay in cache.
Large intermediate buffers are reused from call to call (``_scratch``), because touching
freshly mapped memory costs as much as a fifth of the arithmetic. Small problems (exercises)
instead gather the im2col matrix with one ``take`` and do a single GEMM: fewer numpy calls is
what they need.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ._params import Conv2dParams
from ._scratch import scratch

CHUNK_BYTES = 1 << 20
"""Each step covers about this many bytes of output (channels × positions)..."""
MIN_CHUNK_COLS = 256
"""...but never fewer output positions than this."""
GATHER_LIMIT = 1 << 16
"""Forward passes whose im2col matrix (N · C_in · taps · positions) is at most this big use the
gather path: one ``take`` and one GEMM."""


class Tap(NamedTuple):
    """Kernel tap (j, k): which phase sub-grid it reads, and the shift within it."""

    j: int
    k: int
    phase: int  # a·s_w + b for sub-grid I_pad[a::s_h, b::s_w]
    shift: int


@dataclass(slots=True, eq=False)
class Plan:
    """Geometry of one convolution for one input size (the same plan serves its transpose)."""

    params: Conv2dParams
    batch: int
    in_hw: tuple[int, int]  # the convolution's input (for conv_transpose2d: its output)
    out_hw: tuple[int, int]  # the convolution's output
    grid_hw: tuple[int, int]  # (H_q, W_q): size of each phase sub-grid
    taps: tuple[Tap, ...]
    length: int  # L = (H_out - 1)·W_q + W_out flat output positions per sample
    by_phase: tuple[tuple[int, tuple[Tap, ...]], ...]  # the taps grouped by the sub-grid read
    _gather: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(cls, params: Conv2dParams, batch: int, in_hw: tuple[int, int]) -> Plan:
        (kh, kw), (sh, sw), (dh, dw) = params.kernel, params.stride, params.dilation
        (pt, pb), (pl, pr) = params.padding
        out_hw = params.output_hw(*in_hw)
        hq, wq = -(-(in_hw[0] + pt + pb) // sh), -(-(in_hw[1] + pl + pr) // sw)
        taps = []
        for j in range(kh):
            qj, a = divmod(j * dh, sh)
            for k in range(kw):
                qk, b = divmod(k * dw, sw)
                taps.append(Tap(j, k, a * sw + b, qj * wq + qk))
        length = (out_hw[0] - 1) * wq + out_hw[1]
        phases = sorted({t.phase for t in taps})
        by_phase = tuple((p, tuple(t for t in taps if t.phase == p)) for p in phases)
        return cls(params, batch, in_hw, out_hw, (hq, wq), tuple(taps), length, by_phase)

    @property
    def phases(self) -> int:
        return self.params.stride[0] * self.params.stride[1]

    def steps(self, channels: int, itemsize: int) -> Iterator[tuple[int, int, int, int]]:
        """(n0, n1, l0, l1): samples n0..n1, flat output positions l0..l1 per step."""
        per_sample = channels * self.length * itemsize
        if per_sample <= CHUNK_BYTES:
            per_step = max(1, CHUNK_BYTES // per_sample)
            for n0 in range(0, self.batch, per_step):
                yield n0, min(self.batch, n0 + per_step), 0, self.length
            return
        cols = max(MIN_CHUNK_COLS, CHUNK_BYTES // (channels * itemsize))
        for n in range(self.batch):
            for l0 in range(0, self.length, cols):
                yield n, n + 1, l0, min(self.length, l0 + cols)

    def gather_index(self) -> np.ndarray:
        """(taps, H_out · W_q) positions in the flattened phase planes: the im2col matrix.

        Whole rows of the output grid are gathered so the result reshapes to (H_out, W_q);
        positions past L only feed columns that are thrown away, so they are clipped to stay
        inside the planes.
        """
        if self._gather is None:
            area = self.grid_hw[0] * self.grid_hw[1]
            starts = np.array([t.phase * area + t.shift for t in self.taps], np.intp)
            index = starts[:, None] + np.arange(self.out_hw[0] * self.grid_hw[1], dtype=np.intp)
            self._gather = np.minimum(index, self.phases * area - 1)
        return self._gather


# --- layouts ----------------------------------------------------------------------------------


def _every(start: int, count: int, step: int) -> slice:
    """``count`` indices from ``start``, ``step`` apart."""
    return slice(start, start + (count - 1) * step + 1, step)


def _phase_ranges(before: int, size: int, stride: int, grid: int) -> list[tuple[int, int, int]]:
    """For each phase a: (first input index y0, first sub-grid index q0, count), where padded
    position ``q·stride + a`` holds input index ``q·stride + a - before``."""
    ranges = []
    for a in range(stride):
        q0 = max(0, -(-(before - a) // stride))
        y0 = q0 * stride + a - before
        count = max(0, min(-(-(size - y0) // stride), grid - q0))
        ranges.append((y0, q0, count))
    return ranges


def _phase_pieces(plan: Plan) -> Iterator[tuple[int, int, slice, slice, slice, slice]]:
    """For every phase (a, b): its index and where its sub-grid meets the unpadded plane."""
    (sh, sw), (hq, wq) = plan.params.stride, plan.grid_hw
    (pt, _), (pl, _) = plan.params.padding
    cols = _phase_ranges(pl, plan.in_hw[1], sw, wq)
    for a, (y0, q0, hc) in enumerate(_phase_ranges(pt, plan.in_hw[0], sh, hq)):
        for b, (x0, r0, wc) in enumerate(cols):
            if hc and wc:
                yield (
                    a,
                    b,
                    _every(y0, hc, sh),
                    _every(x0, wc, sw),
                    slice(q0, q0 + hc),
                    slice(r0, r0 + wc),
                )


def to_phases(x: np.ndarray, plan: Plan, dtype: np.dtype) -> np.ndarray:
    """(N, C, H, W) -> zero-padded, phase-split planes, shape (N, C, phases, H_q · W_q)."""
    n, c = x.shape[:2]
    (sh, sw), (hq, wq) = plan.params.stride, plan.grid_hw
    planes = scratch("planes", (n, c, sh, sw, hq, wq), dtype, zero=True)
    for a, b, rows, cols, qrows, qcols in _phase_pieces(plan):
        planes[:, :, a, b, qrows, qcols] = x[:, :, rows, cols]
    return planes.reshape(n, c, sh * sw, hq * wq)


def from_phases(planes: np.ndarray, plan: Plan, bias: np.ndarray | None) -> np.ndarray:
    """Inverse of :func:`to_phases`, dropping the padding, plus an optional per-channel bias."""
    n, c = planes.shape[:2]
    (sh, sw), (hq, wq) = plan.params.stride, plan.grid_hw
    grids = planes.reshape(n, c, sh, sw, hq, wq)
    out = np.empty((n, c, *plan.in_hw), planes.dtype)
    for a, b, rows, cols, qrows, qcols in _phase_pieces(plan):
        source = grids[:, :, a, b, qrows, qcols]
        if bias is None:
            out[:, :, rows, cols] = source
        else:
            np.add(source, bias.reshape(1, c, 1, 1), out=out[:, :, rows, cols])
    return out


def to_grid(g: np.ndarray, plan: Plan, dtype: np.dtype) -> np.ndarray:
    """(N, C_out, H_g, W_g) -> flat output grid (N, C_out, H_out · W_q), zero elsewhere.

    H_g, W_g may be smaller than the convolution's output (conv_transpose2d's output_padding).
    """
    n, c, hg, wg = g.shape
    (ho, _), wq = plan.out_hw, plan.grid_hw[1]
    grid = scratch("grid", (n, c, ho, wq), dtype, zero=True)
    grid[:, :, :hg, :wg] = g
    return grid.reshape(n, c, ho * wq)


def from_grid(
    grid: np.ndarray, plan: Plan, out_hw: tuple[int, int], bias: np.ndarray | None
) -> np.ndarray:
    """Flat output grid -> (N, C_out, H, W) for ``out_hw`` <= the convolution's output size."""
    n, c = grid.shape[:2]
    view = grid.reshape(n, c, plan.out_hw[0], plan.grid_hw[1])[:, :, : out_hw[0], : out_hw[1]]
    out = np.empty(view.shape, grid.dtype)
    if bias is None:
        out[...] = view
    else:
        np.add(view, bias.reshape(1, c, 1, 1), out=out)
    return out


# --- GEMMs ------------------------------------------------------------------------------------


def _product(w: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out = w @ x, with w (G, O, I) broadcast over x (n, G, I, L) -> out (n, G, O, L)."""
    if w.shape[2] == 1:  # depthwise-like: an outer product per group, no GEMM needed
        np.multiply(w, x, out=out)
    elif w.shape[0] == 1 and x.shape[0] == 1:
        np.matmul(w[0], x[0, 0], out=out[0, 0])
    else:
        np.matmul(w, x, out=out)


def _tap_weights(weight: np.ndarray, groups: int, dtype: np.dtype) -> np.ndarray:
    """(C_out, C_in/G, kH, kW) -> (kH, kW, G, C_out/G, C_in/G), one matrix per tap and group."""
    out_ch, per_group, kh, kw = weight.shape
    w5 = weight.reshape(groups, out_ch // groups, per_group, kh, kw)
    return np.ascontiguousarray(w5.transpose(3, 4, 0, 1, 2), dtype=dtype)


def _stacked(mats: np.ndarray, taps: tuple[Tap, ...]) -> np.ndarray:
    """The taps' matrices (G, R, S) on top of each other: (G, taps · R, S)."""
    return np.concatenate([mats[t.j, t.k] for t in taps], axis=1)


def _gather_forward(planes: np.ndarray, weight: np.ndarray, plan: Plan) -> np.ndarray:
    """Small problems: build the im2col matrix with one ``take``, then one GEMM per group.
    Returns the output grid (N, C_out, H_out · W_q)."""
    n, c = planes.shape[:2]
    out_ch, per_group, kh, kw = weight.shape
    groups = plan.params.groups
    index = plan.gather_index()
    cols = np.take(planes.reshape(n, c, -1), index, axis=-1)  # (N, C, taps, H_out · W_q)
    cols = cols.reshape(n, groups, per_group * kh * kw, index.shape[1])
    w = weight.reshape(groups, out_ch // groups, per_group * kh * kw).astype(planes.dtype)
    return np.matmul(w, cols).reshape(n, out_ch, index.shape[1])


def conv_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    plan: Plan,
    out_hw: tuple[int, int] | None = None,
) -> np.ndarray:
    """conv2d: (N, C_in, H, W) -> (N, C_out, H_out, W_out), cropped to ``out_hw`` if given."""
    dtype = np.result_type(x.dtype, weight.dtype)
    return _forward(to_phases(x, plan, dtype), weight, plan, out_hw or plan.out_hw, bias)


def _forward(
    planes: np.ndarray,
    weight: np.ndarray,
    plan: Plan,
    out_hw: tuple[int, int],
    bias: np.ndarray | None,
) -> np.ndarray:
    n, c = planes.shape[:2]
    out_ch = weight.shape[0]
    if n * c * len(plan.taps) * plan.length <= GATHER_LIMIT:
        grid = _gather_forward(planes, weight, plan)
    else:
        grid = scratch("out", (n, out_ch, plan.out_hw[0] * plan.grid_hw[1]), planes.dtype)
        _gemm_forward(planes, weight, plan, grid)
    return from_grid(grid, plan, out_hw, bias)


def _gemm_forward(planes: np.ndarray, weight: np.ndarray, plan: Plan, grid: np.ndarray) -> None:
    """grid[p] = Σ_taps F_tap @ planes[p + shift]. The taps reading one phase sub-grid are done
    as one GEMM with their matrices stacked, ``(taps · C_out, C_in) @ planes[lo:hi]``, then each
    tap's rows are added in at its shift: one large GEMM uses two cores better than nine small
    ones with additions between them."""
    dtype = grid.dtype
    n, c = planes.shape[:2]
    out_ch, groups = weight.shape[0], plan.params.groups
    og = out_ch // groups
    mats = _tap_weights(weight, groups, dtype)
    stacks = [(phase, taps, _stacked(mats, taps)) for phase, taps in plan.by_phase]
    src = planes.reshape(n, groups, c // groups, plan.phases, -1)
    dst = grid.reshape(n, groups, og, -1)
    for n0, n1, l0, l1 in plan.steps(out_ch, dtype.itemsize):
        out = dst[n0:n1, :, :, l0:l1]
        first = True
        for phase, taps, stack in stacks:
            low = min(t.shift for t in taps)
            high = max(t.shift for t in taps) + l1 - l0
            z = scratch("stack", (n1 - n0, groups, len(taps) * og, high - low), dtype)
            _product(stack, src[n0:n1, :, :, phase, l0 + low : l0 + high], z)
            z5 = z.reshape(n1 - n0, groups, len(taps), og, high - low)
            for i, tap in enumerate(taps):
                piece = z5[:, :, i, :, tap.shift - low : tap.shift - low + l1 - l0]
                if first:
                    out[...] = piece
                    first = False
                else:
                    out += piece


def conv_transpose_forward(
    g: np.ndarray, weight: np.ndarray, plan: Plan, bias: np.ndarray | None = None
) -> np.ndarray:
    """conv2d's input-gradient, i.e. conv_transpose2d: output rows scatter to p + shift."""
    dtype = np.result_type(g.dtype, weight.dtype)
    return _scatter(to_grid(g, plan, dtype), weight, plan, bias)


def _scatter(
    grid: np.ndarray, weight: np.ndarray, plan: Plan, bias: np.ndarray | None
) -> np.ndarray:
    """planes[p + shift] += F_tapᵀ @ grid[p] for every tap, then the unpadded (N, C_in, H, W)."""
    dtype = grid.dtype
    n, out_ch = grid.shape[:2]
    groups = plan.params.groups
    in_ch = weight.shape[1] * groups
    mats = _tap_weights(weight, groups, dtype).transpose(0, 1, 2, 4, 3)  # (kh, kw, G, I, O)
    hq, wq = plan.grid_hw
    ig = in_ch // groups
    planes = scratch("scatter", (n, groups, ig, plan.phases, hq * wq), dtype, True)
    stacks = [(phase, taps, _stacked(mats, taps)) for phase, taps in plan.by_phase]
    src = grid.reshape(n, groups, out_ch // groups, -1)
    for n0, n1, l0, l1 in plan.steps(max(in_ch, out_ch), dtype.itemsize):
        block = src[n0:n1, :, :, l0:l1]
        for phase, taps, stack in stacks:  # as in _gemm_forward: one GEMM per phase
            z = scratch("stack", (n1 - n0, groups, len(taps) * ig, l1 - l0), dtype)
            _product(stack, block, z)
            z5 = z.reshape(n1 - n0, groups, len(taps), ig, l1 - l0)
            for i, tap in enumerate(taps):
                planes[n0:n1, :, :, phase, tap.shift + l0 : tap.shift + l1] += z5[:, :, i]
    return from_phases(planes.reshape(n, in_ch, plan.phases, -1), plan, bias)


def _weight_grad(
    grid: np.ndarray, planes: np.ndarray, plan: Plan, kernel: tuple[int, int]
) -> np.ndarray:
    """grad_F[tap] = Σ_n planes_n(tap) @ G_nᵀ, per group; returns (C_out, C_in/G, kH, kW)."""
    dtype = grid.dtype
    n, out_ch = grid.shape[:2]
    in_ch, groups = planes.shape[1], plan.params.groups
    og, ig = out_ch // groups, in_ch // groups
    src = planes.reshape(n, groups, ig, plan.phases, -1)
    g4 = grid.reshape(n, groups, og, -1)
    acc = np.zeros((*kernel, groups, ig, og), dtype)
    for n0, n1, l0, l1 in plan.steps(max(in_ch, out_ch), dtype.itemsize):
        g_t = scratch("grid_t", (n1 - n0, groups, l1 - l0, og), dtype)  # (n, G, L, O)
        g_t[...] = g4[n0:n1, :, :, l0:l1].transpose(0, 1, 3, 2)
        part = scratch("part", (n1 - n0, groups, ig, og), dtype)
        for tap in plan.taps:
            block = src[n0:n1, :, :, tap.phase, tap.shift + l0 : tap.shift + l1]
            np.matmul(block, g_t, out=part)
            acc[tap.j, tap.k] += part.sum(axis=0) if n1 - n0 > 1 else part[0]
    # (kh, kw, G, I, O) -> (G, O, I, kh, kw) -> (C_out, C_in/G, kh, kw)
    return np.ascontiguousarray(acc.transpose(2, 4, 3, 0, 1)).reshape(out_ch, ig, *kernel)


def conv_backward(
    grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, plan: Plan
) -> tuple[np.ndarray, np.ndarray]:
    """conv2d's (grad_input, grad_weight) from grad_out (N, C_out, H_out, W_out)."""
    dtype = np.result_type(grad_out.dtype, x.dtype, weight.dtype)
    grid = to_grid(grad_out, plan, dtype)
    grad_x = _scatter(grid, weight, plan, None)
    grad_w = _weight_grad(grid, to_phases(x, plan, dtype), plan, weight.shape[2:])
    return grad_x, grad_w


def conv_transpose_backward(
    grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, plan: Plan
) -> tuple[np.ndarray, np.ndarray]:
    """conv_transpose2d's (grad_input, grad_weight): its input x lives on the convolution's
    output grid and grad_out on the convolution's input planes."""
    dtype = np.result_type(grad_out.dtype, x.dtype, weight.dtype)
    planes = to_phases(grad_out, plan, dtype)
    grad_x = _forward(planes, weight, plan, x.shape[2:], None)
    grad_w = _weight_grad(to_grid(x, plan, dtype), planes, plan, weight.shape[2:])
    return grad_x, grad_w
