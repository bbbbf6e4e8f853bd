"""Batch normalisation (``nn.BatchNorm2d`` in training mode): its output, and its backward pass.

A batch X of shape (N, C, H, W); each channel c is normalised with the mean and the **biased**
variance of its m = N·H·W values across the whole batch (axes N, H, W)::

    μ[c]  = (1/m) Σ_{n,y,x} X[n][c][y][x]
    σ²[c] = (1/m) Σ_{n,y,x} (X[n][c][y][x] - μ[c])²         (divided by m, not m - 1)
    X̂ = (X - μ[c]) / sqrt(σ²[c] + ε),    Y = γ[c]·X̂ + β[c]

and, with G = ∂L/∂Y, the gradient through the batch statistics (means over the same m values)::

    ∂L/∂X = (γ[c]/σ[c])·(G - mean(G) - X̂·mean(G·X̂))

ε is taken as 0 so that the numbers are exact (PyTorch's default is 1e-5; the prompt says so).
Every question has N = 2 samples of 2×2 maps, so m = 8, and asks for one 2×2 map: the output (or
input gradient) of one named sample n (and channel c). The asked channel's values are
μ + d with integer deviations d, |d| ≤ 6, Σd = 0 and Σd² = 8·σ² for a whole σ, so X̂ = d/σ.

Difficulty 1: one channel, γ = 1 and β = 0 (Y = X̂); σ = 2 or 3.
Difficulty 2: two channels with their own γ (−2, −1, 2 or 3) and β (±1..±3, not 0) and means at
least 2 apart; Y for one sample and one channel; σ = 2, 3 or 4.
Difficulty 3: the backward pass through one channel with γ (and a β, which does not matter):
X and G = ∂L/∂Y, and ∂L/∂X for one sample; σ = 1 or 2, with Σ G ≠ 0 and Σ G·(X - μ) ≠ 0 a
multiple of σ² (so the answer is in 16ths).

Mistakes detected: ``unbiased_variance`` (all: divided by m - 1), ``divided_by_variance`` (d1,
d2: (x - μ)/σ²), ``per_sample_statistics`` (d1, d2: the statistics of the asked sample alone,
over C, H, W — layer norm), ``channels_pooled`` (d2: one mean and variance over every channel),
``shift_before_scale`` (d2: γ·(X̂ + β)), ``statistics_held_constant`` (d3: γ·G/σ, the
evaluation-mode gradient), ``mean_term_forgotten`` (d3: without - mean(G)).

The worked solution gives m, μ, the deviations, σ², σ, X̂ and the formula applied to a named
cell; its picture (a :class:`~quiz.exercises.pictures.ValuesPicture`) shows the asked channel of
both samples before and after: X, X̂ (when γ and β change it) and Y with μ, σ², σ, γ and β — or,
backward, X̂, G and ∂L/∂X with mean(G) and mean(G·X̂) — every map from the engine.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine import batch_norm2d, batch_norm2d_backward
from engine import reference as engine_reference
from quiz.exercises import latex
from quiz.exercises.base import Exercise, Family, Mistake, pick, rng_for
from quiz.exercises.families.tensors import (
    INDEX_BASE,
    MATRIX_LAYOUT,
    additions,
    as_list,
    cell,
    exact,
    factor,
    integers,
    matrix,
    number,
    products,
)
from quiz.exercises.pictures import Panel, ValuesPicture
from quiz.exercises.pictures import matrix as picture_matrix
from quiz.grading import AnswerKind

ID = "batch-norm"

MISTAKES = {
    "unbiased_variance": "divided the squared deviations by m − 1 instead of m",
    "divided_by_variance": "divided by the variance σ² instead of the standard deviation σ",
    "per_sample_statistics": "took the statistics of each sample on its own (as layer norm) "
    "instead of over the batch",
    "channels_pooled": "took one mean and variance over all channels together",
    "shift_before_scale": "added β before scaling: γ·(x̂ + β)",
    "statistics_held_constant": "treated μ and σ as constants in the backward pass (γ·g/σ)",
    "mean_term_forgotten": "left the − mean(g) term out of the backward pass",
}

SAMPLES, SIZE = 2, 2
M = SAMPLES * SIZE * SIZE  # values per channel: N·H·W
_DEVIATION = 6  # |x - μ| ≤ 6
_SIGMAS = {1: (2, 3), 2: (2, 3, 4), 3: (1, 2)}
_MEANS = {1: (-2, 4), 2: (-3, 5), 3: (-2, 4)}
_GAMMAS = (-2, -1, 2, 3)
_BETAS = (-3, -2, -1, 1, 2, 3)
EPS_NOTE = (
    "$\\varepsilon = 0$ here so that the numbers are exact (PyTorch's default is "
    "$\\varepsilon = 10^{-5}$)"
)
_EXACT = 2520 * 16  # every answer is a multiple of 1/σ (σ ≤ 4) or, backward, of 1/16


@dataclass(frozen=True)
class Setup:
    """What a question asks, beside its tensors: the answer is the map of sample ``sample``,
    channel ``channel``; ``gamma`` and ``beta`` hold one value per channel; ``backward`` asks
    ∂L/∂X instead of Y. Training mode and ε = 0 always."""

    sample: int
    channel: int
    gamma: tuple[int, ...]
    beta: tuple[int, ...]
    backward: bool = False

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Setup:
        return cls(
            int(params["sample"]),
            int(params["channel"]),
            tuple(int(v) for v in params["gamma"]),
            tuple(int(v) for v in params["beta"]),
            bool(params["backward"]),
        )

    def to_params(self) -> dict[str, Any]:
        return {**asdict(self), "gamma": list(self.gamma), "beta": list(self.beta), "eps": 0}


# --- drawing a channel -------------------------------------------------------------------------


@functools.cache
def _patterns() -> dict[int, tuple[tuple[int, ...], ...]]:
    """Every multiset of M integer deviations (|d| ≤ 6, at least three different values) with
    Σd = 0 and Σd²/M a perfect square σ², by σ."""
    found: dict[int, list[tuple[int, ...]]] = {}
    for combo in itertools.combinations_with_replacement(range(-_DEVIATION, _DEVIATION + 1), M):
        if sum(combo) != 0 or len(set(combo)) < 3:
            continue
        squares = sum(d * d for d in combo)
        sigma = math.isqrt(squares // M)
        if squares % M == 0 and sigma * sigma * M == squares:
            found.setdefault(sigma, []).append(combo)
    return {sigma: tuple(combos) for sigma, combos in found.items()}


def _channel(rng: np.random.Generator, sigma: int, mean: int) -> np.ndarray:
    """One channel (N, H, W): ``mean`` plus a shuffled deviation pattern of standard deviation
    ``sigma``."""
    pattern = pick(rng, _patterns()[sigma])
    return mean + rng.permutation(np.array(pattern, dtype=float)).reshape(SAMPLES, SIZE, SIZE)


def _draw_channel(rng: np.random.Generator, sigma: int, mean: int, sample: int) -> np.ndarray:
    """A channel whose asked sample has at least two cells off the mean and is not constant
    (an answer to work out, and a map that has statistics of its own)."""
    while True:
        values = _channel(rng, sigma, mean)
        own = values[sample]
        if np.count_nonzero(own != mean) >= 2 and own.min() < own.max():
            return values


def generate(seed: int, difficulty: int) -> Exercise:
    rng = rng_for(seed, difficulty)
    sample = int(rng.integers(SAMPLES))
    low, high = _MEANS[difficulty]
    if difficulty == 1:
        mean = int(rng.integers(low, high + 1))
        x = _draw_channel(rng, pick(rng, _SIGMAS[1]), mean, sample)[:, None]
        return build(Setup(sample, 0, (1,), (0,)), x, seed=seed, difficulty=1)
    if difficulty == 2:
        channel = int(rng.integers(2))
        while True:
            means = [int(v) for v in rng.integers(low, high + 1, size=2)]
            if abs(means[0] - means[1]) >= 2:
                break
        sigmas = [pick(rng, _SIGMAS[2]), pick(rng, (1, 2, 3))]
        if channel == 1:
            sigmas.reverse()
        x = np.stack([_draw_channel(rng, sigmas[c], means[c], sample) for c in range(2)], axis=1)
        gamma = tuple(int(pick(rng, _GAMMAS)) for _ in range(2))
        beta = tuple(int(pick(rng, _BETAS)) for _ in range(2))
        return build(Setup(sample, channel, gamma, beta), x, seed=seed, difficulty=2)
    sigma = pick(rng, _SIGMAS[3])
    mean = int(rng.integers(low, high + 1))
    x = _draw_channel(rng, sigma, mean, sample)[:, None]
    deviations = x - mean
    while True:
        g = integers(rng, x.shape, -3, 3)
        weighted = int(np.sum(g * deviations))
        if g.sum() != 0 and weighted != 0 and weighted % (sigma * sigma) == 0:
            break
    setup = Setup(sample, 0, (int(pick(rng, _GAMMAS)),), (int(pick(rng, _BETAS)),), True)
    return build(setup, x, g, seed=seed, difficulty=3)


def build(setup: Setup, x: Any, g: Any = None, seed: int = 0, difficulty: int = 2) -> Exercise:
    """The exercise for ``setup`` on the batch ``x`` (N, C, H, W) — and G = ∂L/∂Y for a
    backward question: ``generate`` draws them, a test can pass its own. The answer is the
    engine's, with ε = 0."""
    x = np.asarray(x, dtype=float)
    gamma, beta = np.asarray(setup.gamma, float), np.asarray(setup.beta, float)
    n, c = setup.sample, setup.channel
    tensors = {"X": as_list(x)}
    if setup.backward:
        g = np.asarray(g, dtype=float)
        tensors["G"] = as_list(g)
        answer = batch_norm2d_backward(g, x, gamma, training=True, eps=0.0)[0]
        picture = _backward_picture(setup, x, g, answer)
        hint = (
            "In training mode $\\mu$ and $\\sigma^2$ are computed from the batch, so every input "
            "also moves them. With the means over the channel's $m$ values: "
            "$\\partial L/\\partial x = \\frac{\\gamma}{\\sigma}\\left(g - \\operatorname{mean}(G) "
            "- \\hat x \\cdot \\operatorname{mean}(G \\hat X)\\right)$."
        )
    else:
        answer = batch_norm2d(x, None, None, gamma, beta, training=True, eps=0.0)
        picture = _forward_picture(setup, x, answer)
        hint = (
            "Per channel, over all its $m = N \\cdot H \\cdot W$ values in the batch: "
            "$\\mu$ = their mean, $\\sigma^2$ = the mean of $(x - \\mu)^2$ (divide by $m$), "
            "$\\hat x = (x - \\mu)/\\sigma$, then $y = \\gamma \\hat x + \\beta$."
        )
    expected = _snapped(answer[n, c])
    return Exercise(
        family=ID,
        seed=seed,
        difficulty=difficulty,
        prompt=_prompt(setup, x, g),
        answer_kind=AnswerKind.MATRIX,
        expected=as_list(expected),
        params=setup.to_params(),
        tensors=tensors,
        solution=_solution(setup, x, g, expected),
        hint=hint,
        picture=picture,
    )


