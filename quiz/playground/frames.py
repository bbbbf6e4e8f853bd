"""The animation's data: the grid the window slides over and, per output position, its cells.

For convolution and pooling the grid is input channel ``channel`` padded with ``P`` cells on
each side (zeros; ``-inf`` for max pooling, which is how PyTorch pads it). Output position
``(y, x)`` reads the ``K × K`` grid cells

    (S·y + D·i, S·x + D·j)    for i, j in 0..K-1           (grid = padded-input coordinates)

so grid cell ``(r, c)`` holds input cell ``(r - P, c - P)`` or padding.

A transposed convolution is drawn as the convolution-arithmetic guide draws it (Dumoulin &
Visin, "A guide to convolution arithmetic", section 4): the *stride-dilated input* view. Put
``S - 1`` zeros between neighbouring input cells, pad with ``Q = D(K - 1) - P`` zeros on each
side (crop ``-Q`` cells when Q is negative), then slide the kernel rotated by 180° with
dilation D and stride 1. Output ``(y, x)`` reads grid cells ``(y + D·i, x + D·j)``, and grid
cell ``(r, c)`` holds input cell ``((r - Q) / S, (c - Q) / S)`` when both are whole numbers
inside the input, else an inserted zero or padding. The weighted sum of the window with the
rotated kernel is exactly ``conv_transpose2d``'s output (the tests check it against the engine).

Outputs larger than :data:`MAX_FRAMES` positions are sampled evenly (first and last kept), and
:meth:`Animation.caption` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from quiz.playground.layer import LayerConfig, LayerOutput, compute

MAX_FRAMES = 400


class Role(IntEnum):
    """What a grid cell holds."""

    INPUT = 0
    PADDING = 1
    INSERTED = 2
    """A zero put between input cells by a transposed convolution's stride."""


@dataclass(frozen=True)
class Animation:
    """Everything the animation draws, as plain arrays.

    ``grid`` (G_h, G_w): values of the grid the window slides over (padding 0, or ``-inf`` for
    max pooling); ``roles`` (G_h, G_w) int8 :class:`Role` values; ``source`` (G_h, G_w, 2): the
    input (row, col) each grid cell holds, ``-1`` for padding and inserted zeros.
    ``kernel`` (K, K): the weights as applied in this view (rotated 180° for a transposed
    convolution; ``None`` for pooling). ``output`` (H_out, W_out): the engine's output channel.
    ``positions`` (F, 2): the output (row, col) of each frame, row-major; ``windows``
    (F, K·K, 2): the grid (row, col) cells each frame's window reads, row-major in the kernel.
    ``total`` is H_out · W_out, the frame count before sampling. ``channel`` is the input
    channel drawn and ``output_channel`` the output channel computed (both 0-based).
    """

    config: LayerConfig
    grid: np.ndarray
    roles: np.ndarray
    source: np.ndarray
    kernel: np.ndarray | None
    output: np.ndarray
    positions: np.ndarray
    windows: np.ndarray
    total: int
    channel: int
    output_channel: int

    @property
    def view(self) -> str:
        """``"sliding"`` (conv, pooling) or ``"stride-dilated"`` (transposed convolution)."""
        return "stride-dilated" if self.config.kind == "conv-transpose" else "sliding"

    @property
    def sampled(self) -> bool:
        return len(self.positions) < self.total

    def caption(self) -> str:
        """One or two plain sentences for under the animation (no Markdown specials)."""
        c = self.config
        parts = []
        if self.view == "stride-dilated":
            q = c.dilation * (c.kernel - 1) - c.padding
            border = (
                f"{q} cell(s) of zero padding around"
                if q >= 0
                else f"{-q} cell(s) cropped off each side"
            )
            parts.append(
                f"A transposed convolution drawn as a convolution: {c.stride - 1} zero(s) between "
                f"neighbouring input cells, {border} (D(K - 1) - P = {q}), then the kernel "
                "rotated by 180° slides over it with stride 1."
            )
        if self.sampled:
            parts.append(
                f"Showing {len(self.positions)} of {self.total} window positions, evenly spaced "
                f"(the animation keeps at most {MAX_FRAMES} frames)."
            )
        else:
            parts.append(f"All {self.total} window positions, row by row.")
        if c.in_channels > 1:
            also = (
                "its own channel only"
                if c.is_pool
                else f"the same cells in all {c.in_channels} input channels"
            )
            parts.append(f"Input channel {self.channel} is drawn; the window reads {also}.")
        return " ".join(parts)


