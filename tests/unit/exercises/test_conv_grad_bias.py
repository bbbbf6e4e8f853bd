"""conv-grad-bias: ∂L/∂b_u = Σ_n Σ_{y,x} G[n][u][y][x], by hand, and its mistakes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import conv_grad_bias
from quiz.exercises.families.conv_grad_bias import FAMILY, mistakes, reference


def _hand(difficulty: int, params: dict[str, Any], g: list[Any]) -> Exercise:
    base = FAMILY.make(0, difficulty)
    exercise = replace(base, params={**base.params, **params}, tensors={"G": g})
    return replace(exercise, expected=reference(exercise))


def _found(exercise: Exercise) -> dict[str, float]:
    return {m.tag: m.answer for m in mistakes(exercise)}


def test_difficulty_1_by_hand() -> None:
    exercise = _hand(1, {}, [[[[1, 2], [3, -4]]]])
    assert exercise.expected == 2
    assert _found(exercise) == {"not_summed": 1, "averaged_over_positions": 0.5}
    assert grade_exercise(FAMILY, exercise, "1/2").mistake == "averaged_over_positions"
    assert grade_exercise(FAMILY, exercise, "2").correct


def test_difficulty_2_by_hand_one_filter_of_two() -> None:
    g = [[[[1, 1], [1, 1]], [[2, 0], [0, -1]]]]  # N = 1, two filters of 2×2
    exercise = _hand(2, {"out_height": 2, "out_width": 2, "filter": 1}, g)
    assert exercise.expected == 1
    assert _found(exercise) == {
        "not_summed": 2,
        "averaged_over_positions": 0.25,
        "wrong_filter": 4,
        "all_filters_summed": 5,
    }
    assert grade_exercise(FAMILY, exercise, "4").mistake == "wrong_filter"
    assert grade_exercise(FAMILY, exercise, "5").mistake == "all_filters_summed"


def test_difficulty_3_by_hand_sums_the_batch() -> None:
    g = [[[[1, 2], [3, 4]]], [[[-1, 0], [0, 5]]]]  # N = 2, one filter
    exercise = _hand(3, {"out_height": 2, "out_width": 2}, g)
    assert exercise.expected == 14
    assert _found(exercise) == {
        "not_summed": 1,
        "averaged_over_positions": 3.5,
        "batch_not_summed": 10,
        "batch_averaged": 7,
    }
    assert grade_exercise(FAMILY, exercise, "10").mistake == "batch_not_summed"
    assert grade_exercise(FAMILY, exercise, "7").mistake == "batch_averaged"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_exercises(difficulty: int) -> None:
    for seed in range(30):
        exercise = FAMILY.make(seed, difficulty)
        u = exercise.params["filter"]
        g = np.asarray(exercise.tensors["G"], dtype=float)
        assert set(exercise.tensors) == {"G"} and g.ndim == 4
        assert exercise.expected == g[:, u].sum()
        if difficulty == 1:
            assert exercise.picture is not None
            assert exercise.picture.output == ((exercise.expected,),)
            assert exercise.picture.window == g.shape[2:]
        else:
            assert exercise.picture is None
        if difficulty == 2:
            assert f"\\partial L/\\partial b_{u}$" in exercise.prompt
        if difficulty == 3:
            assert "batch of $2$" in exercise.prompt


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(60)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(conv_grad_bias.MISTAKES)
