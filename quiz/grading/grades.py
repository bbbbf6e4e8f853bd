"""Grading: parse the student's text, compare it with the expected answer, explain the result.

Every ``grade_*`` function returns a :class:`Grade` and never raises because of what the student
typed: an unreadable answer gives a Grade with ``format_error`` set (not graded, not an attempt).
They do raise ``ValueError``/``TypeError`` for *caller* mistakes — an expected value that is not
an answer of that kind, unknown options, negative tolerances — so a broken exercise fails loudly
in tests instead of marking students wrong.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np

from quiz.grading.arrays import parse_matrix, parse_tensor
from quiz.grading.errors import AnswerFormatError, plural
from quiz.grading.kinds import AnswerKind, format_answer
from quiz.grading.scalars import format_number, parse_number
from quiz.grading.shapes import format_shape, parse_shape
from quiz.grading.tolerance import DEFAULT_ABS_TOL, DEFAULT_REL_TOL, is_close

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

INTERNAL_ERROR = (
    "Stride could not read this answer because of an internal error; it was not graded. "
    "Please report it."
)
Marks = tuple[tuple[bool, ...], ...]
OptionalSize = Literal["leading", "trailing"]
_NEAR_REL_TOL = 1e-2


@dataclass(frozen=True)
class Grade:
    """The result of grading one answer.

    ``score`` is in [0, 1]; ``correct`` is true when every part is right within tolerance. When
    ``format_error`` is set the answer could not be read: it is not graded (score 0, not correct)
    and must not count as an attempt. ``feedback`` is Markdown; exercise families replace it (and
    set ``mistake``) when they recognise a specific wrong answer.

    Per-entry marks: ``cell_marks[r][c]`` for a MATRIX answer of the expected shape;
    ``channel_marks[k][r][c]`` for a TENSOR answer of the expected shape (and ``cell_marks`` is
    then ``None``). ``expected_display`` is the canonical answer (:func:`format_answer`), set
    whenever the answer was graded and left ``None`` for format errors, so an unreadable answer
    never reveals the solution.
    """

    score: float
    correct: bool
    format_error: str | None = None
    feedback: str = ""
    mistake: str | None = None
    cell_marks: Marks | None = None
    expected_display: str | None = None
    channel_marks: tuple[Marks, ...] | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"a score is between 0 and 1; got {self.score}")
        if self.format_error is not None and (self.score != 0.0 or self.correct):
            raise ValueError("an answer with a format error is not graded: score 0, not correct")

    @property
    def graded(self) -> bool:
        """Whether the answer was read and graded (so it counts as an attempt)."""
        return self.format_error is None

    @classmethod
    def unreadable(cls, message: str) -> Grade:
        """The Grade for an answer that could not be read."""
        return cls(score=0.0, correct=False, format_error=message)


def grade_number(
    expected: float,
    raw: str,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    abs_tol: float = DEFAULT_ABS_TOL,
) -> Grade:
    """Grade a NUMBER answer: right when ``is_close(answer, expected)``; no partial credit.

    A wrong answer within 1% of the expected value gets a hint to check the rounding (``0.333``
    for 1/3 is wrong at the default tolerance of about 6 significant digits) — unless both are
    whole numbers: 280 for 288 parameters is a wrong count, not a rounding slip.
    """
    value = float(expected)
    if not math.isfinite(value):
        raise ValueError(f"the expected number must be finite; got {expected!r}")
    _check_tolerances(rel_tol, abs_tol)
    display = format_number(value)
    answer = _read(parse_number, raw)
    if isinstance(answer, _Unreadable):
        return Grade.unreadable(answer.message)
    if is_close(answer, value, rel_tol=rel_tol, abs_tol=abs_tol):
        return Grade(1.0, True, feedback="Correct.", expected_display=display)
    feedback = "Incorrect."
    whole = float(answer).is_integer() and value.is_integer()  # a count: rounding is no excuse
    if (
        not whole
        and rel_tol < _NEAR_REL_TOL
        and is_close(answer, value, rel_tol=_NEAR_REL_TOL, abs_tol=abs_tol)
    ):
        feedback = (
            "Close, but not accurate enough: check your rounding. Give more significant digits, "
            "or write the exact value as a fraction such as 3/4."
        )
    return Grade(0.0, False, feedback=feedback, expected_display=display)


def grade_shape(
    expected: tuple[int, ...],
    raw: str,
    *,
    names: tuple[str, ...] | None = None,
    optional: OptionalSize | None = None,
) -> Grade:
    """Grade a SHAPE answer: right when every size matches; no partial credit.

    ``names`` (one per size, e.g. ``("channels", "height", "width")``) phrase the messages.
    ``optional`` says the question accepts the answer with or without one size: ``"leading"``
    lets the student leave out the first size (``(3, 48, 48)`` accepts ``3 × 48 × 48`` and
    ``48 × 48``), ``"trailing"`` the last one (``(48, 48, 3)`` accepts ``48 × 48 × 3`` and
    ``48 × 48``). Giving another number of sizes is a format error, e.g. "expected 3 numbers
    (channels × height × width), got 2". Sizes in the wrong order, and which named sizes are
    wrong, are pointed out in the feedback.
    """
    target = _expected_shape(expected)
    if names is not None:
        names = tuple(str(name) for name in names)
        if len(names) != len(target):
            raise ValueError(f"names {names!r} do not match the expected shape {target!r}")
    variants = _shape_variants(target, names, optional)
    answer = _read(parse_shape, raw)
    if isinstance(answer, _Unreadable):
        return Grade.unreadable(answer.message)
    if len(answer) not in variants:
        return Grade.unreadable(_dimensions_message(variants, len(answer)))
    sizes, size_names = variants[len(answer)]
    display = format_shape(target)
    if answer == sizes:
        return Grade(1.0, True, feedback="Correct.", expected_display=display)
    return Grade(
        0.0, False, feedback=_shape_feedback(answer, sizes, size_names), expected_display=display
    )


def grade_matrix(
    expected: np.ndarray,
    raw: str,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    abs_tol: float = DEFAULT_ABS_TOL,
) -> Grade:
    """Grade a MATRIX answer with per-cell partial credit.

    A matrix of another shape is a format error (not graded, not an attempt: the size is part
    of reading the question, like the number of sizes of a shape), e.g. "expected 3 rows of 3
    numbers (a 3×3 matrix), got 2×3". Otherwise the score is the fraction of entries within
    tolerance and ``cell_marks`` says which. (An exercise still names a known mistake whose
    answer has another shape: :func:`quiz.exercises.base.grade_exercise`.)
    """
    target = _expected_array(expected, 2, AnswerKind.MATRIX)
    _check_tolerances(rel_tol, abs_tol)
    display = format_answer(AnswerKind.MATRIX, target)
    answer = _read(parse_matrix, raw)
    if isinstance(answer, _Unreadable):
        return Grade.unreadable(answer.message)
    if answer.shape != target.shape:
        return Grade.unreadable(f"expected {_matrix_size(target.shape)}, got {_by(answer.shape)}")
    marks = np.asarray(is_close(answer, target, rel_tol=rel_tol, abs_tol=abs_tol))
    score, correct, feedback = _cell_score(marks)
    return Grade(
        score, correct, feedback=feedback, cell_marks=_marks(marks), expected_display=display
    )


def grade_tensor(
    expected: np.ndarray,
    raw: str,
    *,
    rel_tol: float = DEFAULT_REL_TOL,
    abs_tol: float = DEFAULT_ABS_TOL,
) -> Grade:
    """Grade a TENSOR answer (channels, height, width) with per-cell partial credit.

    A tensor of another shape is a format error, as for :func:`grade_matrix`: "expected 2
    channels of 3×3 (3 rows of 3 numbers each), got 1 channel of 3×3". Otherwise the score is
    the fraction of all entries within tolerance and ``channel_marks[k][r][c]`` says which
    (``cell_marks`` stays ``None``).
    """
    target = _expected_array(expected, 3, AnswerKind.TENSOR)
    _check_tolerances(rel_tol, abs_tol)
    display = format_answer(AnswerKind.TENSOR, target)
    answer = _read(parse_tensor, raw)
    if isinstance(answer, _Unreadable):
        return Grade.unreadable(answer.message)
    if answer.shape != target.shape:
        channels, rows, columns = target.shape
        wanted = (
            f"expected {plural(channels, 'channel')} of {rows}×{columns} "
            f"({plural(rows, 'row')} of {plural(columns, 'number')} each)"
        )
        got = f"{plural(answer.shape[0], 'channel')} of {_by(answer.shape[1:])}"
        return Grade.unreadable(f"{wanted}, got {got}")
    marks = np.asarray(is_close(answer, target, rel_tol=rel_tol, abs_tol=abs_tol))
    score, correct, feedback = _cell_score(marks)
    channel_marks = tuple(_marks(channel) for channel in marks)
    return Grade(
        score, correct, feedback=feedback, channel_marks=channel_marks, expected_display=display
    )


_GRADERS: dict[AnswerKind, Callable[..., Grade]] = {
    AnswerKind.NUMBER: grade_number,
    AnswerKind.SHAPE: grade_shape,
    AnswerKind.MATRIX: grade_matrix,
    AnswerKind.TENSOR: grade_tensor,
}


def grade(kind: AnswerKind | str, expected: Any, raw: str, **options: Any) -> Grade:
    """Grade ``raw`` as an answer of ``kind``; ``options`` go to that kind's ``grade_*``.

    NUMBER, MATRIX and TENSOR take ``rel_tol`` and ``abs_tol``; SHAPE takes ``names`` and
    ``optional``. An option the kind does not take is a ``TypeError``.
    """
    return _GRADERS[AnswerKind(kind)](expected, raw, **options)


@dataclass(frozen=True)
class _Unreadable:
    message: str


def _read(parse: Callable[[str], _T], raw: str) -> _T | _Unreadable:
    """``parse(raw)``, or why it could not be read.

    A parser bug must not crash a student's page or mark them wrong: anything other than a
    format error is logged and reported as an (ungraded) internal error.
    """
    try:
        return parse(raw)
    except AnswerFormatError as error:
        return _Unreadable(error.message)
    except Exception:
        _log.exception("could not read answer %r", str(raw)[:200])
        return _Unreadable(INTERNAL_ERROR)


def _check_tolerances(rel_tol: float, abs_tol: float) -> None:
    if not (rel_tol >= 0 and abs_tol >= 0 and math.isfinite(rel_tol) and math.isfinite(abs_tol)):
        raise ValueError(f"tolerances must be finite and non-negative; got {rel_tol}, {abs_tol}")


def _expected_shape(expected: Any) -> tuple[int, ...]:
    sizes = tuple(int(size) for size in expected)
    if not sizes or any(size < 1 for size in sizes):
        raise ValueError(f"the expected shape must be positive sizes; got {expected!r}")
    return sizes


def _expected_array(expected: Any, dimensions: int, kind: AnswerKind) -> np.ndarray:
    array = np.asarray(expected, dtype=float)
    if array.ndim != dimensions or array.size == 0:
        raise ValueError(f"the expected {kind} must be a non-empty {dimensions}-D array")
    if not np.isfinite(array).all():
        raise ValueError(f"the expected {kind} must be finite")
    return array


ShapeVariants = dict[int, tuple[tuple[int, ...], tuple[str, ...] | None]]


def _shape_variants(
    target: tuple[int, ...], names: tuple[str, ...] | None, optional: OptionalSize | None
) -> ShapeVariants:
    """The accepted answers by their number of sizes: the full shape, and one size fewer."""
    variants: ShapeVariants = {len(target): (target, names)}
    if optional is None:
        return variants
    if optional not in ("leading", "trailing"):
        raise ValueError(f"optional must be 'leading', 'trailing' or None; got {optional!r}")
    if len(target) < 2:
        raise ValueError("only a shape of 2 or more sizes can have an optional size")
    keep = slice(1, None) if optional == "leading" else slice(None, -1)
    variants[len(target) - 1] = (target[keep], names[keep] if names else None)
    return variants


def _dimensions_message(variants: ShapeVariants, got: int) -> str:
    counts = sorted(variants, reverse=True)
    if any(names is None for _, names in variants.values()):
        wanted = " or ".join(str(count) for count in counts)
        noun = "number" if counts == [1] else "numbers"
        return f"expected {wanted} {noun}, got {got}"
    phrases = []
    for index, count in enumerate(counts):
        names = variants[count][1] or ()
        words = plural(count, "number") if index == 0 else str(count)
        phrases.append(f"{words} ({' × '.join(names)})")
    return f"expected {' or '.join(phrases)}, got {got}"


def _shape_feedback(
    answer: tuple[int, ...], sizes: tuple[int, ...], names: tuple[str, ...] | None
) -> str:
    if sorted(answer) == sorted(sizes):
        order = f": give them as {' × '.join(names)}" if names else ""
        return f"These are the right sizes in the wrong order{order}."
    if names:
        wrong = [name for name, got, want in zip(names, answer, sizes, strict=True) if got != want]
        return f"Incorrect: check the {_join(wrong)}."
    return "Incorrect."


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _by(shape: tuple[int, ...]) -> str:
    return "×".join(str(size) for size in shape)


def _matrix_size(shape: tuple[int, ...]) -> str:
    """``(3, 4)`` → "3 rows of 4 numbers (a 3×4 matrix)"."""
    rows, columns = shape
    return f"{plural(rows, 'row')} of {plural(columns, 'number')} (a {rows}×{columns} matrix)"


def _marks(marks: np.ndarray) -> Marks:
    return tuple(tuple(bool(mark) for mark in row) for row in marks)


def _cell_score(marks: np.ndarray) -> tuple[float, bool, str]:
    right, total = int(marks.sum()), int(marks.size)
    if right == total:
        return 1.0, True, "Correct."
    verb = "is" if right == 1 else "are"
    return right / total, False, f"{right} of {plural(total, 'entry', 'entries')} {verb} correct."
