"""Setting assignments (instructors): the creation form, the list with its actions, and the form
pieces the gradebook's Settings tab shares with the creation form.

Items are rows of an editable table: a source (an exercise family, or an exercise entry of a
deck), a difficulty (families only), how many problems, and points for each. Everything is
validated by :func:`quiz.services.assignments.create_assignment`, which lists every problem.

Deadlines and release: a late window (answers after the due time accepted until a date, with a
penalty) and, separately for scores and for correct answers with worked solutions, when students
see them (:mod:`quiz.services.term_rules`). Times are entered in the configured time zone.

Deleting an assignment that has submissions asks for its title to be typed and offers its export
first; the service keeps an archive of it either way (:func:`~quiz.services.term_admin
.delete_assignment`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from quiz.exercises.base import DIFFICULTIES
from quiz.exercises.registry import FAMILIES
from quiz.scheduling import utc_now
from quiz.services.access import Actor, PermissionDenied
from quiz.services.accounts import list_students
from quiz.services.assignments import (
    AssignmentNotFoundError,
    AssignmentSpec,
    AssignmentSpecError,
    AssignmentSummary,
    ItemSpec,
    create_assignment,
    instructor_assignment,
)
from quiz.services.decks import list_exercise_entries
from quiz.services.term_admin import TermActionError, assignment_export, delete_assignment
from quiz.ui.assignment_take import local_time, open_in_page
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown
from quiz.vocabulary import (
    ASSIGNMENT_MODES,
    MODE_EXAM,
    RELEASE_AFTER_DUE,
    RELEASE_BY_HAND,
    RELEASE_IMMEDIATELY,
    RELEASE_ON_DATE,
)

MODE_LABELS = {
    "homework": "Homework: a new variant per attempt, best score counts, feedback at once",
    "exam": (
        "Exam: one variant, credit falls per attempt, scores and solutions hidden until you "
        "release them"
    ),
}
GRADEBOOK_PAGE = "quiz/ui/pages/gradebook.py"
MODE_DEFAULT = "default"
"""The creation form's release choice "Default for the mode" (``None`` in the spec)."""
RELEASE_LABELS = {
    MODE_DEFAULT: "Default for the mode",
    RELEASE_IMMEDIATELY: "Immediately",
    RELEASE_AFTER_DUE: "After the due time (and the late window)",
    RELEASE_ON_DATE: "On a date",
    RELEASE_BY_HAND: "When released by hand",
}
"""The release rules as the forms offer them (the mode's default on creation only)."""
LATE_LABELS = {False: "No late answers", True: "Until a date, with a penalty"}
DELETED_KEY = "assignment_deleted"

Sources = dict[str, tuple[str | None, int | None]]


# --- form pieces (shared with the gradebook's tabs) ---------------------------------------------


def item_sources() -> Sources:
    """Table labels → ``(family, None)`` or ``(None, card_id)``; labels are unique."""
    stride = get_stride()
    with stride.transaction() as session:
        entries = list_exercise_entries(session)
    sources: Sources = {
        f"{family.title} [{family_id}]": (family_id, None) for family_id, family in FAMILIES.items()
    }
    for entry in entries:
        label = f"Deck {entry.deck_title}: {entry.title} [#{entry.card_id}]"
        sources[label] = (None, entry.card_id)
    return sources


def items_editor(sources: Sources, key: str) -> pd.DataFrame:
    """The editable table of problems to add: source, difficulty, count, points."""
    return st.data_editor(
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
        key=key,
        column_config={
            "Source": st.column_config.SelectboxColumn(
                options=list(sources), required=True, width="large"
            ),
            "Difficulty": st.column_config.SelectboxColumn(
                options=list(DIFFICULTIES),
                required=True,
                help="Ignored for deck entries.",
                width=90,
            ),
            "Count": st.column_config.NumberColumn(
                min_value=1, max_value=50, step=1, width="small"
            ),
            "Points": st.column_config.NumberColumn(
                min_value=0.5, max_value=1000, step=0.5, width="small"
            ),
        },
    )


def _whole(cell: Any) -> int | None:
    """A whole-number cell of a data editor; None when it is empty (NaN, None or pandas' NA)."""
    return None if pd.isna(cell) else int(cell)


def _number(cell: Any) -> float | None:
    """A number cell of a data editor; None when it is empty (NaN, None or pandas' NA)."""
    return None if pd.isna(cell) else float(cell)


def item_specs(table: pd.DataFrame, sources: Sources) -> list[ItemSpec]:
    """The rows of :func:`items_editor` as item specs (rows without a source are skipped; the
    service checks the rest)."""
    return [
        ItemSpec(
            family=sources[row.Source][0],
            difficulty=_whole(row.Difficulty),
            count=_whole(row.Count) or 0,
            points=_number(row.Points) or 0.0,
            card_id=sources[row.Source][1],
        )
        for row in table.itertuples()
        if isinstance(row.Source, str) and row.Source in sources
    ]


