"""Memory and compute of a small VGG-style network (the CS231n VGG walk-through), layer by layer.

The network is a list of named layers on one ``C × H × W`` input: ``k × k`` convolutions with
stride 1 and padding ``p`` on each side, ``2 × 2`` max pooling with stride 2, and fully connected
layers on the flattened output of the layer before them. Every convolution and fully connected
layer has a bias; ReLUs work in place and are not listed. Per layer::

    output size (per axis)   o = floor((i + 2p - k) / s) + 1    (3 × 3, p = 1, s = 1 keeps i)
    activations              C_out · H_out · W_out              (n_out for a fully connected layer)
    parameters               C_out · C_in · k · k + C_out        (conv)
                             n_in · n_out + n_out                (fc, n_in = C · H · W flattened)
                             0                                   (max pooling)
    MACs (conv)              C_out · H_out · W_out · C_in · k · k
    memory (bytes)           4 · (B · activations [+ B · input] + parameters)     (float32)

Difficulty 1: two or three layers on a small input; the activations of one named convolution or
pooling layer, or the parameters of one named convolution or fully connected layer.
Difficulty 2: five to seven layers; the total activations of one input (the input image counted
or not), the total parameters, or the multiply-adds of one named convolution.
Difficulty 3: a realistic network (3 × 32 × 32 or 3 × 64 × 64 input, 16 to 512 channels, one or
two fully connected layers); the memory of a forward pass on a batch of ``B`` inputs in bytes or
KiB (activations scale with the batch, the parameters are stored once), or the largest
activation or parameter count of any one layer.

Picture: every layer as bars — its activations and parameters side by side on a log axis, its
MACs, or (memory) the bytes it keeps for the batch, stacked with its parameters' — the asked
layer(s) outlined.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from engine import (
    conv2d_macs,
    conv2d_output_shape,
    conv2d_parameter_count,
    conv_output_size,
    max_pool2d_output_shape,
    pool_output_size,
)
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.exercises.latex import count as _n
from quiz.exercises.latex import shape as _shape
from quiz.exercises.pictures import Bar, BarsPicture, count_text, log_scale, size_text
from quiz.grading import AnswerKind

ID = "network-memory"

MISTAKES = {
    "bias_forgotten": "left out the biases (one per filter or output unit)",
    "fc_not_flattened": "gave a fully connected layer H · W inputs instead of C · H · W",
    "padding_ignored": "shrank the maps at every convolution as if there were no padding",
    "input_miscounted": "counted the input image when the question leaves it out, or the reverse",
    "bytes_forgotten": "gave the number of values, not the bytes (float32: 4 bytes each)",
    "batch_ignored": "counted the activations of one input instead of the whole batch",
    "batch_on_parameters": "multiplied the parameters by the batch size too",
}

QUESTIONS = (
    "activations_layer",
    "params_layer",
    "activations_total",
    "params_total",
    "macs_layer",
    "memory",
    "most_activations",
    "most_params",
)

BYTES_PER_NUMBER = 4  # float32
KIB = 1024
KIB_TOLERANCE = 0.005  # answers in KiB are asked to two decimal places


@dataclass(frozen=True)
class Layer:
    """A convolution (``size`` filters), a max pooling layer or a fully connected layer
    (``size`` outputs); ``kernel``, ``stride`` and ``padding`` are square / per side."""

    name: str
    kind: str  # "conv", "pool" or "fc"
    size: int = 0
    kernel: int = 3
    stride: int = 1
    padding: int = 1

    def describe(self) -> str:
        k, s = self.kernel, self.stride
        if self.kind == "conv":
            pad = f"padding ${self.padding}$ on each side" if self.padding else "no padding"
            return (
                f"`{self.name}`: convolution, ${self.size}$ filters of ${k} \\times {k}$, "
                f"stride ${s}$, {pad}"
            )
        if self.kind == "pool":
            return f"`{self.name}`: max pooling, ${k} \\times {k}$ window, stride ${s}$"
        return f"`{self.name}`: fully connected, ${self.size}$ outputs"


@dataclass(frozen=True)
class Setup:
    """The network (input ``channels × height × width`` and its layers) and the question."""

    channels: int
    height: int
    width: int
    layers: tuple[Layer, ...]
    question: str
    layer: str = ""  # the layer a per-layer question names
    input_counted: bool = False  # activations_total and memory
    batch: int = 1  # memory
    with_parameters: bool = False  # memory: the parameters too
    unit: str = "bytes"  # memory: "bytes" or "KiB"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        layers = tuple(Layer(**layer) for layer in params["layers"])
        return cls(**{**params, "layers": layers})

    @property
    def input_values(self) -> int:
        return self.channels * self.height * self.width


@dataclass(frozen=True)
class Row:
    """One layer's line of the walk-through: what it outputs and what it stores."""

    layer: Layer
    shape: tuple[int, ...]  # (C, H, W), or (n,) after a fully connected layer
    inputs: int  # fc: the length of its (flattened) input; conv: input channels
    activations: int
    parameters: int
    macs: int


