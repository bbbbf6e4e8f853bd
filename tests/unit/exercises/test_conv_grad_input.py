"""conv-grad-input: ∂L/∂X as stamped kernels / the full convolution, by hand, and its mistakes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine import reference as engine_reference
from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import conv_grad_input
from quiz.exercises.families.conv_grad_input import FAMILY, mistakes, reference
from quiz.exercises.families.tensors import flip, pad, spread
from quiz.grading import AnswerKind

W = [[1, 2], [3, 4]]


def _hand(difficulty: int, params: dict[str, Any], tensors: dict[str, Any]) -> Exercise:
    base = FAMILY.make(0, difficulty)
    exercise = replace(
        base,
        params={**base.params, **params},
        tensors=tensors,
        answer_kind=AnswerKind.MATRIX,
    )
    return replace(exercise, expected=np.asarray(reference(exercise)).tolist())


def _found(exercise: Exercise) -> dict[str, list[Any]]:
    return {m.tag: m.answer for m in mistakes(exercise)}


def test_difficulty_1_by_hand() -> None:
    # G = [[1, 0], [0, 2]]: W stamped at (0, 0) plus 2·W stamped at (1, 1)
    exercise = _hand(
        1,
        {"height": 3, "width": 3, "kernel": 2},
        {"W": [[W]], "G": [[[1, 0], [0, 2]]]},
    )
    assert exercise.expected == [[1, 2, 0], [3, 6, 4], [0, 6, 8]]
    assert _found(exercise) == {
        "kernel_not_flipped": [[4, 3, 0], [2, 9, 6], [0, 4, 2]],
        "kernel_transposed": [[4, 2, 0], [3, 9, 4], [0, 6, 2]],
    }
    result = grade_exercise(FAMILY, exercise, "4 3 0\n2 9 6\n0 4 2")
    assert result.mistake == "kernel_not_flipped" and "180°" in result.feedback
    assert grade_exercise(FAMILY, exercise, "4 2 0\n3 9 4\n0 6 2").mistake == "kernel_transposed"


def test_difficulty_2_by_hand_padding_is_cropped() -> None:
    # 2×2 input, padding 1, G (3×3) with ones at (0, 0) and (2, 2): stamps on the padded 4×4
    exercise = _hand(
        2,
        {"height": 2, "width": 2, "kernel": 2, "padding": 1},
        {"W": [[W]], "G": [[[1, 0, 0], [0, 0, 0], [0, 0, 1]]]},
    )
    assert exercise.expected == [[4, 0], [0, 1]]
    found = _found(exercise)
    assert found["padding_not_cropped"] == [[1, 2, 0, 0], [3, 4, 0, 0], [0, 0, 1, 2], [0, 0, 3, 4]]
    assert found["kernel_not_flipped"] == [[1, 0], [0, 4]]
    result = grade_exercise(FAMILY, exercise, "1 2 0 0\n3 4 0 0\n0 0 1 2\n0 0 3 4")
    assert result.mistake == "padding_not_cropped" and result.score == 0


def test_difficulty_3_by_hand_stride_two() -> None:
    # stride 2: the stamps G[y][x]·W land 2 cells apart and do not overlap
    exercise = _hand(
        3,
        {"channels": 1, "height": 4, "width": 4, "kernel": 2, "stride": 2, "padding": 0},
        {"W": [[[[1, 0], [0, -1]]]], "G": [[[1, 2], [3, 4]]]},
    )
    assert exercise.expected == [[1, 0, 2, 0], [0, -1, 0, -2], [3, 0, 4, 0], [0, -3, 0, -4]]
    found = _found(exercise)
    assert found["stride_ignored"] == [[1, 2, 0], [3, 3, -2], [0, -3, -4]]
    assert found["kernel_not_flipped"] == [
        [-1, 0, -2, 0],
        [0, 1, 0, 2],
        [-3, 0, -4, 0],
        [0, 3, 0, 4],
    ]
    assert grade_exercise(FAMILY, exercise, "1 2 0\n3 3 -2\n0 -3 -4").mistake == "stride_ignored"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_the_solution_is_the_full_convolution_with_the_flipped_kernel(difficulty: int) -> None:
    """G spread by the stride (and, where the stride leaves the input's last rows and columns
    out of every window, that many more zero rows and columns), padded by k - 1 - p, slid under
    the flipped kernel: ∂L/∂X."""
    for seed in range(60):
        exercise = FAMILY.make(seed, difficulty)
        params = exercise.params
        w = np.asarray(exercise.tensors["W"], dtype=float)
        g = np.asarray(exercise.tensors["G"], dtype=float)
        k, s, p = params["kernel"], params["stride"], params["padding"]
        leftover = (params["height"] + 2 * p - k) % s
        spread_g = np.pad(spread(g, s), ((0, 0), (0, leftover), (0, leftover)))
        prepared = pad(spread_g, k - 1 - p)
        expected = np.asarray(exercise.expected, dtype=float)
        expected = expected[None] if expected.ndim == 2 else expected
        for i in range(w.shape[1]):
            slid = engine_reference.conv2d(prepared, flip(w)[:, i : i + 1])[0]
            assert np.array_equal(slid, expected[i]), (seed, i)
        assert "180°" in " ".join(exercise.solution)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_the_picture_shows_where_each_stamp_lands(difficulty: int) -> None:
    for seed in range(30):
        exercise = FAMILY.make(seed, difficulty)
        params, picture = exercise.params, exercise.picture
        assert picture is not None and (picture.input, picture.kernel) == ("X", "W")
        assert set(exercise.tensors) == {"X", "W", "G"}  # nothing beyond what the prompt shows
        assert np.array_equal(np.asarray(picture.output), exercise.tensors["G"][0])
        assert picture.stride == (params["stride"],) * 2
        assert picture.padding == (params["padding"],) * 2


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(100)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(conv_grad_input.MISTAKES)
