"""Max-pool backward: each window sends its whole upstream gradient to its maximum.

O[y][x] = max of window (y, x), so ∂O[y][x]/∂X[r][c] = 1 when (r, c) is the window's argmax and
0 otherwise (the notes' indicator). With G = ∂L/∂O::

    ∂L/∂X[r][c] = Σ over the windows (y, x) whose maximum is at (r, c) of G[y][x]

Overlapping windows add up; padding counts as −∞, so it never wins. Ties cannot happen here
(every entry of X is different) but the prompt states the rule anyway: the first maximum in
row-major window order gets the gradient, as PyTorch on the CPU.

Difficulty 1: 4×4 input, 2×2 windows, stride 2 (no overlap).
Difficulty 2: overlapping windows (2×2 stride 1 or 3×3 stride 1 on 4×4, 3×3 stride 2 on 5×5).
Difficulty 3: padding 1 (2×2 stride 2 or 3×3 stride 2 on 4×4 or 5×5); X has no zeros.

Mistakes detected: ``sent_to_every_position`` (G copied to every cell of the window),
``averaged`` (the average-pool gradient, G/k² to every cell), ``indicator_only`` (a 1 at each
maximum: the local derivative without multiplying by G), ``overlaps_not_accumulated`` (d2: a
later window overwrites instead of adding), ``padding_as_zero`` (d3: padding treated as 0, so a
window of negative values sends its gradient into the padding).

Picture: the forward pass the gradient belongs to — the (padded) input with the window and the
max-pooled output, so clicking an output cell shows the window whose maximum receives its G.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import max_pool2d_backward
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, rng_for
from quiz.exercises.families.tensors import (
    MATRIX_LAYOUT,
    Pooling,
    as_list,
    cell,
    distinct,
    integers,
    matrix,
    number,
    plane,
    scatter,
    shared_maxima,
)
from quiz.grading import AnswerKind

ID = "maxpool-backward"

MISTAKES = {
    "sent_to_every_position": "copied G to every cell of the window",
    "averaged": "spread G evenly over the window (the average-pool gradient)",
    "indicator_only": "put a 1 at each maximum without multiplying by G",
    "overlaps_not_accumulated": "let a later window overwrite a shared maximum instead of adding",
    "padding_as_zero": "treated the padding as 0 instead of −∞",
}

_CHOICES = {
    1: [(4, 4, 2, 2, 0)],
    2: [(4, 4, 2, 1, 0), (4, 4, 3, 1, 0), (5, 5, 3, 2, 0), (4, 5, 2, 1, 0)],
    3: [(4, 4, 2, 2, 1), (5, 5, 3, 2, 1), (4, 4, 3, 2, 1), (5, 4, 3, 2, 1)],
}
TIE_RULE = (
    "ties would go to the first maximum in row-major order of the window, as PyTorch does on "
    "the CPU"
)


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    choices = _CHOICES[difficulty]
    pooling = Pooling(*choices[int(rng.integers(len(choices)))])
    shape = (1, pooling.height, pooling.width)
    x = (
        distinct(rng, shape, -14, 14, nonzero=True)
        if pooling.padding
        else distinct(rng, shape, -12, 12)
    )
    g = integers(rng, (1, *pooling.out), nonzero=True)
    k, s, p = pooling.kernel, pooling.stride, pooling.padding
    grad = max_pool2d_backward(g, x, k, s, p)
    maxima = pooling.argmaxes(x[0])
    out = np.zeros(pooling.out)
    for y, xx, at in maxima:
        out[y, xx] = x[0][at]
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(pooling, x[0], g[0]),
        answer_kind=AnswerKind.MATRIX,
        expected=as_list(grad[0]),
        params=pooling.to_params(),
        tensors={"X": as_list(x), "G": as_list(g)},
        solution=_solution(pooling, x[0], g[0], grad[0], maxima),
        hint="Only the largest value of a window affects its output, so $\\partial O/\\partial X$ "
        "is 1 at the window's maximum and 0 elsewhere: each window sends its whole $G[y][x]$ to "
        "its maximum; overlapping windows add up.",
        picture=Picture(
            input="X",
            output=plane(out),
            window=(k, k),
            stride=(s, s),
            padding=(p, p),
            output_title="Max-pool output (forward)",
        ),
    )


def mistakes(exercise: Exercise) -> list[Mistake]:
    pooling = Pooling.from_params(dict(exercise.params))
    x = np.asarray(exercise.tensors["X"], dtype=float)[0]
    g = np.asarray(exercise.tensors["G"], dtype=float)[0]
    shape = (pooling.height, pooling.width)
    windows = list(pooling.windows())
    maxima = pooling.argmaxes(x)
    area = pooling.kernel**2
    found = [
        ("sent_to_every_position", scatter(shape, [(g[y, xx], c) for y, xx, c in windows])),
        ("averaged", scatter(shape, [(g[y, xx] / area, c) for y, xx, c in windows])),
        ("indicator_only", scatter(shape, [(1.0, [at]) for _, _, at in maxima])),
    ]
    if pooling.overlaps():
        last = scatter(shape, [(g[y, xx], [at]) for y, xx, at in maxima], accumulate=False)
        found.append(("overlaps_not_accumulated", last))
    if pooling.padding:
        found.append(("padding_as_zero", _padding_as_zero(pooling, x, g)))
    return [Mistake(tag, _MESSAGES[tag], as_list(answer)) for tag, answer in found]


def _padding_as_zero(pooling: Pooling, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Windows that hang over the padding and hold only negative values lose their gradient."""
    k = pooling.kernel
    targets = []
    for (y, xx, at), (_, _, cells) in zip(pooling.argmaxes(x), pooling.windows(), strict=True):
        has_padding = len(cells) < k * k
        if not (has_padding and x[at] < 0):
            targets.append((g[y, xx], [at]))
    return scatter((pooling.height, pooling.width), targets)


