"""Matrices and tensors: what a layout (:mod:`quiz.grading.layout`) means, as numpy arrays.

Accepted matrix spellings (entries may be fractions, negatives, decimals, ``1e-3``)::

    1 2 3          1, 2, 3        1 2 3; 4 5 6      [1 2 3; 4 5 6]        (MATLAB)
    4 5 6          4, 5, 6        [[1, 2, 3], [4, 5, 6]]                   (numpy / Python)
    [[1. 2. 3.]                   array([[1, 2, 3],
     [4. 5. 6.]]  (numpy print)          [4, 5, 6]])

Rows are separated by newlines or ``;`` — or each row is in its own brackets; entries by spaces
and/or commas (a comma at the end of a row is fine, two in a row is not). Extra outer brackets
are ignored. A tensor (channels, height, width) is one matrix per channel, the channels separated
by a blank line, a line of dashes or a heading such as ``channel 2:`` — or written numpy-style,
``[[[...]], [[...]]]``. A single matrix is a one-channel tensor.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from quiz.grading.errors import AnswerFormatError, clean_input, plural
from quiz.grading.layout import Entry, Group, Mark, Part, read_layout

Rows = list[list[float]]

MATRIX_EXAMPLE = "rows on separate lines (or separated by ;) with entries separated by spaces"
_MATRIX_WANTED = f"a matrix: {MATRIX_EXAMPLE}"
_TENSOR_WANTED = "one matrix per channel, the channels separated by a blank line"
_ROW_BREAKS = frozenset({Mark.SEMI, Mark.NEWLINE, Mark.BLANK})
_CHANNEL_BREAKS = frozenset({Mark.BLANK, Mark.RULE})


def parse_matrix(text: str) -> np.ndarray:
    """Read a MATRIX answer as a 2-D float array (a single row or column is fine).

    Raises :class:`AnswerFormatError` for empty text, unreadable entries, ragged rows ("row 2 has
    3 entries, row 1 has 2"), separator lines, several matrices, and everything
    :func:`~quiz.grading.layout.read_layout` rejects.
    """
    root = _layout(text, _MATRIX_WANTED)
    return np.array(_matrix(root.parts, ""), dtype=float)


def parse_tensor(text: str) -> np.ndarray:
    """Read a TENSOR answer as a 3-D float array of shape (channels, height, width).

    Raises :class:`AnswerFormatError` like :func:`parse_matrix`, and when channels differ in
    shape ("channel 2 is 2×3, channel 1 is 2×2").
    """
    root = _layout(text, _TENSOR_WANTED)
    channels: list[Rows] = []
    for chunk in _split_channels(root.parts):
        channels.extend(_channels(chunk, first=len(channels) + 1))
    if not channels:
        raise AnswerFormatError(_empty_message(_TENSOR_WANTED))
    first = _size(channels[0])
    for number, channel in enumerate(channels[1:], start=2):
        if _size(channel) != first:
            raise AnswerFormatError(
                f"channel {number} is {_size(channel)}, channel 1 is {first}: "
                "every channel must have the same shape"
            )
    return np.array(channels, dtype=float)


def _layout(text: str, wanted: str) -> Group:
    cleaned = clean_input(text)
    if not cleaned.strip():
        raise AnswerFormatError(_empty_message(wanted))
    root = read_layout(cleaned)
    if not any(isinstance(part, Entry | Group) for part in root.parts):
        raise AnswerFormatError(_empty_message(wanted))
    return root


def _empty_message(wanted: str) -> str:
    return f"expected {wanted}; the answer is empty"


def _size(rows: Rows) -> str:
    return f"{len(rows)}×{len(rows[0])}"


def _split_channels(parts: list[Part]) -> list[list[Part]]:
    """Top-level parts cut at blank lines and rules; chunks without entries are dropped."""
    chunks: list[list[Part]] = [[]]
    for part in parts:
        if isinstance(part, Mark) and part in _CHANNEL_BREAKS:
            chunks.append([])
        else:
            chunks[-1].append(part)
    return [chunk for chunk in chunks if any(not isinstance(part, Mark) for part in chunk)]


def _channels(parts: list[Part], *, first: int) -> list[Rows]:
    """The matrices in one chunk: usually one, several when written numpy-style ``[[[..]]]``."""
    items = _items(parts, "", breaks=_ROW_BREAKS)
    if items and all(isinstance(item, Group) for item in items):
        groups = [item for item in items if isinstance(item, Group)]
        if len(groups) == 1:
            return _channels(groups[0].parts, first=first)
        if any(group.has_groups() or Mark.SEMI in group.parts for group in groups):
            return [
                _matrix(group.parts, f"channel {number}: ")
                for number, group in enumerate(groups, start=first)
            ]
    return [_matrix(parts, f"channel {first}: ")]


def _matrix(parts: list[Part], where: str) -> Rows:
    """The rows of one matrix; ``where`` ("channel 2: ") starts every message."""
    rows = _split_rows(parts, where, breaks=_ROW_BREAKS)
    items = [item for row in rows for item in row]
    if not items:
        raise AnswerFormatError(f"{where}expected a matrix: {MATRIX_EXAMPLE}")
    groups = [item for item in items if isinstance(item, Group)]
    if not groups:
        matrix = [[_value(item) for item in row] for row in rows]
    elif len(groups) < len(items):
        raise AnswerFormatError(
            f"{where}either put every row in brackets or none: found loose numbers beside "
            "bracketed rows"
        )
    elif len(groups) == 1:
        return _matrix(groups[0].parts, where)
    else:
        matrix = [_bracketed_row(group, number, where) for number, group in enumerate(groups, 1)]
    _check_rectangular(matrix, where)
    return matrix


def _bracketed_row(group: Group, number: int, where: str) -> list[float]:
    if group.has_groups():
        raise AnswerFormatError(
            f"{where}row {number} holds brackets inside brackets: expected one matrix, "
            "got several (a tensor?)"
        )
    if Mark.SEMI in group.parts:
        raise AnswerFormatError(
            f"{where}row {number} contains ';': put each row in its own brackets, or separate "
            "rows with ';' inside one pair of brackets, not both"
        )
    entries = _items(group.parts, f"{where}row {number}: ", breaks=frozenset())
    if not entries:
        raise AnswerFormatError(f"{where}row {number} is empty")
    return [_value(entry) for entry in entries]


def _check_rectangular(matrix: Rows, where: str) -> None:
    width = len(matrix[0])
    for number, row in enumerate(matrix[1:], start=2):
        if len(row) != width:
            raise AnswerFormatError(
                f"{where}row {number} has {plural(len(row), 'entry', 'entries')}, row 1 has {width}"
            )


def _items(parts: list[Part], where: str, *, breaks: frozenset[Mark]) -> list[Entry | Group]:
    """All entries and groups in ``parts``, in order (the row structure is not kept)."""
    return [item for row in _split_rows(parts, where, breaks=breaks) for item in row]


def _split_rows(
    parts: Iterable[Part], where: str, *, breaks: frozenset[Mark]
) -> list[list[Entry | Group]]:
    """Cut ``parts`` into rows at ``breaks``, checking the commas; empty rows are dropped.

    Newlines and blank lines that are not breaks are plain white space. A comma must follow an
    entry; a comma at the end of a row is allowed (numpy prints ``[1, 2],`` before a newline).
    """
    rows: list[list[Entry | Group]] = [[]]
    after_entry = False
    for part in parts:
        if isinstance(part, Mark) and part in breaks:
            rows.append([])
            after_entry = False
        elif part is Mark.COMMA:
            if not after_entry:
                raise AnswerFormatError(
                    f"{where}a comma needs an entry before it (two commas in a row, or a comma "
                    "at the start of a row)"
                )
            after_entry = False
        elif part is Mark.SEMI:
            raise AnswerFormatError(f"{where}';' can't go here")
        elif part is Mark.RULE:
            raise AnswerFormatError(
                f"{where}a matrix is one block of rows: separator lines and channel headings "
                "are only for tensors"
            )
        elif isinstance(part, Entry | Group):
            rows[-1].append(part)
            after_entry = True
    return [row for row in rows if row]


def _value(item: Entry | Group) -> float:
    assert isinstance(item, Entry)
    return item.value
