"""receptive-field: worked examples per difficulty and each mistake on a hand-made stack."""

from __future__ import annotations

import pytest

from quiz.exercises.base import relevant_mistakes
from quiz.exercises.families import receptive_field as family
from quiz.exercises.families.receptive_field import FAMILY, Layer, Setup, build
from tests.support import named_mistake


def conv(kernel: int, stride: int = 1, dilation: int = 1) -> Layer:
    return Layer("conv", kernel, stride, dilation, dilation * (kernel - 1) // 2)


def pool(kernel: int, stride: int) -> Layer:
    return Layer("pool", kernel, stride)


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


# Three 3x3 convolutions: 1 + 2 + 2 + 2 = 7.
D1 = Setup((conv(3), conv(3), conv(3)))
# r: 1 -> 3 (j 2) -> 3 + 1*2 = 5 (j 4) -> 5 + 4*4 = 21.
D2 = Setup((conv(3, 2), pool(2, 2), conv(5)))
# r: 1 -> 3 -> 3 + 1*1 = 4 (j 2) -> 4 + 2*2*2 = 12 -> 12 + 4*2*2 = 28.
D3 = Setup((conv(3), pool(2, 2), conv(3, dilation=2), conv(3, dilation=4)))


@pytest.mark.parametrize(("setup", "answer"), [(D1, 7), (D2, 21), (D3, 28)])
def test_worked_examples(setup: Setup, answer: int) -> None:
    exercise = build(setup)
    assert exercise.answer == str(answer)
    assert family.reference(exercise) == answer
    assert (
        exercise.solution[-1] == f"Receptive field: ${answer} \\times {answer}$, so $r = {answer}$."
    )
    assert len(exercise.solution) == len(setup.layers) + 2


def test_solution_shows_each_step_with_the_jump() -> None:
    steps = build(D2).solution
    assert "$r = 1 + 2\\cdot1 = 3$, $j = 1\\cdot2 = 2$" in steps[1]
    assert "$r = 5 + 4\\cdot4 = 21$" in steps[3]


def test_prompt_lists_layers_and_asks_for_one_side() -> None:
    prompt = build(D3).prompt
    assert "3. a $3 \\times 3$ convolution, stride $1$, dilation $2$, padding $2$;" in prompt
    assert "2. $2 \\times 2$ max pooling with stride $2$;" in prompt
    assert "give $r$" in prompt


def test_difficulty_1_mistakes() -> None:
    assert _named(D1, "3") == "last_layer_only"
    assert _named(D1, "9") == "added_kernels"


def test_difficulty_2_mistakes() -> None:
    assert _named(D2, "8") == "stride_ignored"  # 1 + 2 + 1 + 4
    assert _named(D2, "13") == "strides_not_multiplied"  # 1 + 2*1 + 1*2 + 4*2
    assert _named(D2, "10") == "added_kernels"  # 3 + 2 + 5, literally
    assert _named(D2, "27") == "added_scaled_kernels"  # 3*1 + 2*2 + 5*4
    assert _named(D2, "5") == "last_layer_only"


def test_difficulty_3_mistakes() -> None:
    assert _named(D3, "12") == "dilation_ignored"  # 3, 4, 8, 12
    assert _named(D3, "16") == "stride_ignored"  # 1 + 2 + 1 + 4 + 8
    assert _named(D3, "20") == "strides_not_multiplied"  # 1 + 2 + 1 + 4*2 + 8*1
    assert _named(D3, "11") == "added_kernels"  # 3 + 2 + 3 + 3, literally
    assert _named(D3, "33") == "added_scaled_kernels"  # 3 + 2 + 5*2 + 9*2
    assert _named(D3, "9") == "last_layer_only"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_stacks_match_their_difficulty(difficulty: int) -> None:
    for seed in range(300):
        layers = Setup.from_params(dict(FAMILY.make(seed, difficulty).params)).layers
        if difficulty == 1:
            assert all(layer.stride == 1 and layer.dilation == 1 for layer in layers)
        elif difficulty == 2:
            assert layers[0].stride > 1 and all(layer.dilation == 1 for layer in layers)
        else:
            assert any(layer.dilation > 1 for layer in layers)
            assert any(layer.kind == "pool" for layer in layers)


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(200)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