def _rows(
    setup: Setup, *, padded: bool = True, biases: bool = True, flattened: bool = True
) -> list[Row] | None:
    """The walk-through, layer by layer; the keywords re-run it with a mistaken rule.
    ``None`` when a map would shrink below one pixel (only possible without the padding)."""
    shape: tuple[int, ...] = (setup.channels, setup.height, setup.width)
    rows = []
    for layer in setup.layers:
        k, s, p = layer.kernel, layer.stride, layer.padding if padded else 0
        try:
            if layer.kind == "conv":
                c_in, h, w = shape
                h_out, w_out = conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)
                out: tuple[int, ...] = (layer.size, h_out, w_out)
                weights = layer.size * c_in * k * k
                row = Row(
                    layer,
                    out,
                    c_in,
                    layer.size * h_out * w_out,
                    weights + (layer.size if biases else 0),
                    weights * h_out * w_out,
                )
            elif layer.kind == "pool":
                c, h, w = shape
                out = (c, pool_output_size(h, k, s), pool_output_size(w, k, s))
                row = Row(layer, out, c, out[0] * out[1] * out[2], 0, 0)
            else:
                flat = shape[0] if len(shape) == 1 else shape[0] * shape[1] * shape[2]
                if not flattened and len(shape) == 3:
                    flat = shape[1] * shape[2]
                out = (layer.size,)
                row = Row(
                    layer,
                    out,
                    flat,
                    layer.size,
                    flat * layer.size + (layer.size if biases else 0),
                    flat * layer.size,
                )
        except ValueError:
            return None
        rows.append(row)
        shape = out
    return rows


def _row_of(rows: Sequence[Row], name: str) -> Row:
    return next(row for row in rows if row.layer.name == name)


def _answer(
    setup: Setup,
    rows: Sequence[Row],
    *,
    input_counted: bool | None = None,
    activation_batch: int | None = None,
    parameter_batch: int = 1,
    bytes_per_number: int = BYTES_PER_NUMBER,
) -> float:
    """The figure the question asks for, from the walk-through ``rows``; the keywords apply a
    mistaken rule to a memory or total question."""
    question = setup.question
    counted = setup.input_counted if input_counted is None else input_counted
    if question == "activations_layer":
        return _row_of(rows, setup.layer).activations
    if question == "params_layer":
        return _row_of(rows, setup.layer).parameters
    if question == "macs_layer":
        return _row_of(rows, setup.layer).macs
    if question == "most_activations":
        return max(row.activations for row in rows)
    if question == "most_params":
        return max(row.parameters for row in rows)
    activations = sum(row.activations for row in rows) + (setup.input_values if counted else 0)
    parameters = sum(row.parameters for row in rows)
    if question == "activations_total":
        return activations
    if question == "params_total":
        return parameters
    batch = setup.batch if activation_batch is None else activation_batch
    numbers = batch * activations + (parameter_batch * parameters if setup.with_parameters else 0)
    total = numbers * bytes_per_number
    return total / KIB if setup.unit == "KiB" else total


