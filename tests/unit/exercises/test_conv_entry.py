"""conv-entry: one output entry of a conv layer, worked by hand, and each mistake it names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine import reference as engine_reference
from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import conv_entry
from quiz.exercises.families.conv_entry import FAMILY, mistakes, reference

A = [[1, 2, 0, -1], [3, -1, 2, 1], [0, 1, -2, 3], [2, 0, 1, -3]]


def _hand(difficulty: int, params: dict[str, Any], tensors: dict[str, Any]) -> Exercise:
    """A generated exercise with hand-made numbers put in (and its answer recomputed)."""
    base = FAMILY.make(0, difficulty)
    tensors = dict(tensors)
    params = {**base.params, **params, "b": tensors.pop("b")}  # the bias is a parameter
    exercise = replace(base, params=params, tensors=tensors)
    return replace(exercise, expected=reference(exercise))


def _found(exercise: Exercise) -> dict[str, float]:
    return {m.tag: m.answer for m in mistakes(exercise)}


def test_difficulty_1_by_hand() -> None:
    # row 1, column 2 (y = 1, x = 2): window [[2, 1], [-2, 3]] · [[1, -1], [2, 0]] = 2 - 1 - 4 = -3
    exercise = _hand(
        1,
        {"kernel": 2, "row": 1, "col": 2},
        {"X": [A], "W": [[[[1, -1], [2, 0]]]], "b": [0]},
    )
    assert exercise.expected == -3
    assert _found(exercise) == {"kernel_flipped": 7, "height_width_swapped": 3}
    for raw, tag in (("7", "kernel_flipped"), ("3", "height_width_swapped")):
        result = grade_exercise(FAMILY, exercise, raw)
        assert result.mistake == tag and not result.correct
    assert grade_exercise(FAMILY, exercise, "-3").correct


def test_difficulty_2_by_hand_two_channels_and_a_bias() -> None:
    # channel 0 gives -3 (as above), channel 1 (all ones · all ones) gives 4, bias 2: 3
    exercise = _hand(
        2,
        {"kernel": 2, "height": 4, "width": 4, "row": 1, "col": 2},
        {
            "X": [A, np.ones((4, 4)).tolist()],
            "W": [[[[1, -1], [2, 0]], [[1, 1], [1, 1]]]],
            "b": [2],
        },
    )
    assert exercise.expected == 3
    assert _found(exercise) == {
        "kernel_flipped": 13,
        "bias_forgotten": 1,
        "channels_not_summed": -1,
        "height_width_swapped": 9,
    }
    assert grade_exercise(FAMILY, exercise, "-1").mistake == "channels_not_summed"
    assert grade_exercise(FAMILY, exercise, "1").mistake == "bias_forgotten"


def test_difficulty_3_by_hand_stride_and_padding() -> None:
    # 4×4 input, 3×3 kernel, stride 2, padding 1: row 1, column 1 reads padded rows/cols 2..4,
    # i.e. X[1:4, 1:4] = [[-1, 2, 1], [1, -2, 3], [0, 1, -3]]; with W below: -7, plus b = 1
    w = [[1, 0, -1], [0, 1, 0], [2, 0, 1]]
    exercise = _hand(
        3,
        {"height": 4, "width": 4, "kernel": 3, "row": 1, "col": 1},
        {"X": [A], "W": [[w]], "b": [1]},
    )
    assert exercise.expected == -6
    # no swap (x == y), and the unpadded window (rows 2..4) runs off the 4×4 input
    assert _found(exercise) == {"kernel_flipped": -3, "bias_forgotten": -7, "wrong_window": -1}
    assert grade_exercise(FAMILY, exercise, "-1").mistake == "wrong_window"


def test_padding_ignored_when_the_unpadded_window_fits() -> None:
    # row 0, column 0 (y = x = 0): padded window is X[0:2, 0:2] with a zero border; the
    # unpadded window X[0:3, 0:3] · all-ones = 6, plus b = 0
    exercise = _hand(
        3,
        {"height": 4, "width": 4, "kernel": 3, "row": 0, "col": 0},
        {"X": [A], "W": [[np.ones((3, 3)).tolist()]], "b": [0]},
    )
    assert exercise.expected == 1 + 2 + 3 - 1
    assert _found(exercise)["padding_ignored"] == 6


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_exercises_read_like_the_notes(difficulty: int) -> None:
    for seed in range(30):
        exercise = FAMILY.make(seed, difficulty)
        params = exercise.params
        where = f"**row {params['row']}, column {params['col']}**"
        assert where in exercise.prompt and "**not** flipped" in exercise.prompt
        assert "I[i][sx+j][sy+k]" in exercise.solution[0]
        assert exercise.answer_kind == "number"
        assert ("bias $b" in exercise.prompt) == (difficulty > 1)
        assert exercise.picture is not None
        out = engine_reference.conv2d(
            exercise.tensors["X"],
            exercise.tensors["W"],
            exercise.params["b"],
            stride=params["stride"],
            padding=params["padding"],
        )[0]
        assert np.array_equal(np.asarray(exercise.picture.output), out)
        assert exercise.expected == out[params["row"], params["col"]]


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(100)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(conv_entry.MISTAKES)