# --- the picture -------------------------------------------------------------------------------


def _panels(
    name: str, maps: np.ndarray, channels: int, c: int, asked: int | None = None
) -> tuple[Panel, ...]:
    """One panel per sample of channel ``c`` (``maps`` is (N, H, W)), named as the prompt
    indexes them: ``X[n]`` for one channel, ``X[n, c]`` for several."""
    return tuple(
        Panel(
            f"{name}[{n}]" if channels == 1 else f"{name}[{n}, {c}]",
            picture_matrix(_snapped(plane)),
            asked=n == asked,
        )
        for n, plane in enumerate(maps)
    )


def _statistics_of(x: np.ndarray, c: int) -> tuple[float, float, np.ndarray]:
    """μ, σ² and X̂ (N, H, W) of channel ``c``, over the batch (ε = 0)."""
    channel = x[:, c]
    mean, var = float(channel.mean()), float(channel.var())
    return mean, var, (channel - mean) / math.sqrt(var)


def _forward_picture(setup: Setup, x: np.ndarray, y: np.ndarray) -> ValuesPicture:
    """X, X̂ (when γ, β change it) and the engine's Y, channel ``c`` of both samples."""
    n, c, channels = setup.sample, setup.channel, x.shape[1]
    mean, var, x_hat = _statistics_of(x, c)
    gamma, beta = setup.gamma[c], setup.beta[c]
    where = "" if channels == 1 else f", channel {c}"
    rows = [_panels("X", x[:, c], channels, c)]
    titles = [f"Input X{where}: both samples' {M} values give μ and σ²"]
    if (gamma, beta) != (1, 0):
        rows.append(_panels("X̂", x_hat, channels, c))
        titles.append("Normalised: x̂ = (x − μ) / σ")
    rows.append(_panels("Y", y[:, c], channels, c, asked=n))
    titles.append("Output: y = γ·x̂ + β" if (gamma, beta) != (1, 0) else "Output: y = x̂")
    return ValuesPicture(
        rows=tuple(rows),
        titles=tuple(titles),
        facts=(
            ("m", float(M)),
            ("μ", mean),
            ("σ²", var),
            ("σ", math.sqrt(var)),
            ("γ", float(gamma)),
            ("β", float(beta)),
        ),
        caption="Each value is normalised with the statistics of its channel over the whole "
        "batch (both samples), then scaled by γ and shifted by β."
        + ("" if channels == 1 else " The other channel has statistics of its own."),
    )


