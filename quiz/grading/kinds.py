"""The kinds of answer, the hint shown under each input, and canonical answer text."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np

from quiz.grading.scalars import format_number
from quiz.grading.shapes import format_shape


class AnswerKind(StrEnum):
    """What an exercise asks the student to type."""

    NUMBER = "number"
    SHAPE = "shape"
    MATRIX = "matrix"
    TENSOR = "tensor"


_HINTS = {
    AnswerKind.NUMBER: "a number, e.g. 12, -3.5 or 3/4",
    AnswerKind.SHAPE: "a shape, e.g. 48 × 48 or 3 × 32 × 32",
    AnswerKind.MATRIX: "one row per line, entries separated by spaces (or [[1, 2], [3, 4]])",
    AnswerKind.TENSOR: "one matrix per channel (one row per line), channels separated by a "
    "blank line",
}


def describe_expected(kind: AnswerKind | str) -> str:
    """The hint shown under the answer box, e.g. ``"a shape, e.g. 48 × 48 or 3 × 32 × 32"``."""
    return _HINTS[AnswerKind(kind)]


def format_answer(kind: AnswerKind | str, value: Any) -> str:
    """The canonical answer as a student would type it; parsing it gives back exactly ``value``.

    * NUMBER: :func:`~quiz.grading.scalars.format_number` — ``48``, ``0.75``, ``-2.5``, ``1/3``
      (a fraction only when a short decimal can't be exact), ``0.30000000000000004``.
    * SHAPE: sizes joined by ``" × "``: ``3 × 48 × 48``.
    * MATRIX: one row per line, entries separated by one space, each entry as a NUMBER.
    * TENSOR: the channels' matrices separated by a blank line.

    Raises ``ValueError`` for a value that is not an answer of that kind (wrong number of
    dimensions, NaN or infinity, an empty array, a size below 1).
    """
    kind = AnswerKind(kind)
    if kind is AnswerKind.NUMBER:
        return format_number(float(value))
    if kind is AnswerKind.SHAPE:
        return format_shape(tuple(value))
    array = np.asarray(value, dtype=float)
    dimensions = 2 if kind is AnswerKind.MATRIX else 3
    if array.ndim != dimensions or array.size == 0:
        raise ValueError(
            f"a {kind} answer is a non-empty {dimensions}-D array; got shape {array.shape}"
        )
    if kind is AnswerKind.MATRIX:
        return _format_matrix(array)
    return "\n\n".join(_format_matrix(channel) for channel in array)


def _format_matrix(matrix: np.ndarray) -> str:
    return "\n".join(" ".join(format_number(entry) for entry in row) for row in matrix.tolist())
