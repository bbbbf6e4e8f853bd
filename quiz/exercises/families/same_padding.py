"""Padding that keeps the size ("same" padding) at stride 1.

At stride 1 the output length is ``o = i + (total padding) - d(k-1)``, so keeping ``o = i`` needs
``d(k-1)`` zeros in total along the axis: ``p = d(k-1)/2`` on each side when that is whole.
When ``d(k-1)`` is odd the two sides differ by one; PyTorch's ``padding="same"`` puts the extra
zero after (at the bottom or on the right).

Difficulty 1: an odd kernel, no dilation; the padding per side, ``p = (k-1)/2``.
Difficulty 2: a dilated kernel with an even total; the padding per side, ``p = d(k-1)/2``.
Difficulty 3: an odd total ``d(k-1)`` (an even kernel, odd dilation) with PyTorch's
``padding="same"``: the total number of zeros, or those at the top (left) or at the bottom
(right).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import reference as engine_reference
from engine import same_padding
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.grading import AnswerKind

ID = "same-padding"

MISTAKES = {
    "used_kernel_size": "answered the kernel size k",
    "total_instead_of_per_side": "gave the total d(k-1) instead of the padding on one side",
    "per_side_instead_of_total": "gave the padding on one side instead of the total",
    "dilation_ignored": "used k - 1 instead of the dilated span d(k-1)",
    "off_by_one": "used the span d(k-1)+1 instead of d(k-1) (missed the + 1 in the formula)",
    "odd_zero_wrong_side": "put the odd extra zero before instead of after",
}

ASKS = ("each", "total", "before", "after")
"""What the question asks for: per side (equal sides), the total, or one side."""


@dataclass(frozen=True)
class Setup:
    kernel: int
    dilation: int
    size: int
    ask: str = "each"
    axis: str = "height"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(**params)

    def answer(self, total: int) -> int:
        """What the question asks for, when ``total`` zeros are split PyTorch's way."""
        if self.ask == "total":
            return total
        if self.ask == "after":
            return total - total // 2
        return total // 2

    @property
    def total(self) -> int:
        return self.dilation * (self.kernel - 1)


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    axis = pick(rng, ("height", "height", "width"))
    if difficulty == 1:
        kernel, dilation, ask = pick(rng, (3, 5, 7, 9, 11)), 1, "each"
    elif difficulty == 2:
        if rng.integers(3):
            kernel, dilation = pick(rng, (3, 5, 7)), pick(rng, (2, 3, 4))
        else:
            kernel, dilation = pick(rng, (2, 4)), pick(rng, (2, 4))
        ask = "each"
    else:
        kernel, dilation = pick(rng, (2, 4, 6)), pick(rng, (1, 1, 3))
        ask = pick(rng, ("total", "before", "after"))
    span = dilation * (kernel - 1) + 1
    setup = Setup(kernel, dilation, int(rng.integers(max(span, 8), 65)), ask, axis)
    return build(setup, seed, difficulty)


