"""Class rosters: the CSV files ``stride user import`` reads, and every error with its line."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.services.roster import (
    MAX_ROSTER_BYTES,
    MAX_ROSTER_ROWS,
    RosterEntry,
    RosterError,
    parse_roster,
)


def problems(data: bytes | str) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse_roster(data)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


# --- good files -----------------------------------------------------------------------------------


def test_a_minimal_roster_defaults_to_students() -> None:
    assert parse_roster("username\nann\nbob\n") == [
        RosterEntry(2, "ann", "", "student"),
        RosterEntry(3, "bob", "", "student"),
    ]


def test_every_column_and_normalisation() -> None:
    data = "Username,Display_Name,Role\n  Ann.Smith ,  Ann Smith ,INSTRUCTOR\nbob,Bob,student\n"
    assert parse_roster(data) == [
        RosterEntry(2, "ann.smith", "Ann Smith", "instructor"),
        RosterEntry(3, "bob", "Bob", "student"),
    ]


def test_a_byte_order_mark_and_crlf_line_ends_as_excel_saves_them() -> None:
    data = "\ufeffusername,name,role\r\nann,Ann,student\r\nbob,Bob,instructor\r\n".encode()
    assert data.startswith(b"\xef\xbb\xbf")
    assert parse_roster(data) == [
        RosterEntry(2, "ann", "Ann", "student"),
        RosterEntry(3, "bob", "Bob", "instructor"),
    ]


def test_a_text_with_a_byte_order_mark() -> None:
    assert parse_roster("\ufeffusername\nann") == [RosterEntry(2, "ann", "", "student")]


def test_extra_columns_are_ignored_and_order_does_not_matter() -> None:
    data = "email,role,username,student id\nAnn@Example.org,,ann,123\nx@y.zz,instructor,zed,9\n"
    assert parse_roster(data) == [
        RosterEntry(2, "ann", "", "student", "ann@example.org"),
        RosterEntry(3, "zed", "", "instructor", "x@y.zz"),
    ]


@pytest.mark.parametrize("column", ["email", "E-mail", "email_address"])
def test_the_email_column_is_optional_per_row_and_stored_lower_case(column: str) -> None:
    entries = parse_roster(f"username,{column}\nann, Ann@School.Example \nbob,\n")
    assert [(e.username, e.email) for e in entries] == [("ann", "ann@school.example"), ("bob", "")]


def test_bad_and_repeated_email_addresses_are_reported_with_their_lines() -> None:
    data = "username,email\nann,ann@school.example\nbob,not an address\ncid,ANN@school.example\n"
    assert problems(data) == [
        "line 3: 'not an address' is not an e-mail address: expected one like name@school.example",
        "line 4: 'ann@school.example' is already on line 2",
    ]


@pytest.mark.parametrize("column", ["display_name", "name", "full_name", "NAME"])
def test_the_display_name_column_has_aliases(column: str) -> None:
    assert parse_roster(f"username,{column}\nann,Ann Example\n")[0].display_name == "Ann Example"


def test_display_name_wins_over_its_aliases() -> None:
    entry = parse_roster("username,name,display_name\nann,Short,Ann Example\n")[0]
    assert entry.display_name == "Ann Example"


def test_blank_lines_are_skipped_but_still_counted() -> None:
    data = "\n\nusername,name\n\nann,Ann\n , \n\nbob,Bob\n\n"
    assert parse_roster(data) == [
        RosterEntry(5, "ann", "Ann", "student"),
        RosterEntry(8, "bob", "Bob", "student"),
    ]


def test_quoted_cells_may_hold_commas_and_quotes() -> None:
    data = 'username,name\nann,"Example, Ann"\nbob,"Bob ""the builder"" Jones"\n'
    assert [e.display_name for e in parse_roster(data)] == [
        "Example, Ann",
        'Bob "the builder" Jones',
    ]


def test_short_rows_leave_the_missing_cells_empty() -> None:
    assert parse_roster("username,name,role\nann\n") == [RosterEntry(2, "ann", "", "student")]


def test_non_ascii_display_names_survive() -> None:
    data = "username,name\nzoe,Zoë Ångström 李\n".encode()
    assert parse_roster(data)[0].display_name == "Zoë Ångström 李"


def test_a_file_at_the_limits_is_accepted() -> None:
    rows = "\n".join(f"s{i}" for i in range(MAX_ROSTER_ROWS))
    entries = parse_roster(f"username\n{rows}\n")
    assert len(entries) == MAX_ROSTER_ROWS
    assert entries[-1] == RosterEntry(MAX_ROSTER_ROWS + 1, f"s{MAX_ROSTER_ROWS - 1}", "", "student")


# --- errors, each with its line -------------------------------------------------------------------


def test_a_bad_username_is_reported_with_its_line() -> None:
    found = problems("username\nann\nnot valid\n-dash\nlocal\n")
    assert [p.split(":")[0] for p in found] == ["line 3", "line 4", "line 5"]
    assert "'not valid' is not a valid username" in found[0]
    assert "'-dash' is not a valid username" in found[1]
    assert "reserved" in found[2]


def test_an_empty_username_is_reported() -> None:
    assert problems("username,name\n,Nameless\n") == [
        "line 2: '' is not a valid username: expected 1–100 letters, digits or . _ - @, "
        "starting with a letter or digit"
    ]


def test_a_duplicate_is_reported_with_both_lines() -> None:
    assert problems("username\nann\nbob\n\nANN\n") == ["line 5: 'ann' is already on line 2"]


def test_a_bad_role_is_reported_with_its_line() -> None:
    assert problems("username,role\nann,student\nbob,admin\n") == [
        "line 3: role 'admin': expected one of student, instructor"
    ]


def test_an_over_long_display_name_is_reported() -> None:
    assert problems(f"username,name\nann,{'x' * 201}\n") == [
        "line 2: the name is over 200 characters"
    ]


def test_every_problem_is_reported_at_once() -> None:
    found = problems("username,role\nok\nbad name\nok\nfine,boss\n\nfine2,\u00a0\n")
    assert found == [
        "line 3: 'bad name' is not a valid username: expected 1–100 letters, digits or . _ - @, "
        "starting with a letter or digit",
        "line 4: 'ok' is already on line 2",
        "line 5: role 'boss': expected one of student, instructor",
    ]


def test_a_missing_header_is_reported_with_its_line() -> None:
    assert problems("\nann,Ann\nbob,Bob\n") == [
        "line 2: expected a header row naming a 'username' column, got ['ann', 'Ann']"
    ]


def test_a_header_only_file_has_no_accounts() -> None:
    assert problems("username,name\n\n") == ["no accounts: the file has a header but no rows"]


@pytest.mark.parametrize("data", [b"", "", "\n\n \n", b"\xef\xbb\xbf", ",,\n , \n"])
def test_an_empty_file_is_refused(data: bytes | str) -> None:
    assert problems(data) == ["the file is empty; expected a header row with a 'username' column"]


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    data = b"username\n" + b"x" * MAX_ROSTER_BYTES
    assert problems(data) == ["the file is over 1,000,000 bytes; split the roster"]


def test_too_many_rows_are_refused() -> None:
    rows = "\n".join(f"s{i}" for i in range(MAX_ROSTER_ROWS + 1))
    assert problems(f"username\n{rows}\n") == ["10,001 accounts; at most 10,000 per file"]


def test_non_utf8_bytes_are_reported_with_their_offset() -> None:
    data = "username,name\nzoe,Zoë\n".encode("latin-1")
    offset = data.index("ë".encode("latin-1"))
    assert offset == 20
    assert problems(data) == [f"byte {offset}: expected UTF-8 text (save the file as CSV UTF-8)"]


@pytest.mark.parametrize("data", [b"username\nann\x00\n", "username\n\x00ann\n"])
def test_nul_bytes_are_refused(data: bytes | str) -> None:
    assert problems(data) == ["the file holds NUL bytes; expected a CSV text file"]


def test_an_unreadable_csv_row_is_reported_with_its_line() -> None:
    huge = "x" * 200_000  # over the csv module's field limit
    found = problems(f'username,name\nann,"{huge}"\n')
    assert len(found) == 1
    assert found[0].startswith("line 2: not readable as CSV:")


def test_the_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_roster("")


# --- any input: a roster or a RosterError ---------------------------------------------------------

ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates and controls too
CELL = st.one_of(
    st.sampled_from(["ann", "Bob", "local", "student", "instructor", "", " ", '"', "a,b", "\r"]),
    st.text(ANY_CHARACTER, max_size=12),
)
CSV_LIKE = st.lists(st.lists(CELL, max_size=4).map(",".join), max_size=6).flatmap(
    lambda lines: st.sampled_from(["\n", "\r\n", "\r"]).map(
        lambda end: end.join(["username,name,role", *lines])
    )
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # the same examples on every run
    suppress_health_check=[HealthCheck.too_slow],
)


def check_any_input(data: bytes | str) -> None:
    try:
        entries = parse_roster(data)
    except RosterError as error:
        assert error.problems
        assert all(isinstance(p, str) and p for p in error.problems)
        return
    assert entries
    assert len({e.username for e in entries}) == len(entries)
    assert all(e.role in ("student", "instructor") for e in entries)
    assert [e.line for e in entries] == sorted(e.line for e in entries)
    assert all(e.line >= 2 for e in entries)


@FUZZ
@given(st.one_of(st.text(ANY_CHARACTER), CSV_LIKE))
def test_any_text_parses_or_raises_a_roster_error(data: str) -> None:
    check_any_input(data)


@FUZZ
@given(st.one_of(st.binary(), CSV_LIKE.map(lambda s: s.encode("utf-8", "surrogatepass"))))
def test_any_bytes_parse_or_raise_a_roster_error(data: bytes) -> None:
    check_any_input(data)
