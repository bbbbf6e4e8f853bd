"""Fuzzing class rosters (``stride user import roster.csv``) from a *valid* roster: lines deleted,
duplicated or swapped, cells cut, quotes unbalanced, huge cells (past the csv module's field
limit), NUL bytes, invalid UTF-8, byte order marks, other line ends, truncation. Every file gives
its accounts or a :class:`RosterError` listing problems that are not empty and, when they name a
line, name one inside the file -- never another exception.

Not repeated here (``tests/unit/test_roster.py``): any text, any bytes and CSV-like soups.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given

from quiz.services.roster import MAX_ROSTER_BYTES, RosterEntry, RosterError, parse_roster

from .mutations import FUZZ, encode, line_count, mutated_bytes, mutated_lines, time_limit

pytestmark = pytest.mark.slow  # fuzzing (hypothesis, many examples)

ROSTER = (
    "\ufeffUsername,Display_Name,Role,Email\r\n"
    "ann,Ann Example,student,ann@example.org\r\n"
    'bob,"Robert ""Bob"" Jones, Jr.",instructor,\r\n'
    "\r\n"
    "chloe,Chloé Zhāng 张,STUDENT,c@example.org\r\n"
    'dan,"Dan\r\nTwo Lines",,\r\n'
    "eve,,student\r\n"
)
ROSTER_LINES = [
    "username", "username,name,role", "name,role", "x,,admin", "ann,Ann again,student", '"',
    '"unclosed,', ",,,", " , , ", "UsErNaMe", "ü" * 200, "a" * 300 + ",x", "#comment",
]  # fmt: skip
_LINE = re.compile(r"^line (\d+): ")


def assert_entries_or_clear_error(data: bytes | str) -> list[RosterEntry] | None:
    with time_limit(10, "parsing a roster"):
        try:
            entries = parse_roster(data)
        except RosterError as error:
            assert error.problems and str(error)
            for problem in error.problems:
                assert isinstance(problem, str) and problem.strip()
                if match := _LINE.match(problem):
                    assert 1 <= int(match.group(1)) <= line_count(data), problem
            return None
    assert entries
    assert len({entry.username for entry in entries}) == len(entries)
    assert all(entry.role in ("student", "instructor") for entry in entries)
    assert all(2 <= entry.line <= line_count(data) for entry in entries)
    return entries


def test_the_seed_roster_is_valid() -> None:
    entries = assert_entries_or_clear_error(encode(ROSTER))
    assert entries is not None and len(entries) == 5


@FUZZ
@given(mutated_lines(ROSTER.replace("\r\n", "\n"), lines_pool=ROSTER_LINES))
@example("username\n" + "x" * 200_000)  # one cell past the csv module's field limit
@example('username\n"' + "x\n" * 50)  # a quote never closed
def test_mutated_rosters(text: str) -> None:
    assert_entries_or_clear_error(text)
    assert_entries_or_clear_error(encode(text))


@FUZZ
@given(mutated_bytes(encode(ROSTER)))
def test_damaged_roster_bytes(data: bytes) -> None:
    assert_entries_or_clear_error(data)


@pytest.mark.parametrize(
    ("delta", "row"), [(0, "ann," + "A" * 999 + "\n"), (1, "ann,Ann\n"), (1, "ü,ü\n")]
)
def test_rosters_at_the_size_limit(delta: int, row: str) -> None:
    """A file of exactly the byte limit is read (then judged on its rows); one byte more is
    refused before it is parsed, with a message that says so."""
    header = b"username,name\n"
    data = header + encode(row) * ((MAX_ROSTER_BYTES - len(header)) // len(encode(row)) + 1)
    data = data[: MAX_ROSTER_BYTES + delta]
    try:
        parse_roster(data)
    except RosterError as error:
        over = any("split the roster" in problem for problem in error.problems)
        assert over == (len(data) > MAX_ROSTER_BYTES), error.problems[:3]
