"""Multiply-accumulates (MACs) of one conv layer's forward pass, batch size 1:

    MACs = C_out · H_out · W_out · (C_in / g) · kH · kW

Every output value is one dot product of a filter, ``(C_in / g) · kH · kW`` weights, with the
input patch under it; products with padding zeros are counted (a dense implementation does them)
and the bias additions are not.

Difficulty 1: one input channel, no padding, stride 1.
Difficulty 2: several input channels, padding and stride.
Difficulty 3: grouped convolutions, including depthwise ones (``groups = C_in``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import conv2d_macs, conv_output_size
from engine import reference as engine_reference
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.grading import AnswerKind

ID = "conv-macs"

MISTAKES = {
    "used_input_size": "multiplied by the input's H · W instead of the output's",
    "input_channels_forgotten": "left out the input channels of each dot product",
    "output_channels_forgotten": "counted one output channel instead of C_out",
    "groups_ignored": "let every filter span all input channels despite the groups",
    "counted_parameters": "gave the parameter count instead of the MACs",
}


@dataclass(frozen=True)
class Setup:
    in_channels: int
    height: int
    width: int
    out_channels: int
    kernel: int
    stride: int = 1
    padding: int = 0
    groups: int = 1

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(**params)

    @property
    def out_size(self) -> tuple[int, int]:
        k, s, p = self.kernel, self.stride, self.padding
        return conv_output_size(self.height, k, s, p), conv_output_size(self.width, k, s, p)

    @property
    def per_output(self) -> int:
        """Products in one output value: ``(C_in / g) · k · k``."""
        return self.in_channels // self.groups * self.kernel * self.kernel


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    size = int(rng.integers(8, 33))
    if difficulty == 1:
        setup = Setup(1, size, size, pick(rng, (1, 4, 8, 16)), pick(rng, (2, 3, 5)))
    elif difficulty == 2:
        kernel = pick(rng, (1, 3, 3, 5))
        setup = Setup(
            pick(rng, (3, 8, 16)),
            size,
            size,
            pick(rng, (8, 16, 32)),
            kernel,
            pick(rng, (1, 2)),
            int(rng.integers(0, kernel // 2 + 1)),
        )
    else:
        kernel = pick(rng, (3, 3, 5))
        if rng.integers(2):  # depthwise: one group per input channel
            in_channels = pick(rng, (8, 16, 32))
            groups, out_channels = in_channels, in_channels * pick(rng, (1, 1, 2))
        else:
            groups = pick(rng, (2, 4))
            in_channels, out_channels = groups * pick(rng, (2, 4, 8)), groups * pick(rng, (2, 4))
        height = size
        width = int(rng.integers(8, 33))
        setup = Setup(
            in_channels,
            height,
            width,
            out_channels,
            kernel,
            pick(rng, (1, 2)),
            int(rng.integers(0, kernel // 2 + 1)),
            groups,
        )
    return build(setup, seed, difficulty)


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    expected = conv2d_macs(
        (setup.in_channels, setup.height, setup.width),
        setup.out_channels,
        setup.kernel,
        setup.stride,
        setup.padding,
        groups=setup.groups,
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
        hint="Count the output values, $C_{\\text{out}} \\cdot H_{\\text{out}} \\cdot "
        "W_{\\text{out}}$, and multiply by the length of each one's dot product, "
        "$(C_{\\text{in}}/g) \\cdot k \\cdot k$.",
    )


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken count, computed from this layer's numbers."""
    setup = Setup.from_params(dict(exercise.params))
    c_in, c_out, k, g = setup.in_channels, setup.out_channels, setup.kernel, setup.groups
    out_h, out_w = setup.out_size
    weights = c_out * setup.per_output
    answers = [
        ("used_input_size", c_out * setup.height * setup.width * setup.per_output),
        ("input_channels_forgotten", c_out * out_h * out_w * k * k),
        ("output_channels_forgotten", out_h * out_w * setup.per_output),
        ("groups_ignored", c_out * out_h * out_w * c_in * k * k),
        ("counted_parameters", weights + c_out),
        ("counted_parameters", weights),
    ]
    if g == 1:
        answers = [(tag, answer) for tag, answer in answers if tag != "groups_ignored"]
    return [Mistake(tag, _MESSAGES[tag], answer) for tag, answer in answers]


