"""One output entry of a convolutional layer: the notes' "dot product" card (multiply, add up).

With 0-based indices, the input X zero-padded first, one filter W (one kernel per input
channel) and its bias b::

    O[y][x] = b + Σ_i Σ_j Σ_k X[i][s·y + j][s·x + k] · W[i][j][k]

The notes write ``I[i][sx + j][sy + k]``, which swaps x and y; the solution says so. The prompt
names the entry in words counted from 0 ("row 1, column 2"), as everything a student sees.

Difficulty 1: one 4×4 channel, a 2×2 or 3×3 kernel, stride 1, no padding, no bias.
Difficulty 2: two input channels (4×4 or 5×5), a 2×2 or 3×3 kernel per channel, a bias.
Difficulty 3: one channel of 4 to 6 rows and columns, a 2×2 or 3×3 kernel, stride 2, zero
padding 1 and a bias.

Mistakes detected (each by computing the mistaken entry): ``kernel_flipped`` (all),
``bias_forgotten`` (d2, d3), ``channels_not_summed`` (d2), ``height_width_swapped`` (all, when
the entry at (x, y) exists and differs), ``wrong_window`` (d3: window start without the stride),
``padding_ignored`` (d3: window read from the unpadded input).

Picture: the (padded) first input channel, its kernel, and the whole output map, so the student
can click the asked entry (or any other) and see the window it reads (with two channels the
picture shows channel 0's window; the output adds both). The bias is ``params["b"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import conv2d
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, rng_for
from quiz.exercises.families.tensors import (
    INDEX_BASE,
    ConvLayer,
    as_list,
    cell,
    channels,
    flip,
    integers,
    matrix,
    number,
    pad,
    plane,
    products,
)
from quiz.grading import AnswerKind

ID = "conv-entry"

MISTAKES = {
    "kernel_flipped": "flipped the kernel (true convolution instead of cross-correlation)",
    "bias_forgotten": "left out the bias",
    "channels_not_summed": "used only the first input channel",
    "height_width_swapped": "computed the entry at (x, y) instead of (y, x)",
    "wrong_window": "started the window at (y, x) instead of (s·y, s·x): ignored the stride",
    "padding_ignored": "read the window from the unpadded input",
}


@dataclass(frozen=True)
class Setup:
    """The layer and the asked entry (0-based ``row``, ``col`` of the output)."""

    layer: ConvLayer
    row: int
    col: int

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(ConvLayer.from_params(params), int(params["row"]), int(params["col"]))

    def to_params(self) -> dict[str, Any]:
        return {**self.layer.to_params(), "row": self.row, "col": self.col}


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    kernel = int(rng.choice([2, 3]))
    if difficulty == 1:
        layer = ConvLayer(channels=1, filters=1, height=4, width=4, kernel=kernel)
    elif difficulty == 2:
        size = int(rng.choice([4, 5]))
        layer = ConvLayer(2, 1, size, size, kernel, bias=True)
    else:
        height, width = (int(v) for v in rng.integers(4, 7, size=2))
        layer = ConvLayer(1, 1, height, width, kernel, stride=2, padding=1, bias=True)
    x = integers(rng, layer.input_shape)
    w = integers(rng, layer.weight_shape, nonzero=True)
    b = integers(rng, (1,), nonzero=True) if layer.bias else np.zeros(1)
    out_h, out_w = layer.out
    setup = Setup(layer, int(rng.integers(0, out_h)), int(rng.integers(0, out_w)))
    out = conv2d(x, w, b if layer.bias else None, stride=layer.stride, padding=layer.padding)
    tensors = {"X": as_list(x), "W": as_list(w)}
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup, x, w, b),
        answer_kind=AnswerKind.NUMBER,
        expected=float(out[0, setup.row, setup.col]),
        params={**setup.to_params(), "b": as_list(b)},
        tensors=tensors,
        solution=_solution(setup, x, w, b, float(out[0, setup.row, setup.col])),
        hint="Put the kernel on the window whose top-left corner is row $s\\,y$, column "
        "$s\\,x$ of the (padded) input (0-based), multiply elementwise, add everything up "
        "over all channels, then add the bias once.",
        picture=Picture(
            input="X",
            output=plane(out[0]),
            kernel="W",
            stride=(layer.stride, layer.stride),
            padding=(layer.padding, layer.padding),
            output_title="Output O",
        ),
    )


def _entry(xpad: np.ndarray, w: np.ndarray, b: float, y: int, x: int, step: int) -> float | None:
    """b + Σ xpad[:, step·y + j, step·x + k] · w[:, j, k], or None when the window runs off."""
    k = w.shape[-1]
    top, left = step * y, step * x
    if top + k > xpad.shape[1] or left + k > xpad.shape[2]:
        return None
    return float((xpad[:, top : top + k, left : left + k] * w).sum() + b)


def mistakes(exercise: Exercise) -> list[Mistake]:
    """The asked entry computed each mistaken way (None when the mistake does not apply)."""
    setup = Setup.from_params(dict(exercise.params))
    layer, y, x = setup.layer, setup.row, setup.col
    xs = np.asarray(exercise.tensors["X"], dtype=float)
    w = np.asarray(exercise.tensors["W"], dtype=float)[0]
    b = float(exercise.params["b"][0])
    xpad, s = pad(xs, layer.padding), layer.stride
    found = [("kernel_flipped", _entry(xpad, flip(w), b, y, x, s))]
    if layer.bias:
        found.append(("bias_forgotten", _entry(xpad, w, 0.0, y, x, s)))
    if layer.channels > 1:
        found.append(("channels_not_summed", _entry(xpad[:1], w[:1], b, y, x, s)))
    if x != y:
        found.append(("height_width_swapped", _entry(xpad, w, b, x, y, s)))
    if s > 1:
        found.append(("wrong_window", _entry(xpad, w, b, y, x, 1)))
    if layer.padding:
        found.append(("padding_ignored", _entry(xs, w, b, y, x, s)))
    return [Mistake(tag, _MESSAGES[tag], answer) for tag, answer in found if answer is not None]


_MESSAGES = {
    "kernel_flipped": "You flipped the kernel (rotated it by 180°): that is the textbook "
    "*convolution*. A CNN layer — like PyTorch's `conv2d` — computes a **cross-correlation**: "
    "the kernel's top-left weight multiplies the window's top-left value, with no flipping.",
    "bias_forgotten": "You left out the bias. Each output entry is $b$ **plus** the sum of the "
    "products (the bias is added once, not once per channel).",
    "channels_not_summed": "You used only the first input channel. A filter has one kernel per "
    "input channel, and one output entry adds up the products over **all** channels.",
    "height_width_swapped": "You computed the entry at row $x$, column $y$: height and width are "
    "swapped. Output row $y$ reads input rows $s\\,y + j$ and output column $x$ reads columns "
    "$s\\,x + k$. (The notes write $I[i][sx+j][sy+k]$, which swaps $x$ and $y$.)",
    "wrong_window": "Your window ignored the stride. With stride $s$ the window of output "
    "$(y, x)$ starts at row $s\\,y$, column $s\\,x$ of the padded input (0-based), not at "
    "$(y, x)$.",
    "padding_ignored": "You read the window from the unpadded input. Pad first: with padding "
    "$p$ the window of output $(y, x)$ starts at row $s\\,y$, column $s\\,x$ of the **padded** "
    "input, i.e. $p$ rows and columns earlier in the original image.",
}


def _prompt(setup: Setup, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> str:
    layer = setup.layer
    k, c, h, wd = layer.kernel, layer.channels, layer.height, layer.width
    if c == 1:
        given = f"An input $X$ of size ${h} \\times {wd}$ (one channel) goes through a filter with"
        given += f" the ${k} \\times {k}$ kernel $W$"
    else:
        given = (
            f"An input $X$ with ${c}$ channels of ${h} \\times {wd}$ goes through one filter $W$ "
            f"(a ${k} \\times {k}$ kernel per input channel)"
        )
    bias = f", bias $b = {number(b[0])}$" if layer.bias else ", no bias"
    return (
        f"{given}, {layer.settings()}{bias}:\n"
        + latex.display(channels(x, "X"))
        + latex.display(channels(w[0], "W"))
        + "\nAs in PyTorch, the layer computes a cross-correlation: the kernel is **not** flipped. "
        f"What is the output entry in **{cell(setup.row, setup.col)}**? {INDEX_BASE} "
        "Answer with one number."
    )


def _solution(
    setup: Setup, x: np.ndarray, w: np.ndarray, b: np.ndarray, answer: float
) -> tuple[str, ...]:
    layer, y, xx = setup.layer, setup.row, setup.col
    s, k, p = layer.stride, layer.kernel, layer.padding
    steps = [
        "With 0-based indices (and the input zero-padded first when there is padding), "
        "$O[y][x] = b + \\sum_i \\sum_j \\sum_k X[i][s\\,y + j][s\\,x + k]\\; W[i][j][k]$: "
        "output row $y$ reads input rows $s\\,y + j$. (The notes write $I[i][sx+j][sy+k]$, "
        "which swaps $x$ and $y$.)"
    ]
    if p:
        steps.append(
            f"Pad $X$ with a border of ${p}$ zero on every side: "
            + ", ".join(f"${name} = {matrix(channel)}$" for name, channel in _padded(pad(x, p)))
            + "."
        )
    first_row, first_col = s * y, s * xx
    where = "the padded input" if p else "the input"
    steps.append(
        f"The entry in {cell(y, xx)} is $y = {y}$, $x = {xx}$; its window starts at "
        f"row ${s} \\cdot {y} = {first_row}$, column ${s} \\cdot {xx} = {first_col}$ of {where}, "
        f"i.e. it covers rows {first_row}–{first_row + k - 1} and columns "
        f"{first_col}–{first_col + k - 1}."
    )
    terms = engine_reference.conv2d_terms(x, w, 0, y, xx, stride=s, padding=p)
    sums = []
    for i in range(layer.channels):
        pairs = [(t.input_value, t.weight_value) for t in terms if t.weight_index[1] == i]
        window = np.array([a for a, _ in pairs]).reshape(k, k)
        total = sum(a * c for a, c in pairs)
        sums.append(total)
        label = f" of channel {i}" if layer.channels > 1 else ""
        steps.append(
            f"Multiply the window{label} ${matrix(window)}$ elementwise by the kernel "
            f"${matrix(w[0, i])}$ and add up: ${products(pairs)} = {number(total)}$."
        )
    parts = [number(v) for v in sums]
    if layer.bias:
        parts.append(number(b[0]))
    joined = " + ".join(f"({v})" if v.startswith("-") else v for v in parts)
    what = "Add the channels and the bias" if layer.channels > 1 else "Add the bias"
    if layer.bias or layer.channels > 1:
        steps.append(f"{what}: ${joined} = {number(answer)}$.")
    steps.append(f"The output entry in {cell(y, xx)} is ${number(answer)}$.")
    return tuple(steps)


def _padded(array: np.ndarray) -> list[tuple[str, np.ndarray]]:
    if array.shape[0] == 1:
        return [("X_{\\text{pad}}", array[0])]
    return [(f"X_{{\\text{{pad}},{i}}}", channel) for i, channel in enumerate(array)]


def reference(exercise: Exercise) -> float:
    """The whole output through ``engine.reference.conv2d``'s loops; read the asked entry."""
    setup = Setup.from_params(dict(exercise.params))
    layer = setup.layer
    out = engine_reference.conv2d(
        exercise.tensors["X"],
        exercise.tensors["W"],
        exercise.params["b"] if layer.bias else None,
        stride=layer.stride,
        padding=layer.padding,
    )
    return float(out[0][setup.row][setup.col])


FAMILY = Family(
    id=ID,
    title="One entry of a convolution",
    answer_kind=AnswerKind.NUMBER,
    description='The notes\' "dot product": one output entry of a conv layer from a small '
    "input, kernel and bias (channels, stride, padding at higher levels).",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
