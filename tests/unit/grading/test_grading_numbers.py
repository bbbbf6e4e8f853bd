"""parse_number and format_number: every accepted spelling, every rejection and its message."""

from __future__ import annotations

import pytest

from quiz.grading import AnswerFormatError, AnswerKind, format_answer, parse_number

ACCEPTED = [
    ("12", 12.0),
    ("0", 0.0),
    ("-3.5", -3.5),
    ("+2", 2.0),
    ("  7  ", 7.0),
    ("\t7\n", 7.0),
    (".5", 0.5),
    ("3.", 3.0),
    ("007", 7.0),
    ("1e-3", 0.001),
    ("2.5E+4", 25000.0),
    ("-1e2", -100.0),
    ("3/4", 0.75),
    ("-3/4", -0.75),
    ("+3/4", 0.75),
    ("3 / 4", 0.75),
    ("1.5/2", 0.75),
    ("0/5", 0.0),
    ("1/3", 1 / 3),
    ("−3", -3.0),  # Unicode minus sign
    ("−3/4", -0.75),
    ("–2", -2.0),  # en dash, as autocorrected by word processors
    ("- 3", -3.0),
    ("3\u20444", 0.75),  # fraction slash
    ("\u00a012\u00a0", 12.0),  # no-break spaces
    ("\u200b12", 12.0),  # zero-width space
    ("1e-400", 0.0),  # underflows to zero: a tiny number, not an error
]


@pytest.mark.parametrize(("text", "value"), ACCEPTED)
def test_accepted_spellings(text: str, value: float) -> None:
    assert parse_number(text) == value


REJECTED = [
    ("", "expected a number such as 12, -3.5 or 3/4; the answer is empty"),
    ("   \n ", "expected a number such as 12, -3.5 or 3/4; the answer is empty"),
    ("48*48", "expected a single number such as 12, -3.5 or 3/4; got '48*48'"),
    ("48x48", "expected a single number such as 12, -3.5 or 3/4; got '48x48'"),
    ("48 by 4x", "expected a single number such as 12, -3.5 or 3/4; got '48 by 4x'"),
    ("2 3", "expected a single number such as 12, -3.5 or 3/4; got '2 3'"),
    ("0.1+0.2", "expected a single number such as 12, -3.5 or 3/4; got '0.1+0.2'"),
    ("1/2/3", "expected a single number such as 12, -3.5 or 3/4; got '1/2/3'"),
    ("3/-4", "expected a single number such as 12, -3.5 or 3/4; got '3/-4'"),
    ("1 1/2", "expected a single number such as 12, -3.5 or 3/4; got '1 1/2'"),
    ("--3", "expected a single number such as 12, -3.5 or 3/4; got '--3'"),
    ("twelve", "expected a single number such as 12, -3.5 or 3/4; got 'twelve'"),
    ("1_000", "expected a single number such as 12, -3.5 or 3/4; got '1_000'"),
    ("75%", "expected a single number such as 12, -3.5 or 3/4; got '75%'"),
    ("0x1f", "expected a single number such as 12, -3.5 or 3/4; got '0x1f'"),
    (".", "expected a single number such as 12, -3.5 or 3/4; got '.'"),
    ("e5", "expected a single number such as 12, -3.5 or 3/4; got 'e5'"),
    ("[3]", "expected a single number such as 12, -3.5 or 3/4; got '[3]'"),
    ("nan", "expected a finite number; got 'nan'"),
    ("NaN", "expected a finite number; got 'NaN'"),
    ("inf", "expected a finite number; got 'inf'"),
    ("-Infinity", "expected a finite number; got '-Infinity'"),
    ("∞", "expected a finite number; got '∞'"),
    ("3/0", "can't divide by zero in '3/0'"),
    ("-1/0.0", "can't divide by zero in '-1/0.0'"),
    ("1e400", "'1e400' is too large"),
    ("-1e400", "'-1e400' is too large"),
    ("1e300/1e-300", "expected a single number such as 12, -3.5 or 3/4; got '1e300/1e-300'"),
    (
        "1,024",
        "write 1024 without the thousands separator ('1,024' could also be read as two numbers, "
        "or as the decimal 1.024)",
    ),
    (
        "1,024,000",
        "write 1024000 without the thousands separator ('1,024,000' could also be read as "
        "several numbers)",
    ),
    ("0,5", "use a point for decimals: 0.5, not 0,5"),
    ("-2,75", "use a point for decimals: -2.75, not -2,75"),
    ("٣", "use the digits 0-9 (found '٣'); expected a single number such as 12, -3.5 or 3/4"),
    ("１２", "use the digits 0-9 (found '１'); expected a single number such as 12, -3.5 or 3/4"),
    ("10²", "use the digits 0-9 (found '²'); expected a single number such as 12, -3.5 or 3/4"),
    ("1" * 101, "a number can have at most 100 characters"),
    ("1\x002", "the answer contains an invisible control character (U+0000); please retype it"),
    ("1\x1b", "the answer contains an invisible control character (U+001B); please retype it"),
    ("1\x85", "the answer contains an invisible control character (U+0085); please retype it"),
    ("1" * 20_001, "the answer is too long: at most 20000 characters"),
]


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_rejections_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_number(text)
    assert caught.value.message == message
    assert str(caught.value) == message


def test_long_input_in_quotes_is_shortened_to_one_line() -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_number("one two\nthree four five six seven eight nine")
    assert caught.value.message.endswith("got 'one two three four five six s…'")


def test_none_counts_as_empty_and_other_types_are_format_errors() -> None:
    with pytest.raises(AnswerFormatError, match="the answer is empty"):
        parse_number(None)  # type: ignore[arg-type]
    with pytest.raises(AnswerFormatError, match="expected text, got a int"):
        parse_number(12)  # type: ignore[arg-type]


FORMATTED = [
    (48, "48"),
    (48.0, "48"),
    (-3.0, "-3"),
    (0.0, "0"),
    (-0.0, "0"),
    (0.75, "0.75"),
    (-2.5, "-2.5"),
    (0.125, "0.125"),
    (1 / 3, "1/3"),
    (-2 / 7, "-2/7"),
    (5 / 3, "5/3"),
    (1 / 97, "1/97"),
    (1 / 101, repr(1 / 101)),
    (0.1 + 0.2, "0.30000000000000004"),
    (1e-20, "1e-20"),
    (123456.5, "123456.5"),
    (1234567.5, "1234567.5"),
    (1 / 64, "0.015625"),
    (0.1, "0.1"),
    (1 / 6, "1/6"),
    (7 / 30, "7/30"),
    (3e20, "3e+20"),
    (2**53, "9007199254740992"),
]


@pytest.mark.parametrize(("value", "text"), FORMATTED)
def test_format_answer_for_numbers(value: float, text: str) -> None:
    assert format_answer(AnswerKind.NUMBER, value) == text
    assert parse_number(text) == value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_format_answer_refuses_non_finite_numbers(value: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        format_answer(AnswerKind.NUMBER, value)
