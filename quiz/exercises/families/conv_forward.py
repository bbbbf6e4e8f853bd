"""The whole output of a small convolutional layer (cross-correlation, as in PyTorch).

With 0-based indices and the input X zero-padded first::

    O[u][y][x] = b[u] + Σ_i Σ_j Σ_k X[i][s·y + j][s·x + k] · W[u][i][j][k],
    H_out = floor((H + 2p - k)/s) + 1   (the same for the width)

Difficulty 1: one 4×4 channel, a 3×3 kernel, stride 1, no padding, no bias (a 2×2 output).
Difficulty 2: one channel (3×3 to 4×4), zero padding 1, a 2×2 or 3×3 kernel and a bias.
Difficulty 3: two input channels and a bias, and either stride 2 (4×4 or 5×5 input, padding 0
or 1, one filter: a matrix answer) or two filters (3×3 input, 2×2 kernels: a tensor answer,
one matrix per filter).

Mistakes detected (each by running the mistaken computation on the whole output):
``kernel_flipped`` (all), ``height_width_swapped`` (all: the output transposed, which is what
the notes' ``I[i][sx + j][sy + k]`` computes), ``bias_forgotten`` (d2, d3), ``padding_ignored``
(d2, and d3 with padding: a valid convolution, smaller), ``stride_ignored`` (d3 with stride 2:
every window position, larger), ``channels_not_summed`` (d3: only the first input channel).

Picture: the (padded) first input channel, the first kernel and the first output map; the
student picks an output cell to see its window (with two channels the output adds both). The
worked solution spells out one entry. The biases are ``params["b"]`` (one per filter).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import conv2d
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, rng_for
from quiz.exercises.families.tensors import (
    MATRIX_LAYOUT,
    ConvLayer,
    as_list,
    cell,
    channels,
    correlate,
    factor,
    flip,
    integers,
    matrix,
    number,
    pad,
    plane,
    products,
)
from quiz.grading import AnswerKind

ID = "conv-forward"

MISTAKES = {
    "kernel_flipped": "flipped the kernel (true convolution instead of cross-correlation)",
    "height_width_swapped": "swapped height and width (the output transposed)",
    "bias_forgotten": "left out the bias",
    "padding_ignored": "did not pad the input (a valid convolution)",
    "stride_ignored": "moved the window one cell at a time instead of by the stride",
    "channels_not_summed": "used only the first input channel",
}


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        layer = ConvLayer(channels=1, filters=1, height=4, width=4, kernel=3)
    elif difficulty == 2:
        kernel = int(rng.choice([2, 3]))
        height, width = (3, 3) if kernel == 2 else (int(v) for v in rng.integers(3, 5, size=2))
        layer = ConvLayer(1, 1, height, width, kernel, padding=1, bias=True)
    elif rng.random() < 0.5:
        size, kernel, padding = (
            int(rng.choice([4, 5])),
            int(rng.choice([2, 3])),
            int(rng.integers(0, 2)),
        )
        if (size + 2 * padding - kernel) // 2 < 1:  # keep at least a 2×2 output
            padding = 1
        layer = ConvLayer(2, 1, size, size, kernel, stride=2, padding=padding, bias=True)
    else:
        layer = ConvLayer(2, 2, 3, 3, 2, bias=True)
    x = integers(rng, layer.input_shape)
    w = integers(rng, layer.weight_shape, nonzero=True)
    b = integers(rng, (layer.filters,), nonzero=True) if layer.bias else np.zeros(layer.filters)
    out = conv2d(x, w, b if layer.bias else None, stride=layer.stride, padding=layer.padding)
    kind = AnswerKind.MATRIX if layer.filters == 1 else AnswerKind.TENSOR
    title = "Output O" if layer.filters == 1 else "Output O (filter 1)"
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(layer, x, w, b),
        answer_kind=kind,
        expected=as_list(out[0] if layer.filters == 1 else out),
        params={**layer.to_params(), "b": as_list(b)},
        tensors={"X": as_list(x), "W": as_list(w)},
        solution=_solution(layer, x, w, b, out),
        hint="First the size: $\\lfloor (i + 2p - k)/s \\rfloor + 1$ per axis. Then each entry "
        "is the window (starting at row $s\\,y$, column $s\\,x$ of the padded input) times the "
        "kernel, elementwise, summed over every channel, plus the bias.",
        picture=Picture(
            input="X",
            output=plane(out[0]),
            kernel="W",
            stride=(layer.stride, layer.stride),
            padding=(layer.padding, layer.padding),
            output_title=title,
        ),
    )


def _forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """The layer's output (F, H_out, W_out) by numpy slices (for the mistaken computations)."""
    xpad = pad(x, padding)
    return np.stack(
        [
            sum(correlate(xpad[i], w[u, i], stride) for i in range(w.shape[1])) + b[u]
            for u in range(w.shape[0])
        ]
    )


