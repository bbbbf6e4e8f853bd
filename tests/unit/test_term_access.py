"""Who may run a term: every new instructor action is refused for a student (PermissionDenied,
nothing written), and no student sees another student's extension, override or answers — not
through the instructor's list of extensions or preview of a student's view either."""

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
    AssignmentSpec,
    ItemSpec,
    SubmissionRefused,
    assignments_for,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
)
from quiz.services.gradebook import gradebook, regrade, submission_history
from quiz.services.term_admin import (
    AssignmentEdit,
    TermActionError,
    add_items,
    delete_assignment,
    edit_assignment,
    grant_extension,
    list_extensions,
    override_score,
    regrade_assignment,
    release,
    remove_extension,
    remove_item,
    restore_item,
    what_students_see,
)
from quiz.store.models import (
    Assignment,
    AssignmentArchive,
    AssignmentAudit,
    AssignmentExtension,
    AssignmentItem,
    FormatError,
    ScoreOverride,
    Submission,
    User,
)
from quiz.vocabulary import MODE_EXAM, MODE_HOMEWORK, ROLE_INSTRUCTOR, ROLE_STUDENT
from tests.support import NOON

DUE = NOON + timedelta(days=7)
DURING = NOON + timedelta(hours=1)
EXTENDED = DUE + timedelta(days=3)
SPEC = AssignmentSpec(
    title="Homework",
    instructions="",
    mode=MODE_HOMEWORK,
    opens_at=NOON,
    due_at=DUE,
    max_attempts=2,
    items=(ItemSpec("same-padding", 2, points=2.0), ItemSpec("same-padding", 1)),
)


@dataclass
class Class:
    alice: Actor  # section A
    bob: Actor  # section B: his own extension, an override, a format error
    teacher: Actor
    shared: int  # given to every student
    theirs: int  # given to bob only
    shared_items: tuple[int, int]


def _user(session: Session, username: str, role: str = ROLE_STUDENT, section: str = "") -> Actor:
    user = User(username=username, role=role, created_at=NOON, section=section or None)
    session.add(user)
    session.flush()
    return Actor.of(user)


@pytest.fixture
def klass(stride: Stride) -> Class:
    with stride.transaction() as session:
        alice = _user(session, "alice", section="A")
        bob = _user(session, "bob", section="B")
        teacher = _user(session, "teacher", ROLE_INSTRUCTOR)
        shared = create_assignment(session, teacher, SPEC, NOON)
        only_bob = AssignmentSpec(
            **{**SPEC.__dict__, "title": "Bob's", "student_ids": [bob.user_id]}
        )
        theirs = create_assignment(session, teacher, only_bob, NOON)
        first, second = session.scalars(
            select(AssignmentItem.id)
            .where(AssignmentItem.assignment_id == shared)
            .order_by(AssignmentItem.position)
        ).all()
        grant_extension(session, teacher, shared, EXTENDED, NOON, username="bob", extra_attempts=1)
        grant_extension(session, teacher, shared, EXTENDED, NOON, section="B")
        submit_assignment_answer(session, bob, shared, first, "not a number", DURING)
        submit_assignment_answer(session, bob, shared, first, "3", DURING)
    with stride.transaction() as session:  # a fresh session, as the pages use
        override_score(session, teacher, shared, "bob", 2, 0.5, "oral exam", NOON)
    return Class(alice, bob, teacher, shared, theirs, (first, second))


def _run(stride: Stride, action: Callable[[Session], Any]) -> Any:
    with stride.transaction() as session:
        return action(session)


def _state(stride: Stride) -> tuple[Any, ...]:
    """Everything a term action could write."""
    with stride.transaction() as session:
        counts = tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (
                Assignment,
                AssignmentItem,
                Submission,
                AssignmentAudit,
                AssignmentExtension,
                ScoreOverride,
                AssignmentArchive,
                FormatError,
            )
        )
        assignments = tuple(
            tuple(row)
            for row in session.execute(
                select(
                    Assignment.id,
                    Assignment.title,
                    Assignment.due_at,
                    Assignment.max_attempts,
                    Assignment.late_penalty,
                    Assignment.scores_release,
                    Assignment.scores_release_at,
                    Assignment.answers_release,
                    Assignment.updated_at,
                ).order_by(Assignment.id)
            )
        )
        items = tuple(
            tuple(row)
            for row in session.execute(
                select(
                    AssignmentItem.id, AssignmentItem.points, AssignmentItem.removed_at
                ).order_by(AssignmentItem.id)
            )
        )
        extensions = tuple(
            tuple(row)
            for row in session.execute(
                select(AssignmentExtension.id, AssignmentExtension.due_at).order_by(
                    AssignmentExtension.id
                )
            )
        )
        overrides = tuple(
            tuple(row) for row in session.execute(select(ScoreOverride.id, ScoreOverride.points))
        )
    return counts, assignments, items, extensions, overrides