def _backward_picture(
    setup: Setup, x: np.ndarray, g: np.ndarray, grad: np.ndarray
) -> ValuesPicture:
    """X̂, the upstream G and the engine's ∂L/∂X, channel 0 of both samples."""
    n, c, channels = setup.sample, setup.channel, x.shape[1]
    mean, var, x_hat = _statistics_of(x, c)
    plane_g = g[:, c]
    return ValuesPicture(
        rows=(
            _panels("X̂", x_hat, channels, c),
            _panels("G", plane_g, channels, c),
            _panels("∂L/∂X", grad[:, c], channels, c, asked=n),
        ),
        titles=(
            "Normalised input: x̂ = (x − μ) / σ",
            "Upstream gradient G = ∂L/∂Y",
            "∂L/∂x = (γ/σ)·(g − mean(G) − x̂·mean(G·X̂))",
        ),
        facts=(
            ("μ", mean),
            ("σ", math.sqrt(var)),
            ("γ", float(setup.gamma[c])),
            ("mean(G)", float(plane_g.mean())),
            ("mean(G·X̂)", float((plane_g * x_hat).mean())),
        ),
        caption="Every input moves μ and σ², so each gradient value takes away the channel's "
        "mean gradient and the part along x̂; the whole channel's ∂L/∂X adds up to 0.",
    )