def sample_positions(total: int, limit: int = MAX_FRAMES) -> np.ndarray:
    """Indices (row-major) of the frames to show: all of them, or ``limit`` spread evenly."""
    if total <= limit:
        return np.arange(total)
    return np.unique(np.linspace(0, total - 1, limit).round().astype(np.int64))


def animation(
    config: LayerConfig,
    result: LayerOutput | None = None,
    *,
    channel: int = 0,
    limit: int = MAX_FRAMES,
) -> Animation:
    """The animation of ``config`` (raises the engine's ``ValueError`` if it cannot run).

    ``result`` is :func:`~quiz.playground.layer.compute`'s output when the caller has it
    already. ``channel`` picks the output channel; the grid shows input channel ``channel``
    for pooling (pooling is per channel) and input channel 1 otherwise.
    """
    if result is None or result.config != config or result.channel != channel:
        result = compute(config, channel)
    c = config
    shown_input = channel if c.is_pool else 0
    plane = result.input[0, shown_input]
    kernel: np.ndarray | None
    if c.kind == "conv-transpose":
        grid, roles, source = _stride_dilated(plane, c)
        step = 1
        assert result.weight is not None
        kernel = result.weight[0, channel, ::-1, ::-1].copy()
    else:
        grid, roles, source = _padded(plane, c)
        step = c.stride
        kernel = None if result.weight is None else result.weight[channel, 0].copy()
    out_h, out_w = result.plane.shape
    total = out_h * out_w
    order = sample_positions(total, limit)
    positions = np.stack([order // out_w, order % out_w], axis=1)
    taps = np.arange(c.kernel) * c.dilation
    offsets = np.stack(np.meshgrid(taps, taps, indexing="ij"), axis=-1).reshape(-1, 2)
    windows = positions[:, None, :] * step + offsets[None, :, :]
    return Animation(
        c, grid, roles, source, kernel, result.plane, positions, windows, total, shown_input,
        channel,
    )  # fmt: skip


def _padded(plane: np.ndarray, config: LayerConfig) -> tuple[np.ndarray, ...]:
    p = config.padding
    fill = -np.inf if config.kind == "max-pool" else 0.0
    grid = np.pad(plane, p, constant_values=fill)
    roles = np.full(grid.shape, Role.PADDING, dtype=np.int8)
    roles[p : p + plane.shape[0], p : p + plane.shape[1]] = Role.INPUT
    rows, cols = np.indices(grid.shape)
    inside = roles == Role.INPUT
    source = np.stack([np.where(inside, rows - p, -1), np.where(inside, cols - p, -1)], axis=-1)
    return grid, roles, source


def _stride_dilated(plane: np.ndarray, config: LayerConfig) -> tuple[np.ndarray, ...]:
    s, q = config.stride, config.dilation * (config.kernel - 1) - config.padding
    height, width = plane.shape
    size = ((height - 1) * s + 1, (width - 1) * s + 1)
    grid = np.zeros(size)
    grid[::s, ::s] = plane
    roles = np.full(size, Role.INSERTED, dtype=np.int8)
    roles[::s, ::s] = Role.INPUT
    rows, cols = np.indices(size)
    inside = roles == Role.INPUT
    source = np.stack([np.where(inside, rows // s, -1), np.where(inside, cols // s, -1)], axis=-1)
    if q >= 0:
        grid = np.pad(grid, q)
        roles = np.pad(roles, q, constant_values=Role.PADDING)
        source = np.pad(source, ((q, q), (q, q), (0, 0)), constant_values=-1)
    else:
        cut = (slice(-q, q), slice(-q, q))
        grid, roles, source = grid[cut], roles[cut], source[cut]
    return grid, roles, source


def window_inputs(anim: Animation, frame: int) -> set[tuple[int, int]]:
    """The input cells (row, col) frame ``frame``'s window reads (padding and zeros left out)."""
    cells = anim.windows[frame]
    held = anim.source[cells[:, 0], cells[:, 1]]
    return {(int(r), int(c)) for r, c in held if r >= 0}
