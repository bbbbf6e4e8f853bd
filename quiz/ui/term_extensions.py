"""The gradebook's Extensions tab: who has one, giving one, taking one back.

An extension gives one student or one section a later due time and/or extra attempts per
problem; a student's own extension wins over their section's. The list is the service's
(:func:`~quiz.services.term_admin.list_extensions`: for whom, due, extra attempts, granted by
whom and when), with the students each one applies to. Giving or taking one back regrades the
answers of the students it concerns and is kept in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pandas as pd
import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.assignments import MAX_ATTEMPTS
from quiz.services.gradebook import Gradebook
from quiz.services.term_admin import (
    ExtensionRow,
    grant_extension,
    list_extensions,
    remove_extension,
)
from quiz.ui.assignment_admin import datetime_inputs
from quiz.ui.assignment_take import local_time
from quiz.ui.state import get_stride
from quiz.ui.term_common import EMPTY, NOBODY_YET, act, pick_student, says


def extensions_tab(actor: Actor, book: Gradebook) -> None:
    """The current extensions, taking one back, and giving one."""
    if not book.rows:
        st.info(NOBODY_YET)
        return
    st.caption(f"The assignment is due {local_time(book.due_at)}.")
    with get_stride().transaction() as session:
        extensions = list_extensions(session, actor, book.assignment_id)
    if extensions:
        _extensions_table(actor, book, extensions)
    else:
        st.caption("No extensions yet.")
    _extension_form(actor, book)


def whose(extension: ExtensionRow) -> str:
    """``ada`` or ``section B``."""
    return extension.username or f"section {extension.section}"


def applies_to(book: Gradebook, extensions: Sequence[ExtensionRow]) -> dict[str, list[str]]:
    """Per extension (:func:`whose`), the students of the gradebook it applies to: a student's
    own, or every student of the section without an own extension."""
    own = {e.username for e in extensions if e.username is not None}
    return {
        whose(extension): [
            row.username
            for row in book.rows
            if row.username == extension.username
            or (
                extension.username is None
                and row.section == extension.section
                and row.username not in own
            )
        ]
        for extension in extensions
    }


def _extensions_table(actor: Actor, book: Gradebook, extensions: Sequence[ExtensionRow]) -> None:
    students = applies_to(book, extensions)
    st.dataframe(
        pd.DataFrame(
            {
                "Extension for": [whose(e) for e in extensions],
                "Due": [local_time(e.due_at) for e in extensions],
                "Extra attempts": [e.extra_attempts for e in extensions],
                "Students": [", ".join(students[whose(e)]) or EMPTY for e in extensions],
                "Granted by": [e.granted_by or EMPTY for e in extensions],
                "Granted": [local_time(e.granted_at) for e in extensions],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    by_whom = {whose(e): e for e in extensions}
    which, button = st.columns([3, 1], vertical_alignment="bottom")
    chosen = which.selectbox("Take back the extension of", list(by_whom), key="gradebook_unextend")
    if button.button("Take back", key="gradebook_unextend_button"):
        extension = by_whom[chosen]
        act(
            lambda session: remove_extension(
                session,
                actor,
                book.assignment_id,
                utc_now(),
                username=extension.username,
                section=None if extension.username is not None else extension.section,
            ),
            says(f"Took back the extension of {chosen}."),
            "The extension was not taken back:",
        )


def _extension_form(actor: Actor, book: Gradebook) -> None:
    """A later due time and/or extra attempts for one student or one section."""
    sections = sorted({row.section for row in book.rows if row.section})
    with st.form(f"gradebook_extend_{book.assignment_id}", border=True):
        st.markdown("**Give an extension**")
        to_section = False
        if sections:
            to_section = st.radio(
                "To",
                [False, True],
                format_func=lambda s: "one section" if s else "one student",
                horizontal=True,
                key="gradebook_extend_to",
            )
        who, section_column = st.columns(2)
        username = pick_student(book, "Student", "gradebook_extend_student", where=who)
        section = (
            section_column.selectbox("Section", sections, key="gradebook_extend_section")
            if sections
            else None
        )
        due = datetime_inputs(
            "New due time",
            book.due_at + timedelta(days=2),
            f"gradebook_extend_{book.assignment_id}",
        )
        extra = st.number_input(
            "Extra attempts per problem", 0, MAX_ATTEMPTS, 0, key="gradebook_extend_attempts"
        )
        reason = st.text_input(
            "Reason (kept in the audit log)", max_chars=1000, key="gradebook_extend_reason"
        )
        given = st.form_submit_button("Give extension", type="primary")
    if not given:
        return
    whom = f"section {section}" if to_section else str(username)
    more = f", +{extra} attempt{'s' if extra != 1 else ''} per problem" if extra else ""
    act(
        lambda session: grant_extension(
            session,
            actor,
            book.assignment_id,
            due,
            utc_now(),
            username=None if to_section else username,
            section=section if to_section else None,
            extra_attempts=int(extra),
            reason=reason,
        ),
        says("Extension given.", f"{whom}: due {local_time(due)}{more}"),
        "No extension was given:",
    )
