"""Output shape of max or average pooling, PyTorch's rule, per axis.

With input size ``i``, window ``k``, stride ``s`` (PyTorch's default: ``s = k``), padding ``p`` on
each side and dilation ``d`` (max pooling only), the window spans ``k_eff = d(k-1) + 1`` and

    floor mode (default)   o = floor((i + 2p - k_eff) / s) + 1
    ceil_mode=True         o = ceil((i + 2p - k_eff) / s) + 1, then one less if that last window
                           would start at or after ``i + p`` (every window must start inside the
                           input or the left padding)

Pooling works on each channel separately, so the channel count does not change.

Difficulty 1: a square single-channel feature map, square window, stride left at its default
(= the window), no padding; the answer is *height × width*.
Difficulty 2: a square C×H×W input, max or average pooling with a stride different from the
window and padding up to ``k // 2``; the answer is *channels × height × width*.
Difficulty 3: a non-square input, possibly non-square windows and strides (or the default
stride), padding, dilation for max pooling, and ``ceil_mode`` on or off (the prompt says which).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import pool_output_size
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.grading import AnswerKind

ID = "pool-output-size"

MISTAKES = {
    "forgot_plus_one": "left out the + 1 of the output-size formula",
    "ceil_instead_of_floor": "rounded up although ceil_mode is off",
    "floor_with_ceil_mode": "rounded down although ceil_mode is on",
    "ceil_rule_ignored": "kept a ceil_mode window that would start in the right padding",
    "padding_once": "added the padding once instead of on both sides",
    "dilation_ignored": "used the window size instead of the dilated span d(k-1)+1",
    "stride_default_wrong": "used stride 1 where the stride defaults to the window size",
    "channels_changed": "changed the number of channels (pooling keeps them)",
    "height_width_swapped": "swapped height and width",
}

SizeFormula = Callable[[int, int, int, int, int, bool], int]
"""``(i, k, s, p, d, ceil_mode) -> o`` along one axis."""


@dataclass(frozen=True)
class Setup:
    """One pooling layer and its input. ``stride`` is ``None`` when left at PyTorch's default
    (the window size); ``layout`` is ``"HW"`` (one feature map) or ``"CHW"``."""

    height: int
    width: int
    kernel: tuple[int, int]
    stride: tuple[int, int] | None
    padding: tuple[int, int]
    dilation: int = 1
    ceil_mode: bool = False
    op: str = "max"
    channels: int = 1
    layout: str = "HW"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        stride = params["stride"]
        return cls(
            **{
                **params,
                "kernel": tuple(params["kernel"]),
                "stride": None if stride is None else tuple(stride),
                "padding": tuple(params["padding"]),
            }
        )

    @property
    def strides(self) -> tuple[int, int]:
        """The strides in use: the window size when the stride is left at its default."""
        return self.kernel if self.stride is None else self.stride

    def axis(self, index: int) -> tuple[int, int, int, int, int, bool]:
        """``(i, k, s, p, d, ceil_mode)`` along height (0) or width (1)."""
        size = (self.height, self.width)[index]
        return (
            size,
            self.kernel[index],
            self.strides[index],
            self.padding[index],
            self.dilation,
            self.ceil_mode,
        )

    def output(self, size_of: SizeFormula) -> list[int] | None:
        """The output shape in this layout, or ``None`` if an axis comes out below 1."""
        height, width = size_of(*self.axis(0)), size_of(*self.axis(1))
        if height < 1 or width < 1:
            return None
        return self.arrange(height, width)

    def arrange(self, height: int, width: int, channels: int | None = None) -> list[int]:
        if self.layout == "HW":
            return [height, width]
        return [self.channels if channels is None else channels, height, width]


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        size, kernel = int(rng.integers(8, 65)), pick(rng, (2, 2, 3, 4))
        setup = Setup(size, size, (kernel, kernel), None, (0, 0), op=pick(rng, ("max", "avg")))
    elif difficulty == 2:
        size, kernel = int(rng.integers(8, 41)), pick(rng, (2, 3, 3, 4, 5))
        stride = pick(rng, [s for s in (1, 2, 3) if s != kernel])
        padding = int(rng.integers(0, kernel // 2 + 1))
        setup = Setup(
            size,
            size,
            (kernel, kernel),
            (stride, stride),
            (padding, padding),
            op=pick(rng, ("max", "avg")),
            channels=pick(rng, (3, 16, 32, 64, 96)),
            layout="CHW",
        )
    else:
        height, width = (int(v) for v in rng.integers(8, 49, size=2))
        kernel = (pick(rng, (2, 3, 3, 4)), pick(rng, (2, 3, 3, 4)))
        op = pick(rng, ("max", "max", "avg"))
        default_stride = int(rng.integers(3)) == 0
        setup = Setup(
            height,
            width + 3 if width == height else width,
            kernel,
            None if default_stride else (pick(rng, (1, 2, 2, 3)), pick(rng, (1, 2, 2, 3))),
            (int(rng.integers(0, kernel[0] // 2 + 1)), int(rng.integers(0, kernel[1] // 2 + 1))),
            dilation=pick(rng, (1, 2, 2)) if op == "max" else 1,
            ceil_mode=bool(rng.integers(2)),
            op=op,
            channels=pick(rng, (3, 8, 16, 24)),
            layout="CHW",
        )
    return build(setup, seed, difficulty)


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    output = setup.output(_engine_size)
    assert output is not None
    names = ("height", "width") if setup.layout == "HW" else ("channels", "height", "width")
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=AnswerKind.SHAPE,
        expected=output,
        params=asdict(setup),
        solution=_solution(setup, output),
        hint=_hint(setup),
        grading={"names": names},
    )


def _engine_size(i: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    return pool_output_size(i, k, s, p, d, ceil_mode)


def _rounded(span: int, stride: int, up: bool) -> int:
    return -(-span // stride) if up else span // stride


def _span(i: int, k: int, p: int, d: int) -> int:
    """``i + 2p - k_eff``: how far the window can move."""
    return i + 2 * p - (d * (k - 1) + 1)


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken formula run on this exercise's numbers, plus swapped axes and channels."""
    setup = Setup.from_params(dict(exercise.params))
    formulas: dict[str, SizeFormula] = {}
    # The rounding mistakes first: flooring with ceil_mode on also looks like a forgotten + 1.
    if setup.ceil_mode:
        formulas["floor_with_ceil_mode"] = lambda i, k, s, p, d, c: _span(i, k, p, d) // s + 1
        formulas["ceil_rule_ignored"] = lambda i, k, s, p, d, c: (
            _rounded(_span(i, k, p, d), s, True) + 1
        )
    else:
        formulas["ceil_instead_of_floor"] = lambda i, k, s, p, d, c: (
            _rounded(_span(i, k, p, d), s, True) + 1
        )
    formulas["forgot_plus_one"] = lambda i, k, s, p, d, c: pool_output_size(i, k, s, p, d, c) - 1
    formulas["padding_once"] = lambda i, k, s, p, d, c: (
        _rounded(i + p - (d * (k - 1) + 1), s, c) + 1
    )
    if setup.dilation != 1:
        formulas["dilation_ignored"] = lambda i, k, s, p, d, c: pool_output_size(i, k, s, p, 1, c)
    if setup.stride is None:
        formulas["stride_default_wrong"] = lambda i, k, s, p, d, c: pool_output_size(
            i, k, 1, p, d, c
        )
    found = [
        Mistake(tag, _MESSAGES[tag], answer)
        for tag, formula in formulas.items()
        if (answer := setup.output(formula)) is not None
    ]
    right = setup.output(_engine_size)
    assert right is not None
    height, width = right[-2:]
    found.append(
        Mistake(
            "height_width_swapped", _MESSAGES["height_width_swapped"], [*right[:-2], width, height]
        )
    )
    if setup.layout == "CHW":
        # Slid the window along the channels too, with the height's numbers ...
        _, k, s, p, d, _ = setup.axis(0)
        span = _span(setup.channels, k, p, d)
        pooled = span // s + 1 if span >= 0 else 0
        for channels in (pooled, 1):  # ... or merged them into one map, like a single filter.
            if channels >= 1:
                found.append(
                    Mistake(
                        "channels_changed",
                        _MESSAGES["channels_changed"],
                        setup.arrange(height, width, channels),
                    )
                )
    return found