def _datetime(day: date, clock: time) -> datetime:
    zone = get_stride().settings.timezone
    return datetime.combine(day, clock, zone)


def local_parts(moment: datetime) -> tuple[date, time]:
    """``moment`` in the configured time zone as a date and a whole-minute time (what the date
    and time inputs hold)."""
    local = moment.astimezone(get_stride().settings.timezone)
    return local.date(), time(local.hour, local.minute)


def local_minute(moment: datetime) -> datetime:
    """``moment`` as the inputs show it: in the configured zone, to the minute."""
    return _datetime(*local_parts(moment))


def datetime_inputs(label: str, default: datetime, key: str, help: str | None = None) -> datetime:
    """A date and a time input side by side, read in the configured time zone."""
    day, clock = local_parts(default)
    day_column, time_column = st.columns(2)
    return _datetime(
        day_column.date_input(label, day, key=f"{key}_day", help=help),
        time_column.time_input("at", clock, key=f"{key}_time"),
    )


@dataclass(frozen=True)
class LateChoice:
    """A late window as entered: its end (``None``: no late answers) and the penalty (0–1)."""

    until: datetime | None
    penalty: float


def late_inputs(
    until: datetime | None, penalty: float, default_until: datetime, key: str
) -> LateChoice:
    """Whether late answers are accepted, until when, and the penalty in percent."""
    accepted = st.selectbox(
        "Late answers",
        list(LATE_LABELS),
        index=int(until is not None),
        format_func=LATE_LABELS.__getitem__,
        key=f"{key}_late",
    )
    day, clock = local_parts(until or default_until)
    day_column, time_column, penalty_column = st.columns(3)
    end = _datetime(
        day_column.date_input(
            "Accepted until", day, key=f"{key}_late_day", help="Used when late answers are on."
        ),
        time_column.time_input("at", clock, key=f"{key}_late_time"),
    )
    percent = penalty_column.number_input(
        "Penalty (% off)",
        min_value=0.0,
        max_value=100.0,
        value=round(100 * penalty, 2),
        step=5.0,
        key=f"{key}_late_penalty",
        help="Taken off the credit of an answer in the late window.",
    )
    return LateChoice(end if accepted else None, float(percent) / 100)


Released = tuple[str | None, datetime]
"""A release rule as entered, with the date and time entered for it."""


def release_inputs(
    what: str,
    rule: str | None,
    release_at: datetime | None,
    default_at: datetime,
    key: str,
    *,
    with_default: bool,
) -> Released:
    """A release rule and its date: ``(rule, date and time entered)``; the date counts for
    "On a date" only. ``with_default`` offers "Default for the mode" (read as ``None``)."""
    options = [r for r in RELEASE_LABELS if with_default or r != MODE_DEFAULT]
    current = rule or MODE_DEFAULT
    chosen = st.selectbox(
        f"{what} shown",
        options,
        index=options.index(current) if current in options else 0,
        format_func=RELEASE_LABELS.__getitem__,
        key=f"{key}_rule",
        help=(
            "The mode's default: homework immediately, an exam when released by hand."
            if with_default
            else None
        ),
    )
    day, clock = local_parts(release_at or default_at)
    day_column, time_column = st.columns(2)
    moment = _datetime(
        day_column.date_input(
            "On", day, key=f"{key}_day", help=f"Used when {what.lower()} are shown on a date."
        ),
        time_column.time_input("at", clock, key=f"{key}_time"),
    )
    return (None if chosen == MODE_DEFAULT else chosen), moment


def release_pair(
    scores: tuple[str | None, datetime | None],
    answers: tuple[str | None, datetime | None],
    default_at: datetime,
    key: str,
    *,
    with_default: bool,
) -> tuple[Released, Released]:
    """The release of scores and of answers side by side (each ``(rule, release time)`` as
    stored; ``default_at`` prefills a date not set yet)."""
    left, right = st.columns(2)
    with left:
        scores_entered = release_inputs(
            "Scores", *scores, default_at, f"{key}_scores", with_default=with_default
        )
    with right:
        answers_entered = release_inputs(
            "Answers and solutions",
            *answers,
            default_at,
            f"{key}_answers",
            with_default=with_default,
        )
    return scores_entered, answers_entered


def offer_download(label: str, data: str, file_name: str, mime: str, key: str) -> None:
    """A download button that does not rerun the page (the data is made before it is shown)."""
    st.download_button(
        label,
        data,
        file_name=file_name,
        mime=mime,
        icon=":material/download:",
        key=key,
        on_click="ignore",
    )


def show_problems(heading: str, problems: Sequence[str]) -> None:
    """An error box: ``heading`` and every problem as a list item (shown literally)."""
    st.error(f"{heading}\n\n" + "\n".join(f"- {escape_markdown(p)}" for p in problems))


