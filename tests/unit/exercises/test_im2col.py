"""im2col: worked examples per difficulty (computed by hand), each mistake named on a hand-made
case, and generated questions that match their difficulty."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine import conv2d
from quiz.exercises.base import grade_exercise, relevant_mistakes
from quiz.exercises.families import im2col as family
from quiz.exercises.families.im2col import FAMILY, MISTAKES, Setup, build
from quiz.exercises.families.tensors import INDEX_BASE
from quiz.exercises.pictures import BarsPicture
from quiz.grading import AnswerKind
from tests.support import named_mistake

# two channels: 1 … 16 row by row, and their negatives (every value different)
X = [
    [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]],
    [[-1, -2, -3, -4], [-5, -6, -7, -8], [-9, -10, -11, -12], [-13, -14, -15, -16]],
]


def _named(setup: Setup, raw: str, tensors: dict | None = None) -> str | None:
    return named_mistake(FAMILY, build(setup, tensors), raw)


def _mistakes(setup: Setup, tensors: dict | None = None) -> dict[str, object]:
    return {m.tag: m.answer for m in relevant_mistakes(FAMILY, build(setup, tensors))}


# --- difficulty 1: the shape of one image's unfolded matrix ---


def test_difficulty_1_shape_by_hand() -> None:
    # 3 channels of 7 × 5, 3 × 3 kernel, stride 2, padding 1: rows 3·3·3 = 27;
    # H_out = floor((7 + 2 - 3)/2) + 1 = 4, W_out = floor((5 + 2 - 3)/2) + 1 = 3, L = 12
    setup = Setup("shape", 3, 7, 5, 3, stride=2, padding=1, filters=8)
    exercise = build(setup, difficulty=1)
    assert exercise.answer_kind == AnswerKind.SHAPE
    assert exercise.answer == "27 × 12"
    assert family.reference(exercise) == [27, 12]
    assert grade_exercise(FAMILY, exercise, "(27, 12)").correct
    assert "`nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)`" in exercise.prompt
    assert "zero padding $1$ on each side" in exercise.prompt
    assert "channel-major" in exercise.prompt and "**one image**" in exercise.prompt
    assert "rows × columns" in exercise.prompt
    assert "$L = 4 \\cdot 3 = 12$" in exercise.solution[2]
    assert _named(setup, "12 × 27") == "matrix_transposed"
    assert _named(setup, "27 × 35") == "input_positions_as_columns"  # 7 · 5 input positions
    # without padding: floor((7 - 3)/2) + 1 = 3 by floor((5 - 3)/2) + 1 = 2
    assert _named(setup, "27 × 6") == "padding_ignored"
    assert _named(setup, "27 × 8") == "columns_as_filters"


def test_difficulty_1_same_padding_keeps_every_position() -> None:
    # 3 × 3, stride 1, padding 1 on 6 × 6: L = 36 = H · W, so that slip is the right answer
    setup = Setup("shape", 2, 6, 6, 3, stride=1, padding=1, filters=4)
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "18 × 36"
    found = _mistakes(setup)
    assert "input_positions_as_columns" not in found
    assert found["padding_ignored"] == [18, 16]


def test_difficulty_1_two_slips_with_one_answer_are_both_named() -> None:
    # 1 channel of 4 × 4, 2 × 2 kernel, stride 2, padding 1: L = 3 · 3 = 9; without the padding
    # 2 · 2 = 4 columns, which is also the number of filters
    setup = Setup("shape", 1, 4, 4, 2, stride=2, padding=1, filters=4)
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "4 × 9"
    result = grade_exercise(FAMILY, exercise, "4 × 4")
    assert result.mistake == "padding_ignored"
    assert "zero padding" in result.feedback and "weight" in result.feedback


# --- difficulty 2: one entry of the unfolded input, or of the product ---


def test_difficulty_2_entry_by_hand() -> None:
    # 2 × 2 kernel, stride 1: W_out = 3, L = 9, rows 2·2·2 = 8. Row 5: c = 1, i = 0, j = 1;
    # column 7: y = 2, x = 1 -> X_1[2 + 0][1 + 1] = X_1[2][2] = -11
    setup = Setup("entry", 2, 4, 4, 2, stride=1, row=5, column=7)
    exercise = build(setup, {"X": X})
    assert exercise.answer == "-11"
    assert family.reference(exercise) == -11
    assert "**row 5, column 7**" in exercise.prompt and INDEX_BASE in exercise.prompt
    assert "channel-major" in exercise.prompt and "no padding" in exercise.prompt
    assert "$X_{1}[1 \\cdot 2 + 0][1 \\cdot 1 + 1] = X_{1}[2][2] = -11$" in exercise.solution[-1]
    # kernel cell first: 5 = (i·2 + j)·2 + c -> c = 1, i = 1, j = 0 -> X_1[3][1]
    assert _named(setup, "-14", {"X": X}) == "kernel_position_major"
    # from 1: row 4 (c = 1, i = 0, j = 0), column 6 (y = 2, x = 0) -> X_1[2][0]
    assert _named(setup, "-9", {"X": X}) == "one_based_index"
    # row 7 (c = 1, i = 1, j = 1), column 5 (y = 1, x = 2) -> X_1[2][3]
    assert _named(setup, "-12", {"X": X}) == "matrix_transposed"
    picture = exercise.picture
    assert picture is not None and picture.window == (2, 2)
    assert picture.output == ((0, 1, 2), (3, 4, 5), (6, 7, 8))  # column l of each window


def test_difficulty_2_entry_with_padding_by_hand() -> None:
    # 3 × 3, stride 2, padding 1: H_out = floor((4 + 2 - 3)/2) + 1 = 2, L = 4, rows 18.
    # Row 13: c = 1, i = 1, j = 1; column 3: y = 1, x = 1 -> padded (3, 3) = X_1[2][2] = -11
    setup = Setup("entry", 2, 4, 4, 3, stride=2, padding=1, row=13, column=3)
    exercise = build(setup, {"X": X})
    assert exercise.answer == "-11"
    assert "zero padding $1$ on each side" in exercise.prompt
    assert _named(setup, "-16", {"X": X}) == "padding_ignored"  # X_1[3][3], unpadded
    # kernel cell first: 13 = (i·3 + j)·2 + c -> c = 1, i = 2, j = 0 -> padded (4, 2) = X_1[3][1]
    assert _named(setup, "-14", {"X": X}) == "kernel_position_major"
    # from 1: row 12 (c = 1, i = 1, j = 0), column 2 (y = 1, x = 0) -> padded (3, 0): a zero
    assert _named(setup, "0", {"X": X}) == "one_based_index"
    assert "matrix_transposed" not in _mistakes(setup, {"X": X})  # column 13 does not exist
    corner = build(Setup("entry", 2, 4, 4, 3, stride=2, padding=1, row=0, column=0), {"X": X})
    assert corner.answer == "0" and "a padding zero" in corner.solution[-1]


W = [
    [[[1, 1], [1, 1]], [[2, 0], [0, 0]]],
    [[[1, -1], [2, 0]], [[0, 1], [-1, 1]]],
]


def test_difficulty_2_product_by_hand() -> None:
    # stride 2: L = 4; column 3 is the window at y = 1, x = 1 (rows 2-3, columns 2-3):
    # [11, 12, 15, 16, -11, -12, -15, -16] · row 1 of W_mat [1, -1, 2, 0, 0, 1, -1, 1]
    # = 11 - 12 + 30 + 0 + 0 - 12 + 15 - 16 = 16
    setup = Setup("product", 2, 4, 4, 2, stride=2, filters=2, row=1, column=3)
    tensors = {"X": X, "W": W}
    exercise = build(setup, tensors)
    assert exercise.answer == "16"
    assert family.reference(exercise) == 16
    assert conv2d(np.array(X), np.array(W), stride=2)[1, 1, 1] == 16  # the layer's output
    assert "`W.reshape(2, -1)`" in exercise.prompt and "no bias" in exercise.prompt
    assert "O[1][1][1]" in exercise.solution[-1]
    # columns in kernel-cell-first order [11, -11, 12, -12, 15, -15, 16, -16] against the
    # channel-major weights: 11 + 11 + 24 + 0 + 0 - 15 - 16 - 16 = -1
    assert _named(setup, "-1", tensors) == "kernel_position_major"
    # from 1: row 0, column 2 (rows 2-3, columns 0-1): 9 + 10 + 13 + 14 + 2·(-9) = 28
    assert _named(setup, "28", tensors) == "one_based_index"


# --- difficulty 3: memory ---


def test_difficulty_3_numbers_by_hand() -> None:
    # ResNet stage 1 on 32 images: rows 64·9 = 576, L = 56·56 = 3136;
    # 576 · 3136 = 1 806 336 per image, 57 802 752 for the batch
    setup = Setup("numbers", 64, 56, 56, 3, stride=1, padding=1, filters=64, batch=32)
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "57802752"
    assert family.reference(exercise) == 57_802_752
    assert "batch of $32$" in exercise.prompt and "on each side" in exercise.prompt
    assert "padding included" in exercise.prompt
    assert not grade_exercise(FAMILY, exercise, "57802753").correct  # counts are exact
    assert _named(setup, "6422528") == "no_duplication"  # 32 · 64 · 56 · 56
    assert _named(setup, "231211008") == "bytes_numbers_confused"
    assert _named(setup, "1806336") == "batch_ignored"
    assert _named(setup, "53747712") == "padding_ignored"  # 32 · 576 · 54 · 54
    assert "input_positions_as_columns" not in _mistakes(setup)  # L = H · W here


def test_difficulty_3_bytes_by_hand() -> None:
    # ResNet's stem on 8 images: rows 3·49 = 147; H_out = floor((224 + 6 - 7)/2) + 1 = 112,
    # L = 12 544; 147 · 12 544 = 1 843 968 per image; 8 images, 4 bytes: 59 006 976
    setup = Setup("bytes", 3, 224, 224, 7, stride=2, padding=3, filters=64, batch=8)
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "59006976"
    assert family.reference(exercise) == 59_006_976
    assert "(4 bytes per number)" in exercise.prompt and "float32" in exercise.prompt
    assert _named(setup, "14751744") == "bytes_numbers_confused"  # the numbers
    assert _named(setup, "7375872") == "batch_ignored"  # one image's bytes
    assert _named(setup, "4816896") == "no_duplication"  # 4 · 8 · 3 · 224 · 224
    assert _named(setup, "236027904") == "input_positions_as_columns"  # 4 · 8 · 147 · 224²
    assert _named(setup, "55888224") == "padding_ignored"  # 4 · 8 · 147 · 109²


def test_difficulty_3_ratio_by_hand() -> None:
    # 3 × 3, stride 2, "same" padding on 28 × 28: L = 14 · 14, ratio 9 · 196/784 = 9/4
    setup = Setup("ratio", 128, 28, 28, 3, stride=2, padding=1, filters=256, batch=64)
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "2.25"
    assert family.reference(exercise) == 2.25
    assert grade_exercise(FAMILY, exercise, "9/4").correct
    assert _named(setup, "1") == "no_duplication"
    assert _named(setup, "9") == "input_positions_as_columns"  # k² without the stride
    found = _mistakes(setup)
    assert found["padding_ignored"] == pytest.approx(9 * 13 * 13 / 784)
    assert "batch_ignored" not in found and "bytes_numbers_confused" not in found


def test_difficulty_3_no_padding_alexnet() -> None:
    # AlexNet's first layer on 16 images: rows 3·121 = 363, H_out = floor(216/4) + 1 = 55;
    # 363 · 3025 = 1 098 075 per image, 17 569 200 for the batch
    setup = Setup("numbers", 3, 227, 227, 11, stride=4, padding=0, filters=96, batch=16)
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "17569200"
    assert "no padding" in exercise.prompt and "padding included" not in exercise.prompt
    assert "padding_ignored" not in _mistakes(setup)
    assert "a little less than" in exercise.solution[-1]


# --- what each difficulty generates ---


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_questions_match_their_difficulty(difficulty: int) -> None:
    asks = set()
    for seed in range(300):
        exercise = FAMILY.make(seed, difficulty)
        setup = Setup.from_params(dict(exercise.params))
        asks.add(setup.ask)
        if difficulty == 1:
            assert setup.ask == "shape" and exercise.answer_kind == AnswerKind.SHAPE
            assert 1 <= setup.channels <= 3 and min(setup.height, setup.width) >= 4
            assert max(setup.height, setup.width) <= 8
            assert setup.kernel in (2, 3) and setup.stride in (1, 2) and setup.padding in (0, 1)
            assert not exercise.tensors and isinstance(exercise.picture, BarsPicture)
        elif difficulty == 2:
            assert setup.ask in ("entry", "product")
            assert (setup.channels, setup.height, setup.width) == (2, 4, 4)
            assert 0 <= setup.row < (setup.rows if setup.ask == "entry" else setup.filters)
            assert 0 <= setup.column < setup.positions
            assert exercise.picture is not None and INDEX_BASE in exercise.prompt
            x = np.asarray(exercise.tensors["X"])
            if setup.ask == "entry":
                key = (setup.kernel, setup.stride, setup.padding)
                assert key in {(2, 1, 0), (2, 2, 0), (3, 1, 0), (3, 2, 1)}
                assert len(set(x.ravel().tolist())) == x.size and 0 not in x
            else:
                assert setup.kernel == 2 and setup.padding == 0 and setup.filters in (2, 3)
                assert np.asarray(exercise.tensors["W"]).shape == (setup.filters, 2, 2, 2)
        else:
            assert setup.ask in ("numbers", "bytes", "ratio")
            layer = (setup.channels, setup.filters, setup.height, setup.kernel)
            assert (*layer, setup.stride, setup.padding) in family._LAYERS
            assert setup.batch in (8, 16, 32, 64)
            if setup.ask == "ratio":
                k, s = setup.kernel, setup.stride
                assert Fraction(exercise.expected).limit_denominator(16) == Fraction(k * k, s * s)
            else:
                assert exercise.grading == {"rel_tol": 0.0, "abs_tol": 0.0}
            assert isinstance(exercise.picture, BarsPicture)
    expected = {1: {"shape"}, 2: {"entry", "product"}, 3: {"numbers", "bytes", "ratio"}}
    assert asks == expected[difficulty]


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(200)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(MISTAKES)
