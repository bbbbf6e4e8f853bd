"""What the gradebook's tabs share: running an action, the note it leaves, and the labels.

An action runs in :meth:`~quiz.runtime.Stride.write` from a form or a button (:func:`act`): a
refusal shows the service's reasons and the page stays; success reruns the page with a toast
and, when there is more to say (what an edit or a regrade changed), a note above the tabs
(:func:`show_flash`). Labels and cells never show a literal "None": an empty one is
:data:`EMPTY`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

from quiz.services.access import PermissionDenied
from quiz.services.assignments import AssignmentNotFoundError, AssignmentSpecError
from quiz.services.grade_exports import ExportError
from quiz.services.gradebook import (
    Gradebook,
    GradebookItem,
    GradebookRow,
    RegradeReport,
    number_text,
)
from quiz.services.term_admin import TermActionError
from quiz.ui.assignment_admin import show_problems
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown

FLASH_KEY = "gradebook_flash"
EMPTY = "—"
"""What an empty cell shows (never a literal "None")."""
REFUSALS = (TermActionError, AssignmentNotFoundError, PermissionDenied, ExportError)
"""What a service raises when it will not do an action; the message says why."""
NOBODY_YET = "Nobody has this assignment yet: add students on the People page."
SHOWN_CHANGES = 20
"""A regrade's note lists at most this many changed scores."""

T = TypeVar("T")
Session = Any
"""The database session a service is given (pages import no SQL: see test_architecture)."""
Outcome = tuple[str, Sequence[str]]
"""What a done action says: the toast, and lines for the note above the tabs (may be empty)."""


# --- actions -----------------------------------------------------------------------------------


def flash(message: str, details: Sequence[str] = ()) -> None:
    """Say ``message`` (a toast) and ``details`` (a note) on the next run of the page."""
    st.session_state[FLASH_KEY] = (message, tuple(details))


def show_flash() -> None:
    """The toast and note an action left for this run, if any."""
    found = st.session_state.pop(FLASH_KEY, None)
    if not found:
        return
    message, details = found
    st.toast(escape_markdown(message), icon=":material/check_circle:")
    if details:
        st.success("\n".join(f"- {note_line(line)}" for line in details))


def note_line(text: str) -> str:
    """``text`` shown literally in a Markdown note: :func:`~quiz.ui.text.escape_markdown`, with
    its parentheses left as they are (harmless once brackets are escaped: no link can form), so
    the note's source reads as the sentence does (``no scores changed (2 submissions
    checked)``)."""
    return escape_markdown(text).replace("\\(", "(").replace("\\)", ")")


def act(work: Callable[[Session], T], done: Callable[[T], Outcome], refused: str) -> None:
    """Run ``work`` in one write transaction. Refused: show why (``refused`` heads a list of
    problems) and stay; done: flash ``done(result)`` and rerun the page."""
    try:
        result = get_stride().write(work)
    except AssignmentSpecError as error:
        show_problems(refused, error.problems)
        return
    except REFUSALS as error:
        refuse(f"{refused} {error}")
        return
    flash(*done(result))
    st.rerun()


def refuse(message: str) -> None:
    """An error box saying ``message`` literally."""
    st.error(escape_markdown(message), icon=":material/block:")


def says(message: str, *details: str) -> Callable[[Any], Outcome]:
    """The outcome of an action whose result adds nothing: the toast and the note's lines."""
    return lambda _: (message, details)


def regrade_lines(report: RegradeReport, heading: str = "Regrade") -> list[str]:
    """``Regrade: <summary>.`` and then each student total that moved (``ada: total 1 → 4``),
    as the service's report has them."""
    return [
        f"{heading}: {report.summary()}.",
        *(
            f"{moved.username}: total {number_text(moved.old_total)} → "
            f"{number_text(moved.new_total)}"
            for moved in report.total_changes
        ),
    ]


# --- labels ------------------------------------------------------------------------------------


def item_title(item: GradebookItem) -> str:
    """A problem by position and family: ``P1 · Output size``."""
    return f"P{item.position} · {item.family_title}"


def student_label(row: GradebookRow) -> str:
    """``Ada Lovelace (ada)``, or the username alone."""
    return f"{row.display_name} ({row.username})" if row.display_name else row.username


def pick_student(
    book: Gradebook, label: str, key: str, *, where: Any = st, nobody: str | None = None
) -> str | None:
    """A select box of the gradebook's students, by username (shown as :func:`student_label`);
    with ``nobody``, a first choice ``None`` shown as that text. ``where``: a column."""
    rows = {row.username: row for row in book.rows}
    options: list[str | None] = [None] if nobody is not None else []
    options += list(rows)
    return where.selectbox(
        label,
        options,
        format_func=lambda name: nobody if name is None else student_label(rows[name]),
        key=key,
    )
