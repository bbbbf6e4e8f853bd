"""Average-pool backward: each window hands G[y][x]/n to every input cell it covers.

O[y][x] = (1/n) Σ_{(r,c) in window (y, x)} X[r][c], so ∂O[y][x]/∂X[r][c] = 1/n for every cell of
the window, and with G = ∂L/∂O::

    ∂L/∂X[r][c] = Σ over the windows (y, x) covering (r, c) of G[y][x] / n(y, x)

The divisor n is k² (``count_include_pad=True``, PyTorch's default: padded cells are counted and
their share is dropped) or the number of real cells in the window (``count_include_pad=False``).
The answer does not depend on X; X is shown anyway (it is what max pooling would route by).

Difficulty 1: 4×4 input, 2×2 windows, stride 2.
Difficulty 2: overlapping windows (2×2 stride 1 on 3×3 or 4×4, 3×3 stride 1 on 4×4, 3×3
stride 2 on 5×5).
Difficulty 3: padding 1, with ``count_include_pad`` true or false (the prompt says which).

Mistakes detected: ``not_divided`` (G copied to every cell of the window), ``sent_to_max_position``
(the max-pool gradient: everything to the window's maximum), ``overlaps_not_accumulated`` (d2,
d3 with overlap: a later window overwrites instead of adding), ``divided_by_wrong_count`` (d3:
the other ``count_include_pad`` convention).

Picture: the forward pass the gradient belongs to — the (padded) input with the window and the
average-pooled output; clicking an output cell shows the cells that share its G.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import avg_pool2d_backward
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, rng_for
from quiz.exercises.families.tensors import (
    MATRIX_LAYOUT,
    Pooling,
    as_list,
    cell,
    distinct,
    exact,
    factor,
    integers,
    matrix,
    number,
    plane,
    scatter,
)
from quiz.grading import AnswerKind

ID = "avgpool-backward"

MISTAKES = {
    "not_divided": "copied G to every cell without dividing by the window size",
    "sent_to_max_position": "sent G to the window's maximum (the max-pool gradient)",
    "overlaps_not_accumulated": "let a later window overwrite a shared cell instead of adding",
    "divided_by_wrong_count": "used the other count_include_pad convention for the divisor",
}

_CHOICES = {
    1: [(4, 4, 2, 2, 0)],
    2: [(3, 3, 2, 1, 0), (4, 4, 2, 1, 0), (4, 4, 3, 1, 0), (5, 5, 3, 2, 0)],
    3: [(4, 4, 2, 2, 1), (5, 5, 3, 2, 1), (4, 4, 3, 2, 1), (3, 3, 3, 1, 1)],
}


@dataclass(frozen=True)
class Setup:
    pooling: Pooling
    count_include_pad: bool = True

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(Pooling.from_params(params), bool(params["count_include_pad"]))

    def to_params(self) -> dict[str, Any]:
        return {**self.pooling.to_params(), "count_include_pad": self.count_include_pad}

    def divisor(self, cells: list[tuple[int, int]], include_pad: bool | None = None) -> int:
        """n for a window with these real cells (k² when padding is counted)."""
        include = self.count_include_pad if include_pad is None else include_pad
        return self.pooling.kernel**2 if include else len(cells)


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    choices = _CHOICES[difficulty]
    pooling = Pooling(*choices[int(rng.integers(len(choices)))])
    setup = Setup(pooling, bool(rng.random() < 0.5) if pooling.padding else True)
    x = distinct(rng, (1, pooling.height, pooling.width), -12, 12)
    g = integers(rng, (1, *pooling.out), nonzero=True)
    k, s, p = pooling.kernel, pooling.stride, pooling.padding
    grad = exact(avg_pool2d_backward(g, x, k, s, p, count_include_pad=setup.count_include_pad))
    windows = list(pooling.windows())
    out = _forward(setup, x[0], windows)
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup, x[0], g[0]),
        answer_kind=AnswerKind.MATRIX,
        expected=as_list(grad[0]),
        params=setup.to_params(),
        tensors={"X": as_list(x), "G": as_list(g)},
        solution=_solution(setup, g[0], grad[0], windows),
        hint="Every cell of a window counts $1/n$ in its average, so each window hands "
        "$G[y][x]/n$ to every cell it covers; overlapping windows add up. Fractions such as "
        "3/4 are fine.",
        picture=Picture(
            input="X",
            output=plane(out),
            window=(k, k),
            stride=(s, s),
            padding=(p, p),
            output_title="Average-pool output (forward)",
        ),
    )


Windows = list[tuple[int, int, list[tuple[int, int]]]]


def _forward(setup: Setup, x: np.ndarray, windows: Windows) -> np.ndarray:
    """The pooled output for the picture: each window's sum over its real cells, divided by n."""
    out = np.zeros(setup.pooling.out)
    for y, xx, cells in windows:
        out[y, xx] = sum(x[at] for at in cells) / setup.divisor(cells)
    return out