def _snapped(values: np.ndarray) -> np.ndarray:
    """The engine's answer snapped to the exact fractions it stands for (``1/3``, not
    ``0.33333333333333337``); a hand-made question whose answer is no such fraction keeps it."""
    try:
        return exact(values, _EXACT)
    except ValueError:
        return values


# --- mistakes ----------------------------------------------------------------------------------


def _normalised(values: np.ndarray, mean: float, var: float, power: float = 0.5) -> np.ndarray:
    """(x - μ) / (σ²)^power: the standard deviation for 0.5, the variance for 1."""
    return (values - mean) / var**power


def _backward(g: np.ndarray, x_hat: np.ndarray, sigma: float, gamma: float) -> np.ndarray:
    """(γ/σ)(g - mean g - x̂ mean(g x̂)) over the channel (numpy, not the engine)."""
    return gamma / sigma * (g - g.mean() - x_hat * (g * x_hat).mean())


def mistakes(exercise: Exercise) -> list[Mistake]:
    setup = Setup.from_params(dict(exercise.params))
    n, c = setup.sample, setup.channel
    x = np.asarray(exercise.tensors["X"], dtype=float)
    channel = x[:, c]
    mean, var = channel.mean(), channel.var()
    unbiased = channel.var(ddof=1)
    gamma, beta = setup.gamma[c], setup.beta[c]
    if setup.backward:
        g = np.asarray(exercise.tensors["G"], dtype=float)[:, c]
        sigma, sigma_u = math.sqrt(var), math.sqrt(unbiased)
        x_hat, x_hat_u = (channel - mean) / sigma, (channel - mean) / sigma_u
        found = [
            ("statistics_held_constant", gamma * g / sigma),
            ("mean_term_forgotten", gamma / sigma * (g - x_hat * (g * x_hat).mean())),
            ("unbiased_variance", _backward(g, x_hat_u, sigma_u, gamma)),
        ]
        return [Mistake(tag, _MESSAGES[tag], as_list(answer[n])) for tag, answer in found]
    own = x[n, c]
    answers = [
        ("unbiased_variance", _normalised(own, mean, unbiased)),
        ("divided_by_variance", _normalised(own, mean, var, power=1.0)),
    ]
    if x[n].var() > 0:  # a constant sample has no statistics of its own
        answers.append(("per_sample_statistics", _normalised(own, x[n].mean(), x[n].var())))
    if x.shape[1] > 1:
        answers.append(("channels_pooled", _normalised(own, x.mean(), x.var())))
    found = [(tag, gamma * values + beta) for tag, values in answers]
    if beta and gamma != 1:
        found.append(("shift_before_scale", gamma * (_normalised(own, mean, var) + beta)))
    return [Mistake(tag, _MESSAGES[tag], as_list(answer)) for tag, answer in found]