_MESSAGES = {
    "forgot_plus_one": "You left out the **+ 1**: the first window sits at position 0 and every "
    "step of $s$ adds one more, so $o = \\lfloor (i + 2p - k_{\\text{eff}})/s \\rfloor + 1$.",
    "ceil_instead_of_floor": "You rounded **up**, but `ceil_mode` is off: a window that would run "
    "past the padded edge is dropped, so pooling rounds **down**, "
    "$o = \\lfloor (i + 2p - k_{\\text{eff}})/s \\rfloor + 1$.",
    "floor_with_ceil_mode": "With `ceil_mode=True` PyTorch rounds **up**: a last, partial window "
    "that runs past the edge is kept, $o = \\lceil (i + 2p - k_{\\text{eff}})/s \\rceil + 1$ "
    "(then one less if that window would start in the right padding).",
    "ceil_rule_ignored": "Rounding up is right in ceil mode, but PyTorch then drops the last "
    "window if it would **start** at or after $i + p$, inside the right padding or beyond: "
    "every window must start inside the input or the left padding.",
    "padding_once": "The padding $p$ is added on **both** sides of each axis: "
    "$i + 2p$, not $i + p$.",
    "dilation_ignored": "With dilation $d$ the pooling window spans $d(k-1)+1$ inputs, "
    "not $k$: its taps are $d$ apart.",
    "stride_default_wrong": "When the stride is not given, PyTorch's pooling layers use "
    "**stride = kernel size**, so the windows do not overlap; stride 1 is the default of "
    "convolutions, not of pooling.",
    "channels_changed": "Pooling works on **each channel separately**: it shrinks height and "
    "width but keeps the number of channels.",
    "height_width_swapped": "Height and width are swapped: the first spatial number is the "
    "height (rows), the second the width (columns).",
}


