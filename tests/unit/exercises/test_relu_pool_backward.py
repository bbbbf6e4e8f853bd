"""relu-pool-backward: G goes to each window's maximum of ReLU(Z), then the mask [Z > 0];
worked by hand, each mistake it names, and what each difficulty generates."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine import reference as engine_reference
from quiz.exercises.base import Exercise, grade_exercise, relevant_mistakes
from quiz.exercises.families import relu_pool_backward
from quiz.exercises.families.relu_pool_backward import FAMILY, reference
from quiz.exercises.families.tensors import Pooling


def _hand(difficulty: int, params: dict[str, Any], z: list[Any], g: list[Any]) -> Exercise:
    base = FAMILY.make(0, difficulty)
    exercise = replace(base, params={**base.params, **params}, tensors={"Z": [z], "G": [g]})
    return replace(exercise, expected=np.asarray(reference(exercise)).tolist())


def _found(exercise: Exercise) -> dict[str, list[Any]]:
    return {m.tag: m.answer for m in relevant_mistakes(FAMILY, exercise)}


def _raw(rows: list[list[float]]) -> str:
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def test_difficulty_1_by_hand() -> None:
    z = [[1, -2, 3, -4], [5, -6, 7, 8], [-9, 2, -3, 4], [6, -1, -5, -7]]
    # maxima: 5 at (1, 0), 8 at (1, 3), 6 at (3, 0), 4 at (2, 3) — all positive
    exercise = _hand(1, {"height": 4, "width": 4, "kernel": 2, "stride": 2}, z, [[2, -1], [3, -2]])
    assert exercise.expected == [[0, 0, 0, 0], [2, 0, 0, -1], [0, 0, 0, -2], [3, 0, 0, 0]]
    found = _found(exercise)
    assert "relu_skipped" not in found and "mask_forgotten" not in found  # no dead window
    assert found["relu_of_gradient"] == [[0, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 0]]
    # G/4 to every cell, then the mask: only Z > 0 keeps it
    assert found["averaged"] == [
        [0.5, 0, -0.25, 0],
        [0.5, 0, -0.25, -0.25],
        [0, 0.75, 0, -0.5],
        [0.75, 0, 0, 0],
    ]
    result = grade_exercise(FAMILY, exercise, "0 0 0 0\n2 0 0 0\n0 0 0 0\n3 0 0 0")
    assert result.mistake == "relu_of_gradient"


def test_difficulty_2_by_hand_all_negative_windows_pass_nothing() -> None:
    z = [[4, -3, -1, -10], [-8, -2, -11, -6], [-5, 2, -14, -13], [5, 8, -7, -4]]
    # windows (0, 1) and (1, 1) are all negative: A is 0 there, the first cell wins the tie,
    # and the mask zeroes it
    exercise = _hand(2, {"height": 4, "width": 4, "kernel": 2, "stride": 2}, z, [[3, -2], [-1, 4]])
    assert exercise.expected == [[3, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, -1, 0, 0]]
    found = _found(exercise)
    # without ReLU: the negative maxima -1 at (0, 2) and -4 at (3, 3) get G
    assert found["relu_skipped"] == [[3, 0, -2, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, -1, 0, 4]]
    # through A but unmasked: the first cells (0, 2) and (2, 2) keep G
    assert found["mask_forgotten"] == [[3, 0, -2, 0], [0, 0, 0, 0], [0, 0, 4, 0], [0, -1, 0, 0]]
    assert found["relu_of_gradient"] == [[3, 0, 0, 0], [0, 0, 0, 0], [0, 0, 4, 0], [0, 0, 0, 0]]
    result = grade_exercise(FAMILY, exercise, _raw(found["relu_skipped"]))
    assert result.mistake == "relu_skipped" and "[Z > 0]" in result.feedback
    result = grade_exercise(FAMILY, exercise, _raw(found["mask_forgotten"]))
    assert result.mistake == "mask_forgotten"


_Z3 = [[9, -8, -5, -15], [-6, -9, -4, 2], [-16, -13, 3, 5], [-7, -1, 6, -2]]
_G3 = [[-2, 4, 3], [2, 3, -2], [5, 2, 5]]
_OVERLAP = {"height": 4, "width": 4, "kernel": 2, "stride": 1}


def test_difficulty_3_by_hand_overlapping_windows_add_up() -> None:
    # 2×2 windows, stride 1: 6 at (3, 2) is the maximum of windows (2, 1) and (2, 2): 2 + 5;
    # windows (0, 1), (1, 0), (2, 0) are all negative (first cells (0, 1), (1, 0), (2, 0))
    exercise = _hand(3, _OVERLAP, _Z3, _G3)
    assert exercise.expected == [[-2, 0, 0, 0], [0, 0, 0, 3], [0, 0, 3, -2], [0, 0, 7, 0]]
    found = _found(exercise)
    assert found["overlaps_not_accumulated"] == [
        [-2, 0, 0, 0],
        [0, 0, 0, 3],
        [0, 0, 3, -2],
        [0, 0, 5, 0],
    ]
    # Z's maxima of the dead windows: -4 at (1, 2), -6 at (1, 0), -1 at (3, 1)
    assert found["relu_skipped"] == [[-2, 0, 0, 0], [2, 0, 4, 3], [0, 0, 3, -2], [0, 5, 7, 0]]
    assert found["mask_forgotten"] == [[-2, 4, 0, 0], [2, 0, 0, 3], [5, 0, 3, -2], [0, 0, 7, 0]]
    assert "relu_derivative_one_at_zero" not in found  # Z has no 0
    result = grade_exercise(FAMILY, exercise, _raw(found["overlaps_not_accumulated"]))
    assert result.mistake == "overlaps_not_accumulated"


def test_difficulty_3_by_hand_relu_derivative_at_zero() -> None:
    z = [row[:] for row in _Z3]
    z[0][1] = 0  # window (0, 1) is now 0, -5, -9, -4: the tie rule picks the 0 at (0, 1)
    exercise = _hand(3, _OVERLAP, z, _G3)
    assert exercise.expected == [[-2, 0, 0, 0], [0, 0, 0, 3], [0, 0, 3, -2], [0, 0, 7, 0]]
    found = _found(exercise)
    one_at_zero = [[-2, 4, 0, 0], [0, 0, 0, 3], [0, 0, 3, -2], [0, 0, 7, 0]]
    assert found["relu_derivative_one_at_zero"] == one_at_zero
    result = grade_exercise(FAMILY, exercise, _raw(one_at_zero))
    assert result.mistake == "relu_derivative_one_at_zero" and "[Z \\ge 0]" in result.feedback


def test_two_slips_with_one_answer_are_both_named() -> None:
    # window (0, 1) is all negative and its maximum -1 is its first cell: skipping ReLU and
    # forgetting the mask send G to the same cell
    z = [[4, -3, -1, -10], [-8, -2, -11, -6], [-5, 2, 6, -13], [5, 8, -7, -4]]
    exercise = _hand(2, {"height": 4, "width": 4, "kernel": 2, "stride": 2}, z, [[3, -2], [-1, 4]])
    found = _found(exercise)
    assert found["relu_skipped"] == found["mask_forgotten"]
    result = grade_exercise(FAMILY, exercise, _raw(found["relu_skipped"]))
    assert result.mistake == "relu_skipped"
    assert result.feedback.startswith("Two or more slips give exactly this answer")


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_exercises_match_their_difficulty(difficulty: int) -> None:
    for seed in range(60):
        exercise = FAMILY.make(seed, difficulty)
        params = exercise.params
        pooling = Pooling.from_params(dict(params))
        z = np.asarray(exercise.tensors["Z"], dtype=float)[0]
        assert len(np.unique(z)) == z.size and (z < 0).any() and (z > 0).any()
        assert params["padding"] == 0
        dead = [c for _, _, c in pooling.windows() if all(z[r] <= 0 for r in c)]
        if difficulty == 1:
            assert (params["height"], params["width"], params["kernel"], params["stride"]) == (
                4,
                4,
                2,
                2,
            )
            assert not dead and 0 not in z
        elif difficulty == 2:
            assert params["height"] == params["width"] in (4, 6)
            assert (params["kernel"], params["stride"]) == (2, 2) and 0 not in z
            assert 1 <= len(dead) <= len(list(pooling.windows())) // 2
        else:
            assert pooling.overlaps() and dead
            maxima = [at for _, _, at in pooling.argmaxes(np.maximum(z, 0)) if z[at] > 0]
            assert len(maxima) > len(set(maxima))  # some cell adds two gradients
        prompt = exercise.prompt
        assert "first maximum in row-major order" in prompt
        assert "ReLU's derivative at $0$ is taken as $0$" in prompt and "no padding" in prompt
        forward = engine_reference.max_pool2d(
            np.maximum(z, 0)[None], params["kernel"], params["stride"]
        )[0]
        picture = exercise.picture
        assert picture is not None and np.array_equal(np.asarray(picture.output), forward)
        assert picture.window == (params["kernel"],) * 2 and picture.input == "Z"


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(100)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(relu_pool_backward.MISTAKES)
