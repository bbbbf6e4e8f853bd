"""Gradebook (instructors): one assignment's control room for the term.

``?assignment=ID`` picks the assignment. Tabs (:mod:`quiz.ui.assignment_term`): Grades (students ×
problems with statuses and overrides, totals, common mistakes, histories, downloads for CSV,
Canvas and Moodle, score overrides, regrading), Settings (edit, problems), Extensions, Release
(and what students see) and the Audit log. Every number and every action goes through
:mod:`quiz.services.gradebook` and :mod:`quiz.services.term_admin`, which refuse anyone but an
instructor. Every time, the services' sentences ("Needs attention", the rules) included, is in
the configured time zone.
"""

from __future__ import annotations

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.assignments import AssignmentNotFoundError, assignments_for
from quiz.services.gradebook import gradebook, number_text
from quiz.ui.assignment_take import local_time
from quiz.ui.assignment_term import show_tabs
from quiz.ui.query import int_param
from quiz.ui.session import require_instructor_page
from quiz.ui.state import get_stride
from quiz.ui.term_common import show_flash

stride = get_stride()
actor = require_instructor_page()
st.title("Gradebook")

with stride.transaction() as session:
    summaries = assignments_for(session, actor, utc_now())
if not summaries:
    st.info("No assignments yet: create one on the Assignments page.", icon=":material/grading:")
    st.stop()

titles = {s.assignment_id: f"{s.title} (#{s.assignment_id}, {s.mode})" for s in summaries}
requested = int_param("assignment")
if requested in titles:
    st.session_state.setdefault("gradebook_assignment", requested)
chosen = st.selectbox(
    "Assignment", list(titles), format_func=titles.__getitem__, key="gradebook_assignment"
)
st.query_params["assignment"] = str(chosen)

try:
    with stride.transaction() as session:
        book = gradebook(session, actor, chosen, utc_now(), fmt=local_time)
except AssignmentNotFoundError as error:  # deleted since the list was read
    st.error(str(error), icon=":material/block:")
    st.stop()

st.caption(
    f"{book.mode} · due {local_time(book.due_at)} · {len(book.rows)} students · "
    f"{len(book.items)} problems · {number_text(book.max_total)} points"
)
show_flash()
show_tabs(actor, book)
