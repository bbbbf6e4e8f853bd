"""Output size of a transposed convolution, per axis:

    o = (i - 1)·s - 2p + d(k - 1) + output_padding + 1

Each input value stamps the (dilated) kernel into the output, ``s`` positions after the previous
one; ``p`` is then cut off each side and ``output_padding`` adds to one side only. This is the
size that a convolution with the same settings would map back onto ``i``.

Difficulty 1: square input and kernel, stride 1, no padding: ``o = i + k - 1``.
Difficulty 2: square, stride 2 with padding.
Difficulty 3: non-square input, kernel and stride, dilation and ``output_padding``.
The answer is *height × width* of one output channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import conv_transpose_output_size
from engine import reference as engine_reference
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.grading import AnswerKind

ID = "conv-transpose-output-size"

MISTAKES = {
    "used_conv_formula": "applied the ordinary convolution formula (which shrinks the input)",
    "forgot_minus_one": "used i·s instead of (i - 1)·s",
    "padding_once": "subtracted the padding once instead of on both sides",
    "padding_added": "added the padding instead of removing it",
    "output_padding_ignored": "left out output_padding",
    "dilation_ignored": "used the kernel size instead of the dilated span d(k-1)+1",
    "height_width_swapped": "swapped height and width",
}

SizeFormula = Callable[[int, int, int, int, int, int], int]
"""``(i, k, s, p, output_padding, d) -> o`` along one axis."""


@dataclass(frozen=True)
class Setup:
    height: int
    width: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int] = (0, 0)
    dilation: int = 1

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        pairs = ("kernel", "stride", "padding", "output_padding")
        return cls(**{**params, **{name: tuple(params[name]) for name in pairs}})

    def axis(self, index: int) -> tuple[int, int, int, int, int, int]:
        """``(i, k, s, p, output_padding, d)`` along height (0) or width (1)."""
        return (
            (self.height, self.width)[index],
            self.kernel[index],
            self.stride[index],
            self.padding[index],
            self.output_padding[index],
            self.dilation,
        )

    def output(self, size_of: SizeFormula) -> list[int] | None:
        height, width = size_of(*self.axis(0)), size_of(*self.axis(1))
        return [height, width] if height >= 1 and width >= 1 else None


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    if difficulty == 1:
        size, kernel = int(rng.integers(2, 33)), pick(rng, (2, 3, 4, 5))
        setup = Setup(size, size, (kernel, kernel), (1, 1), (0, 0))
    elif difficulty == 2:
        size, kernel = int(rng.integers(2, 33)), pick(rng, (2, 3, 4, 5))
        padding = int(rng.integers(1, (kernel - 1) // 2 + 2))
        setup = Setup(size, size, (kernel, kernel), (2, 2), (padding, padding))
    else:
        height, width = (int(v) for v in rng.integers(2, 25, size=2))
        kernel = (pick(rng, (2, 3, 4, 5)), pick(rng, (2, 3, 4, 5)))
        stride = (pick(rng, (1, 2, 2, 3)), pick(rng, (2, 2, 3)))
        dilation = pick(rng, (1, 1, 2))
        pads = tuple(int(rng.integers(0, dilation * (k - 1) // 2 + 1)) for k in kernel)
        # PyTorch's rule: output_padding < max(stride, dilation) on each axis (the card and the
        # feedback say so; at stride 1 only a dilation of 2 allows 1). Drawn as it always was:
        # assignment variants are regenerated from their seeds.
        output_padding = tuple(int(rng.integers(0, max(s, dilation))) for s in stride)
        if output_padding == (0, 0):  # show output_padding at work on one axis at least
            output_padding = (0, 1)
        setup = Setup(
            height,
            width + 3 if width == height else width,
            kernel,
            stride,
            (pads[0], pads[1]),
            (output_padding[0], output_padding[1]),
            dilation,
        )
    return build(setup, seed, difficulty)


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    output = setup.output(conv_transpose_output_size)
    assert output is not None
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=AnswerKind.SHAPE,
        expected=output,
        params=asdict(setup),
        solution=_solution(setup, output),
        hint="Per axis, $o = (i - 1)\\,s - 2p + d(k - 1) + \\text{output\\_padding} + 1$: "
        "the output a convolution with the same settings would shrink back to $i$.",
        grading={"names": ("height", "width")},
    )


_WRONG_FORMULAS: dict[str, SizeFormula] = {
    "used_conv_formula": lambda i, k, s, p, op, d: (i + 2 * p - d * (k - 1) - 1) // s + 1,
    "forgot_minus_one": lambda i, k, s, p, op, d: i * s - 2 * p + d * (k - 1) + op + 1,
    "padding_once": lambda i, k, s, p, op, d: (i - 1) * s - p + d * (k - 1) + op + 1,
    "padding_added": lambda i, k, s, p, op, d: (i - 1) * s + 2 * p + d * (k - 1) + op + 1,
    "output_padding_ignored": lambda i, k, s, p, op, d: (i - 1) * s - 2 * p + d * (k - 1) + 1,
    "dilation_ignored": lambda i, k, s, p, op, d: (i - 1) * s - 2 * p + (k - 1) + op + 1,
}


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken formula run on this exercise's numbers, and the swapped answer."""
    setup = Setup.from_params(dict(exercise.params))
    found = [
        Mistake(tag, _MESSAGES[tag], answer)
        for tag, formula in _WRONG_FORMULAS.items()
        if (answer := setup.output(formula)) is not None
    ]
    right = setup.output(conv_transpose_output_size)
    assert right is not None
    found.append(Mistake("height_width_swapped", _MESSAGES["height_width_swapped"], right[::-1]))
    return found


