"""Grades out: Stride's own CSV, and the layouts Canvas and Moodle import.

Every layout is built from :class:`~quiz.services.gradebook.Gradebook` objects (so overrides
and removed items count as in the gradebook) and is formula-safe: a text cell a spreadsheet
would run (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading
``'`` (:func:`quiz.text_safety.spreadsheet_cell`); numbers are written as they are, with at most
two decimals. Lines end in CRLF (RFC 4180).

* **csv** (one assignment): ``username, display_name, item 1 (2 pts), …, total, max``; an
  unanswered item is an empty cell.
* **canvas** (one or more assignments): ``Student, ID, SIS User ID, SIS Login ID, Section``, then
  one column per assignment named ``Title (id)`` holding the student's total; a second row
  ``Points Possible`` gives each maximum, as in Canvas's own gradebook export. Stride does not
  know Canvas's internal user ``ID`` (left empty); Canvas matches rows by ``SIS User ID`` (the
  Stride username) or ``SIS Login ID`` (the e-mail address when set, else the username).
* **moodle** (one or more assignments): a first column identifying the user — ``Email address``
  (when every student has one) or ``Username`` — then one column per assignment (``Title (id)``)
  holding the total; Moodle's grade import maps the first column to a user field and each other
  column to a grade item.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from quiz.services.gradebook import Gradebook, GradebookRow, number_text
from quiz.text_safety import spreadsheet_row

FORMATS = ("csv", "canvas", "moodle")
MOODLE_IDENTITIES = ("email", "username")


class ExportError(ValueError):
    """Grades that cannot be written in the asked layout (the message says why)."""


def export_grades(books: Sequence[Gradebook], layout: str, identify_by: str | None = None) -> str:
    """``books`` in ``layout`` (one of :data:`FORMATS`); ``identify_by`` is Moodle's user column
    (``email`` or ``username``; default: e-mail when every student has one)."""
    if not books:
        raise ExportError("No assignment to export: name at least one.")
    if layout == "csv":
        if len(books) != 1:
            raise ExportError(
                "The csv layout holds one assignment (its items as columns); "
                "use canvas or moodle for several."
            )
        return grades_csv(books[0])
    if layout == "canvas":
        return canvas_csv(books)
    if layout == "moodle":
        return moodle_csv(books, identify_by)
    raise ExportError(f"Unknown export format {layout!r}; expected one of {', '.join(FORMATS)}.")


def _csv(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(spreadsheet_row(list(row)))
    return out.getvalue()


def grades_csv(book: Gradebook) -> str:
    """One assignment, one row per student: ``username, display_name, item …, total, max``."""
    header = ["username", "display_name", *(item.label for item in book.items), "total", "max"]
    rows: list[Sequence[object]] = [header]
    for row in book.rows:
        rows.append(
            [
                row.username,
                row.display_name,
                *("" if p is None else number_text(p) for p in row.points),
                number_text(row.total),
                number_text(book.max_total),
            ]
        )
    return _csv(rows)


def _students(books: Sequence[Gradebook]) -> list[GradebookRow]:
    """Every student in any of ``books``, once, by username."""
    found: dict[int, GradebookRow] = {}
    for book in books:
        for row in book.rows:
            found.setdefault(row.user_id, row)
    return sorted(found.values(), key=lambda row: (row.username, row.user_id))


def _totals(books: Sequence[Gradebook]) -> list[dict[int, float]]:
    return [{row.user_id: row.total for row in book.rows} for book in books]


def canvas_csv(books: Sequence[Gradebook]) -> str:
    """Canvas's gradebook import layout (see the module docstring)."""
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    header += [f"{book.title} ({book.assignment_id})" for book in books]
    possible = ["Points Possible", "", "", "", ""]
    possible += [number_text(book.max_total) for book in books]
    rows: list[Sequence[object]] = [header, possible]
    totals = _totals(books)
    for student in _students(books):
        rows.append(
            [
                student.display_name or student.username,
                "",
                student.username,
                student.email or student.username,
                student.section or "",
                *(
                    number_text(scores[student.user_id]) if student.user_id in scores else ""
                    for scores in totals
                ),
            ]
        )
    return _csv(rows)


def moodle_csv(books: Sequence[Gradebook], identify_by: str | None = None) -> str:
    """Moodle's grade import layout (see the module docstring)."""
    students = _students(books)
    if identify_by is None:
        identify_by = "email" if students and all(s.email for s in students) else "username"
    if identify_by not in MOODLE_IDENTITIES:
        raise ExportError(
            f"Moodle rows identify users by {' or '.join(MOODLE_IDENTITIES)}; got {identify_by!r}."
        )
    if identify_by == "email":
        missing = [s.username for s in students if not s.email]
        if missing:
            raise ExportError(
                f"{len(missing)} student{'s have' if len(missing) != 1 else ' has'} no e-mail "
                f"address ({', '.join(missing[:5])}{', …' if len(missing) > 5 else ''}): "
                "set them (roster import or the People page) or identify users by username."
            )
    header = ["Email address" if identify_by == "email" else "Username"]
    header += [f"{book.title} ({book.assignment_id})" for book in books]
    rows: list[Sequence[object]] = [header]
    totals = _totals(books)
    for student in students:
        who = student.email if identify_by == "email" else student.username
        rows.append(
            [
                who,
                *(
                    number_text(scores[student.user_id]) if student.user_id in scores else ""
                    for scores in totals
                ),
            ]
        )
    return _csv(rows)
