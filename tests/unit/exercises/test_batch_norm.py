"""batch-norm: worked examples per difficulty (numbers worked out by hand), each mistake named on
a hand-made case, and generated questions that match their difficulty."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import batch_norm2d_backward
from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import batch_norm
from quiz.exercises.families.batch_norm import FAMILY, Setup, build, reference
from tests.support import named_mistake

# difficulty 1: one channel; μ = 24/8 = 3, deviations 0 -5 2 5 | 1 2 -3 -2,
# σ² = (0 + 25 + 4 + 25 + 1 + 4 + 9 + 4)/8 = 72/8 = 9, σ = 3
X1 = [[[[3, -2], [5, 8]]], [[[4, 5], [0, 1]]]]
# difficulty 2: channel 1 is 7 0 -3 -5 | 0 2 0 7: μ = 8/8 = 1, deviations 6 -1 -4 -6 | -1 1 -1 6,
# σ² = (36 + 1 + 16 + 36 + 1 + 1 + 1 + 36)/8 = 128/8 = 16, σ = 4
X2 = [
    [[[-1, -2], [-3, 0]], [[7, 0], [-3, -5]]],
    [[[-1, 0], [-1, 0]], [[0, 2], [0, 7]]],
]
# difficulty 3, σ = 1: μ = -8/8 = -1, x̂ = x - μ = 0 0 -1 -1 | -1 1 0 2 (Σ x̂² = 8)
X3 = [[[[-1, -1], [-2, -2]]], [[[-2, 0], [-1, 1]]]]
G3 = [[[[3, -2], [3, -2]]], [[[3, 0], [1, -1]]]]
# difficulty 3, σ = 2: μ = 8/8 = 1, deviations 4 -2 -2 2 | -2 0 0 0 (Σ = 32 = 8·2²), x̂ = d/2
X3B = [[[[5, -1], [-1, 3]]], [[[-1, 1], [1, 1]]]]
G3B = [[[[2, 0], [1, -1]]], [[[0, 1], [-2, 3]]]]


def _d1(sample: int = 0) -> Exercise:
    return build(Setup(sample, 0, (1,), (0,)), X1, difficulty=1)


def _d2() -> Exercise:
    return build(Setup(1, 1, (-1, -2), (-2, 2)), X2, difficulty=2)


def _d3(gamma: int = -2) -> Exercise:
    return build(Setup(0, 0, (gamma,), (-2,), backward=True), X3, G3, difficulty=3)


def _d3b() -> Exercise:
    return build(Setup(0, 0, (3,), (1,), backward=True), X3B, G3B, difficulty=3)


def _found(exercise: Exercise) -> dict[str, np.ndarray]:
    return {m.tag: np.asarray(m.answer, dtype=float) for m in relevant_mistakes(FAMILY, exercise)}


def _raw(rows: np.ndarray | list[list[float]]) -> str:
    return "\n".join(" ".join(f"{v:.10g}" for v in row) for row in np.asarray(rows, dtype=float))


def _right(exercise: Exercise, raw: str) -> bool:
    return grade_exercise(FAMILY, exercise, raw).correct


# --- difficulty 1 ------------------------------------------------------------------------------


def test_difficulty_1_by_hand() -> None:
    exercise = _d1()
    # x̂ = (x - 3)/3 on sample 0: 0, -5/3, 2/3, 5/3
    assert exercise.answer == "0 -5/3\n2/3 5/3"
    assert _right(exercise, "0 -1.6666667\n0.6666667 1.6666667")
    assert np.allclose(reference(exercise), [[0, -5 / 3], [2 / 3, 5 / 3]], rtol=1e-14)
    assert _d1(sample=1).answer == "1/3 2/3\n-1 -2/3"
    prompt = exercise.prompt
    for words in (
        "**training mode**",
        "over the axes $N$, $H$ and $W$",
        "$m = N \\cdot H \\cdot W = 2 \\cdot 2 \\cdot 2 = 8$",
        "**biased** variance (divide by $m$, not $m - 1$)",
        "$\\varepsilon = 0$",
        "PyTorch's default is $\\varepsilon = 10^{-5}$",
        "$\\gamma = 1$ and $\\beta = 0$",
        "sample $0$",
    ):
        assert words in prompt, words
    steps = " ".join(exercise.solution)
    assert (
        "\\frac{24}{8} = 3" in steps and "\\frac{72}{8} = 9" in steps and "\\sqrt{9} = 3" in steps
    )


def test_difficulty_1_mistakes_by_hand() -> None:
    exercise = _d1()
    # unbiased: σ² = 72/7
    unbiased = [[0, -5 / math.sqrt(72 / 7)], [2 / math.sqrt(72 / 7), 5 / math.sqrt(72 / 7)]]
    assert named_mistake(FAMILY, exercise, _raw(unbiased)) == "unbiased_variance"
    assert named_mistake(FAMILY, exercise, "0 -5/9\n2/9 5/9") == "divided_by_variance"
    # sample 0 alone: 3 -2 5 8, mean 14/4 = 3.5, variance (0.25 + 30.25 + 2.25 + 20.25)/4 = 13.25
    own = [[(v - 3.5) / math.sqrt(13.25) for v in row] for row in X1[0][0]]
    assert named_mistake(FAMILY, exercise, _raw(own)) == "per_sample_statistics"
    found = _found(exercise)
    assert "channels_pooled" not in found and "shift_before_scale" not in found  # one channel


# --- difficulty 2 ------------------------------------------------------------------------------


def test_difficulty_2_by_hand() -> None:
    exercise = _d2()
    # x̂ on sample 1, channel 1: -1/4, 1/4, -1/4, 6/4; y = -2·x̂ + 2
    assert exercise.answer == "2.5 1.5\n2.5 -1"
    assert _right(exercise, "5/2 3/2\n5/2 -1")
    prompt = exercise.prompt
    assert "$\\gamma_{1} = -2$, $\\beta_{1} = 2$ for channel $1$" in prompt
    assert "$Y_{1,1}$ of sample $1$, channel $1$" in prompt
    assert "X_{1,0} = \\begin{bmatrix} -1 & 0 \\\\ -1 & 0 \\end{bmatrix}" in prompt


def test_difficulty_2_mistakes_by_hand() -> None:
    exercise = _d2()
    named = lambda raw: named_mistake(FAMILY, exercise, raw)  # noqa: E731
    assert named("-3.5 -4.5\n-3.5 -7") == "shift_before_scale"  # -2·(x̂ + 2)
    assert named("2.125 1.875\n2.125 1.25") == "divided_by_variance"  # x̂ = d/16
    # all 16 values: sums -8 and 8, so μ = 0; squares 16 + 136 = 152, σ² = 152/16 = 9.5
    pooled = [[2 - 2 * v / math.sqrt(9.5) for v in row] for row in X2[1][1]]
    assert named(_raw(pooled)) == "channels_pooled"
    # sample 1, both channels: sum 7, squares 55: μ = 7/8, σ² = 55/8 - 49/64 = 391/64
    layer = [[2 - 2 * (v - 7 / 8) / (math.sqrt(391) / 8) for v in row] for row in X2[1][1]]
    assert named(_raw(layer)) == "per_sample_statistics"
    unbiased = [[2 - 2 * (v - 1) / math.sqrt(128 / 7) for v in row] for row in X2[1][1]]
    assert named(_raw(unbiased)) == "unbiased_variance"


# --- difficulty 3 ------------------------------------------------------------------------------


def test_difficulty_3_by_hand_sigma_1() -> None:
    exercise = _d3()
    # mean(G) = 5/8, mean(G·x̂) = (-3 + 2 - 3 - 2)/8 = -3/4: dx = -2·(g - 5/8 + 3x̂/4)
    assert exercise.answer == "-4.75 5.25\n-3.25 6.75"
    assert _right(exercise, "-19/4 21/4\n-13/4 27/4")
    prompt = exercise.prompt
    assert (
        "$G = \\partial L/\\partial Y$" in prompt and "$\\gamma = -2$ and $\\beta = -2$" in prompt
    )
    assert "$\\partial L/\\partial X_{0}$" in prompt and "**training mode**" in prompt
    steps = " ".join(exercise.solution)
    assert "= \\tfrac{5}{8}$" in steps and "= -\\tfrac{3}{4}$" in steps


def test_difficulty_3_by_hand_sigma_2() -> None:
    exercise = _d3b()
    # x̂ = 2 -1 -1 1 | -1 0 0 0; mean(G) = 4/8 = 1/2; mean(G·x̂) = (4 - 1 - 1)/8 = 1/4:
    # dx = (3/2)·(g - 1/2 - x̂/4)
    assert exercise.answer == "1.5 -0.375\n1.125 -2.625"
    found = _found(exercise)
    assert found["statistics_held_constant"].tolist() == [[3, 0], [1.5, -1.5]]  # (3/2)·g
    assert found["mean_term_forgotten"].tolist() == [[2.25, 0.375], [1.875, -1.875]]
    # the whole channel's gradient adds up to 0 (sample 1: -3/8, 3/4, -15/4, 15/4)
    full = batch_norm2d_backward(
        np.asarray(G3B, float), np.asarray(X3B, float), np.array([3.0]), eps=0.0
    )[0]
    assert full[1, 0].tolist() == [[-0.375, 0.75], [-3.75, 3.75]] and full.sum() == 0


def test_difficulty_3_mistakes_by_hand() -> None:
    exercise = _d3()
    named = lambda raw: named_mistake(FAMILY, exercise, raw)  # noqa: E731
    assert named("-6 4\n-6 4") == "statistics_held_constant"  # γ·g/σ
    assert named("-6 4\n-4.5 5.5") == "mean_term_forgotten"  # -2·(g + 3x̂/4)
    # unbiased: σ_u² = 8/7, x̂_u = d/σ_u, mean(G x̂_u) = -6/(8 σ_u)
    s = math.sqrt(8 / 7)
    g, d = [[3, -2], [3, -2]], [[0, 0], [-1, -1]]
    unbiased = [
        [-2 / s * (g[r][c] - 5 / 8 - d[r][c] / s * (-6 / (8 * s))) for c in range(2)]
        for r in range(2)
    ]
    assert named(_raw(unbiased)) == "unbiased_variance"
    result = grade_exercise(FAMILY, exercise, "-6 4\n-6 4")
    assert "evaluation" in result.feedback and "\\operatorname{mean}(G)" in result.feedback


def test_beta_does_not_change_the_gradient() -> None:
    assert (
        build(Setup(0, 0, (-2,), (3,), backward=True), X3, G3, difficulty=3).answer == _d3().answer
    )


# --- generated questions -----------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_exercises_match_their_difficulty(difficulty: int) -> None:
    for seed in range(80):
        exercise = FAMILY.make(seed, difficulty)
        setup = Setup.from_params(dict(exercise.params))
        x = np.asarray(exercise.tensors["X"], dtype=float)
        channels = 2 if difficulty == 2 else 1
        assert x.shape == (2, channels, 2, 2) and setup.sample in (0, 1)
        assert exercise.params["eps"] == 0
        sigmas = []
        for c in range(channels):
            values = x[:, c]
            mean, var = values.mean(), values.var()
            sigma = math.isqrt(int(var))
            assert mean == int(mean) and sigma * sigma == var and np.abs(values - mean).max() <= 6
            sigmas.append(sigma)
        asked = sigmas[setup.channel]
        own = x[setup.sample, setup.channel]
        assert own.min() < own.max()
        prompt = exercise.prompt
        assert "**training mode**" in prompt and "not $m - 1$" in prompt
        assert "10^{-5}" in prompt and "$N$, $H$ and $W$" in prompt
        answer = np.asarray(exercise.expected, dtype=float)
        if difficulty == 1:
            assert asked in (2, 3) and setup.gamma == (1,) and setup.beta == (0,)
            assert not setup.backward and np.allclose(answer * asked, np.round(answer * asked))
        elif difficulty == 2:
            assert asked in (2, 3, 4) and not setup.backward
            assert abs(x[:, 0].mean() - x[:, 1].mean()) >= 2
            assert all(g in (-2, -1, 2, 3) for g in setup.gamma) and 0 not in setup.beta
            assert np.allclose(answer * asked, np.round(answer * asked))
        else:
            assert asked in (1, 2) and setup.backward and setup.gamma[0] in (-2, -1, 2, 3)
            g = np.asarray(exercise.tensors["G"], dtype=float)
            assert g.shape == x.shape and g.sum() != 0
            weighted = np.sum(g * (x - x.mean()))
            assert weighted != 0 and weighted % (asked * asked) == 0
            assert np.array_equal(answer * 16, np.round(answer * 16))  # in 16ths
            assert "$G = \\partial L/\\partial Y$" in prompt
        # exact: the canonical answer is short (no 0.33333333333333337)
        assert all(len(token) <= 8 for token in exercise.answer.split()), exercise.answer
        assert np.allclose(reference(exercise), answer, rtol=1e-12, atol=1e-12)


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(60)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(batch_norm.MISTAKES)


def test_the_deviation_patterns() -> None:
    patterns = batch_norm._patterns()
    for sigma, combos in patterns.items():
        for combo in combos:
            assert len(combo) == 8 and sum(combo) == 0 and len(set(combo)) >= 3
            assert sum(d * d for d in combo) == 8 * sigma * sigma
    assert len(patterns[1]) >= 3 and len(patterns[2]) >= 20 and len(patterns[3]) >= 60
