"""global-pooling: worked examples per difficulty (numbers worked out by hand), each mistake
named on a hand-made case, and generated questions that match their difficulty."""

from __future__ import annotations

import pytest

from quiz.exercises.base import grade_exercise, relevant_mistakes
from quiz.exercises.families import global_pooling as family
from quiz.exercises.families.global_pooling import FAMILY, Setup, build
from quiz.grading import AnswerKind
from tests.support import named_mistake


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def _right(setup: Setup, raw: str) -> bool:
    return grade_exercise(FAMILY, build(setup), raw).correct


def _check(setup: Setup, answer: str, difficulty: int) -> None:
    exercise = build(setup, difficulty=difficulty)
    assert exercise.answer == answer
    assert _right(setup, answer)
    reference = family.reference(exercise)
    expected = exercise.expected
    if isinstance(expected, float):
        assert reference == pytest.approx(expected, rel=1e-15)
    else:
        assert reference == expected


# --- difficulty 1 ------------------------------------------------------------------------------


def test_difficulty_1_the_gap_output_shape() -> None:
    # AdaptiveAvgPool2d(1): one 6 x 6 window per channel, the 16 channels stay
    setup = Setup("gap_shape", 16, 6, 6, 3)
    _check(setup, "16 × 1 × 1", 1)
    exercise = build(setup, difficulty=1)
    assert exercise.answer_kind == AnswerKind.SHAPE
    assert "`nn.AdaptiveAvgPool2d(1)`" in exercise.prompt
    assert "$16 \\times 6 \\times 6$ (*channels × height × width*)" in exercise.prompt
    assert "Answer as *channels × height × width*" in exercise.prompt
    assert _right(setup, "(16, 1, 1)")
    assert _named(setup, "16 x 6 x 6") == "window_taken_as_1x1"  # a 1 x 1 window: no change


def test_difficulty_1_the_gap_has_no_parameters() -> None:
    setup = Setup("gap_params", 8, 4, 4)
    _check(setup, "0", 1)
    assert _named(setup, "128") == "pooling_counted_with_weights"  # 8 * 4 * 4, one per value
    assert _named(setup, "16") == "pooling_counted_with_weights"  # one 4 x 4 window
    assert _named(setup, "8") == "pooling_counted_with_weights"  # one per channel


def test_difficulty_1_the_gap_head() -> None:
    # GAP leaves 16 numbers: nn.Linear(16, 10) has 160 weights + 10 biases
    setup = Setup("gap_head", 16, 4, 4, 10)
    _check(setup, "170", 1)
    exercise = build(setup, difficulty=1)
    assert "head **(a)**" in exercise.prompt and "bias" in exercise.prompt
    assert "$10$ classes" in exercise.prompt
    assert _named(setup, "160") == "bias_forgotten"
    assert _named(setup, "2570") == "window_taken_as_1x1"  # 256 inputs: 2560 + 10
    assert _named(setup, "426") == "pooling_counted_with_weights"  # 170 + 256 pooling weights
    assert "$2\\,570$ parameters" in exercise.solution[-1]  # head (b), for comparison


def test_difficulty_1_the_flattening_head() -> None:
    # 8 x 3 x 3 flattens to 72 values: nn.Linear(72, 5) has 360 weights + 5 biases
    setup = Setup("flatten_head", 8, 3, 3, 5)
    _check(setup, "365", 1)
    assert _named(setup, "360") == "bias_forgotten"
    assert _named(setup, "45") == "not_flattened"  # nn.Linear(8, 5): 40 + 5


# --- difficulty 2 ------------------------------------------------------------------------------


def test_difficulty_2_the_kernel_of_the_fully_connected_layer_as_a_convolution() -> None:
    # nn.Linear(64 * 3 * 5 = 960, 100) = nn.Conv2d(64, 100, kernel_size=(3, 5))
    setup = Setup("kernel", 64, 3, 5, 100)
    _check(setup, "3 × 5", 2)
    exercise = build(setup, difficulty=2)
    assert "`nn.Linear(960, 100)`" in exercise.prompt
    assert "`nn.Conv2d(64, 100, kernel_size=…)`" in exercise.prompt
    assert "Answer as *height × width*" in exercise.prompt
    assert _named(setup, "1 x 1") == "window_taken_as_1x1"
    result = grade_exercise(FAMILY, exercise, "5 x 3")  # the right sizes, swapped
    assert not result.correct and "wrong order" in result.feedback


