"""ReLU then max pooling, backward: the gradient through the end of a conv block.

Forward: A = ReLU(Z) = max(Z, 0) elementwise, then P = max pooling of A. With G = ∂L/∂P::

    ∂L/∂A[r][c] = Σ over the windows (y, x) whose maximum of A is at (r, c) of G[y][x]
    ∂L/∂Z[r][c] = ∂L/∂A[r][c] · [Z[r][c] > 0]

Max pooling sends each window's whole G to its maximum of A (ties: the first maximum in row-major
window order, as PyTorch on the CPU); overlapping windows add up. ReLU's backward multiplies by
the mask [Z > 0] (its derivative at 0 is taken as 0, as PyTorch). Every entry of Z is different,
so the only ties are windows where Z ≤ 0 everywhere: A is all 0 there, the first cell gets G, and
the mask then zeroes it — such a window passes no gradient at all.

Difficulty 1: 4×4 Z, 2×2 windows, stride 2; every window has a positive maximum.
Difficulty 2: 4×4 or 6×6 Z, 2×2 windows, stride 2; some windows are all negative (their maximum
is negative), so they pass no gradient.
Difficulty 3: overlapping windows (2×2 stride 1 on 4×4, 3×3 stride 2 on 5×5, 3×3 stride 1 on
4×4) so a cell can be the maximum of several windows, plus a window where Z ≤ 0 everywhere (the
tie case; its first cell is sometimes exactly 0, where ReLU's derivative counts).

Mistakes detected: ``relu_skipped`` (pooling backpropagated through Z, so a negative maximum gets
G), ``mask_forgotten`` (routed through A, all-zero windows send G to their first cell, but the
ReLU mask is never applied), ``relu_of_gradient`` (ReLU applied to the gradient — negative
gradients dropped — instead of masking by Z), ``averaged`` (average-pool gradient G/k² over the
window, then the mask), ``overlaps_not_accumulated`` (d3: a later window overwrites a shared
maximum), ``relu_derivative_one_at_zero`` (d3: mask [Z ≥ 0], so a 0 picked by the tie rule lets
G through).

Picture: the forward pooling over Z with the max-pooled A, so clicking an output cell shows the
window whose maximum receives its G.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import max_pool2d, max_pool2d_backward, relu, relu_backward
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, pick, rng_for
from quiz.exercises.families.tensors import (
    INDEX_BASE,
    MATRIX_LAYOUT,
    Pooling,
    as_list,
    cell,
    integers,
    matrix,
    number,
    plane,
    scatter,
    shared_maxima,
)
from quiz.grading import AnswerKind

ID = "relu-pool-backward"

MISTAKES = {
    "relu_skipped": "left ReLU out: a negative maximum of Z received the gradient",
    "mask_forgotten": "routed the gradient through A but never multiplied by the mask [Z > 0]",
    "relu_of_gradient": "applied ReLU to the gradient (dropped negative gradients) instead of "
    "masking by Z > 0",
    "averaged": "spread G evenly over the window (the average-pool gradient)",
    "overlaps_not_accumulated": "let a later window overwrite a shared maximum instead of adding",
    "relu_derivative_one_at_zero": "took ReLU's derivative at 0 as 1",
}

# (height, width, kernel, stride), no padding
_CHOICES = {
    1: [(4, 4, 2, 2)],
    2: [(4, 4, 2, 2), (4, 4, 2, 2), (6, 6, 2, 2)],
    3: [(4, 4, 2, 1), (5, 5, 3, 2), (4, 4, 3, 1)],
}
# distinct values of Z are drawn from [low, high] (0 excluded below difficulty 3; 6×6: −24..15)
_RANGES = {1: (-9, 9), 2: (-14, 9), 3: (-16, 9)}
_GRADIENTS = {1: (-3, 3), 2: (-4, 4), 3: (-5, 5)}
TIE_RULE = (
    "a tie inside a window goes to the first maximum in row-major order of the window, as "
    "PyTorch does on the CPU"
)
RELU_AT_ZERO = "ReLU's derivative at $0$ is taken as $0$, as in PyTorch"


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    height, width, kernel, stride = pick(rng, _CHOICES[difficulty])
    pooling = Pooling(height, width, kernel, stride, padding=0)
    z = _draw_z(rng, pooling, difficulty)
    low, high = _GRADIENTS[difficulty]
    g = integers(rng, pooling.out, low, high, nonzero=True)
    k, s = pooling.kernel, pooling.stride
    a = relu(z[None])
    grad_a = max_pool2d_backward(g[None], a, k, s)
    grad = relu_backward(grad_a, z[None])[0]
    pooled = max_pool2d(a, k, s)[0]
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(pooling, z, g),
        answer_kind=AnswerKind.MATRIX,
        expected=as_list(grad),
        params=pooling.to_params(),
        tensors={"Z": as_list(z[None]), "G": as_list(g[None])},
        solution=_solution(pooling, z, g, grad_a[0], grad),
        hint="Go backwards one layer at a time. Max pooling: each window sends its whole "
        "$G[y][x]$ to its maximum of $A = \\mathrm{ReLU}(Z)$ (overlapping windows add up). "
        "ReLU: multiply by $[Z > 0]$, so only cells where $Z$ was positive keep their gradient.",
        picture=Picture(
            input="Z",
            output=plane(pooled),
            window=(k, k),
            stride=(s, s),
            output_title="Max pool of ReLU(Z) (forward)",
        ),
    )


def _draw_z(rng: np.random.Generator, pooling: Pooling, difficulty: int) -> np.ndarray:
    """Distinct integers with the windows each difficulty asks for (drawn until they fit)."""
    low, high = _RANGES[difficulty] if pooling.height < 6 else (-24, 15)
    values = np.arange(low, high + 1, dtype=float)
    if difficulty < 3:
        values = values[values != 0]
    shape = (pooling.height, pooling.width)
    while True:
        z = rng.permutation(values)[: shape[0] * shape[1]].reshape(shape)
        if _fits(pooling, z, difficulty):
            break
    if difficulty == 3 and 0 in z and rng.integers(2):
        # put the 0 on the first cell of an all-non-positive window: the tie rule picks it
        first = _dead_windows(pooling, z)[0][0]
        zero = tuple(int(i) for i in np.argwhere(z == 0)[0])
        z[zero], z[first] = z[first], z[zero]
    return z


def _dead_windows(pooling: Pooling, z: np.ndarray) -> list[list[tuple[int, int]]]:
    """The windows (their cells, row-major) where Z ≤ 0 everywhere."""
    return [cells for _, _, cells in pooling.windows() if all(z[c] <= 0 for c in cells)]


def _fits(pooling: Pooling, z: np.ndarray, difficulty: int) -> bool:
    windows = list(pooling.windows())
    dead = len(_dead_windows(pooling, z))
    if difficulty == 1:
        return dead == 0
    if not 1 <= dead <= len(windows) // 2:
        return False
    if difficulty == 2:
        return True
    maxima = [at for _, _, at in pooling.argmaxes(np.maximum(z, 0)) if z[at] > 0]
    return len(maxima) > len(set(maxima))  # some positive maximum is shared: overlaps add up


def mistakes(exercise: Exercise) -> list[Mistake]:
    pooling = Pooling.from_params(dict(exercise.params))
    z = np.asarray(exercise.tensors["Z"], dtype=float)[0]
    g = np.asarray(exercise.tensors["G"], dtype=float)[0]
    a = np.maximum(z, 0)
    shape = (pooling.height, pooling.width)
    windows = list(pooling.windows())
    maxima = pooling.argmaxes(a)
    grad_a = scatter(shape, [(g[y, x], [at]) for y, x, at in maxima])
    mask = (z > 0).astype(float)
    area = pooling.kernel**2
    found = [
        ("relu_skipped", scatter(shape, [(g[y, x], [at]) for y, x, at in pooling.argmaxes(z)])),
        ("mask_forgotten", grad_a),
        ("relu_of_gradient", np.maximum(grad_a, 0)),
        ("averaged", scatter(shape, [(g[y, x] / area, c) for y, x, c in windows]) * mask),
    ]
    if pooling.overlaps():
        last = scatter(shape, [(g[y, x], [at]) for y, x, at in maxima], accumulate=False)
        found.append(("overlaps_not_accumulated", last * mask))
    found.append(("relu_derivative_one_at_zero", grad_a * (z >= 0)))
    return [Mistake(tag, _MESSAGES[tag], as_list(answer)) for tag, answer in found]


_MESSAGES = {
    "relu_skipped": "You backpropagated the pooling through $Z$ as if there were no ReLU, so a "
    "window of negative values sent its $G$ to its (negative) maximum. The pooling sees "
    "$A = \\mathrm{ReLU}(Z)$, and ReLU's backward multiplies by $[Z > 0]$: a cell where $Z$ was "
    "negative gets **0** — a window of negatives passes no gradient at all.",
    "mask_forgotten": "You did the pooling step right (a window where $A$ is all 0 sends its $G$ "
    "to its first cell) but stopped there: that is $\\partial L/\\partial A$. ReLU's backward "
    "still multiplies by $[Z > 0]$, which zeroes every cell where $Z \\le 0$.",
    "relu_of_gradient": "You applied ReLU to the **gradient** (negative gradients set to 0). "
    "ReLU's backward keeps the gradient's sign and masks by the **input**: "
    "$\\partial L/\\partial Z = \\partial L/\\partial A \\cdot [Z > 0]$ — a negative gradient "
    "passes wherever $Z$ was positive.",
    "averaged": "That is the gradient of **average** pooling. Max pooling passes on only its "
    "largest input, so the whole $G[y][x]$ goes to the maximum of $A$ and the other cells of "
    "the window get 0 (then ReLU's mask $[Z > 0]$ applies).",
    "overlaps_not_accumulated": "When windows overlap, one cell can be the maximum of several "
    "windows; its gradient is the **sum** of their $G$ values (the chain rule adds every path), "
    "not the last one written.",
    "relu_derivative_one_at_zero": "At $Z = 0$ ReLU's derivative is taken as **0** (PyTorch's "
    "convention, stated in the question): the mask is $[Z > 0]$, not $[Z \\ge 0]$, so the 0 "
    "that the tie rule picked passes no gradient.",
}


def _prompt(pooling: Pooling, z: np.ndarray, g: np.ndarray) -> str:
    h, w = pooling.height, pooling.width
    out_h, out_w = pooling.out
    return (
        f"A pre-activation map $Z$ (${h} \\times {w}$, one channel) goes through ReLU, "
        "$A = \\max(Z, 0)$ elementwise, and then through max pooling with "
        f"{pooling.describe()}, giving $P$ (${out_h} \\times {out_w}$). Backpropagation brings "
        "the upstream gradient $G = \\partial L/\\partial P$:\n"
        + latex.display(f"Z = {matrix(z)},\\qquad G = {matrix(g)}")
        + f"\nCompute $\\partial L/\\partial Z$ (a ${h} \\times {w}$ matrix). All entries of $Z$ "
        f"are different; {TIE_RULE}; {RELU_AT_ZERO}. " + MATRIX_LAYOUT
    )


def _solution(
    pooling: Pooling, z: np.ndarray, g: np.ndarray, grad_a: np.ndarray, grad: np.ndarray
) -> tuple[str, ...]:
    a = np.maximum(z, 0)
    steps = [
        f"Forward first: $A = \\mathrm{{ReLU}}(Z) = {matrix(a)}$. Backward, layer by layer: max "
        "pooling sends each window's whole $G[y][x]$ to the window's maximum of $A$ (overlapping "
        f"windows add up; {TIE_RULE}); then ReLU multiplies by $[Z > 0]$ ({RELU_AT_ZERO}). "
        + INDEX_BASE
    ]
    parts = []
    receivers: dict[tuple[int, int], list[float]] = {}
    for y, x, at in pooling.argmaxes(a):
        receivers.setdefault(at, []).append(g[y, x])
        where = f"window {y},{x} ({pooling.span(y, x)})"
        if a[at] > 0:
            parts.append(
                f"{where}: maximum ${number(a[at])}$ at {cell(*at)} receives "
                f"$G = {number(g[y, x])}$"
            )
        else:
            parts.append(
                f"{where}: $Z \\le 0$ everywhere, so $A$ is all $0$ — a tie, the first cell "
                f"({cell(*at)}) receives $G = {number(g[y, x])}$"
            )
    steps.append(
        "Max pooling, window by window (numbered by output row, column): " + "; ".join(parts) + "."
    )
    if accumulated := shared_maxima(receivers):
        steps.append(accumulated)
    steps.append(f"Every other cell gets 0: $\\partial L/\\partial A = {matrix(grad_a)}$.")
    blocked = [(r, c) for r, c in zip(*np.nonzero(grad_a), strict=True) if z[r, c] <= 0]
    if blocked:
        which = "; ".join(f"{cell(int(r), int(c))} ($Z = {number(z[r, c])}$)" for r, c in blocked)
        zeroed = f" It zeroes the gradient at {which}."
    else:
        zeroed = " Every cell that received a gradient had $Z > 0$, so nothing changes."
    mask = (z > 0).astype(float)
    steps.append(
        f"ReLU's backward: multiply elementwise by the mask $[Z > 0] = {matrix(mask)}$.{zeroed} "
        f"$\\partial L/\\partial Z = {matrix(grad)}$."
    )
    return tuple(steps)


def reference(exercise: Exercise) -> Any:
    """∂L/∂Z with plain loops: ReLU, ``engine.reference.max_pool2d_backward``, then the mask."""
    pooling = Pooling.from_params(dict(exercise.params))
    z = exercise.tensors["Z"][0]
    a = [[[max(v, 0) for v in row] for row in z]]
    grad_a = engine_reference.max_pool2d_backward(
        exercise.tensors["G"], a, pooling.kernel, pooling.stride, pooling.padding
    )[0]
    return [
        [float(grad_a[r][c]) if z[r][c] > 0 else 0.0 for c in range(len(z[0]))]
        for r in range(len(z))
    ]


FAMILY = Family(
    id=ID,
    title="ReLU then max pooling, backward",
    answer_kind=AnswerKind.MATRIX,
    description="The gradient through a conv block's ReLU and max pooling: each window's "
    "upstream gradient goes to its maximum of ReLU(Z), then ReLU's mask [Z > 0] zeroes what "
    "reached non-positive cells (all-negative windows, then overlapping windows at higher levels).",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
