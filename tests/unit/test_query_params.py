"""Reading query parameters (:mod:`quiz.ui.query`): anything that is not what a page expects reads
as ``None``, never an exception (the pages themselves: tests/app/test_hostile_queries.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.ui.query import MAX_ID, parse_choice, parse_int
from tests.unit.fuzz.mutations import FUZZ


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("42", 42),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("9" * 10_000, None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1e9", None),
        ("1.5", None),
        ("0x10", None),
        (" 7", None),
        ("7\n", None),
        ("²", None),
        ("١", None),
        ("%00", None),
        ("\x00", None),
        ("", None),
        (None, None),
    ],
)
def test_an_id_is_ascii_digits_in_range(text: str | None, expected: int | None) -> None:
    assert parse_int(text) == expected


def test_ranges_other_than_ids() -> None:
    assert parse_int("0", low=0) == 0
    assert parse_int("3", low=1, high=3) == 3
    assert parse_int("4", low=1, high=3) is None
    assert parse_int(str(MAX_ID + 1), low=0, high=2**40) is None  # never above MAX_ID


@FUZZ
@given(st.text())
def test_any_text_reads_as_a_number_in_range_or_none(text: str) -> None:
    value = parse_int(text)
    assert value is None or (1 <= value <= MAX_ID and str(value) == text.lstrip("0"))


def test_a_choice_is_one_of_the_known() -> None:
    families = {"conv-output-size": object()}
    assert parse_choice("conv-output-size", families) == "conv-output-size"
    for text in ("CONV-OUTPUT-SIZE", "conv-output-size ", "x" * 10_000, "", None):
        assert parse_choice(text, families) is None