def build(setup: Setup, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``: ``generate`` draws the setup, a test can pass its own."""
    before, after = same_padding(setup.kernel, setup.dilation)
    expected = {"total": before + after, "after": after}.get(setup.ask, before)
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup),
        answer_kind=AnswerKind.NUMBER,
        expected=expected,
        params=asdict(setup),
        solution=_solution(setup, expected),
        hint="At stride 1, $o = i + p_{\\text{before}} + p_{\\text{after}} - d(k-1)$. "
        "Set $o = i$ and solve for the padding.",
    )


def mistakes(exercise: Exercise) -> list[Mistake]:
    """Each mistaken rule run on this exercise's kernel and dilation."""
    setup = Setup.from_params(dict(exercise.params))
    k, d, total = setup.kernel, setup.dilation, setup.total
    found = []
    if setup.ask in ("before", "after"):  # first: the most specific explanation of its number
        other = total - setup.answer(total)
        found.append(Mistake("odd_zero_wrong_side", _MESSAGES["odd_zero_wrong_side"], other))
    found.append(Mistake("used_kernel_size", _MESSAGES["used_kernel_size"], k))
    if setup.ask == "total":
        for half in (total // 2, total - total // 2):
            found.append(
                Mistake("per_side_instead_of_total", _MESSAGES["per_side_instead_of_total"], half)
            )
    else:
        found.append(
            Mistake("total_instead_of_per_side", _MESSAGES["total_instead_of_per_side"], total)
        )
    if d != 1:
        found.append(
            Mistake("dilation_ignored", _MESSAGES["dilation_ignored"], setup.answer(k - 1))
        )
    # Forgetting the + 1 in o = (i + 2p - d(k-1) - 1) + 1 asks for one zero too many in total;
    # shared equally, a student rounds half of it up.
    too_many = total + 1
    wrong = too_many - too_many // 2 if setup.ask == "each" else setup.answer(too_many)
    found.append(Mistake("off_by_one", _MESSAGES["off_by_one"], wrong))
    return found


_MESSAGES = {
    "used_kernel_size": "The padding is not the kernel size. At stride 1 the output is "
    "$o = i + 2p - d(k-1)$: a kernel spanning $d(k-1)+1$ inputs loses $d(k-1)$ positions, and "
    "the padding has to give exactly those back.",
    "total_instead_of_per_side": "That is the **total** number of zeros along the axis. They are "
    "shared between the two sides, so each side gets half: $p = d(k-1)/2$ "
    "(with an odd total, PyTorch puts the extra zero after).",
    "per_side_instead_of_total": "That is the padding on **one** side; the question asks for the "
    "total along the axis, both sides together: $d(k-1)$.",
    "dilation_ignored": "With dilation $d$ the kernel spans $d(k-1)+1$ inputs, so the padding "
    "must make up $d(k-1)$ positions, not $k-1$.",
    "off_by_one": "One too many: the output is $o = i + 2p - (d(k-1)+1) + 1$ — don't forget the "
    "$+1$. Setting $o = i$ gives $2p = d(k-1)$, not $d(k-1)+1$.",
    "odd_zero_wrong_side": "With an odd total, PyTorch's `padding='same'` puts the extra zero "
    "**after**: at the bottom (or on the right). The top (or left) gets the smaller half.",
}


def _sides(axis: str) -> tuple[str, str]:
    return ("top", "bottom") if axis == "height" else ("left", "right")


def _prompt(setup: Setup) -> str:
    k, d, n = setup.kernel, setup.dilation, setup.size
    lines = "rows" if setup.axis == "height" else "columns"
    first, second = _sides(setup.axis)
    dilated = f", dilation ${d}$" if d != 1 else ""
    layer = (
        f"A convolution with a ${k} \\times {k}$ kernel{dilated} and stride $1$ is applied to a "
        f"${n} \\times {n}$ input."
    )
    if setup.ask == "each":
        return (
            f"{layer} How many {lines} of zeros must be added at the {first}, and the same number "
            f"at the {second}, so that the output {setup.axis} is still ${n}$? "
            "Give the padding $p$ on one side."
        )
    convention = (
        f"It is padded with PyTorch's `padding='same'`, which keeps the output {setup.axis} at "
        f"${n}$; when the zeros cannot be shared equally, the extra one goes at the {second}."
    )
    if setup.ask == "total":
        question = (
            f"How many {lines} of zeros are added along the {setup.axis} in total "
            f"({first} plus {second})?"
        )
    else:
        side = first if setup.ask == "before" else second
        question = f"How many {lines} of zeros are added at the **{side}**?"
    return f"{layer} {convention} {question}"


def _solution(setup: Setup, expected: int) -> tuple[str, ...]:
    k, d, n, total = setup.kernel, setup.dilation, setup.size, setup.total
    first, second = _sides(setup.axis)
    steps = [
        "At stride 1 the output length is "
        "$o = i + p_{\\text{before}} + p_{\\text{after}} - d(k-1)$.",
        f"The kernel spans $d(k-1) + 1 = {d}\\cdot{k - 1} + 1 = {total + 1}$ inputs, so keeping "
        f"$o = i = {n}$ takes $d(k-1) = {total}$ zero{'s' * (total != 1)} in total.",
    ]
    if setup.ask == "each":
        steps.append(f"Shared equally: $p = {total}/2 = {expected}$ on each side.")
    elif setup.ask == "total":
        steps.append(
            f"In total ${total}$: ${total // 2}$ at the {first} and ${total - total // 2}$ at the "
            f"{second}."
        )
    else:
        steps.append(
            f"${total}$ is odd, so the {first} gets ${total // 2}$ and the {second} "
            f"${total - total // 2}$ (the extra zero goes after)."
        )
    steps.append(f"Answer: ${expected}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> int:
    """Pad a column of zeros by more and more rows, run ``engine.reference.conv2d`` until the
    output is as tall as the input, then split the zeros as PyTorch does (extra one after)."""
    setup = Setup.from_params(dict(exercise.params))
    weight = np.zeros((1, 1, setup.kernel, 1))
    total = 0
    while True:
        padded = np.zeros((1, 1, setup.size + total, 1))
        try:
            out = engine_reference.conv2d(padded, weight, dilation=(setup.dilation, 1))
        except ValueError:  # the kernel does not fit yet
            out = np.zeros((1, 1, 0, 1))
        if out.shape[2] >= setup.size:
            break
        total += 1
    return setup.answer(total)


FAMILY = Family(
    id=ID,
    title="Padding that keeps the size",
    answer_kind=AnswerKind.NUMBER,
    description="The zero padding that keeps the output as large as the input at stride 1, "
    "with dilation and PyTorch's padding='same'.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