def _pair(values: tuple[int, int]) -> str:
    return str(values[0]) if values[0] == values[1] else f"({values[0]}, {values[1]})"


def _torch_call(setup: Setup) -> str:
    name = "nn.MaxPool2d" if setup.op == "max" else "nn.AvgPool2d"
    args = [f"kernel_size={_pair(setup.kernel)}"]
    if setup.stride is not None:
        args.append(f"stride={_pair(setup.stride)}")
    if setup.padding != (0, 0):
        args.append(f"padding={_pair(setup.padding)}")
    if setup.dilation != 1:
        args.append(f"dilation={setup.dilation}")
    if setup.ceil_mode:
        args.append("ceil_mode=True")
    return f"`{name}({', '.join(args)})`"


def _words(setup: Setup) -> str:
    (kh, kw), (ph, pw) = setup.kernel, setup.padding
    kind = "max" if setup.op == "max" else "average"
    parts = [f"${kh} \\times {kw}$ {kind} pooling"]
    if setup.stride is None:
        parts.append("stride left at its default")
    else:
        sh, sw = setup.stride
        parts.append(f"stride ${sh}$" if sh == sw else f"stride ${sh}$ down and ${sw}$ across")
    if setup.padding == (0, 0):
        parts.append("no padding")
    elif ph == pw:
        parts.append(f"padding ${ph}$ on each side")
    else:
        parts.append(
            f"padding ${ph}$ at the top and at the bottom, ${pw}$ at the left and at the right"
        )
    if setup.dilation != 1:
        parts.append(f"dilation ${setup.dilation}$")
    return ", ".join(parts)


