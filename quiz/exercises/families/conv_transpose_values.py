"""The values of a transposed convolution: the scatter view, and where checkerboards come from.

One input channel, one output channel, a k×k kernel K, stride s, padding p, no bias, as PyTorch's
``F.conv_transpose2d(X, K, stride=s, padding=p)``. With 0-based indices, every input value
stamps a scaled copy of the kernel — **not** flipped — into the output (the scatter view)::

    O_full[s·i + a][s·j + b] += X[i][j] · K[a][b]       for every i, j, a, b
    O = O_full cropped by p rows/columns on each side    (size (H - 1)·s - 2p + k per axis)

so X[i][j]·K lands on the block whose top-left corner is (s·i - p, s·j - p) of O, and where
blocks overlap their values add up. Read per output cell (the gather view) it is an ordinary
cross-correlation: insert s - 1 zeros between X's entries (X_up), pad X_up with k - 1 - p zeros
on each side and slide K rotated by 180° over it.

The number of stamps covering each output cell (the stamp of an all-ones input and kernel) is
even away from the border when s divides k, and alternates 1, 2, 1, 2, … when it does not
(k = 3, s = 2): the checkerboard artefact of transposed-convolution upsampling (Odena et al.,
2016). The worked solution shows these counts.

Difficulty 1: 2×2 input, 2×2 kernel, stride 2, no padding: the stamps tile the 4×4 output
without overlapping (each block a scaled copy of K).
Difficulty 2: overlapping stamps, no padding: a 2×2 or 3×3 input with a 3×3 kernel and stride 2
(uneven overlap), or a 2×2 kernel and stride 1.
Difficulty 3: a 3×3 kernel, stride 2 and padding 1 (so cropping matters too) on a 2×2, 2×3, 3×2
or 3×3 input: the output's coverage is the 1, 2, 4 checkerboard.
X has entries in −3..3 and K in −2..2, none of them 0 (every stamp shows); K is never symmetric
under a 180° rotation (so flipping it always shows).

Mistakes detected (each by running the mistaken computation on the whole output):
``kernel_flipped`` (all: K rotated in the scatter view — the same numbers as the gather view
without the rotation), ``overlaps_not_summed`` (d2, d3: a later stamp overwrites instead of
adding), ``stride_ignored`` (stride 2: stamps 1 cell apart — the gather view without the
inserted zeros), ``padding_not_cropped`` (d3: the full uncropped result, larger),
``padding_cropped_once`` (d3: cropped at the top and left only, or at the bottom and right only),
``used_convolution`` (an ordinary strided convolution of X with K, which shrinks it).

Picture: the gather view — X_up padded by k - 1 - p, K rotated by 180° and the output O, so
clicking an output cell outlines the window it reads. ``tensors`` holds X (1, H, W), K (1, 1, k,
k) as ``ConvTranspose2d``'s weight (C_in, C_out, k, k), and the picture's X_up and K_rot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import conv_transpose2d, conv_transpose_output_size
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, Picture, pick, rng_for
from quiz.exercises.families.tensors import (
    INDEX_BASE,
    MATRIX_LAYOUT,
    as_list,
    cell,
    correlate,
    flip,
    integers,
    matrix,
    number,
    pad,
    plane,
    products,
    spread,
)
from quiz.grading import AnswerKind

ID = "conv-transpose-values"

MISTAKES = {
    "kernel_flipped": "rotated the kernel by 180° in the scatter view (or forgot the rotation "
    "in the gather view)",
    "overlaps_not_summed": "let a later stamp overwrite an overlapping one instead of adding",
    "stride_ignored": "stamped the kernel 1 cell apart instead of s cells apart",
    "padding_not_cropped": "left the padding in: the full, uncropped result",
    "padding_cropped_once": "cropped the padding on one side only",
    "used_convolution": "computed an ordinary convolution of X with K (which shrinks it)",
}

# (height, width, kernel, stride, padding)
_CHOICES = {
    1: [(2, 2, 2, 2, 0)],
    2: [(2, 2, 3, 2, 0), (3, 3, 3, 2, 0), (2, 2, 2, 1, 0), (3, 3, 2, 1, 0)],
    3: [(2, 2, 3, 2, 1), (3, 3, 3, 2, 1), (2, 3, 3, 2, 1), (3, 2, 3, 2, 1)],
}
NOT_FLIPPED = (
    "As in PyTorch, $K$ is used as it is, not rotated: `conv_transpose2d` is the transpose of "
    "`conv2d`, which computes a cross-correlation."
)


@dataclass(frozen=True)
class Setup:
    """One transposed convolution: an H×W input, a k×k kernel, stride s, padding p per side."""

    height: int
    width: int
    kernel: int
    stride: int
    padding: int = 0

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        names = ("height", "width", "kernel", "stride", "padding")
        return cls(**{name: int(params[name]) for name in names})

    @property
    def full(self) -> tuple[int, int]:
        """The uncropped stamp grid: (H - 1)·s + k per axis."""
        s, k = self.stride, self.kernel
        return (self.height - 1) * s + k, (self.width - 1) * s + k

    @property
    def out(self) -> tuple[int, int]:
        """(H_out, W_out) through the engine's size formula."""
        k, s, p = self.kernel, self.stride, self.padding
        return (
            conv_transpose_output_size(self.height, k, s, p),
            conv_transpose_output_size(self.width, k, s, p),
        )

    def overlaps(self) -> bool:
        return self.stride < self.kernel


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    setup = Setup(*pick(rng, _CHOICES[difficulty]))
    x = integers(rng, (setup.height, setup.width), nonzero=True)
    while True:  # a kernel that a 180° rotation changes, so the flip always shows
        k = integers(rng, (setup.kernel, setup.kernel), -2, 2, nonzero=True)
        if not np.array_equal(k, flip(k)):
            break
    return build(setup, x, k, seed, difficulty)