def test_difficulty_2_the_convolution_has_the_linear_layers_parameters() -> None:
    # 10 filters of 32 x 4 x 4 = 512 weights: 5120 weights + 10 biases, as nn.Linear(512, 10)
    setup = Setup("conv_params", 32, 4, 4, 10)
    _check(setup, "5130", 2)
    exercise = build(setup, difficulty=2)
    assert "with a bias" in exercise.prompt
    assert _named(setup, "5120") == "bias_forgotten"
    assert _named(setup, "330") == "window_taken_as_1x1"  # a 1 x 1 kernel: 32 * 10 + 10


def test_difficulty_2_the_convolutions_output_on_the_map_it_replaces() -> None:
    # a 6 x 7 kernel on a 6 x 7 map fits once: 64 x 1 x 1
    setup = Setup("conv_shape", 16, 6, 7, 64)
    _check(setup, "64 × 1 × 1", 2)
    assert _named(setup, "64 x 6 x 7") == "window_taken_as_1x1"


def test_difficulty_2_how_many_times_more_parameters_without_gap() -> None:
    # VGG's last map, 512 x 7 x 7, to 1000 classes: (a) 512 * 1000 + 1000 = 513000,
    # (b) 25088 * 1000 + 1000 = 25089000; (b)/(a) = 25089/513 = 8363/171 = 48.906432...
    setup = Setup("ratio", 512, 7, 7, 1000)
    exercise = build(setup, difficulty=2)
    assert exercise.expected == pytest.approx(8363 / 171, rel=1e-15)
    assert family.reference(exercise) == pytest.approx(8363 / 171, rel=1e-15)
    assert "`3/4`" in exercise.prompt and "(b)/(a)" in exercise.prompt
    assert _right(setup, "8363/171") and _right(setup, "25089/513")
    assert _right(setup, "48.90643") and not _right(setup, "48.9")
    assert _named(setup, "49") == "bias_forgotten"  # H * W: the weights alone
    assert _named(setup, "171/8363") == "ratio_inverted"
    result = grade_exercise(FAMILY, exercise, "1")  # (b) as nn.Linear(512, 1000), or (a)
    assert result.mistake == "not_flattened"  # as nn.Linear(25088, 1000): both slips named
    assert result.feedback.startswith("Two or more slips give exactly this answer")
    assert family._MESSAGES["window_taken_as_1x1"] in result.feedback
    assert "\\tfrac{8\\,363}{171} \\approx 48.90643" in exercise.solution[-1]


# --- difficulty 3 ------------------------------------------------------------------------------


def test_difficulty_3_sliding_over_a_larger_image_cs231n() -> None:
    # CS231n: 224 x 224 -> 512 x 7 x 7 (stride 32); a 384 x 384 image gives a 12 x 12 map,
    # and the 7 x 7 kernel fits 12 - 7 + 1 = 6 times each way
    setup = Setup("sliding", 512, 7, 7, 4096, 384, 384, 32)
    _check(setup, "4096 × 6 × 6", 3)
    exercise = build(setup, difficulty=3)
    assert "$224 \\times 224$ training image" in exercise.prompt
    assert "`nn.Linear(25088, 4096)`" in exercise.prompt
    assert "total stride of $32$" in exercise.prompt and "$384 \\times 384$" in exercise.prompt
    assert _named(setup, "4096 x 5 x 5") == "forgot_plus_one"
    assert _named(setup, "4096 x 12 x 12") == "window_taken_as_1x1"
    assert any("$224 \\times 224$ crops" in step for step in exercise.solution)


def test_difficulty_3_sliding_over_a_larger_map() -> None:
    # a 6 x 6 kernel on a 10 x 15 map: 5 x 10 positions
    setup = Setup("sliding", 256, 6, 6, 21, 10, 15)
    _check(setup, "21 × 5 × 10", 3)
    assert "$256 \\times 10 \\times 15$" in build(setup).prompt
    assert _named(setup, "21 x 4 x 9") == "forgot_plus_one"
    assert _named(setup, "21 x 10 x 15") == "window_taken_as_1x1"