def _prompt(setup: Setup) -> str:
    h, w = setup.height, setup.width
    if setup.ceil_mode:
        mode = (
            "`ceil_mode` is **on**: sizes are rounded up, as in PyTorch, where every window must "
            "still start inside the input or the left padding."
        )
    else:
        mode = "`ceil_mode` is **off** (the default): sizes are rounded down."
    if setup.layout == "HW":
        return (
            f"A ${h} \\times {w}$ feature map goes through {_torch_call(setup)}: {_words(setup)}. "
            f"{mode} What is the size of the output? Answer as *height × width*."
        )
    return (
        f"An input of shape ${setup.channels} \\times {h} \\times {w}$ "
        f"(*channels × height × width*) goes through {_torch_call(setup)}: {_words(setup)}. "
        f"{mode} What is the shape of the output? Answer as *channels × height × width*."
    )


def _hint(setup: Setup) -> str:
    rule = (
        "$o = \\lceil (i + 2p - d(k-1) - 1)/s \\rceil + 1$, minus one if the last window would "
        "start at or after $i + p$"
        if setup.ceil_mode
        else "$o = \\lfloor (i + 2p - d(k-1) - 1)/s \\rfloor + 1$"
    )
    default = (
        " When the stride is not given, it equals the window size." if setup.stride is None else ""
    )
    keep = " Pooling keeps the channels." if setup.layout == "CHW" else ""
    return f"Work out each axis with {rule}.{default}{keep}"


def _solution(setup: Setup, output: list[int]) -> tuple[str, ...]:
    if setup.ceil_mode:
        formula = "o = \\left\\lceil \\dfrac{i + 2p - d(k-1) - 1}{s} \\right\\rceil + 1"
    else:
        formula = "o = \\left\\lfloor \\dfrac{i + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1"
    steps = [f"Per axis, ${formula}$."]
    if setup.stride is None:
        steps.append(
            f"The stride is left at its default, the window size: $s = {_pair(setup.kernel)}$."
        )
    left, right = ("\\lceil", "\\rceil") if setup.ceil_mode else ("\\lfloor", "\\rfloor")
    for name, index in (("Height", 0), ("Width", 1)):
        i, k, s, p, d, ceil_mode = setup.axis(index)
        span = d * (k - 1) + 1
        rounded = _rounded(i + 2 * p - span, s, ceil_mode) + 1
        step = (
            f"{name}: $\\left{left} \\dfrac{{{i} + 2\\cdot{p} - {span}}}{{{s}}} \\right{right} + 1"
            f" = {left} {latex.number((i + 2 * p - span) / s)} {right} + 1 = {rounded}$."
        )
        if ceil_mode:
            start = (rounded - 1) * s
            if start >= i + p:
                step += (
                    f" The last window would start at $({rounded} - 1)\\cdot{s} = {start} "
                    f"\\ge i + p = {i + p}$, in the right padding, so PyTorch drops it: "
                    f"${rounded - 1}$."
                )
            else:
                step += (
                    f" The last window starts at $({rounded} - 1)\\cdot{s} = {start} < i + p = "
                    f"{i + p}$, so it is kept."
                )
        steps.append(step)
    if setup.layout == "CHW":
        steps.append(f"Channels: pooling works per channel, so they stay ${setup.channels}$.")
    steps.append(f"Output shape: ${latex.shape(output)}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> list[int]:
    """Slide the window with ``engine.reference``'s pooling loops over one channel of zeros."""
    setup = Setup.from_params(dict(exercise.params))
    x = np.zeros((1, 1, setup.height, setup.width))
    if setup.op == "max":
        out = engine_reference.max_pool2d(
            x, setup.kernel, setup.stride, setup.padding, setup.dilation, setup.ceil_mode
        )
    else:
        out = engine_reference.avg_pool2d(
            x, setup.kernel, setup.stride, setup.padding, setup.ceil_mode
        )
    height, width = np.shape(out)[-2:]
    return setup.arrange(int(height), int(width))


FAMILY = Family(
    id=ID,
    title="Pooling output shape",
    answer_kind=AnswerKind.SHAPE,
    description="Output shape of max or average pooling: window, stride (default = window), "
    "padding, dilation and PyTorch's ceil_mode.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