def mistakes(exercise: Exercise) -> list[Mistake]:
    layer = ConvLayer.from_params(dict(exercise.params))
    x = np.asarray(exercise.tensors["X"], dtype=float)
    w = np.asarray(exercise.tensors["W"], dtype=float)
    b = np.asarray(exercise.params["b"], dtype=float)
    s, p = layer.stride, layer.padding
    right = _forward(x, w, b, s, p)
    found = [
        ("kernel_flipped", _forward(x, flip(w), b, s, p)),
        ("height_width_swapped", np.swapaxes(right, 1, 2)),
    ]
    if layer.bias:
        found.append(("bias_forgotten", _forward(x, w, 0 * b, s, p)))
    if p:
        found.append(("padding_ignored", _forward(x, w, b, s, 0)))
    if s > 1:
        found.append(("stride_ignored", _forward(x, w, b, 1, p)))
    if layer.channels > 1:
        found.append(("channels_not_summed", _forward(x[:1], w[:, :1], b, s, p)))
    single = layer.filters == 1
    return [
        Mistake(tag, _MESSAGES[tag], as_list(answer[0] if single else answer))
        for tag, answer in found
    ]


_MESSAGES = {
    "kernel_flipped": "You flipped the kernel (rotated it by 180°): that is the textbook "
    "*convolution*. A CNN layer — like PyTorch's `conv2d` — computes a **cross-correlation**: "
    "the kernel's top-left weight multiplies each window's top-left value, with no flipping.",
    "height_width_swapped": "Your output is transposed: height and width are swapped. Output "
    "row $y$ reads input rows $s\\,y + j$ and output column $x$ reads columns $s\\,x + k$. "
    "(The notes write $I[i][sx+j][sy+k]$, which swaps $x$ and $y$ — exactly this mistake.)",
    "bias_forgotten": "You left out the bias: add $b[u]$ to **every** entry of output channel $u$.",
    "padding_ignored": "You did not pad the input. Put $p$ rows/columns of zeros around it "
    "first; the output then has $\\lfloor (i + 2p - k)/s \\rfloor + 1$ rows (and columns).",
    "stride_ignored": "You moved the window one cell at a time. With stride $s$ the window "
    "jumps $s$ cells: output $(y, x)$ reads the window starting at row $s\\,y$, column "
    "$s\\,x$ of the padded input, so the output is about $s$ times smaller per axis.",
    "channels_not_summed": "You used only the first input channel. Each filter has one "
    "kernel per input channel, and every output entry adds up the products over **all** "
    "channels (then the bias once).",
}


