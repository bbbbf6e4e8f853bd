"""The gradebook's Grades tab: reading how an assignment went.

What needs attention, students × problems with each student's status and the instructor's
overrides marked, the downloads (Stride's CSV, Canvas, Moodle), the totals histogram over the
possible range and the mean per problem, common mistakes and one student's submissions. Changing
scores (an override, a regrade) is :mod:`quiz.ui.term_scoring`, shown at the end of the tab.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from quiz.services.access import Actor
from quiz.services.grade_exports import ExportError, export_grades
from quiz.services.gradebook import Gradebook, GradebookItem, number_text, submission_history
from quiz.ui.assignment_admin import offer_download
from quiz.ui.assignment_take import local_time
from quiz.ui.exercise_view import PLOTLY_CONFIG
from quiz.ui.gradebook_charts import (
    item_means_chart,
    item_means_summary,
    totals_histogram,
    totals_summary,
)
from quiz.ui.state import get_stride
from quiz.ui.term_common import EMPTY, NOBODY_YET, item_title, pick_student
from quiz.ui.term_scoring import override_form, regrade_button
from quiz.ui.text import escape_markdown

OVERRIDDEN = "✎"
"""Marks a score an instructor set (``4 ✎``)."""
EXPORTS = (("csv", "Download CSV"), ("canvas", "Canvas CSV"), ("moodle", "Moodle CSV"))
SHOWN_MISTAKES = 3
"""Common mistakes listed per problem."""


def grades_tab(actor: Actor, book: Gradebook) -> None:
    """Attention, the table, downloads, charts, mistakes, histories, overrides, regrading."""
    if not book.rows:
        st.info(NOBODY_YET)
        return
    _attention(book)
    _grades_table(book)
    _downloads(book)
    _charts(book)
    _mistakes(book)
    _history(actor, book)
    override_form(actor, book)
    regrade_button(actor, book)


def _attention(book: Gradebook) -> None:
    if book.attention:
        lines = "\n".join(f"- {escape_markdown(note)}" for note in book.attention)
        st.warning(f"**Needs attention**\n\n{lines}", icon=":material/priority_high:")


def item_label(item: GradebookItem) -> str:
    """A problem's column: ``P1 (2)``."""
    return f"P{item.position} ({number_text(item.points)})"


def points_cell(points: float | None, overridden: bool) -> str:
    """A score as the table shows it: ``2``, ``4 ✎`` (overridden) or ``—`` (not answered)."""
    if points is None:
        return EMPTY
    return f"{number_text(points)} {OVERRIDDEN}" if overridden else number_text(points)


def grades_frame(book: Gradebook) -> pd.DataFrame:
    """Students × problems: status, points (``—`` unanswered, ``✎`` overridden), total."""
    sections = any(row.section for row in book.rows)
    records = []
    for row in book.rows:
        record: dict[str, Any] = {"Student": row.username, "Name": row.display_name or EMPTY}
        if sections:
            record["Section"] = row.section or EMPTY
        record["Status"] = row.status_label
        overridden = row.overridden or (False,) * len(row.points)
        for item, points, mark in zip(book.items, row.points, overridden, strict=True):
            record[item_label(item)] = points_cell(points, mark)
        record["Total"] = round(row.total, 2)
        record["Submissions"] = row.submissions
        records.append(record)
    return pd.DataFrame(records)


def _grades_table(book: Gradebook) -> None:
    st.dataframe(grades_frame(book), hide_index=True, width="stretch")
    st.caption(
        f"{EMPTY} not answered · {OVERRIDDEN} score set by an instructor (see the Audit log) · "
        "statuses: not started, in progress, submitted; late: an answer came in the late "
        "window; extended: an extension applies (Extensions tab)"
    )


def _downloads(book: Gradebook) -> None:
    """The grades as Stride's CSV and in the layouts Canvas and Moodle import."""
    with st.container(horizontal=True):
        for layout, label in EXPORTS:
            try:
                text = export_grades([book], layout)
            except ExportError as error:
                st.caption(escape_markdown(str(error)))
                continue
            suffix = "" if layout == "csv" else f"-{layout}"
            name = f"grades-assignment-{book.assignment_id}{suffix}.csv"
            offer_download(label, text, name, "text/csv", f"gradebook_{layout}")


def _charts(book: Gradebook) -> None:
    """The totals histogram and the mean score per problem, each with its numbers in words
    under it (the charts' text alternatives)."""
    totals, means = st.columns(2)
    totals.plotly_chart(
        totals_histogram(book.totals, book.max_total),
        config=PLOTLY_CONFIG,
        key="gradebook_totals",
    )
    totals.caption(escape_markdown(totals_summary(book.totals, book.max_total)))
    labels = [item_label(item) for item in book.items]
    scores = [item.mean_score for item in book.items]
    means.plotly_chart(
        item_means_chart(labels, scores), config=PLOTLY_CONFIG, key="gradebook_means"
    )
    means.caption(escape_markdown(item_means_summary(labels, scores)))


def _mistakes(book: Gradebook) -> None:
    st.header("Common mistakes")
    mistakes = [
        {
            "Problem": item_title(item),
            "Mistake": mistake.description or mistake.tag,
            "Submissions": mistake.count,
        }
        for item in book.items
        for mistake in item.mistakes[:SHOWN_MISTAKES]
    ]
    if mistakes:
        st.dataframe(pd.DataFrame(mistakes), hide_index=True, width="stretch")
    else:
        st.caption("No recognised mistakes yet.")


def _history(actor: Actor, book: Gradebook) -> None:
    """Every answer of one student: when, late or not, the answer, score, credit, mistake."""
    st.header("A student's submissions")
    username = pick_student(book, "Student", "gradebook_student")
    row = next(row for row in book.rows if row.username == username)
    with get_stride().transaction() as session:
        history = submission_history(session, actor, book.assignment_id, row.user_id)
    if not history:
        st.caption(f"{escape_markdown(row.username)} has not submitted anything yet.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Problem": [f"P{h.position}" for h in history],
                "Attempt": [h.attempt_number for h in history],
                "Submitted": [local_time(h.submitted_at) for h in history],
                "Late": ["late" if h.late else "" for h in history],
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