# --- the creation form -------------------------------------------------------------------------


def creation_form(actor: Actor) -> None:
    """The "new assignment" form; on success the new assignment is listed."""
    stride = get_stride()
    zone = stride.settings.timezone
    now = utc_now().astimezone(zone)
    sources = item_sources()
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
        with st.expander("Deadlines and release"):
            later = _datetime(now.date() + timedelta(days=9), time(23, 59))
            late = late_inputs(None, 0.0, later, "assignment_new")
            (scores_rule, scores_at), (answers_rule, answers_at) = release_pair(
                (None, None), (None, None), later, "assignment_new", with_default=True
            )
        st.markdown("**Problems**")
        items = items_editor(sources, "assignment_items")
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
    spec = AssignmentSpec(
        title=title,
        instructions=instructions,
        mode=mode,
        opens_at=opens,
        due_at=due,
        max_attempts=int(max_attempts),
        items=item_specs(items, sources),
        credit_schedule=credit if mode == MODE_EXAM else (1.0,),
        student_ids=chosen or None,
        late_until=late.until,
        late_penalty=late.penalty,
        scores_release=scores_rule,
        scores_release_at=scores_at if scores_rule == RELEASE_ON_DATE else None,
        answers_release=answers_rule,
        answers_release_at=answers_at if answers_rule == RELEASE_ON_DATE else None,
    )
    try:
        with stride.transaction() as session:
            create_assignment(session, actor, spec, utc_now())
    except AssignmentSpecError as error:
        show_problems("The assignment was not created:", error.problems)
        return
    st.session_state["assignment_created"] = title
    st.rerun()


# --- the list ----------------------------------------------------------------------------------


def instructor_list(actor: Actor, summaries: list[AssignmentSummary]) -> None:
    """Every assignment with its counts, a preview, the gradebook link, and delete."""
    if created := st.session_state.pop("assignment_created", None):
        st.toast(f"Created “{escape_markdown(created)}”.", icon=":material/check_circle:")
    if deleted := st.session_state.pop(DELETED_KEY, None):
        st.toast(escape_markdown(deleted), icon=":material/delete:")
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
            menu = links.popover(
                "Delete",
                icon=":material/delete:",
                key=f"assignment_delete_menu_{summary.assignment_id}",
                on_change="rerun",
            )
            if menu.open:  # built only when opened: the export is read then
                with menu:
                    _delete_panel(actor, summary)


def _delete_panel(actor: Actor, summary: AssignmentSummary) -> None:
    """Delete one assignment: at once when nobody submitted; else after its title is typed,
    with its export offered first (the service keeps an archive too)."""
    number = summary.assignment_id
    if not summary.submissions:
        st.write("Delete this assignment? Nobody has submitted anything to it.")
        if st.button("Delete for good", type="primary", key=f"assignment_delete_{number}"):
            _delete(actor, summary, None)
        return
    count = summary.submissions
    st.write(
        f"This assignment has {count} submission{'s' if count != 1 else ''}. Deleting it removes "
        "them and every grade from the gradebook; a copy is kept in the database's archive."
    )
    export = _export_text(actor, number)
    if export is not None:
        offer_download(
            "Download its export first (JSON)",
            export,
            f"assignment-{number}-export.json",
            "application/json",
            f"assignment_export_{number}",
        )
    typed = st.text_input(
        "Type the title to confirm",
        key=f"assignment_delete_title_{number}",
        placeholder=summary.title,
    )
    if st.button(
        "Delete for good",
        type="primary",
        key=f"assignment_delete_{number}",
        disabled=typed.strip() != summary.title.strip(),
    ):
        _delete(actor, summary, typed)


def _export_text(actor: Actor, assignment_id: int) -> str | None:
    """The assignment's export as JSON text (``None`` when it is gone meanwhile)."""
    try:
        with get_stride().transaction() as session:
            assignment = instructor_assignment(session, actor, assignment_id, "export assignments")
            return json.dumps(assignment_export(session, assignment), indent=2, sort_keys=True)
    except (AssignmentNotFoundError, PermissionDenied) as error:
        st.error(escape_markdown(str(error)))
        return None


def _delete(actor: Actor, summary: AssignmentSummary, typed: str | None) -> None:
    """Ask the service to delete; say why when it refuses, else list again with a toast."""
    try:
        archive = get_stride().write(
            lambda session: delete_assignment(
                session, actor, summary.assignment_id, utc_now(), confirm_title=typed
            )
        )
    except (TermActionError, AssignmentNotFoundError, PermissionDenied) as error:
        st.error(escape_markdown(str(error)))
        return
    kept = f"; its export is kept (archive {archive})" if archive is not None else ""
    st.session_state[DELETED_KEY] = f"Deleted “{summary.title}”{kept}."
    st.rerun()