def build(setup: Setup, x: Any, k: Any, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup``, input ``x`` (H×W) and kernel ``k`` (k×k): ``generate`` draws
    them, a test can pass its own."""
    x, k = np.asarray(x, dtype=float), np.asarray(k, dtype=float)
    s, p = setup.stride, setup.padding
    out = conv_transpose2d(x[None], k[None, None], stride=s, padding=p)[0]
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup, x, k),
        answer_kind=AnswerKind.MATRIX,
        expected=as_list(out),
        params=asdict(setup),
        tensors={
            "X": as_list(x[None]),
            "K": as_list(k[None, None]),
            "X_up": as_list(spread(x, s)[None]),
            "K_rot": as_list(flip(k)[None, None]),
        },
        solution=_solution(setup, x, k, out),
        hint="Scatter: each input value $X[i][j]$ adds $X[i][j] \\cdot K$ (not rotated) to the "
        "block whose top-left corner is at row $s\\,i - p$, column $s\\,j - p$ of the output; "
        "overlapping blocks add up, and whatever falls outside the output — the $p$ rows and "
        "columns cut from each side — is dropped. The output has $(H - 1)\\,s - 2p + k$ rows.",
        picture=Picture(
            input="X_up",
            output=plane(out),
            kernel="K_rot",
            padding=(setup.kernel - 1 - p,) * 2,
            output_title="Output O (gather view: K rotated over X_up)",
        ),
    )


def _stamps(x: np.ndarray, k: np.ndarray, stride: int, *, accumulate: bool = True) -> np.ndarray:
    """The full (uncropped) grid of scaled kernel copies by numpy slices, input cells in row-major
    order; with ``accumulate=False`` a later stamp overwrites (the "last write wins" mistake)."""
    (h, w), size = x.shape, k.shape[0]
    full = np.zeros(((h - 1) * stride + size, (w - 1) * stride + size))
    for i in range(h):
        for j in range(w):
            block = full[stride * i : stride * i + size, stride * j : stride * j + size]
            block[...] = block + x[i, j] * k if accumulate else x[i, j] * k
    return full


def _crop(full: np.ndarray, top: int, bottom: int | None = None) -> np.ndarray:
    """Cut ``top`` rows and columns at the top and left, ``bottom`` at the bottom and right."""
    bottom = top if bottom is None else bottom
    rows, cols = full.shape
    return full[top : rows - bottom, top : cols - bottom]


def _coverage(setup: Setup) -> np.ndarray:
    """How many stamps cover each output cell: the stamps of an all-ones input and kernel."""
    ones = np.ones((setup.height, setup.width))
    return _crop(_stamps(ones, np.ones((setup.kernel,) * 2), setup.stride), setup.padding)


def mistakes(exercise: Exercise) -> list[Mistake]:
    setup = Setup.from_params(dict(exercise.params))
    x = np.asarray(exercise.tensors["X"], dtype=float)[0]
    k = np.asarray(exercise.tensors["K"], dtype=float)[0, 0]
    s, p = setup.stride, setup.padding
    found = [("kernel_flipped", _crop(_stamps(x, flip(k), s), p))]
    if setup.overlaps():
        found.append(("overlaps_not_summed", _crop(_stamps(x, k, s, accumulate=False), p)))
    if s > 1:
        found.append(("stride_ignored", _crop(_stamps(x, k, 1), p)))
    if p:
        full = _stamps(x, k, s)
        found += [
            ("padding_not_cropped", full),
            ("padding_cropped_once", _crop(full, p, 0)),
            ("padding_cropped_once", _crop(full, 0, p)),
        ]
    if min(setup.height, setup.width) + 2 * p >= setup.kernel:
        found.append(("used_convolution", correlate(pad(x, p), k, s)))
    return [Mistake(tag, _MESSAGES[tag], as_list(answer)) for tag, answer in found]


_MESSAGES = {
    "kernel_flipped": "You rotated the kernel by 180°. In the scatter view a transposed "
    "convolution stamps $K$ **as it is**: $X[i][j]$ adds $X[i][j] \\cdot K[a][b]$ at row "
    "$s\\,i - p + a$, column $s\\,j - p + b$ (PyTorch's `conv_transpose2d` is the transpose of "
    "`conv2d`, a cross-correlation). The rotation belongs to the *gather* view only: there "
    "$K$ rotated by 180° slides over the zero-inserted input — leaving it out there gives this "
    "answer too.",
    "overlaps_not_summed": "Where stamps overlap you kept only the last one written. Every "
    "input value's stamp counts: the output is the **sum** of all the scaled copies of $K$, so "
    "a cell that two (or four) stamps cover adds up their values.",
    "stride_ignored": "You placed the stamps 1 cell apart. With stride $s$ neighbouring input "
    "values stamp their copies of $K$ **$s$ cells apart** (top-left corner at row $s\\,i - p$, "
    "column $s\\,j - p$): that is how the layer upsamples, to $(H - 1)\\,s - 2p + k$ rows. In "
    "the gather view: insert $s - 1$ zeros between the input's entries before convolving.",
    "padding_not_cropped": "You left the padding in: that is the full $(H - 1)\\,s + k$-row "
    "result of the stamps. In a transposed convolution `padding` $p$ **removes** $p$ rows and "
    "columns from each side of it (it undoes the padding of the matching convolution), so the "
    "output has $(H - 1)\\,s - 2p + k$ rows.",
    "padding_cropped_once": "You cropped the padding on one side only. `padding` $p$ removes "
    "$p$ rows at the top **and** at the bottom, and $p$ columns at the left **and** at the "
    "right of the full result: $2p$ per axis.",
    "used_convolution": "You computed an ordinary convolution, sliding $K$ over $X$ — that "
    "shrinks the input. A transposed convolution goes the other way: every input value "
    "**spreads** a scaled copy of $K$ into a larger output of $(H - 1)\\,s - 2p + k$ rows.",
}


def _prompt(setup: Setup, x: np.ndarray, k: np.ndarray) -> str:
    size, s, p = setup.kernel, setup.stride, setup.padding
    padding = f"padding ${p}$ on each side" if p else "no padding"
    return (
        f"A transposed convolution `F.conv_transpose2d(X, K, stride={s}, padding={p})` — one "
        f"input and one output channel, a ${size} \\times {size}$ kernel $K$, stride ${s}$, "
        f"{padding} and no bias — is applied to the "
        f"${setup.height} \\times {setup.width}$ input $X$:\n"
        + latex.display(f"X = {matrix(x)},\\qquad K = {matrix(k)}")
        + f"\nCompute the whole output $O$. {NOT_FLIPPED} "
        + MATRIX_LAYOUT
        + " (The heatmaps also draw $X_{\\text{up}}$ and $K_{\\text{rot}}$, which the worked "
        "solution uses.)"
    )


def _solution(setup: Setup, x: np.ndarray, k: np.ndarray, out: np.ndarray) -> tuple[str, ...]:
    size, s, p, h, w = setup.kernel, setup.stride, setup.padding, setup.height, setup.width
    (full_h, full_w), (out_h, out_w) = setup.full, setup.out
    steps = [
        "Scatter view: each input value $X[i][j]$ stamps the block $X[i][j] \\cdot K$ (the "
        "kernel **not** rotated) with its top-left corner at row $s\\,i$, column $s\\,j$ of a "
        f"full ${full_h} \\times {full_w}$ grid; where stamps overlap they add up"
        + (
            f"; then `padding` cuts ${p}$ row and column from each side of the full grid."
            if p
            else "."
        )
        + f" {INDEX_BASE}",
        f"Size: $({h} - 1) \\cdot {s} - 2 \\cdot {p} + {size} = {out_h}$ rows and "
        f"$({w} - 1) \\cdot {s} - 2 \\cdot {p} + {size} = {out_w}$ columns.",
    ]
    stamps = []
    for i in range(h):
        for j in range(w):
            rows = f"rows {s * i}–{s * i + size - 1}"
            cols = f"columns {s * j}–{s * j + size - 1}"
            stamps.append(
                f"$X[{i}][{j}] = {number(x[i, j])}$: ${matrix(x[i, j] * k)}$ on {rows}, {cols}"
            )
    steps.append("The stamps: " + "; ".join(stamps) + ".")
    full = _stamps(x, k, s)
    result = f"the full grid ${matrix(full)}$" if p else f"$O = {matrix(full)}$"
    if setup.overlaps():
        steps.append(f"Adding them up (overlaps add) gives {result}.")
    else:
        steps.append(
            f"Here $k = s = {s}$: the stamps tile the grid side by side without overlapping "
            f"(every cell is covered once), so the output is made of scaled copies of $K$: "
            f"{result}."
        )
    if p:
        steps.append(
            f"Cut ${p}$ row from the top and the bottom and ${p}$ column from the left and the "
            f"right: $O = {matrix(out)}$."
        )
    steps.append(_gather_step(setup, x, k, out))
    if setup.overlaps():
        steps.append(_coverage_step(setup))
    return tuple(steps)


def _example_cell(setup: Setup) -> tuple[int, int]:
    """The output cell the most stamps cover, the nearest to the centre first."""
    counts = _coverage(setup)
    rows, cols = counts.shape
    return min(
        ((r, c) for r in range(rows) for c in range(cols)),
        key=lambda rc: (-counts[rc], abs(2 * rc[0] - rows + 1) + abs(2 * rc[1] - cols + 1), rc),
    )


def _gather_step(setup: Setup, x: np.ndarray, k: np.ndarray, out: np.ndarray) -> str:
    size, s, p = setup.kernel, setup.stride, setup.padding
    y, xx = _example_cell(setup)
    pairs = []
    for i in range(setup.height):
        for j in range(setup.width):
            a, b = y + p - s * i, xx + p - s * j
            if 0 <= a < size and 0 <= b < size:
                pairs.append((x[i, j], k[a, b]))
    border = size - 1 - p
    return (
        "Gather view, the same numbers as an ordinary convolution: take $X_{\\text{up}} = "
        f"{matrix(spread(x, s))}$ ($X$ with $s - 1 = {s - 1}$ zero between neighbouring "
        "entries), pad it with "
        f"$k - 1 - p = {border}$ zero{'s' if border != 1 else ''} on each side and "
        f"cross-correlate with $K$ rotated by 180°, $K_{{\\text{{rot}}}} = {matrix(flip(k))}$ "
        "(the picture shows the window of every output cell). For example "
        f"{cell(y, xx)}: its window holds, besides zeros, the input values whose stamps cover "
        f"it, so $O[{y}][{xx}] = {products(pairs)} = {number(out[y, xx])}$ — in the scatter "
        "view, the same products arrive from those stamps."
        if s > 1
        else "Gather view, the same numbers as an ordinary convolution: pad $X$ with "
        f"$k - 1 - p = {border}$ zero{'s' if border != 1 else ''} on each side and "
        f"cross-correlate with $K$ rotated by 180°, $K_{{\\text{{rot}}}} = {matrix(flip(k))}$ "
        "(stride $1$: no zeros to insert, $X_{\\text{up}} = X$; the picture shows the window of "
        f"every output cell). For example {cell(y, xx)}: "
        f"$O[{y}][{xx}] = {products(pairs)} = {number(out[y, xx])}$ — in the scatter view, the "
        "same products arrive from the stamps that cover it."
    )


def _coverage_step(setup: Setup) -> str:
    size, s = setup.kernel, setup.stride
    counts = _coverage(setup)
    intro = (
        "Why transposed convolutions make checkerboards: count the stamps that cover each "
        f"output cell, $C = {matrix(counts)}$. "
    )
    if size % s:
        return intro + (
            f"Since $k = {size}$ is not a multiple of $s = {s}$, neighbouring stamps overlap on "
            "every other row and column only: down the rows the counts run "
            f"{_axis_counts(setup.height, size, s, setup.padding)} and across the columns "
            f"{_axis_counts(setup.width, size, s, setup.padding)} (a cell's count is the "
            "product), alternating between 1 and 2 away from the border. Even for a "
            "constant input and kernel the output would carry this grid pattern — the "
            "**checkerboard artefact** of transposed-convolution upsampling (Odena et al., "
            "2016). A kernel size divisible by the stride (e.g. $k = 4$, $s = 2$) covers every "
            "cell away from the border equally; resizing (nearest or bilinear) and then "
            "convolving avoids the uneven overlap altogether."
        )
    return intro + (
        f"With stride ${s}$ every cell away from the border is covered by "
        f"$(k/s)^2 = {(size // s) ** 2}$ stamps: $k$ is a multiple of $s$, the overlap is even "
        "and only the border gets fewer — no checkerboard (that needs $k$ not divisible by $s$, "
        "e.g. $k = 3$ with $s = 2$)."
    )


def _axis_counts(length: int, size: int, stride: int, padding: int) -> str:
    """``1, 2, 1, 2, 1``: how many stamps cover each position along one axis (cropped)."""
    counts = [0] * ((length - 1) * stride + size)
    for i in range(length):
        for a in range(size):
            counts[stride * i + a] += 1
    return ", ".join(str(c) for c in counts[padding : len(counts) - padding])


def reference(exercise: Exercise) -> Any:
    """The output through ``engine.reference.conv_transpose2d``'s stamping loops."""
    setup = Setup.from_params(dict(exercise.params))
    out = engine_reference.conv_transpose2d(
        exercise.tensors["X"],
        exercise.tensors["K"],
        stride=setup.stride,
        padding=setup.padding,
    )
    return out[0]


FAMILY = Family(
    id=ID,
    title="Transposed convolution values",
    answer_kind=AnswerKind.MATRIX,
    description="The whole output of a small transposed convolution: every input value stamps "
    "a scaled copy of the kernel, overlaps add up, padding crops each side (uneven overlap — "
    "the checkerboard — and padding at higher levels).",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
