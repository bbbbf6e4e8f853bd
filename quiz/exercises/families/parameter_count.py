"""Parameters of a conv layer: ``C_out · (C_in / g) · kH · kW`` weights + ``C_out`` biases.

The weight tensor is (C_out, C_in / g, kH, kW): each of the C_out filters spans the input channels
of its group only; the bias is one number per filter (none with ``bias=False``).

Difficulty 1: ``C_in``, ``C_out`` and a square ``k × k`` kernel, with a bias (PyTorch's default).
Difficulty 2: a non-square kernel; the prompt says whether there is a bias.
Difficulty 3: grouped convolutions, including depthwise ones (``groups = C_in``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine import conv2d_parameter_count
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.grading import AnswerKind

ID = "parameter-count"

MISTAKES = {
    "bias_forgotten": "left out the biases (one per filter)",
    "bias_counted_when_off": "added biases to a layer created with bias=False",
    "bias_per_weight": "counted one bias per weight instead of one per filter",
    "groups_ignored": "let every filter span all input channels despite the groups",
    "one_group_only": "counted the parameters of one group only",
    "input_channels_forgotten": "left out the input channels: C_out · kH · kW (+ C_out)",
    "weights_only_per_filter": "counted a single filter instead of all C_out of them",
}


@dataclass(frozen=True)
class Setup:
    in_channels: int
    out_channels: int
    kernel: tuple[int, int]
    groups: int = 1
    bias: bool = True

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(**{**params, "kernel": tuple(params["kernel"])})

    @property
    def per_filter(self) -> int:
        """Weights in one filter: ``(C_in / g) · kH · kW``."""
        return self.in_channels // self.groups * self.kernel[0] * self.kernel[1]

    @property
    def biases(self) -> int:
        return self.out_channels if self.bias else 0


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        kernel = pick(rng, (1, 3, 3, 5, 7))
        setup = Setup(
            pick(rng, (1, 3, 8, 16, 32, 64)), pick(rng, (4, 8, 16, 32, 64)), (kernel, kernel)
        )
    elif difficulty == 2:
        kh = pick(rng, (1, 3, 5, 7))
        kernel = (kh, pick(rng, [k for k in (1, 3, 5, 7) if k != kh]))
        if rng.integers(2):
            kernel = kernel[::-1]
        setup = Setup(
            pick(rng, (3, 8, 16, 32, 64)),
            pick(rng, (8, 16, 24, 32, 64)),
            kernel,
            bias=bool(rng.integers(2)),
        )
    else:
        kh = pick(rng, (3, 3, 5))
        kernel = (kh, kh) if rng.integers(2) else (kh, pick(rng, (1, 3, 5)))
        if rng.integers(2):  # depthwise: one group per input channel
            in_channels = pick(rng, (8, 16, 32, 64))
            groups, out_channels = in_channels, in_channels * pick(rng, (1, 1, 2))
        else:
            groups = pick(rng, (2, 4, 8))
            in_channels = groups * pick(rng, (2, 3, 4, 8))
            out_channels = groups * pick(rng, (2, 4, 8))
        setup = Setup(in_channels, out_channels, kernel, groups, bias=bool(rng.integers(2)))
    return build(setup, seed, difficulty)


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    expected = conv2d_parameter_count(
        setup.in_channels, setup.out_channels, setup.kernel, setup.groups, setup.bias
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
        hint="The weight tensor has shape $C_{\\text{out}} \\times (C_{\\text{in}}/g) \\times "
        "k_H \\times k_W$; add one bias per filter if the layer has a bias.",
    )


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken count, computed from this layer's numbers."""
    setup = Setup.from_params(dict(exercise.params))
    c_in, c_out, g = setup.in_channels, setup.out_channels, setup.groups
    (kh, kw), weights = setup.kernel, setup.out_channels * setup.per_filter
    found = []
    if setup.bias:
        found += [
            Mistake("bias_forgotten", _MESSAGES["bias_forgotten"], weights),
            Mistake("bias_per_weight", _MESSAGES["bias_per_weight"], 2 * weights),
        ]
    else:
        found.append(
            Mistake("bias_counted_when_off", _MESSAGES["bias_counted_when_off"], weights + c_out)
        )
    if g != 1:
        found += [
            Mistake(
                "groups_ignored", _MESSAGES["groups_ignored"], c_out * c_in * kh * kw + setup.biases
            ),
            Mistake(
                "one_group_only",
                _MESSAGES["one_group_only"],
                (c_out // g) * (setup.per_filter + (1 if setup.bias else 0)),
            ),
        ]
    found += [
        Mistake(
            "input_channels_forgotten",
            _MESSAGES["input_channels_forgotten"],
            c_out * kh * kw + setup.biases,
        ),
        Mistake("weights_only_per_filter", _MESSAGES["weights_only_per_filter"], setup.per_filter),
    ]
    if setup.bias:
        found.append(
            Mistake(
                "weights_only_per_filter",
                _MESSAGES["weights_only_per_filter"],
                setup.per_filter + 1,
            )
        )
    return found


_MESSAGES = {
    "bias_forgotten": "Don't forget the biases: the layer has **one bias per filter**, "
    "so add $C_{\\text{out}}$ to the weights.",
    "bias_counted_when_off": "This layer is created with `bias=False`, so it has **no** biases: "
    "count only the weights.",
    "bias_per_weight": "There is **one bias per filter** (per output channel), not one per "
    "weight: the bias has shape $(C_{\\text{out}},)$.",
    "groups_ignored": "With $g$ groups each filter only sees the $C_{\\text{in}}/g$ input "
    "channels of its group, so the weight is $C_{\\text{out}} \\times (C_{\\text{in}}/g) \\times "
    "k_H \\times k_W$ — $g$ times fewer weights than an ordinary convolution.",
    "one_group_only": "That is one group's share. There are $g$ groups, each with "
    "$C_{\\text{out}}/g$ filters: all $C_{\\text{out}}$ filters together have "
    "$C_{\\text{out}} \\cdot (C_{\\text{in}}/g) \\cdot k_H k_W$ weights.",
    "input_channels_forgotten": "Each filter spans the input channels too: a filter is "
    "$(C_{\\text{in}}/g) \\times k_H \\times k_W$, not just $k_H \\times k_W$.",
    "weights_only_per_filter": "That is **one** filter. The layer has $C_{\\text{out}}$ filters "
    "(one per output channel), so multiply by $C_{\\text{out}}$ (and add the biases).",
}


def _prompt(setup: Setup) -> str:
    c_in, c_out, (kh, kw), g = setup.in_channels, setup.out_channels, setup.kernel, setup.groups
    kernel = str(kh) if kh == kw else f"({kh}, {kw})"
    args = [f"in_channels={c_in}", f"out_channels={c_out}", f"kernel_size={kernel}"]
    if g != 1:
        args.append(f"groups={g}")
    if not setup.bias:
        args.append("bias=False")
    words = (
        f"It maps ${c_in}$ input channels to ${c_out}$ output channels with "
        f"${kh} \\times {kw}$ kernels"
    )
    if g == c_in and g != 1:
        words += f", in ${g}$ groups (a depthwise convolution: one group per input channel)"
    elif g != 1:
        words += f", in ${g}$ groups"
    words += ", and has a bias (PyTorch's default)." if setup.bias else ", and has **no** bias."
    return (
        f"Consider the convolutional layer `nn.Conv2d({', '.join(args)})`. {words} "
        "How many learnable parameters does it have (weights plus biases)?"
    )


def _solution(setup: Setup, expected: int) -> tuple[str, ...]:
    c_in, c_out, (kh, kw), g = setup.in_channels, setup.out_channels, setup.kernel, setup.groups
    steps = []
    if g != 1:
        steps.append(
            f"With ${g}$ groups each filter sees $C_{{\\text{{in}}}}/g = {c_in}/{g} = "
            f"{c_in // g}$ input channel{'s' * (c_in // g != 1)}."
        )
    steps.append(
        f"The weight has shape ${c_out} \\times {c_in // g} \\times {kh} \\times {kw}$: "
        f"${c_out} \\cdot {c_in // g} \\cdot {kh} \\cdot {kw} = {c_out * setup.per_filter}$ "
        "weights."
    )
    if setup.bias:
        steps.append(f"One bias per filter: ${c_out}$ biases.")
    else:
        steps.append("`bias=False`: no biases.")
    steps.append(f"Total: ${expected}$ parameters.")
    return tuple(steps)


def reference(exercise: Exercise) -> int:
    """Count by looping over every (filter, input channel, row, column) connection the layer
    has — a filter connects to an input channel only inside its group — plus one bias per filter."""
    setup = Setup.from_params(dict(exercise.params))
    c_in, c_out, (kh, kw), g = setup.in_channels, setup.out_channels, setup.kernel, setup.groups
    count = 0
    for u in range(c_out):
        group = u * g // c_out  # filters are split into g equal blocks
        for i in range(c_in):
            if i * g // c_in != group:
                continue
            for _row in range(kh):
                for _column in range(kw):
                    count += 1
        if setup.bias:
            count += 1
    return count


FAMILY = Family(
    id=ID,
    title="Parameters of a conv layer",
    answer_kind=AnswerKind.NUMBER,
    description="Count the weights and biases of a conv layer, with and without bias, "
    "non-square kernels and groups (including depthwise).",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