def _network(kinds: str, filters: Sequence[int], outputs: Sequence[int]) -> tuple[Layer, ...]:
    """Layers from a pattern such as ``"ccpccpf"`` (conv, pool, fc), named as in VGG:
    ``conv1``, ``conv2``, ``pool1``, …, ``fc1``; ``filters`` go to the convolutions of each
    block (a block ends at a pool), ``outputs`` to the fully connected layers in order."""
    layers, counts = [], {"c": 0, "p": 0, "f": 0}
    for kind in kinds:
        counts[kind] += 1
        if kind == "c":
            layers.append(Layer(f"conv{counts['c']}", "conv", filters[counts["p"]], 3, 1, 1))
        elif kind == "p":
            layers.append(Layer(f"pool{counts['p']}", "pool", 0, 2, 2, 0))
        else:
            layers.append(Layer(f"fc{counts['f']}", "fc", outputs[counts["f"] - 1], 1, 1, 0))
    return tuple(layers)


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        kinds = pick(rng, ("cc", "cp", "cpc", "cpf", "cf", "ccp"))
        first = pick(rng, (2, 4, 8))
        layers = _network(kinds, (first, 2 * first), (pick(rng, (2, 3, 5, 10)),))
        size = pick(rng, (6, 8, 10, 12))
        channels = pick(rng, (1, 3))
        if rng.integers(2):  # a fully connected layer's activations are just its outputs
            question = "activations_layer"
            maps = [layer for layer in layers if layer.kind != "fc"]
            named = maps[-1] if rng.integers(2) else pick(rng, maps)
        else:
            question = "params_layer"
            named = pick(rng, [layer for layer in layers if layer.kind != "pool"])
        setup = Setup(channels, size, size, layers, question, named.name)
    elif difficulty == 2:
        kinds = pick(rng, ("ccpccpf", "cpcpf", "cpccpf", "ccpcpf"))
        first = pick(rng, (4, 8, 16))
        layers = _network(kinds, (first, 2 * first), (10,))
        size = pick(rng, (16, 20, 24, 28, 32))
        channels = pick(rng, (1, 3))
        question = pick(rng, ("activations_total", "params_total", "macs_layer"))
        named = ""
        if question == "macs_layer":
            named = pick(rng, [layer.name for layer in layers if layer.kind == "conv"])
        counted = bool(rng.integers(2)) and question == "activations_total"
        setup = Setup(channels, size, size, layers, question, named, input_counted=counted)
    else:
        size = pick(rng, (32, 32, 64))
        blocks = 3 if size == 64 else pick(rng, (2, 3))
        kinds = "c" * pick(rng, (1, 2)) + "p"
        for _ in range(blocks - 1):
            kinds += "c" * pick(rng, (2, 3)) + "p"
        first = pick(rng, (16, 32, 64))
        filters = tuple(first * 2**block for block in range(blocks))
        classes = pick(rng, (10, 100))
        outputs: tuple[int, ...]
        if rng.integers(2):
            kinds, outputs = kinds + "ff", (pick(rng, (128, 256, 512)), classes)
        else:
            kinds, outputs = kinds + "f", (classes,)
        layers = _network(kinds, filters, outputs)
        if rng.integers(3):
            setup = Setup(
                3,
                size,
                size,
                layers,
                "memory",
                input_counted=bool(rng.integers(2)),
                batch=pick(rng, (8, 16, 32, 64, 128)),
                with_parameters=bool(rng.integers(2)),
                unit="KiB" if rng.integers(3) == 0 else "bytes",
            )
        else:
            question = pick(rng, ("most_activations", "most_params"))
            setup = Setup(3, size, size, layers, question)
    return build(setup, seed, difficulty)


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    if setup.question not in QUESTIONS:
        raise ValueError(f"unknown question {setup.question!r}")
    rows = _rows(setup)
    assert rows is not None
    expected = _answer(setup, rows)
    grading = (
        {"rel_tol": 0.0, "abs_tol": KIB_TOLERANCE}
        if setup.unit == "KiB" and setup.question == "memory"
        else {"rel_tol": 0.0, "abs_tol": 0.0}  # a count is exact
    )
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=AnswerKind.NUMBER,
        expected=expected,
        params=asdict(setup),
        solution=_solution(setup, rows, expected),
        hint=_HINTS[setup.question],
        grading=grading,
        picture=_picture(setup, rows),
    )


ACTIVATIONS, PARAMETERS, MACS = "activations", "parameters", "MACs"
STORED_ONCE = "parameters (one copy)"


