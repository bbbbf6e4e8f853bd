"""Assignments: students see theirs (open, due soon, upcoming, done, closed) and take them;
instructors create them, preview them and open their gradebooks.

``?assignment=ID`` opens one. Whether the acting user may see it is decided by the service
(:func:`quiz.services.assignments.open_assignment`), never by this page.
"""

from __future__ import annotations

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import PermissionDenied
from quiz.services.assignments import (
    NOT_GIVEN_TO_YOU,
    STATUS_CLOSED,
    STATUS_DONE,
    STATUS_DUE_SOON,
    STATUS_LATE,
    STATUS_OPEN,
    STATUS_UPCOMING,
    AssignmentNotFoundError,
    AssignmentNotOpenError,
    AssignmentSummary,
    assignments_for,
    open_assignment,
)
from quiz.services.term_rules import due_line
from quiz.ui.assignment_admin import creation_form, instructor_list
from quiz.ui.assignment_take import local_time, open_in_page, show_assignment
from quiz.ui.query import has_param, int_param
from quiz.ui.session import current_actor
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown

GROUPS = (
    (STATUS_LATE, "Late answers accepted"),
    (STATUS_DUE_SOON, "Due soon"),
    (STATUS_OPEN, "Open"),
    (STATUS_UPCOMING, "Upcoming"),
    (STATUS_DONE, "Done"),
    (STATUS_CLOSED, "Closed"),
)

stride = get_stride()
actor = current_actor()
requested = has_param("assignment")
requested_id = int_param("assignment")


def _student_list(summaries: list[AssignmentSummary]) -> None:
    st.title("Assignments")
    if not summaries:
        st.info("You have no assignments yet.", icon=":material/assignment:")
        return
    for status, heading in GROUPS:
        group = [s for s in summaries if s.status == status]
        if not group:
            continue
        st.header(heading)
        for summary in group:
            with st.container(border=True, key=f"assignment_row_{summary.assignment_id}"):
                text, link = st.columns([4, 1])
                text.markdown(f"**{escape_markdown(summary.title)}**")
                when = (
                    f"opens {local_time(summary.opens_at)}"
                    if status == STATUS_UPCOMING
                    else (
                        due_line(summary.deadline, local_time)
                        if summary.deadline is not None
                        else f"due {local_time(summary.due_at)}"
                    )
                )
                score = (
                    f" · {summary.score:g} / {summary.max_score:g} points"
                    if summary.score is not None
                    else f" · {summary.max_score:g} points"
                )
                text.caption(f"{summary.mode} · {when} · {summary.items} problems{score}")
                if status != STATUS_UPCOMING:
                    link.button(
                        "Open",
                        icon=":material/play_arrow:",
                        key=f"assignment_open_{summary.assignment_id}",
                        on_click=open_in_page,
                        args=(summary.assignment_id,),
                    )


if requested:
    st.button("All assignments", icon=":material/arrow_back:", on_click=open_in_page, args=(None,))
    if requested_id is None:  # not an id at all: named like one that does not exist
        st.error(NOT_GIVEN_TO_YOU, icon=":material/block:")
        st.stop()
    try:
        with stride.transaction() as session:
            view = open_assignment(session, actor, requested_id, utc_now())
    except (PermissionDenied, AssignmentNotOpenError, AssignmentNotFoundError) as error:
        st.error(str(error), icon=":material/block:")
        st.stop()
    show_assignment(view)
    st.stop()

with stride.transaction() as session:
    summaries = assignments_for(session, actor, utc_now())
if actor.is_instructor:
    st.title("Assignments")
    instructor_list(actor, summaries)
    st.header("New assignment")
    creation_form(actor)
else:
    _student_list(summaries)
