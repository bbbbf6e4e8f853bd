"""Depthwise-separable convolution against a standard one (MobileNet's building block).

A standard ``k × k`` convolution from ``C_in`` to ``C_out`` channels is replaced by two layers:

* a **depthwise** ``k × k`` convolution, ``groups = C_in``, with depth multiplier ``K`` (1 unless
  stated): ``K`` filters per input channel, each seeing that channel only, ``C_in → K·C_in``;
* a **pointwise** ``1 × 1`` convolution that mixes the channels, ``K·C_in → C_out``.

On an input ``C_in × H × W`` (batch size 1, stride 1, "same" padding ``(k - 1)/2`` per side, so
every output is ``H × W``), with ``b = 1`` when the convolutions have biases and ``0`` otherwise::

    standard parameters   = C_out · C_in · k²            + b · C_out
    separable parameters  = K·C_in · k²  +  K·C_in · C_out  + b · (K·C_in + C_out)
    separable MACs        = H · W · (K·C_in · k²  +  K·C_in · C_out)
    standard ÷ separable  = C_out · k² / (C_out + k²)      (K = 1, no bias, parameters or MACs)

that is, separable ÷ standard ``= 1/C_out + 1/k²``. One MAC is one product of a weight and an
input value, products with padding zeros included, bias additions not counted (as in
``conv-macs``).

Difficulty 1: the parameters of the separable block (or of the standard layer), no biases, small
    channel counts.
Difficulty 2: the MACs of the separable block's forward pass, or the parameters (of either) with
    a bias on every convolution.
Difficulty 3: the ratio standard ÷ separable of the parameters or of the MACs, at realistic
    MobileNet sizes; or the separable block's parameters or MACs with a depth multiplier
    ``K > 1``.

Picture: the standard layer's bar against the separable block's, depthwise and pointwise stacked,
in parameters or MACs as the question counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from engine import conv2d_macs, conv2d_parameter_count
from engine import reference as engine_reference
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.exercises.pictures import Bar, BarsPicture, count_text, ratio_text
from quiz.grading import AnswerKind

ID = "separable-conv"

SEPARABLE_PARAMETERS = "separable-parameters"
STANDARD_PARAMETERS = "standard-parameters"
SEPARABLE_MACS = "separable-macs"
PARAMETER_RATIO = "parameter-ratio"
MAC_RATIO = "mac-ratio"
ASKS = (SEPARABLE_PARAMETERS, STANDARD_PARAMETERS, SEPARABLE_MACS, PARAMETER_RATIO, MAC_RATIO)

MISTAKES = {
    "pointwise_forgotten": "counted the depthwise convolution only, not the 1 × 1 pointwise one",
    "depthwise_as_full_conv": "let each depthwise filter span all input channels "
    "(C_in · C_in · k² weights)",
    "multiplier_ignored": "left out the depth multiplier K (in one layer or in both)",
    "macs_without_spatial_size": "counted the MACs at one output position, not at all H · W",
    "bias_forgotten": "left out the biases (one per filter of each convolution)",
    "bias_counted_when_off": "added biases to convolutions created with bias=False",
    "ratio_inverted": "gave separable ÷ standard instead of standard ÷ separable",
}

MOBILENET_LAYERS = (
    (32, 64, 112),
    (64, 128, 56),
    (128, 128, 56),
    (128, 256, 28),
    (256, 256, 28),
    (256, 512, 14),
    (512, 512, 14),
    (512, 1024, 7),
)
"""(C_in, C_out, H = W) of the separable blocks of MobileNet v1 on a 224 × 224 image."""


@dataclass(frozen=True)
class Setup:
    in_channels: int
    height: int
    width: int
    out_channels: int
    kernel: int
    multiplier: int = 1
    bias: bool = False
    ask: str = SEPARABLE_PARAMETERS

    def __post_init__(self) -> None:
        if self.ask not in ASKS:
            raise ValueError(f"ask must be one of {ASKS}; got {self.ask!r}")
        if self.kernel % 2 == 0:
            raise ValueError("'same' padding at stride 1 needs an odd kernel")
        if self.ask in (PARAMETER_RATIO, MAC_RATIO) and (self.bias or self.multiplier != 1):
            raise ValueError("a ratio is asked of blocks with K = 1 and no bias")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(**params)

    @property
    def padding(self) -> int:
        """Zeros on each side that keep the size at stride 1: ``(k - 1) / 2``."""
        return (self.kernel - 1) // 2

    @property
    def middle(self) -> int:
        """Channels between the two layers: ``K · C_in``."""
        return self.multiplier * self.in_channels

    @property
    def positions(self) -> int:
        return self.height * self.width


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        size = pick(rng, (8, 16, 28, 32))
        setup = Setup(
            pick(rng, (2, 3, 4, 8)),
            size,
            size,
            pick(rng, (4, 8, 16, 32)),
            pick(rng, (3, 3, 5)),
            ask=pick(rng, (SEPARABLE_PARAMETERS,) * 3 + (STANDARD_PARAMETERS,)),
        )
    elif difficulty == 2:
        height = int(rng.integers(8, 33))
        width = height if rng.integers(2) else int(rng.integers(8, 33))
        ask = pick(
            rng, (SEPARABLE_MACS,) * 3 + (SEPARABLE_PARAMETERS,) * 2 + (STANDARD_PARAMETERS,)
        )
        setup = Setup(
            pick(rng, (8, 16, 32)),
            height,
            width,
            pick(rng, (16, 32, 64)),
            pick(rng, (3, 3, 5)),
            bias=ask != SEPARABLE_MACS or bool(rng.integers(2)),
            ask=ask,
        )
    elif rng.integers(2):  # the ratio, at the sizes of a real network
        in_channels, out_channels, size = pick(rng, MOBILENET_LAYERS)
        setup = Setup(
            in_channels,
            size,
            size,
            out_channels,
            pick(rng, (3, 3, 5, 7)),
            ask=pick(rng, (PARAMETER_RATIO, MAC_RATIO)),
        )
    else:  # a depth multiplier K > 1
        size = pick(rng, (14, 28, 56))
        ask = pick(rng, (SEPARABLE_PARAMETERS, SEPARABLE_MACS))
        in_channels = pick(rng, (16, 32, 64))
        setup = Setup(
            in_channels,
            size,
            size,
            in_channels * pick(rng, (1, 2, 4)),
            pick(rng, (3, 5)),
            multiplier=pick(rng, (2, 3, 4)),
            bias=ask == SEPARABLE_PARAMETERS and bool(rng.integers(2)),
            ask=ask,
        )
    return build(setup, seed, difficulty)


def _counts(setup: Setup) -> dict[str, int]:
    """The engine's counts for the three layers (parameters and MACs)."""
    c_in, c_out, k, mid, bias = (
        setup.in_channels,
        setup.out_channels,
        setup.kernel,
        setup.middle,
        setup.bias,
    )
    shape = (c_in, setup.height, setup.width)
    return {
        "depthwise": conv2d_parameter_count(c_in, mid, k, groups=c_in, bias=bias),
        "pointwise": conv2d_parameter_count(mid, c_out, 1, bias=bias),
        "standard": conv2d_parameter_count(c_in, c_out, k, bias=bias),
        "depthwise_macs": conv2d_macs(shape, mid, k, padding=setup.padding, groups=c_in),
        "pointwise_macs": conv2d_macs((mid, setup.height, setup.width), c_out, 1),
        "standard_macs": conv2d_macs(shape, c_out, k, padding=setup.padding),
    }


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    counts = _counts(setup)
    separable = counts["depthwise"] + counts["pointwise"]
    separable_macs = counts["depthwise_macs"] + counts["pointwise_macs"]
    expected: int | float = {
        SEPARABLE_PARAMETERS: separable,
        STANDARD_PARAMETERS: counts["standard"],
        SEPARABLE_MACS: separable_macs,
        PARAMETER_RATIO: float(Fraction(counts["standard"], separable)),
        MAC_RATIO: float(Fraction(counts["standard_macs"], separable_macs)),
    }[setup.ask]
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=AnswerKind.NUMBER,
        expected=expected,
        params=asdict(setup),
        solution=_solution(setup, counts),
        hint=_HINTS[setup.ask],
        picture=_picture(setup, counts),
    )


