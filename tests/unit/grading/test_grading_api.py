"""The public surface: Grade, the grade() dispatcher, describe_expected, the safety net."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

import quiz.grading as grading
from quiz.grading import (
    INTERNAL_ERROR,
    AnswerFormatError,
    AnswerKind,
    Grade,
    describe_expected,
    grade,
)
from quiz.grading import grades as grades_module


def test_answer_kinds_are_strings() -> None:
    assert [str(kind) for kind in AnswerKind] == ["number", "shape", "matrix", "tensor"]
    assert AnswerKind("shape") is AnswerKind.SHAPE


def test_answer_format_error_is_a_value_error_with_a_message() -> None:
    error = AnswerFormatError("expected a number")
    assert isinstance(error, ValueError)
    assert error.message == str(error) == "expected a number"


def test_public_names() -> None:
    for name in grading.__all__:
        assert hasattr(grading, name), name
    for name in ("parse_number", "parse_shape", "parse_matrix", "parse_tensor", "format_answer"):
        assert name in grading.__all__


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        (AnswerKind.NUMBER, "a number, e.g. 12, -3.5 or 3/4"),
        (AnswerKind.SHAPE, "a shape, e.g. 48 × 48 or 3 × 32 × 32"),
        (AnswerKind.MATRIX, "one row per line, entries separated by spaces (or [[1, 2], [3, 4]])"),
        (
            "tensor",
            "one matrix per channel (one row per line), channels separated by a blank line",
        ),
    ],
)
def test_describe_expected(kind: AnswerKind | str, hint: str) -> None:
    assert describe_expected(kind) == hint


def test_grade_dispatches_on_the_kind_and_passes_options() -> None:
    assert grade(AnswerKind.NUMBER, 0.75, "3/4").correct
    assert grade("number", 1 / 3, "0.333", rel_tol=1e-2).correct
    assert grade(AnswerKind.SHAPE, (3, 48, 48), "48x48", optional="leading").correct
    assert grade(AnswerKind.SHAPE, (3, 4), "3", names=("h", "w")).format_error == (
        "expected 2 numbers (h × w), got 1"
    )
    assert grade(AnswerKind.MATRIX, [[1, 2]], "1 2").cell_marks == ((True, True),)
    assert grade(AnswerKind.TENSOR, [[[1]], [[2]]], "1\n\n2").correct
    with pytest.raises(TypeError):
        grade(AnswerKind.SHAPE, (3, 4), "3x4", rel_tol=0.1)
    with pytest.raises(ValueError):
        grade("vector", 1, "1")


def test_grade_is_frozen_and_checks_its_invariants() -> None:
    result = Grade(0.5, False, feedback="1 of 2 entries is correct.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 1.0  # type: ignore[misc]
    assert dataclasses.replace(result, mistake="flipped_kernel").mistake == "flipped_kernel"
    assert result.graded
    with pytest.raises(ValueError, match="between 0 and 1"):
        Grade(1.5, True)
    with pytest.raises(ValueError, match="not graded"):
        Grade(1.0, True, format_error="expected a number")
    unreadable = Grade.unreadable("expected a number")
    assert (unreadable.score, unreadable.correct, unreadable.graded) == (0.0, False, False)


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t\n"])
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (AnswerKind.NUMBER, 1.0),
        (AnswerKind.SHAPE, (2, 2)),
        (AnswerKind.MATRIX, np.eye(2)),
        (AnswerKind.TENSOR, np.ones((1, 2, 2))),
    ],
)
def test_an_empty_answer_is_a_format_error(kind: AnswerKind, expected: object, raw: str) -> None:
    result = grade(kind, expected, raw)
    assert result.format_error is not None
    assert result.format_error.endswith("the answer is empty")
    assert not result.graded


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (AnswerKind.NUMBER, 1.0),
        (AnswerKind.SHAPE, (2, 2)),
        (AnswerKind.MATRIX, np.eye(2)),
        (AnswerKind.TENSOR, np.ones((1, 2, 2))),
    ],
)
def test_absurd_answers_are_format_errors(kind: AnswerKind, expected: object) -> None:
    for raw in ("1 " * 10_001, "[" * 10_000, "\x00", 12, b"12"):
        result = grade(kind, expected, raw)  # type: ignore[arg-type]
        assert result.format_error is not None, raw
        assert result.format_error != INTERNAL_ERROR


def test_a_parser_bug_is_logged_and_reported_as_ungraded(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: str) -> float:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(grades_module, "parse_number", broken)
    with caplog.at_level(logging.ERROR, logger="quiz.grading.grades"):
        result = grade(AnswerKind.NUMBER, 1.0, "1")
    assert result.format_error == INTERNAL_ERROR
    assert not result.graded
    assert "could not read answer '1'" in caplog.text
