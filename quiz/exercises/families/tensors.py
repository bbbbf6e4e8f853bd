"""Small integer tensors and the helpers the value-and-gradient families share.

Arrays are float64 numpy arrays inside a family and nested lists in ``Exercise.tensors``, always
with every axis written out: ``X`` (C_in, H, W), ``W`` (C_out, C_in, k, k), ``G`` (C_out, H_out,
W_out) — so the engine and the reference loops take them as they are. The page draws every
tensor as heatmaps beside the prompt, so ``tensors`` holds only what the prompt shows, each at
least 2-D: biases (C_out,) go in ``params["b"]``.

Every position a student sees counts from 0, as in PyTorch, the engine and the formulas: in words
("row 0, column 2" is the top row's third cell), on the heatmaps' axes and the answer grid's
headers. :data:`INDEX_BASE` says so once on each problem that names a position.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quiz.exercises import latex

# --- drawing small integers --------------------------------------------------------------------


def integers(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    low: int = -3,
    high: int = 3,
    *,
    nonzero: bool = False,
) -> np.ndarray:
    """Uniform integers in ``[low, high]`` as float64 (without 0 when ``nonzero``)."""
    if not nonzero:
        return rng.integers(low, high + 1, size=shape).astype(float)
    pool = np.array([v for v in range(low, high + 1) if v != 0], dtype=float)
    return pool[rng.integers(0, len(pool), size=shape)]


def distinct(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    low: int,
    high: int,
    *,
    nonzero: bool = False,
) -> np.ndarray:
    """Pairwise different integers from ``[low, high]`` as float64: no window can have a tie."""
    pool = np.arange(low, high + 1, dtype=float)
    if nonzero:
        pool = pool[pool != 0]
    size = math.prod(shape)
    if size > len(pool):
        raise ValueError(f"{size} distinct values do not fit in [{low}, {high}]")
    return rng.permutation(pool)[:size].reshape(shape)


def as_list(array: np.ndarray) -> list[Any]:
    """Nested lists for ``Exercise.tensors``/``expected``: ints when every entry is whole."""
    array = np.asarray(array, dtype=float)
    if np.all(array == np.round(array)):
        return array.astype(int).tolist()
    return array.tolist()


def exact(values: np.ndarray, denominator: int = 2520) -> np.ndarray:
    """Snap sums of simple fractions (halves ... ninths) to the nearest double of the exact
    fraction, so the canonical answer reads ``1/36`` and not ``0.027777777777777762``.

    ``n / denominator`` with an integer ``n`` is the correctly rounded double of that fraction;
    2520 = lcm(1, ..., 9) covers every pooling divisor used here.
    """
    values = np.asarray(values, dtype=float)
    snapped = np.round(values * denominator) / denominator
    if values.size and float(np.abs(snapped - values).max()) > 1e-9:
        raise ValueError("values are not multiples of 1/denominator")
    return snapped


def plane(values: np.ndarray) -> tuple[tuple[float, ...], ...]:
    """A 2-D array as the tuple of tuples :class:`~quiz.exercises.base.Picture` stores."""
    return tuple(tuple(float(v) for v in row) for row in np.asarray(values, dtype=float))


# --- array helpers -----------------------------------------------------------------------------


def flip(kernel: np.ndarray) -> np.ndarray:
    """Rotate by 180° over the last two axes (what a true convolution does to the kernel)."""
    return np.ascontiguousarray(np.asarray(kernel)[..., ::-1, ::-1])


def transpose(kernel: np.ndarray) -> np.ndarray:
    """Swap the last two axes (rows become columns)."""
    return np.ascontiguousarray(np.swapaxes(np.asarray(kernel), -1, -2))


def pad(x: np.ndarray, padding: int, value: float = 0.0) -> np.ndarray:
    """Add ``padding`` rows/columns of ``value`` around the last two axes."""
    if padding == 0:
        return np.asarray(x, dtype=float)
    widths = [(0, 0)] * (np.ndim(x) - 2) + [(padding, padding), (padding, padding)]
    return np.pad(np.asarray(x, dtype=float), widths, constant_values=value)


def spread(grad: np.ndarray, stride: int) -> np.ndarray:
    """Put ``stride - 1`` zeros between neighbouring entries of the last two axes.

    (..., H, W) -> (..., (H-1)·s + 1, (W-1)·s + 1): the upstream gradient "dilated" so that a
    stride-``s`` input gradient becomes a stride-1 (full) convolution.
    """
    grad = np.asarray(grad, dtype=float)
    if stride == 1:
        return grad
    h, w = grad.shape[-2:]
    out = np.zeros((*grad.shape[:-2], (h - 1) * stride + 1, (w - 1) * stride + 1))
    out[..., ::stride, ::stride] = grad
    return out


def correlate(
    padded: np.ndarray, kernel: np.ndarray, stride: int = 1, dilation: int = 1
) -> np.ndarray:
    """Valid cross-correlation of 2-D ``padded`` with 2-D ``kernel`` (numpy slices, no engine).

    ``out[y][x] = Σ_j Σ_k padded[s·y + d·j][s·x + d·k] · kernel[j][k]``; used for the mistaken
    computations, which must not depend on the engine being right.
    """
    padded, kernel = np.asarray(padded, dtype=float), np.asarray(kernel, dtype=float)
    (h, w), (kh, kw) = padded.shape, kernel.shape
    oh = (h - dilation * (kh - 1) - 1) // stride + 1
    ow = (w - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((oh, ow))
    for j in range(kh):
        for k in range(kw):
            r, c = dilation * j, dilation * k
            view = padded[
                r : r + (oh - 1) * stride + 1 : stride, c : c + (ow - 1) * stride + 1 : stride
            ]
            out += kernel[j, k] * view
    return out


# --- pooling windows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pooling:
    """A square pooling window over one H×W plane: kernel k, stride s, padding p (0-based)."""

    height: int
    width: int
    kernel: int
    stride: int
    padding: int = 0

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Pooling:
        names = ("height", "width", "kernel", "stride", "padding")
        return cls(**{name: int(params[name]) for name in names})

    def to_params(self) -> dict[str, int]:
        return {
            "height": self.height,
            "width": self.width,
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
        }

    @property
    def out(self) -> tuple[int, int]:
        """(H_out, W_out) = floor((i + 2p - k)/s) + 1 per axis."""
        k, s, p = self.kernel, self.stride, self.padding
        return (self.height + 2 * p - k) // s + 1, (self.width + 2 * p - k) // s + 1

    def cells(self, y: int, x: int) -> list[tuple[int, int]]:
        """The input cells (row, col) of window (y, x) in row-major order; padding is skipped."""
        top, left = self.stride * y - self.padding, self.stride * x - self.padding
        return [
            (r, c)
            for r in range(max(top, 0), min(top + self.kernel, self.height))
            for c in range(max(left, 0), min(left + self.kernel, self.width))
        ]

    def windows(self) -> Iterable[tuple[int, int, list[tuple[int, int]]]]:
        """Every window as ``(y, x, cells)`` in row-major order of the output."""
        out_h, out_w = self.out
        for y in range(out_h):
            for x in range(out_w):
                yield y, x, self.cells(y, x)

    def overlaps(self) -> bool:
        return self.stride < self.kernel

    def describe(self, padding_word: str = "zero padding") -> str:
        """``a $2 \\times 2$ window, stride $2$ and no padding`` for prompts."""
        k, s, p = self.kernel, self.stride, self.padding
        padding = f"{padding_word} ${p}$" if p else "no padding"
        return f"a ${k} \\times {k}$ window, stride ${s}$ and {padding}"

    def span(self, y: int, x: int) -> str:
        """``rows 0–1, columns 2–3`` (clipped to the input) for window (y, x)."""
        top, left = self.stride * y - self.padding, self.stride * x - self.padding
        rows = (max(top, 0), min(top + self.kernel, self.height) - 1)
        cols = (max(left, 0), min(left + self.kernel, self.width) - 1)
        return f"{_range('row', rows)}, {_range('column', cols)}"

    def argmaxes(self, x: np.ndarray) -> list[tuple[int, int, tuple[int, int]]]:
        """``(y, x, (row, col))`` of every window's first maximum (row-major); padding is −∞."""
        found = []
        for y, xx, cells in self.windows():
            best = cells[0]
            for r, c in cells[1:]:
                if x[r, c] > x[best]:
                    best = (r, c)
            found.append((y, xx, best))
        return found


