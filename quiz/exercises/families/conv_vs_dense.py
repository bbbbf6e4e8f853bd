"""Local connectivity and parameter sharing against a fully connected layer.

The same input, ``C_in × H × W``, is mapped to the same output, ``C_out × H_out × W_out`` with
``H_out = floor((H + 2p - k) / s) + 1`` (likewise ``W_out``), by

* (a) a conv layer with ``C_out`` filters of ``C_in × k × k``, shared over all positions:
  ``C_out · C_in · k² (+ C_out biases, one per filter)``;
* (b) a fully connected layer (``nn.Linear`` from the flattened input, ``n_in = C_in · H · W``
  values, to the flattened output, ``n_out = C_out · H_out · W_out`` values), always with a bias:
  ``n_in · n_out + n_out``;
* (c) at difficulty 3, a locally connected layer: the conv layer without sharing, its own
  ``C_out`` filters of ``C_in × k × k`` at each of the ``H_out · W_out`` positions, and (when it
  has a bias) one bias per output value: ``H_out · W_out`` times the conv layer's count.

Each question asks for one count: the conv layer's parameters, the fully connected layer's, the
locally connected layer's, or how many times more parameters the fully connected layer has than
the conv layer (``n_dense / n_conv``, a fraction in general).

Difficulty 1: a small one-channel square image, stride 1, no padding, both layers with a bias;
the conv or the fully connected layer's count.
Difficulty 2: several input channels, a possibly non-square image, padding and/or stride (so
``H_out`` and ``W_out`` must be computed), the conv layer with or without a bias; mostly the fully
connected layer's count, sometimes the conv layer's.
Difficulty 3: a realistic image (16 … 32 pixels, 1 or 3 channels, up to 32 filters) and all
three layers; the locally connected layer's count or the ratio fully connected / conv.

Picture: the layers' parameter counts as bars side by side (a log axis when they are orders of
magnitude apart), the asked one(s) outlined.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from engine import conv2d_parameter_count, conv_output_size
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.exercises.latex import count as _n
from quiz.exercises.latex import ratio as _ratio
from quiz.exercises.pictures import Bar, BarsPicture, count_text, log_scale, ratio_text
from quiz.grading import AnswerKind

ID = "conv-vs-dense"

ASKS = ("conv", "dense", "local", "ratio")
"""What a question asks for: one layer's parameter count, or the fully connected / conv ratio."""

