"""avgpool-backward: each window hands G/n to every cell; by hand, and each mistake it names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine import reference as engine_reference
from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import avgpool_backward
from quiz.exercises.families.avgpool_backward import FAMILY, reference

CROSS = [[1, 3, 2], [4, 10, 6], [3, 7, 4]]  # shares 1, 2, 3, 4 of four overlapping windows


def _hand(difficulty: int, params: dict[str, Any], x: list[Any], g: list[Any]) -> Exercise:
    base = FAMILY.make(0, difficulty)
    exercise = replace(base, params={**base.params, **params}, tensors={"X": [x], "G": [g]})
    return replace(exercise, expected=np.asarray(reference(exercise)).tolist())


def _found(exercise: Exercise) -> dict[str, list[Any]]:
    return {m.tag: m.answer for m in relevant_mistakes(FAMILY, exercise)}


def test_difficulty_1_by_hand() -> None:
    x = [[1, 5, 2, 0], [3, 4, 8, 6], [9, 7, -1, -2], [10, 11, 12, 13]]
    exercise = _hand(1, {}, x, [[4, -8], [2, 1]])
    quarter = [[1, 1, -2, -2], [1, 1, -2, -2], [0.5, 0.5, 0.25, 0.25], [0.5, 0.5, 0.25, 0.25]]
    assert exercise.expected == quarter
    found = _found(exercise)
    assert found["not_divided"] == (4 * np.asarray(quarter)).tolist()
    assert found["sent_to_max_position"] == [
        [0, 4, 0, 0],
        [0, 0, -8, 0],
        [0, 0, 0, 0],
        [0, 2, 0, 1],
    ]
    assert grade_exercise(
        FAMILY, exercise, "1 1 -2 -2\n1 1 -2 -2\n1/2 1/2 1/4 1/4\n0.5 0.5 0.25 0.25"
    ).correct


def test_difficulty_2_by_hand_overlapping_windows_add_up() -> None:
    x = [[1, 2, 3], [4, 9, 5], [6, 7, 8]]
    exercise = _hand(2, {"height": 3, "width": 3, "kernel": 2, "stride": 1}, x, [[4, 8], [12, 16]])
    assert exercise.expected == CROSS
    found = _found(exercise)
    assert found["overlaps_not_accumulated"] == [[1, 2, 2], [3, 4, 4], [3, 4, 4]]
    assert found["not_divided"] == (4 * np.asarray(CROSS)).tolist()
    assert found["sent_to_max_position"] == [[0, 0, 0], [0, 40, 0], [0, 0, 0]]
    result = grade_exercise(FAMILY, exercise, "1 2 2\n3 4 4\n3 4 4")
    assert result.mistake == "overlaps_not_accumulated"


@pytest.mark.parametrize(("include", "n", "other"), [(True, 9, 4), (False, 4, 9)])
def test_difficulty_3_by_hand_count_include_pad(include: bool, n: int, other: int) -> None:
    # 3×3 windows, stride 2, padding 1 on 3×3: each window covers 4 real cells of 9
    x = [[1, 2, 3], [4, 9, 5], [6, 7, 8]]
    g = (n * np.array([[1, 2], [3, 4]])).tolist()
    params = {
        "height": 3,
        "width": 3,
        "kernel": 3,
        "stride": 2,
        "padding": 1,
        "count_include_pad": include,
    }
    exercise = _hand(3, params, x, g)
    assert exercise.expected == CROSS
    assert f"count_include_pad={include}" in FAMILY.make(_seed_with(include), 3).prompt
    found = _found(exercise)
    assert found["divided_by_wrong_count"] == (n / other * np.asarray(CROSS)).tolist()
    wrong = "\n".join(" ".join(f"{n * v}/{other}" for v in row) for row in CROSS)
    assert grade_exercise(FAMILY, exercise, wrong).mistake == "divided_by_wrong_count"


def _seed_with(include: bool) -> int:
    return next(
        seed for seed in range(100) if FAMILY.make(seed, 3).params["count_include_pad"] == include
    )


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_answers_are_exact_fractions_and_pictures_true(difficulty: int) -> None:
    for seed in range(40):
        exercise = FAMILY.make(seed, difficulty)
        assert "e-" not in exercise.answer and "000000" not in exercise.answer
        params, picture = exercise.params, exercise.picture
        forward = engine_reference.avg_pool2d(
            exercise.tensors["X"],
            params["kernel"],
            params["stride"],
            params["padding"],
            count_include_pad=params["count_include_pad"],
        )[0]
        assert picture is not None
        assert np.allclose(np.asarray(picture.output), forward, rtol=0, atol=1e-12)


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(100)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(avgpool_backward.MISTAKES)