def _picture(setup: Setup, counts: dict[str, int]) -> BarsPicture:
    """The standard layer against the separable block, its depthwise and pointwise layers
    stacked, in the quantity the question counts (parameters or MACs)."""
    c_in, c_out, k, mid, hw = (
        setup.in_channels,
        setup.out_channels,
        setup.kernel,
        setup.middle,
        setup.positions,
    )
    macs = setup.ask in (SEPARABLE_MACS, MAC_RATIO)
    if macs:
        suffix, quantity = "_macs", "MACs"
        notes = (f"{hw}·{c_out}·{c_in}·{k * k}", f"{hw}·{mid}·{k * k}", f"{hw}·{c_out}·{mid}")
    else:
        suffix, quantity = "", "parameters"
        notes = (f"{c_out}·{c_in}·{k}·{k}", f"{mid}·{k}·{k}", f"{c_out}·{mid}")
        if setup.bias:
            notes = (
                f"{notes[0]} + {c_out}",
                f"({notes[1]} + {mid})",
                f"({notes[2]} + {c_out})",
            )
    standard = counts["standard" + suffix]
    depthwise, pointwise = counts["depthwise" + suffix], counts["pointwise" + suffix]
    dw_series, pw_series = f"depthwise {k}×{k}", "pointwise 1×1"
    ask_standard = setup.ask in (STANDARD_PARAMETERS, PARAMETER_RATIO, MAC_RATIO)
    ask_separable = setup.ask != STANDARD_PARAMETERS
    bars = (
        Bar(
            f"standard {k}×{k} conv",
            ((f"standard {k}×{k}", standard),),
            note=notes[0],
            asked=(f"standard {k}×{k}",) * ask_standard,
        ),
        Bar(
            "depthwise-separable block",
            ((dw_series, depthwise), (pw_series, pointwise)),
            note=f"{notes[1]} + {notes[2]}",
            asked=(dw_series, pw_series) if ask_separable else (),
        ),
    )
    ratio = Fraction(standard, depthwise + pointwise)
    if setup.ask in (PARAMETER_RATIO, MAC_RATIO):
        times = ratio_text(ratio)
    else:
        times = f"about {float(ratio):.1f}"
    return BarsPicture(
        title=f"{quantity[0].upper()}{quantity[1:]}: standard against separable",
        bars=bars,
        axis=quantity,
        stacked=True,
        caption=f"Depthwise {count_text(depthwise)} + pointwise {count_text(pointwise)} = "
        f"{count_text(depthwise + pointwise)} {quantity} for the separable block, against "
        f"{count_text(standard)} for the standard convolution: {times} times fewer.",
    )


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken count, computed from this block's numbers."""
    setup = Setup.from_params(dict(exercise.params))
    c_in, c_out, k, big_k, mid = (
        setup.in_channels,
        setup.out_channels,
        setup.kernel,
        setup.multiplier,
        setup.middle,
    )
    b = 1 if setup.bias else 0
    depthwise, pointwise = mid * k * k, mid * c_out  # weights, without biases
    standard = c_out * c_in * k * k
    answers: list[tuple[str, Any]] = []
    if setup.ask == SEPARABLE_PARAMETERS:
        biases = b * (mid + c_out)
        answers += [
            ("pointwise_forgotten", depthwise + b * mid),
            ("depthwise_as_full_conv", mid * c_in * k * k + pointwise + biases),
        ]
        if big_k != 1:
            answers += [
                ("multiplier_ignored", c_in * k * k + c_in * c_out + b * (c_in + c_out)),
                ("multiplier_ignored", depthwise + c_in * c_out + biases),
            ]
        if setup.bias:
            answers += [
                ("bias_forgotten", depthwise + pointwise),
                ("bias_forgotten", depthwise + pointwise + c_out),
            ]
        else:
            answers += [
                ("bias_counted_when_off", depthwise + pointwise + mid + c_out),
                ("bias_counted_when_off", depthwise + pointwise + c_out),
            ]
    elif setup.ask == STANDARD_PARAMETERS:
        if setup.bias:
            answers.append(("bias_forgotten", standard))
        else:
            answers.append(("bias_counted_when_off", standard + c_out))
    elif setup.ask == SEPARABLE_MACS:
        hw = setup.positions
        answers += [
            ("pointwise_forgotten", hw * depthwise),
            ("depthwise_as_full_conv", hw * (mid * c_in * k * k + pointwise)),
        ]
        if big_k != 1:
            answers += [
                ("multiplier_ignored", hw * (c_in * k * k + c_in * c_out)),
                ("multiplier_ignored", hw * (depthwise + c_in * c_out)),
            ]
        answers.append(("macs_without_spatial_size", depthwise + pointwise))
    else:  # a ratio (K = 1, no bias; the H · W of the MACs cancels)
        separable = depthwise + pointwise
        answers += [
            ("ratio_inverted", Fraction(separable, standard)),
            ("pointwise_forgotten", Fraction(standard, depthwise)),
            ("depthwise_as_full_conv", Fraction(standard, c_in * c_in * k * k + pointwise)),
        ]
        if setup.ask == PARAMETER_RATIO:
            answers.append(
                ("bias_counted_when_off", Fraction(standard + c_out, separable + c_in + c_out))
            )
        answers = [(tag, float(answer)) for tag, answer in answers]
    return [Mistake(tag, _MESSAGES[tag], answer) for tag, answer in answers]


