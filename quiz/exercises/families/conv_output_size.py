"""Output shape of a convolution: ``o = floor((i + 2p - d(k-1) - 1)/s) + 1`` per axis.

Difficulty 1: a square single-channel image, no padding (the notes' 100×100, 5×5, stride 2 card).
Difficulty 2: a multi-channel input, f filters, padding and stride; the question is phrased
channels-first (C×H×W) or channels-last (H×W×C) and the answer keeps that layout.
Difficulty 3: non-square input and kernel, different strides and paddings per axis, dilation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from engine import conv_output_size
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, rng_for
from quiz.grading import AnswerKind

ID = "conv-output-size"

MISTAKES = {
    "forgot_plus_one": "left out the + 1 of the output-size formula",
    "ceil_instead_of_floor": "rounded up instead of down",
    "padding_once": "added the padding once instead of on both sides",
    "dilation_ignored": "used the kernel size instead of the dilated span d(k-1)+1",
    "stride_ignored": "did not divide by the stride",
    "height_width_swapped": "swapped height and width",
    "input_channels": "used the input channels instead of the number of filters",
}


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        size = int(rng.integers(8, 129))
        kernel, stride = int(rng.choice([2, 3, 4, 5, 7])), int(rng.choice([1, 2, 2, 3]))
        setup = Setup(size, size, (kernel, kernel), (stride, stride), (0, 0))
    elif difficulty == 2:
        size = int(rng.integers(16, 129))
        kernel, stride = int(rng.choice([1, 3, 5, 7])), int(rng.choice([1, 2]))
        padding = int(rng.integers(0, kernel // 2 + 2))
        setup = Setup(
            size,
            size,
            (kernel, kernel),
            (stride, stride),
            (padding, padding),
            channels=int(rng.choice([1, 3, 16, 32, 64])),
            filters=int(rng.choice([8, 16, 32, 64, 128])),
            layout=str(rng.choice(["CHW", "HWC"])),
        )
    else:
        kernel_hw = (int(rng.choice([3, 5])), int(rng.choice([1, 3, 5])))
        dilation = int(rng.choice([1, 2, 3]))
        smallest = dilation * (max(kernel_hw) - 1) + 2
        height, width = (int(v) for v in rng.integers(max(12, smallest), 97, size=2))
        setup = Setup(
            height,
            width + 5 if width == height else width,
            kernel=kernel_hw,
            stride=(int(rng.choice([1, 2, 3])), int(rng.choice([1, 2]))),
            padding=(int(rng.integers(0, 4)), int(rng.integers(0, 3))),
            dilation=dilation,
            channels=int(rng.choice([3, 8, 16])),
            filters=int(rng.choice([4, 10, 24])),
            layout="CHW",
        )
    output = setup.output(_engine_size)
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=AnswerKind.SHAPE,
        expected=output,
        params=asdict(setup),
        solution=_solution(setup, output),
        hint="Work out each axis with $o = \\lfloor (i + 2p - d(k-1) - 1)/s \\rfloor + 1$; "
        "the output has one channel per filter.",
    )


_WRONG_FORMULAS: dict[str, SizeFormula] = {
    "forgot_plus_one": lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s,
    "ceil_instead_of_floor": lambda i, k, s, p, d: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1,
    "padding_once": lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1,
    "dilation_ignored": lambda i, k, s, p, d: (i + 2 * p - k) // s + 1,
    "stride_ignored": lambda i, k, s, p, d: i + 2 * p - d * (k - 1),
}


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken formula run on this exercise, plus swapped axes and the wrong channel count."""
    setup = Setup.from_params(dict(exercise.params))
    found = [
        Mistake(tag, _MESSAGES[tag], setup.output(formula))
        for tag, formula in _WRONG_FORMULAS.items()
    ]
    right = setup.output(_engine_size)
    swapped = list(right)
    swapped[setup.spatial] = right[setup.spatial][::-1]
    found.append(Mistake("height_width_swapped", _MESSAGES["height_width_swapped"], swapped))
    if setup.layout != "HW":
        wrong_channels = replace(setup, filters=setup.channels).output(_engine_size)
        found.append(Mistake("input_channels", _MESSAGES["input_channels"], wrong_channels))
    return found


_MESSAGES = {
    "forgot_plus_one": "You left out the **+ 1**: the first window sits at position 0 and each "
    "step of $s$ adds one more, so $o = \\lfloor (i + 2p - k_{\\text{eff}})/s \\rfloor + 1$.",
    "ceil_instead_of_floor": "You rounded **up**. A window that would run past the padded edge "
    "does not fit, so convolution rounds **down**: $\\lfloor\\cdot\\rfloor$.",
    "padding_once": "The padding $p$ is added on **both** sides of each axis: "
    "$i + 2p$, not $i + p$.",
    "dilation_ignored": "With dilation $d$ the kernel spans $d(k-1)+1$ inputs, not $k$.",
    "stride_ignored": "Divide by the stride: the window moves $s$ positions per output.",
    "height_width_swapped": "Height and width are swapped: the first spatial number is the "
    "height (rows), the second the width (columns).",
    "input_channels": "The output has one channel **per filter**; the input channels are summed "
    "inside each filter.",
}