def _picture(setup: Setup, rows: Sequence[Row]) -> BarsPicture:
    """The network layer by layer, in the quantity the question counts: activations and
    parameters side by side (log axis), the MACs of every layer, or the bytes of a forward pass
    stacked per layer (activations of the whole batch, then the parameters)."""
    question = setup.question
    if question == "memory":
        return _memory_picture(setup, rows)
    if question == "macs_layer":
        bars = [
            Bar(
                row.layer.name,
                ((MACS, row.macs),) if row.macs else (),
                row.shape,
                asked=(MACS,) * (row.layer.name == setup.layer),
            )
            for row in rows
        ]
        named = _row_of(rows, setup.layer)
        return BarsPicture(
            title="Multiply-accumulates of each layer (one input)",
            bars=tuple(bars),
            axis=MACS,
            log_scale=log_scale(row.macs for row in rows if row.macs),
            caption=f"{named.layer.name}: {count_text(named.macs)} MACs, one dot product of "
            f"{count_text(named.macs // named.activations)} products per output value. Max "
            "pooling has none.",
        )
    series = (
        PARAMETERS if question in ("params_layer", "params_total", "most_params") else (ACTIVATIONS)
    )
    top = max((row.parameters if series == PARAMETERS else row.activations) for row in rows)
    bars = []
    if setup.input_counted:
        bars.append(
            Bar(
                "input",
                ((ACTIVATIONS, setup.input_values),),
                (setup.channels, setup.height, setup.width),
                asked=(ACTIVATIONS,),
            )
        )
    for row in rows:
        value = {ACTIVATIONS: row.activations, PARAMETERS: row.parameters}[series]
        if question in ("activations_layer", "params_layer"):
            asked = row.layer.name == setup.layer
        elif question in ("most_activations", "most_params"):
            asked = value == top
        else:
            asked = True
        parts = ((ACTIVATIONS, row.activations),) + (
            ((PARAMETERS, row.parameters),) if row.parameters else ()
        )
        bars.append(Bar(row.layer.name, parts, row.shape, asked=(series,) * (asked and value > 0)))
    counts = [value for bar in bars for _, value in bar.parts]
    total = sum(bar.value(series) or 0 for bar in bars if bar.asked)
    if question in ("activations_total", "params_total"):
        caption = f"Adding up the {series} bars: {count_text(total)} {series} in all."
    else:
        where = " and ".join(bar.label for bar in bars if bar.asked)
        caption = f"{where}: {count_text(top if 'most' in question else total)} {series}."
    largest = [
        f"the most {name}: {row.layer.name} ({count_text(number)})"
        for name, row, number in (
            (ACTIVATIONS, *_largest(rows, ACTIVATIONS)),
            (PARAMETERS, *_largest(rows, PARAMETERS)),
        )
        if not (question.startswith("most_") and name == series)  # the caption's first part
    ]
    caption += f" Of the layers, {'; '.join(largest)}."
    return BarsPicture(
        title="Activations (values per input) and parameters of each layer",
        bars=tuple(bars),
        axis="activations and parameters",
        log_scale=log_scale(counts),
        caption=caption,
    )


def _largest(rows: Sequence[Row], series: str) -> tuple[Row, int]:
    """The first layer with the most activations or parameters, and that number."""
    row = max(rows, key=lambda row: row.activations if series == ACTIVATIONS else row.parameters)
    return row, row.activations if series == ACTIVATIONS else row.parameters


def _memory_picture(setup: Setup, rows: Sequence[Row]) -> BarsPicture:
    """The bytes a forward pass keeps, per layer: its activations for the whole batch, and (when
    the question counts them) its parameters, stored once."""
    batch, size = setup.batch, BYTES_PER_NUMBER
    activations = f"activations × batch {batch}"
    bars = []
    if setup.input_counted:
        bars.append(
            Bar(
                "input",
                ((activations, batch * setup.input_values * size),),
                (setup.channels, setup.height, setup.width),
                asked=(activations,),
            )
        )
    for row in rows:
        parts: tuple[tuple[str, float], ...] = ((activations, batch * row.activations * size),)
        if setup.with_parameters and row.parameters:
            parts += ((STORED_ONCE, row.parameters * size),)
        bars.append(Bar(row.layer.name, parts, row.shape, asked=tuple(name for name, _ in parts)))
    total = sum(bar.total for bar in bars)
    kept = "activations and parameters" if setup.with_parameters else "activations"
    if setup.unit == "KiB":
        amount = f"{count_text(total)} bytes = {count_text(round(total / KIB, 2))} KiB"
    else:
        amount = f"{count_text(total)} bytes ({size_text(total)})"
    return BarsPicture(
        title=f"Bytes kept by a forward pass on a batch of {batch} (float32)",
        bars=tuple(bars),
        axis="bytes",
        unit="bytes",
        stacked=True,
        caption=f"The {kept}, layer by layer, 4 bytes a number: {amount} in all.",
    )


