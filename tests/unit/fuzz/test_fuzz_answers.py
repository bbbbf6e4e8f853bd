"""Fuzzing answers: every exercise family's grading (:func:`grade_exercise`, what the practice
page and the gradebook call) and the answer parsers under it, from *right* answers damaged the
ways students damage them -- a number changed, a separator dropped or doubled, a bracket lost,
huge or non-finite numbers, unicode digits, control characters, very long input.

Any text gives a :class:`Grade`: a format error (score 0, not correct, no mistake named, the
solution not revealed) or a graded answer (score in [0, 1], the canonical answer shown) -- and
never the "internal error" grade, which is what a parser bug turns into.

Not repeated here (``tests/unit/grading/test_grading_properties.py``): arbitrary text into the
parsers and ``grade`` for one fixed expected value of each kind, round trips, spellings.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.exercises.base import DIFFICULTIES, Exercise, Family, grade_exercise
from quiz.exercises.registry import all_families
from quiz.grading import (
    INTERNAL_ERROR,
    AnswerFormatError,
    AnswerKind,
    Grade,
    parse_matrix,
    parse_number,
    parse_shape,
    parse_tensor,
)

from .mutations import FUZZ, Repeated, mutated_lines

pytestmark = pytest.mark.slow  # fuzzing (hypothesis, many examples)

CASES: list[tuple[Family, Exercise]] = [
    (family, family.make(seed, difficulty))
    for family in all_families()
    for difficulty in DIFFICULTIES
    for seed in (0, 7)
]
PARSERS = {
    AnswerKind.NUMBER: parse_number,
    AnswerKind.SHAPE: parse_shape,
    AnswerKind.MATRIX: parse_matrix,
    AnswerKind.TENSOR: parse_tensor,
}
ANSWER_PIECES = [
    "0", "1", "-", "−", "–", "+", ".", ",", ";", " ", "  ", "\t", "\n", "\n\n", "[", "]", "(",
    ")", "[[", "]]", "x", "×", "*", "by", "/", "⁄", "e", "E", "e-", "1e309", "-1e309", "1e-400",
    "9" * 40, Repeated("9", 400), "0" * 30 + "1", "nan", "inf", "-inf", "1/0", "0/0", "\x00",
    "\x07", "\x1b", "\u200b", "\ufeff", "\xa0", "\u2028", "٣", "３", "²", "½", "---",
    "channel 1:", "channel 99:", "array(", "dtype=float)", "torch.Size(", "tensor(", "1,024",
    "…", "=", "?", "a", "'",
]  # fmt: skip
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def assert_graded_or_format_error(family: Family, exercise: Exercise, raw: str) -> Grade:
    result = grade_exercise(family, exercise, raw)
    assert isinstance(result, Grade)
    assert result.format_error != INTERNAL_ERROR, f"a parser raised something else on {raw!r}"
    assert 0.0 <= result.score <= 1.0
    if result.format_error is not None:
        assert result.format_error.strip()
        assert (result.score, result.correct, result.mistake) == (0.0, False, None)
        assert result.expected_display is None, "an unreadable answer must not reveal the answer"
    else:
        assert result.expected_display
        assert result.correct == (result.score == 1.0)
    try:
        PARSERS[exercise.answer_kind](raw)
    except AnswerFormatError as error:
        assert error.message.strip()
    return result


def test_every_canonical_answer_is_right() -> None:
    for family, exercise in CASES:
        result = assert_graded_or_format_error(family, exercise, exercise.answer)
        assert result.correct, (family.id, exercise.seed, exercise.answer, result)


@st.composite
def near_misses(draw: st.DrawFn, answer: str) -> str:
    """``answer`` with one of its numbers changed: off by one, negated, scaled, made huge."""
    numbers = list(_NUMBER.finditer(answer))
    if not numbers:
        return answer
    match = draw(st.sampled_from(numbers))
    value = float(match.group())
    new = draw(
        st.sampled_from(
            [
                value + 1, value - 1, -value, value * 10, value / 3, 0.0, 1e308, 1e-308,
                value + 1e-9, value * (1 + 1e-7),
            ]
        )
    )  # fmt: skip
    text = draw(st.sampled_from([repr(new), f"{new:g}", f"{new:.17g}", str(int(new))]))
    return answer[: match.start()] + text + answer[match.end() :]


@st.composite
def damaged_answers(draw: st.DrawFn) -> tuple[Family, Exercise, str]:
    family, exercise = draw(st.sampled_from(CASES))
    answer = exercise.answer
    raw = draw(
        st.one_of(
            near_misses(answer),
            mutated_lines(answer, pieces=ANSWER_PIECES, lines_pool=["", " ", "---"]),
            st.lists(st.sampled_from(ANSWER_PIECES), max_size=30).map("".join),
            st.text(max_size=60),
        )
    )
    return family, exercise, raw


@FUZZ
@given(damaged_answers())
def test_damaged_answers_are_graded_or_format_errors(case: tuple[Family, Exercise, str]) -> None:
    assert_graded_or_format_error(*case)


@FUZZ
@given(st.sampled_from(CASES), st.sampled_from(ANSWER_PIECES), st.integers(2, 25_000))
def test_long_answers_are_graded_or_format_errors(
    case: tuple[Family, Exercise], piece: str, times: int
) -> None:
    """Up to and past the input limit (20,000 characters): long answers are read or refused,
    never a crash, in bounded time (a huge matrix is refused by its cell count)."""
    family, exercise = case
    text = (exercise.answer + " ") * (times // max(len(exercise.answer), 1) // 20) + piece * times
    assert_graded_or_format_error(family, exercise, text[:25_000])
