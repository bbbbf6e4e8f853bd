"""conv-transpose-output-size: worked examples per difficulty and each mistake by hand."""

from __future__ import annotations

import pytest

from quiz.exercises.base import relevant_mistakes
from quiz.exercises.families import conv_transpose_output_size as family
from quiz.exercises.families.conv_transpose_output_size import FAMILY, Setup, build
from tests.support import named_mistake


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def test_difficulty_1_stride_1_grows_by_k_minus_1() -> None:
    setup = Setup(20, 20, (2, 2), (1, 1), (0, 0))  # (20 - 1) + (2 - 1) + 1
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "21 × 21"
    assert "`nn.ConvTranspose2d(..., kernel_size=2, stride=1)`" in exercise.prompt
    assert family.reference(exercise) == [21, 21]
    assert _named(setup, "19 × 19") == "used_conv_formula"  # 20 - 2 + 1
    assert _named(setup, "22 × 22") == "forgot_minus_one"  # 20 + 1 + 1


def test_difficulty_2_kernel_4_stride_2_padding_1_doubles() -> None:
    exercise = build(Setup(16, 16, (4, 4), (2, 2), (1, 1)), difficulty=2)
    assert exercise.answer == "32 × 32"  # 15 * 2 - 2 + 3 + 1
    assert "$(16 - 1)\\cdot2 - 2\\cdot1 + 1\\cdot(4 - 1) + 0 + 1 = 32$" in exercise.solution[1]


def test_difficulty_2_mistakes() -> None:
    setup = Setup(10, 10, (3, 3), (2, 2), (1, 1))  # 9 * 2 - 2 + 2 + 1 = 19
    assert build(setup).answer == "19 × 19"
    assert family.reference(build(setup)) == [19, 19]
    assert _named(setup, "5 × 5") == "used_conv_formula"  # floor((10 + 2 - 3)/2) + 1
    assert _named(setup, "21 × 21") == "forgot_minus_one"  # 10 * 2 - 2 + 2 + 1
    assert _named(setup, "20 × 20") == "padding_once"  # 18 - 1 + 2 + 1
    assert _named(setup, "23 × 23") == "padding_added"  # 18 + 2 + 2 + 1


def test_difficulty_3_output_padding_and_dilation() -> None:
    # Height: 9*2 - 2*3 + 2*3 + 0 + 1 = 19; width: 18*2 - 2*2 + 2*4 + 1 + 1 = 42.
    setup = Setup(10, 19, (4, 5), (2, 2), (3, 2), (0, 1), dilation=2)
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "19 × 42"
    assert "output_padding=(0, 1), dilation=2" in exercise.prompt
    assert family.reference(exercise) == [19, 42]
    assert _named(setup, "19 × 41") == "output_padding_ignored"
    assert _named(setup, "16 × 38") == "dilation_ignored"
    assert _named(setup, "42 × 19") == "height_width_swapped"
    assert _named(setup, "22 × 44") == "padding_once"
    assert _named(setup, "31 × 50") == "padding_added"
    assert _named(setup, "21 × 44") == "forgot_minus_one"
    assert _named(setup, "5 × 8") == "used_conv_formula"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_layers_match_their_difficulty(difficulty: int) -> None:
    for seed in range(300):
        setup = Setup.from_params(dict(FAMILY.make(seed, difficulty).params))
        if difficulty == 1:
            assert setup.stride == (1, 1) and setup.padding == (0, 0)
        elif difficulty == 2:
            assert setup.stride == (2, 2) and setup.padding[0] > 0
        else:
            assert setup.height != setup.width and setup.output_padding != (0, 0)
            assert all(
                op < max(s, setup.dilation)
                for op, s in zip(setup.output_padding, setup.stride, strict=True)
            )


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(300)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)


def test_output_padding_follows_pytorch_s_rule_and_the_feedback_says_it() -> None:
    """output_padding < max(stride, dilation) on each axis, as nn.ConvTranspose2d requires; at
    stride 1 it occurs only with dilation 2, and the feedback states the rule."""
    seen_stride_one = 0
    for seed in range(300):
        params = FAMILY.make(seed, 3).params
        for padding, stride in zip(params["output_padding"], params["stride"], strict=True):
            assert padding < max(stride, params["dilation"]), (seed, params)
            seen_stride_one += padding > 0 and stride == 1
    assert seen_stride_one > 0
    message = next(
        m.message for m in family.mistakes(FAMILY.make(0, 3)) if m.tag == "output_padding_ignored"
    )
    assert "\\max(s, d)" in message
