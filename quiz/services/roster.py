"""Class rosters: a CSV file of accounts to create (``stride user import roster.csv``).

The first row names the columns: ``username`` is required; ``display_name`` (or ``name``),
``role`` (``student`` or ``instructor``; default ``student``), ``email`` (or ``e-mail``: the
address single sign-on links the account by, and the Moodle and Canvas exports use; may be empty)
and ``section`` (the class section: extensions per section, the Canvas export's Section column;
at most 100 characters) are optional; other columns are ignored. Every problem is reported with
its line, and nothing is created unless the whole file is valid.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from quiz.services.accounts import MAX_DISPLAY_NAME, AccountError, check_email, check_username
from quiz.vocabulary import ROLE_STUDENT, ROLES

MAX_ROSTER_BYTES = 1_000_000
MAX_ROSTER_ROWS = 10_000
DISPLAY_NAME_COLUMNS = ("display_name", "name", "full_name")
EMAIL_COLUMNS = ("email", "e-mail", "email_address")
SECTION_COLUMNS = ("section", "class_section", "group")
MAX_SECTION = 100


@dataclass(frozen=True)
class RosterEntry:
    line: int
    username: str
    display_name: str
    role: str
    email: str = ""
    """Lower-case, or empty when the roster gives none."""
    section: str = ""


class RosterError(ValueError):
    """A roster that cannot be imported; ``problems`` are ``"line N: message"`` strings."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_roster(data: bytes | str) -> list[RosterEntry]:
    """The entries of a roster file, or :class:`RosterError` listing every problem."""
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterError([f"the file is over {MAX_ROSTER_BYTES:,} bytes; split the roster"])
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            message = f"byte {error.start}: expected UTF-8 text (save the file as CSV UTF-8)"
            raise RosterError([message]) from None
    data = data.removeprefix("\ufeff")
    if "\x00" in data:
        raise RosterError(["the file holds NUL bytes; expected a CSV text file"])
    reader = csv.reader(io.StringIO(data, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as error:
        raise RosterError([f"line {reader.line_num}: not readable as CSV: {error}"]) from None
    if not rows:
        raise RosterError(["the file is empty; expected a header row with a 'username' column"])
    header_line, header_row = rows[0]
    header = [cell.strip().lower() for cell in header_row]
    if "username" not in header:
        raise RosterError(
            [
                f"line {header_line}: expected a header row naming a 'username' column, "
                f"got {header_row!r}"
            ]
        )
    if len(rows) - 1 > MAX_ROSTER_ROWS:
        raise RosterError([f"{len(rows) - 1:,} accounts; at most {MAX_ROSTER_ROWS:,} per file"])
    return _entries(header, rows[1:])


def _entries(header: list[str], rows: list[tuple[int, list[str]]]) -> list[RosterEntry]:
    column = {name: index for index, name in reversed(list(enumerate(header)))}
    name_column = next((column[c] for c in DISPLAY_NAME_COLUMNS if c in column), None)
    email_column = next((column[c] for c in EMAIL_COLUMNS if c in column), None)
    section_column = next((column[c] for c in SECTION_COLUMNS if c in column), None)
    entries: list[RosterEntry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for number, row in rows:

        def cell(index: int | None, row: list[str] = row) -> str:
            return row[index].strip() if index is not None and index < len(row) else ""

        username, display_name = cell(column["username"]), cell(name_column)
        role = cell(column.get("role")).lower() or ROLE_STUDENT
        try:
            username = check_username(username)
        except AccountError as error:
            problems.append(f"line {number}: {error}")
            continue
        if username in seen:
            problems.append(f"line {number}: {username!r} is already on line {seen[username]}")
            continue
        seen[username] = number
        if role not in ROLES:
            problems.append(f"line {number}: role {role!r}: expected one of {', '.join(ROLES)}")
        if len(display_name) > MAX_DISPLAY_NAME:
            problems.append(f"line {number}: the name is over {MAX_DISPLAY_NAME} characters")
        try:
            email = check_email(cell(email_column)) or ""
        except AccountError as error:
            problems.append(f"line {number}: {error}")
            email = ""
        if email and email in seen_emails:
            problems.append(f"line {number}: {email!r} is already on line {seen_emails[email]}")
        elif email:
            seen_emails[email] = number
        section = cell(section_column)
        if len(section) > MAX_SECTION:
            problems.append(f"line {number}: the section is over {MAX_SECTION} characters")
        entries.append(RosterEntry(number, username, display_name, role, email, section))
    if problems:
        raise RosterError(problems)
    if not entries:
        raise RosterError(["no accounts: the file has a header but no rows"])
    return entries
