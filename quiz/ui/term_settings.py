"""The gradebook's Settings tab: the assignment's settings as an edit form.

Title, instructions, opening and due times, attempts, an exam's credit per attempt, the late
window, when scores and answers are released, and each problem's points. Only what the form
changed is sent (:func:`edit_from`); the service checks every value, lists every problem, and
regrades when scores can move. The note of a saved edit lists every change, the regrade's
summary and each student total that moved, as the service reports them. The problems themselves
(remove, restore, add) follow the form (:mod:`quiz.ui.term_problems`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.assignments import (
    MAX_ATTEMPTS,
    Assignment,  # the row instructor_assignment returns (read after its transaction)
    instructor_assignment,
    parse_credit_schedule,
)
from quiz.services.gradebook import Gradebook
from quiz.services.term_admin import AssignmentEdit, EditReport, edit_assignment
from quiz.ui.assignment_admin import (
    Released,
    datetime_inputs,
    late_inputs,
    local_minute,
    release_pair,
)
from quiz.ui.state import get_stride
from quiz.ui.term_common import Outcome, act, item_title, regrade_lines
from quiz.ui.term_problems import problems_section
from quiz.vocabulary import MODE_EXAM, RELEASE_BY_HAND, RELEASE_ON_DATE

POINTS_PER_ROW = 4
"""Points inputs side by side."""


def settings_tab(actor: Actor, book: Gradebook) -> None:
    """The edit form, then the problems: remove, restore, add."""
    with get_stride().transaction() as session:
        assignment = instructor_assignment(session, actor, book.assignment_id, "change assignments")
    _settings_form(actor, assignment, book)
    problems_section(actor, book)


@dataclass(frozen=True)
class Entered:
    """What the settings form holds when saved."""

    title: str
    instructions: str
    opens_at: datetime
    due_at: datetime
    max_attempts: int
    credit_text: str | None
    late_until: datetime | None
    late_penalty: float
    scores: Released
    answers: Released
    points: dict[int, float | None]
    """Item id → points entered."""


def _settings_form(actor: Actor, assignment: Assignment, book: Gradebook) -> None:
    # A key per saved version: after any change the form shows the assignment as it is now.
    key = f"gradebook_edit_{assignment.id}_{int(assignment.updated_at.timestamp())}"
    with st.form(key, border=True):
        entered = _settings_inputs(assignment, book, key)
        saved = st.form_submit_button("Save changes", type="primary")
    if not saved:
        return
    try:
        edit = edit_from(assignment, book, entered)
    except ValueError:
        st.error("Exam credit per attempt: expected numbers such as `1, 0.7, 0.5`.")
        return
    act(
        lambda session: edit_assignment(session, actor, assignment.id, edit, utc_now()),
        edit_outcome,
        "The changes were not saved:",
    )


def edit_outcome(report: EditReport) -> Outcome:
    """The toast and note of a saved edit: every change, then the regrade's summary and the
    totals that moved (when scores could move)."""
    if not report.changes:
        return "Nothing changed.", ()
    regraded = regrade_lines(report.regrade) if report.regrade is not None else []
    return "Changes saved.", [f"Saved: {'; '.join(report.changes)}.", *regraded]


def _settings_inputs(assignment: Assignment, book: Gradebook, key: str) -> Entered:
    title = st.text_input("Title", assignment.title, max_chars=500, key=f"{key}_title")
    instructions = st.text_area(
        "Instructions (Markdown and $\\LaTeX$)",
        assignment.instructions,
        height=100,
        max_chars=20_000,
        key=f"{key}_instructions",
    )
    opens_column, due_column = st.columns(2)
    with opens_column:
        opens = datetime_inputs("Opens", assignment.opens_at, f"{key}_opens")
    with due_column:
        due = datetime_inputs("Due", assignment.due_at, f"{key}_due")
    attempts_column, credit_column = st.columns(2)
    attempts = attempts_column.number_input(
        "Attempts per problem", 1, MAX_ATTEMPTS, assignment.max_attempts, key=f"{key}_attempts"
    )
    credit_text = None
    if assignment.mode == MODE_EXAM:
        credit_text = credit_column.text_input(
            "Exam credit per attempt",
            ", ".join(f"{v:g}" for v in parse_credit_schedule(assignment.credit_schedule)),
            key=f"{key}_credit",
        )
    st.markdown("**Deadlines and release**")
    late = late_inputs(
        assignment.late_until,
        assignment.late_penalty,
        assignment.due_at + timedelta(days=2),
        f"{key}_late",
    )
    scores, answers = release_pair(
        (assignment.scores_release, assignment.scores_release_at),
        (assignment.answers_release, assignment.answers_release_at),
        assignment.due_at,
        key,
        with_default=False,
    )
    st.markdown("**Points per problem**")
    points: dict[int, float | None] = {}
    for first in range(0, len(book.items), POINTS_PER_ROW):
        row = book.items[first : first + POINTS_PER_ROW]
        for column, item in zip(st.columns(POINTS_PER_ROW), row, strict=False):
            points[item.item_id] = column.number_input(
                item_title(item),
                min_value=0.0,
                value=float(item.points),
                step=0.5,
                key=f"{key}_points_{item.item_id}",
            )
    return Entered(  # in the order of its fields
        title, instructions, opens, due, int(attempts), credit_text,
        late.until, late.penalty, scores, answers, points,
    )  # fmt: skip


def _moved(entered: datetime | None, stored: datetime | None) -> bool:
    """Whether an entered time differs from the stored one as the form showed it (to the
    minute, in the configured zone): an untouched input changes nothing."""
    if entered is None or stored is None:
        return entered is not stored
    return entered != local_minute(stored)


def _release_fields(what: str, assignment: Assignment, entered: Released) -> dict[str, Any]:
    """The edit of one release rule: a date counts for "on a date"; "by hand" keeps its
    release time when it already was by hand (else it is not released yet)."""
    rule, moment = entered
    old_rule = getattr(assignment, f"{what}_release")
    old_at = getattr(assignment, f"{what}_release_at")
    if rule == RELEASE_ON_DATE:
        at = moment
    elif rule == RELEASE_BY_HAND and old_rule == RELEASE_BY_HAND:
        at = old_at
    else:
        at = None
    fields: dict[str, Any] = {}
    if rule != old_rule:
        fields[f"{what}_release"] = rule
    if _moved(at, old_at):
        fields[f"{what}_release_at"] = at
    return fields


def edit_from(assignment: Assignment, book: Gradebook, entered: Entered) -> AssignmentEdit:
    """The fields the form changed (the others
    :data:`~quiz.services.term_admin.UNCHANGED`). Raises ``ValueError`` for
    an exam credit text that is not numbers."""
    fields: dict[str, Any] = {}
    for name in ("title", "instructions", "max_attempts"):
        if getattr(entered, name) != getattr(assignment, name):
            fields[name] = getattr(entered, name)
    for name in ("opens_at", "due_at", "late_until"):
        if _moved(getattr(entered, name), getattr(assignment, name)):
            fields[name] = getattr(entered, name)
    if entered.credit_text is not None:
        schedule = tuple(float(part) for part in entered.credit_text.replace(",", " ").split())
        if schedule != parse_credit_schedule(assignment.credit_schedule):
            fields["credit_schedule"] = schedule
    penalty = entered.late_penalty if entered.late_until is not None else 0.0
    if not math.isclose(penalty, assignment.late_penalty):
        fields["late_penalty"] = penalty
    fields |= _release_fields("scores", assignment, entered.scores)
    fields |= _release_fields("answers", assignment, entered.answers)
    points = {
        item.item_id: float(value) if value is not None else math.nan
        for item in book.items
        if (value := entered.points.get(item.item_id)) is None
        or not math.isclose(value, item.points)
    }
    return AssignmentEdit(**fields, item_points=points)
