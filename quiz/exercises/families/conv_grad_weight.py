"""∂L/∂W of a convolutional layer, given its input X and the upstream gradient G = ∂L/∂O.

Every weight is used at every output position, so its gradient adds up all of them
(0-based indices, X zero-padded first, one filter u)::

    ∂L/∂W[u][i][j][k] = Σ_y Σ_x G[u][y][x] · X[i][s·y + j][s·x + k]

It is the cross-correlation of the padded input with G, G's taps spaced s apart (dilation s).

Difficulty 1: one channel (3×3 or 4×4), a 2×2 or 3×3 kernel, stride 1, no padding.
Difficulty 2: one channel (3×3 to 4×4), zero padding 1, a 2×2 or 3×3 kernel.
Difficulty 3: stride 2 on one channel (4×4 or 5×5, padding 0 or 1), or two input channels with
stride 1 (a tensor answer: one k×k matrix per input channel).

Mistakes detected: ``not_summed`` (only the first output position's contribution),
``averaged_over_positions`` (the mean instead of the sum), ``kernel_flipped`` (the answer
rotated by 180°: a true convolution), ``height_width_swapped`` (G transposed — the notes' index
slip; square G only), ``stride_ignored`` (d3 stride 2: G[y][x] paired with X[y + j][x + k]),
``padding_ignored`` (with padding: X read without the padding offset).

Picture: the computation the answer is made of — the padded input X (first channel) with G as
the sliding "kernel" (dilation s) and ∂L/∂W as the output, so clicking a weight's cell shows the
input cells its gradient sums over.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import conv2d_backward
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, rng_for
from quiz.exercises.families.tensors import (
    ConvLayer,
    as_list,
    cell,
    channels,
    correlate,
    flip,
    integers,
    matrix,
    number,
    numbered,
    pad,
    plane,
    products,
    transpose,
)
from quiz.grading import AnswerKind

ID = "conv-grad-weight"

MISTAKES = {
    "not_summed": "gave only the first output position's contribution",
    "averaged_over_positions": "averaged over the output positions instead of summing",
    "kernel_flipped": "flipped the result (true convolution instead of cross-correlation)",
    "height_width_swapped": "paired G[y][x] with X[x + j][y + k] (height and width swapped)",
    "stride_ignored": "paired G[y][x] with X[y + j][x + k], ignoring the stride",
    "padding_ignored": "read X without the padding offset",
}

_SIZES = {
    1: [(3, 3, 2), (4, 4, 3), (4, 4, 2)],
    2: [(3, 3, 3), (3, 4, 3), (4, 3, 3), (3, 3, 2)],
}
# (size, kernel, padding), stride 2; in (5, 2, 0) the last row and column fall in no window
# (they are in no product with a weight, so they add nothing to dL/dW)
_STRIDED = [(5, 3, 0), (5, 3, 1), (4, 2, 0), (4, 2, 1), (5, 2, 0)]
_CHANNELS = [(3, 2), (4, 3)]  # (size, kernel), two channels, stride 1


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty in _SIZES:
        height, width, kernel = _SIZES[difficulty][int(rng.integers(len(_SIZES[difficulty])))]
        layer = ConvLayer(1, 1, height, width, kernel, padding=difficulty - 1)
    elif rng.random() < 0.5:
        size, kernel, padding = _STRIDED[int(rng.integers(len(_STRIDED)))]
        layer = ConvLayer(1, 1, size, size, kernel, stride=2, padding=padding)
    else:
        size, kernel = _CHANNELS[int(rng.integers(len(_CHANNELS)))]
        layer = ConvLayer(2, 1, size, size, kernel)
    x = integers(rng, layer.input_shape)
    g = integers(rng, layer.output_shape, nonzero=True)
    _, grad_w, _ = conv2d_backward(
        g, x, np.zeros(layer.weight_shape), stride=layer.stride, padding=layer.padding, bias=False
    )
    single = layer.channels == 1
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(layer, x, g),
        answer_kind=AnswerKind.MATRIX if single else AnswerKind.TENSOR,
        expected=as_list(grad_w[0, 0] if single else grad_w[0]),
        params=layer.to_params(),
        tensors={"X": as_list(x), "G": as_list(g)},
        solution=_solution(layer, x, g, grad_w[0]),
        hint="$W$ is shared by every output position: $\\partial L/\\partial W[j][k]$ adds "
        "$G[y][x]$ times the input value that $W[j][k]$ multiplied to make $O[y][x]$, over "
        "all $(y, x)$.",
        picture=Picture(
            input="X",
            output=plane(grad_w[0, 0]),
            kernel="G",
            padding=(layer.padding, layer.padding),
            dilation=(layer.stride, layer.stride),
            output_title="∂L/∂W" if single else "∂L/∂W (input channel 0)",
        ),
    )


def _weight_grad(
    x: np.ndarray, g: np.ndarray, kernel: int, stride: int, padding: int
) -> np.ndarray:
    """(C_in, k, k): Σ_{y,x} g[y][x] · x_pad[i][s·y + j][s·x + k] by numpy slices."""
    xpad = pad(x, padding)
    return np.stack([correlate(channel, g, dilation=stride) for channel in xpad])[
        :, :kernel, :kernel
    ]


def mistakes(exercise: Exercise) -> list[Mistake]:
    layer = ConvLayer.from_params(dict(exercise.params))
    x = np.asarray(exercise.tensors["X"], dtype=float)
    g = np.asarray(exercise.tensors["G"], dtype=float)[0]
    k, s, p = layer.kernel, layer.stride, layer.padding
    right = _weight_grad(x, g, k, s, p)
    out_h, out_w = g.shape
    found = [
        ("not_summed", g[0, 0] * pad(x, p)[:, :k, :k]),
        ("averaged_over_positions", right / (out_h * out_w)),
        ("kernel_flipped", flip(right)),
    ]
    if out_h == out_w:
        found.append(("height_width_swapped", _weight_grad(x, transpose(g), k, s, p)))
    if s > 1:
        found.append(("stride_ignored", _weight_grad(pad(x, p), g, k, 1, 0)))
    if p:
        shifted = np.pad(x, ((0, 0), (0, 2 * p), (0, 2 * p)))  # X[s·y + j], zero past the end
        found.append(("padding_ignored", _weight_grad(shifted, g, k, s, 0)))
    single = layer.channels == 1
    return [
        Mistake(tag, _MESSAGES[tag], as_list(answer[0] if single else answer))
        for tag, answer in found
    ]


_MESSAGES = {
    "not_summed": "You used only the first output position. The same weights make **every** "
    "output entry, so the gradient adds the contributions of all positions: "
    "$\\partial L/\\partial W[j][k] = \\sum_{y,x} G[y][x]\\, X[s\\,y + j][s\\,x + k]$.",
    "averaged_over_positions": "You averaged over the output positions. The chain rule "
    "**adds** the contributions of every position where the weight was used — no division.",
    "kernel_flipped": "Your answer is flipped (rotated by 180°): you computed a true "
    "convolution. $G[y][x]$ pairs with $X[s\\,y + j][s\\,x + k]$, so slide $G$ over $X$ as a "
    "cross-correlation, flipping neither.",
    "height_width_swapped": "You paired $G[y][x]$ with $X[x + j][y + k]$: height and width are "
    "swapped. Output row $y$ read input rows $s\\,y + j$. (The notes write $I[i][sx+j][sy+k]$, "
    "which swaps $x$ and $y$.)",
    "stride_ignored": "You ignored the stride. With stride $s$, output $(y, x)$ read the "
    "window starting at row $s\\,y$, column $s\\,x$, so $G[y][x]$ multiplies "
    "$X[s\\,y + j][s\\,x + k]$: the entries of $G$ land $s$ cells apart on $X$.",
    "padding_ignored": "You left out the padding. The forward pass read the **padded** input, "
    "so $G[y][x]$ multiplies $X_{\\text{pad}}[s\\,y + j][s\\,x + k]$ — that is "
    "$X[s\\,y + j - p][s\\,x + k - p]$, and zero outside $X$.",
}


def _prompt(layer: ConvLayer, x: np.ndarray, g: np.ndarray) -> str:
    k, c, h, w = layer.kernel, layer.channels, layer.height, layer.width
    out_h, out_w = layer.out
    what = "one channel" if c == 1 else f"${c}$ channels"
    kernels = (
        f"a ${k} \\times {k}$ kernel $W$"
        if c == 1
        else (f"one filter $W$ (a ${k} \\times {k}$ kernel per input channel)")
    )
    layout = (
        f"Give $\\partial L/\\partial W$ as a ${k} \\times {k}$ matrix, one row per line."
        if c == 1
        else f"Give $\\partial L/\\partial W$ as ${c} \\times {k} \\times {k}$: one "
        f"${k} \\times {k}$ matrix per input channel, with a blank line between them."
    )
    return (
        f"A convolutional layer with {kernels}, {layer.settings()} (a cross-correlation, as in "
        f"PyTorch) takes an input $X$ of size ${h} \\times {w}$ ({what}). Backpropagation "
        f"brings the upstream gradient $G = \\partial L/\\partial O$, of the output's size "
        f"${out_h} \\times {out_w}$:\n"
        + latex.display(channels(x, "X"))
        + latex.display(f"G = {matrix(g[0])}")
        + "\nCompute the gradient of the loss with respect to the weights. "
        + layout
    )


def _solution(
    layer: ConvLayer, x: np.ndarray, g: np.ndarray, grad_w: np.ndarray
) -> tuple[str, ...]:
    k, s, p = layer.kernel, layer.stride, layer.padding
    steps = [
        "Weight $W[i][j][k]$ multiplies $X[i][s\\,y + j][s\\,x + k]$ in **every** output "
        "$O[y][x]$, so the chain rule sums over all output positions: "
        "$\\dfrac{\\partial L}{\\partial W[u,i,j,k]} = \\sum_{y,x} G[u,y,x]\\; "
        "X[i,\\, s\\,y + j,\\, s\\,x + k]$ (0-based). It is a cross-correlation of the input "
        "with $G$ — no flipping. (The notes write the input index as $[sx+j][sy+k]$, which "
        "swaps $x$ and $y$.)"
    ]
    if p:
        steps.append(
            "The forward pass read the padded input, so use it: "
            + ", ".join(
                f"${name} = {matrix(channel)}$"
                for name, channel in zip(_pad_names(layer.channels), pad(x, p), strict=True)
            )
            + "."
        )
    if s > 1:
        steps.append(
            f"With stride ${s}$, $G[y][x]$ meets the input ${s}$ cells apart: slide $G$ over "
            f"the input with its entries spread ${s}$ cells apart (a dilation of ${s}$)."
        )
    j = kk = k // 2
    out_h, out_w = layer.out
    weight = g.reshape(1, 1, out_h, out_w)
    terms = engine_reference.conv2d_terms(x[:1], weight, 0, j, kk, padding=p, dilation=s)
    pairs = [(t.weight_value, t.input_value) for t in terms]
    step = f"{s}\\," if s > 1 else ""
    where = ("_{\\text{pad}}" if p else "") + ("" if layer.channels == 1 else "[0]")
    steps.append(
        f"For example, {cell(j, kk)} ($j = {j}$, $k = {kk}$"
        + ("" if layer.channels == 1 else ", input channel 0")
        + f"): $\\sum_{{y,x}} G[y][x]\\, X{where}[{step}y + {j}][{step}x + {kk}] = "
        f"{products(pairs)} = {number(grad_w[0, j, kk])}$."
    )
    steps.append(
        "Doing the same for every weight gives "
        + ", ".join(
            f"${name} = {matrix(grad_w[i])}$" for i, name in enumerate(_grad_names(layer.channels))
        )
        + "."
    )
    return tuple(steps)


def _pad_names(count: int) -> list[str]:
    return numbered("X_{\\text{pad}}", "X_{{\\text{{pad}},{}}}", count)


def _grad_names(count: int) -> list[str]:
    return numbered("\\partial L/\\partial W", "\\partial L/\\partial W_{{{}}}", count)


def reference(exercise: Exercise) -> Any:
    """∂L/∂W through ``engine.reference.conv2d_backward``'s loops."""
    layer = ConvLayer.from_params(dict(exercise.params))
    _, grad_w, _ = engine_reference.conv2d_backward(
        exercise.tensors["G"],
        exercise.tensors["X"],
        np.zeros(layer.weight_shape),
        stride=layer.stride,
        padding=layer.padding,
    )
    return grad_w[0, 0] if layer.channels == 1 else grad_w[0]


FAMILY = Family(
    id=ID,
    title="Gradient of a convolution's weights",
    answer_kind=AnswerKind.MATRIX,
    description="∂L/∂W of a conv layer from its input and the upstream gradient (padding, "
    "stride 2 and two input channels at higher levels).",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