_MESSAGES = {
    "unbiased_variance": "You divided the sum of squared deviations by $m - 1$ (the unbiased, "
    "sample variance). Batch norm normalises with the **biased** variance, "
    "$\\sigma^2 = \\frac{1}{m}\\sum (x - \\mu)^2$: divide by $m = N \\cdot H \\cdot W$, as the "
    "question says. (PyTorch uses the unbiased variance only to update the running variance it "
    "keeps for evaluation mode.)",
    "divided_by_variance": "You divided $x - \\mu$ by the variance $\\sigma^2$. Normalising "
    "divides by the **standard deviation**, $\\hat x = (x - \\mu)/\\sqrt{\\sigma^2 + "
    "\\varepsilon}$, so that $\\hat x$ has variance 1.",
    "per_sample_statistics": "You took the mean and variance of the sample on its own (over its "
    "channels and positions, as layer normalisation does). Batch norm takes each channel's "
    "statistics **across the batch**: over $N$, $H$ and $W$, all the samples' values of that "
    "channel — here $m = 8$ values, both samples.",
    "channels_pooled": "You took one mean and one variance over the whole tensor, all channels "
    "together. Batch norm keeps **one mean and one variance per channel**, each over that "
    "channel's $N \\cdot H \\cdot W$ values: every channel is a different feature, with its own "
    "scale.",
    "shift_before_scale": "You added $\\beta$ before scaling, $\\gamma(\\hat x + \\beta)$. The "
    "affine step scales first and then shifts, $y = \\gamma \\hat x + \\beta$: $\\beta$ is "
    "added as it is, not multiplied by $\\gamma$.",
    "statistics_held_constant": "You treated $\\mu$ and $\\sigma$ as constants, which gives "
    "$\\gamma\\, g/\\sigma$ — the gradient in **evaluation** mode, where the running statistics "
    "are fixed numbers. In training mode $\\mu$ and $\\sigma^2$ are computed from the batch, so "
    "every input also moves them: $\\partial L/\\partial x = \\frac{\\gamma}{\\sigma}\\left(g - "
    "\\operatorname{mean}(G) - \\hat x \\cdot \\operatorname{mean}(G \\hat X)\\right)$.",
    "mean_term_forgotten": "You left out $-\\operatorname{mean}(G)$, the path through the mean: "
    "each input raises $\\mu$ by $1/m$ of its change, which lowers every $x - \\mu$ of the "
    "channel. The full gradient is $\\partial L/\\partial x = \\frac{\\gamma}{\\sigma}\\left(g - "
    "\\operatorname{mean}(G) - \\hat x \\cdot \\operatorname{mean}(G \\hat X)\\right)$.",
}


