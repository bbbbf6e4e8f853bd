"""parse_matrix, parse_tensor, grade_matrix, grade_tensor: layouts, messages, per-cell marks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from quiz.grading import (
    AnswerFormatError,
    AnswerKind,
    Grade,
    format_answer,
    grade_matrix,
    grade_tensor,
    parse_matrix,
    parse_tensor,
)
from quiz.grading import layout as layout_module

M22 = [[1.0, 2.0], [3.0, 4.0]]

MATRICES = [
    ("1 2\n3 4", M22),
    ("1  2 \n 3\t4", M22),
    ("1, 2\n3, 4", M22),
    ("1,2\n3,4", M22),
    ("1 2; 3 4", M22),
    ("1 2;3 4;", M22),
    ("1 2;\n3 4", M22),
    ("1, 2,\n3, 4,", M22),
    ("\n\n1 2\n\n3 4\n\n", M22),
    ("1 2\r\n3 4", M22),
    ("[1 2; 3 4]", M22),
    ("[1, 2; 3, 4]", M22),
    ("[1 2\n 3 4]", M22),
    ("[[1, 2], [3, 4]]", M22),
    ("[[1,2],[3,4]]", M22),
    ("[[1, 2];[3, 4]]", M22),
    ("[[1 2]\n [3 4]]", M22),
    ("[[1. 2.]\n [3. 4.]]", M22),
    ("[1 2]\n[3 4]", M22),
    ("[1, 2], [3, 4]", M22),
    ("((1, 2), (3, 4))", M22),
    ("[[[1, 2], [3, 4]]]", M22),
    ("array([[1, 2],\n       [3, 4]])", M22),
    ("np.array([[1, 2], [3, 4]])", M22),
    ("numpy.array([[1.0, 2.0], [3.0, 4.0]], dtype=numpy.float32)", M22),
    ("tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)", M22),
    ("matrix([[1, 2], [3, 4]])", M22),
    ("[[1, 2,\n  ], [3, 4]]", M22),
    ("[[1,\n 2], [3,\n 4]]", M22),  # numpy wraps long rows inside their brackets
    ("2/2 4/2\n6/2 8/2", M22),
    ("2 / 2 4 / 2\n6 / 2 8 / 2", M22),
    ("1e0 2E0\n.3e1 +4", M22),
    ("1 2 3", [[1.0, 2.0, 3.0]]),
    ("[1, 2, 3]", [[1.0, 2.0, 3.0]]),
    ("1\n2\n3", [[1.0], [2.0], [3.0]]),
    ("1; 2; 3", [[1.0], [2.0], [3.0]]),
    ("[[1], [2], [3]]", [[1.0], [2.0], [3.0]]),
    ("7", [[7.0]]),
    ("-1/2 −3/4\n–1 +0", [[-0.5, -0.75], [-1.0, 0.0]]),
    ("0.5 -0. \n -.5 1e-3", [[0.5, 0.0], [-0.5, 0.001]]),
]


@pytest.mark.parametrize(("text", "rows"), MATRICES)
def test_matrix_spellings(text: str, rows: list[list[float]]) -> None:
    matrix = parse_matrix(text)
    assert matrix.dtype == np.float64
    assert matrix.ndim == 2
    assert matrix.tolist() == rows


EMPTY_MATRIX = (
    "expected a matrix: rows on separate lines (or separated by ;) with entries separated by "
    "spaces; the answer is empty"
)
ENTRY = "expected a number such as 12, -3.5 or 3/4; got {}"

MATRIX_REJECTIONS = [
    ("", EMPTY_MATRIX),
    (" \n\n ", EMPTY_MATRIX),
    (
        "[]",
        "expected a matrix: rows on separate lines (or separated by ;) with entries "
        "separated by spaces",
    ),
    (";;", EMPTY_MATRIX),
    ("1 2\n3", "row 2 has 1 entry, row 1 has 2"),
    ("1 2\n3 4 5", "row 2 has 3 entries, row 1 has 2"),
    ("1 2 3\n4 5 6\n7 8", "row 3 has 2 entries, row 1 has 3"),
    ("[[1, 2], [3, 4, 5]]", "row 2 has 3 entries, row 1 has 2"),
    (
        "1,,2",
        "a comma needs an entry before it (two commas in a row, or a comma at the start of a row)",
    ),
    (
        ", 1 2",
        "a comma needs an entry before it (two commas in a row, or a comma at the start of a row)",
    ),
    (
        "[[1, 2], [, 4]]",
        "row 2: a comma needs an entry before it (two commas in a row, or a "
        "comma at the start of a row)",
    ),
    ("1-2 3", ENTRY.format("'1-2'")),
    ("1 2\nx 4", ENTRY.format("'x'") + " (line 2)"),
    ("1 2 ...", "write out every entry; '...' can't be graded"),
    ("1 2 …", "write out every entry; '…' can't be graded"),
    ("nan 1", "entries are finite numbers; got 'nan'"),
    ("1 -inf", "entries are finite numbers; got '-inf'"),
    ("1 1e999", "'1e999' is too large"),
    ("1 2\n3 1e999", "'1e999' is too large (line 2)"),
    ("3/0 1", "can't divide by zero in '3/0'"),
    (
        "1,024 5",
        "'024' starts with 0; if a comma before it was a thousands separator, write the "
        "number without it",
    ),
    ("[1 2", "a '[' opened on line 1 is never closed"),
    ("[[1, 2],\n [3, 4]", "a '[' opened on line 1 is never closed"),
    ("1 2]", "a ']' has no matching opening bracket"),
    ("[1 2)", "a '[' is closed by ')'"),
    (
        "[1, 2], 3",
        "either put every row in brackets or none: found loose numbers beside bracketed rows",
    ),
    (
        "[[1; 2], [3, 4]]",
        "row 1 contains ';': put each row in its own brackets, or separate "
        "rows with ';' inside one pair of brackets, not both",
    ),
    (
        "[[[1, 2]], [[3, 4]]]",
        "row 1 holds brackets inside brackets: expected one matrix, got several (a tensor?)",
    ),
    (
        "1 2\n---\n3 4",
        "a matrix is one block of rows: separator lines and channel headings are only for tensors",
    ),
    (
        "channel 1: 1 2",
        "a matrix is one block of rows: separator lines and channel headings are only for tensors",
    ),
    ("[1 2\n---\n3 4]", "a separator line or channel heading can't go inside brackets (line 2)"),
    ("[" * 9 + "1" + "]" * 9, "too many nested brackets"),
    ("1 2 ٣", "use the digits 0-9 (found '٣'); expected a number such as 12, -3.5 or 3/4"),
    ("1 2\x00", "the answer contains an invisible control character (U+0000); please retype it"),
    ("1 " * 10_001, "the answer is too long: at most 20000 characters"),
]


@pytest.mark.parametrize(("text", "message"), MATRIX_REJECTIONS)
def test_matrix_rejections_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_matrix(text)
    assert caught.value.message == message


def test_a_comma_decimal_in_a_matrix_is_two_entries() -> None:
    # "0,5 1" is read as three entries; the shape check then catches a 2-entry answer.
    assert parse_matrix("0,5 1").tolist() == [[0.0, 5.0, 1.0]]


def test_the_largest_matrix_is_read_and_one_more_entry_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = "\n".join(" ".join("1" for _ in range(100)) for _ in range(100))
    assert parse_matrix(rows).shape == (100, 100)  # 10,000 entries in 19,999 characters
    monkeypatch.setattr(layout_module, "MAX_CELLS", 9_999)
    with pytest.raises(AnswerFormatError) as caught:
        parse_matrix(rows)
    assert caught.value.message == "too many entries: at most 9999"


T2 = [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]

TENSORS = [
    ("1 2\n3 4\n\n5 6\n7 8", T2),
    ("1 2\n3 4\n\n\n\n5 6\n7 8\n\n", T2),
    ("1 2\n3 4\n---\n5 6\n7 8", T2),
    ("1 2\n3 4\n\n---\n\n5 6\n7 8", T2),
    ("1 2\n3 4\n———\n5 6\n7 8", T2),
    ("1 2\n3 4\n====\n5 6\n7 8", T2),
    ("1 2; 3 4\n\n5 6; 7 8", T2),
    ("channel 1:\n1 2\n3 4\nchannel 2:\n5 6\n7 8", T2),
    ("Channel 0\n1 2\n3 4\n\nChannel 1\n5 6\n7 8", T2),
    ("c1: 1 2; 3 4\nc2: 5 6; 7 8", T2),
    ("[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", T2),
    ("[[[1 2]\n  [3 4]]\n\n [[5 6]\n  [7 8]]]", T2),
    ("array([[[1, 2],\n        [3, 4]],\n\n       [[5, 6],\n        [7, 8]]])", T2),
    ("[[1, 2], [3, 4]]\n\n[[5, 6], [7, 8]]", T2),
    ("[1 2; 3 4]\n\n[5 6; 7 8]", T2),
    ("[1 2; 3 4], [5 6; 7 8]", T2),
    ("1 2\n3 4", [[[1.0, 2.0], [3.0, 4.0]]]),
    ("[[1, 2], [3, 4]]", [[[1.0, 2.0], [3.0, 4.0]]]),
    ("[[[1, 2], [3, 4]]]", [[[1.0, 2.0], [3.0, 4.0]]]),
    ("1\n\n2\n\n3", [[[1.0]], [[2.0]], [[3.0]]]),
    ("[[[1]], [[2]]]", [[[1.0]], [[2.0]]]),
]


@pytest.mark.parametrize(("text", "channels"), TENSORS)
def test_tensor_spellings(text: str, channels: list) -> None:
    tensor = parse_tensor(text)
    assert tensor.ndim == 3
    assert tensor.tolist() == channels


TENSOR_REJECTIONS = [
    (
        "",
        "expected one matrix per channel, the channels separated by a blank line; the answer "
        "is empty",
    ),
    (
        "---\n\n---",
        "expected one matrix per channel, the channels separated by a blank line; "
        "the answer is empty",
    ),
    (
        "1 2\n3 4\n\n5 6",
        "channel 2 is 1×2, channel 1 is 2×2: every channel must have the same shape",
    ),
    (
        "[[[1, 2]], [[3, 4], [5, 6]]]",
        "channel 2 is 2×2, channel 1 is 1×2: every channel must have the same shape",
    ),
    ("1 2\n3 4\n\n5 6\n7", "channel 2: row 2 has 1 entry, row 1 has 2"),
    ("[[[1, 2], [3]], [[5, 6], [7, 8]]]", "channel 1: row 2 has 1 entry, row 1 has 2"),
    ("1 2\n3 x\n\n5 6\n7 8", ENTRY.format("'x'") + " (line 2)"),
    (
        "[[[1, 2]], 3]",
        "channel 1: either put every row in brackets or none: found loose "
        "numbers beside bracketed rows",
    ),
]


@pytest.mark.parametrize(("text", "message"), TENSOR_REJECTIONS)
def test_tensor_rejections_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_tensor(text)
    assert caught.value.message == message


E33 = np.arange(9.0).reshape(3, 3)


def test_right_matrix_scores_one_with_all_cells_marked_right() -> None:
    result = grade_matrix(E33, "0 1 2; 3 4 5; 6 7 8")
    assert (result.score, result.correct, result.format_error) == (1.0, True, None)
    assert result.cell_marks == ((True,) * 3,) * 3
    assert result.channel_marks is None
    assert result.expected_display == "0 1 2\n3 4 5\n6 7 8"
    assert result.feedback == "Correct."


def test_partial_credit_and_per_cell_marks() -> None:
    result = grade_matrix(E33, "0 1 2\n3 -4 5\n6 7 9")
    assert result.score == pytest.approx(7 / 9)
    assert not result.correct
    assert result.cell_marks == ((True, True, True), (True, False, True), (True, True, False))
    assert result.feedback == "7 of 9 entries are correct."
    one = grade_matrix(np.array([[1.0, 2.0]]), "1 3")
    assert (one.score, one.feedback) == (0.5, "1 of 2 entries is correct.")
    none = grade_matrix(np.array([[1.0, 2.0]]), "5 5")
    assert (none.score, none.feedback, none.cell_marks) == (
        0.0,
        "0 of 2 entries are correct.",
        ((False, False),),
    )


def test_matrix_cells_use_the_tolerance() -> None:
    expected = np.array([[1 / 3, 0.1 + 0.2, 1e-12]])
    assert grade_matrix(expected, "1/3 0.3 0").correct
    assert grade_matrix(expected, "0.333 0.3 0").cell_marks == ((False, True, True),)
    assert grade_matrix(expected, "0.333 0.3 0", rel_tol=1e-2).correct


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 1 2\n3 4 5", "expected 3 rows of 3 numbers (a 3×3 matrix), got 2×3"),
        ("0 1 2", "expected 3 rows of 3 numbers (a 3×3 matrix), got 1×3"),
        ("0 3 6\n1 4 7\n2 5 8\n9 9 9", "expected 3 rows of 3 numbers (a 3×3 matrix), got 4×3"),
        ("0 1\n3 4\n6 7", "expected 3 rows of 3 numbers (a 3×3 matrix), got 3×2"),
    ],
)
def test_a_matrix_of_the_wrong_size_is_a_format_error(text: str, message: str) -> None:
    """Not graded and not an attempt (the size is part of reading the question), and the
    solution is not shown."""
    result = grade_matrix(E33, text)
    assert (result.score, result.correct, result.graded) == (0.0, False, False)
    assert result.format_error == message
    assert result.cell_marks is None and result.expected_display is None


def test_the_size_message_speaks_of_one_row() -> None:
    assert grade_matrix(np.zeros((1, 4)), "1 2").format_error == (
        "expected 1 row of 4 numbers (a 1×4 matrix), got 1×2"
    )


def test_unreadable_matrix_is_a_format_error_not_a_grade() -> None:
    result = grade_matrix(E33, "0 1 2\n3 4\n6 7 8")
    assert result.format_error == "row 2 has 2 entries, row 1 has 3"
    assert (result.score, result.correct, result.graded) == (0.0, False, False)
    assert result.cell_marks is None and result.expected_display is None


T233 = np.arange(18.0).reshape(2, 3, 3)


def test_right_tensor_scores_one_with_channel_marks() -> None:
    result = grade_tensor(T233, format_answer(AnswerKind.TENSOR, T233))
    assert (result.score, result.correct) == (1.0, True)
    assert result.channel_marks == (((True,) * 3,) * 3,) * 2
    assert result.cell_marks is None


def test_tensor_partial_credit_marks_each_channel() -> None:
    text = "0 1 2\n3 4 5\n6 7 8\n\n9 10 11\n12 0 14\n15 16 0"
    result = grade_tensor(T233, text)
    assert result.score == pytest.approx(16 / 18)
    assert result.feedback == "16 of 18 entries are correct."
    assert result.channel_marks is not None
    assert result.channel_marks[0] == ((True,) * 3,) * 3
    assert result.channel_marks[1] == ((True, True, True), (True, False, True), (True, True, False))


@pytest.mark.parametrize(
    ("text", "got"),
    [
        ("0 1 2\n3 4 5\n6 7 8", "got 1 channel of 3×3"),
        ("1\n\n2\n\n3", "got 3 channels of 1×1"),
        ("0 1\n3 4\n\n9 10\n12 13", "got 2 channels of 2×2"),
    ],
)
def test_a_tensor_of_the_wrong_size_is_a_format_error(text: str, got: str) -> None:
    result = grade_tensor(T233, text)
    assert (result.score, result.correct, result.graded) == (0.0, False, False)
    assert result.format_error == f"expected 2 channels of 3×3 (3 rows of 3 numbers each), {got}"
    assert result.expected_display is None
    assert grade_tensor(T233[:1], "1\n\n2").format_error == (
        "expected 1 channel of 3×3 (3 rows of 3 numbers each), got 2 channels of 1×1"
    )


def test_format_answer_for_matrices_and_tensors() -> None:
    matrix = np.array([[1.0, -0.5], [1 / 3, 2e-20]])
    assert format_answer(AnswerKind.MATRIX, matrix) == "1 -0.5\n1/3 2e-20"
    assert format_answer(AnswerKind.MATRIX, [[1, 2, 3]]) == "1 2 3"
    assert format_answer(AnswerKind.TENSOR, [[[1]], [[2]]]) == "1\n\n2"
    for kind, bad in [
        (AnswerKind.MATRIX, [1, 2]),
        (AnswerKind.MATRIX, np.zeros((0, 2))),
        (AnswerKind.TENSOR, [[1, 2]]),
        (AnswerKind.MATRIX, [[float("nan")]]),
    ]:
        with pytest.raises(ValueError):
            format_answer(kind, bad)


@pytest.mark.parametrize(
    ("grader", "expected"),
    [
        (grade_matrix, [1.0, 2.0]),
        (grade_matrix, np.zeros((0, 3))),
        (grade_matrix, [[np.nan]]),
        (grade_tensor, np.zeros((2, 2))),
    ],
)
def test_a_bad_expected_array_is_a_caller_mistake(
    grader: Callable[..., Grade], expected: object
) -> None:
    with pytest.raises(ValueError, match="expected"):
        grader(expected, "1 2")