def mistakes(exercise: Exercise) -> list[Mistake]:
    """The question re-answered with each mistaken rule (those that change nothing are left
    out by the grader; a memory figure within the KiB rounding of the answer is left out here)."""
    setup = Setup.from_params(dict(exercise.params))
    rows = _rows(setup)
    assert rows is not None
    answers: list[tuple[str, float]] = []
    for tag, wrong_rows in (
        ("bias_forgotten", _rows(setup, biases=False)),
        ("fc_not_flattened", _rows(setup, flattened=False)),
        ("padding_ignored", _rows(setup, padded=False)),
    ):
        if wrong_rows is not None:
            answers.append((tag, _answer(setup, wrong_rows)))
    if setup.question in ("activations_total", "memory"):
        answers.append(
            ("input_miscounted", _answer(setup, rows, input_counted=not setup.input_counted))
        )
    if setup.question == "memory":
        answers.append(("bytes_forgotten", _answer(setup, rows, bytes_per_number=1)))
        if setup.batch > 1:
            answers.append(("batch_ignored", _answer(setup, rows, activation_batch=1)))
            if setup.with_parameters:
                answers.append(
                    ("batch_on_parameters", _answer(setup, rows, parameter_batch=setup.batch))
                )
    tolerance = KIB_TOLERANCE if setup.unit == "KiB" and setup.question == "memory" else 0.0
    expected = float(exercise.expected)
    return [
        Mistake(tag, _MESSAGES[tag], answer)
        for tag, answer in answers
        if abs(answer - expected) > tolerance
    ]


_MESSAGES = {
    "bias_forgotten": "Don't forget the biases: every convolution has **one bias per filter** "
    "and every fully connected layer **one per output**, so a convolution has "
    "$C_{\\text{out}} C_{\\text{in}} k^2 + C_{\\text{out}}$ parameters and a fully connected "
    "layer $n_{\\text{in}} n_{\\text{out}} + n_{\\text{out}}$.",
    "fc_not_flattened": "A fully connected layer is connected to **every** value of its "
    "flattened input: after a $C \\times H \\times W$ map that is $C \\cdot H \\cdot W$ inputs, "
    "not $H \\cdot W$. Each output has one weight per channel at each position, "
    "$C H W \\cdot n_{\\text{out}} + n_{\\text{out}}$ parameters in all.",
    "padding_ignored": "The convolutions are padded: with $p$ zeros on each side the output is "
    "$o = \\lfloor (i + 2p - k)/s \\rfloor + 1$, so a $3 \\times 3$ convolution with padding $1$ "
    "and stride $1$ **keeps** the height and width. Without the padding each one would shrink "
    "the map by $2$, and the slip carries through every later layer.",
    "input_miscounted": "Check whether the input image is counted: the question says so. The "
    "input holds $C \\cdot H \\cdot W$ values per example (the first row of the CS231n VGG "
    "table); add them when the question counts the input, leave them out when it does not.",
    "bytes_forgotten": "That is the number of **values**. Each is a float32 of **4 bytes**, so "
    "multiply by $4$ (and divide by $1024$ for KiB).",
    "batch_ignored": "Those are the activations of **one** input. Every input of the batch has "
    "its own activations, kept for the backward pass: multiply them by the batch size $B$.",
    "batch_on_parameters": "The parameters are **shared** by the whole batch: one copy of the "
    "weights serves every input, so only the activations grow with the batch size $B$.",
}