def _prompt(layer: ConvLayer, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> str:
    k, c, h, wd, f = layer.kernel, layer.channels, layer.height, layer.width, layer.filters
    what = "one channel" if c == 1 else f"${c}$ channels"
    given = f"An input $X$ of size ${h} \\times {wd}$ ({what}) goes through a convolutional layer "
    if f == 1:
        kernels = "the kernel $W$" if c == 1 else "one filter $W$ (a kernel per input channel)"
        given += f"with {kernels} of size ${k} \\times {k}$"
    else:
        given += (
            f"with ${f}$ filters $W_1, W_2$ (each a ${k} \\times {k}$ kernel per input channel)"
        )
    if not layer.bias:
        bias = ", no bias"
    elif f == 1:
        bias = f", bias $b = {number(b[0])}$"
    else:
        bias = ", biases " + ", ".join(f"$b_{u} = {number(v)}$" for u, v in enumerate(b))
    filters = "".join(latex.display(_kernels(w[u], u, f)) for u in range(f))
    layout = (
        MATRIX_LAYOUT
        if f == 1
        else "Answer one matrix per filter (filter 1 first), rows on separate lines, with a "
        "blank line between the filters."
    )
    return (
        f"{given}, {layer.settings()}{bias}:\n"
        + latex.display(channels(x, "X"))
        + filters
        + "\nAs in PyTorch, the layer computes a cross-correlation: the kernel is **not** "
        "flipped. Compute the whole output. " + layout
    )


def _kernels(w: np.ndarray, u: int, filters: int) -> str:
    """The kernels of one filter, ``W`` / ``W_{1}, W_{2}`` or ``W_{1,1}, W_{1,2}``."""
    if filters == 1:
        return channels(w, "W")
    return ",\\quad ".join(f"W_{{{u},{i}}} = {matrix(kernel)}" for i, kernel in enumerate(w))


def _solution(
    layer: ConvLayer, x: np.ndarray, w: np.ndarray, b: np.ndarray, out: np.ndarray
) -> tuple[str, ...]:
    s, k, p, h, wd = layer.stride, layer.kernel, layer.padding, layer.height, layer.width
    out_h, out_w = layer.out
    steps = [
        "With 0-based indices, $O[u][y][x] = b[u] + \\sum_i \\sum_j \\sum_k "
        "X[i][s\\,y + j][s\\,x + k]\\; W[u][i][j][k]$ (on the zero-padded input when there "
        "is padding): output row $y$ reads input rows $s\\,y + j$. (The notes write "
        "$I[i][sx+j][sy+k]$, which swaps $x$ and $y$.) As in PyTorch, the kernel is not flipped.",
        f"Size: $\\lfloor ({h} + 2 \\cdot {p} - {k})/{s} \\rfloor + 1 = {out_h}$ rows and "
        f"$\\lfloor ({wd} + 2 \\cdot {p} - {k})/{s} \\rfloor + 1 = {out_w}$ columns"
        + (f" per filter (${layer.filters}$ filters)." if layer.filters > 1 else "."),
    ]
    if p:
        padded = pad(x, p)
        names = (
            ["X_{\\text{pad}}"]
            if layer.channels == 1
            else [f"X_{{\\text{{pad}},{i}}}" for i in range(layer.channels)]
        )
        steps.append(
            f"Pad with ${p}$ zero on every side: "
            + ", ".join(f"${n} = {matrix(c)}$" for n, c in zip(names, padded, strict=True))
            + "."
        )
    y, xx = out_h // 2, out_w // 2
    terms = engine_reference.conv2d_terms(x, w, 0, y, xx, stride=s, padding=p)
    where = "padded input" if p else "input"
    pieces = []
    for i in range(layer.channels):
        pairs = [(t.input_value, t.weight_value) for t in terms if t.weight_index[1] == i]
        pieces.append(f"({products(pairs)})" if layer.channels > 1 else products(pairs))
    bias = f" + {factor(b[0])}" if layer.bias else ""
    filter_word = " of filter 1" if layer.filters > 1 else ""
    steps.append(
        f"For example, the entry{filter_word} in {cell(y, xx)} ($y = {y}$, $x = {xx}$) reads "
        f"the window starting at row ${s * y}$, column ${s * xx}$ (0-based) of the {where}: "
        f"$O[{y}][{xx}] = {' + '.join(pieces)}{bias} = {number(out[0, y, xx])}$."
    )
    if layer.filters > 1:
        steps.append(
            "Filter 2 works the same way with its own kernels and its own bias; every entry "
            "adds the products over both input channels."
        )
    steps.append(
        "Sliding the window over every position gives "
        + ", ".join(
            f"${'O' if layer.filters == 1 else f'O_{u}'} = {matrix(out[u])}$"
            for u in range(layer.filters)
        )
        + "."
    )
    return tuple(steps)


def reference(exercise: Exercise) -> Any:
    """The output through ``engine.reference.conv2d``'s loops."""
    layer = ConvLayer.from_params(dict(exercise.params))
    out = engine_reference.conv2d(
        exercise.tensors["X"],
        exercise.tensors["W"],
        exercise.params["b"] if layer.bias else None,
        stride=layer.stride,
        padding=layer.padding,
    )
    return out[0] if layer.filters == 1 else out


FAMILY = Family(
    id=ID,
    title="Output of a convolution",
    answer_kind=AnswerKind.MATRIX,
    description="The whole output of a small conv layer (a tensor when there are several "
    "filters), with padding, stride, bias and channels at higher levels.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