_MESSAGES = {
    "pointwise_forgotten": "That counts the **depthwise** convolution only. A depthwise-separable "
    "block is two layers: the depthwise $k \\times k$ one filters each channel on its own, and "
    "the **pointwise** $1 \\times 1$ convolution after it mixes the channels into "
    "$C_{\\text{out}}$. Add its $K C_{\\text{in}} \\cdot C_{\\text{out}}$ weights ($K$ is the "
    "depth multiplier, 1 unless the question gives one; for the MACs, each weight is used at every "
    "one of the $H \\cdot W$ positions) — it is usually the larger part.",
    "depthwise_as_full_conv": "The depthwise convolution has `groups` $= C_{\\text{in}}$: each of "
    "its filters sees **one** input channel, so a filter is $1 \\times k \\times k$, not "
    "$C_{\\text{in}} \\times k \\times k$. With depth multiplier $K$ (1 unless the question "
    "gives one) its weight is $K C_{\\text{in}} \\times 1 \\times k \\times k$: "
    "$K C_{\\text{in}} \\cdot k^2$ weights, "
    "not $K C_{\\text{in}} \\cdot C_{\\text{in}} \\cdot k^2$.",
    "multiplier_ignored": "With depth multiplier $K$ the depthwise layer has $K$ filters per input "
    "channel, so it outputs $K C_{\\text{in}}$ channels ($K C_{\\text{in}} \\cdot k^2$ weights), "
    "and the pointwise layer then maps those $K C_{\\text{in}}$ channels, not $C_{\\text{in}}$, "
    "to $C_{\\text{out}}$ ($K C_{\\text{in}} \\cdot C_{\\text{out}}$ weights). Both layers are "
    "$K$ times bigger than with $K = 1$.",
    "macs_without_spatial_size": "That is the cost at **one** output position (it equals the "
    "number of weights). Each weight is used once per output position, and with stride 1 and "
    "'same' padding each layer has $H \\cdot W$ of them: multiply by $H \\cdot W$.",
    "bias_forgotten": "Don't forget the biases: each convolution here has one bias per filter "
    "(per output channel). A standard layer adds $C_{\\text{out}}$; a separable block adds "
    "**both** layers' biases, $K C_{\\text{in}}$ for the depthwise one ($K$ is the depth "
    "multiplier, 1 unless the question gives one) and $C_{\\text{out}}$ for the pointwise one.",
    "bias_counted_when_off": "These convolutions are created with `bias=False` — a batch norm "
    "follows each one, and its shift does the bias's job — so they have **no** biases: count "
    "only the weights.",
    "ratio_inverted": "That is separable ÷ standard, the fraction of the cost that is left "
    "($\\frac{1}{C_{\\text{out}}} + \\frac{1}{k^2}$, below 1). The question asks standard ÷ "
    "separable — how many times cheaper the separable block is — which is its inverse, "
    "$C_{\\text{out}} k^2 / (C_{\\text{out}} + k^2)$.",
}