def mistakes(exercise: Exercise) -> list[Mistake]:
    setup = Setup.from_params(dict(exercise.params))
    pooling = setup.pooling
    x = np.asarray(exercise.tensors["X"], dtype=float)[0]
    g = np.asarray(exercise.tensors["G"], dtype=float)[0]
    shape = (pooling.height, pooling.width)
    windows = list(pooling.windows())
    shares = [(g[y, xx] / setup.divisor(cells), cells) for y, xx, cells in windows]
    found = [
        ("not_divided", scatter(shape, [(g[y, xx], cells) for y, xx, cells in windows])),
        (
            "sent_to_max_position",
            scatter(shape, [(g[y, xx], [at]) for y, xx, at in pooling.argmaxes(x)]),
        ),
    ]
    if pooling.overlaps():
        found.append(("overlaps_not_accumulated", scatter(shape, shares, accumulate=False)))
    if pooling.padding:
        other = not setup.count_include_pad
        wrong = [(g[y, xx] / setup.divisor(cells, other), cells) for y, xx, cells in windows]
        found.append(("divided_by_wrong_count", scatter(shape, wrong)))
    return [Mistake(tag, _MESSAGES[tag], as_list(answer)) for tag, answer in found]


_MESSAGES = {
    "not_divided": "You copied $G[y][x]$ to every cell without dividing. Each cell counts "
    "$1/n$ in the average, so $\\partial O/\\partial X = 1/n$ and every cell of the window "
    "gets $G[y][x]/n$.",
    "sent_to_max_position": "That is the gradient of **max** pooling. An average depends on "
    "every cell of its window equally, so each cell gets $G[y][x]/n$ — the values of $X$ do "
    "not matter.",
    "overlaps_not_accumulated": "When windows overlap, a cell belongs to several windows and "
    "receives a share from **each** of them: add the shares (the chain rule adds every path) "
    "instead of keeping the last one.",
    "divided_by_wrong_count": "Check the divisor. With `count_include_pad=True` (PyTorch's "
    "default) every window divides by $k^2$, padded cells included (their share is dropped); "
    "with `count_include_pad=False` a window divides by the number of **real** cells it covers.",
}


def _prompt(setup: Setup, x: np.ndarray, g: np.ndarray) -> str:
    pooling = setup.pooling
    h, w = pooling.height, pooling.width
    out_h, out_w = pooling.out
    convention = ""
    if pooling.padding:
        convention = (
            " with `count_include_pad=True` (PyTorch's default: every window divides by "
            f"${pooling.kernel**2}$, padded zeros included)"
            if setup.count_include_pad
            else " with `count_include_pad=False` (each window divides by the number of real "
            "input cells it covers)"
        )
    return (
        f"An input $X$ of size ${h} \\times {w}$ (one channel) goes through average pooling "
        f"with {pooling.describe()}{convention}, giving the output $O$ "
        f"(${out_h} \\times {out_w}$). Backpropagation brings the upstream gradient "
        "$G = \\partial L/\\partial O$:\n"
        + latex.display(f"X = {matrix(x)},\\qquad G = {matrix(g)}")
        + f"\nCompute $\\partial L/\\partial X$ (a ${h} \\times {w}$ matrix; fractions such as "
        "3/4 are fine). " + MATRIX_LAYOUT
    )


def _solution(setup: Setup, g: np.ndarray, grad: np.ndarray, windows: Windows) -> tuple[str, ...]:
    pooling = setup.pooling
    steps = [
        "$O[y][x] = \\frac{1}{n} \\sum_{(r,c) \\in \\Omega(y,x)} X[r][c]$, so "
        "$\\partial O[y][x]/\\partial X[r][c] = 1/n$ for every cell of the window: each window "
        "hands $G[y][x]/n$ to every cell it covers, and overlapping windows add up. The values "
        "of $X$ do not matter."
    ]
    if pooling.padding:
        steps.append(
            f"With `count_include_pad=True`, $n = {pooling.kernel}^2 = {pooling.kernel**2}$ "
            "for every window, and the share of a padded cell is simply dropped."
            if setup.count_include_pad
            else "With `count_include_pad=False`, $n$ is the number of real cells in the "
            "window: smaller for windows that hang over the padding."
        )
    parts = []
    received: dict[tuple[int, int], list[float]] = {}
    for y, xx, cells in windows:
        n = setup.divisor(cells)
        share = g[y, xx] / n
        for at in cells:
            received.setdefault(at, []).append(share)
        parts.append(
            f"window {y},{xx} ({pooling.span(y, xx)}): ${number(g[y, xx])}/{n} = {number(share)}$"
        )
    steps.append(
        "Share per cell, window by window (numbered by output row, column): "
        + "; ".join(parts)
        + "."
    )
    a, b = max(received, key=lambda at: (len(received[at]), at))
    values = received[a, b]
    if len(values) > 1:
        steps.append(
            f"For example, {cell(a, b)} is in {len(values)} windows: "
            f"${' + '.join(factor(v) for v in values)} = {number(grad[a, b])}$."
        )
    steps.append(f"Adding up every cell's shares: $\\partial L/\\partial X = {matrix(grad)}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> Any:
    """∂L/∂X through ``engine.reference.avg_pool2d_backward``'s loops."""
    setup = Setup.from_params(dict(exercise.params))
    pooling = setup.pooling
    grad = engine_reference.avg_pool2d_backward(
        exercise.tensors["G"],
        exercise.tensors["X"],
        pooling.kernel,
        pooling.stride,
        pooling.padding,
        count_include_pad=setup.count_include_pad,
    )
    return grad[0]


FAMILY = Family(
    id=ID,
    title="Average-pool backward",
    answer_kind=AnswerKind.MATRIX,
    description="The gradient of average pooling with respect to its input: each window "
    "spreads its upstream gradient evenly (overlaps and count_include_pad at higher levels).",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
