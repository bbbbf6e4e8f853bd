"""Receptive field of one unit after a stack of conv and pooling layers.

Along one axis, start with ``r = 1`` (a unit sees itself) and jump ``j = 1`` (neighbouring units
are one input pixel apart). Each layer, first to last, with kernel ``k``, stride ``s`` and
dilation ``d``, does

    r ← r + d(k-1) · j        j ← j · s

so a layer adds its kernel's extra span, measured in input pixels by the strides *before* it.
Padding moves the field but does not change its size.

Difficulty 1: two to four stride-1 convolutions: ``r = 1 + Σ (k - 1)``.
Difficulty 2: three or four layers with strides (strided convolutions and a max pool).
Difficulty 3: four or five layers with dilated convolutions and pooling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import LayerSpec, receptive_field
from engine import reference as engine_reference
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.grading import AnswerKind

ID = "receptive-field"

MISTAKES = {
    "stride_ignored": "added the kernels' spans without scaling them by the strides before them",
    "dilation_ignored": "used k - 1 instead of the dilated span d(k-1) per layer",
    "last_layer_only": "gave the last layer's kernel span only",
    "added_kernels": "added the kernel sizes, Σ k, instead of 1 + Σ d(k - 1)·j",
    "added_scaled_kernels": "added whole kernel spans times the jump, Σ d(k-1)+1 scaled by j, "
    "instead of 1 + Σ d(k - 1)·j",
    "strides_not_multiplied": "scaled each layer by the previous stride only, not the product",
}


@dataclass(frozen=True)
class Layer:
    """A convolution or max pooling layer (square), with its padding (which does not matter)."""

    kind: str
    kernel: int
    stride: int = 1
    dilation: int = 1
    padding: int = 0

    @property
    def span(self) -> int:
        return self.dilation * (self.kernel - 1) + 1

    def describe(self) -> str:
        k, s, d, p = self.kernel, self.stride, self.dilation, self.padding
        if self.kind == "pool":
            return f"${k} \\times {k}$ max pooling with stride ${s}$"
        text = f"a ${k} \\times {k}$ convolution, stride ${s}$"
        text += f", dilation ${d}$" if d != 1 else ""
        return text + (f", padding ${p}$" if p else ", no padding")


@dataclass(frozen=True)
class Setup:
    layers: tuple[Layer, ...]

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(tuple(Layer(**layer) for layer in params["layers"]))


def _conv(kernel: int, stride: int = 1, dilation: int = 1) -> Layer:
    """A convolution with the usual padding: "same" at stride 1, ``k // 2`` when strided."""
    padding = dilation * (kernel - 1) // 2 if stride == 1 else kernel // 2
    return Layer("conv", kernel, stride, dilation, padding)


def _layers(rng: np.random.Generator, difficulty: int) -> tuple[Layer, ...]:
    if difficulty == 1:
        count = int(rng.integers(2, 5))
        return tuple(_conv(pick(rng, (3, 3, 5, 7))) for _ in range(count))
    if difficulty == 2:
        layers = [_conv(pick(rng, (3, 5, 7)), 2)]
        for _ in range(int(rng.integers(2, 4))):
            if rng.integers(3) == 0:
                kernel = pick(rng, (2, 3))
                layers.append(Layer("pool", kernel, 2))
            else:
                layers.append(_conv(pick(rng, (1, 3, 3, 5)), pick(rng, (1, 1, 2))))
        return tuple(layers)
    layers = [
        _conv(pick(rng, (3, 5, 7)), pick(rng, (1, 2))),
        Layer("pool", pick(rng, (2, 3)), 2),
        _conv(3, 1, pick(rng, (2, 3))),
    ]
    if rng.integers(2):
        layers.append(Layer("pool", 2, 2))
    layers.append(_conv(pick(rng, (3, 5)), 1, pick(rng, (1, 2, 4))))
    return tuple(layers)


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    setup = Setup(_layers(rng, difficulty))
    return build(setup, seed, difficulty)


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    expected, _ = receptive_field(
        LayerSpec(layer.kernel, layer.stride, layer.dilation, layer.padding)
        for layer in setup.layers
    )
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=AnswerKind.NUMBER,
        expected=expected,
        params=asdict(setup),
        solution=_solution(setup, expected),
        hint="Start from $r = 1$, $j = 1$ and go from the first layer to the last: "
        "$r \\leftarrow r + d(k-1)\\,j$, then $j \\leftarrow j\\,s$. "
        "Padding does not change the size of the field.",
    )


Rule = Callable[[int, int, Layer], tuple[int, int]]
"""``(r, j, layer) -> (r, j)``: one step of a (possibly mistaken) receptive-field rule."""


def _run(layers: Sequence[Layer], step: Rule, start: int = 1) -> int:
    r, j = start, 1
    for layer in layers:
        r, j = step(r, j, layer)
    return r


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken rule run over this exercise's layers."""
    layers = Setup.from_params(dict(exercise.params)).layers
    previous = [1, *(layer.stride for layer in layers[:-1])]
    answers = {
        "stride_ignored": _run(layers, lambda r, j, n: (r + n.span - 1, j)),
        "dilation_ignored": _run(layers, lambda r, j, n: (r + (n.kernel - 1) * j, j * n.stride)),
        "last_layer_only": layers[-1].span,
        "added_kernels": sum(layer.kernel for layer in layers),
        "added_scaled_kernels": _run(
            layers, lambda r, j, n: (r + n.span * j, j * n.stride), start=0
        ),
        "strides_not_multiplied": 1
        + sum((layer.span - 1) * stride for layer, stride in zip(layers, previous, strict=True)),
    }
    return [Mistake(tag, _MESSAGES[tag], answer) for tag, answer in answers.items()]


