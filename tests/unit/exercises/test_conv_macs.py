"""conv-macs: worked examples per difficulty and each mistake on a hand-made layer."""

from __future__ import annotations

import pytest

from quiz.exercises.base import relevant_mistakes
from quiz.exercises.families import conv_macs as family
from quiz.exercises.families.conv_macs import FAMILY, Setup, build
from tests.support import named_mistake


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def test_difficulty_1_one_input_channel() -> None:
    setup = Setup(1, 10, 10, 8, 3)  # 8 x 8 outputs per filter: 8 * 64 * 9
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "4608"
    assert "$1 \\times 10 \\times 10$" in exercise.prompt and "$8$ filters" in exercise.prompt
    assert exercise.solution[-1] == "MACs: $512 \\cdot 9 = 4608$."
    assert family.reference(exercise) == 4608
    assert _named(setup, "7200") == "used_input_size"  # 8 * 100 * 9
    assert _named(setup, "576") == "output_channels_forgotten"  # 64 * 9
    assert _named(setup, "80") == "counted_parameters"  # 72 weights + 8 biases
    assert _named(setup, "72") == "counted_parameters"


def test_difficulty_2_padding_and_stride() -> None:
    setup = Setup(3, 14, 14, 8, 3, stride=2, padding=1)  # 7 x 7 outputs: 8 * 49 * 27
    exercise = build(setup, difficulty=2)
    assert exercise.answer == "10584"
    assert "stride=2, padding=1" in exercise.prompt
    assert family.reference(exercise) == 10584
    assert _named(setup, "42336") == "used_input_size"  # 8 * 196 * 27
    assert _named(setup, "3528") == "input_channels_forgotten"  # 8 * 49 * 9
    assert _named(setup, "1323") == "output_channels_forgotten"  # 49 * 27
    assert _named(setup, "224") == "counted_parameters"


def test_difficulty_3_groups() -> None:
    setup = Setup(8, 16, 16, 16, 3, padding=1, groups=4)  # 16 * 256 * (2 * 9)
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "73728"
    assert family.reference(exercise) == 73728
    assert _named(setup, "294912") == "groups_ignored"  # 16 * 256 * 8 * 9
    assert _named(setup, "36864") == "input_channels_forgotten"  # 16 * 256 * 9


def test_difficulty_3_depthwise() -> None:
    setup = Setup(32, 16, 15, 32, 5, stride=2, padding=2, groups=32)  # 8 x 8 outputs
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "51200"  # 32 * 64 * 25
    assert "depthwise" in exercise.prompt
    assert family.reference(exercise) == 51200
    assert _named(setup, "1638400") == "groups_ignored"  # 32 * 64 * 32 * 25
    assert _named(setup, "192000") == "used_input_size"  # 32 * 240 * 25


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_layers_match_their_difficulty(difficulty: int) -> None:
    for seed in range(300):
        setup = Setup.from_params(dict(FAMILY.make(seed, difficulty).params))
        if difficulty == 1:
            assert setup.in_channels == 1 and setup.groups == 1 and setup.padding == 0
        elif difficulty == 2:
            assert setup.in_channels > 1 and setup.groups == 1
        else:
            assert setup.groups > 1


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(300)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
