"""Who may do what with assignments: every cross-user access is refused with PermissionDenied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quiz.runtime import Stride
from quiz.services.access import Actor, PermissionDenied
from quiz.services.assignments import (
    NOT_GIVEN_TO_YOU,
    AssignmentSpec,
    ItemNotInAssignment,
    ItemSpec,
    SubmissionRefused,
    assignments_for,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
)
from quiz.services.gradebook import gradebook, regrade, submission_history
from quiz.services.term_admin import AssignmentEdit, delete_assignment, edit_assignment
from quiz.store.models import Assignment, AssignmentItem, Submission, User
from quiz.vocabulary import MODE_HOMEWORK, ROLE_INSTRUCTOR, ROLE_STUDENT
from tests.support import NOON

DUE = NOON + timedelta(days=7)
DURING = NOON + timedelta(hours=1)
SPEC = AssignmentSpec(
    title="Homework",
    instructions="",
    mode=MODE_HOMEWORK,
    opens_at=NOON,
    due_at=DUE,
    max_attempts=3,
    items=(ItemSpec("same-padding", 2),),
)


@dataclass
class Class:
    alice: Actor  # in "mine" and "everyone"
    bob: Actor  # in "theirs" and "everyone"
    teacher: Actor
    mine: int  # given to alice only
    theirs: int  # given to bob only
    theirs_item: int


def _user(session: Session, username: str, role: str = ROLE_STUDENT) -> Actor:
    user = User(username=username, role=role, created_at=NOON)
    session.add(user)
    session.flush()
    return Actor.of(user)


@pytest.fixture
def klass(stride: Stride) -> Class:
    with stride.transaction() as session:
        alice, bob = _user(session, "alice"), _user(session, "bob")
        teacher = _user(session, "teacher", ROLE_INSTRUCTOR)
        mine = create_assignment(session, teacher, _members(SPEC, [alice.user_id], "Alice's"), NOON)
        theirs = create_assignment(session, teacher, _members(SPEC, [bob.user_id], "Bob's"), NOON)
        theirs_item = session.scalar(
            select(AssignmentItem.id).where(AssignmentItem.assignment_id == theirs)
        )
        submit_assignment_answer(session, bob, theirs, theirs_item, "3", DURING)
    assert theirs_item is not None
    return Class(alice, bob, teacher, mine, theirs, theirs_item)


def _members(spec: AssignmentSpec, ids: list[int], title: str) -> AssignmentSpec:
    return AssignmentSpec(**{**spec.__dict__, "student_ids": ids, "title": title})


def _run(stride: Stride, action: Callable[[Session], Any]) -> Any:
    with stride.transaction() as session:
        return action(session)


def _refused(stride: Stride, action: Callable[[Session], Any]) -> str:
    with pytest.raises(PermissionDenied) as caught:
        _run(stride, action)
    return str(caught.value)


def _counts(stride: Stride) -> tuple[int, int]:
    with stride.transaction() as session:
        return (
            session.scalar(select(func.count(Assignment.id))) or 0,
            session.scalar(select(func.count(Submission.id))) or 0,
        )


def test_a_student_cannot_create_delete_or_reschedule(stride: Stride, klass: Class) -> None:
    alice = klass.alice
    assert _refused(stride, lambda s: create_assignment(s, alice, SPEC, NOON)) == (
        "Only instructors can create assignments."
    )
    assert "Only instructors" in _refused(
        stride, lambda s: delete_assignment(s, alice, klass.mine, NOON, confirm_title="x")
    )
    message = _refused(
        stride,
        lambda s: edit_assignment(
            s, alice, klass.mine, AssignmentEdit(due_at=DUE + timedelta(days=9)), NOON
        ),
    )
    assert message == "Only instructors can change assignments."
    assert _counts(stride) == (2, 1)
    with stride.transaction() as session:
        assert session.get(Assignment, klass.mine).due_at == DUE  # type: ignore[union-attr]


def test_a_student_cannot_read_the_gradebook_or_regrade(stride: Stride, klass: Class) -> None:
    for assignment_id in (klass.mine, klass.theirs, 999):
        assert _refused(stride, lambda s, a=assignment_id: gradebook(s, klass.alice, a)) == (
            "Only instructors can read gradebooks."
        )
        assert "Only instructors" in _refused(
            stride, lambda s, a=assignment_id: regrade(s, klass.alice, a)
        )


def test_a_student_cannot_read_another_students_history(stride: Stride, klass: Class) -> None:
    alice, bob = klass.alice, klass.bob
    message = _refused(stride, lambda s: submission_history(s, alice, klass.theirs, bob.user_id))
    assert message == "You can only see your own submissions."
    assert _refused(stride, lambda s: submission_history(s, alice, klass.mine, bob.user_id)) == (
        "You can only see your own submissions."
    )
    # their own, but of an assignment not given to them
    own = _refused(stride, lambda s: submission_history(s, alice, klass.theirs, alice.user_id))
    assert own == NOT_GIVEN_TO_YOU


def test_a_student_cannot_open_or_submit_to_an_assignment_not_given_to_them(
    stride: Stride, klass: Class
) -> None:
    alice = klass.alice
    opening = _refused(stride, lambda s: open_assignment(s, alice, klass.theirs, DURING))
    missing = _refused(stride, lambda s: open_assignment(s, alice, 999, DURING))
    assert opening == missing == NOT_GIVEN_TO_YOU  # an existing id looks like a missing one
    submitting = _refused(
        stride,
        lambda s: submit_assignment_answer(s, alice, klass.theirs, klass.theirs_item, "3", DURING),
    )
    assert submitting == NOT_GIVEN_TO_YOU
    assert [a.title for a in _run(stride, lambda s: assignments_for(s, alice, DURING))] == [
        "Alice's"
    ]
    assert _counts(stride) == (2, 1)


def test_an_item_of_another_assignment_is_refused(stride: Stride, klass: Class) -> None:
    alice = klass.alice
    for item_id in (klass.theirs_item, 10**6):
        with pytest.raises(ItemNotInAssignment) as caught:
            _run(
                stride,
                lambda s, i=item_id: submit_assignment_answer(s, alice, klass.mine, i, "3", DURING),
            )
        assert isinstance(caught.value, PermissionDenied)
        assert isinstance(caught.value, SubmissionRefused)
        assert str(caught.value) == "That problem is not part of this assignment."
    assert _counts(stride) == (2, 1)


def test_instructors_preview_but_do_not_submit(stride: Stride, klass: Class) -> None:
    teacher = klass.teacher
    message = _refused(
        stride,
        lambda s: submit_assignment_answer(
            s, teacher, klass.theirs, klass.theirs_item, "3", DURING
        ),
    )
    assert message == NOT_GIVEN_TO_YOU
    preview = _run(stride, lambda s: open_assignment(s, teacher, klass.theirs, DURING))
    assert preview.preview and preview.items[0].attempts_used == 0  # their own, not bob's


def test_an_instructor_can_do_every_read(stride: Stride, klass: Class) -> None:
    teacher = klass.teacher
    book = _run(stride, lambda s: gradebook(s, teacher, klass.theirs))
    assert [r.username for r in book.rows] == ["bob"]
    history = _run(
        stride, lambda s: submission_history(s, teacher, klass.theirs, klass.bob.user_id)
    )
    assert [h.raw_answer for h in history] == ["3"] and history[0].score is not None
    assert _run(stride, lambda s: regrade(s, teacher, klass.theirs)).checked == 1
    listed = _run(stride, lambda s: assignments_for(s, teacher, DURING))
    assert {a.title for a in listed} == {"Alice's", "Bob's"}
    for assignment_id in (klass.mine, klass.theirs):
        view = _run(stride, lambda s, a=assignment_id: open_assignment(s, teacher, a, DURING))
        assert view.preview
    # the local instructor is a different user: the same reads work
    assert _run(stride, lambda s: gradebook(s, stride.local_actor, klass.mine)).rows[
        0
    ].username == ("alice")


def test_a_student_reads_their_own_history(stride: Stride, klass: Class) -> None:
    bob = klass.bob
    rows = _run(stride, lambda s: submission_history(s, bob, klass.theirs, bob.user_id, DURING))
    assert [(r.raw_answer, r.attempt_number) for r in rows] == [("3", 1)]
    assert rows[0].score is not None  # homework: scores are shown at once