ACTIONS: list[tuple[str, Callable[[Session, Actor, int], Any], str]] = [
    (
        "edit",
        lambda s, who, a: edit_assignment(
            s, who, a, AssignmentEdit(due_at=DUE + timedelta(days=30), title="Mine now"), DURING
        ),
        "Only instructors can change assignments.",
    ),
    (
        "edit points",
        lambda s, who, a: edit_assignment(s, who, a, AssignmentEdit(item_points={1: 50.0}), DURING),
        "Only instructors can change assignments.",
    ),
    (
        "add items",
        lambda s, who, a: add_items(s, who, a, [ItemSpec("same-padding", 1)], DURING),
        "Only instructors can change assignments.",
    ),
    (
        "remove item",
        lambda s, who, a: remove_item(s, who, a, 1, DURING),
        "Only instructors can change assignments.",
    ),
    (
        "restore item",
        lambda s, who, a: restore_item(s, who, a, 1, DURING),
        "Only instructors can change assignments.",
    ),
    (
        "extension for themselves",
        lambda s, who, a: grant_extension(
            s, who, a, DUE + timedelta(days=60), DURING, username=who.username, extra_attempts=9
        ),
        "Only instructors can give extensions.",
    ),
    (
        "extension for their section",
        lambda s, who, a: grant_extension(s, who, a, DUE + timedelta(days=60), DURING, section="A"),
        "Only instructors can give extensions.",
    ),
    (
        "take back another's extension",
        lambda s, who, a: remove_extension(s, who, a, DURING, username="bob"),
        "Only instructors can give extensions.",
    ),
    (
        "take back a section's extension",
        lambda s, who, a: remove_extension(s, who, a, DURING, section="B"),
        "Only instructors can give extensions.",
    ),
    (
        "release",
        lambda s, who, a: release(s, who, a, DURING, scores=True, answers=True),
        "Only instructors can release scores.",
    ),
    (
        "override own score",
        lambda s, who, a: override_score(s, who, a, who.username, 1, 2.0, "I deserve it", DURING),
        "Only instructors can override scores.",
    ),
    (
        "take back another's override",
        lambda s, who, a: override_score(s, who, a, "bob", 2, None, "no", DURING),
        "Only instructors can override scores.",
    ),
    (
        "delete",
        lambda s, who, a: delete_assignment(s, who, a, DURING, confirm_title="Homework"),
        "Only instructors can delete assignments.",
    ),
    ("regrade", lambda s, who, a: regrade(s, who, a), "Only instructors can regrade assignments."),
    (
        "regrade their own answers",
        lambda s, who, a: regrade(s, who, a, before={who.user_id: 0.0}, user_id=who.user_id),
        "Only instructors can regrade assignments.",
    ),
    (
        "audited regrade",
        lambda s, who, a: regrade_assignment(s, who, a, DURING),
        "Only instructors can regrade assignments.",
    ),
    (
        "list extensions",
        lambda s, who, a: list_extensions(s, who, a),
        "Only instructors can read extensions.",
    ),
    (
        "see what another student sees",
        lambda s, who, a: what_students_see(s, who, a, DUE + timedelta(days=30), "bob"),
        "Only instructors can preview assignments.",
    ),
    (
        "see what they see",
        lambda s, who, a: what_students_see(s, who, a, DURING, who.username),
        "Only instructors can preview assignments.",
    ),
    (
        "see what a student without an extension sees",
        lambda s, who, a: what_students_see(s, who, a, DURING),
        "Only instructors can preview assignments.",
    ),
    (
        "gradebook",
        lambda s, who, a: gradebook(s, who, a, DURING),
        "Only instructors can read gradebooks.",
    ),
]