_HINTS = {
    SEPARABLE_PARAMETERS: "Count the two layers apart. The depthwise layer has one $k \\times k$ "
    "filter per output channel, each seeing a **single** input channel; the pointwise layer is a "
    "$1 \\times 1$ convolution, one weight per (input channel, output channel) pair. Add one bias "
    "per filter where the layers have biases.",
    STANDARD_PARAMETERS: "The weight tensor has shape $C_{\\text{out}} \\times C_{\\text{in}} "
    "\\times k \\times k$; add one bias per filter if the layer has a bias.",
    SEPARABLE_MACS: "Each layer keeps the $H \\times W$ size. At every position the depthwise "
    "layer computes its output channels from $k \\cdot k$ products each, and the pointwise layer "
    "its $C_{\\text{out}}$ channels from one product per input channel each.",
    PARAMETER_RATIO: "Write both counts as products and divide: $C_{\\text{in}}$ cancels.",
    MAC_RATIO: "Write both counts as products and divide: $C_{\\text{in}}$ and $H \\cdot W$ "
    "cancel.",
}


def _layers(setup: Setup) -> str:
    """The two designs, as PyTorch layers and in words (a Markdown list)."""
    c_in, c_out, k, big_k, mid = (
        setup.in_channels,
        setup.out_channels,
        setup.kernel,
        setup.multiplier,
        setup.middle,
    )
    p = setup.padding
    off = "" if setup.bias else ", bias=False"
    depthwise = f"`nn.Conv2d({c_in}, {mid}, kernel_size={k}, padding={p}, groups={c_in}{off})`"
    if big_k == 1:
        depthwise_words = (
            f"a depthwise ${k} \\times {k}$ convolution {depthwise} (one filter per input "
            "channel, each seeing that channel only)"
        )
    else:
        depthwise_words = (
            f"a depthwise ${k} \\times {k}$ convolution with depth multiplier $K = {big_k}$, "
            f"{depthwise} (${big_k}$ filters per input channel, each seeing that channel only: "
            f"${mid}$ output channels)"
        )
    return (
        f"- **standard**: one ${k} \\times {k}$ convolution "
        f"`nn.Conv2d({c_in}, {c_out}, kernel_size={k}, padding={p}{off})`;\n"
        f"- **depthwise-separable**: {depthwise_words}, followed by a pointwise $1 \\times 1$ "
        f"convolution `nn.Conv2d({mid}, {c_out}, kernel_size=1{off})`."
    )


