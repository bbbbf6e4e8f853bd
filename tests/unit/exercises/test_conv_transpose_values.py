"""conv-transpose-values: the scatter view by hand per difficulty, and each mistake it names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import reference as engine_reference
from quiz.exercises.base import Exercise, relevant_mistakes
from quiz.exercises.families import conv_transpose_values
from quiz.exercises.families.conv_transpose_values import FAMILY, Setup, build, reference
from quiz.exercises.families.tensors import flip, pad
from tests.support import named_mistake

# K is not symmetric under a 180° rotation (flip(K) has the 2 at the bottom left)
K3 = [[1, 1, 2], [1, 1, 1], [1, 1, 1]]
X2 = [[1, 2], [-1, 1]]


def _found(exercise: Exercise) -> dict[str, list[Any]]:
    """Each mistake's answer by tag (``padding_cropped_once`` has two: a list of both)."""
    found: dict[str, Any] = {}
    for mistake in relevant_mistakes(FAMILY, exercise):
        if mistake.tag in found:
            found[mistake.tag] = [found[mistake.tag], mistake.answer]
        else:
            found[mistake.tag] = mistake.answer
    return found


def _raw(rows: list[list[int]]) -> str:
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def _named(exercise: Exercise, rows: list[list[int]]) -> str | None:
    return named_mistake(FAMILY, exercise, _raw(rows))


def test_difficulty_1_by_hand_the_stamps_tile_the_output() -> None:
    # k = s = 2: X[i][j]·K lands on rows 2i..2i+1, columns 2j..2j+1, no overlaps
    exercise = build(Setup(2, 2, 2, 2, 0), [[1, -2], [3, 1]], [[1, 2], [-1, 1]], difficulty=1)
    assert exercise.expected == [[1, 2, -2, -4], [-1, 1, 2, -2], [3, 6, 1, 2], [-3, 3, -1, 1]]
    assert np.allclose(reference(exercise), exercise.expected)
    assert _found(exercise) == {
        # the rotated kernel [[1, -1], [2, 1]] stamped instead
        "kernel_flipped": [[1, -1, -2, 2], [2, 1, -4, -2], [3, -3, 1, -1], [6, 3, 2, 1]],
        # stamps 1 apart overlap: the centre gets 1·1 + (-2)·(-1) + 3·2 + 1·1 = 10
        "stride_ignored": [[1, 0, -4], [2, 10, 0], [-3, 2, 1]],
        # conv2d(X, K): 1·1 + (-2)·2 + 3·(-1) + 1·1
        "used_convolution": [[-5]],
    }
    assert _named(exercise, [[1, -1, -2, 2], [2, 1, -4, -2], [3, -3, 1, -1], [6, 3, 2, 1]]) == (
        "kernel_flipped"
    )
    assert _named(exercise, [[1, 0, -4], [2, 10, 0], [-3, 2, 1]]) == "stride_ignored"
    assert _named(exercise, [[-5]]) == "used_convolution"
    assert "no padding and no bias" in exercise.prompt
    assert "cross-correlation" in exercise.prompt


def test_difficulty_2_by_hand_overlapping_stamps_add_up() -> None:
    # 3×3 stamps 2 apart on a 5×5 output: row 2 and column 2 are shared
    exercise = build(Setup(2, 2, 3, 2, 0), X2, K3, difficulty=2)
    assert exercise.expected == [
        [1, 1, 4, 2, 4],  # column 2: 1·2 + 2·1
        [1, 1, 3, 2, 2],
        [0, 0, 2, 3, 4],  # centre: 1·1 + 2·1 + (-1)·2 + 1·1
        [-1, -1, 0, 1, 1],
        [-1, -1, 0, 1, 1],
    ]
    assert np.allclose(reference(exercise), exercise.expected)
    found = _found(exercise)
    assert found["overlaps_not_summed"] == [
        [1, 1, 2, 2, 4],
        [1, 1, 2, 2, 2],
        [-1, -1, 1, 1, 2],
        [-1, -1, 1, 1, 1],
        [-1, -1, 1, 1, 1],
    ]
    assert found["kernel_flipped"] == [
        [1, 1, 3, 2, 2],
        [1, 1, 3, 2, 2],
        [1, 0, 5, 3, 3],
        [-1, -1, 0, 1, 1],
        [-2, -1, 1, 1, 1],
    ]
    assert found["stride_ignored"] == [[1, 3, 4, 4], [0, 3, 2, 4], [0, 3, 3, 3], [-1, 0, 0, 1]]
    assert "used_convolution" not in found  # a 3×3 kernel does not fit a 2×2 input
    assert _named(exercise, found["overlaps_not_summed"]) == "overlaps_not_summed"
    assert _named(exercise, found["stride_ignored"]) == "stride_ignored"
    # the checkerboard: the shared row and column are covered twice, the centre four times
    assert "1, 1, 2, 1, 1" in exercise.solution[-1]
    assert "checkerboard" in exercise.solution[-1]


def test_difficulty_2_stride_1_is_evenly_covered() -> None:
    exercise = build(Setup(2, 2, 2, 1, 0), [[1, -1], [2, 3]], [[1, 2], [-1, 1]], difficulty=2)
    # O[r][c] = Σ X[i][j]·K[r - i][c - j]; the centre: 1·1 + (-1)·(-1) + 2·2 + 3·1 = 9
    assert exercise.expected == [[1, 1, -2], [1, 9, 5], [-2, -1, 3]]
    assert "(k/s)^2 = 4" in exercise.solution[-1]
    # last write wins, input cells in row-major order: X[1][1]·K is written last
    assert _named(exercise, [[1, -1, -2], [2, 3, 6], [-2, -3, 3]]) == "overlaps_not_summed"