_MESSAGES = {
    "stride_ignored": "Strides widen the field of every later layer: after a stride-2 layer, "
    "neighbouring units are 2 input pixels apart, so the next kernel's extra $k-1$ positions "
    "cover $2(k-1)$ input pixels. Use $r \\leftarrow r + d(k-1)\\,j$ with the jump "
    "$j = s_1 s_2 \\cdots$ of the layers before.",
    "dilation_ignored": "A kernel with dilation $d$ spans $d(k-1)+1$ positions, so it adds "
    "$d(k-1)$, not $k-1$, to the field (times the jump).",
    "last_layer_only": "That is only the last layer's window over *its* input. Each earlier "
    "layer widens the field further: start from $r = 1$ and add every layer's "
    "$d(k-1)\\,j$.",
    "added_kernels": "Adding the kernel sizes counts the pixel two windows share again at each "
    "layer (two stacked $3 \\times 3$ convolutions see $5 \\times 5$, not $6 \\times 6$), and "
    "leaves out what strides and dilations do. Start from $r = 1$ and add $d(k-1)\\,j$ per "
    "layer, $j$ being the product of the strides before it.",
    "added_scaled_kernels": "You scaled by the jump, but added whole spans $d(k-1)+1$: that "
    "counts the pixel two neighbouring windows share again at each layer. Start from $r = 1$ "
    "and add $d(k-1)\\,j$ per layer.",
    "strides_not_multiplied": "The jump multiplies: after strides $s_1$ and $s_2$, neighbouring "
    "units are $s_1 s_2$ input pixels apart, not $s_2$. Use $j = s_1 s_2 \\cdots s_{l-1}$ for "
    "layer $l$.",
}


def _prompt(setup: Setup) -> str:
    count = len(setup.layers)
    items = "\n".join(
        f"{n}. {layer.describe()}{';' if n < count else '.'}"
        for n, layer in enumerate(setup.layers, start=1)
    )
    return (
        f"An image goes through these layers, in order:\n\n{items}\n\n"
        "What is the receptive field of one unit of the last layer's output: how many input "
        "pixels wide is the patch of the image it depends on? The field is square, "
        "$r \\times r$: give $r$."
    )


def _solution(setup: Setup, expected: int) -> tuple[str, ...]:
    steps = [
        "Start with $r = 1$ (one unit) and jump $j = 1$; for each layer "
        "$r \\leftarrow r + d(k-1)\\,j$, then $j \\leftarrow j\\,s$."
    ]
    r, j = 1, 1
    for n, layer in enumerate(setup.layers, start=1):
        k, s, d = layer.kernel, layer.stride, layer.dilation
        grown = r + (layer.span - 1) * j
        extra = f"{d}\\cdot{k - 1}" if d != 1 else f"{k - 1}"
        steps.append(
            f"Layer {n} ($k = {k}$, $s = {s}${f', $d = {d}$' if d != 1 else ''}): "
            f"$r = {r} + {extra}\\cdot{j} = {grown}$, $j = {j}\\cdot{s} = {j * s}$."
        )
        r, j = grown, j * s
    steps.append(f"Receptive field: ${expected} \\times {expected}$, so $r = {expected}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> int:
    """Send a gradient of 1 from the last layer's first unit back through the plain loops of
    ``engine.reference`` (all-ones kernels, and average pooling so that a window passes the
    gradient to every cell it covers) along one row, and measure the span of input cells reached.
    """
    layers = Setup.from_params(dict(exercise.params)).layers
    length = 32
    while True:
        try:
            inputs, x = [], np.zeros((1, 1, 1, length))
            for layer in layers:
                inputs.append(x)
                if layer.kind == "pool":
                    x = engine_reference.avg_pool2d(x, (1, layer.kernel), (1, layer.stride))
                else:
                    weight = np.ones((1, 1, 1, layer.kernel))
                    x = engine_reference.conv2d(
                        x, weight, stride=(1, layer.stride), dilation=(1, layer.dilation)
                    )
            break
        except ValueError:  # the row is too short for the stack
            length *= 2
    grad = np.zeros_like(x)
    grad[0, 0, 0, 0] = 1.0
    for layer, x in zip(reversed(layers), reversed(inputs), strict=True):
        if layer.kind == "pool":
            grad = engine_reference.avg_pool2d_backward(
                grad, x, (1, layer.kernel), (1, layer.stride)
            )
        else:
            weight = np.ones((1, 1, 1, layer.kernel))
            grad, _, _ = engine_reference.conv2d_backward(
                grad, x, weight, stride=(1, layer.stride), dilation=(1, layer.dilation)
            )
    reached = np.flatnonzero(grad[0, 0, 0])
    return int(reached[-1] - reached[0] + 1)


FAMILY = Family(
    id=ID,
    title="Receptive field of a stack",
    answer_kind=AnswerKind.NUMBER,
    description="How many input pixels one unit sees after a stack of conv and pooling layers, "
    "with strides and dilation.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
