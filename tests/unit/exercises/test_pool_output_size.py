"""pool-output-size: worked examples per difficulty and each mistake on a hand-made case."""

from __future__ import annotations

import pytest

from quiz.exercises.base import grade_exercise, relevant_mistakes
from quiz.exercises.families import pool_output_size as family
from quiz.exercises.families.pool_output_size import FAMILY, Setup, build
from tests.support import named_mistake

SEEDS = range(300)


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def test_difficulty_1_default_stride_is_the_window() -> None:
    # 32 x 32, 2 x 2 window, stride left at its default (2): floor((32 - 2)/2) + 1 = 16.
    exercise = build(Setup(32, 32, (2, 2), None, (0, 0)), difficulty=1)
    assert exercise.answer == "16 × 16"
    assert "`nn.MaxPool2d(kernel_size=2)`" in exercise.prompt
    assert "stride left at its default" in exercise.prompt
    assert "window size" in exercise.solution[1]
    assert family.reference(exercise) == [16, 16]


def test_difficulty_1_mistakes() -> None:
    setup = Setup(33, 33, (2, 2), None, (0, 0))  # floor(31/2) + 1 = 16
    assert build(setup).answer == "16 × 16"
    assert _named(setup, "15 × 15") == "forgot_plus_one"
    assert _named(setup, "17 × 17") == "ceil_instead_of_floor"  # ceil(31/2) + 1
    assert _named(setup, "32 × 32") == "stride_default_wrong"  # (33 - 2)/1 + 1


def test_difficulty_2_channels_are_kept() -> None:
    # 64 x 16 x 16, 3 x 3 average pooling, stride 2, padding 1: floor((16 + 2 - 3)/2) + 1 = 8.
    setup = Setup(16, 16, (3, 3), (2, 2), (1, 1), op="avg", channels=64, layout="CHW")
    exercise = build(setup, difficulty=2)
    assert exercise.answer == "64 × 8 × 8"
    assert "`nn.AvgPool2d(kernel_size=3, stride=2, padding=1)`" in exercise.prompt
    assert "**off**" in exercise.prompt
    assert family.reference(exercise) == [64, 8, 8]
    assert _named(setup, "64 × 9 × 9") == "ceil_instead_of_floor"  # ceil(15/2) + 1
    assert _named(setup, "32 × 8 × 8") == "channels_changed"  # floor((64 + 2 - 3)/2) + 1
    assert _named(setup, "1 × 8 × 8") == "channels_changed"


def test_padding_once_is_told_apart_from_the_plus_one() -> None:
    setup = Setup(10, 10, (5, 5), (1, 1), (2, 2), channels=16, layout="CHW")
    assert build(setup).answer == "16 × 10 × 10"  # 10 + 4 - 5 + 1
    assert _named(setup, "16 × 8 × 8") == "padding_once"  # 10 + 2 - 5 + 1
    assert _named(setup, "16 × 9 × 9") == "forgot_plus_one"


def test_difficulty_3_ceil_mode_drops_a_window_that_starts_in_the_padding() -> None:
    # Height: ceil((5 + 2 - 2)/2) + 1 = 4, but window 3 would start at 3*2 = 6 >= 5 + 1: so 3.
    # Width (no padding): ceil((7 - 2)/2) + 1 = 4, window 3 starts at 6 < 7: kept.
    setup = Setup(5, 7, (2, 2), (2, 2), (1, 0), ceil_mode=True, channels=3, layout="CHW")
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "3 × 3 × 4"
    assert "ceil_mode=True" in exercise.prompt and "**on**" in exercise.prompt
    assert any("drops it" in step for step in exercise.solution)
    assert family.reference(exercise) == [3, 3, 4]
    assert _named(setup, "3 × 4 × 4") == "ceil_rule_ignored"
    assert _named(setup, "3 × 3 × 3") == "floor_with_ceil_mode"  # floor(5/2) + 1, floor(5/2) + 1
    assert _named(setup, "3 × 2 × 3") == "forgot_plus_one"
    assert _named(setup, "3 × 4 × 3") == "height_width_swapped"
    assert _named(setup, "2 × 3 × 4") == "channels_changed"  # floor((3 + 2 - 2)/2) + 1


def test_difficulty_3_dilation_and_default_stride() -> None:
    # Window span 3*(3-1)+1 = 7, stride 3 (default): floor(5/3)+1 = 2 and floor(7/3)+1 = 3.
    setup = Setup(12, 14, (3, 3), None, (0, 0), dilation=3, channels=8, layout="CHW")
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "8 × 2 × 3"
    assert "dilation=3" in exercise.prompt
    assert family.reference(exercise) == [8, 2, 3]
    assert _named(setup, "8 × 4 × 4") == "dilation_ignored"  # floor(9/3)+1, floor(11/3)+1
    assert _named(setup, "8 × 6 × 8") == "stride_default_wrong"  # 12 - 7 + 1, 14 - 7 + 1
    assert _named(setup, "8 × 3 × 4") == "ceil_instead_of_floor"  # ceil(5/3)+1, ceil(7/3)+1


def test_an_unrelated_wrong_answer_names_no_mistake() -> None:
    result = grade_exercise(FAMILY, build(Setup(32, 32, (2, 2), None, (0, 0))), "7 × 7")
    assert not result.correct and result.mistake is None


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_exercises_match_their_difficulty(difficulty: int) -> None:
    ceil_modes = set()
    for seed in SEEDS:
        setup = Setup.from_params(dict(FAMILY.make(seed, difficulty).params))
        assert all(p <= k // 2 for p, k in zip(setup.padding, setup.kernel, strict=True))
        if difficulty == 1:
            assert setup.layout == "HW" and setup.stride is None and setup.padding == (0, 0)
            assert setup.height == setup.width and setup.kernel[0] == setup.kernel[1]
        elif difficulty == 2:
            assert setup.layout == "CHW" and setup.stride != setup.kernel
            assert setup.height == setup.width and not setup.ceil_mode
        else:
            assert setup.height != setup.width
            assert setup.op == "max" or setup.dilation == 1
            ceil_modes.add(setup.ceil_mode)
    assert difficulty != 3 or ceil_modes == {True, False}


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(500)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
