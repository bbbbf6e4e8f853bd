"""conv-vs-dense: worked examples per difficulty and each mistake on a hand-made layer."""

from __future__ import annotations

from fractions import Fraction

import pytest

from quiz.exercises.base import grade_exercise, relevant_mistakes
from quiz.exercises.families import conv_vs_dense as family
from quiz.exercises.families.conv_vs_dense import FAMILY, Setup, build
from tests.support import named_mistake


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def _right(setup: Setup, raw: str) -> bool:
    return grade_exercise(FAMILY, build(setup), raw).correct


def test_difficulty_1_the_fully_connected_layer() -> None:
    # 1 x 6 x 6 -> 2 x 4 x 4: n_in = 36, n_out = 32; 36 * 32 weights + 32 biases
    setup = Setup(1, 6, 6, 2, 3, ask="dense")
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "1184"
    assert "`nn.Conv2d(1, 2, kernel_size=3)`" in exercise.prompt
    assert "$1 \\times 6 \\times 6$" in exercise.prompt and "no padding" in exercise.prompt
    assert "**fully connected layer (b)**" in exercise.prompt
    assert family.reference(exercise) == 1184
    assert _named(setup, "1152") == "bias_forgotten"
    assert _named(setup, "74") == "output_size_left_out"  # 36 * 2 + 2: C_out outputs only
    assert _named(setup, "1332") == "output_size_left_out"  # 36 * 36 + 36
    assert _named(setup, "37") == "output_size_left_out"  # one output: 36 + 1
    assert _named(setup, "592") == "channels_left_out"  # 36 * 16 + 16: one output channel


def test_difficulty_1_the_conv_layer() -> None:
    # 4 filters of 1 x 2 x 2 plus 4 biases; the output is 4 x 4 x 4 (16 positions)
    setup = Setup(1, 5, 5, 4, 2, ask="conv")
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "20"
    assert family.reference(exercise) == 20
    assert _named(setup, "16") == "bias_forgotten"
    assert _named(setup, "320") == "sharing_mixed_up"  # 16 positions * 20: locally connected
    assert _named(setup, "260") == "sharing_mixed_up"  # 16 * 16 weights + 4 biases
    assert _named(setup, "80") == "bias_sharing_mixed_up"  # 16 weights + 4 * 16 biases
    # both counts side by side, and what sharing buys
    side_by_side = next(step for step in exercise.solution if step.startswith("Side by side"))
    assert "& 20" in side_by_side and "& 1\\,664" in side_by_side  # 25 * 64 + 64
    assert "\\tfrac{416}{5} = 83.2$ times" in side_by_side  # 1664 / 20
    assert any("**Parameter sharing**" in step for step in exercise.solution)
    assert any("**Translation equivariance**" in step for step in exercise.solution)


def test_difficulty_1_fully_connected_count_in_the_table_is_right() -> None:
    # n_in = 25, n_out = 4 * 16 = 64: 25 * 64 + 64 = 1664
    exercise = build(Setup(1, 5, 5, 4, 2, ask="dense"), difficulty=1)
    assert exercise.answer == "1664"


def test_difficulty_2_padding_stride_and_no_conv_bias() -> None:
    # H_out = floor((10 + 2 - 3) / 2) + 1 = 5, W_out = floor((8 + 2 - 3) / 2) + 1 = 4
    # n_in = 3 * 10 * 8 = 240, n_out = 4 * 5 * 4 = 80: 240 * 80 + 80
    setup = Setup(3, 10, 8, 4, 3, stride=2, padding=1, bias=False, ask="dense")
    exercise = build(setup, difficulty=2)
    assert exercise.answer == "19280"
    assert "`nn.Conv2d(3, 4, kernel_size=3, stride=2, padding=1, bias=False)`" in exercise.prompt
    assert "padding $1$ on each side" in exercise.prompt and "**no** bias" in exercise.prompt
    assert family.reference(exercise) == 19280
    assert _named(setup, "19200") == "bias_forgotten"
    assert _named(setup, "11568") == "padding_ignored"  # 4 x 3 outputs: 240 * 48 + 48
    assert _named(setup, "1620") == "channels_left_out"  # 80 * 20 + 20
    assert _named(setup, "6480") == "channels_left_out"  # 80 * 80 + 80: input channels
    assert _named(setup, "4820") == "channels_left_out"  # 240 * 20 + 20: output channels
    assert _named(setup, "964") == "output_size_left_out"  # 240 * 4 + 4


