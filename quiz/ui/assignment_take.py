"""Taking an assignment: each problem with the same inputs and feedback as Practice.

Homework shows each graded attempt at once (its score, mistake and worked solution) and the next
attempt is a new variant; an exam shows only "Answer recorded" until its due time. The service
enforces every rule; this view only renders what :class:`AssignmentView` allows.

A variant's seed is never shown, to students or in a preview: not in text, not in a URL, and
not in a widget key (keys reach the browser), so every key here is made of the assignment's and
the item's ids and the attempt number (:func:`_item_key`).
"""

from __future__ import annotations

import time
from datetime import datetime

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import PermissionDenied
from quiz.services.assignments import (
    AssignmentView,
    AttemptView,
    ItemView,
    SubmissionRefused,
    submit_assignment_answer,
)
from quiz.services.term_rules import due_line, release_note
from quiz.ui.exercise_view import answer_input, answer_mode, show_grade, show_prompt, show_solution
from quiz.ui.session import current_actor
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown, show_user_markdown
from quiz.vocabulary import MODE_EXAM

FLASH_KEY = "assignment_flash"


def local_time(moment: datetime) -> str:
    """A time in the configured zone, e.g. ``Tue 01 Dec 23:59``."""
    return moment.astimezone(get_stride().settings.timezone).strftime("%a %d %b %Y %H:%M")


def open_in_page(assignment_id: int | None) -> None:
    """Show one assignment (``?assignment=ID``) or, with None, the list (a button callback)."""
    if assignment_id is None:
        st.query_params.pop("assignment", None)
    else:
        st.query_params["assignment"] = str(assignment_id)


def show_assignment(view: AssignmentView) -> None:
    """The header, the rules in one line, and every item."""
    st.title(escape_markdown(view.title))  # a title is shown literally: no links, images, HTML
    due = due_line(view.deadline, local_time) if view.deadline else f"due {local_time(view.due_at)}"
    facts = [
        f"{view.mode.capitalize()}",
        due,
        f"{view.max_attempts} attempt{'s' if view.max_attempts != 1 else ''} per problem",
    ]
    if view.mode == MODE_EXAM:
        credit = ", ".join(f"{c:g}" for c in view.credit_schedule)
        facts.append(f"credit per attempt {credit}")
    st.caption(" · ".join(facts))
    if view.preview:
        st.info(
            "Instructor preview: these are the variants seeded for you. Students each get their "
            "own; only students can submit.",
            icon=":material/visibility:",
        )
    if view.instructions:  # Markdown + KaTeX as card text is: no HTML, no outside images
        show_user_markdown(view.instructions)
    if view.score is not None:
        st.metric("Your score", f"{view.score:g} / {view.max_score:g}")
    if view.release is not None and (
        note := release_note(view.release, view.scores_visible, view.answers_visible, local_time)
    ):
        st.caption(note)
    if view.late and not view.preview:
        penalty = view.deadline.late_penalty if view.deadline else 0.0
        off = f": {penalty:.0%} is taken off the credit of each answer" if penalty else ""
        st.warning(
            f"The due time has passed; answers now count as late{off}.", icon=":material/schedule:"
        )
    if not view.accepting and not view.preview:
        st.warning("This assignment is closed: answers are no longer accepted.")
    for item in view.items:
        with st.container(border=True, key=f"assignment_item_{item.item_id}"):
            _show_item(view, item)


def _show_item(view: AssignmentView, item: ItemView) -> None:
    earned = f" · {item.points_earned:g} earned" if item.points_earned is not None else ""
    st.header(f"Problem {item.position}")
    st.caption(
        f"{item.family_title} · difficulty {item.difficulty} · {item.points:g} point"
        f"{'s' if item.points != 1 else ''}{earned} · {item.attempts_used} of "
        f"{item.attempts_used + item.attempts_left} attempts used"
    )
    flash = st.session_state.get(FLASH_KEY, {}).pop(item.item_id, None)
    if flash is not None:
        _show_flash(*flash)
    finished = item.attempts_left == 0 or (view.scores_visible and bool(item.correct))
    if finished:
        if item.correct:
            st.success("Done.", icon=":material/task_alt:")
        else:
            st.caption("No attempts left.")
    else:
        if item.attempts_used and view.mode != MODE_EXAM:
            st.caption("A new variant for this attempt:")
        show_prompt(item.exercise, key=f"{_item_key(view, item)}_tensors")
        if view.accepting and not view.preview:
            _answer_form(view, item)
    if item.attempts:
        _show_attempts(view, item)


def _item_key(view: AssignmentView, item: ItemView) -> str:
    """The widget-key prefix of an item's current attempt (ids only: never the seed)."""
    return f"assignment_{view.assignment_id}_{item.item_id}_{item.attempts_used}"


def _answer_form(view: AssignmentView, item: ItemView) -> None:
    key = _item_key(view, item)
    started = st.session_state.setdefault(f"{key}_started", time.monotonic())
    mode = answer_mode(item.exercise, key)
    with st.form(f"{key}_form", border=False):
        raw = answer_input(item.exercise, key, mode)
        submitted = st.form_submit_button("Submit", type="primary")
    if not submitted:
        return
    stride = get_stride()
    elapsed = int((time.monotonic() - started) * 1000)
    actor, now = current_actor(), utc_now()
    try:
        result = stride.write(
            lambda session: submit_assignment_answer(
                session,
                actor,
                view.assignment_id,
                item.item_id,
                raw or "",
                now,
                duration_ms=elapsed,
            )
        )
    except (SubmissionRefused, PermissionDenied) as error:
        st.error(str(error), icon=":material/block:")
        return
    if not result.recorded:
        assert result.grade is not None
        show_grade(result.grade, item.exercise, key=f"{key}_marks")  # a format error
        return
    st.session_state.setdefault(FLASH_KEY, {})[item.item_id] = (
        result.message,
        result.grade,
        item.exercise,
        f"{key}_marks",
    )
    st.rerun()


def _show_flash(message: str, grade: object, exercise: object, key: str) -> None:
    """The verdict of the answer just submitted (homework), or only "recorded" (exam)."""
    if grade is None:
        st.info(message, icon=":material/inventory:")
        return
    st.caption(escape_markdown(message))
    show_grade(grade, exercise, key=key)  # type: ignore[arg-type]


def _show_attempts(view: AssignmentView, item: ItemView) -> None:
    label = f"Your attempts ({len(item.attempts)})"
    with st.expander(label, expanded=False):
        for attempt in item.attempts:
            _show_attempt(view, item, attempt)


def _show_attempt(view: AssignmentView, item: ItemView, attempt: AttemptView) -> None:
    when = local_time(attempt.submitted_at)
    late = " · late" if attempt.late else ""
    st.markdown(f"**Attempt {attempt.attempt_number}** · {when}{late}")
    st.code(attempt.raw_answer or "(empty)", language=None)
    if attempt.score is None:
        st.caption("Recorded. The score appears when scores are released.")
        return
    credit = f", credit {attempt.credit:.0%}" if attempt.credit is not None else ""
    verdict = "correct" if attempt.correct else "not correct"
    st.caption(f"Score {attempt.score:.0%} ({verdict}){credit}")
    if attempt.mistake_description:
        st.markdown(f"Likely mistake: {attempt.mistake_description}")
    if attempt.exercise is not None and st.toggle(
        "Worked solution", key=f"assignment_solution_{item.item_id}_{attempt.attempt_number}"
    ):
        show_solution(
            attempt.exercise, key=f"assignment_picture_{item.item_id}_{attempt.attempt_number}"
        )
