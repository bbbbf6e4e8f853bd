"""Setting assignments (instructors): the creation form and the list with its actions.

Items are rows of an editable table: a source (an exercise family, or an exercise entry of a
deck), a difficulty (families only), how many problems, and points for each. Everything is
validated by :func:`quiz.services.assignments.create_assignment`, which lists every problem.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from quiz.exercises.base import DIFFICULTIES
from quiz.exercises.registry import FAMILIES
from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.accounts import list_students
from quiz.services.assignments import (
    AssignmentSpec,
    AssignmentSpecError,
    AssignmentSummary,
    ItemSpec,
    create_assignment,
    delete_assignment,
)
from quiz.services.decks import list_exercise_entries
from quiz.store.models import ASSIGNMENT_MODES, MODE_EXAM
from quiz.ui.assignment_take import local_time, open_in_page
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown

MODE_LABELS = {
    "homework": "Homework: a new variant per attempt, best score counts, feedback at once",
    "exam": "Exam: one variant, credit falls per attempt, feedback after the due time",
}
GRADEBOOK_PAGE = "quiz/ui/pages/gradebook.py"


def _sources() -> dict[str, tuple[str | None, int | None]]:
    """Table labels → ``(family, None)`` or ``(None, card_id)``; labels are unique."""
    stride = get_stride()
    with stride.transaction() as session:
        entries = list_exercise_entries(session)
    sources: dict[str, tuple[str | None, int | None]] = {
        f"{family.title} [{family_id}]": (family_id, None) for family_id, family in FAMILIES.items()
    }
    for entry in entries:
        label = f"Deck {entry.deck_title}: {entry.title} [#{entry.card_id}]"
        sources[label] = (None, entry.card_id)
    return sources


def _datetime(day: date, clock: time) -> datetime:
    zone = get_stride().settings.timezone
    return datetime.combine(day, clock, zone)


def creation_form(actor: Actor) -> None:
    """The "new assignment" form; on success the new assignment is listed."""
    stride = get_stride()
    zone = stride.settings.timezone
    now = utc_now().astimezone(zone)
    sources = _sources()
    with stride.transaction() as session:
        students = list_students(session, actor)
    with st.form("assignment_new", border=True):
        title = st.text_input("Title", max_chars=500)
        instructions = st.text_area(
            "Instructions (Markdown and $\\LaTeX$)", height=100, max_chars=20_000
        )
        mode = st.radio(
            "Mode",
            ASSIGNMENT_MODES,
            horizontal=True,
            format_func=MODE_LABELS.__getitem__,
        )
        opens_day, opens_clock, due_day, due_clock = st.columns(4)
        opens = _datetime(
            opens_day.date_input("Opens", now.date(), key="assignment_opens_day"),
            opens_clock.time_input("at", time(now.hour, 0), key="assignment_opens_time"),
        )
        due = _datetime(
            due_day.date_input("Due", now.date() + timedelta(days=7), key="assignment_due_day"),
            due_clock.time_input("at", time(23, 59), key="assignment_due_time"),
        )
        attempts, schedule = st.columns(2)
        max_attempts = attempts.number_input("Attempts per problem", 1, 20, 3)
        credit_text = schedule.text_input(
            "Exam credit per attempt", "1, 0.7, 0.5", help="Used in exam mode only."
        )
        st.markdown("**Problems**")
        items = st.data_editor(
            pd.DataFrame(
                {
                    "Source": [next(iter(sources))],
                    "Difficulty": [2],
                    "Count": [1],
                    "Points": [1.0],
                }
            ),
            num_rows="dynamic",
            width="stretch",
            hide_index=True,
            key="assignment_items",
            column_config={
                "Source": st.column_config.SelectboxColumn(
                    options=list(sources), required=True, width="large"
                ),
                "Difficulty": st.column_config.SelectboxColumn(
                    options=list(DIFFICULTIES), required=True, help="Ignored for deck entries."
                ),
                "Count": st.column_config.NumberColumn(min_value=1, max_value=50, step=1),
                "Points": st.column_config.NumberColumn(min_value=0.5, max_value=1000, step=0.5),
            },
        )
        by_id = {a.user_id: a for a in students}
        chosen = st.multiselect(
            "Students (leave empty for every student, including ones added later)",
            list(by_id),
            format_func=lambda i: by_id[i].label,
        )
        submitted = st.form_submit_button("Create assignment", type="primary")
    if not submitted:
        return
    try:
        credit = tuple(float(part) for part in credit_text.replace(",", " ").split())
    except ValueError:
        st.error("Exam credit per attempt: expected numbers such as `1, 0.7, 0.5`.")
        return
    specs = [
        ItemSpec(
            family=sources[row.Source][0],
            difficulty=int(row.Difficulty) if not pd.isna(row.Difficulty) else None,
            count=int(row.Count) if not pd.isna(row.Count) else 0,
            points=float(row.Points) if not pd.isna(row.Points) else 0.0,
            card_id=sources[row.Source][1],
        )
        for row in items.itertuples()
        if isinstance(row.Source, str) and row.Source in sources
    ]
    spec = AssignmentSpec(
        title=title,
        instructions=instructions,
        mode=mode,
        opens_at=opens,
        due_at=due,
        max_attempts=int(max_attempts),
        items=specs,
        credit_schedule=credit if mode == MODE_EXAM else (1.0,),
        student_ids=chosen or None,
    )
    try:
        with stride.transaction() as session:
            create_assignment(session, actor, spec, utc_now())
    except AssignmentSpecError as error:
        st.error(
            "The assignment was not created:\n\n"
            + "\n".join(f"- {escape_markdown(p)}" for p in error.problems)
        )
        return
    st.session_state["assignment_created"] = title
    st.rerun()


def instructor_list(actor: Actor, summaries: list[AssignmentSummary]) -> None:
    """Every assignment with its counts, a preview, the gradebook link, and delete."""
    if created := st.session_state.pop("assignment_created", None):
        st.toast(f"Created “{created}”.", icon=":material/check_circle:")
    if not summaries:
        st.info("No assignments yet. Create one below.", icon=":material/assignment:")
    for summary in summaries:
        with st.container(border=True, key=f"assignment_row_{summary.assignment_id}"):
            head, links = st.columns([3, 2])
            head.markdown(f"**{escape_markdown(summary.title)}**")
            head.caption(
                f"{summary.mode} · {summary.status} · opens {local_time(summary.opens_at)} · "
                f"due {local_time(summary.due_at)} · {summary.items} problems · "
                f"{summary.students or 0} students · {summary.submissions or 0} submissions"
            )
            links.button(
                "Preview",
                icon=":material/visibility:",
                key=f"assignment_preview_{summary.assignment_id}",
                on_click=open_in_page,
                args=(summary.assignment_id,),
            )
            links.page_link(
                GRADEBOOK_PAGE,
                label="Gradebook",
                icon=":material/grading:",
                query_params={"assignment": str(summary.assignment_id)},
            )
            with links.popover("Delete", icon=":material/delete:"):
                st.write("Delete this assignment with every submission and grade?")
                if st.button(
                    "Delete for good",
                    type="primary",
                    key=f"assignment_delete_{summary.assignment_id}",
                ):
                    with get_stride().transaction() as session:
                        delete_assignment(session, actor, summary.assignment_id)
                    st.rerun()
