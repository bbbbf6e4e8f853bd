"""Answer parsing and grading: what students type, read and compared with the engine's answer.

PrairieLearn-style, reading and grading are separate steps:

* ``parse_*`` turn text into a value — :func:`parse_number` (float), :func:`parse_shape` (tuple of
  ints), :func:`parse_matrix` (2-D array), :func:`parse_tensor` (3-D array, channels first) — or
  raise :class:`AnswerFormatError`, whose ``message`` says what was expected. Nothing else is
  ever raised for any text.
* ``grade_*`` (and the dispatcher :func:`grade`) parse, compare with :func:`is_close` (relative +
  absolute tolerance, never ``==`` on floats) and return a :class:`Grade`. They never raise
  because of the student's text: an unreadable answer is a Grade with ``format_error`` set, which
  is not graded and not counted as an attempt.
* :func:`format_answer` writes the canonical answer as a student would type it (parsing it gives
  the value back exactly); :func:`describe_expected` is the hint shown under the input.

Design choices (details in each module):

* numbers: ``12``, ``-3.5``, ``1e-3``, ``3/4``, ``−3/4``; ``1,024`` is a format error suggesting
  ``1024`` (a comma separates entries elsewhere, so it is ambiguous); ``nan``/``inf`` are errors;
* canonical numbers print whole values without ``.0`` and decimals as the shortest exact decimal
  (``0.75``, not ``3/4``); only a value whose decimal never ends is shown as a fraction, when it
  is exactly one with a denominator up to 100 (``1/3``, ``2/7``);
* shapes: ``x X × * by ,`` between sizes, optional ``()``/``[]``; "with or without the channel
  count" is ``grade_shape(..., optional="leading" | "trailing")``;
* matrices: rows on lines or split by ``;``, entries by spaces and/or commas, with or without
  MATLAB/numpy brackets; tensors: one matrix per channel, split by blank lines, ``---`` or
  ``channel 2:`` headings, or numpy-style ``[[[...]]]``;
* matrix marks are ``Grade.cell_marks[r][c]``; tensor marks are ``Grade.channel_marks[k][r][c]``.

Modules: :mod:`~quiz.grading.errors` (format errors, limits, input clean-up),
:mod:`~quiz.grading.scalars`, :mod:`~quiz.grading.shapes`, :mod:`~quiz.grading.layout` and
:mod:`~quiz.grading.arrays` (reading), :mod:`~quiz.grading.tolerance`,
:mod:`~quiz.grading.kinds` (kinds, hints, canonical text), :mod:`~quiz.grading.grades`.
"""

from quiz.grading.arrays import parse_matrix, parse_tensor
from quiz.grading.errors import MAX_CELLS, MAX_INPUT_CHARS, AnswerFormatError
from quiz.grading.grades import (
    INTERNAL_ERROR,
    Grade,
    grade,
    grade_matrix,
    grade_number,
    grade_shape,
    grade_tensor,
)
from quiz.grading.kinds import AnswerKind, describe_expected, format_answer
from quiz.grading.scalars import parse_number
from quiz.grading.shapes import parse_shape
from quiz.grading.tolerance import DEFAULT_ABS_TOL, DEFAULT_REL_TOL, is_close

__all__ = [
    "DEFAULT_ABS_TOL",
    "DEFAULT_REL_TOL",
    "INTERNAL_ERROR",
    "MAX_CELLS",
    "MAX_INPUT_CHARS",
    "AnswerFormatError",
    "AnswerKind",
    "Grade",
    "describe_expected",
    "format_answer",
    "grade",
    "grade_matrix",
    "grade_number",
    "grade_shape",
    "grade_tensor",
    "is_close",
    "parse_matrix",
    "parse_number",
    "parse_shape",
    "parse_tensor",
]
