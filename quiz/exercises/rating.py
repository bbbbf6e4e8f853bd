"""How an exercise attempt becomes an FSRS rating.

* a format error does not rate (it is not an attempt);
* wrong (any score below 1, including partial credit) → Again;
* right after opening the hint or the worked solution → Hard;
* right within the quick time for the answer kind → Easy;
* right → Good.
"""

from __future__ import annotations

from quiz.grading import AnswerKind, Grade
from quiz.scheduling import Rating

QUICK_SECONDS: dict[AnswerKind, int] = {
    AnswerKind.NUMBER: 30,
    AnswerKind.SHAPE: 30,
    AnswerKind.MATRIX: 90,
    AnswerKind.TENSOR: 150,
}


def rating_for(
    grade: Grade, kind: AnswerKind, *, helped: bool, duration_ms: int | None
) -> Rating | None:
    """The rating an attempt earns, or ``None`` for a format error."""
    if grade.format_error is not None:
        return None
    if not grade.correct:
        return Rating.AGAIN
    if helped:
        return Rating.HARD
    if duration_ms is not None and duration_ms <= QUICK_SECONDS[kind] * 1000:
        return Rating.EASY
    return Rating.GOOD
