"""is_close and grade_number: relative + absolute tolerance, never == on floats."""

from __future__ import annotations

import numpy as np
import pytest

from quiz.grading import DEFAULT_ABS_TOL, DEFAULT_REL_TOL, grade_number, is_close


def test_defaults() -> None:
    assert (DEFAULT_REL_TOL, DEFAULT_ABS_TOL) == (1e-6, 1e-9)


@pytest.mark.parametrize(
    ("actual", "expected", "close"),
    [
        (0.1 + 0.2, 0.3, True),
        (0.3, 0.1 + 0.2, True),
        (0.333, 1 / 3, False),
        (0.333333, 1 / 3, True),  # relative error 1e-6: just inside
        (0.33333, 1 / 3, False),
        (1_000_000.9, 1_000_000.0, True),  # 1e-6 relative of a million is 1
        (1_000_002.0, 1_000_000.0, False),
        (5e-10, 0.0, True),  # the absolute tolerance near zero
        (2e-9, 0.0, False),
        (-1.0, 1.0, False),
        (1e-300, -1e-300, True),
        (np.nan, 1.0, False),
        (1.0, np.nan, False),
        (np.nan, np.nan, False),
        (np.inf, np.inf, True),
        (-np.inf, np.inf, False),
        (1e308, np.inf, False),
        (np.inf, 1e308, False),
        (1e308, -1e308, False),  # the difference overflows: not close, and no warning
    ],
)
def test_is_close_scalars(actual: float, expected: float, close: bool) -> None:
    result = is_close(actual, expected)
    assert type(result) is bool
    assert result is close


def test_relative_tolerance_is_measured_against_the_expected_value() -> None:
    assert is_close(1.5, 1.0, rel_tol=0.5)
    assert not is_close(1.0, 1.5, rel_tol=0.3)  # 0.5 > 0.3 * 1.5
    assert is_close(1.0, 1.5, rel_tol=0.34)


def test_custom_tolerances() -> None:
    assert is_close(0.333, 1 / 3, rel_tol=1e-2)
    assert is_close(0.1, 0.0, abs_tol=0.1)
    assert not is_close(0.1, 0.0, abs_tol=0.09)
    assert is_close(3.0, 3.0, rel_tol=0.0, abs_tol=0.0)
    with pytest.raises(ValueError, match="non-negative"):
        is_close(1.0, 1.0, rel_tol=-1e-6)
    with pytest.raises(ValueError, match="non-negative"):
        is_close(1.0, 1.0, abs_tol=float("nan"))


def test_is_close_is_elementwise_for_arrays() -> None:
    actual = np.array([[0.1 + 0.2, 0.333], [1.0, np.nan]])
    expected = np.array([[0.3, 1 / 3], [1.0, 0.0]])
    marks = is_close(actual, expected)
    assert isinstance(marks, np.ndarray)
    assert marks.dtype == bool
    assert marks.tolist() == [[True, False], [True, False]]
    assert is_close([1.0, 2.0], 1.0).tolist() == [True, False]  # broadcasts like numpy


@pytest.mark.parametrize(
    ("expected", "raw"),
    [
        (0.3, "0.3"),
        (0.1 + 0.2, "0.3"),
        (0.3, "0.30000000000000004"),
        (1 / 3, "1/3"),
        (1 / 3, "0.3333333"),
        (0.75, "3/4"),
        (0.75, ".75"),
        (-0.75, "−3/4"),
        (48, "48"),
        (48, "48.0"),
        (48, "4.8e1"),
        (0.0, "-0"),
        (1e-12, "0"),
        (2.0, "+2"),
    ],
)
def test_right_numbers(expected: float, raw: str) -> None:
    result = grade_number(expected, raw)
    assert (result.score, result.correct, result.format_error) == (1.0, True, None)
    assert result.feedback == "Correct."


def test_right_number_display() -> None:
    assert grade_number(1 / 3, "1/3").expected_display == "1/3"
    assert grade_number(0.75, "3/4").expected_display == "0.75"
    assert grade_number(48, "48").expected_display == "48"


def test_a_rounded_answer_is_wrong_with_a_hint() -> None:
    result = grade_number(1 / 3, "0.333")
    assert (result.score, result.correct, result.format_error) == (0.0, False, None)
    assert result.feedback == (
        "Close, but not accurate enough: check your rounding. Give more significant digits, "
        "or write the exact value as a fraction such as 3/4."
    )
    assert result.expected_display == "1/3"


def test_a_wrong_count_gets_no_rounding_hint() -> None:
    """280 for 288 parameters is within 1 %, but two whole numbers cannot differ by rounding."""
    assert grade_number(288, "280").feedback == "Incorrect."
    assert grade_number(960, "959").feedback == "Incorrect."
    assert grade_number(960, "959.5").feedback.startswith("Close, but")  # not a whole number


def test_a_far_answer_is_plainly_wrong() -> None:
    result = grade_number(48, "46")
    assert (result.score, result.correct, result.feedback) == (0.0, False, "Incorrect.")
    assert result.mistake is None


def test_tolerance_options() -> None:
    assert grade_number(1 / 3, "0.333", rel_tol=1e-2).correct
    assert grade_number(0.0, "0.05", abs_tol=0.1).correct
    assert grade_number(1 / 3, "0.3", rel_tol=1e-2).feedback == "Incorrect."  # 10% off


def test_number_format_errors_are_not_graded() -> None:
    result = grade_number(2304, "48*48")
    assert result.format_error == "expected a single number such as 12, -3.5 or 3/4; got '48*48'"
    assert (result.score, result.correct, result.graded) == (0.0, False, False)
    assert result.expected_display is None
    assert grade_number(1024, "1,024").format_error.startswith("write 1024 without")  # type: ignore[union-attr]


@pytest.mark.parametrize("expected", [float("nan"), float("inf")])
def test_a_non_finite_expected_number_is_a_caller_mistake(expected: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        grade_number(expected, "1")


def test_negative_tolerance_is_a_caller_mistake() -> None:
    with pytest.raises(ValueError, match="tolerances"):
        grade_number(1.0, "1", rel_tol=-1.0)
