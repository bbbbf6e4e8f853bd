"""parameter-count: worked examples per difficulty and each mistake on a hand-made layer."""

from __future__ import annotations

import pytest

from quiz.exercises.base import relevant_mistakes
from quiz.exercises.families import parameter_count as family
from quiz.exercises.families.parameter_count import FAMILY, Setup, build
from tests.support import named_mistake


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def test_difficulty_1_weights_and_biases() -> None:
    setup = Setup(3, 16, (3, 3))  # 16 * 3 * 3 * 3 = 432 weights + 16 biases
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "448"
    assert "`nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3)`" in exercise.prompt
    assert "$16 \\cdot 3 \\cdot 3 \\cdot 3 = 432$" in exercise.solution[0]
    assert family.reference(exercise) == 448
    assert _named(setup, "432") == "bias_forgotten"
    assert _named(setup, "864") == "bias_per_weight"
    assert _named(setup, "160") == "input_channels_forgotten"  # 16 * 9 + 16
    assert _named(setup, "27") == "weights_only_per_filter"
    assert _named(setup, "28") == "weights_only_per_filter"


def test_difficulty_2_no_bias_and_a_non_square_kernel() -> None:
    setup = Setup(8, 32, (3, 5), bias=False)  # 32 * 8 * 3 * 5
    exercise = build(setup, difficulty=2)
    assert exercise.answer == "3840"
    assert "kernel_size=(3, 5), bias=False" in exercise.prompt
    assert "**no** bias" in exercise.prompt
    assert family.reference(exercise) == 3840
    assert _named(setup, "3872") == "bias_counted_when_off"
    assert _named(setup, "480") == "input_channels_forgotten"
    assert _named(setup, "120") == "weights_only_per_filter"


def test_difficulty_3_groups() -> None:
    setup = Setup(16, 32, (3, 3), groups=4)  # each filter sees 4 channels: 32 * 4 * 9 + 32
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "1184"
    assert "groups=4" in exercise.prompt and "in $4$ groups" in exercise.prompt
    assert family.reference(exercise) == 1184
    assert _named(setup, "4640") == "groups_ignored"  # 32 * 16 * 9 + 32
    assert _named(setup, "296") == "one_group_only"  # 8 filters * (36 + 1)
    assert _named(setup, "320") == "input_channels_forgotten"


def test_difficulty_3_depthwise() -> None:
    setup = Setup(32, 32, (3, 3), groups=32, bias=False)  # 32 * 1 * 9
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "288"
    assert "depthwise" in exercise.prompt
    assert family.reference(exercise) == 288
    assert _named(setup, "9216") == "groups_ignored"
    assert _named(setup, "320") == "bias_counted_when_off"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_layers_match_their_difficulty(difficulty: int) -> None:
    for seed in range(300):
        setup = Setup.from_params(dict(FAMILY.make(seed, difficulty).params))
        kh, kw = setup.kernel
        if difficulty == 1:
            assert kh == kw and setup.bias and setup.groups == 1
        elif difficulty == 2:
            assert kh != kw and setup.groups == 1
        else:
            assert setup.groups > 1
            assert setup.in_channels % setup.groups == 0 == setup.out_channels % setup.groups


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(300)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