_HINTS = {
    "activations_layer": "Follow the shape layer by layer: a $3 \\times 3$ convolution with "
    "padding $1$ and stride $1$ keeps the height and width and outputs one channel per filter; "
    "$2 \\times 2$ max pooling with stride $2$ halves them. A layer's activations are the "
    "values of its output, $C \\cdot H \\cdot W$ (or $n$ for a fully connected layer).",
    "params_layer": "A convolution has $C_{\\text{out}} \\cdot C_{\\text{in}} \\cdot k \\cdot k$ "
    "weights plus $C_{\\text{out}}$ biases; a fully connected layer "
    "$n_{\\text{in}} \\cdot n_{\\text{out}} + n_{\\text{out}}$, where $n_{\\text{in}}$ is the "
    "length of its flattened input, $C \\cdot H \\cdot W$.",
    "activations_total": "Make a table: for each layer its output shape and the number of "
    "values in it. Then add up the column (with or without the input, as the question says).",
    "params_total": "Make a table: for each layer its parameters — $C_{\\text{out}} "
    "C_{\\text{in}} k^2 + C_{\\text{out}}$ for a convolution, $n_{\\text{in}} n_{\\text{out}} + "
    "n_{\\text{out}}$ for a fully connected layer, $0$ for pooling — and add them up.",
    "macs_layer": "Find the shapes of the layer's input and output. Every output value is a "
    "dot product of $C_{\\text{in}} \\cdot k \\cdot k$ products: MACs $= C_{\\text{out}} "
    "H_{\\text{out}} W_{\\text{out}} \\cdot C_{\\text{in}} k^2$.",
    "memory": "Add up the activations of one input, multiply by the batch size, add the "
    "parameters if asked (stored once), and multiply by $4$ bytes.",
    "most_activations": "Make a table of each layer's output shape and number of values; early "
    "layers have the largest maps.",
    "most_params": "Make a table of each layer's parameters; a fully connected layer on a "
    "flattened map often has far more than any convolution.",
}


def _question(setup: Setup) -> str:
    name, counted = setup.layer, setup.input_counted
    input_words = (
        f"Count the input image too (its ${_n(setup.input_values)}$ values)."
        if counted
        else "Do not count the input image, only the outputs of the listed layers."
    )
    if setup.question == "activations_layer":
        return (
            f"How many activation values (numbers in its output) does `{name}` produce for one "
            "input (batch size 1)?"
        )
    if setup.question == "params_layer":
        return f"How many learnable parameters (weights plus biases) does `{name}` have?"
    if setup.question == "activations_total":
        return (
            "In a forward pass of one input (batch size 1), every listed layer stores its output "
            "(its activations). How many activation values are there in total? " + input_words
        )
    if setup.question == "params_total":
        return "How many learnable parameters (weights plus biases) does the whole network have?"
    if setup.question == "macs_layer":
        return (
            f"How many multiply-accumulate operations (MACs) does `{name}` take for one input "
            "(batch size 1)? Count one MAC per product of a weight and an input value, including "
            "products with padding zeros; don't count the bias additions."
        )
    if setup.question == "most_activations":
        return (
            "Which listed layer outputs the most activation values for one input (batch size 1), "
            "and how many values is that? Answer with the number of values (the input image is "
            "not a layer)."
        )
    if setup.question == "most_params":
        return (
            "Which layer has the most learnable parameters (weights plus biases), and how many "
            "is that? Answer with the number of parameters."
        )
    what = (
        "the activations of the whole batch and the parameters (one copy: no gradients, no "
        "optimizer state)"
        if setup.with_parameters
        else "the activations of the whole batch (not the parameters)"
    )
    batch_input = (
        f"Count the input batch too (${_n(setup.input_values)}$ values per input)."
        if counted
        else "Do not count the input batch, only the outputs of the listed layers."
    )
    unit = (
        "Answer in KiB ($1$ KiB $= 1024$ bytes), to two decimal places."
        if setup.unit == "KiB"
        else "Answer in bytes."
    )
    return (
        f"The network runs a forward pass on a batch of ${setup.batch}$ inputs and keeps every "
        "layer's output (its activations) for the backward pass. Every number is a float32 "
        f"of $4$ bytes. How much memory do {what} take? {batch_input} {unit}"
    )


def _prompt(setup: Setup) -> str:
    items = "\n".join(
        f"- {layer.describe()}" + (";" if number < len(setup.layers) else ".")
        for number, layer in enumerate(setup.layers, start=1)
    )
    return (
        "A small VGG-style network takes an input of shape "
        f"${_shape((setup.channels, setup.height, setup.width))}$ (*channels × height × width*) "
        f"and applies these layers, in order:\n\n{items}\n\n"
        f"{_conventions(setup)}\n\n{_question(setup)}"
    )


def _conventions(setup: Setup) -> str:
    kinds = {layer.kind for layer in setup.layers}
    if "fc" in kinds:
        text = (
            "Every convolution and every fully connected layer has a bias (one per filter or "
            "output)"
        )
    else:
        text = "Every convolution has a bias (one per filter)"
    text += "; max pooling has no parameters." if "pool" in kinds else "."
    if "fc" in kinds:
        text += " A fully connected layer takes the flattened output of the layer before it."
    return text + " The ReLUs work in place and are not listed."