def _range(word: str, first_last: tuple[int, int]) -> str:
    first, last = first_last
    if first == last:
        return f"{word} {first}"
    return f"{word}s {first}–{last}"


def scatter(
    shape: tuple[int, int],
    targets: Iterable[tuple[float, Sequence[tuple[int, int]]]],
    *,
    accumulate: bool = True,
) -> np.ndarray:
    """Send each ``(value, cells)`` pair's value to every one of its cells.

    With ``accumulate=False`` a later window overwrites instead of adding (the "last write wins"
    mistake of a backward pass that forgets overlapping windows share cells).
    """
    out = np.zeros(shape)
    for value, cells in targets:
        for r, c in cells:
            out[r, c] = out[r, c] + value if accumulate else value
    return out


# --- words and LaTeX ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def number(value: float) -> str:
    """:func:`quiz.exercises.latex.number`, cached: the same few small values recur endlessly,
    and writing a fraction (``\\tfrac{2}{9}``) is slow enough to matter for a fast generate."""
    return latex.number(float(value))


def matrix(values: np.ndarray | Sequence[Sequence[float]]) -> str:
    """A 2-D array as a ``bmatrix`` (as :func:`quiz.exercises.latex.matrix`, cached numbers)."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {array.shape}")
    return latex.bmatrix([" & ".join([number(v) for v in row]) for row in array.tolist()])


INDEX_BASE = "Rows and columns are numbered from 0 at the top left, as in PyTorch."
"""The one sentence on index bases (prompts that name a position, and the exercise view)."""


def cell(row: int, col: int) -> str:
    """``row 1, column 2`` for the position (1, 2) (0-based, as everything a student sees)."""
    return f"row {row}, column {col}"


def factor(value: float) -> str:
    """A number to multiply: negative numbers in parentheses."""
    text = number(value)
    return f"({text})" if value < 0 else text


def products(pairs: Iterable[tuple[float, float]]) -> str:
    """``2 \\cdot 1 + (-1) \\cdot 3`` for the pairs ``(2, 1), (-1, 3)``; ``0`` for none."""
    text = " + ".join(f"{factor(a)} \\cdot {factor(b)}" for a, b in pairs)
    return text or "0"


def additions(values: Iterable[float]) -> str:
    """``2 + (-1) + 3``; ``0`` for none."""
    text = " + ".join(factor(v) for v in values)
    return text or "0"


def channels(array: np.ndarray, name: str) -> str:
    """One bmatrix per channel of a (C, H, W) array: ``X`` alone when C = 1, else X_1, X_2, ..."""
    array = np.asarray(array, dtype=float)
    if array.shape[0] == 1:
        return f"{name} = {matrix(array[0])}"
    return ",\\quad ".join(f"{name}_{{{c}}} = {matrix(part)}" for c, part in enumerate(array))


def size(rows: int, cols: int) -> str:
    return f"${rows} \\times {cols}$"


TENSOR_LAYOUT = (
    "Answer one matrix per channel, rows on separate lines, with a blank line between channels."
)
MATRIX_LAYOUT = "Answer as a matrix, one row per line."


# --- a convolutional layer ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConvLayer:
    """A conv layer with square kernels: X (channels, height, width) -> (filters, H_out, W_out)."""

    channels: int
    filters: int
    height: int
    width: int
    kernel: int
    stride: int = 1
    padding: int = 0
    bias: bool = False

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ConvLayer:
        names = ("channels", "filters", "height", "width", "kernel", "stride", "padding")
        return cls(**{name: int(params[name]) for name in names}, bias=bool(params["bias"]))

    def to_params(self) -> dict[str, Any]:
        return {
            "channels": self.channels,
            "filters": self.filters,
            "height": self.height,
            "width": self.width,
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
            "bias": self.bias,
        }

    @property
    def out(self) -> tuple[int, int]:
        """(H_out, W_out) = floor((i + 2p - k)/s) + 1 per axis."""
        k, s, p = self.kernel, self.stride, self.padding
        return (self.height + 2 * p - k) // s + 1, (self.width + 2 * p - k) // s + 1

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.channels, self.height, self.width

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return self.filters, self.channels, self.kernel, self.kernel

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (self.filters, *self.out)

    def settings(self) -> str:
        """``stride $2$ and zero padding $1$`` for prompts."""
        padding = f"zero padding ${self.padding}$" if self.padding else "no padding"
        return f"stride ${self.stride}$ and {padding}"


def numbered(single: str, template: str, count: int) -> list[str]:
    """LaTeX names for ``count`` channels: ``[single]`` for one, else ``template.format(1..count)``.

    ``numbered("X_{\\text{pad}}", "X_{{\\text{{pad}},{}}}", 2)`` gives ``X_{\text{pad},1}`` and
    ``X_{\text{pad},2}``.
    """
    return [single] if count == 1 else [template.format(i) for i in range(count)]


def shared_maxima(receivers: dict[tuple[int, int], list[float]]) -> str | None:
    """The worked-solution step for input cells that are the maximum of several pooling windows
    (``receivers``: cell → the upstream gradients it received), or None when no cell is."""
    shared = [(at, values) for at, values in receivers.items() if len(values) > 1]
    if not shared:
        return None
    sums = "; ".join(
        f"{cell(*at)}: ${' + '.join(factor(v) for v in values)} = {number(sum(values))}$"
        for at, values in shared
    )
    return f"Cells that are the maximum of several windows add their gradients: {sums}."
