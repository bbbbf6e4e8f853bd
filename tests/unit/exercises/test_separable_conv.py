"""separable-conv: worked examples per difficulty (counted by hand) and each mistake on a
hand-made block."""

from __future__ import annotations

import pytest

from quiz.exercises.base import grade_exercise, relevant_mistakes
from quiz.exercises.families import separable_conv as family
from quiz.exercises.families.separable_conv import (
    FAMILY,
    MAC_RATIO,
    MOBILENET_LAYERS,
    PARAMETER_RATIO,
    SEPARABLE_MACS,
    SEPARABLE_PARAMETERS,
    STANDARD_PARAMETERS,
    Setup,
    build,
)
from tests.support import named_mistake


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def _right(setup: Setup, raw: str) -> bool:
    return grade_exercise(FAMILY, build(setup), raw).correct


def test_difficulty_1_separable_parameters_without_bias() -> None:
    setup = Setup(3, 32, 32, 16, 3)  # depthwise 3 * 9 = 27, pointwise 3 * 16 = 48
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "75"
    assert family.reference(exercise) == 75
    assert "`nn.Conv2d(3, 3, kernel_size=3, padding=1, groups=3, bias=False)`" in exercise.prompt
    assert "`nn.Conv2d(3, 16, kernel_size=1, bias=False)`" in exercise.prompt
    assert "**No** convolution has a bias" in exercise.prompt
    assert "$1$ zero on each side" in exercise.prompt
    assert "$3 \\cdot 3 \\cdot 3 = 27$ weights" in exercise.solution[0]
    assert "$16 \\cdot 3 = 48$ weights" in exercise.solution[1]
    assert "$27 + 48 = 75$" in exercise.solution[2]
    assert _named(setup, "27") == "pointwise_forgotten"
    assert _named(setup, "129") == "depthwise_as_full_conv"  # 3 * 3 * 9 + 48
    assert _named(setup, "94") == "bias_counted_when_off"  # 75 + 3 + 16
    assert _named(setup, "91") == "bias_counted_when_off"  # 75 + 16 (pointwise bias only)
    assert _named(setup, "76") is None


def test_difficulty_1_standard_parameters() -> None:
    setup = Setup(3, 32, 32, 16, 3, ask=STANDARD_PARAMETERS)  # 16 * 3 * 3 * 3
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "432"
    assert family.reference(exercise) == 432
    assert "**standard** convolution" in exercise.prompt
    assert "`nn.Conv2d(3, 16, kernel_size=3, padding=1, bias=False)`" in exercise.prompt
    assert _named(setup, "448") == "bias_counted_when_off"
    assert _named(setup, "75") is None  # the other design: no slip we can name


def test_difficulty_2_separable_macs() -> None:
    # 16 x 16 = 256 positions; depthwise 8 * 9 = 72 and pointwise 8 * 16 = 128 products each
    setup = Setup(8, 16, 16, 16, 3, ask=SEPARABLE_MACS)
    exercise = build(setup, difficulty=2)
    assert exercise.answer == "51200"  # 18432 + 32768
    assert family.reference(exercise) == 51200
    assert "batch size 1" in exercise.prompt
    assert "including products with padding zeros" in exercise.prompt
    assert "don't count the bias additions" in exercise.prompt
    assert "$8 \\cdot 256 \\cdot 9 = 18432$ MACs" in exercise.solution[1]
    assert "$16 \\cdot 256 \\cdot 8 = 32768$ MACs" in exercise.solution[2]
    assert _named(setup, "18432") == "pointwise_forgotten"
    assert _named(setup, "200") == "macs_without_spatial_size"
    assert _named(setup, "180224") == "depthwise_as_full_conv"  # 256 * (8 * 8 * 9 + 128)


def test_difficulty_2_parameters_with_biases() -> None:
    setup = Setup(16, 20, 20, 32, 5, bias=True)  # (400 + 16) + (512 + 32)
    exercise = build(setup, difficulty=2)
    assert exercise.answer == "960"
    assert family.reference(exercise) == 960
    assert "Every convolution has a bias" in exercise.prompt
    assert "$2$ zeros on each side" in exercise.prompt
    assert _named(setup, "912") == "bias_forgotten"
    assert _named(setup, "944") == "bias_forgotten"  # the depthwise biases forgotten
    assert _named(setup, "416") == "pointwise_forgotten"
    assert _named(setup, "6960") == "depthwise_as_full_conv"  # 16 * 16 * 25 + 512 + 48

    standard = Setup(16, 20, 20, 32, 5, bias=True, ask=STANDARD_PARAMETERS)
    exercise = build(standard, difficulty=2)
    assert exercise.answer == "12832"  # 32 * 16 * 25 + 32
    assert family.reference(exercise) == 12832
    assert _named(standard, "12800") == "bias_forgotten"


def test_difficulty_3_parameter_ratio() -> None:
    # standard 128 * 64 * 9 = 73728; separable 64 * 9 + 64 * 128 = 8768; 73728 / 8768 = 1152 / 137
    setup = Setup(64, 56, 56, 128, 3, ask=PARAMETER_RATIO)
    exercise = build(setup, difficulty=3)
    assert exercise.expected == pytest.approx(1152 / 137, rel=1e-15)
    assert family.reference(exercise) == pytest.approx(1152 / 137, rel=1e-12)
    assert "**standard ÷ separable**" in exercise.prompt and "fraction" in exercise.prompt
    assert _right(setup, "1152/137") and _right(setup, "73728/8768") and _right(setup, "8.40876")
    assert not _right(setup, "8.41")
    assert "\\frac{73728}{8768} = \\frac{1152}{137}" in exercise.solution[-2]
    assert "\\frac{1}{128} + \\frac{1}{9} = \\frac{137}{1152}" in exercise.solution[-1]
    assert _named(setup, "137/1152") == "ratio_inverted"
    assert _named(setup, "128") == "pointwise_forgotten"  # standard / depthwise = C_out
    assert _named(setup, "18/11") == "depthwise_as_full_conv"  # 73728 / (36864 + 8192)
    assert _named(setup, "577/70") == "bias_counted_when_off"  # 73856 / 8960