_MESSAGES = {
    "used_input_size": "Count **output** positions, not input pixels: the filter is applied "
    "once per output value, and there are $H_{\\text{out}} \\times W_{\\text{out}}$ of them "
    "per channel, from $o = \\lfloor (i + 2p - k)/s \\rfloor + 1$.",
    "input_channels_forgotten": "Each output value sums over the input channels of its group as "
    "well: its dot product has $(C_{\\text{in}}/g) \\cdot k \\cdot k$ products, not $k \\cdot k$.",
    "output_channels_forgotten": "Every filter produces its own output channel: multiply by "
    "$C_{\\text{out}}$.",
    "groups_ignored": "With $g$ groups each filter only sees the $C_{\\text{in}}/g$ input "
    "channels of its group, so each dot product is $g$ times shorter than in an ordinary "
    "convolution.",
    "counted_parameters": "That is the number of **parameters**. Each weight is used once per "
    "output position, so the MACs are $H_{\\text{out}} \\cdot W_{\\text{out}}$ times the weight "
    "count: $C_{\\text{out}} H_{\\text{out}} W_{\\text{out}} (C_{\\text{in}}/g)\\, k^2$.",
}


def _prompt(setup: Setup) -> str:
    c_in, c_out, k, g = setup.in_channels, setup.out_channels, setup.kernel, setup.groups
    s, p = setup.stride, setup.padding
    args = [f"in_channels={c_in}", f"out_channels={c_out}", f"kernel_size={k}"]
    args += [f"stride={s}"] if s != 1 else []
    args += [f"padding={p}"] if p else []
    args += [f"groups={g}"] if g != 1 else []
    words = f"${c_out}$ filter{'s' * (c_out != 1)} of size ${k} \\times {k}$, stride ${s}$"
    words += f", padding ${p}$" if p else ", no padding"
    if g == c_in and g != 1:
        words += f", in ${g}$ groups: a depthwise convolution, one group per input channel"
    elif g != 1:
        words += f", in ${g}$ groups"
    return (
        f"The layer `nn.Conv2d({', '.join(args)})` is applied to one input of shape "
        f"${c_in} \\times {setup.height} \\times {setup.width}$ (*channels × height × width*, "
        f"batch size 1). It has {words}. How many multiply-accumulate operations (MACs) does its "
        "forward pass take? Count one MAC per product of a weight and an input value, including "
        "products with padding zeros; don't count the bias additions."
    )


def _solution(setup: Setup, expected: int) -> tuple[str, ...]:
    c_in, c_out, k, g = setup.in_channels, setup.out_channels, setup.kernel, setup.groups
    s, p = setup.stride, setup.padding
    (out_h, out_w), per_group = setup.out_size, c_in // g
    steps = [
        f"Output size: $\\lfloor ({setup.height} + 2\\cdot{p} - {k})/{s} \\rfloor + 1 = {out_h}$ "
        f"by $\\lfloor ({setup.width} + 2\\cdot{p} - {k})/{s} \\rfloor + 1 = {out_w}$, so "
        f"${c_out} \\cdot {out_h} \\cdot {out_w} = {c_out * out_h * out_w}$ output values.",
    ]
    if g != 1:
        steps.append(
            f"With ${g}$ groups each filter sees $C_{{\\text{{in}}}}/g = {c_in}/{g} = "
            f"{per_group}$ input channel{'s' * (per_group != 1)}."
        )
    steps += [
        f"Each output value is a dot product of ${per_group} \\cdot {k} \\cdot {k} = "
        f"{setup.per_output}$ products.",
        f"MACs: ${c_out * out_h * out_w} \\cdot {setup.per_output} = {expected}$.",
    ]
    return tuple(steps)


def reference(exercise: Exercise) -> int:
    """Find the output positions by sliding the window with ``engine.reference.conv2d`` over one
    channel of zeros, then count every product: for each filter, loop over the input channels of
    its group and the kernel taps, once per output position."""
    setup = Setup.from_params(dict(exercise.params))
    c_in, c_out, k, g = setup.in_channels, setup.out_channels, setup.kernel, setup.groups
    plane = engine_reference.conv2d(
        np.zeros((1, 1, setup.height, setup.width)),
        np.zeros((1, 1, k, k)),
        stride=setup.stride,
        padding=setup.padding,
    )
    positions = 0
    for _y in range(plane.shape[2]):
        for _x in range(plane.shape[3]):
            positions += 1
    total = 0
    for u in range(c_out):
        group = u * g // c_out
        products = 0
        for i in range(c_in):
            if i * g // c_in != group:
                continue
            for _row in range(k):
                for _column in range(k):
                    products += 1
        total += products * positions
    return total


FAMILY = Family(
    id=ID,
    title="Multiply-adds of a conv layer",
    answer_kind=AnswerKind.NUMBER,
    description="Count the multiply-accumulates of one conv layer's forward pass, with padding, "
    "stride and groups.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
