"""Convolution as one matrix product (im2col): the unfolded input's shape, its entries, its memory.

PyTorch's ``F.unfold`` (the lecture's im2col) copies every k × k window of the input, zero-padded
by p on each side, into one column. With 0-based indices, for one image X of C × H × W::

    cols[(c·k + i)·k + j][y·W_out + x] = X_pad[c][s·y + i][s·x + j]
    cols: (C·k·k) × L,   L = H_out · W_out,   H_out = floor((H + 2p - k)/s) + 1 (likewise W_out)

Rows go channel-major (channel 0's window row by row, then channel 1's: the order of
``W.reshape(C_out, -1)``), columns are the window positions in row-major order. The layer is then
``W_mat · cols`` with ``W_mat`` of C_out × C·k·k (row u = filter u flattened): a C_out × L
product, entry (u, l) = the output O[u][y][x], reshaped to C_out × H_out × W_out. A batch of N
images gives N such matrices: ``N · C·k·k · L`` numbers, about k²/s² times the input's
``N · C · H · W``, since each input value is copied into every window that covers it.

Each question asks one thing (``Setup.ask``):

Difficulty 1 (``shape``): the shape (rows × columns) of the unfolded matrix of one image, for a
small layer (1 … 3 channels of 4 … 8 a side, a 2 × 2 or 3 × 3 kernel, stride 1 or 2, padding 0 or
1); a SHAPE answer.
Difficulty 2: a 2-channel 4 × 4 input of small integers is shown. ``entry`` (two questions in
three): the number in row r, column l of the unfolded matrix (k = 2 or 3, stride 1 or 2, zero
padding 1 for the 3 × 3 stride-2 case; every value of X is different, so a slip that reads
another cell gives another number). ``product``: the entry (u, l) of ``W_mat · cols`` for 2 or 3
filters of 2 × 2 kernels (no bias): a dot product of 8 terms, the output O[u][y][x]. A NUMBER
answer.
Difficulty 3: a realistic layer (a ResNet, LeNet, AlexNet or CIFAR-style convolution) on a batch
of 8 … 64 images: how many numbers the unfolded batch holds (``numbers``), how many bytes in
float32 (``bytes``, 4 bytes per number), or how many times as many numbers as the input batch
(``ratio``: only for "same" padding p = (k - 1)/2 and, at stride 2, an even size, so the ratio is
exactly k² or k²/4). A NUMBER answer (counts are graded exactly).

Mistakes detected: ``matrix_transposed`` (d1: L × C·k·k; d2: row and column read the other way
round), ``input_positions_as_columns`` (d1, d3: L = H · W), ``padding_ignored`` (d1, d3: L
without the padding; d2: the window read from the unpadded input), ``columns_as_filters`` (d1:
C_out columns), ``kernel_position_major`` (d2: rows ordered kernel cell first, then channel, as a
channels-last im2col; in the product the weights then pair with the wrong inputs),
``one_based_index`` (d2: row and column counted from 1), ``no_duplication`` (d3: each input value
counted once), ``bytes_numbers_confused`` (d3: numbers for bytes or the reverse),
``batch_ignored`` (d3: one image instead of the batch).

Picture (d2): the input's first channel (padded when there is padding) with the k × k window and
the grid of window positions, each cell holding its column number l, so clicking a cell shows the
window that column l copies. d1 and d3: bars of how many numbers (d3 ``bytes``: float32 bytes)
each matrix of the product holds — the input, the unfolded ``cols`` (asked; with the input too for
a ratio), ``W_mat`` and the output — with their shapes (C·k·k × L for ``cols``) beside them: one
image at d1, the batch at d3.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from engine import conv_output_size, unfold, unfold_output_shape
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, pick, rng_for
from quiz.exercises.families.tensors import (
    INDEX_BASE,
    as_list,
    cell,
    channels,
    distinct,
    integers,
    matrix,
    number,
    pad,
    plane,
    products,
)
from quiz.exercises.latex import count as _n
from quiz.exercises.pictures import (
    Bar,
    BarsPicture,
    SolutionPicture,
    log_scale,
    ratio_text,
    size_text,
)
from quiz.grading import AnswerKind

ID = "im2col"

MISTAKES = {
    "matrix_transposed": "gave the transposed layout: window positions as rows, patch entries as "
    "columns",
    "input_positions_as_columns": "took the input's H · W positions as the number of columns "
    "instead of the H_out · W_out window positions",
    "padding_ignored": "left out the zero padding",
    "columns_as_filters": "gave the unfolded input one column per filter (C_out) instead of one "
    "per window position",
    "kernel_position_major": "ordered the rows kernel cell first, then channel (channels-last), "
    "instead of channel-major",
    "one_based_index": "counted the rows and columns from 1 instead of 0",
    "no_duplication": "counted each input value once instead of once per window that copies it",
    "bytes_numbers_confused": "gave numbers for bytes or bytes for numbers (float32: 4 bytes)",
    "batch_ignored": "counted the unfolded matrix of one image instead of the whole batch",
}

BYTES_PER_NUMBER = 4  # float32
ASKS = ("shape", "entry", "product", "numbers", "bytes", "ratio")

# difficulty 3: realistic layers (C_in, C_out, size, kernel, stride, padding)
_LAYERS: tuple[tuple[int, int, int, int, int, int], ...] = (
    (3, 64, 224, 7, 2, 3),  # ResNet's stem
    (3, 16, 32, 3, 1, 1),  # a CIFAR network's first layer
    (3, 6, 32, 5, 1, 0),  # LeNet-5's first layer (on 32 × 32)
    (16, 32, 32, 3, 1, 1),
    (32, 64, 32, 5, 1, 2),
    (64, 64, 56, 3, 1, 1),  # ResNet, stage 1
    (64, 128, 56, 3, 2, 1),  # ResNet, down to stage 2
    (128, 128, 28, 3, 1, 1),
    (128, 256, 28, 3, 2, 1),
    (256, 256, 14, 3, 1, 1),
    (96, 256, 27, 5, 1, 2),  # AlexNet's second layer
    (3, 96, 227, 11, 4, 0),  # AlexNet's first layer
)
_BATCHES = (8, 16, 32, 64)


@dataclass(frozen=True)
class Setup:
    """One question: the layer (square kernel ``k``, stride, zero padding per side), the batch,
    what is asked and, for an entry, its 0-based ``row`` (r, or the filter u) and ``column`` (l)."""

    ask: str
    channels: int
    height: int
    width: int
    kernel: int
    stride: int = 1
    padding: int = 0
    filters: int = 1
    batch: int = 1
    row: int = 0
    column: int = 0

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        names = [name for name in cls.__dataclass_fields__ if name != "ask"]
        return cls(str(params["ask"]), *(int(params[name]) for name in names))

    def out(self, padding: int | None = None) -> tuple[int, int]:
        """(H_out, W_out), the window positions per axis (with another padding if given)."""
        p = self.padding if padding is None else padding
        return (
            conv_output_size(self.height, self.kernel, self.stride, p),
            conv_output_size(self.width, self.kernel, self.stride, p),
        )

    @property
    def rows(self) -> int:
        """C · k · k: one row per (channel, kernel row, kernel column)."""
        return self.channels * self.kernel**2

    @property
    def positions(self) -> int:
        """L = H_out · W_out."""
        out_h, out_w = self.out()
        return out_h * out_w

    @property
    def input_numbers(self) -> int:
        return self.batch * self.channels * self.height * self.width


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        return build(_draw_shape(rng), seed=seed, difficulty=difficulty)
    if difficulty == 2:
        setup, tensors = _draw_entry(rng)
        return build(setup, tensors, seed, difficulty)
    return build(_draw_memory(rng), seed=seed, difficulty=difficulty)


def _draw_shape(rng: np.random.Generator) -> Setup:
    height = int(rng.integers(4, 9))
    width = height if rng.integers(3) else int(rng.integers(4, 9))
    return Setup(
        "shape",
        channels=pick(rng, (1, 2, 3)),
        height=height,
        width=width,
        kernel=pick(rng, (2, 3)),
        stride=pick(rng, (1, 2)),
        padding=pick(rng, (0, 1)),
        filters=pick(rng, (2, 4, 6, 8)),
    )


def _draw_entry(rng: np.random.Generator) -> tuple[Setup, dict[str, Any]]:
    if rng.integers(3):  # an entry of the unfolded input
        kernel, stride, padding = pick(rng, ((2, 1, 0), (2, 2, 0), (3, 1, 0), (3, 2, 1)))
        setup = Setup("entry", 2, 4, 4, kernel, stride, padding)
        x = distinct(rng, (2, 4, 4), -16, 16, nonzero=True)
        tensors = {"X": as_list(x)}
        row = int(rng.integers(setup.rows))
    else:  # an entry of the product W_mat · cols
        filters = pick(rng, (2, 3))
        setup = Setup("product", 2, 4, 4, 2, pick(rng, (1, 2)), 0, filters)
        x = integers(rng, (2, 4, 4), -4, 4)
        w = integers(rng, (filters, 2, 2, 2), nonzero=True)
        tensors = {"X": as_list(x), "W": as_list(w)}
        row = int(rng.integers(filters))
    column = int(rng.integers(setup.positions))
    return Setup(**{**asdict(setup), "row": row, "column": column}), tensors


def _draw_memory(rng: np.random.Generator) -> Setup:
    ask = pick(rng, ("numbers", "bytes", "ratio"))
    layers = _LAYERS
    if ask == "ratio":  # "same" padding on an even size: the ratio is exactly k² or k²/4
        layers = tuple(
            layer
            for layer in _LAYERS
            if 2 * layer[5] == layer[3] - 1 and (layer[4] == 1 or layer[2] % 2 == 0)
        )
    c_in, c_out, size, kernel, stride, padding = pick(rng, layers)
    return Setup(ask, c_in, size, size, kernel, stride, padding, c_out, pick(rng, _BATCHES))


def build(
    setup: Setup, tensors: dict[str, Any] | None = None, seed: int = 0, difficulty: int = 2
) -> Exercise:
    """The exercise for ``setup`` (and, for an entry, the tensors ``X`` and ``W``):
    ``generate`` draws them, a test can pass its own."""
    if setup.ask not in ASKS:
        raise ValueError(f"ask must be one of {', '.join(ASKS)}; got {setup.ask!r}")
    tensors = dict(tensors or {})
    kind = AnswerKind.NUMBER
    grading: dict[str, Any] = {}
    picture: SolutionPicture | None = None
    k, s, p = setup.kernel, setup.stride, setup.padding
    if setup.ask == "shape":
        kind, grading = AnswerKind.SHAPE, {"names": ("rows", "columns")}
        expected: Any = list(
            unfold_output_shape((setup.channels, setup.height, setup.width), k, 1, p, s)
        )
        picture = _shape_picture(setup)
    elif setup.ask in ("entry", "product"):
        x = np.asarray(tensors["X"], dtype=float)
        cols = unfold(x, k, padding=p, stride=s)
        if setup.ask == "entry":
            expected = float(cols[setup.row, setup.column])
        else:
            w = np.asarray(tensors["W"], dtype=float)
            expected = float((w.reshape(setup.filters, -1) @ cols)[setup.row, setup.column])
        out_h, out_w = setup.out()
        picture = Picture(
            input="X",
            output=plane(np.arange(out_h * out_w).reshape(out_h, out_w)),
            window=(k, k),
            stride=(s, s),
            padding=(p, p),
            output_title="Window positions: column l of the unfolded matrix",
        )
    else:
        batch_shape = (setup.batch, setup.channels, setup.height, setup.width)
        numbers = math.prod(unfold_output_shape(batch_shape, k, 1, p, s))
        if setup.ask == "numbers":
            expected, grading = numbers, {"rel_tol": 0.0, "abs_tol": 0.0}
        elif setup.ask == "bytes":
            expected, grading = BYTES_PER_NUMBER * numbers, {"rel_tol": 0.0, "abs_tol": 0.0}
        else:
            expected = float(Fraction(numbers, setup.input_numbers))
        picture = _memory_picture(setup)
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup, tensors),
        answer_kind=kind,
        expected=expected,
        params=asdict(setup),
        tensors=tensors,
        solution=_solution(setup, tensors, expected),
        hint=_HINTS[setup.ask],
        grading=grading,
        picture=picture,
    )


# --- the pictures (d1, d3): the product's matrices as bars ---------------------------------

NUMBERS = "numbers"
BYTES = "float32 bytes"


def _shape_picture(setup: Setup) -> BarsPicture:
    """One image: how many numbers the input, ``cols`` (asked), ``W_mat`` and the product hold,
    each with its shape, so that the rows and columns of ``cols`` read off beside its bar."""
    c, h, w, k, f = setup.channels, setup.height, setup.width, setup.kernel, setup.filters
    rows, positions, p = setup.rows, setup.positions, setup.padding
    out_h, out_w = setup.out()
    padded = f", zero-padded to {h + 2 * p}×{w + 2 * p}" if p else ""
    bars = (
        Bar("input X", ((NUMBERS, c * h * w),), (c, h, w), note=f"{c}·{h}·{w}{padded}"),
        Bar(
            "unfolded cols",
            ((NUMBERS, rows * positions),),
            (rows, positions),
            note=f"rows {c}·{k}·{k}, columns {out_h}·{out_w}",
            asked=(NUMBERS,),
        ),
        Bar("weights W_mat", ((NUMBERS, f * rows),), (f, rows), note="a row per filter"),
        Bar(
            "product W_mat · cols",
            ((NUMBERS, f * positions),),
            (f, positions),
            note=f"the output {f}×{out_h}×{out_w}, flattened",
        ),
    )
    if positions != h * w:
        cells = f", not the input's {h}·{w} = {h * w} cells"
    else:
        cells = f", here as many as the input's {h}·{w} cells"
    return BarsPicture(
        title="The matrices of the product W_mat · cols, for one image",
        bars=bars,
        axis=NUMBERS,
        log_scale=log_scale(bar.total for bar in bars),
        caption=f"cols has a row per entry of a window ({c}·{k}·{k} = {rows}) and a column per "
        f"window position ({out_h}·{out_w} = {positions}{cells}): {rows}×{positions}. W_mat "
        f"({f}×{rows}) times cols ({rows}×{positions}) is {f}×{positions}, each filter's "
        "output at every window position.",
    )


def _memory_picture(setup: Setup) -> BarsPicture:
    """The batch: the numbers (or float32 bytes, when they are asked) of the input, the unfolded
    ``cols`` (asked; with the input for a ratio), ``W_mat`` and the output."""
    n, c, h, w = setup.batch, setup.channels, setup.height, setup.width
    k, s, f = setup.kernel, setup.stride, setup.filters
    rows, positions = setup.rows, setup.positions
    out_h, out_w = setup.out()
    in_bytes = setup.ask == "bytes"
    series, scale, times = (BYTES, BYTES_PER_NUMBER, "4·") if in_bytes else (NUMBERS, 1, "")
    unfolded = n * rows * positions
    bars = (
        Bar(
            "input batch X",
            ((series, scale * setup.input_numbers),),
            (n, c, h, w),
            note=f"{times}{n}·{c}·{h}·{w}",
            asked=(series,) * (setup.ask == "ratio"),
        ),
        Bar(
            "unfolded cols",
            ((series, scale * unfolded),),
            (n, rows, positions),
            note=f"{times}{n}·({c}·{k}·{k})·({out_h}·{out_w})",
            asked=(series,),
        ),
        Bar(
            "weights W_mat",
            ((series, scale * f * rows),),
            (f, rows),
            note=f"{times}{f}·{c}·{k}·{k}, one for the whole batch",
        ),
        Bar(
            "output",
            ((series, scale * n * f * positions),),
            (n, f, out_h, out_w),
            note=f"{times}{n}·{f}·{out_h}·{out_w}",
        ),
    )
    copies = Fraction(unfolded, setup.input_numbers)
    rule = f"k²/s² = {k * k}/{s * s}" if s > 1 else f"k² = {k * k}"
    if copies == Fraction(k * k, s * s):
        windows = f"{rule} windows on average"
    elif copies < Fraction(k * k, s * s):
        windows = f"a little under {rule} windows on average (fewer at the unpadded border)"
    else:
        windows = f"about {rule} windows on average"
    caption = (
        f"cols holds {ratio_text(copies)} times the input's numbers: each input value is copied "
        f"into every window that covers it, {windows}."
    )
    if in_bytes:
        caption += (
            f" At 4 bytes a number, cols takes {size_text(scale * unfolded)}, the input "
            f"{size_text(scale * setup.input_numbers)}."
        )
    return BarsPicture(
        title=f"What im2col holds for a batch of {n}, in {series}",
        bars=bars,
        axis="bytes" if in_bytes else NUMBERS,
        unit="bytes" if in_bytes else "count",
        log_scale=log_scale(bar.total for bar in bars),
        caption=caption,
    )


# --- the mistaken computations (numpy and index arithmetic, not the engine) ------------------


def _unfolded(x: np.ndarray, setup: Setup, *, channel_major: bool = True) -> np.ndarray:
    """The (C·k·k) × L matrix by slicing the windows out of the padded input; the rows go kernel
    cell first, then channel, when not ``channel_major`` (a channels-last im2col)."""
    k, s = setup.kernel, setup.stride
    xpad = pad(x, setup.padding)
    c = x.shape[0]
    out_h = (xpad.shape[1] - k) // s + 1
    out_w = (xpad.shape[2] - k) // s + 1
    windows = [
        xpad[:, s * y : s * y + k, s * xx : s * xx + k] for y in range(out_h) for xx in range(out_w)
    ]
    if channel_major:
        columns = [window.reshape(c * k * k) for window in windows]
    else:
        columns = [window.transpose(1, 2, 0).reshape(c * k * k) for window in windows]
    return np.stack(columns, axis=1)


def _at(matrix_: np.ndarray, row: int, column: int) -> float | None:
    if 0 <= row < matrix_.shape[0] and 0 <= column < matrix_.shape[1]:
        return float(matrix_[row, column])
    return None


def mistakes(exercise: Exercise) -> list[Mistake]:
    """The asked value computed each mistaken way (None when the mistake does not apply)."""
    setup = Setup.from_params(dict(exercise.params))
    if setup.ask == "shape":
        found = _shape_mistakes(setup)
    elif setup.ask in ("entry", "product"):
        found = _entry_mistakes(setup, exercise.tensors)
    else:
        found = _memory_mistakes(setup)
    return [Mistake(tag, _MESSAGES[tag], answer) for tag, answer in found if answer is not None]


def _shape_mistakes(setup: Setup) -> list[tuple[str, Any]]:
    rows, positions = setup.rows, setup.positions
    found: list[tuple[str, Any]] = [
        ("matrix_transposed", [positions, rows]),
        ("input_positions_as_columns", [rows, setup.height * setup.width]),
    ]
    if setup.padding:
        out_h, out_w = setup.out(padding=0)
        found.append(("padding_ignored", [rows, out_h * out_w]))
    found.append(("columns_as_filters", [rows, setup.filters]))
    return found


def _entry_mistakes(setup: Setup, tensors: Any) -> list[tuple[str, Any]]:
    x = np.asarray(tensors["X"], dtype=float)
    r, col = setup.row, setup.column
    cols = _unfolded(x, setup)
    by_kernel = _unfolded(x, setup, channel_major=False)
    if setup.ask == "product":
        w_mat = np.asarray(tensors["W"], dtype=float).reshape(setup.filters, -1)
        cols, by_kernel = w_mat @ cols, w_mat @ by_kernel
    found: list[tuple[str, Any]] = [("kernel_position_major", _at(by_kernel, r, col))]
    if r >= 1 and col >= 1:
        found.append(("one_based_index", _at(cols, r - 1, col - 1)))
    found.append(("matrix_transposed", _at(cols, col, r)))
    if setup.padding:
        found.append(("padding_ignored", _unpadded_entry(x, setup)))
    return found


def _unpadded_entry(x: np.ndarray, setup: Setup) -> float | None:
    """The asked cell read at (s·y + i, s·x + j) of the unpadded input (None off its edge)."""
    k, s = setup.kernel, setup.stride
    c, rest = divmod(setup.row, k * k)
    i, j = divmod(rest, k)
    y, xx = divmod(setup.column, setup.out()[1])
    row, col = s * y + i, s * xx + j
    if row < setup.height and col < setup.width:
        return float(x[c, row, col])
    return None


def _memory_mistakes(setup: Setup) -> list[tuple[str, Any]]:
    n, rows, positions = setup.batch, setup.rows, setup.positions
    per_number = 1 if setup.ask == "numbers" else BYTES_PER_NUMBER
    scale = Fraction(1, setup.input_numbers) if setup.ask == "ratio" else Fraction(per_number)

    def answer(value: int) -> Any:
        figure = value * scale
        return float(figure) if setup.ask == "ratio" else int(figure)

    found: list[tuple[str, Any]] = [
        ("no_duplication", answer(setup.input_numbers)),
        ("input_positions_as_columns", answer(n * rows * setup.height * setup.width)),
    ]
    if setup.padding:
        out_h, out_w = setup.out(padding=0)
        found.append(("padding_ignored", answer(n * rows * out_h * out_w)))
    if setup.ask == "numbers":
        found.append(("bytes_numbers_confused", BYTES_PER_NUMBER * n * rows * positions))
    elif setup.ask == "bytes":
        found.append(("bytes_numbers_confused", n * rows * positions))
    if setup.ask != "ratio":
        found.append(("batch_ignored", answer(rows * positions)))
    return found


_MESSAGES = {
    "matrix_transposed": "You used the transposed layout. In im2col (PyTorch's `F.unfold`) each "
    "**column** is one window position — there are $L = H_{\\text{out}} \\cdot W_{\\text{out}}$ "
    "of them — and each **row** is one entry of a window (a channel, kernel row and kernel "
    "column): the matrix is $C k^2 \\times L$, so that the weight matrix "
    "$W_{\\text{mat}}$ ($C_{\\text{out}} \\times C k^2$) multiplies it from the left. Row $r$, "
    "column $l$ of `cols` is entry $r$ of window $l$; in the product, row $u$ is filter $u$ and "
    "column $l$ is still window $l$.",
    "input_positions_as_columns": "You counted the input's positions, $H \\cdot W$, as columns. "
    "There is one column per **window position**, which is one per output position: "
    "$L = H_{\\text{out}} \\cdot W_{\\text{out}}$ with "
    "$H_{\\text{out}} = \\lfloor (H + 2p - k)/s \\rfloor + 1$ (likewise $W_{\\text{out}}$).",
    "padding_ignored": "You left out the zero padding. The windows slide over the input padded "
    "with $p$ zeros on each side, so $H_{\\text{out}} = \\lfloor (H + 2p - k)/s \\rfloor + 1$, "
    "and a window's cell $(s\\,y + i, s\\,x + j)$ is a position in the **padded** input — row "
    "$s\\,y + i - p$ of $X$, or a padding zero (which is copied into the matrix too).",
    "columns_as_filters": "The unfolded input has nothing to do with the filters yet: its columns "
    "are the $L$ window positions. The filters are the rows of the **weight** matrix "
    "$W_{\\text{mat}}$ ($C_{\\text{out}} \\times C k^2$); they meet the windows in the product "
    "$W_{\\text{mat}} \\cdot \\text{cols}$, which is $C_{\\text{out}} \\times L$.",
    "kernel_position_major": "You ordered the rows kernel cell first (every channel of cell "
    "$(0, 0)$, then of $(0, 1)$, …), as a channels-last im2col does. PyTorch's `unfold` — like "
    "`W.reshape(C_out, -1)` — is **channel-major**: row $r = (c \\cdot k + i) \\cdot k + j$, so "
    "the first $k^2$ rows are channel 0's window, row by row, then channel 1's. The weights and "
    "the columns must use the same order, or the product pairs weights with the wrong inputs.",
    "one_based_index": "You counted from 1. Rows and columns count from 0 here, as in PyTorch: "
    "row $r$ is the $(r + 1)$-th row, and column $l$ is window $l$ in row-major order, "
    "$l = y \\cdot W_{\\text{out}} + x$, so column 0 is the top-left window.",
    "no_duplication": "You counted each input value once, but im2col **copies** it into every "
    "window that covers it — up to $k^2$ columns. One image's matrix holds "
    "$C k^2 \\cdot L$ numbers (padding zeros included), about $k^2/s^2$ times the input's "
    "$C \\cdot H \\cdot W$.",
    "bytes_numbers_confused": "Numbers and bytes are mixed up: in float32 each number takes "
    "4 bytes, so bytes $= 4 \\times$ numbers. Check which of the two the question asks for.",
    "batch_ignored": "That is one image. Each of the $N$ images of the batch is unfolded into its "
    "own $C k^2 \\times L$ matrix (`F.unfold` returns $N \\times C k^2 \\times L$), so multiply "
    "by the batch size.",
}

_SHAPE_HINT = (
    "One column per window position, one row per entry of a window (every channel's "
    "$k \\times k$ cells). How many positions does the window take? Per axis, "
    "$\\lfloor (i + 2p - k)/s \\rfloor + 1$."
)
_HINTS = {
    "shape": _SHAPE_HINT,
    "entry": "Split the column number into the window's output position, "
    "$l = y \\cdot W_{\\text{out}} + x$, and the row number into channel, kernel row and kernel "
    "column, $r = (c \\cdot k + i) \\cdot k + j$; the entry is the (padded) input at channel $c$, "
    "row $s\\,y + i$, column $s\\,x + j$.",
    "product": "Row $u$ of $W_{\\text{mat}}$ is filter $u$ flattened channel by channel, row by "
    "row; column $l$ of the unfolded input is window $l$ flattened the same way. The entry is "
    "their dot product — the layer's output at the window's position.",
    "numbers": _SHAPE_HINT + " Then multiply by the batch size.",
    "bytes": _SHAPE_HINT + " Then multiply by the batch size and by 4 bytes.",
    "ratio": "Each window copies $k^2$ values per channel, and there are about $1/s^2$ as many "
    "windows as input positions. Compare $C k^2 \\cdot L$ with $C \\cdot H \\cdot W$.",
}


# --- words ------------------------------------------------------------------------------------


def _conv(setup: Setup) -> str:
    args = [str(setup.channels), str(setup.filters), f"kernel_size={setup.kernel}"]
    args += [f"stride={setup.stride}", f"padding={setup.padding}"]
    return f"`nn.Conv2d({', '.join(args)})`"


def _padding_words(setup: Setup) -> str:
    if setup.padding:
        return f"zero padding ${setup.padding}$ on each side"
    return "no padding"


LAYOUT = (
    "one **column** per window position (numbered as the output positions: row by row, left to "
    "right), and one **row** per entry of a window: channel by channel (channel-major, as "
    "PyTorch: channel 0's window row by row, then channel 1's, …)"
)


def _prompt(setup: Setup, tensors: dict[str, Any]) -> str:
    if setup.ask == "shape":
        return _shape_prompt(setup)
    if setup.ask in ("entry", "product"):
        return _entry_prompt(setup, tensors)
    return _memory_prompt(setup)


def _shape_prompt(setup: Setup) -> str:
    c, h, w, k = setup.channels, setup.height, setup.width, setup.kernel
    what = "one channel" if c == 1 else f"${c}$ channels"
    return (
        f"The layer {_conv(setup)} — ${setup.filters}$ filters of ${k} \\times {k}$, stride "
        f"${setup.stride}$, {_padding_words(setup)} — is computed as one matrix product "
        "(im2col). `F.unfold(X, kernel_size="
        f"{k}, stride={setup.stride}, padding={setup.padding})` turns the input into a matrix "
        f"with {LAYOUT}. The input $X$ is **one image** ({what} of ${h} \\times {w}$, height × "
        "width, no batch). What is the shape of the unfolded matrix? Answer as rows × columns."
    )


def _entry_prompt(setup: Setup, tensors: dict[str, Any]) -> str:
    k, s = setup.kernel, setup.stride
    x = np.asarray(tensors["X"], dtype=float)
    shown = channels(x, "X")
    lead = (
        f"An input $X$ of ${setup.channels}$ channels of ${setup.height} \\times {setup.width}$ "
        f"is unfolded for a ${k} \\times {k}$ kernel with stride ${s}$ and "
        f"{_padding_words(setup)}: `cols = F.unfold(X, kernel_size={k}, stride={s}, "
        f"padding={setup.padding})` (im2col), a matrix with {LAYOUT}."
    )
    if setup.ask == "entry":
        return (
            lead
            + latex.display(shown)
            + f"\nWhat number is in **{cell(setup.row, setup.column)}** of `cols`? {INDEX_BASE} "
            "Answer with one number."
        )
    w = np.asarray(tensors["W"], dtype=float)
    filters = "".join(
        latex.display(
            ",\\quad ".join(f"W_{{{u},{i}}} = {matrix(kernel)}" for i, kernel in enumerate(w[u]))
        )
        for u in range(setup.filters)
    )
    return (
        lead
        + latex.display(shown)
        + f"\nA conv layer with ${setup.filters}$ filters (no bias) has the kernels $W_{{u,c}}$ "
        "(filter $u$, input channel $c$):"
        + filters
        + "\nIt is computed as the product $W_{\\text{mat}} \\cdot \\text{cols}$, where "
        f"$W_{{\\text{{mat}}}}$ = `W.reshape({setup.filters}, -1)` has one row per filter "
        "(filter $u$'s kernels flattened in the same channel-major order). What is the entry in "
        f"**{cell(setup.row, setup.column)}** of the product? {INDEX_BASE} Answer with one number."
    )


def _memory_prompt(setup: Setup) -> str:
    c, h, k, s = setup.channels, setup.height, setup.kernel, setup.stride
    lead = (
        f"The layer {_conv(setup)} — ${k} \\times {k}$ kernels, stride ${s}$, "
        f"{_padding_words(setup)} — runs on a batch of ${setup.batch}$ images of "
        f"${c} \\times {h} \\times {h}$ (channels × height × width). It is computed by im2col: "
        f"`F.unfold` turns each image into a matrix with {LAYOUT}; the batch gives "
        f"${setup.batch}$ such matrices."
    )
    if setup.padding:
        lead += " Count every entry, the zeros copied from the padding included."
    if setup.ask == "numbers":
        question = "How many numbers do the unfolded matrices of the whole batch hold?"
    elif setup.ask == "bytes":
        question = (
            "How many bytes do the unfolded matrices of the whole batch take in float32 "
            "(4 bytes per number)? Answer in bytes."
        )
    else:
        question = (
            "How many times as many numbers as the input batch do they hold? Answer with a "
            "number (a decimal or a fraction)."
        )
    return f"{lead} {question}"


# --- worked solutions -------------------------------------------------------------------------


def _axis_size(size: int, setup: Setup) -> str:
    """``\\lfloor (6 + 2 \\cdot 1 - 3)/2 \\rfloor + 1 = 3`` for one axis."""
    k, s, p = setup.kernel, setup.stride, setup.padding
    out = conv_output_size(size, k, s, p)
    return f"\\lfloor ({size} + 2 \\cdot {p} - {k})/{s} \\rfloor + 1 = {out}"


def _positions_step(setup: Setup) -> str:
    out_h, out_w = setup.out()
    height = f"$H_{{\\text{{out}}}} = {_axis_size(setup.height, setup)}$"
    if setup.width == setup.height:
        width = f"and likewise $W_{{\\text{{out}}}} = {out_w}$"
    else:
        width = f"and $W_{{\\text{{out}}}} = {_axis_size(setup.width, setup)}$"
    return (
        f"Columns: one per window position, as many as the output has: {height} {width}, so "
        f"$L = {out_h} \\cdot {out_w} = {_n(out_h * out_w)}$."
    )


def _rows_step(setup: Setup) -> str:
    c, k = setup.channels, setup.kernel
    return (
        f"Rows: one per entry of a window, ${c}$ channel{'s' * (c > 1)} of ${k} \\times {k}$ "
        f"cells: $C \\cdot k \\cdot k = {c} \\cdot {k} \\cdot {k} = {_n(setup.rows)}$."
    )


def _solution(setup: Setup, tensors: dict[str, Any], expected: Any) -> tuple[str, ...]:
    if setup.ask == "shape":
        return _shape_solution(setup)
    if setup.ask in ("entry", "product"):
        return _entry_solution(setup, tensors, float(expected))
    return _memory_solution(setup, expected)


def _shape_solution(setup: Setup) -> tuple[str, ...]:
    rows, positions, f = setup.rows, setup.positions, setup.filters
    out_h, out_w = setup.out()
    return (
        "im2col copies each window of the (zero-padded) input into one column: the matrix has "
        "one row per entry of a window and one column per window position.",
        _rows_step(setup),
        _positions_step(setup),
        f"The unfolded matrix is ${rows} \\times {positions}$. (The weights reshape to "
        f"$W_{{\\text{{mat}}}}$ of ${f} \\times {rows}$, and $W_{{\\text{{mat}}}} \\cdot "
        f"\\text{{cols}}$ is ${f} \\times {positions}$: reshaped to ${f} \\times {out_h} "
        f"\\times {out_w}$ it is the layer's output.)",
    )


def _decode_steps(setup: Setup, r: int | None) -> list[str]:
    """How column l (and row r, if given) name a window and a cell of it."""
    k, s, p = setup.kernel, setup.stride, setup.padding
    out_h, out_w = setup.out()
    y, x = divmod(setup.column, out_w)
    steps = [
        "With 0-based indices, $\\text{cols}[(c \\cdot k + i) \\cdot k + j][y \\cdot "
        "W_{\\text{out}} + x] = X_{\\text{pad}}[c][s\\,y + i][s\\,x + j]$: column $l$ is the "
        "window of output position $(y, x)$, row $r$ is channel $c$, kernel row $i$, kernel "
        "column $j$ of it.",
        f"The windows: $H_{{\\text{{out}}}} = W_{{\\text{{out}}}} = \\lfloor ({setup.height} + "
        f"2 \\cdot {p} - {k})/{s} \\rfloor + 1 = {out_h}$, so there are $L = {out_h * out_w}$ "
        f"columns and ${setup.rows}$ rows. Column $l = {setup.column}$: "
        f"$y = \\lfloor {setup.column}/{out_w} \\rfloor = {y}$, $x = {setup.column} - {y} \\cdot "
        f"{out_w} = {x}$; the window starts at row ${s} \\cdot {y} = {s * y}$, column "
        f"${s} \\cdot {x} = {s * x}$ of the {'padded ' if p else ''}input.",
    ]
    if r is not None:
        c, rest = divmod(r, k * k)
        i, j = divmod(rest, k)
        steps.append(
            f"Row $r = {r}$: $c = \\lfloor {r}/{k * k} \\rfloor = {c}$, then "
            f"${r} - {c} \\cdot {k * k} = {rest}$ gives $i = \\lfloor {rest}/{k} \\rfloor = {i}$, "
            f"$j = {rest} - {i} \\cdot {k} = {j}$ (indeed $({c} \\cdot {k} + {i}) \\cdot {k} + {j} "
            f"= {r}$)."
        )
    return steps


def _entry_solution(setup: Setup, tensors: dict[str, Any], expected: float) -> tuple[str, ...]:
    k, s, p = setup.kernel, setup.stride, setup.padding
    x = np.asarray(tensors["X"], dtype=float)
    out_w = setup.out()[1]
    y, xx = divmod(setup.column, out_w)
    if setup.ask == "entry":
        steps = _decode_steps(setup, setup.row)
        c, rest = divmod(setup.row, k * k)
        i, j = divmod(rest, k)
        at_row, at_col = s * y + i, s * xx + j
        if p:
            padded = pad(x, p)
            name = f"X_{{\\text{{pad}},{c}}}"
            steps.append(f"Pad with ${p}$ zero on each side: ${name} = {matrix(padded[c])}$.")
            inside = p <= at_row < p + setup.height and p <= at_col < p + setup.width
            where = (
                f"which is $X_{{{c}}}$'s {cell(at_row - p, at_col - p)}"
                if inside
                else "a padding zero"
            )
            steps.append(
                f"The entry is ${name}[{s} \\cdot {y} + {i}][{s} \\cdot {xx} + {j}] = "
                f"{name}[{at_row}][{at_col}] = {number(expected)}$ ({where})."
            )
        else:
            steps.append(
                f"The entry is $X_{{{c}}}[{s} \\cdot {y} + {i}][{s} \\cdot {xx} + {j}] = "
                f"X_{{{c}}}[{at_row}][{at_col}] = {number(expected)}$."
            )
        return tuple(steps)
    w = np.asarray(tensors["W"], dtype=float)
    u = setup.row
    window = pad(x, p)[:, s * y : s * y + k, s * xx : s * xx + k].reshape(-1)
    weights = w[u].reshape(-1)
    steps = _decode_steps(setup, None)
    steps += [
        f"Row $u = {u}$ of $W_{{\\text{{mat}}}}$ is filter ${u}$ flattened channel by channel, "
        f"row by row: ${matrix(weights[None])}$.",
        f"Column ${setup.column}$ of `cols` is that window flattened the same way (channel 0's "
        f"${k} \\times {k}$ cells, then channel 1's): ${matrix(window[None])}^{{\\mathsf T}}$.",
        f"The entry is their dot product: ${products(zip(weights, window, strict=True))} = "
        f"{number(expected)}$ — the layer's output $O[{u}][{y}][{xx}]$, filter ${u}$ on the "
        f"window at output row ${y}$, column ${xx}$ (the product is ${setup.filters} \\times "
        f"{setup.positions}$, one row per filter, reshaped to ${setup.filters} \\times "
        f"{setup.out()[0]} \\times {out_w}$).",
    ]
    return tuple(steps)


def _memory_solution(setup: Setup, expected: Any) -> tuple[str, ...]:
    n, rows, positions = setup.batch, setup.rows, setup.positions
    per_image = rows * positions
    steps = [
        _rows_step(setup),
        _positions_step(setup),
        f"One image: ${_n(rows)} \\cdot {_n(positions)} = {_n(per_image)}$ numbers; the batch "
        f"of ${n}$: ${n} \\cdot {_n(per_image)} = {_n(n * per_image)}$ numbers.",
    ]
    if setup.ask == "bytes":
        steps.append(
            f"In float32, 4 bytes each: $4 \\cdot {_n(n * per_image)} = {_n(expected)}$ bytes "
            f"(about ${_mib(expected)}$ MiB)."
        )
    k, s = setup.kernel, setup.stride
    copies = Fraction(per_image, setup.channels * setup.height * setup.width)
    rule = f"k^2/s^2 = {k * k}/{s * s}" if s > 1 else f"k^2 = {k * k}"
    if setup.ask == "ratio":
        steps.append(
            f"The input batch holds ${n} \\cdot {setup.channels} \\cdot {setup.height} \\cdot "
            f"{setup.width} = {_n(setup.input_numbers)}$ numbers, so the unfolded batch holds "
            f"$\\frac{{{_n(n * per_image)}}}{{{_n(setup.input_numbers)}}} = "
            f"{latex.ratio(copies)}$ times as many. The batch and the channels cancel: "
            f"$k^2 \\cdot L/(H \\cdot W) = {k}^2 \\cdot {_n(positions)}/"
            f'{_n(setup.height * setup.width)}$; with this "same" padding '
            f"$L = (H/s) \\cdot (W/s)$, so the ratio is exactly ${rule}$: {_copies(k, s)}."
        )
        return tuple(steps)
    if 2 * setup.padding == k - 1:
        thumb = f'exactly ${rule}$, as "same" padding keeps $L = (H/s) \\cdot (W/s)$'
    else:
        thumb = f"a little less than ${rule}$: without padding the border has fewer windows"
    steps.append(
        f"Why so much: {_copies(k, s)}. The unfolded input is ${latex.ratio(copies)}$ times the "
        f"size of the input ({thumb}) — the price of turning the convolution into one large "
        "matrix product."
    )
    return tuple(steps)


def _copies(k: int, s: int) -> str:
    if s == 1:
        return (
            f"at stride 1 each input value lands in the ${k * k}$ windows that cover it (padding "
            "zeros stand in for the missing neighbours at the border)"
        )
    return (
        f"the ${k} \\times {k}$ window covers ${k * k}$ cells but moves ${s}$ cells at a time, so "
        f"there is one window per ${s} \\times {s}$ block and each input value lands in about "
        f"${k * k}/{s * s}$ windows"
    )


def _mib(value: int) -> str:
    return f"{value / 2**20:.1f}"


def reference(exercise: Exercise) -> Any:
    """The answer through plain loops: ``engine.reference.unfold`` for a shape or an entry of the
    unfolded input, ``engine.reference.conv2d`` for an entry of the product (it is the layer's
    output), and windows counted by sliding them for the memory."""
    setup = Setup.from_params(dict(exercise.params))
    k, s, p = setup.kernel, setup.stride, setup.padding
    if setup.ask == "shape":
        zeros = np.zeros((setup.channels, setup.height, setup.width))
        return list(engine_reference.unfold(zeros, k, padding=p, stride=s).shape)
    if setup.ask == "entry":
        cols = engine_reference.unfold(exercise.tensors["X"], k, padding=p, stride=s)
        return float(cols[setup.row][setup.column])
    if setup.ask == "product":
        out = engine_reference.conv2d(
            exercise.tensors["X"], exercise.tensors["W"], stride=s, padding=p
        )
        y, x = divmod(setup.column, out.shape[-1])
        return float(out[setup.row][y][x])
    per_axis = []
    for size in (setup.height, setup.width):
        windows, start = 0, -p
        while start + k <= size + p:  # a window from start to start + k - 1 fits
            windows, start = windows + 1, start + s
        per_axis.append(windows)
    numbers = setup.batch * setup.channels * k * k * per_axis[0] * per_axis[1]
    if setup.ask == "numbers":
        return numbers
    if setup.ask == "bytes":
        return BYTES_PER_NUMBER * numbers
    return numbers / setup.input_numbers


FAMILY = Family(
    id=ID,
    title="Convolution as a matrix product (im2col)",
    answer_kind=AnswerKind.NUMBER,
    description="im2col: the shape of the unfolded input (C·k·k × L), one entry of it or of the "
    "product W_mat · cols, and how much memory unfolding a realistic layer's batch takes.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