def test_difficulty_3_the_strided_convolutions_output() -> None:
    # height floor((57 + 2 - 3)/2) + 1 = 29, width floor((28 + 2 - 3)/2) + 1 = 14; 128 filters
    setup = Setup("conv_downsample", 64, 57, 28, 128)
    _check(setup, "128 × 29 × 14", 3)
    exercise = build(setup, difficulty=3)
    assert "round down" in exercise.prompt and "padding $1$ on each side" in exercise.prompt
    assert "`nn.Conv2d(64, 128, kernel_size=3, stride=2, padding=1)`" in exercise.prompt
    assert _named(setup, "128 x 28 x 13") == "forgot_plus_one"
    assert _named(setup, "128 x 29 x 15") == "ceil_instead_of_floor"  # ceil(27/2) + 1


def test_difficulty_3_max_poolings_output() -> None:
    # height floor((57 - 2)/2) + 1 = 28, width floor((28 - 2)/2) + 1 = 14; the 64 channels stay
    setup = Setup("pool_downsample", 64, 57, 28, 128)
    _check(setup, "64 × 28 × 14", 3)
    assert _named(setup, "64 x 29 x 14") == "ceil_instead_of_floor"  # ceil(55/2) + 1
    assert _named(setup, "64 x 27 x 13") == "forgot_plus_one"


def test_difficulty_3_the_strided_convolution_learns_pooling_does_not() -> None:
    # (a) 128 * 64 * 9 = 73728 weights + 128 biases; (b) none
    setup = Setup("downsample_params", 64, 57, 57, 128)
    _check(setup, "73856", 3)
    assert _named(setup, "73728") == "bias_forgotten"
    assert _named(setup, "73600") == "pooling_counted_with_weights"  # minus 64 * 2 * 2


# --- generated questions -----------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_questions_match_their_difficulty(difficulty: int) -> None:
    asks = set()
    for seed in range(300):
        exercise = FAMILY.make(seed, difficulty)
        setup = Setup.from_params(dict(exercise.params))
        asks.add(setup.ask)
        if difficulty == 1:
            assert setup.ask in ("gap_shape", "gap_params", "gap_head", "flatten_head")
            assert setup.height == setup.width and 2 <= setup.height <= 7
            assert setup.channels <= 32 and setup.outputs <= 10
            assert setup.flatten_head < 20_000  # by hand
        elif difficulty == 2:
            assert setup.ask in ("kernel", "conv_params", "conv_shape", "ratio")
            assert 16 <= setup.channels <= 256
            assert 2 <= setup.height <= 7 and 2 <= setup.width <= 7
        elif setup.ask == "sliding":
            assert setup.channels >= 256 and setup.outputs in (21, 1000, 4096)
            big_h, big_w = setup.large_map
            assert big_h > setup.height and big_w > setup.width
            if setup.net_stride:
                assert setup.large_height % setup.net_stride == 0
                assert setup.large_width % setup.net_stride == 0
                assert f"total stride of ${setup.net_stride}$" in exercise.prompt
        else:
            assert setup.ask in ("conv_downsample", "pool_downsample", "downsample_params")
            assert setup.height % 2 == 1 and 9 <= setup.height <= 75 and 9 <= setup.width <= 75
            assert setup.outputs in (setup.channels, 2 * setup.channels)
            assert "round down" in exercise.prompt
    expected = {
        1: {"gap_shape", "gap_params", "gap_head", "flatten_head"},
        2: {"kernel", "conv_params", "conv_shape", "ratio"},
        3: {"sliding", "conv_downsample", "pool_downsample", "downsample_params"},
    }
    assert asks == expected[difficulty]


def test_the_shapes_are_square_and_not() -> None:
    d2 = [Setup.from_params(dict(FAMILY.make(seed, 2).params)) for seed in range(100)]
    assert any(s.height != s.width for s in d2) and any(s.height == s.width for s in d2)
    d3 = [Setup.from_params(dict(FAMILY.make(seed, 3).params)) for seed in range(200)]
    assert {s.net_stride for s in d3 if s.ask == "sliding"} == {0, 16, 32}


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(300)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
