"""∂L/∂X of a convolutional layer: the full convolution of G with the flipped kernel.

Every product X_pad[i][s·y + j][s·x + k] · W[i][j][k] in O[y][x] sends G[y][x] · W[i][j][k] back
to its input cell (0-based, one filter)::

    ∂L/∂X_pad[i][s·y + j][s·x + k] += G[y][x] · W[i][j][k]      for every y, x, j, k

so each G[y][x] stamps a scaled copy of the kernel onto its window, overlaps add up, and the
padding's rows and columns are cropped away at the end. Read per input cell, it is a
cross-correlation of G (with s - 1 zeros between its entries and k - 1 - p zeros around it) with
the kernel rotated by 180°: the "full convolution of G with the kernel".

Difficulty 1: one channel (3×3 or 4×4), a 2×2 or 3×3 kernel, stride 1, no padding.
Difficulty 2: zero padding 1 (3×3 to 4×4 inputs, 2×2 or 3×3 kernels): the answer is the gradient
of the unpadded input.
Difficulty 3: stride 2 (one channel, padding 0 or 1, sizes where every input cell is inside some
window), or two input channels with stride 1 (a tensor answer, one matrix per input channel).

Mistakes detected: ``kernel_not_flipped`` (the classic: slid the kernel over G without rotating
it), ``kernel_transposed`` (transposed the kernel instead of rotating it by 180°),
``padding_not_cropped`` (with padding: returned the gradient of the padded input),
``stride_ignored`` (d3 stride 2: stamped the kernels 1 cell apart instead of s).

Picture: the forward pass the gradient belongs to, read as stamps — the (padded) input X (its
values are shown but not needed), the kernel W (first input channel) and G in place of the
output: clicking G[y][x] outlines the window that receives G[y][x]·W. (The full-convolution view,
with G spread and padded and the flipped kernel, is spelled out in the worked solution; drawing
it would need helper arrays in ``Exercise.tensors``, which the page shows next to the prompt.)
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
    flip,
    integers,
    matrix,
    number,
    numbered,
    pad,
    plane,
    products,
    spread,
    transpose,
)
from quiz.grading import AnswerKind

ID = "conv-grad-input"

MISTAKES = {
    "kernel_not_flipped": "used the kernel without rotating it by 180°",
    "kernel_transposed": "transposed the kernel instead of rotating it by 180°",
    "padding_not_cropped": "returned the gradient of the padded input",
    "stride_ignored": "stamped the kernel 1 cell apart instead of s cells apart",
}

_SIZES = {
    1: [(3, 3, 2), (4, 4, 3), (4, 4, 2)],
    2: [(3, 3, 3), (3, 3, 2), (4, 4, 3), (3, 4, 3), (4, 3, 3)],
}
# (size, kernel, padding) with stride 2: (size + 2p - k) even, every cell is in a window; and
# (5, 2, 0), where the stride leaves the last row and column out of every window (their gradient
# is 0: nothing they held reached the output)
_STRIDED = [(5, 3, 0), (5, 3, 1), (4, 2, 0), (3, 3, 1), (4, 2, 1), (5, 2, 0)]
_CHANNELS = [(3, 2, 0), (3, 3, 1)]  # (size, kernel, padding), two channels, stride 1


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty in _SIZES:
        height, width, kernel = _SIZES[difficulty][int(rng.integers(len(_SIZES[difficulty])))]
        layer = ConvLayer(1, 1, height, width, kernel, padding=difficulty - 1)
    elif rng.random() < 0.5:
        size, kernel, padding = _STRIDED[int(rng.integers(len(_STRIDED)))]
        layer = ConvLayer(1, 1, size, size, kernel, stride=2, padding=padding)
    else:
        size, kernel, padding = _CHANNELS[int(rng.integers(len(_CHANNELS)))]
        layer = ConvLayer(2, 1, size, size, kernel, padding=padding)
    x = integers(rng, layer.input_shape)  # shown, but the answer does not depend on it
    w = integers(rng, layer.weight_shape, nonzero=True)
    g = integers(rng, layer.output_shape, nonzero=True)
    grad_x, _, _ = conv2d_backward(g, x, w, stride=layer.stride, padding=layer.padding, bias=False)
    single = layer.channels == 1
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(layer, x, w, g),
        answer_kind=AnswerKind.MATRIX if single else AnswerKind.TENSOR,
        expected=as_list(grad_x[0] if single else grad_x),
        params=layer.to_params(),
        tensors={"X": as_list(x), "W": as_list(w), "G": as_list(g)},
        solution=_solution(layer, w, g, grad_x),
        hint="Each $G[y][x]$ sends $G[y][x]\\,W[j][k]$ back to the input cell that $W[j][k]$ "
        "multiplied: stamp a scaled copy of the kernel on every window and add the overlaps "
        "(equivalently: the full convolution of $G$ with the kernel, i.e. a cross-correlation "
        "with the kernel rotated by 180°).",
        picture=Picture(
            input="X",
            output=plane(g[0]),
            kernel="W",
            stride=(layer.stride, layer.stride),
            padding=(layer.padding, layer.padding),
            output_title="G: each G[y][x]·W is added on its window",
        ),
    )


def _stamp(w: np.ndarray, g: np.ndarray, stride: int, size: tuple[int, int]) -> np.ndarray:
    """(C, *size) gradient of the padded input: G[y][x]·W stamped at (s·y, s·x) and added.

    ``size`` is the padded input's (H + 2p, W + 2p), large enough for every stamp.
    """
    k = w.shape[-1]
    out = np.zeros((w.shape[0], *size))
    for y in range(g.shape[0]):
        for x in range(g.shape[1]):
            out[:, stride * y : stride * y + k, stride * x : stride * x + k] += g[y, x] * w
    return out


def _crop(padded: np.ndarray, padding: int) -> np.ndarray:
    if padding == 0:
        return padded
    return padded[:, padding:-padding, padding:-padding]


def mistakes(exercise: Exercise) -> list[Mistake]:
    layer = ConvLayer.from_params(dict(exercise.params))
    w = np.asarray(exercise.tensors["W"], dtype=float)[0]
    g = np.asarray(exercise.tensors["G"], dtype=float)[0]
    s, p, k = layer.stride, layer.padding, layer.kernel
    size = (layer.height + 2 * p, layer.width + 2 * p)
    found = [
        ("kernel_not_flipped", _crop(_stamp(flip(w), g, s, size), p)),
        ("kernel_transposed", _crop(_stamp(flip(transpose(w)), g, s, size), p)),
    ]
    if p:
        found.append(("padding_not_cropped", _stamp(w, g, s, size)))
    if s > 1:
        small = (g.shape[0] + k - 1, g.shape[1] + k - 1)
        found.append(("stride_ignored", _crop(_stamp(w, g, 1, small), p)))
    single = layer.channels == 1
    return [
        Mistake(tag, _MESSAGES[tag], as_list(answer[0] if single else answer))
        for tag, answer in found
    ]


_MESSAGES = {
    "kernel_not_flipped": "You slid the kernel over $G$ without flipping it. Going backwards, "
    "$G[y][x]$ reaches input cell $(s\\,y + j, s\\,x + k)$ through weight $W[j][k]$, so seen "
    "from an input cell the kernel is read back to front: $\\partial L/\\partial X$ is the full "
    "cross-correlation of $G$ with the kernel **rotated by 180°** (the full *convolution*). "
    "Or stamp $G[y][x]\\,W$, unflipped, onto each window and add.",
    "kernel_transposed": "You transposed the kernel. The backward pass needs the kernel "
    "**rotated by 180°** (flip the rows *and* the columns: $W[k_h - 1 - j][k_w - 1 - k]$), "
    "which is not the transpose $W[k][j]$.",
    "padding_not_cropped": "You returned the gradient of the **padded** input. The padding "
    "zeros are constants, not inputs: drop the outer $p$ rows and columns so that "
    "$\\partial L/\\partial X$ has the shape of $X$.",
    "stride_ignored": "You ignored the stride. Output $(y, x)$ read the window starting at "
    "row $s\\,y$, column $s\\,x$, so $G[y][x]\\,W$ is stamped there — neighbouring stamps are "
    "$s$ cells apart (equivalently, put $s - 1$ zeros between the entries of $G$ before the "
    "full convolution).",
}


def _prompt(layer: ConvLayer, x: np.ndarray, w: np.ndarray, g: np.ndarray) -> str:
    k, c, h, wd = layer.kernel, layer.channels, layer.height, layer.width
    out_h, out_w = layer.out
    if c == 1:
        what, kernels = "one channel", f"the ${k} \\times {k}$ kernel $W$"
        layout = f"Give $\\partial L/\\partial X$ as a ${h} \\times {wd}$ matrix, one row per line."
    else:
        what = f"${c}$ channels"
        kernels = f"one filter $W$ (a ${k} \\times {k}$ kernel per input channel)"
        layout = (
            f"Give $\\partial L/\\partial X$ as ${c} \\times {h} \\times {wd}$: one matrix per "
            "input channel, with a blank line between them."
        )
    cropped = " (of the input itself, not of its padded version)" if layer.padding else ""
    return (
        f"An input $X$ of size ${h} \\times {wd}$ ({what}) goes through a convolutional layer "
        f"with {kernels}, {layer.settings()}, no bias (a cross-correlation, as in PyTorch). "
        f"Backpropagation brings the upstream gradient $G = \\partial L/\\partial O$ of size "
        f"${out_h} \\times {out_w}$ (the input's values are shown too):\n"
        + latex.display(channels(x, "X"))
        + latex.display(channels(w[0], "W"))
        + latex.display(f"G = {matrix(g[0])}")
        + "\nCompute the gradient of the loss with respect to the input, "
        f"$\\partial L/\\partial X${cropped}. " + layout
    )


def _solution(
    layer: ConvLayer, w: np.ndarray, g: np.ndarray, grad_x: np.ndarray
) -> tuple[str, ...]:
    k, s, p, c = layer.kernel, layer.stride, layer.padding, layer.channels
    border = k - 1 - p
    steps = [
        "Each product $X_{\\text{pad}}[i][s\\,y + j][s\\,x + k]\\; W[i][j][k]$ in $O[y][x]$ "
        "sends $G[y][x]\\; W[i][j][k]$ back to its input cell: "
        "$\\partial L/\\partial X_{\\text{pad}}[i][s\\,y + j][s\\,x + k] \\mathrel{+}= "
        "G[y][x]\\; W[i][j][k]$ (0-based). Every $G[y][x]$ stamps a scaled copy of the kernel "
        "onto its window, and overlapping stamps add up. The values of $X$ never appear: the "
        "layer is linear in $X$.",
        "Read per input cell, that is a cross-correlation of $G$ with the kernel **rotated by "
        "180°** — the *full convolution* of $G$ with the kernel: "
        + ", ".join(
            f"${name} = {matrix(kernel)}$"
            for name, kernel in zip(_flipped_names(c), flip(w[0]), strict=True)
        )
        + ".",
    ]
    spread_g = spread(g[0], s)
    # rows (and columns: the inputs are square) the stride leaves out of every window
    leftover = (layer.height + 2 * p - k) % s
    spread_g = np.pad(spread_g, ((0, leftover), (0, leftover)))
    prepared = pad(spread_g, border)
    how = []
    if s > 1:
        how.append(f"put ${s - 1}$ zero between neighbouring entries of $G$ (stride ${s}$)")
    if leftover:
        lines = "row and column" if leftover == 1 else f"{leftover} rows and columns"
        how.append(
            f"add a last {lines} of zeros (the stride leaves the input's last {lines} out of "
            "every window: their gradient is $0$)"
        )
    if border:
        rings = "ring" if border == 1 else "rings"
        how.append(f"surround it with $k - 1 - p = {border}$ {rings} of zeros")
    if how:
        joined = how[0] if len(how) == 1 else ", ".join(how[:-1]) + " and " + how[-1]
        steps.append(f"To slide it, {joined}: $G' = {matrix(prepared)}$.")
    else:
        steps.append("Here $k - 1 - p = 0$ and the stride is 1, so slide it over $G' = G$.")
    a, b = layer.height // 2, layer.width // 2
    terms = engine_reference.conv2d_terms(spread_g[None], flip(w)[:, :1], 0, a, b, padding=border)
    pairs = [(t.input_value, t.weight_value) for t in terms if t.input_value != 0]
    index = f"{a}][{b}" if c == 1 else f"0][{a}][{b}"
    steps.append(
        f"For example, {cell(a, b)}"
        + ("" if c == 1 else " of channel 0")
        + f": the flipped kernel over the window of $G'$ starting at row ${a}$, column ${b}$ "
        f"(0-based) gives $\\partial L/\\partial X[{index}] = {products(pairs)} = "
        f"{number(grad_x[0, a, b])}$ (products with a zero of $G'$ left out)."
    )
    if p:
        steps.append(
            f"Starting $G'$ with $k - 1 - p = {border}$ rather than $k - 1 = {k - 1}$ rings of "
            "zeros is what crops the padding: the gradient of the padding cells is dropped, "
            "since they are constants and not inputs."
        )
    steps.append(
        "Doing the same for every input cell gives "
        + ", ".join(
            f"${name} = {matrix(channel)}$"
            for name, channel in zip(_grad_names(c), grad_x, strict=True)
        )
        + "."
    )
    return tuple(steps)


def _flipped_names(count: int) -> list[str]:
    return numbered("W_{\\text{flipped}}", "W_{{\\text{{flipped}},{}}}", count)


def _grad_names(count: int) -> list[str]:
    return numbered("\\partial L/\\partial X", "\\partial L/\\partial X_{{{}}}", count)


def reference(exercise: Exercise) -> Any:
    """∂L/∂X through ``engine.reference.conv2d_backward``'s loops."""
    layer = ConvLayer.from_params(dict(exercise.params))
    grad_x, _, _ = engine_reference.conv2d_backward(
        exercise.tensors["G"],
        np.zeros(layer.input_shape),
        exercise.tensors["W"],
        stride=layer.stride,
        padding=layer.padding,
    )
    return grad_x[0] if layer.channels == 1 else grad_x


FAMILY = Family(
    id=ID,
    title="Gradient of a convolution's input",
    answer_kind=AnswerKind.MATRIX,
    description="∂L/∂X of a conv layer: the full convolution of the upstream gradient with the "
    "flipped kernel (padding, stride 2 and two input channels at higher levels).",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
