"""Changing scores from the Grades tab: an instructor's override, and regrading every answer.

An override sets (or removes) one student's points on one problem, with a reason the audit log
keeps (:func:`~quiz.services.term_admin.override_score`). The regrade grades every stored answer
again with the current graders, after a grader fix, and is audited too
(:func:`~quiz.services.term_admin.regrade_assignment`); its note lists the scores and totals
that changed.
"""

from __future__ import annotations

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.gradebook import Gradebook, GradebookItem, RegradeReport, number_text
from quiz.services.term_admin import override_score, regrade_assignment
from quiz.ui.term_common import (
    SHOWN_CHANGES,
    Outcome,
    act,
    item_title,
    pick_student,
    refuse,
    regrade_lines,
)


def item_choice(item: GradebookItem) -> str:
    """A problem in a list: ``P1 · Output size (2 pts)``."""
    unit = "pt" if item.points == 1 else "pts"
    return f"{item_title(item)} ({number_text(item.points)} {unit})"


def override_form(actor: Actor, book: Gradebook) -> None:
    """Set (or remove) one student's points on one problem, with a reason."""
    st.header("Override a score")
    if not book.items:
        st.caption("The assignment has no problems to score.")
        return
    items = {item.position: item for item in book.items}
    with st.form("gradebook_override", border=True):
        who, which, how_much = st.columns([2, 3, 1])
        username = pick_student(book, "Student", "gradebook_override_student", where=who)
        position = which.selectbox(
            "Problem",
            list(items),
            format_func=lambda p: item_choice(items[p]),
            key="gradebook_override_item",
        )
        points = how_much.number_input(
            "Points", min_value=0.0, value=None, step=0.5, key="gradebook_override_points"
        )
        remove = st.checkbox(
            "Remove the override (the computed score counts again)",
            key="gradebook_override_remove",
        )
        reason = st.text_input(
            "Reason (required; kept in the audit log)",
            max_chars=1000,
            key="gradebook_override_reason",
        )
        submitted = st.form_submit_button("Save override", type="primary")
    if not submitted:
        return
    if points is None and not remove:
        refuse("Give the points, or tick “Remove the override”.")
        return
    new_points = None if remove or points is None else float(points)
    act(
        lambda session: override_score(
            session,
            actor,
            book.assignment_id,
            str(username),
            position,
            new_points,
            reason,
            utc_now(),
        ),
        lambda line: ("Override removed." if remove else "Score overridden.", [line]),
        "The score was not changed:",
    )


def regrade_outcome(report: RegradeReport) -> Outcome:
    """The toast and note of a regrade: its summary, each changed score (the first
    :data:`~quiz.ui.term_common.SHOWN_CHANGES`), then each total that moved."""
    scores = [
        f"{change.username}, problem {change.position}, attempt {change.attempt_number}: "
        f"{change.old_score:.0%} → {change.new_score:.0%}"
        for change in report.changes
    ]
    if len(scores) > SHOWN_CHANGES:
        scores[SHOWN_CHANGES:] = [f"and {len(scores) - SHOWN_CHANGES} more changed scores"]
    summary, *totals = regrade_lines(report)
    return "Regraded.", [summary, *scores, *totals]


def regrade_button(actor: Actor, book: Gradebook) -> None:
    """Grade every stored answer again (audited), then say what changed."""
    with st.expander("Regrade"):
        st.write(
            "Grade every stored answer again with the current graders (after a grader fix), "
            "and update the scores that change. The regrade is kept in the audit log."
        )
        if st.button("Regrade all answers", key="gradebook_regrade"):
            act(
                lambda session: regrade_assignment(session, actor, book.assignment_id, utc_now()),
                regrade_outcome,
                "Nothing was regraded:",
            )