def _prompt(setup: Setup) -> str:
    c_in, c_out, k, p = setup.in_channels, setup.out_channels, setup.kernel, setup.padding
    h, w = setup.height, setup.width
    zeros = f"${p}$ zero{'s' * (p != 1)}"
    intro = (
        f"An input of shape ${c_in} \\times {h} \\times {w}$ (*channels × height × width*, "
        f"batch size 1) goes from ${c_in}$ to ${c_out}$ channels in one of two ways:\n\n"
        f"{_layers(setup)}\n\n"
        f"Every convolution has stride 1 and 'same' padding ({zeros} on each side for the "
        f"${k} \\times {k}$ ones, none for the $1 \\times 1$ one), so every output is "
        f"${h} \\times {w}$. "
    )
    if setup.bias:
        intro += "Every convolution has a bias (PyTorch's default). "
    else:
        intro += (
            "**No** convolution has a bias (`bias=False`: a batch norm follows each one, as in "
            "MobileNet). "
        )
    macs = (
        "Count one MAC per product of a weight and an input value, "
        "including products with padding zeros; don't count the bias additions."
    )
    exact = (
        "Give the exact value as a fraction such as 7/2, or a decimal to at least 6 significant "
        "digits."
    )
    question = {
        SEPARABLE_PARAMETERS: "How many learnable parameters (weights plus biases) does the "
        "**depthwise-separable** block have, both of its convolutions together?",
        STANDARD_PARAMETERS: "How many learnable parameters (weights plus biases) does the "
        "**standard** convolution have?",
        SEPARABLE_MACS: "How many multiply-accumulates (MACs) does the forward pass of the "
        f"**depthwise-separable** block take, both of its convolutions together? {macs}",
        PARAMETER_RATIO: "How many times fewer parameters does the separable block have? Give the "
        f"ratio **standard ÷ separable** of the two parameter counts. {exact}",
        MAC_RATIO: "How many times fewer multiply-accumulates (MACs) does the separable block's "
        f"forward pass take? Give the ratio **standard ÷ separable** of the two MAC counts. {macs} "
        f"{exact}",
    }[setup.ask]
    return intro + question