def test_difficulty_3_mac_ratio_is_the_parameter_ratio() -> None:
    setup = Setup(64, 56, 56, 128, 3, ask=MAC_RATIO)  # H * W cancels
    exercise = build(setup, difficulty=3)
    assert exercise.expected == pytest.approx(1152 / 137, rel=1e-15)
    assert family.reference(exercise) == pytest.approx(1152 / 137, rel=1e-12)
    assert "don't count the bias additions" in exercise.prompt
    assert _right(setup, "1152/137")
    assert _named(setup, "137/1152") == "ratio_inverted"
    assert _named(setup, "577/70") is None  # biases count in no MAC ratio


def test_difficulty_3_depth_multiplier() -> None:
    # K = 2: depthwise 16 -> 32 channels, 32 * 9 = 288; pointwise 32 * 64 = 2048
    setup = Setup(16, 14, 14, 64, 3, multiplier=2)
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "2336"
    assert family.reference(exercise) == 2336
    assert "`nn.Conv2d(16, 32, kernel_size=3, padding=1, groups=16, bias=False)`" in (
        exercise.prompt
    )
    assert "depth multiplier $K = 2$" in exercise.prompt
    assert _named(setup, "1168") == "multiplier_ignored"  # 16 * 9 + 16 * 64
    assert _named(setup, "1312") == "multiplier_ignored"  # 288 + 16 * 64
    assert _named(setup, "6656") == "depthwise_as_full_conv"  # 32 * 16 * 9 + 2048
    assert _named(setup, "288") == "pointwise_forgotten"
    assert _named(setup, "2432") == "bias_counted_when_off"

    biased = Setup(16, 14, 14, 64, 3, multiplier=2, bias=True)
    assert build(biased).answer == "2432"  # + 32 + 64 biases
    assert _named(biased, "2336") == "bias_forgotten"

    macs = Setup(16, 14, 14, 64, 3, multiplier=2, ask=SEPARABLE_MACS)
    exercise = build(macs, difficulty=3)
    assert exercise.answer == "457856"  # 196 * 2336
    assert family.reference(exercise) == 457856
    assert _named(macs, "228928") == "multiplier_ignored"  # 196 * 1168
    assert _named(macs, "2336") == "macs_without_spatial_size"
    assert _named(macs, "56448") == "pointwise_forgotten"  # 196 * 288


def test_two_slips_with_the_same_count_are_both_named() -> None:
    setup = Setup(2, 8, 8, 16, 3)  # 18 + 32 = 50; 2*2*9 + 32 = 68 = 50 + 2 + 16
    result = grade_exercise(FAMILY, build(setup), "68")
    assert result.mistake == "depthwise_as_full_conv"
    assert result.feedback.startswith("Two or more slips give exactly this answer")
    assert family._MESSAGES["depthwise_as_full_conv"] in result.feedback
    assert family._MESSAGES["bias_counted_when_off"] in result.feedback


def test_a_ratio_is_only_asked_of_blocks_it_holds_for() -> None:
    with pytest.raises(ValueError, match="ratio"):
        Setup(64, 56, 56, 128, 3, bias=True, ask=PARAMETER_RATIO)
    with pytest.raises(ValueError, match="ratio"):
        Setup(64, 56, 56, 128, 3, multiplier=2, ask=MAC_RATIO)
    with pytest.raises(ValueError, match="odd kernel"):
        Setup(64, 56, 56, 128, 4)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_blocks_match_their_difficulty(difficulty: int) -> None:
    asks = set()
    for seed in range(300):
        exercise = FAMILY.make(seed, difficulty)
        setup = Setup.from_params(dict(exercise.params))
        asks.add(setup.ask)
        assert setup.kernel in (3, 5, 7)
        if difficulty == 1:
            assert setup.ask in (SEPARABLE_PARAMETERS, STANDARD_PARAMETERS)
            assert not setup.bias and setup.multiplier == 1
            assert setup.in_channels <= 8 and setup.out_channels <= 32 and setup.kernel <= 5
        elif difficulty == 2:
            assert setup.multiplier == 1
            assert setup.ask == SEPARABLE_MACS or (
                setup.ask in (SEPARABLE_PARAMETERS, STANDARD_PARAMETERS) and setup.bias
            )
        elif setup.ask in (PARAMETER_RATIO, MAC_RATIO):
            assert setup.multiplier == 1 and not setup.bias
            assert (setup.in_channels, setup.out_channels, setup.height) in MOBILENET_LAYERS
            assert setup.width == setup.height
        else:
            assert setup.ask in (SEPARABLE_PARAMETERS, SEPARABLE_MACS)
            assert setup.multiplier > 1
    expected = {
        1: {SEPARABLE_PARAMETERS, STANDARD_PARAMETERS},
        2: {SEPARABLE_MACS, SEPARABLE_PARAMETERS, STANDARD_PARAMETERS},
        3: {PARAMETER_RATIO, MAC_RATIO, SEPARABLE_PARAMETERS, SEPARABLE_MACS},
    }
    assert asks == expected[difficulty]


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(200)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
