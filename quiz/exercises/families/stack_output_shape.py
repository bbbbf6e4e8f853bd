"""Output shape after a stack of conv and max-pool layers (channels × height × width).

Every layer applies ``o = floor((i + 2p - d(k-1) - 1)/s) + 1`` to the height and to the width;
a convolution with ``f`` filters outputs ``f`` channels, max pooling keeps the channel count.

Difficulty 1: two layers (a convolution, then a pooling layer or a second convolution) on a square
input, no padding.
Difficulty 2: three layers (two convolutions with padding and a max pool) on a square input.
Difficulty 3: four layers on a non-square input, one of the convolutions dilated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import conv_output_size, pool_output_size
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.grading import AnswerKind

ID = "stack-output-shape"

MISTAKES = {
    "forgot_plus_one": "left out the + 1 of the output-size formula at every layer",
    "ceil_instead_of_floor": "rounded up instead of down at every layer",
    "padding_once": "added the padding once instead of on both sides",
    "dilation_ignored": "used the kernel size instead of the dilated span d(k-1)+1",
    "pool_ignored": "left out the pooling layers (they shrink height and width too)",
    "channels_from_input": "kept the input's channel count instead of the last filter count",
    "channels_multiplied": "multiplied the channel counts (input channels × filters)",
    "height_width_swapped": "swapped height and width",
}

SizeFormula = Callable[[int, int, int, int, int], int]
"""``(i, k, s, p, d) -> o`` along one axis."""


@dataclass(frozen=True)
class Layer:
    """A convolution (``filters`` ≥ 1) or a max pooling layer (``kind == "pool"``), square."""

    kind: str
    kernel: int
    stride: int
    padding: int = 0
    dilation: int = 1
    filters: int = 0

    def describe(self) -> str:
        k, s, p = self.kernel, self.stride, self.padding
        if self.kind == "pool":
            return f"${k} \\times {k}$ max pooling with stride ${s}$, no padding"
        text = (
            f"a convolution with ${self.filters}$ filters of size ${k} \\times {k}$, stride ${s}$"
        )
        text += f", padding ${p}$ on each side" if p else ", no padding"
        return text + (f", dilation ${self.dilation}$" if self.dilation != 1 else "")


@dataclass(frozen=True)
class Setup:
    """The input ``channels × height × width`` and the layers, first layer first."""

    channels: int
    height: int
    width: int
    layers: tuple[Layer, ...]

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        layers = tuple(Layer(**layer) for layer in params["layers"])
        return cls(params["channels"], params["height"], params["width"], layers)

    def sizes(
        self,
        size_of: SizeFormula,
        pool_size_of: SizeFormula | None = None,
        skip_pools: bool = False,
    ) -> list[tuple[int, int]] | None:
        """(height, width) after each layer, or ``None`` once an axis drops below 1.

        ``size_of`` sizes the convolutions, ``pool_size_of`` (default: the same) the pooling.
        """
        height, width, out = self.height, self.width, []
        for layer in self.layers:
            if not (skip_pools and layer.kind == "pool"):
                size = pool_size_of if layer.kind == "pool" and pool_size_of else size_of
                k, s, p, d = layer.kernel, layer.stride, layer.padding, layer.dilation
                height, width = size(height, k, s, p, d), size(width, k, s, p, d)
                if height < 1 or width < 1:
                    return None
            out.append((height, width))
        return out

    def channels_after(self) -> list[int]:
        """Channel count after each layer: the filter count of the latest convolution."""
        channels, out = self.channels, []
        for layer in self.layers:
            channels = layer.filters if layer.kind == "conv" else channels
            out.append(channels)
        return out

    def output(
        self,
        size_of: SizeFormula,
        pool_size_of: SizeFormula | None = None,
        skip_pools: bool = False,
    ) -> list[int] | None:
        sizes = self.sizes(size_of, pool_size_of, skip_pools)
        return None if sizes is None else [self.channels_after()[-1], *sizes[-1]]


_FILTERS = (8, 16, 24, 32, 48, 64, 128)


def _conv(
    rng: np.random.Generator,
    kernels: Sequence[int],
    strides: Sequence[int],
    padded: bool,
    dilation: int = 1,
) -> Layer:
    kernel = pick(rng, kernels)
    padding = int(rng.integers(0, dilation * (kernel - 1) // 2 + 1)) if padded else 0
    return Layer("conv", kernel, pick(rng, strides), padding, dilation, pick(rng, _FILTERS))


def _pool(rng: np.random.Generator) -> Layer:
    kernel = pick(rng, (2, 2, 3))
    return Layer("pool", kernel, pick(rng, (2, 2, kernel)))


def _layers(rng: np.random.Generator, difficulty: int) -> tuple[Layer, ...]:
    if difficulty == 1:
        first = _conv(rng, (3, 5), (1, 1, 2), padded=False)
        second = _pool(rng) if rng.integers(2) else _conv(rng, (3, 5), (1,), padded=False)
        return (first, second)
    if difficulty == 2:
        first = _conv(rng, (3, 5, 7), (1, 2), padded=True)
        second = _conv(rng, (1, 3, 5), (1, 1, 2), padded=True)
        return (first, _pool(rng), second) if rng.integers(2) else (first, second, _pool(rng))
    layers = [
        _conv(rng, (3, 5, 7), (1, 2), padded=True),
        _pool(rng),
        _conv(rng, (3,), (1,), padded=True, dilation=pick(rng, (2, 3))),
        _pool(rng) if rng.integers(2) else _conv(rng, (1, 3), (1, 2), padded=True),
    ]
    if rng.integers(2):  # the dilated convolution comes first or second
        layers[0], layers[2] = layers[2], layers[0]
    return tuple(layers)


def _smallest_input(layers: Sequence[Layer], final: int) -> int:
    """The smallest input size whose output is at least ``final`` after every layer."""
    size = final
    for layer in reversed(layers):
        span = layer.dilation * (layer.kernel - 1) + 1
        size = max(1, (size - 1) * layer.stride + span - 2 * layer.padding)
    return size


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    layers = _layers(rng, difficulty)
    low = max(_smallest_input(layers, 2), (12, 16, 20)[difficulty - 1])
    high = max(low + 6, 37)  # small enough for the reference loops
    height = int(rng.integers(low, high))
    width = height
    if difficulty == 3:
        width = int(rng.integers(low, high))
        width = width + 5 if width == height else width
    channels = pick(rng, ((1, 3), (3, 8, 16), (3, 8, 16, 32))[difficulty - 1])
    setup = Setup(channels, height, width, layers)
    return build(setup, seed, difficulty)


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    sizes = setup.sizes(_conv_size, _pool_size)
    assert sizes is not None
    output = [setup.channels_after()[-1], *sizes[-1]]
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=AnswerKind.SHAPE,
        expected=output,
        params=asdict(setup),
        solution=_solution(setup, sizes),
        hint="Go layer by layer: each applies $o = \\lfloor (i + 2p - d(k-1) - 1)/s \\rfloor + 1$ "
        "to the height and to the width. A convolution outputs one channel per filter; "
        "pooling keeps the channels.",
        grading={"names": ("channels", "height", "width")},
    )


def _conv_size(i: int, k: int, s: int, p: int, d: int) -> int:
    return conv_output_size(i, k, s, p, d)


def _pool_size(i: int, k: int, s: int, p: int, d: int) -> int:
    return pool_output_size(i, k, s, p, d)


_WRONG_FORMULAS: dict[str, SizeFormula] = {
    "forgot_plus_one": lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s,
    "ceil_instead_of_floor": lambda i, k, s, p, d: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1,
    "padding_once": lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1,
    "dilation_ignored": lambda i, k, s, p, d: (i + 2 * p - k) // s + 1,
}


def mistakes(exercise: Exercise) -> list[Mistake]:
    """The stack re-run with each mistaken formula or channel rule, and the swapped answer."""
    setup = Setup.from_params(dict(exercise.params))
    found = [
        Mistake(tag, _MESSAGES[tag], answer)
        for tag, formula in _WRONG_FORMULAS.items()
        if (answer := setup.output(formula)) is not None
    ]
    if any(layer.kind == "pool" for layer in setup.layers):
        skipped = setup.output(_conv_size, _pool_size, skip_pools=True)
        if skipped is not None:
            found.append(Mistake("pool_ignored", _MESSAGES["pool_ignored"], skipped))
    right = setup.output(_conv_size, _pool_size)
    assert right is not None
    channels, height, width = right
    product = setup.channels
    for layer in setup.layers:
        product *= layer.filters if layer.kind == "conv" else 1
    found += [
        Mistake(
            "channels_from_input", _MESSAGES["channels_from_input"], [setup.channels, *right[1:]]
        ),
        Mistake("channels_multiplied", _MESSAGES["channels_multiplied"], [product, *right[1:]]),
        Mistake(
            "height_width_swapped", _MESSAGES["height_width_swapped"], [channels, width, height]
        ),
    ]
    return found


_MESSAGES = {
    "forgot_plus_one": "You left out the **+ 1** at each layer: the first window sits at "
    "position 0 and each step of $s$ adds one more, so "
    "$o = \\lfloor (i + 2p - k_{\\text{eff}})/s \\rfloor + 1$. The slip compounds layer by layer.",
    "ceil_instead_of_floor": "You rounded **up**. A window that would run past the padded edge "
    "does not fit, so convolution and (default) pooling round **down**: $\\lfloor\\cdot\\rfloor$.",
    "padding_once": "The padding $p$ is added on **both** sides of each axis: "
    "$i + 2p$, not $i + p$.",
    "dilation_ignored": "With dilation $d$ a kernel spans $d(k-1)+1$ inputs, not $k$: the dilated "
    "layer shrinks the map more than an undilated one.",
    "pool_ignored": "Pooling layers shrink the height and width too: a $k \\times k$ window with "
    "stride $s$ uses the same formula $o = \\lfloor (i - k)/s \\rfloor + 1$.",
    "channels_from_input": "The output has one channel **per filter** of the last convolution; "
    "each filter sums over all the input channels, so the input's channel count disappears.",
    "channels_multiplied": "Each filter already spans **all** input channels and sums over them, "
    "producing one output channel: the channels are replaced by the filter count, not "
    "multiplied by it.",
    "height_width_swapped": "Height and width are swapped: the first spatial number is the "
    "height (rows), the second the width (columns).",
}


def _prompt(setup: Setup) -> str:
    items = "\n".join(
        f"{number}. {layer.describe()};"
        if number < len(setup.layers)
        else f"{number}. {layer.describe()}."
        for number, layer in enumerate(setup.layers, start=1)
    )
    return (
        f"An input of shape ${setup.channels} \\times {setup.height} \\times {setup.width}$ "
        "(*channels × height × width*) goes through these layers, in order:\n\n"
        f"{items}\n\n"
        "Where a window does not fit evenly, sizes round down (PyTorch's default for every layer: "
        "`ceil_mode=False` for the pooling). "
        "What is the shape of the output of the last layer? Answer as *channels × height × width*."
    )


def _axis_step(i: int, layer: Layer) -> str:
    k, s, p, d = layer.kernel, layer.stride, layer.padding, layer.dilation
    span = d * (k - 1) + 1
    padded = f"{i} + 2\\cdot{p}" if p else f"{i}"
    return (
        f"\\left\\lfloor \\dfrac{{{padded} - {span}}}{{{s}}} \\right\\rfloor + 1 = "
        f"{conv_output_size(i, k, s, p, d)}"
    )


def _solution(setup: Setup, sizes: list[tuple[int, int]]) -> tuple[str, ...]:
    steps = [
        "Each layer maps height and width by "
        "$o = \\left\\lfloor \\dfrac{i + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1$ "
        "(for max pooling $p = 0$, $d = 1$)."
    ]
    height, width = setup.height, setup.width
    for number, (layer, (out_h, out_w), channels) in enumerate(
        zip(setup.layers, sizes, setup.channels_after(), strict=True), start=1
    ):
        where = "one per filter" if layer.kind == "conv" else "kept by pooling"
        steps.append(
            f"Layer {number}: height ${_axis_step(height, layer)}$, "
            f"width ${_axis_step(width, layer)}$, channels ${channels}$ ({where}): "
            f"${latex.shape((channels, out_h, out_w))}$."
        )
        height, width = out_h, out_w
    steps.append(f"Output shape: ${latex.shape((setup.channels_after()[-1], *sizes[-1]))}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> list[int]:
    """Run the layers' plain loops (``engine.reference``) on one channel of zeros, read the
    final height and width; the channels are the last convolution's weight count."""
    setup = Setup.from_params(dict(exercise.params))
    x = np.zeros((1, 1, setup.height, setup.width))
    channels = setup.channels
    for layer in setup.layers:
        if layer.kind == "pool":
            x = engine_reference.max_pool2d(x, layer.kernel, layer.stride)
        else:
            weight = np.zeros((1, 1, layer.kernel, layer.kernel))
            x = engine_reference.conv2d(
                x, weight, stride=layer.stride, padding=layer.padding, dilation=layer.dilation
            )
            channels = layer.filters
    height, width = np.shape(x)[-2:]
    return [channels, int(height), int(width)]


FAMILY = Family(
    id=ID,
    title="Output shape of a stack of layers",
    answer_kind=AnswerKind.SHAPE,
    description="Follow an input through 2–4 conv and max-pool layers and give the final shape.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
