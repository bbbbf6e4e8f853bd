"""The longest exercise answer Stride grades and stores, on every path that stores one.

Practice, the study queue's exercise items and assignments all keep each graded answer (to regrade
it, and for statistics). The grader reads up to :data:`quiz.grading.MAX_INPUT_CHARS`; what is
stored is capped lower, at :data:`MAX_STORED_ANSWER_CHARS`, about ten times the longest right
answer of any exercise (a 25-entry gradient, about 140 characters), so a full answer typed with
extra spaces or pasted from a notebook always fits. A longer answer is refused like a format
error: a message that says the limit, nothing graded, nothing stored, no attempt used.
"""

from __future__ import annotations

from quiz.exercises.base import Exercise, Family, grade_exercise
from quiz.grading import Grade

MAX_STORED_ANSWER_CHARS = 2_000


def too_long(raw_answer: str | None) -> Grade | None:
    """The refusal for an answer longer than :data:`MAX_STORED_ANSWER_CHARS`, else ``None``."""
    length = len(raw_answer or "")
    if length <= MAX_STORED_ANSWER_CHARS:
        return None
    return Grade.unreadable(
        f"the answer is too long: at most {MAX_STORED_ANSWER_CHARS:,} characters "
        f"(this one has {length:,}); it was not graded or saved"
    )


def grade_answer(family: Family, exercise: Exercise, raw_answer: str) -> Grade:
    """:func:`~quiz.exercises.base.grade_exercise`, after refusing an answer too long to store."""
    return too_long(raw_answer) or grade_exercise(family, exercise, raw_answer)