_MESSAGES = {
    "used_conv_formula": "That is the ordinary convolution's formula, which **shrinks** the "
    "input. A transposed convolution goes the other way: it **grows** the input, "
    "$o = (i - 1)\\,s - 2p + d(k-1) + \\text{output\\_padding} + 1$.",
    "forgot_minus_one": "Use $(i - 1)\\,s$, not $i\\,s$: the first input value stamps the kernel "
    "at position 0 and each of the other $i - 1$ values moves it $s$ further; the last stamp "
    "then adds its span $d(k-1) + 1$.",
    "padding_once": "`padding` removes $p$ rows or columns from **both** sides of the output: "
    "subtract $2p$.",
    "padding_added": "In a transposed convolution `padding` is **removed** from the output "
    "(it undoes the padding of the matching convolution): subtract $2p$.",
    "output_padding_ignored": "`output_padding` adds that many rows or columns to one side of the "
    "output: add it once. It picks one of the sizes a strided convolution maps back onto $i$, "
    "so PyTorch allows it below the stride (or below the dilation, when that is larger: "
    "$a < \\max(s, d)$).",
    "dilation_ignored": "With dilation $d$ the kernel's stamp spans $d(k-1)+1$ positions, not $k$.",
    "height_width_swapped": "Height and width are swapped: the first number is the "
    "height (rows), the second the width (columns).",
}


def _pair(values: tuple[int, int]) -> str:
    return str(values[0]) if values[0] == values[1] else f"({values[0]}, {values[1]})"


def _prompt(setup: Setup) -> str:
    (kh, kw), (sh, sw), (ph, pw) = setup.kernel, setup.stride, setup.padding
    args = [f"kernel_size={_pair(setup.kernel)}", f"stride={_pair(setup.stride)}"]
    words = [f"a ${kh} \\times {kw}$ kernel"]
    words.append(f"stride ${sh}$" if sh == sw else f"stride ${sh}$ down and ${sw}$ across")
    if setup.padding != (0, 0):
        args.append(f"padding={_pair(setup.padding)}")
    if setup.padding == (0, 0):
        words.append("no padding")
    elif ph == pw:
        words.append(f"padding ${ph}$ on each side")
    else:
        words.append(f"padding ${ph}$ (height) and ${pw}$ (width) on each side")
    if setup.output_padding != (0, 0):
        oph, opw = setup.output_padding
        args.append(f"output_padding={_pair(setup.output_padding)}")
        words.append(
            f"output padding ${oph}$"
            if oph == opw
            else f"output padding ${oph}$ (height) and ${opw}$ (width)"
        )
    if setup.dilation != 1:
        args.append(f"dilation={setup.dilation}")
        words.append(f"dilation ${setup.dilation}$")
    return (
        f"A transposed convolution `nn.ConvTranspose2d(..., {', '.join(args)})` — "
        f"{', '.join(words)} — is applied to a feature map of size "
        f"${setup.height} \\times {setup.width}$. What is the size of each output channel? "
        "Answer as *height × width*."
    )


def _solution(setup: Setup, output: list[int]) -> tuple[str, ...]:
    steps = [
        "Per axis, $o = (i - 1)\\,s - 2p + d(k - 1) + \\text{output\\_padding} + 1$ "
        "(PyTorch's `ConvTranspose2d` rule)."
    ]
    for name, index in (("Height", 0), ("Width", 1)):
        i, k, s, p, op, d = setup.axis(index)
        steps.append(
            f"{name}: $({i} - 1)\\cdot{s} - 2\\cdot{p} + {d}\\cdot({k} - 1) + {op} + 1 = "
            f"{conv_transpose_output_size(i, k, s, p, op, d)}$."
        )
    steps.append(f"Output size: ${output[0]} \\times {output[1]}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> list[int]:
    """Stamp a kernel of zeros with ``engine.reference.conv_transpose2d``'s loops over one
    channel of zeros and read the output's shape."""
    setup = Setup.from_params(dict(exercise.params))
    out = engine_reference.conv_transpose2d(
        np.zeros((1, 1, setup.height, setup.width)),
        np.zeros((1, 1, *setup.kernel)),
        stride=setup.stride,
        padding=setup.padding,
        output_padding=setup.output_padding,
        dilation=setup.dilation,
    )
    height, width = np.shape(out)[-2:]
    return [int(height), int(width)]


FAMILY = Family(
    id=ID,
    title="Transposed convolution output size",
    answer_kind=AnswerKind.SHAPE,
    description="Output size of a transposed convolution: stride, padding, output_padding and "
    "dilation.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