def _row_step(row: Row, previous: tuple[int, ...], macs: bool) -> str:
    """One layer's line: output shape, activations, parameters (and MACs when ``macs``)."""
    layer, c_out = row.layer, row.layer.size
    if layer.kind == "conv":
        k = layer.kernel
        params = (
            f"${c_out} \\cdot {row.inputs} \\cdot {k} \\cdot {k} + {c_out} = "
            f"{_n(row.parameters)}$ parameters"
        )
    elif layer.kind == "pool":
        params = "no parameters"
    else:
        flat = (
            f"${_shape(previous)} = {_n(row.inputs)}$ inputs flattened"
            if len(previous) == 3
            else f"${_n(row.inputs)}$ inputs"
        )
        params = (
            f"${_n(row.inputs)} \\cdot {c_out} + {c_out} = {_n(row.parameters)}$ parameters "
            f"({flat})"
        )
    if len(row.shape) == 3:
        values = f"${_shape(row.shape)}$, ${_n(row.activations)}$ activations"
    else:
        values = f"a vector of ${row.shape[0]}$, ${_n(row.activations)}$ activations"
    step = f"`{layer.name}`: output {values}; {params}"
    if macs:
        _, h, w = row.shape
        k = layer.kernel
        step += (
            f"; MACs ${c_out} \\cdot {h} \\cdot {w} \\cdot {row.inputs} \\cdot {k} \\cdot {k} = "
            f"{_n(row.macs)}$"
        )
    return step + "."


def _sizes_step(setup: Setup) -> str:
    """How the layers change the height and width (the first step of every solution)."""
    step = "Sizes: a convolution maps each axis by $o = \\lfloor (i + 2p - k)/s \\rfloor + 1$"
    convs = {
        (layer.kernel, layer.padding, layer.stride)
        for layer in setup.layers
        if layer.kind == "conv"
    }
    if len(convs) == 1:
        k, p, s = next(iter(convs))
        if s == 1 and 2 * p == k - 1:
            step += (
                f", so a ${k} \\times {k}$ one with padding ${p}$ on each side and stride $1$ "
                f"keeps the height and width, $i + {2 * p} - {k} + 1 = i$"
            )
    step += ", and outputs one channel per filter"
    pools = {(layer.kernel, layer.stride) for layer in setup.layers if layer.kind == "pool"}
    if pools == {(2, 2)}:
        step += (
            "; $2 \\times 2$ max pooling with stride $2$ halves them (rounding down) and keeps "
            "the channels"
        )
    elif pools:
        step += "; max pooling uses the same formula with $p = 0$ and keeps the channels"
    if any(layer.kind == "fc" for layer in setup.layers):
        step += "; a fully connected layer outputs a vector"
    return step + "."


def _solution(setup: Setup, rows: Sequence[Row], expected: float) -> tuple[str, ...]:
    steps = [
        _sizes_step(setup),
        f"`input`: ${_shape((setup.channels, setup.height, setup.width))}$, "
        f"${_n(setup.input_values)}$ values.",
    ]
    previous: tuple[int, ...] = (setup.channels, setup.height, setup.width)
    for row in rows:
        macs = setup.question == "macs_layer" and row.layer.name == setup.layer
        steps.append(_row_step(row, previous, macs))
        previous = row.shape
    steps += _conclusion(setup, rows, expected)
    return tuple(steps)