# --- words -------------------------------------------------------------------------------------


def _maps(array: np.ndarray, name: str) -> str:
    """Display maths for a batch (N, C, H, W): one line per sample, ``X_{n}`` for one channel and
    ``X_{n,c}`` for several."""
    if array.shape[1] == 1:
        return latex.display(
            ",\\qquad ".join(
                f"{name}_{{{n}}} = {matrix(sample[0])}" for n, sample in enumerate(array)
            )
        )
    lines = [
        ",\\quad ".join(f"{name}_{{{n},{c}}} = {matrix(plane)}" for c, plane in enumerate(sample))
        for n, sample in enumerate(array)
    ]
    return "".join(latex.display(line) for line in lines)


def _conventions() -> str:
    return (
        "In **training mode** the layer normalises each channel with the mean $\\mu$ and the "
        "variance $\\sigma^2$ of that channel over the whole batch — over the axes $N$, $H$ and "
        f"$W$, here $m = N \\cdot H \\cdot W = {SAMPLES} \\cdot {SIZE} \\cdot {SIZE} = {M}$ "
        "values — taking the **biased** variance (divide by $m$, not $m - 1$):"
        + latex.display(
            "\\hat x = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\varepsilon}},\\qquad "
            "y = \\gamma\\,\\hat x + \\beta"
        )
        + f"with {EPS_NOTE}."
    )


def _affine(setup: Setup) -> str:
    if len(setup.gamma) == 1:
        return f"$\\gamma = {setup.gamma[0]}$ and $\\beta = {setup.beta[0]}$"
    pairs = ", ".join(
        f"$\\gamma_{{{c}}} = {g}$, $\\beta_{{{c}}} = {b}$ for channel ${c}$"
        for c, (g, b) in enumerate(zip(setup.gamma, setup.beta, strict=True))
    )
    return f"one $\\gamma$ and one $\\beta$ per channel: {pairs}"


def _prompt(setup: Setup, x: np.ndarray, g: np.ndarray | None) -> str:
    channels = x.shape[1]
    n, c = setup.sample, setup.channel
    count = "one channel" if channels == 1 else f"$C = {channels}$ channels"
    names = "$X_{n}$ is sample $n$" if channels == 1 else "$X_{n,c}$ is channel $c$ of sample $n$"
    given = (
        f"A `BatchNorm2d({channels})` layer in **training mode** receives a batch of "
        f"$N = {SAMPLES}$ samples with {count}, each map ${SIZE} \\times {SIZE}$ ({names}; "
        "samples and channels are numbered from 0, as in PyTorch):" + _maps(x, "X")
    )
    if setup.backward:
        return (
            given
            + _conventions()
            + f" The layer has {_affine(setup)}. Backpropagation brings the upstream gradient "
            "$G = \\partial L/\\partial Y$:"
            + _maps(g, "G")  # type: ignore[arg-type]
            + f"Compute $\\partial L/\\partial X_{{{n}}}$, the gradient of the loss with respect "
            f"to the input map of sample ${n}$ (a ${SIZE} \\times {SIZE}$ matrix). Give exact "
            "values: fractions such as 3/16 and decimals are accepted. " + MATRIX_LAYOUT
        )
    if channels == 1:
        target = f"Compute the output map $Y_{{{n}}}$ of sample ${n}$"
        affine = f"{_affine(setup)} (PyTorch's initial values, so $y = \\hat x$)"
    else:
        target = f"Compute the output map $Y_{{{n},{c}}}$ of sample ${n}$, channel ${c}$"
        affine = _affine(setup)
    return (
        given
        + _conventions()
        + f" The layer has {affine}. {target} (a ${SIZE} \\times {SIZE}$ matrix). Give exact "
        "values: fractions such as 2/3 are accepted. " + MATRIX_LAYOUT
    )


