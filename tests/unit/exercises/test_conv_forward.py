"""conv-forward: the whole output of a small conv layer, by hand, and each mistake it names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine import reference as engine_reference
from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import conv_forward
from quiz.exercises.families.conv_forward import FAMILY, mistakes, reference
from quiz.grading import AnswerKind, format_answer

A = [[1, 2, 0, -1], [3, -1, 2, 1], [0, 1, -2, 3], [2, 0, 1, -3]]


def _hand(difficulty: int, params: dict[str, Any], tensors: dict[str, Any]) -> Exercise:
    base = FAMILY.make(0, difficulty)
    tensors = dict(tensors)
    params = {**base.params, **params, "b": tensors.pop("b")}  # the bias is a parameter
    exercise = replace(base, params=params, tensors=tensors)
    return replace(exercise, expected=np.asarray(reference(exercise)).tolist())


def _found(exercise: Exercise) -> dict[str, list[Any]]:
    return {m.tag: m.answer for m in relevant_mistakes(FAMILY, exercise)}


def _text(matrix: list[list[float]]) -> str:
    return format_answer("matrix", np.asarray(matrix, dtype=float))


def test_difficulty_1_by_hand() -> None:
    # the kernel adds X[y][x] + 2·X[y+1][x+1]; rotated by 180° it adds 2·X[y+1][x+1] + X[y+2][x+2]
    w = [[1, 0, 0], [0, 2, 0], [0, 0, 0]]
    exercise = _hand(1, {}, {"X": [A], "W": [[w]], "b": [0]})
    assert exercise.expected == [[-1, 6], [5, -5]]
    assert _found(exercise) == {
        "kernel_flipped": [[-4, 7], [3, -7]],
        "height_width_swapped": [[-1, 5], [6, -5]],
    }
    result = grade_exercise(FAMILY, exercise, _text([[-4, 7], [3, -7]]))
    assert result.mistake == "kernel_flipped" and result.score == 0
    result = grade_exercise(FAMILY, exercise, _text([[-1, 5], [6, -5]]))
    assert result.mistake == "height_width_swapped" and result.score == 0.5
    assert "I[i][sx+j][sy+k]" in result.feedback


def test_difficulty_2_by_hand_padding_and_bias() -> None:
    # all-ones 3×3 kernel with padding 1: each entry is its zero-padded neighbourhood's sum, - 1
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    exercise = _hand(
        2,
        {"height": 3, "width": 3, "kernel": 3},
        {"X": [x], "W": [[np.ones((3, 3)).tolist()]], "b": [-1]},
    )
    assert exercise.expected == [[11, 20, 15], [26, 44, 32], [23, 38, 27]]
    found = _found(exercise)
    assert "kernel_flipped" not in found  # a symmetric kernel: flipping changes nothing
    assert found["bias_forgotten"] == [[12, 21, 16], [27, 45, 33], [24, 39, 28]]
    assert found["padding_ignored"] == [[44]]
    assert found["height_width_swapped"] == [[11, 26, 23], [20, 44, 38], [15, 32, 27]]
    result = grade_exercise(FAMILY, exercise, "44")  # a known mistake of another size: graded
    assert result.mistake == "padding_ignored" and result.score == 0 and result.graded
    assert result.expected_display == _text(exercise.expected)
    result = grade_exercise(FAMILY, exercise, "1 2\n3 4")  # any other size: not an attempt
    assert not result.graded and result.mistake is None and result.expected_display is None
    assert result.format_error == "expected 3 rows of 3 numbers (a 3×3 matrix), got 2×2"


def test_difficulty_3_by_hand_stride_two_channels() -> None:
    # W picks X1's top-left and X2's (all 2s) bottom-right: O = X1[2y][2x] + 2 + b
    exercise = _hand(
        3,
        {
            "channels": 2,
            "filters": 1,
            "height": 4,
            "width": 4,
            "kernel": 2,
            "stride": 2,
            "padding": 0,
            "bias": True,
        },
        {
            "X": [A, (2 * np.ones((4, 4))).tolist()],
            "W": [[[[1, 0], [0, 0]], [[0, 0], [0, 1]]]],
            "b": [1],
        },
    )
    exercise = replace(exercise, answer_kind=AnswerKind.MATRIX)
    assert exercise.expected == [[4, 3], [3, 1]]
    assert _found(exercise) == {
        "kernel_flipped": [[2, 4], [3, 0]],
        "bias_forgotten": [[3, 2], [2, 0]],
        "stride_ignored": [[4, 5, 3], [6, 2, 5], [3, 4, 1]],
        "channels_not_summed": [[2, 1], [1, -1]],
    }
    assert grade_exercise(FAMILY, exercise, _text([[2, 1], [1, -1]])).mistake == (
        "channels_not_summed"
    )


def test_two_filters_give_a_tensor_answer() -> None:
    for seed in range(40):
        exercise = FAMILY.make(seed, 3)
        if exercise.params["filters"] == 2:
            break
    assert exercise.answer_kind == "tensor"
    assert np.asarray(exercise.expected).shape == (2, 2, 2)
    assert "blank line between the filters" in exercise.prompt
    for mistake in mistakes(exercise):
        assert np.asarray(mistake.answer).ndim == 3


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_pictures_show_the_first_output_map(difficulty: int) -> None:
    for seed in range(30):
        exercise = FAMILY.make(seed, difficulty)
        params, picture = exercise.params, exercise.picture
        assert picture is not None and picture.kernel == "W"
        out = engine_reference.conv2d(
            exercise.tensors["X"],
            exercise.tensors["W"],
            exercise.params["b"],
            stride=params["stride"],
            padding=params["padding"],
        )
        assert np.array_equal(np.asarray(picture.output), out[0])
        assert picture.padding == (params["padding"],) * 2
        assert picture.stride == (params["stride"],) * 2


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(100)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(conv_forward.MISTAKES)