def test_difficulty_3_by_hand_padding_crops_each_side() -> None:
    # the 5×5 of difficulty 2 with 1 row and column cut from each side
    exercise = build(Setup(2, 2, 3, 2, 1), X2, K3, difficulty=3)
    assert exercise.expected == [[1, 3, 2], [0, 2, 3], [-1, 0, 1]]
    assert np.allclose(reference(exercise), exercise.expected)
    found = _found(exercise)
    full = [
        [1, 1, 4, 2, 4],
        [1, 1, 3, 2, 2],
        [0, 0, 2, 3, 4],
        [-1, -1, 0, 1, 1],
        [-1, -1, 0, 1, 1],
    ]
    assert found["padding_not_cropped"] == full
    top_left = [[1, 3, 2, 2], [0, 2, 3, 4], [-1, 0, 1, 1], [-1, 0, 1, 1]]
    bottom_right = [[1, 1, 4, 2], [1, 1, 3, 2], [0, 0, 2, 3], [-1, -1, 0, 1]]
    assert found["padding_cropped_once"] == [top_left, bottom_right]
    assert found["kernel_flipped"] == [[1, 3, 2], [0, 5, 3], [-1, 0, 1]]
    assert found["overlaps_not_summed"] == [[1, 2, 2], [-1, 1, 1], [-1, 1, 1]]
    assert found["stride_ignored"] == [[3, 2], [3, 3]]
    assert found["used_convolution"] == [[3]]  # conv2d(pad(X, 1), K, stride 2): 1 + 2 - 1 + 1
    # answers of another size are graded as the mistakes they are, not as format errors
    assert _named(exercise, full) == "padding_not_cropped"
    assert _named(exercise, top_left) == "padding_cropped_once"
    assert _named(exercise, bottom_right) == "padding_cropped_once"
    assert _named(exercise, [[3, 2], [3, 3]]) == "stride_ignored"
    assert _named(exercise, [[1, 3, 2], [0, 5, 3], [-1, 0, 1]]) == "kernel_flipped"
    assert "padding $1$ on each side" in exercise.prompt
    # the checkerboard of k = 3, s = 2: 1, 2, 1 per axis, 1, 2, 4 in the plane
    checkerboard = "C = \\begin{bmatrix} 1 & 2 & 1 \\\\ 2 & 4 & 2 \\\\ 1 & 2 & 1 \\end{bmatrix}"
    assert checkerboard in exercise.solution[-1]
    assert "Odena" in exercise.solution[-1]


def test_the_gather_view_picture_is_a_real_convolution() -> None:
    """conv2d(X_up padded by k - 1 - p, K rotated by 180°) gives the answer, cell for cell."""
    for difficulty in (1, 2, 3):
        for seed in range(20):
            exercise = FAMILY.make(seed, difficulty)
            picture, params = exercise.picture, exercise.params
            assert picture is not None and picture.stride == (1, 1)
            x_up = np.asarray(exercise.tensors[picture.input], dtype=float)
            k_rot = np.asarray(exercise.tensors[picture.kernel or ""], dtype=float)
            assert np.array_equal(k_rot, flip(np.asarray(exercise.tensors["K"])))
            border = params["kernel"] - 1 - params["padding"]
            assert picture.padding == (border, border)
            gathered = engine_reference.conv2d(pad(x_up, border)[None], k_rot)[0, 0]
            assert np.array_equal(gathered, np.asarray(exercise.expected))
            assert np.array_equal(np.asarray(picture.output), np.asarray(exercise.expected))


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_exercises_match_their_difficulty(difficulty: int) -> None:
    for seed in range(60):
        exercise = FAMILY.make(seed, difficulty)
        setup = Setup.from_params(dict(exercise.params))
        x = np.asarray(exercise.tensors["X"])
        k = np.asarray(exercise.tensors["K"])
        assert x.shape == (1, setup.height, setup.width)
        assert k.shape == (1, 1, setup.kernel, setup.kernel)
        assert x.min() >= -3 and x.max() <= 3 and 0 not in x
        assert k.min() >= -2 and k.max() <= 2 and 0 not in k
        assert not np.array_equal(k, flip(k))
        if difficulty == 1:
            assert setup == Setup(2, 2, 2, 2, 0)
            assert np.shape(exercise.expected) == (4, 4)
        elif difficulty == 2:
            assert setup.padding == 0 and setup.height == setup.width in (2, 3)
            assert (setup.kernel, setup.stride) in ((3, 2), (2, 1))  # stamps overlap
        else:
            assert (setup.kernel, setup.stride, setup.padding) == (3, 2, 1)
            assert {setup.height, setup.width} <= {2, 3}
            assert "checkerboard" in exercise.solution[-1]
        assert "no bias" in exercise.prompt
        assert f"stride={setup.stride}, padding={setup.padding}" in exercise.prompt


def test_every_mistake_appears_somewhere() -> None:
    seen = {
        m.tag
        for difficulty in (1, 2, 3)
        for seed in range(60)
        for m in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(conv_transpose_values.MISTAKES)


def test_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torch.nn.functional")
    for difficulty in (1, 2, 3):
        for seed in range(10):
            exercise = FAMILY.make(seed, difficulty)
            params = exercise.params
            theirs = functional.conv_transpose2d(
                torch.tensor([exercise.tensors["X"]], dtype=torch.float64),
                torch.tensor(exercise.tensors["K"], dtype=torch.float64),
                stride=params["stride"],
                padding=params["padding"],
            )
            assert np.array_equal(theirs[0, 0].numpy(), np.asarray(exercise.expected))