MISTAKES = {
    "bias_forgotten": "left out the biases of a layer that has them",
    "bias_counted_when_off": "added biases to the conv (or locally connected) layer with "
    "bias=False",
    "bias_sharing_mixed_up": "gave the conv layer one bias per output value, or the locally "
    "connected layer one per filter",
    "sharing_mixed_up": "counted the conv layer without sharing (the locally connected count) "
    "or the locally connected layer with sharing (the conv count)",
    "output_size_left_out": "sized the fully connected layer without the whole flattened "
    "output (from n_in alone, or to C_out outputs)",
    "channels_left_out": "left the channels out of the flattened sizes or of the filters",
    "padding_ignored": "computed the output size without the padding",
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
    bias: bool = True
    """Whether the conv layer (and the locally connected one) has a bias; the fully connected
    layer always has one."""
    ask: str = "dense"

    def __post_init__(self) -> None:
        if self.ask not in ASKS:
            raise ValueError(f"ask must be one of {ASKS}; got {self.ask!r}")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(**params)

    def out_size(self, padding: int | None = None) -> tuple[int, int]:
        """``(H_out, W_out)``; ``padding`` overrides the layer's (a mistake leaves it out)."""
        k, s = self.kernel, self.stride
        p = self.padding if padding is None else padding
        return conv_output_size(self.height, k, s, p), conv_output_size(self.width, k, s, p)

    @property
    def positions(self) -> int:
        out_h, out_w = self.out_size()
        return out_h * out_w

    @property
    def n_in(self) -> int:
        return self.in_channels * self.height * self.width

    @property
    def n_out(self) -> int:
        return self.out_channels * self.positions

    @property
    def conv_weights(self) -> int:
        return self.out_channels * self.in_channels * self.kernel * self.kernel

    @property
    def conv(self) -> int:
        return conv2d_parameter_count(
            self.in_channels, self.out_channels, self.kernel, bias=self.bias
        )

    @property
    def dense(self) -> int:
        return self.n_in * self.n_out + self.n_out

    @property
    def local(self) -> int:
        return self.positions * self.conv


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        size = int(rng.integers(4, 9))
        setup = Setup(
            1,
            size,
            size,
            pick(rng, (1, 2, 3, 4)),
            pick(rng, (2, 3)),
            ask=pick(rng, ("conv", "dense")),
        )
    elif difficulty == 2:
        kernel = pick(rng, (3, 3, 5))
        stride, padding = pick(rng, (1, 2)), int(rng.integers(0, kernel // 2 + 1))
        if stride == 1 and padding == 0:  # make H_out something to work out
            padding = kernel // 2
        setup = Setup(
            pick(rng, (2, 3, 4)),
            int(rng.integers(6, 13)),
            int(rng.integers(6, 13)),
            pick(rng, (2, 4, 6, 8)),
            kernel,
            stride,
            padding,
            bias=bool(rng.integers(2)),
            ask=pick(rng, ("dense", "dense", "conv")),
        )
    else:
        kernel, size = pick(rng, (3, 3, 5)), pick(rng, (16, 24, 28, 32))
        setup = Setup(
            pick(rng, (1, 3, 3)),
            size,
            size,
            pick(rng, (6, 8, 16, 32)),
            kernel,
            pick(rng, (1, 2)),
            int(rng.integers(0, kernel // 2 + 1)),
            bias=bool(rng.integers(2)),
            ask=pick(rng, ("local", "ratio")),
        )
    return build(setup, seed, difficulty)


def _answer(setup: Setup) -> int | float:
    if setup.ask == "conv":
        return setup.conv
    if setup.ask == "dense":
        return setup.dense
    if setup.ask == "local":
        return setup.local
    return float(Fraction(setup.dense, setup.conv))


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    expected = _answer(setup)
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup, with_local=difficulty == 3 or setup.ask == "local"),
        answer_kind=AnswerKind.NUMBER,
        expected=expected,
        params=asdict(setup),
        solution=_solution(setup, with_local=difficulty == 3 or setup.ask == "local"),
        hint=_HINTS[setup.ask],
        picture=_picture(setup, with_local=difficulty == 3 or setup.ask == "local"),
    )


def _picture(setup: Setup, with_local: bool) -> BarsPicture:
    """The layers' parameter counts side by side (the locally connected one when the prompt
    describes it), on a log axis when they are orders of magnitude apart."""
    c_in, c_out, k = setup.in_channels, setup.out_channels, setup.kernel
    biases = f" + {c_out}" if setup.bias else ""
    asked = {"conv": ("conv",), "dense": ("dense",), "local": ("local",)}.get(
        setup.ask, ("conv", "dense")
    )
    layers = [("conv", "(a) conv, shared filters", setup.conv, f"{c_out}·{c_in}·{k}·{k}{biases}")]
    if with_local:
        per_position = count_text(setup.conv)
        layers.append(
            (
                "local",
                "(c) locally connected",
                setup.local,
                f"{setup.positions} positions × {per_position}",
            )
        )
    layers.append(
        (
            "dense",
            "(b) fully connected",
            setup.dense,
            f"{count_text(setup.n_in)}·{count_text(setup.n_out)} + {count_text(setup.n_out)}",
        )
    )
    bars = tuple(
        Bar(label, (("parameters", count),), note=note, asked=("parameters",) * (key in asked))
        for key, label, count, note in layers
    )
    ratio = Fraction(setup.dense, setup.conv)
    times = ratio_text(ratio)
    return BarsPicture(
        title="Parameters of each layer",
        bars=bars,
        axis="parameters",
        log_scale=log_scale(count for _, _, count, _ in layers),
        caption=f"Same input, same output: the fully connected layer (b) has {times} times the "
        "parameters of the conv layer (a), whose filters are shared by every position.",
    )


_HINTS = {
    "conv": "A conv layer has $C_{\\text{out}}$ filters of $C_{\\text{in}} \\times k \\times k$, "
    "shared by every position: the image size does not matter. Add one bias per filter if the "
    "layer has a bias.",
    "dense": "Work out $H_{\\text{out}}$ and $W_{\\text{out}}$, then the flattened sizes "
    "$n_{\\text{in}} = C_{\\text{in}} H W$ and $n_{\\text{out}} = C_{\\text{out}} "
    "H_{\\text{out}} W_{\\text{out}}$: every input value connects to every output value, and "
    "each output value has a bias.",
    "local": "Work out $H_{\\text{out}} W_{\\text{out}}$, the number of positions: each has its "
    "own $C_{\\text{out}}$ filters of $C_{\\text{in}} \\times k \\times k$ (and, with a bias, "
    "$C_{\\text{out}}$ biases).",
    "ratio": "Count both layers first: the conv layer's filters (and biases) do not depend on the "
    "image size, the fully connected layer has $n_{\\text{in}} n_{\\text{out}} + "
    "n_{\\text{out}}$ parameters. Then divide.",
}


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken count, computed from this question's numbers."""
    setup = Setup.from_params(dict(exercise.params))
    c_out, k = setup.out_channels, setup.kernel
    (out_h, out_w), positions = setup.out_size(), setup.positions
    plane_in, plane_out = setup.height * setup.width, out_h * out_w
    weights, biases = setup.conv_weights, c_out if setup.bias else 0
    # the counts under each slip, layer by layer
    conv: list[tuple[str, int]] = [
        ("bias_forgotten" if setup.bias else "bias_counted_when_off", weights + c_out - biases),
        ("sharing_mixed_up", setup.local),
        ("sharing_mixed_up", positions * weights + biases),
        ("channels_left_out", c_out * k * k + biases),
    ]
    if setup.bias:
        conv.append(("bias_sharing_mixed_up", weights + c_out * positions))
    n_in, n_out = setup.n_in, setup.n_out
    out_h0, out_w0 = setup.out_size(padding=0)
    n_out0 = c_out * out_h0 * out_w0
    dense: list[tuple[str, int]] = [
        ("bias_forgotten", n_in * n_out),
        ("output_size_left_out", n_in * c_out + c_out),
        ("output_size_left_out", n_in * n_in + n_in),
        ("output_size_left_out", n_in + 1),
        ("channels_left_out", plane_in * plane_out + plane_out),
        ("channels_left_out", plane_in * n_out + n_out),
        ("channels_left_out", n_in * plane_out + plane_out),
        ("padding_ignored", n_in * n_out0 + n_out0),
    ]
    local: list[tuple[str, int]] = [
        (
            "bias_forgotten" if setup.bias else "bias_counted_when_off",
            positions * (weights + c_out - biases),
        ),
        ("sharing_mixed_up", setup.conv),
        ("channels_left_out", positions * (c_out * k * k + biases)),
        ("padding_ignored", out_h0 * out_w0 * setup.conv),
    ]
    if setup.bias:
        local.append(("bias_sharing_mixed_up", positions * weights + c_out))
    if setup.ask == "conv":
        answers: list[tuple[str, int | float]] = list(conv)
    elif setup.ask == "dense":
        answers = list(dense)
    elif setup.ask == "local":
        answers = list(local)
    else:
        answers = _ratio_answers(setup, conv, dense)
    return [Mistake(tag, _MESSAGES[tag], answer) for tag, answer in answers if answer > 0]


def _ratio_answers(
    setup: Setup, conv: list[tuple[str, int]], dense: list[tuple[str, int]]
) -> list[tuple[str, int | float]]:
    """The ratio with a slip in the fully connected count, in the conv count, or in both."""
    k = setup.kernel
    plane_in, (out_h, out_w) = setup.height * setup.width, setup.out_size()
    plane_out = out_h * out_w

    def ratio(top: int, bottom: int) -> float:
        return float(Fraction(top, bottom))

    answers: list[tuple[str, int | float]] = [
        (tag, ratio(setup.dense, wrong)) for tag, wrong in conv if tag != "channels_left_out"
    ]
    # (a fully connected layer to C_out outputs gives dense / local: that is sharing_mixed_up)
    answers += [
        (tag, ratio(wrong, setup.conv))
        for tag, wrong in dense
        if tag in ("bias_forgotten", "padding_ignored")
    ]
    if setup.bias:  # both layers' biases left out
        answers.append(("bias_forgotten", ratio(setup.n_in * setup.n_out, setup.conv_weights)))
    # one channel in and out on both sides: a single-channel picture of the two layers
    answers.append(
        (
            "channels_left_out",
            ratio(plane_in * plane_out + plane_out, k * k + (1 if setup.bias else 0)),
        )
    )
    return answers


_MESSAGES = {
    "bias_forgotten": "Count the biases too. The fully connected layer has **one bias per output "
    "value** ($n_{\\text{out}}$ of them); the conv layer, when it has a bias, one per filter "
    "($C_{\\text{out}}$); the locally connected layer one per output value.",
    "bias_counted_when_off": "The conv layer (and the locally connected one) is created with "
    "`bias=False` here: it has **no** biases, only weights. Only the fully connected layer has "
    "biases in this question.",
    "bias_sharing_mixed_up": "Biases are shared exactly like the weights. The conv layer uses "
    "**one bias per filter** at every position, $C_{\\text{out}}$ in all; the locally connected "
    "layer shares nothing, so it has one per output value, $C_{\\text{out}} H_{\\text{out}} "
    "W_{\\text{out}}$.",
    "sharing_mixed_up": "You used the other layer's count. A conv layer **shares** its "
    "$C_{\\text{out}}$ filters over all positions: $C_{\\text{out}} C_{\\text{in}} k^2$ weights "
    "whatever the image size. A locally connected layer has its own filters at each of the "
    "$H_{\\text{out}} W_{\\text{out}}$ positions, so $H_{\\text{out}} W_{\\text{out}}$ times as "
    "many parameters.",
    "output_size_left_out": "A fully connected layer connects **every input value to every "
    "output value**: $n_{\\text{in}} \\cdot n_{\\text{out}}$ weights, where $n_{\\text{out}} = "
    "C_{\\text{out}} H_{\\text{out}} W_{\\text{out}}$ is the whole flattened output (all "
    "channels at all positions), plus one bias per output value.",
    "channels_left_out": "Keep the channels: the input flattens to $n_{\\text{in}} = "
    "C_{\\text{in}} H W$ values, the output to $n_{\\text{out}} = C_{\\text{out}} H_{\\text{out}} "
    "W_{\\text{out}}$, and each filter spans all $C_{\\text{in}}$ input channels "
    "($C_{\\text{in}} \\times k \\times k$ weights), one filter per output channel.",
    "padding_ignored": "Size the output with the padding: $H_{\\text{out}} = \\lfloor (H + 2p - "
    "k)/s \\rfloor + 1$ with $p$ zeros on each side. The conv layer's count does not depend on "
    "it, but the fully connected and locally connected layers have parameters for every output "
    "position.",
}


def _bias_words(setup: Setup, with_local: bool) -> str:
    layers = "The conv layer (a) and the locally connected layer (c)" if with_local else ""
    if setup.bias:
        if with_local:
            return (
                f"{layers} have biases: (a) one per filter (PyTorch's default), (c) one per "
                "output value, since it shares nothing."
            )
        return "The conv layer has a bias, one per filter (PyTorch's default)."
    if with_local:
        return f"{layers} are created with `bias=False`: they have **no** bias."
    return "The conv layer is created with `bias=False`: it has **no** bias."


def _prompt(setup: Setup, with_local: bool) -> str:
    c_in, c_out, k, s, p = (
        setup.in_channels,
        setup.out_channels,
        setup.kernel,
        setup.stride,
        setup.padding,
    )
    args = [str(c_in), str(c_out), f"kernel_size={k}"]
    args += [f"stride={s}"] if s != 1 else []
    args += [f"padding={p}"] if p else []
    args += [] if setup.bias else ["bias=False"]
    geometry = f"stride ${s}$, " + (f"padding ${p}$ on each side" if p else "no padding")
    lines = [
        f"An input of shape ${latex.shape((c_in, setup.height, setup.width))}$ "
        f"(*channels × height × width*) is mapped to ${c_out}$ output channels "
        f"in {'three' if with_local else 'two'} ways:",
        "",
        f"- **(a) a conv layer** `nn.Conv2d({', '.join(args)})`: ${c_out}$ "
        f"filter{'s' * (c_out != 1)} of ${k} \\times {k}$ "
        + (f"over all ${c_in}$ input channels" if c_in != 1 else "on the one input channel")
        + f", {geometry};",
        "- **(b) a fully connected layer** `nn.Linear` from the whole input, flattened into one "
        "vector, to the whole output of (a), flattened: every input value is connected to every "
        "output value, and it has a bias (one per output value, PyTorch's default);",
    ]
    if with_local:
        lines.append(
            "- **(c) a locally connected layer**: like (a), with the same output, but **without "
            f"parameter sharing**: every output position has its own ${c_out}$ "
            f"filter{'s' * (c_out != 1)} of ${c_in} \\times {k} \\times {k}$ (a filter that "
            "overlaps the padding still has all its weights)."
        )
    else:
        lines[-1] = lines[-1][:-1] + "."
    lines += ["", _bias_words(setup, with_local), "", _QUESTIONS[setup.ask]]
    return "\n".join(lines)


_QUESTIONS = {
    "conv": "How many learnable parameters (weights plus biases) does the **conv layer (a)** have?",
    "dense": "How many learnable parameters (weights plus biases) does the **fully connected "
    "layer (b)** have?",
    "local": "How many learnable parameters (weights plus biases) does the **locally connected "
    "layer (c)** have?",
    "ratio": "How many times more learnable parameters (weights plus biases) does the **fully "
    "connected layer (b)** have than the **conv layer (a)**? Give the exact quotient "
    "(b)/(a): a whole number, or a fraction such as `3/4` (a decimal to 7 significant digits "
    "is accepted too).",
}


def _solution(setup: Setup, with_local: bool) -> tuple[str, ...]:
    c_in, c_out, k, s, p = (
        setup.in_channels,
        setup.out_channels,
        setup.kernel,
        setup.stride,
        setup.padding,
    )
    (out_h, out_w), positions = setup.out_size(), setup.positions
    h, w = setup.height, setup.width
    if h == w:
        size = f"$\\lfloor ({h} + 2\\cdot{p} - {k})/{s} \\rfloor + 1 = {out_h}$ in each direction"
    else:
        size = (
            f"$\\lfloor ({h} + 2\\cdot{p} - {k})/{s} \\rfloor + 1 = {out_h}$ by "
            f"$\\lfloor ({w} + 2\\cdot{p} - {k})/{s} \\rfloor + 1 = {out_w}$"
        )
    steps = [
        f"Output size: {size}, so the output is ${latex.shape((c_out, out_h, out_w))}$: "
        f"$n_{{\\text{{out}}}} = {c_out} \\cdot {out_h} \\cdot {out_w} = {_n(setup.n_out)}$ "
        f"values, and the input flattens to $n_{{\\text{{in}}}} = {c_in} \\cdot {h} \\cdot {w} = "
        f"{_n(setup.n_in)}$ values.",
    ]
    conv = (
        f"(a) Conv: ${c_out}$ filter{'s' * (c_out != 1)} of ${c_in} \\times {k} \\times {k}$, "
        f"${c_out} \\cdot {c_in} \\cdot {k} \\cdot {k} = {_n(setup.conv_weights)}$ weights"
    )
    conv += (
        f", plus ${c_out}$ biases (one per filter): ${_n(setup.conv)}$ parameters."
        if setup.bias
        else f" and no bias: ${_n(setup.conv)}$ parameters."
    )
    steps.append(conv + " The image size does not enter: every position uses the same filters.")
    steps.append(
        f"(b) Fully connected: $n_{{\\text{{in}}}} \\cdot n_{{\\text{{out}}}} = {_n(setup.n_in)} "
        f"\\cdot {_n(setup.n_out)} = {_n(setup.n_in * setup.n_out)}$ weights plus "
        f"${_n(setup.n_out)}$ biases: ${_n(setup.dense)}$ parameters."
    )
    if with_local:
        per_position = "weights and biases" if setup.bias else "weights"
        steps.append(
            f"(c) Locally connected: the conv layer's ${_n(setup.conv)}$ {per_position} once per "
            f"output position, ${out_h} \\cdot {out_w} = {positions}$ times: "
            f"${positions} \\cdot {_n(setup.conv)} = {_n(setup.local)}$ parameters."
        )
    rows = [
        f"\\text{{(a) conv, shared filters}} & {_n(setup.conv)}",
        f"\\text{{(b) fully connected}} & {_n(setup.dense)}",
    ]
    if with_local:
        rows.append(f"\\text{{(c) locally connected}} & {_n(setup.local)}")
    ratio = Fraction(setup.dense, setup.conv)
    steps.append(
        "Side by side:"
        + latex.display("\\begin{array}{lr} " + " \\\\ ".join(rows) + " \\end{array}")
        + f"The fully connected layer has ${_ratio(ratio)}$ times as many parameters as the conv "
        "layer."
    )
    steps.append(
        f"Answer: ${_final(setup)}$."
        if setup.ask != "ratio"
        else f"Answer: $\\dfrac{{{_n(setup.dense)}}}{{{_n(setup.conv)}}} = {_ratio(ratio)}$."
    )
    steps += [
        "**Parameter sharing** is what the conv layer buys: the same filter is used at every "
        "position, so its parameters do not grow with the image.",
        "**Translation equivariance** comes with it: shifting the input shifts the output by "
        "the same amount (up to the stride and the borders).",
    ]
    return tuple(steps)


def _final(setup: Setup) -> str:
    return _n({"conv": setup.conv, "dense": setup.dense, "local": setup.local}[setup.ask])


def reference(exercise: Exercise) -> int | float:
    """Find the output positions by sliding the window with ``engine.reference.conv2d`` over one
    channel of zeros, then count with loops: the input values and one filter's taps (input
    channel, row, column) one by one; the conv layer's filters once each; for the fully connected
    layer, every output value (output channel, position) with one weight per input value; for the
    locally connected layer, every (position, filter) pair with its own taps. Biases are added
    where the layer has them."""
    setup = Setup.from_params(dict(exercise.params))
    c_in, c_out, k = setup.in_channels, setup.out_channels, setup.kernel
    plane = engine_reference.conv2d(
        np.zeros((1, 1, setup.height, setup.width)),
        np.zeros((1, 1, k, k)),
        stride=setup.stride,
        padding=setup.padding,
    )
    positions = [(y, x) for y in range(plane.shape[2]) for x in range(plane.shape[3])]
    inputs = 0
    for _channel in range(c_in):
        for _row in range(setup.height):
            for _column in range(setup.width):
                inputs += 1
    per_filter = 0
    for _channel in range(c_in):
        for _row in range(k):
            for _column in range(k):
                per_filter += 1
    conv = 0
    for _filter in range(c_out):
        conv += per_filter + (1 if setup.bias else 0)
    dense = 0
    for _u in range(c_out):
        for _position in positions:
            dense += inputs + 1  # its weights from every input value, and its bias
    local = 0
    for _position in positions:
        for _filter in range(c_out):
            local += per_filter + (1 if setup.bias else 0)
    if setup.ask == "ratio":
        return float(Fraction(dense, conv))
    return {"conv": conv, "dense": dense, "local": local}[setup.ask]


FAMILY = Family(
    id=ID,
    title="Conv against fully connected: parameters",
    answer_kind=AnswerKind.NUMBER,
    description="Local connectivity and parameter sharing against a fully connected layer: "
    "count the parameters of a conv layer, of the fully connected layer with the same input and "
    "output, and of a locally connected layer (no sharing), or compare them.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
