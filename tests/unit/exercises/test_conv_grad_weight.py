"""conv-grad-weight: ∂L/∂W = Σ_{y,x} G[y][x]·X[s·y + j][s·x + k], by hand, and its mistakes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine import reference as engine_reference
from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import conv_grad_weight
from quiz.exercises.families.conv_grad_weight import FAMILY, reference
from quiz.grading import AnswerKind, format_answer

A = [[1, 2, 0, -1], [3, -1, 2, 1], [0, 1, -2, 3], [2, 0, 1, -3]]
NINE = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


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
    return {m.tag: m.answer for m in relevant_mistakes(FAMILY, exercise)}


def _text(matrix: list[list[float]]) -> str:
    return format_answer("matrix", np.asarray(matrix, dtype=float))


def test_difficulty_1_by_hand() -> None:
    # G = [[1, 2], [0, 1]]: dW[j][k] = X[j][k] + 2·X[j][k+1] + X[j+1][k+1]
    exercise = _hand(
        1,
        {"height": 3, "width": 3, "kernel": 2},
        {"X": [NINE], "G": [[[1, 2], [0, 1]]]},
    )
    assert exercise.expected == [[10, 14], [22, 26]]
    assert _found(exercise) == {
        "not_summed": [[1, 2], [4, 5]],  # G[0][0] times the first window only
        "averaged_over_positions": [[2.5, 3.5], [5.5, 6.5]],
        "kernel_flipped": [[26, 22], [14, 10]],
        "height_width_swapped": [[14, 18], [26, 30]],  # G transposed
    }
    for answer, tag in (
        (_text([[2.5, 3.5], [5.5, 6.5]]), "averaged_over_positions"),
        ("1 2\n4 5", "not_summed"),
        ("26 22\n14 10", "kernel_flipped"),
    ):
        result = grade_exercise(FAMILY, exercise, answer)
        assert result.mistake == tag and not result.correct


def test_difficulty_2_by_hand_with_padding() -> None:
    # X = [[1, 2], [3, 4]] padded by 1 (4×4), 2×2 kernel, G (3×3) with 1 at (0,0) and 2 at (2,2):
    # dW[j][k] = X_pad[j][k] + 2·X_pad[2+j][2+k]
    exercise = _hand(
        2,
        {"height": 2, "width": 2, "kernel": 2, "padding": 1},
        {"X": [[[1, 2], [3, 4]]], "G": [[[1, 0, 0], [0, 0, 0], [0, 0, 2]]]},
    )
    assert exercise.expected == [[8, 0], [0, 1]]
    assert _found(exercise) == {
        "not_summed": [[0, 0], [0, 1]],
        "averaged_over_positions": [[8 / 9, 0], [0, 1 / 9]],
        "kernel_flipped": [[1, 0], [0, 8]],
        "padding_ignored": [[1, 2], [3, 4]],  # X[j][k] without the offset of 1
    }
    assert grade_exercise(FAMILY, exercise, "1 2\n3 4").mistake == "padding_ignored"
    assert grade_exercise(FAMILY, exercise, "8/9 0\n0 1/9").mistake == "averaged_over_positions"


def test_difficulty_3_by_hand_stride_two() -> None:
    # G = [[1, 0], [0, -1]] with stride 2: dW[j][k] = X[j][k] - X[2+j][2+k]
    exercise = _hand(
        3,
        {"channels": 1, "height": 4, "width": 4, "kernel": 2, "stride": 2, "padding": 0},
        {"X": [A], "G": [[[1, 0], [0, -1]]]},
    )
    assert exercise.expected == [[3, -1], [2, 2]]
    found = _found(exercise)
    assert found["stride_ignored"] == [[2, 0], [2, 1]]  # X[j][k] - X[1+j][1+k]
    assert found["not_summed"] == [[1, 2], [3, -1]]
    assert "height_width_swapped" not in found  # G is symmetric
    assert grade_exercise(FAMILY, exercise, "2 0\n2 1").mistake == "stride_ignored"


def test_two_input_channels_give_one_matrix_per_channel() -> None:
    for seed in range(40):
        exercise = FAMILY.make(seed, 3)
        if exercise.params["channels"] == 2:
            break
    assert exercise.answer_kind == "tensor"
    k = exercise.params["kernel"]
    assert np.asarray(exercise.expected).shape == (2, k, k)
    assert "one $" in exercise.prompt and "per input channel" in exercise.prompt


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_the_picture_is_the_computation_of_the_answer(difficulty: int) -> None:
    """Sliding G (dilated by the stride) over the padded input gives ∂L/∂W, cell for cell."""
    for seed in range(40):
        exercise = FAMILY.make(seed, difficulty)
        picture = exercise.picture
        assert picture is not None and (picture.input, picture.kernel) == ("X", "G")
        x = np.asarray(exercise.tensors["X"], dtype=float)[:1]
        g = np.asarray(exercise.tensors["G"], dtype=float)[None]
        slid = engine_reference.conv2d(
            x, g, padding=picture.padding, dilation=picture.dilation, stride=picture.stride
        )[0]
        expected = np.asarray(exercise.expected, dtype=float)
        first = expected if expected.ndim == 2 else expected[0]
        rows, cols = first.shape
        if slid.shape != first.shape:  # the stride leaves X's last row and column unread:
            assert (x.shape[-1] + 2 * picture.padding[0] - cols) % exercise.params["stride"]  # G
            # slides one step further there, onto cells no window of the layer reached
        assert np.array_equal(slid[:rows, :cols], first)
        assert np.array_equal(np.asarray(picture.output), first)
        assert "\\sum_{y,x} G" in " ".join(exercise.solution)


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(100)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(conv_grad_weight.MISTAKES)
