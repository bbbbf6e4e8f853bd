"""Feedback names the mistake the student made: the most specific one first, and every one when
several slips give the same answer (the grader cannot tell them apart)."""

from __future__ import annotations

import pytest

from quiz.exercises.base import grade_exercise, relevant_mistakes
from quiz.exercises.registry import FAMILIES
from quiz.grading import format_answer


def _raw(exercise, answer) -> str:  # type: ignore[no-untyped-def]
    return format_answer(exercise.answer_kind, answer)


@pytest.mark.parametrize(
    ("family_id", "tag"),
    [
        ("same-padding", "odd_zero_wrong_side"),  # was named as another slip in 22 of 65
        ("pool-output-size", "floor_with_ceil_mode"),  # was "you left out the +1"
    ],
)
def test_the_specific_mistake_is_named_first(family_id: str, tag: str) -> None:
    family, checked = FAMILIES[family_id], 0
    for seed in range(120):
        exercise = family.make(seed, 3)
        by_tag = {m.tag: m for m in relevant_mistakes(family, exercise)}
        if tag in by_tag:
            result = grade_exercise(family, exercise, _raw(exercise, by_tag[tag].answer))
            assert result.mistake == tag, (seed, result.feedback)
            checked += 1
    assert checked >= 10


def test_every_slip_that_gives_the_answer_is_named() -> None:
    """Over every family: an answer two mistakes share gets both explanations."""
    shared = 0
    for family in FAMILIES.values():
        for difficulty in (1, 2, 3):
            for seed in range(30):
                exercise = family.make(seed, difficulty)
                mistakes = relevant_mistakes(family, exercise)
                for first in mistakes:
                    same = [
                        m
                        for m in mistakes
                        if _raw(exercise, m.answer) == _raw(exercise, first.answer)
                    ]
                    messages = list(dict.fromkeys(m.message for m in same))
                    if len(messages) < 2:
                        continue
                    result = grade_exercise(family, exercise, _raw(exercise, first.answer))
                    assert result.mistake == same[0].tag
                    assert result.feedback.startswith("Two or more slips give exactly this answer")
                    for message in messages:
                        assert message in result.feedback
                    shared += 1
    assert shared > 0
