"""maxpool-backward: each window's G goes to its maximum; by hand, and each mistake it names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine import reference as engine_reference
from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import maxpool_backward
from quiz.exercises.families.maxpool_backward import FAMILY, reference


def _hand(difficulty: int, params: dict[str, Any], x: list[Any], g: list[Any]) -> Exercise:
    base = FAMILY.make(0, difficulty)
    exercise = replace(base, params={**base.params, **params}, tensors={"X": [x], "G": [g]})
    return replace(exercise, expected=np.asarray(reference(exercise)).tolist())


def _found(exercise: Exercise) -> dict[str, list[Any]]:
    return {m.tag: m.answer for m in relevant_mistakes(FAMILY, exercise)}


def test_difficulty_1_by_hand() -> None:
    x = [[1, 5, 2, 0], [3, 4, 8, 6], [9, 7, -1, -2], [10, 11, 12, 13]]
    # maxima: 5 at (0, 1), 8 at (1, 2), 11 at (3, 1), 13 at (3, 3)
    exercise = _hand(1, {}, x, [[1, -2], [3, 4]])
    assert exercise.expected == [[0, 1, 0, 0], [0, 0, -2, 0], [0, 0, 0, 0], [0, 3, 0, 4]]
    found = _found(exercise)
    assert found["sent_to_every_position"] == [
        [1, 1, -2, -2],
        [1, 1, -2, -2],
        [3, 3, 4, 4],
        [3, 3, 4, 4],
    ]
    assert found["averaged"] == [
        [0.25, 0.25, -0.5, -0.5],
        [0.25, 0.25, -0.5, -0.5],
        [0.75, 0.75, 1, 1],
        [0.75, 0.75, 1, 1],
    ]
    assert found["indicator_only"] == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 1]]
    assert "overlaps_not_accumulated" not in found  # windows do not overlap
    result = grade_exercise(FAMILY, exercise, "1 1 -2 -2\n1 1 -2 -2\n3 3 4 4\n3 3 4 4")
    assert result.mistake == "sent_to_every_position"


def test_difficulty_2_by_hand_overlapping_windows_add_up() -> None:
    x = [[1, 2, 3], [4, 9, 5], [6, 7, 8]]  # 9 is the maximum of all four 2×2 windows
    exercise = _hand(2, {"height": 3, "width": 3, "kernel": 2, "stride": 1}, x, [[1, 2], [3, 4]])
    assert exercise.expected == [[0, 0, 0], [0, 10, 0], [0, 0, 0]]
    found = _found(exercise)
    assert found["overlaps_not_accumulated"] == [[0, 0, 0], [0, 4, 0], [0, 0, 0]]
    assert found["indicator_only"] == [[0, 0, 0], [0, 4, 0], [0, 0, 0]]
    assert found["sent_to_every_position"] == [[1, 3, 2], [4, 10, 6], [3, 7, 4]]
    # the same wrong answer fits two mistakes: the first one listed is named
    result = grade_exercise(FAMILY, exercise, "0 0 0\n0 4 0\n0 0 0")
    assert result.mistake == "indicator_only" and result.score == 8 / 9


def test_difficulty_3_by_hand_padding_is_minus_infinity() -> None:
    # 3×3 windows, stride 2, padding 1 on a 3×3 input: each window holds 4 real cells
    x = [[-5, -6, 2], [-7, -8, -9], [1, -3, -4]]
    exercise = _hand(
        3, {"height": 3, "width": 3, "kernel": 3, "stride": 2, "padding": 1}, x, [[1, 2], [3, 4]]
    )
    assert exercise.expected == [[1, 0, 2], [0, 0, 0], [3, 4, 0]]
    found = _found(exercise)
    # with zero padding the all-negative windows (maxima -5 and -3) would pick a padded zero
    assert found["padding_as_zero"] == [[0, 0, 2], [0, 0, 0], [3, 0, 0]]
    assert "overlaps_not_accumulated" not in found  # no cell is the maximum of two windows
    result = grade_exercise(FAMILY, exercise, "0 0 2\n0 0 0\n3 0 0")
    assert result.mistake == "padding_as_zero" and "-\\infty" in result.feedback


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_exercises_have_no_ties_and_state_the_rule(difficulty: int) -> None:
    for seed in range(40):
        exercise = FAMILY.make(seed, difficulty)
        x = np.asarray(exercise.tensors["X"], dtype=float)
        assert len(np.unique(x)) == x.size
        if difficulty == 3:
            assert 0 not in x and "$-\\infty$" in exercise.prompt
        assert "first maximum in row-major order" in exercise.prompt
        params, picture = exercise.params, exercise.picture
        forward = engine_reference.max_pool2d(
            x, params["kernel"], params["stride"], params["padding"]
        )[0]
        assert picture is not None and np.array_equal(np.asarray(picture.output), forward)
        assert picture.window == (params["kernel"],) * 2


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(100)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(maxpool_backward.MISTAKES)