def _fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _solution(setup: Setup, counts: dict[str, int]) -> tuple[str, ...]:
    c_in, c_out, k, big_k, mid = (
        setup.in_channels,
        setup.out_channels,
        setup.kernel,
        setup.multiplier,
        setup.middle,
    )
    h, w, hw = setup.height, setup.width, setup.positions
    if setup.ask == STANDARD_PARAMETERS:
        steps = [
            f"The weight has shape ${c_out} \\times {c_in} \\times {k} \\times {k}$: "
            f"${c_out} \\cdot {c_in} \\cdot {k} \\cdot {k} = {c_out * c_in * k * k}$ weights.",
            f"One bias per filter: ${c_out}$ biases." if setup.bias else "`bias=False`: no biases.",
            f"Total: ${counts['standard']}$ parameters.",
        ]
        separable = counts["depthwise"] + counts["pointwise"]
        steps.append(
            f"For comparison, the depthwise-separable block has ${separable}$: about "
            f"${counts['standard'] / separable:.1f}$ times fewer."
        )
        return tuple(steps)
    depthwise_filters = (
        "one filter per input channel, each seeing that channel only"
        if big_k == 1
        else f"$K = {big_k}$ filters per input channel, each seeing that channel only, so "
        f"${big_k} \\cdot {c_in} = {mid}$ output channels"
    )
    if setup.ask in (SEPARABLE_PARAMETERS, PARAMETER_RATIO):
        bias_dw = f" $+\\ {mid}$ biases $= {counts['depthwise']}$" if setup.bias else ""
        bias_pw = f" $+\\ {c_out}$ biases $= {counts['pointwise']}$" if setup.bias else ""
        steps = [
            f"Depthwise ${k} \\times {k}$ layer (`groups={c_in}`): {depthwise_filters}. Its "
            f"weight has shape ${mid} \\times 1 \\times {k} \\times {k}$: "
            f"${mid} \\cdot {k} \\cdot {k} = {mid * k * k}$ weights{bias_dw}.",
            f"Pointwise $1 \\times 1$ layer: weight ${c_out} \\times {mid} \\times 1 \\times 1$, "
            f"${c_out} \\cdot {mid} = {c_out * mid}$ weights{bias_pw}.",
            f"Separable block: ${counts['depthwise']} + {counts['pointwise']} = "
            f"{counts['depthwise'] + counts['pointwise']}$ parameters"
            + ("" if setup.bias else " (no biases)")
            + ".",
        ]
        if setup.ask == SEPARABLE_PARAMETERS:
            times = counts["standard"] / (counts["depthwise"] + counts["pointwise"])
            steps.append(
                f"For comparison, the standard layer has ${counts['standard']}$ "
                f"(${c_out} \\cdot {c_in} \\cdot {k} \\cdot {k}$"
                + (f" $+\\ {c_out}$" if setup.bias else "")
                + f"): about ${times:.1f}$"
                " times more."
            )
            return tuple(steps)
        standard, separable = counts["standard"], counts["depthwise"] + counts["pointwise"]
        steps.insert(
            0,
            f"Standard layer: weight ${c_out} \\times {c_in} \\times {k} \\times {k}$, "
            f"${c_out} \\cdot {c_in} \\cdot {k} \\cdot {k} = {standard}$ parameters.",
        )
    else:
        standard, separable = (
            counts["standard_macs"],
            counts["depthwise_macs"] + counts["pointwise_macs"],
        )
        steps = [
            f"Stride 1 and 'same' padding: every layer's output is ${h} \\times {w}$, "
            f"${hw}$ positions per channel.",
            f"Depthwise ${k} \\times {k}$ layer (`groups={c_in}`): {depthwise_filters}. Each of "
            f"its ${mid} \\cdot {hw}$ output values is a dot product of ${k} \\cdot {k} = {k * k}$ "
            f"products: ${mid} \\cdot {hw} \\cdot {k * k} = {counts['depthwise_macs']}$ MACs.",
            f"Pointwise $1 \\times 1$ layer: each of its ${c_out} \\cdot {hw}$ output values is a "
            f"dot product over the ${mid}$ channels: ${c_out} \\cdot {hw} \\cdot {mid} = "
            f"{counts['pointwise_macs']}$ MACs.",
            f"Separable block: ${counts['depthwise_macs']} + {counts['pointwise_macs']} = "
            f"{separable}$ MACs.",
        ]
        if setup.ask == SEPARABLE_MACS:
            steps.append(
                f"For comparison, the standard layer takes ${c_out} \\cdot {hw} \\cdot {c_in} "
                f"\\cdot {k * k} = {counts['standard_macs']}$ MACs: about "
                f"${counts['standard_macs'] / separable:.1f}$ times more."
            )
            return tuple(steps)
        steps.insert(
            1,
            f"Standard layer: each of its ${c_out} \\cdot {hw}$ output values is a dot product of "
            f"${c_in} \\cdot {k * k}$ products: ${c_out} \\cdot {hw} \\cdot {c_in * k * k} = "
            f"{standard}$ MACs.",
        )
    ratio = Fraction(standard, separable)
    steps.append(
        f"Standard ÷ separable: $\\frac{{{standard}}}{{{separable}}} = {_fraction(ratio)}"
        + ("" if ratio.denominator == 1 else f" \\approx {float(ratio):.6g}")
        + "$."
    )
    check = Fraction(1, c_out) + Fraction(1, k * k)
    cancelled = (
        "$C_{\\text{in}}$ and $H \\cdot W$ cancel"
        if setup.ask == MAC_RATIO
        else "$C_{\\text{in}}$ cancels"
    )
    steps.append(
        "Check with the formula: separable ÷ standard $= \\frac{C_{\\text{in}} k^2 + "
        "C_{\\text{in}} C_{\\text{out}}}{C_{\\text{out}} C_{\\text{in}} k^2} = "
        f"\\frac{{1}}{{C_{{\\text{{out}}}}}} + \\frac{{1}}{{k^2}}$ ({cancelled}), here "
        f"$\\frac{{1}}{{{c_out}}} + \\frac{{1}}{{{k * k}}} = {_fraction(check)}$, whose inverse "
        f"is ${_fraction(1 / check)}$, as found."
    )
    return tuple(steps)


