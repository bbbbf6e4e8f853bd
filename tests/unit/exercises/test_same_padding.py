"""same-padding: worked examples per difficulty and each mistake on a hand-made case."""

from __future__ import annotations

import pytest

from quiz.exercises.base import relevant_mistakes
from quiz.exercises.families import same_padding as family
from quiz.exercises.families.same_padding import FAMILY, Setup, build
from tests.support import named_mistake


def _named(setup: Setup, raw: str) -> str | None:
    return named_mistake(FAMILY, build(setup), raw)


def test_difficulty_1_odd_kernel() -> None:
    setup = Setup(kernel=5, dilation=1, size=32)  # (5 - 1)/2 = 2
    exercise = build(setup, difficulty=1)
    assert exercise.answer == "2"
    assert "$5 \\times 5$ kernel and stride $1$" in exercise.prompt
    assert "rows of zeros" in exercise.prompt and "still $32$" in exercise.prompt
    assert family.reference(exercise) == 2
    assert _named(setup, "5") == "used_kernel_size"
    assert _named(setup, "4") == "total_instead_of_per_side"
    assert _named(setup, "3") == "off_by_one"


def test_difficulty_2_dilation() -> None:
    setup = Setup(kernel=5, dilation=3, size=40, axis="width")  # 3 * 4 / 2 = 6
    exercise = build(setup, difficulty=2)
    assert exercise.answer == "6"
    assert "dilation $3$" in exercise.prompt and "columns of zeros" in exercise.prompt
    assert family.reference(exercise) == 6
    assert _named(setup, "2") == "dilation_ignored"  # (5 - 1)/2
    assert _named(setup, "12") == "total_instead_of_per_side"
    assert _named(setup, "5") == "used_kernel_size"
    assert _named(setup, "7") == "off_by_one"  # half of 3 * 4 + 1, rounded up


def test_difficulty_3_total_of_an_odd_span() -> None:
    setup = Setup(kernel=6, dilation=3, size=30, ask="total")  # 3 * 5 = 15
    exercise = build(setup, difficulty=3)
    assert exercise.answer == "15"
    assert "padding='same'" in exercise.prompt and "in total" in exercise.prompt
    assert family.reference(exercise) == 15
    assert _named(setup, "7") == "per_side_instead_of_total"
    assert _named(setup, "8") == "per_side_instead_of_total"
    assert _named(setup, "5") == "dilation_ignored"
    assert _named(setup, "16") == "off_by_one"
    assert _named(setup, "6") == "used_kernel_size"


@pytest.mark.parametrize(
    ("ask", "axis", "side", "answer", "wrong_side"),
    [("before", "width", "left", 1, 2), ("after", "height", "bottom", 2, 1)],
)
def test_difficulty_3_one_side(
    ask: str, axis: str, side: str, answer: int, wrong_side: int
) -> None:
    setup = Setup(kernel=4, dilation=1, size=20, ask=ask, axis=axis)  # 3 zeros: 1 before, 2 after
    exercise = build(setup, difficulty=3)
    assert exercise.answer == str(answer)
    assert f"at the **{side}**" in exercise.prompt
    assert family.reference(exercise) == answer
    assert _named(setup, str(wrong_side)) == "odd_zero_wrong_side"
    assert _named(setup, "3") == "total_instead_of_per_side"
    assert _named(setup, "4") == "used_kernel_size"


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_generated_exercises_match_their_difficulty(difficulty: int) -> None:
    for seed in range(300):
        setup = Setup.from_params(dict(FAMILY.make(seed, difficulty).params))
        total = setup.dilation * (setup.kernel - 1)
        if difficulty == 1:
            assert setup.dilation == 1 and setup.kernel % 2 == 1 and setup.ask == "each"
        elif difficulty == 2:
            assert setup.dilation > 1 and total % 2 == 0 and setup.ask == "each"
        else:
            assert total % 2 == 1 and setup.ask in ("total", "before", "after")


def test_every_listed_mistake_occurs() -> None:
    seen = {
        mistake.tag
        for difficulty in (1, 2, 3)
        for seed in range(300)
        for mistake in relevant_mistakes(FAMILY, FAMILY.make(seed, difficulty))
    }
    assert seen == set(family.MISTAKES)
