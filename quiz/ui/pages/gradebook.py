"""Gradebook (instructors): students × problems, totals, common mistakes, histories, CSV.

``?assignment=ID`` picks the assignment. Every number comes from
:mod:`quiz.services.gradebook`, which refuses anyone but an instructor.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.assignments import assignments_for
from quiz.services.gradebook import gradebook, grades_csv, regrade, submission_history
from quiz.ui.assignment_take import local_time
from quiz.ui.exercise_view import PLOTLY_CONFIG
from quiz.ui.gradebook_charts import item_means_chart, totals_histogram
from quiz.ui.query import int_param
from quiz.ui.session import require_instructor_page
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown

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

with stride.transaction() as session:
    book = gradebook(session, actor, chosen)

st.caption(
    f"{book.mode} · due {local_time(book.due_at)} · {len(book.rows)} students · "
    f"{len(book.items)} problems · {book.max_total:g} points"
)
if not book.rows:
    st.info("Nobody has this assignment yet: add students on the People page.")
    st.stop()

item_labels = [f"P{item.position} ({item.points:g})" for item in book.items]
table = pd.DataFrame(
    [
        {
            "Student": row.username,
            "Name": row.display_name,
            **{label: points for label, points in zip(item_labels, row.points, strict=True)},
            "Total": row.total,
            "Submissions": row.submissions,
        }
        for row in book.rows
    ]
)
st.dataframe(table, hide_index=True, width="stretch")
st.download_button(
    "Download CSV",
    grades_csv(book),
    file_name=f"grades-assignment-{book.assignment_id}.csv",
    mime="text/csv",
    icon=":material/download:",
    key="gradebook_csv",
)

totals, means = st.columns(2)
totals.plotly_chart(
    totals_histogram(book.totals, book.max_total), config=PLOTLY_CONFIG, key="gradebook_totals"
)
means.plotly_chart(
    item_means_chart(item_labels, [item.mean_score for item in book.items]),
    config=PLOTLY_CONFIG,
    key="gradebook_means",
)

st.subheader("Common mistakes")
mistakes = [
    {
        "Problem": f"P{item.position} · {item.family_title}",
        "Mistake": mistake.description or mistake.tag,
        "Submissions": mistake.count,
    }
    for item in book.items
    for mistake in item.mistakes[:3]
]
if mistakes:
    st.dataframe(pd.DataFrame(mistakes), hide_index=True, width="stretch")
else:
    st.caption("No recognised mistakes yet.")

st.subheader("A student's submissions")
students = {row.user_id: row for row in book.rows}
student = st.selectbox(
    "Student",
    list(students),
    format_func=lambda i: (
        f"{students[i].display_name} ({students[i].username})"
        if students[i].display_name
        else students[i].username
    ),
    key="gradebook_student",
)
with stride.transaction() as session:
    history = submission_history(session, actor, book.assignment_id, student)
if history:
    st.dataframe(
        pd.DataFrame(
            {
                "Problem": [f"P{h.position}" for h in history],
                "Attempt": [h.attempt_number for h in history],
                "Submitted": [local_time(h.submitted_at) for h in history],
                "Answer": [h.raw_answer for h in history],
                "Score": [h.score for h in history],
                "Credit": [h.credit for h in history],
                "Mistake": [h.mistake or "" for h in history],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Score": st.column_config.NumberColumn(format="percent"),
            "Credit": st.column_config.NumberColumn(format="percent"),
        },
    )
else:
    st.caption(f"{escape_markdown(students[student].username)} has not submitted anything yet.")

with st.expander("Regrade"):
    st.write(
        "Grade every stored answer again with the current graders (after a grader fix), "
        "and update the scores that change."
    )
    if st.button("Regrade all answers", key="gradebook_regrade"):
        with stride.transaction() as session:
            report = regrade(session, actor, book.assignment_id)
        st.success(report.summary())
        for change in report.changes:
            st.write(
                f"{escape_markdown(change.username)}, problem {change.position}, attempt "
                f"{change.attempt_number}: {change.old_score:.0%} → {change.new_score:.0%}"
            )