def reference(exercise: Exercise) -> int | float:
    """Count by loops: every (filter, input channel) connection of each layer — a depthwise filter
    connects to the one input channel of its group — times the kernel taps, plus one bias per
    filter; the MACs are those products once per output position, found by sliding each window
    with ``engine.reference.conv2d`` over one channel of zeros."""
    setup = Setup.from_params(dict(exercise.params))
    c_in, c_out, k, mid, p = (
        setup.in_channels,
        setup.out_channels,
        setup.kernel,
        setup.middle,
        setup.padding,
    )
    macs = setup.ask in (SEPARABLE_MACS, MAC_RATIO)

    def count(inputs: int, filters: int, groups: int, kernel: int, padding: int) -> int:
        taps = 0
        for _row in range(kernel):
            for _column in range(kernel):
                taps += 1
        weights = 0
        for u in range(filters):
            group = u * groups // filters
            for i in range(inputs):
                if i * groups // inputs == group:
                    weights += taps
        if not macs:
            return weights + (filters if setup.bias else 0)
        plane = engine_reference.conv2d(
            np.zeros((1, 1, setup.height, setup.width)),
            np.zeros((1, 1, kernel, kernel)),
            padding=padding,
        )
        positions = 0
        for _y in range(plane.shape[2]):
            for _x in range(plane.shape[3]):
                positions += 1
        return weights * positions

    separable = count(c_in, mid, c_in, k, p) + count(mid, c_out, 1, 1, 0)
    if setup.ask in (SEPARABLE_PARAMETERS, SEPARABLE_MACS):
        return separable
    standard = count(c_in, c_out, 1, k, p)
    if setup.ask == STANDARD_PARAMETERS:
        return standard
    return standard / separable


FAMILY = Family(
    id=ID,
    title="Depthwise-separable convolution against a standard one",
    answer_kind=AnswerKind.NUMBER,
    description="Count the parameters and multiply-accumulates of a depthwise-separable block "
    "(depthwise k × k, then pointwise 1 × 1) and of the standard convolution it replaces, and "
    "how many times cheaper it is.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