def _conclusion(setup: Setup, rows: Sequence[Row], expected: float) -> list[str]:
    question = setup.question
    if question in ("activations_layer", "params_layer", "macs_layer"):
        what = {
            "activations_layer": "activations",
            "params_layer": "parameters",
            "macs_layer": "MACs",
        }[question]
        return [f"So `{setup.layer}` has ${_n(expected)}$ {what}."]
    if question in ("most_activations", "most_params"):
        field = "activations" if question == "most_activations" else "parameters"
        best = max(rows, key=lambda row: getattr(row, field))
        return [f"The largest is `{best.layer.name}`, with ${_n(expected)}$ {field}."]
    activation_terms = [_n(row.activations) for row in rows]
    activations = sum(row.activations for row in rows)
    if setup.input_counted:
        activation_terms.insert(0, _n(setup.input_values))
        activations += setup.input_values
    parameters = sum(row.parameters for row in rows)
    if question == "params_total":
        terms = [_n(row.parameters) for row in rows if row.parameters]
        return [f"Total parameters: ${' + '.join(terms)} = {_n(parameters)}$."]
    which = "with the input" if setup.input_counted else "without the input"
    total = (
        f"Activations per input ({which}): ${' + '.join(activation_terms)} = {_n(activations)}$."
    )
    if question == "activations_total":
        return [total]
    steps = [
        total,
        f"For the batch of ${setup.batch}$: ${setup.batch} \\cdot {_n(activations)} = "
        f"{_n(setup.batch * activations)}$ values.",
    ]
    numbers = setup.batch * activations
    if setup.with_parameters:
        terms = [_n(row.parameters) for row in rows if row.parameters]
        steps.append(
            f"Parameters, stored once whatever the batch: ${' + '.join(terms)} = "
            f"{_n(parameters)}$; with the activations ${_n(numbers)} + {_n(parameters)} = "
            f"{_n(numbers + parameters)}$ values."
        )
        numbers += parameters
    in_bytes = 4 * numbers
    if setup.unit == "KiB":
        rounded = round(expected, 2)
        kib = _n(expected) if rounded == expected else f"{_n(expected)} \\approx {_n(rounded)}"
        steps.append(
            f"At $4$ bytes each: ${_n(numbers)} \\cdot 4 = {_n(in_bytes)}$ bytes, and in KiB "
            f"${_n(in_bytes)} / 1024 = {kib}$."
        )
    else:
        steps.append(f"At $4$ bytes each: ${_n(numbers)} \\cdot 4 = {_n(in_bytes)}$ bytes.")
    return steps


def reference(exercise: Exercise) -> float:
    """Recompute through the engine's whole-tensor shape helpers (``conv2d_output_shape``,
    ``max_pool2d_output_shape``), ``conv2d_parameter_count`` and ``conv2d_macs``; a fully
    connected layer is taken as the convolution whose kernel covers its whole input map (its
    output is then ``n × 1 × 1``), and the batch's memory is added up one input at a time."""
    setup = Setup.from_params(dict(exercise.params))
    shape: tuple[int, ...] = (setup.channels, setup.height, setup.width)
    activations, parameters, macs = [], [], []
    for layer in setup.layers:
        if layer.kind == "conv":
            weight = (layer.size, shape[0], layer.kernel, layer.kernel)
            out = conv2d_output_shape(shape, weight, layer.stride, layer.padding)
            parameters.append(conv2d_parameter_count(shape[0], layer.size, layer.kernel))
            macs.append(conv2d_macs(shape, layer.size, layer.kernel, layer.stride, layer.padding))
        elif layer.kind == "pool":
            out = max_pool2d_output_shape(shape, layer.kernel, layer.stride)
            parameters.append(0)
            macs.append(0)
        else:  # a fully connected layer is a convolution whose kernel covers its whole input
            kernel = shape[1:] if len(shape) == 3 else (1, 1)
            as_map = shape if len(shape) == 3 else (shape[0], 1, 1)
            weight = (layer.size, as_map[0], *kernel)
            out = conv2d_output_shape(as_map, weight)[:1]
            parameters.append(conv2d_parameter_count(as_map[0], layer.size, kernel))
            macs.append(conv2d_macs(as_map, layer.size, kernel))
        activations.append(math.prod(out))
        shape = out
    names = [layer.name for layer in setup.layers]
    question = setup.question
    if question == "activations_layer":
        return activations[names.index(setup.layer)]
    if question == "params_layer":
        return parameters[names.index(setup.layer)]
    if question == "macs_layer":
        return macs[names.index(setup.layer)]
    if question == "most_activations":
        return max(activations)
    if question == "most_params":
        return max(parameters)
    image = setup.channels * setup.height * setup.width if setup.input_counted else 0
    if question == "activations_total":
        return sum(activations) + image
    if question == "params_total":
        return sum(parameters)
    memory = 0
    for _example in range(setup.batch):
        memory += 4 * (sum(activations) + image)
    if setup.with_parameters:
        memory += 4 * sum(parameters)
    return memory / 1024 if setup.unit == "KiB" else memory


FAMILY = Family(
    id=ID,
    title="Memory and compute of a small network",
    answer_kind=AnswerKind.NUMBER,
    description="Walk through a small VGG-style network layer by layer (as in CS231n): "
    "activations, parameters, multiply-adds, and the memory of a forward pass on a batch.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
