"""stack-output-shape: worked examples per difficulty and each mistake on a hand-made stack."""

from __future__ import annotations

import pytest

from quiz.exercises.base import relevant_mistakes
from quiz.exercises.families import stack_output_shape as family
from quiz.exercises.families.stack_output_shape import FAMILY, Layer, Setup, build
from tests.support import named_mistake


def conv(filters: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> Layer:
    return Layer("conv", kernel, stride, padding, dilation, filters)


def pool(kernel: int, stride: int) -> Layer:
    return Layer("pool", kernel, stride)


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


# 3 x 32 x 32 -> conv 16 @ 5x5 -> 16 x 28 x 28 -> max pool 2/2 -> 16 x 14 x 14
D1 = Setup(3, 32, 32, (conv(16, 5), pool(2, 2)))
# 3 x 20 x 20 -> conv 8 @ 5x5 p2 -> 8 x 20 x 20 -> pool 2/2 -> 8 x 10 x 10 -> conv 16 @ 3x3 p1
D2 = Setup(3, 20, 20, (conv(8, 5, padding=2), pool(2, 2), conv(16, 3, padding=1)))
# 3 x 30 x 40 -> conv 8 @ 3x3 d2 p2 (span 5) -> 8 x 30 x 40 -> pool 2/2 -> 8 x 15 x 20
# -> conv 16 @ 3x3 s2 p1 -> 16 x 8 x 10 -> pool 3/2 -> 16 x 3 x 4
D3 = Setup(
    3,
    30,
    40,
    (conv(8, 3, padding=2, dilation=2), pool(2, 2), conv(16, 3, 2, 1), pool(3, 2)),
)


@pytest.mark.parametrize(
    ("setup", "answer"), [(D1, "16 × 14 × 14"), (D2, "16 × 10 × 10"), (D3, "16 × 3 × 4")]
)
def test_worked_examples(setup: Setup, answer: str) -> None:
    exercise = build(setup)
    assert exercise.answer == answer
    assert family.reference(exercise) == [int(v) for v in answer.split(" × ")]
    assert len(exercise.solution) == len(setup.layers) + 2
    latex_shape = answer.replace("×", "\\times")
    assert exercise.solution[-1] == f"Output shape: ${latex_shape}$."


def test_prompt_lists_the_layers_in_order() -> None:
    prompt = build(D3).prompt
    assert "$3 \\times 30 \\times 40$" in prompt
    first = "1. a convolution with $8$ filters of size $3 \\times 3$, stride $1$, padding $2$"
    assert first + " on each side, dilation $2$;" in prompt
    assert "4. $3 \\times 3$ max pooling with stride $2$, no padding." in prompt
    assert "sizes round down" in prompt and "`ceil_mode=False`" in prompt
    assert "Answer as *channels × height × width*" in prompt


def test_difficulty_1_mistakes() -> None:
    assert _named(D1, "16 × 12 × 12") == "forgot_plus_one"  # 27, then floor(25/2)
    assert _named(D1, "3 × 14 × 14") == "channels_from_input"
    assert _named(D1, "48 × 14 × 14") == "channels_multiplied"
    assert _named(D1, "16 × 28 × 28") == "pool_ignored"


def test_difficulty_2_mistakes() -> None:
    assert _named(D2, "16 × 8 × 8") == "padding_once"  # 18, 9, 8
    assert _named(D2, "16 × 7 × 7") == "forgot_plus_one"  # 19, 8, 7
    assert _named(D2, "16 × 20 × 20") == "pool_ignored"
    assert _named(D2, "384 × 10 × 10") == "channels_multiplied"  # 3 · 8 · 16


def test_difficulty_3_mistakes() -> None:
    # Undilated: 32 x 42 -> 16 x 21 -> 8 x 11 -> 3 x 5.
    assert _named(D3, "16 × 3 × 5") == "dilation_ignored"
    assert _named(D3, "16 × 4 × 3") == "height_width_swapped"
    assert _named(D3, "3 × 3 × 4") == "channels_from_input"


def test_ceil_instead_of_floor() -> None:
    setup = Setup(1, 15, 15, (conv(4, 2, 2), pool(2, 2)))  # 7, 3 (ceil: 8, 4)
    assert build(setup).answer == "4 × 3 × 3"
    assert _named(setup, "4 × 4 × 4") == "ceil_instead_of_floor"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_stacks_match_their_difficulty(difficulty: int) -> None:
    for seed in range(300):
        setup = Setup.from_params(dict(FAMILY.make(seed, difficulty).params))
        assert len(setup.layers) == difficulty + 1
        assert setup.layers[0].kind == "conv"
        paddings = [layer.padding for layer in setup.layers]
        if difficulty == 1:
            assert setup.height == setup.width and not any(paddings)
        elif difficulty == 2:
            assert setup.height == setup.width
        else:
            assert setup.height != setup.width
            assert any(layer.dilation > 1 for layer in setup.layers)


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(300)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
