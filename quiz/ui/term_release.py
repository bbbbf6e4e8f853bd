"""The gradebook's Release tab: when students see their scores and the answers.

The assignment's rules in words (in the page's time zone), buttons that release the scores, or
the scores and the answers, to every student now, and a preview of what a student sees now
(:func:`~quiz.services.term_admin.what_students_see`): one without an extension, or a chosen
one with theirs.
"""

from __future__ import annotations

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.gradebook import Gradebook
from quiz.services.term_admin import release, what_students_see
from quiz.services.term_rules import due_line, release_note
from quiz.ui.assignment_take import local_time
from quiz.ui.state import get_stride
from quiz.ui.term_common import REFUSALS, act, pick_student, refuse, says
from quiz.ui.text import escape_markdown

ANSWERS = "Correct answers and worked solutions"


def release_tab(actor: Actor, book: Gradebook) -> None:
    """The rules in words, the release buttons, and what a student sees now."""
    st.markdown("**The rules**\n\n" + "\n".join(f"- {escape_markdown(r)}" for r in book.rules))
    scores, both = st.columns(2)
    if scores.button("Release scores now", icon=":material/visibility:", key="gradebook_release"):
        _release(actor, book, answers=False)
    if both.button(
        "Release scores and answers now",
        icon=":material/task_alt:",
        key="gradebook_release_answers",
    ):
        _release(actor, book, answers=True)
    _students_see(actor, book)


def _release(actor: Actor, book: Gradebook, *, answers: bool) -> None:
    act(
        lambda session: release(
            session, actor, book.assignment_id, utc_now(), scores=True, answers=answers
        ),
        says("Scores and answers released." if answers else "Scores released to every student."),
        "Nothing was released:",
    )


def _students_see(actor: Actor, book: Gradebook) -> None:
    """Whether a student (one without an extension, or a chosen one) sees scores and answers."""
    st.header("What students see")
    username = pick_student(
        book, "As", "gradebook_preview_student", nobody="a student without an extension"
    )
    try:
        with get_stride().transaction() as session:
            sight = what_students_see(session, actor, book.assignment_id, utc_now(), username)
    except REFUSALS as error:
        refuse(str(error))
        return
    scores, answers = st.columns(2)
    scores.metric("Scores", "shown" if sight.scores_visible else "hidden")
    answers.metric(ANSWERS, "shown" if sight.answers_visible else "hidden")
    st.caption(escape_markdown(due_line(sight.deadline, local_time)))
    note = release_note(sight.release, sight.scores_visible, sight.answers_visible, local_time)
    if note:
        st.caption(escape_markdown(note))