def _statistics(x: np.ndarray, c: int, name: str) -> tuple[list[str], float, float]:
    """The worked steps for μ, σ² and σ of channel c, with μ and σ."""
    channel = x[:, c]
    mean, var = float(channel.mean()), float(channel.var())
    sigma = math.sqrt(var)
    where = "" if x.shape[1] == 1 else f" of channel ${c}$"
    names = [
        f"{name}_{{{n}}}" if x.shape[1] == 1 else f"{name}_{{{n},{c}}}" for n in range(SAMPLES)
    ]
    deviations = channel - mean
    steps = [
        f"Training mode: the statistics{where} run over the whole batch, axes $N, H, W$ — the "
        f"$m = {SAMPLES} \\cdot {SIZE} \\cdot {SIZE} = {M}$ values of "
        + " and ".join(f"${nm}$" for nm in names)
        + f". Mean: $\\mu = \\frac{{{additions(channel.reshape(-1))}}}{{{M}}} = "
        f"\\frac{{{number(channel.sum())}}}{{{M}}} = {number(mean)}$.",
        "Deviations $x - \\mu$: "
        + ", ".join(f"${nm} - \\mu = {matrix(d)}$" for nm, d in zip(names, deviations, strict=True))
        + ". Biased variance (divide by $m$): $\\sigma^2 = \\frac{"
        + " + ".join(number(v * v) for v in deviations.reshape(-1))
        + f"}}{{{M}}} = \\frac{{{number(np.sum(deviations**2))}}}{{{M}}} = {number(var)}$, so "
        f"$\\sigma = \\sqrt{{\\sigma^2 + \\varepsilon}} = \\sqrt{{{number(var)}}} = "
        f"{number(sigma)}$ (with $\\varepsilon = 0$).",
    ]
    return steps, mean, sigma


def _example_cell(values: np.ndarray, mean: float) -> tuple[int, int]:
    """The first cell (row-major) off the mean, for a worked example."""
    rows, cols = np.nonzero(values != mean)
    return int(rows[0]), int(cols[0])


def _solution(
    setup: Setup, x: np.ndarray, g: np.ndarray | None, answer: np.ndarray
) -> tuple[str, ...]:
    n, c = setup.sample, setup.channel
    steps, mean, sigma = _statistics(x, c, "X")
    x_hat = (x[:, c] - mean) / sigma
    gamma, beta = setup.gamma[c], setup.beta[c]
    own = x[n, c]
    r, col = _example_cell(own, mean)
    if setup.backward:
        return tuple(steps) + _backward_steps(setup, x_hat, g[:, c], sigma, answer)  # type: ignore[index]
    index = f"{{{n}}}" if x.shape[1] == 1 else f"{{{n},{c}}}"
    name = f"Y_{index}"
    steps.append(
        f"Normalise: $\\hat x = (x - \\mu)/\\sigma$. {INDEX_BASE} For example, in "
        f"{cell(r, col)} of sample ${n}$: $({number(own[r, col])} - {factor(mean)})/"
        f"{number(sigma)} = {number(x_hat[n][r, col])}$. The whole map: "
        f"$\\hat X_{index} = {matrix(x_hat[n])}$."
    )
    if x.shape[1] == 1 and gamma == 1 and beta == 0:
        steps.append(
            f"With $\\gamma = 1$ and $\\beta = 0$, $y = \\hat x$: ${name} = {matrix(answer)}$."
        )
    else:
        steps.append(
            f"Scale and shift with channel ${c}$'s $\\gamma = {gamma}$ and $\\beta = {beta}$: "
            f"$y = \\gamma \\hat x + \\beta$, e.g. ${factor(gamma)} \\cdot "
            f"{factor(x_hat[n][r, col])} + {factor(beta)} = {number(answer[r, col])}$ in "
            f"{cell(r, col)}. So ${name} = {matrix(answer)}$."
        )
    if x.shape[1] > 1:
        other = 1 - c
        steps.append(
            f"Channel ${other}$ has its own $\\mu$, $\\sigma$, $\\gamma$ and $\\beta$; it does "
            f"not enter ${name}$."
        )
    return tuple(steps)