def test_difficulty_2_the_conv_layer_does_not_depend_on_the_image() -> None:
    setup = Setup(4, 9, 9, 8, 5, stride=1, padding=2, bias=False, ask="conv")  # 8 * 4 * 25
    exercise = build(setup, difficulty=2)
    assert exercise.answer == "800"
    assert family.reference(exercise) == 800
    assert _named(setup, "808") == "bias_counted_when_off"
    assert _named(setup, "200") == "channels_left_out"  # 8 * 25
    assert _named(setup, "64800") == "sharing_mixed_up"  # 9 * 9 positions * 800


def test_difficulty_3_the_locally_connected_layer() -> None:
    # H_out = W_out = floor((32 + 2 - 3) / 2) + 1 = 16: 256 positions of 16 * 27 + 16 = 448
    setup = Setup(3, 32, 32, 16, 3, stride=2, padding=1, bias=True, ask="local")
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "114688"
    assert "**(c) a locally connected layer**" in exercise.prompt
    assert "one per output value" in exercise.prompt
    assert family.reference(exercise) == 114688
    assert _named(setup, "110592") == "bias_forgotten"  # 256 * 432
    assert _named(setup, "110608") == "bias_sharing_mixed_up"  # 256 * 432 + 16
    assert _named(setup, "448") == "sharing_mixed_up"  # the conv layer
    assert _named(setup, "40960") == "channels_left_out"  # 256 * (16 * 9 + 16)
    assert _named(setup, "100800") == "padding_ignored"  # 15 * 15 * 448


def test_difficulty_3_the_ratio_is_a_fraction() -> None:
    # A LeNet-sized layer: 1 x 28 x 28 -> 6 x 28 x 28 with 5 x 5 filters and padding 2.
    # conv: 6 * 25 + 6 = 156; dense: 784 * 4704 + 4704 = 3692640; ratio 3692640/156 = 307720/13
    setup = Setup(1, 28, 28, 6, 5, stride=1, padding=2, bias=True, ask="ratio")
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "307720/13"
    assert "`3/4`" in exercise.prompt
    assert family.reference(exercise) == pytest.approx(307720 / 13, rel=1e-15)
    assert _right(setup, "3692640/156") and _right(setup, "23670.77")
    assert not _right(setup, "23670.8")  # six significant digits are not enough here
    assert _named(setup, "307328/13") == "bias_forgotten"  # 784 * 4704 / 156
    assert _named(setup, "24617.6") == "bias_forgotten"  # 3692640 / 150
    assert _named(setup, "785/26") == "sharing_mixed_up"  # dense / (784 * 156)
    assert _named(setup, "226080/13") == "padding_ignored"  # 24 x 24 outputs: 2712960 / 156
    assert "\\tfrac{307\\,720}{13}" in exercise.solution[-3]


def test_a_decimal_ratio_is_shown_without_an_exponent() -> None:
    assert family._ratio(Fraction(1234567, 1)) == "1\\,234\\,567"
    assert family._ratio(Fraction(2469135, 2)) == "\\tfrac{2\\,469\\,135}{2} = 1\\,234\\,567.5"
    assert family._ratio(Fraction(3703703, 3)) == "\\tfrac{3\\,703\\,703}{3} \\approx 1\\,234\\,568"
    assert family._ratio(Fraction(27664, 3)) == "\\tfrac{27\\,664}{3} \\approx 9\\,221.333"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_layers_match_their_difficulty(difficulty: int) -> None:
    for seed in range(300):
        exercise = FAMILY.make(seed, difficulty)
        setup = Setup.from_params(dict(exercise.params))
        if difficulty == 1:
            assert setup.in_channels == 1 and setup.height == setup.width <= 8
            assert setup.stride == 1 and setup.padding == 0 and setup.bias
            assert setup.ask in ("conv", "dense") and "(c)" not in exercise.prompt
            assert setup.dense < 20_000  # by hand
        elif difficulty == 2:
            assert setup.in_channels > 1 and (setup.stride, setup.padding) != (1, 0)
            assert setup.ask in ("conv", "dense") and "(c)" not in exercise.prompt
        else:
            assert setup.height == setup.width >= 16 and setup.out_channels >= 6
            assert setup.ask in ("local", "ratio") and "(c) a locally connected" in exercise.prompt


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(300)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