@dataclass(frozen=True)
class Setup:
    """The layer in one exercise. ``layout`` is how shapes are written: HW, CHW or HWC."""

    height: int
    width: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: int = 1
    channels: int = 1
    filters: int = 1
    layout: str = "HW"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        pairs = {name: tuple(params[name]) for name in ("kernel", "stride", "padding")}
        return cls(**{**params, **pairs})

    def axis(self, index: int) -> tuple[int, int, int, int, int]:
        """``(i, k, s, p, d)`` along height (0) or width (1)."""
        size = (self.height, self.width)[index]
        return size, self.kernel[index], self.stride[index], self.padding[index], self.dilation

    def output(self, size_of: SizeFormula) -> list[int]:
        """The output shape in this layout, each axis sized by ``size_of(i, k, s, p, d)``."""
        return self.arrange(size_of(*self.axis(0)), size_of(*self.axis(1)))

    def arrange(self, height: int, width: int) -> list[int]:
        """``height``, ``width`` and the filter count written in this setup's layout."""
        if self.layout == "HW":
            return [height, width]
        if self.layout == "HWC":
            return [height, width, self.filters]
        return [self.filters, height, width]

    @property
    def spatial(self) -> slice:
        return slice(1, 3) if self.layout == "CHW" else slice(0, 2)

    @property
    def channel_index(self) -> int:
        return 2 if self.layout == "HWC" else 0


SizeFormula = Callable[[int, int, int, int, int], int]


def _engine_size(i: int, k: int, s: int, p: int, d: int) -> int:
    return conv_output_size(i, k, s, p, d)


ROUNDS_DOWN = (
    "Sizes round down: a window that would run past the edge of the (padded) input is not used."
)
"""Said in every question: rounding up (Caffe's pooling) would give another answer."""


def _prompt(setup: Setup) -> str:
    (h, w), (kh, kw) = (setup.height, setup.width), setup.kernel
    (sh, sw), (ph, pw) = setup.stride, setup.padding
    if setup.layout == "HW":
        return (
            f"Suppose we have a ${h} \\times {w}$ image and a convolutional filter of size "
            f"${kh} \\times {kw}$ with a stride of ${sh}$ in both directions and no padding. "
            f"{ROUNDS_DOWN} What is the size of the output? Answer as *height × width*."
        )
    c = setup.channels
    image = (
        f"{c} \\times {h} \\times {w}" if setup.layout == "CHW" else f"{h} \\times {w} \\times {c}"
    )
    order = "channels × height × width" if setup.layout == "CHW" else "height × width × channels"
    stride = f"${sh}$" if sh == sw else f"${sh}$ vertically and ${sw}$ horizontally"
    padding = f"${ph}$" if ph == pw else f"${ph}$ (top and bottom) and ${pw}$ (left and right)"
    dilation = f", dilation ${setup.dilation}$" if setup.dilation != 1 else ""
    return (
        f"An input of shape ${image}$ (*{order}*) goes through a convolutional layer with "
        f"${setup.filters}$ filters of size ${kh} \\times {kw}$, stride {stride}, zero padding "
        f"{padding} on each side{dilation}. {ROUNDS_DOWN} What is the shape of the output? "
        f"Answer as *{order}*."
    )


def _solution(setup: Setup, output: list[int]) -> tuple[str, ...]:
    steps = [
        "Per axis, $o = \\left\\lfloor \\dfrac{i + 2p - k_{\\text{eff}}}{s} \\right\\rfloor + 1$ "
        "where the kernel spans $k_{\\text{eff}} = d(k-1) + 1$ inputs."
    ]
    for name, index in (("Height", 0), ("Width", 1)):
        i, k, s, p, d = setup.axis(index)
        span = d * (k - 1) + 1
        spans = f"k_{{\\text{{eff}}}} = {d}\\cdot({k}-1)+1 = {span}" if d > 1 else f"k = {k}"
        steps.append(
            f"{name}: ${spans}$, so $\\left\\lfloor \\dfrac{{{i} + 2\\cdot{p} - {span}}}{{{s}}} "
            f"\\right\\rfloor + 1 = \\lfloor {latex.number((i + 2 * p - span) / s)} \\rfloor + 1"
            f" = {conv_output_size(i, k, s, p, d)}$."
        )
    if setup.layout != "HW":
        steps.append(f"Channels: one per filter, ${setup.filters}$.")
    steps.append(f"Output shape: ${latex.shape(output)}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> list[int]:
    """Slide the window with ``engine.reference.conv2d`` over one channel and read the shape."""
    setup = Setup.from_params(dict(exercise.params))
    x = np.zeros((1, 1, setup.height, setup.width))
    weight = np.zeros((1, 1, *setup.kernel))
    out = engine_reference.conv2d(
        x, weight, stride=setup.stride, padding=setup.padding, dilation=setup.dilation
    )
    height, width = out.shape[-2:]
    return setup.arrange(int(height), int(width))


FAMILY = Family(
    id=ID,
    title="Convolution output shape",
    answer_kind=AnswerKind.SHAPE,
    description="Output size of a conv layer from input size, kernel, stride, padding, dilation.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