@pytest.mark.parametrize(("name", "action", "message"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_every_term_action_is_refused_for_a_student_and_writes_nothing(
    stride: Stride,
    klass: Class,
    name: str,
    action: Callable[[Session, Actor, int], Any],
    message: str,
) -> None:
    before = _state(stride)
    for student in (klass.alice, klass.bob):
        # an assignment given to them, one not given to them, one that does not exist: the
        # same refusal, so ids cannot be probed
        for assignment_id in (klass.shared, klass.theirs, 999):
            with pytest.raises(PermissionDenied) as caught:
                _run(stride, lambda s, w=student, a=assignment_id: action(s, w, a))
            assert str(caught.value) == message, name
    assert _state(stride) == before


def test_an_instructor_may_do_each_of_them(stride: Stride, klass: Class) -> None:
    """The refusals above are about the role: the same calls work for an instructor."""
    teacher = klass.teacher
    with stride.transaction() as session:
        report = edit_assignment(
            session, teacher, klass.shared, AssignmentEdit(due_at=DUE + timedelta(days=1)), DURING
        )
        assert report.changes == ("due: 2026-12-02 12:00 UTC → 2026-12-03 12:00 UTC",)
        assert (
            len(add_items(session, teacher, klass.shared, [ItemSpec("same-padding", 1)], DURING))
            == 1
        )
        remove_item(session, teacher, klass.shared, 3, DURING)
        restore_item(session, teacher, klass.shared, 3, DURING)
        grant_extension(session, teacher, klass.shared, EXTENDED, DURING, username="alice")
        remove_extension(session, teacher, klass.shared, DURING, username="alice")
        remove_extension(session, teacher, klass.shared, DURING, section="B")
        release(session, teacher, klass.shared, DURING)
        override_score(session, teacher, klass.shared, "alice", 1, 1.0, "oral", DURING)
        assert gradebook(session, teacher, klass.shared, DURING).rows[0].total == 1.0
        assert regrade(session, teacher, klass.shared, user_id=klass.bob.user_id).checked == 1
        assert regrade_assignment(session, teacher, klass.shared, DURING).checked == 1
        assert [
            (e.username, e.section) for e in list_extensions(session, teacher, klass.shared)
        ] == [("bob", None)]
        sight = what_students_see(session, teacher, klass.shared, DURING, "bob")
        assert (sight.deadline.due_at, sight.deadline.max_attempts) == (EXTENDED, 3)
        assert delete_assignment(session, teacher, klass.theirs, DURING) is None  # no answers
    actions = _run(
        stride,
        lambda s: list(s.scalars(select(AssignmentAudit.action).order_by(AssignmentAudit.id))),
    )
    assert actions == [
        "extension",  # the fixture's: bob, section B (before any answer: no regrade), override
        "extension",
        "override",
        "edit",  # the due time moved: bob's answer is regraded
        "regrade",
        "add item",
        "remove item",
        "regrade",
        "restore item",
        "regrade",
        "extension",  # alice has no answers: no regrade
        "extension removed",
        "extension removed",  # section B: bob's answer is regraded
        "regrade",
        "release",
        "override",
        "regrade",  # regrade_assignment (regrade itself writes no line)
    ]


# --- a student sees only their own -------------------------------------------------------------


def test_another_students_extension_does_not_apply_to_a_student(
    stride: Stride, klass: Class
) -> None:
    alice = _run(stride, lambda s: open_assignment(s, klass.alice, klass.shared, DURING))
    bob = _run(stride, lambda s: open_assignment(s, klass.bob, klass.shared, DURING))
    assert (alice.due_at, alice.max_attempts) == (DUE, 2)
    assert alice.deadline is not None and alice.deadline.extended_by is None
    assert (bob.due_at, bob.max_attempts) == (EXTENDED, 3)
    assert bob.deadline is not None and bob.deadline.extended_by == "you"
    # after the due time bob may answer and alice may not (section B's extension is not hers)
    after = DUE + timedelta(hours=1)
    first = klass.shared_items[0]
    with pytest.raises(SubmissionRefused, match="closed at 2026-12-02 12:00 UTC"):
        _run(
            stride,
            lambda s: submit_assignment_answer(s, klass.alice, klass.shared, first, "3", after),
        )
    assert _run(
        stride, lambda s: submit_assignment_answer(s, klass.bob, klass.shared, first, "3", after)
    ).recorded
    (summary,) = _run(stride, lambda s: assignments_for(s, klass.alice, DURING))
    assert summary.due_at == DUE and summary.deadline is not None
    assert summary.deadline.extended_by is None


def test_another_students_override_and_answers_stay_theirs(stride: Stride, klass: Class) -> None:
    alice = _run(stride, lambda s: open_assignment(s, klass.alice, klass.shared, DURING))
    assert [i.attempts_used for i in alice.items] == [0, 0]
    assert [i.attempts for i in alice.items] == [(), ()]
    assert [i.points_earned for i in alice.items] == [0.0, 0.0]  # not bob's 0.5 override
    assert alice.score == 0.0
    (summary,) = _run(stride, lambda s: assignments_for(s, klass.alice, DURING))
    assert summary.score == 0.0
    bob = _run(stride, lambda s: open_assignment(s, klass.bob, klass.shared, DURING))
    assert [i.attempts_used for i in bob.items] == [1, 0]  # the format error used no attempt
    assert bob.items[1].points_earned == 0.5
    assert (
        _run(
            stride,
            lambda s: submission_history(s, klass.alice, klass.shared, klass.alice.user_id, DURING),
        )
        == []
    )
    with pytest.raises(PermissionDenied, match=r"You can only see your own submissions\."):
        _run(
            stride,
            lambda s: submission_history(s, klass.alice, klass.shared, klass.bob.user_id, DURING),
        )
    with pytest.raises(PermissionDenied):
        _run(stride, lambda s: open_assignment(s, klass.alice, klass.theirs, DURING))


def test_a_released_exam_shows_a_student_only_their_own_scores(
    stride: Stride, klass: Class
) -> None:
    spec = AssignmentSpec(**{**SPEC.__dict__, "title": "Exam", "mode": MODE_EXAM})
    with stride.transaction() as session:
        exam = create_assignment(session, klass.teacher, spec, NOON)
        item = session.scalar(
            select(AssignmentItem.id).where(
                AssignmentItem.assignment_id == exam, AssignmentItem.position == 1
            )
        )
    assert item is not None
    answer = (
        _run(stride, lambda s: open_assignment(s, klass.bob, exam, DURING)).items[0].exercise.answer
    )
    _run(stride, lambda s: submit_assignment_answer(s, klass.bob, exam, item, answer, DURING))
    bob_before = _run(
        stride, lambda s: submission_history(s, klass.bob, exam, klass.bob.user_id, DURING)
    )
    assert [(h.raw_answer, h.score, h.correct) for h in bob_before] == [(answer, None, None)]
    _run(stride, lambda s: release(s, klass.teacher, exam, DURING, answers=True))
    bob_after = _run(stride, lambda s: open_assignment(s, klass.bob, exam, DURING))
    assert bob_after.score == 2.0 and bob_after.items[0].attempts[0].exercise is not None
    alice_after = _run(stride, lambda s: open_assignment(s, klass.alice, exam, DURING))
    assert alice_after.scores_visible and alice_after.score == 0.0
    assert [i.attempts for i in alice_after.items] == [(), ()]
    with pytest.raises(PermissionDenied, match=r"You can only see your own submissions\."):
        _run(stride, lambda s: submission_history(s, klass.alice, exam, klass.bob.user_id, DURING))


def test_the_preview_of_a_student_carries_only_their_own_extension(
    stride: Stride, klass: Class
) -> None:
    def sight(username: str, assignment_id: int):  # type: ignore[no-untyped-def]
        return _run(
            stride,
            lambda s: what_students_see(s, klass.teacher, assignment_id, DURING, username),
        )

    alice = sight("alice", klass.shared)  # section A: neither bob's nor section B's extension
    assert (alice.deadline.due_at, alice.deadline.max_attempts) == (DUE, 2)
    assert alice.deadline.extended_by is None
    bob = sight("bob", klass.shared)
    assert (bob.deadline.due_at, bob.deadline.max_attempts, bob.deadline.extended_by) == (
        EXTENDED,
        3,
        "you",
    )
    assert sight("bob", klass.theirs).deadline.due_at == DUE  # his extension is on the other one
    with pytest.raises(TermActionError) as caught:
        sight("alice", klass.theirs)
    assert str(caught.value) == f"Assignment {klass.theirs} is not given to 'alice'."