_MESSAGES = {
    "sent_to_every_position": "You copied $G[y][x]$ to every cell of the window. Only the "
    "maximum affects the output — moving any other cell a little changes nothing — so "
    "$\\partial O/\\partial X$ is 1 at the window's maximum and **0** elsewhere.",
    "averaged": "That is the gradient of **average** pooling. Max pooling passes on only its "
    "largest input, so the whole $G[y][x]$ goes to the maximum and the other cells get 0.",
    "indicator_only": "You wrote the local derivative (1 at each maximum) but did not multiply "
    "by the upstream gradient: the chain rule gives $G[y][x] \\cdot 1$ at the maximum.",
    "overlaps_not_accumulated": "When windows overlap, one cell can be the maximum of several "
    "windows; its gradient is the **sum** of their $G$ values (the chain rule adds every path), "
    "not the last one written.",
    "padding_as_zero": "Max pooling pads with $-\\infty$, not 0: a padded cell never wins. A "
    "window of negative values still sends its gradient to its largest real value.",
}


def _prompt(pooling: Pooling, x: np.ndarray, g: np.ndarray) -> str:
    h, w = pooling.height, pooling.width
    out_h, out_w = pooling.out
    minus_infinity = " (padded cells count as $-\\infty$)" if pooling.padding else ""
    return (
        f"An input $X$ of size ${h} \\times {w}$ (one channel) goes through max pooling with "
        f"{pooling.describe('padding')}{minus_infinity}, giving the output $O$ "
        f"(${out_h} \\times {out_w}$). "
        "Backpropagation brings the upstream gradient $G = \\partial L/\\partial O$:\n"
        + latex.display(f"X = {matrix(x)},\\qquad G = {matrix(g)}")
        + f"\nCompute $\\partial L/\\partial X$ (a ${h} \\times {w}$ matrix). All entries of "
        f"$X$ are different, so no window has a tie; {TIE_RULE}. " + MATRIX_LAYOUT
    )


def _solution(
    pooling: Pooling,
    x: np.ndarray,
    g: np.ndarray,
    grad: np.ndarray,
    maxima: list[tuple[int, int, tuple[int, int]]],
) -> tuple[str, ...]:
    steps = [
        "$O[y][x] = \\max_{(r,c) \\in \\Omega(y,x)} X[r][c]$, so $\\partial O[y][x]/\\partial "
        "X[r][c] = 1$ if $(r, c)$ is the window's argmax and 0 otherwise (the notes' "
        "indicator). By the chain rule each window sends its whole $G[y][x]$ to its maximum "
        f"and nothing to its other cells; overlapping windows add up; {TIE_RULE}."
    ]
    if pooling.padding:
        steps.append(
            "Padding counts as $-\\infty$ (greyed in the picture), so a padded cell is never "
            "the maximum: a window over the edge compares only its real cells."
        )
    parts = []
    receivers: dict[tuple[int, int], list[float]] = {}
    for y, xx, at in maxima:
        receivers.setdefault(at, []).append(g[y, xx])
        parts.append(
            f"window {y},{xx} ({pooling.span(y, xx)}): maximum "
            f"${number(x[at])}$ at {cell(*at)} receives $G = {number(g[y, xx])}$"
        )
    steps.append("Window by window (numbered by output row, column): " + "; ".join(parts) + ".")
    if accumulated := shared_maxima(receivers):
        steps.append(accumulated)
    steps.append(f"Every other cell gets 0: $\\partial L/\\partial X = {matrix(grad)}$.")
    return tuple(steps)


def reference(exercise: Exercise) -> Any:
    """∂L/∂X through ``engine.reference.max_pool2d_backward``'s loops."""
    pooling = Pooling.from_params(dict(exercise.params))
    grad = engine_reference.max_pool2d_backward(
        exercise.tensors["G"],
        exercise.tensors["X"],
        pooling.kernel,
        pooling.stride,
        pooling.padding,
    )
    return grad[0]


FAMILY = Family(
    id=ID,
    title="Max-pool backward",
    answer_kind=AnswerKind.MATRIX,
    description="The gradient of max pooling with respect to its input: each window's upstream "
    "gradient goes to its maximum (overlapping windows and padding at higher levels).",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