def _backward_steps(
    setup: Setup, x_hat: np.ndarray, g: np.ndarray, sigma: float, answer: np.ndarray
) -> tuple[str, ...]:
    n = setup.sample
    gamma = setup.gamma[0]
    mean_g = float(g.mean())
    mean_gx = float((g * x_hat).mean())
    r, col = _example_cell(x_hat[n], 0.0)
    hats = ", ".join(f"$\\hat X_{{{k}}} = {matrix(x_hat[k])}$" for k in range(SAMPLES))
    pairs = list(zip(g.reshape(-1), x_hat.reshape(-1), strict=True))
    example = (
        f"{factor(g[n][r, col])} - {factor(mean_g)} - {factor(x_hat[n][r, col])} \\cdot "
        f"{factor(mean_gx)}"
    )
    return (
        f"Normalised input $\\hat x = (x - \\mu)/\\sigma$: {hats}.",
        "In training mode $\\mu$ and $\\sigma^2$ are computed from the batch, so each input "
        "reaches the loss three ways — directly, through $\\mu$ and through $\\sigma^2$. "
        "Adding them up, with the means over the channel's $m$ values: "
        "$\\partial L/\\partial x = \\frac{\\gamma}{\\sigma}\\left(g - \\operatorname{mean}(G) - "
        "\\hat x \\cdot \\operatorname{mean}(G \\hat X)\\right)$. ($\\beta$ only shifts $Y$: it "
        "does not enter $\\partial L/\\partial X$.)",
        f"$\\operatorname{{mean}}(G) = \\frac{{{additions(g.reshape(-1))}}}{{{M}}} = "
        f"{number(mean_g)}$.",
        f"$\\operatorname{{mean}}(G \\hat X) = \\frac{{{products(pairs)}}}{{{M}}} = "
        f"{number(mean_gx)}$.",
        f"{INDEX_BASE} For example, in {cell(r, col)} of sample ${n}$: "
        f"$\\frac{{{gamma}}}{{{number(sigma)}}}\\left({example}\\right) = "
        f"{number(answer[r, col])}$. The whole map: "
        f"$\\partial L/\\partial X_{{{n}}} = {matrix(answer)}$.",
        "Check: over the whole channel (both samples) $\\partial L/\\partial X$ adds up to 0 — "
        "adding the same amount to every input moves $\\mu$ with it and leaves $Y$ unchanged.",
    )


def reference(exercise: Exercise) -> Any:
    """The asked map through ``engine.reference``'s loops (ε = 0): the forward pass, or the
    backward pass by stages (∂L/∂x̂, ∂L/∂σ², ∂L/∂μ)."""
    setup = Setup.from_params(dict(exercise.params))
    x = exercise.tensors["X"]
    if setup.backward:
        result = engine_reference.batch_norm2d_backward(
            exercise.tensors["G"], x, list(setup.gamma), training=True, eps=0.0
        )[0]
    else:
        result = engine_reference.batch_norm2d(
            x, None, None, list(setup.gamma), list(setup.beta), training=True, eps=0.0
        )
    return result[setup.sample, setup.channel]


FAMILY = Family(
    id=ID,
    title="Batch normalisation",
    answer_kind=AnswerKind.MATRIX,
    description="The output of a small BatchNorm2d layer in training mode — per-channel mean "
    "and biased variance over the batch, then γ and β — and, at the top level, its backward "
    "pass through the batch statistics.",
    generate=generate,
    mistakes=mistakes,
    mistake_tags=MISTAKES,
    reference=reference,
)
