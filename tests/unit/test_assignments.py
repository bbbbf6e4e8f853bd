"""Assignments: validation, variants, scoring, time and attempt limits, feedback, double submits."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from quiz.decks import parse_deck_file
from quiz.exercises.base import Exercise, answer_value, relevant_mistakes
from quiz.exercises.registry import get_family
from quiz.grading import format_answer
from quiz.runtime import Stride
from quiz.services import assignments as service
from quiz.services.access import Actor
from quiz.services.assignments import (
    AssignmentNotFoundError,
    AssignmentNotOpenError,
    AssignmentSpec,
    AssignmentSpecError,
    DuplicateSubmission,
    ItemSpec,
    SubmissionRefused,
    assignment_seed,
    assignments_for,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
)
from quiz.services.decks import import_deck
from quiz.services.term_admin import (
    AssignmentEdit,
    TermActionError,
    delete_assignment,
    edit_assignment,
)
from quiz.store.models import (
    Assignment,
    AssignmentArchive,
    AssignmentItem,
    AssignmentMember,
    Card,
    Submission,
    User,
)
from quiz.vocabulary import (
    CARD_KIND_EXERCISE,
    CARD_KIND_FLASHCARD,
    MODE_EXAM,
    MODE_HOMEWORK,
    RELEASE_AFTER_DUE,
    ROLE_INSTRUCTOR,
    ROLE_STUDENT,
)
from tests.support import NOON, REPO_ROOT

OPENS = NOON
DUE = NOON + timedelta(days=7)
DURING = NOON + timedelta(hours=1)
AFTER = DUE + timedelta(hours=1)


# --- helpers -----------------------------------------------------------------------------------


def add_user(stride: Stride, username: str, role: str = ROLE_STUDENT, active: bool = True) -> Actor:
    with stride.transaction() as session:
        user = User(
            username=username,
            display_name=username.title(),
            role=role,
            created_at=NOON,
            active=active,
        )
        session.add(user)
        session.flush()
        return Actor.of(user)


AFTER_DUE = {"scores_release": RELEASE_AFTER_DUE, "answers_release": RELEASE_AFTER_DUE}
"""Release rules for the exam tests here: scores and solutions once the due time has passed
(new exams hide them until released by hand: tests/unit/test_term_rules.py)."""


def make_spec(**changes: object) -> AssignmentSpec:
    spec = AssignmentSpec(
        title="Homework 1",
        instructions="Show your work.",
        mode=MODE_HOMEWORK,
        opens_at=OPENS,
        due_at=DUE,
        max_attempts=3,
        items=(ItemSpec("parameter-count", 2, points=2.0), ItemSpec("same-padding", 1)),
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


def create(stride: Stride, **changes: object) -> int:
    with stride.transaction() as session:
        return create_assignment(session, stride.local_actor, make_spec(**changes), NOON)


def view(stride: Stride, actor: Actor, assignment_id: int, now: datetime = DURING):  # type: ignore[no-untyped-def]
    with stride.transaction() as session:
        return open_assignment(session, actor, assignment_id, now)


def submit(  # type: ignore[no-untyped-def]
    stride: Stride, actor: Actor, assignment_id: int, item_id: int, raw: str, now=DURING
):
    with stride.transaction() as session:
        return submit_assignment_answer(session, actor, assignment_id, item_id, raw, now, 1200)


def mistaken(exercise: Exercise) -> str:
    """A wrong answer that one of the family's mistakes gives (graded 0, with its tag)."""
    mistake = relevant_mistakes(get_family(exercise.family), exercise)[0]
    kind = exercise.answer_kind
    return format_answer(kind, answer_value(kind, mistake.answer))


def problems_of(stride: Stride, spec: AssignmentSpec) -> tuple[str, ...]:
    with pytest.raises(AssignmentSpecError) as caught, stride.transaction() as session:
        create_assignment(session, stride.local_actor, spec, NOON)
    return caught.value.problems


@pytest.fixture
def alice(stride: Stride) -> Actor:
    return add_user(stride, "alice")


@pytest.fixture
def bob(stride: Stride) -> Actor:
    return add_user(stride, "bob")


# --- creating ----------------------------------------------------------------------------------


def test_create_expands_counts_into_numbered_items(stride: Stride) -> None:
    items = (ItemSpec("conv-output-size", 1, count=3, points=2.5), ItemSpec("same-padding", 3))
    assignment_id = create(stride, items=items, credit_schedule=(1.0, 0.8))
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        assert assignment.title == "Homework 1" and assignment.for_all_students
        assert assignment.credit_schedule == "1,0.8"
        assert assignment.created_by == stride.local_actor.user_id
        assert [(i.position, i.family, i.difficulty, i.points) for i in assignment.items] == [
            (1, "conv-output-size", 1, 2.5),
            (2, "conv-output-size", 1, 2.5),
            (3, "conv-output-size", 1, 2.5),
            (4, "same-padding", 3, 1.0),
        ]


def test_members_are_recorded_when_students_are_listed(
    stride: Stride, alice: Actor, bob: Actor
) -> None:
    assignment_id = create(stride, student_ids=[alice.user_id, alice.user_id])
    with stride.transaction() as session:
        assert not session.get(Assignment, assignment_id).for_all_students  # type: ignore[union-attr]
        members = session.scalars(
            select(AssignmentMember.user_id).where(AssignmentMember.assignment_id == assignment_id)
        ).all()
    assert members == [alice.user_id]
    assert view(stride, alice, assignment_id).title == "Homework 1"


def test_an_item_from_a_deck_entry_copies_its_family_difficulty_and_ranges(stride: Stride) -> None:
    with stride.transaction() as session:
        deck = parse_deck_file(REPO_ROOT / "tests" / "data" / "decks" / "good" / "cnn-basics.md")
        import_deck(session, deck, NOON)
        card = session.scalars(
            select(Card).where(Card.kind == CARD_KIND_EXERCISE, Card.exercise_params.is_not(None))
        ).first()
        assert card is not None
        card_id, family, params = card.id, card.exercise_family, card.exercise_params
    assignment_id = create(stride, items=(ItemSpec(None, None, count=2, card_id=card_id),))
    with stride.transaction() as session:
        items = session.get(Assignment, assignment_id).items  # type: ignore[union-attr]
        assert [(i.family, i.params, i.card_id) for i in items] == [(family, params, card_id)] * 2
    student = add_user(stride, "dana")
    ranges = json.loads(params or "{}")
    for item in view(stride, student, assignment_id).items:
        shown = item.exercise.params
        assert ranges["height"]["min"] <= shown["height"] <= ranges["height"]["max"]
        assert set(shown["kernel"]) <= set(ranges["kernel"]["any_of"])


def test_an_invalid_spec_reports_every_problem_at_once(stride: Stride) -> None:
    bad = make_spec(
        title="  ",
        mode="quiz",
        due_at=OPENS - timedelta(hours=1),
        max_attempts=0,
        items=(ItemSpec("no-such-family", 5, count=0, points=0),),
        credit_schedule=(1.0, 1.5),
    )
    problems = problems_of(stride, bad)
    assert len(problems) == 10, problems
    joined = "\n".join(problems)
    for phrase in (
        "title is empty",
        "'homework' or 'exam'",
        "must be after the opening time",
        "from 1 to 20",
        "Item 1: the count of copies",
        "Item 1: points must be more than 0",
        "Item 1: unknown exercise family 'no-such-family'",
        "Item 1: the difficulty must be 1, 2 or 3; got 5",
        "Credit schedule value 1.5 (attempt 2) must be more than 0 and at most 1.",
        "must not increase from one attempt to the next",
    ):
        assert phrase in joined


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": ""}, "The title is empty: give the assignment a title."),
        ({"title": "x" * 501}, "at most 500 are allowed"),
        (
            {"instructions": "x" * 20_001},
            "The instructions text has 20,001 characters; at most 20,000",
        ),
        (
            {"instructions": "> " * 40 + "deep"},
            "The instructions text nests lists or block quotes 40",
        ),
        ({"mode": "quiz"}, "The mode must be 'homework' or 'exam'; got 'quiz'."),
        ({"due_at": OPENS}, "must be after the opening time (2026-11-25 12:00 UTC)"),
        ({"opens_at": OPENS.replace(tzinfo=None)}, "The opening time (2026-11-25 12:00) has no"),
        ({"due_at": DUE.replace(tzinfo=None)}, "The due time (2026-12-02 12:00) has no time zone"),
        ({"max_attempts": 0}, "Attempts per problem must be a whole number from 1 to 20; got 0."),
        ({"max_attempts": 21}, "from 1 to 20; got 21."),
        ({"items": ()}, "The assignment has no problems: add at least one item."),
        ({"items": (ItemSpec("same-padding", 2, points=0),)}, "Item 1: points must be more"),
        ({"items": (ItemSpec("same-padding", 2, points=1001),)}, "at most 1000; got 1001."),
        ({"items": (ItemSpec("same-padding", 2, count=51),)}, "from 1 to 50; got 51."),
        ({"items": (ItemSpec("nope", 2),)}, "Item 1: unknown exercise family 'nope'"),
        ({"items": (ItemSpec("same-padding", 0),)}, "difficulty must be 1, 2 or 3; got 0."),
        ({"items": (ItemSpec(None, None, card_id=10**6),)}, "Item 1: there is no card 1000000."),
        ({"credit_schedule": ()}, "The credit schedule is empty"),
        ({"credit_schedule": (1.0, 0.0)}, "value 0 (attempt 2) must be more than 0"),
        ({"credit_schedule": (0.5, 0.7)}, "attempt 2 earns 0.7, more than attempt 1's 0.5"),
        ({"student_ids": []}, "The list of students is empty"),
        ({"student_ids": [10**6]}, "There is no user 1000000 to give the assignment to."),
    ],
)
def test_each_spec_problem_is_explained(
    stride: Stride, changes: dict[str, object], expected: str
) -> None:
    problems = problems_of(stride, make_spec(**changes))
    assert len(problems) == 1 and expected in problems[0], problems
    with stride.transaction() as session:
        assert session.scalar(select(func.count(Assignment.id))) == 0  # nothing half-written


def test_a_flashcard_an_instructor_or_a_deactivated_student_is_refused(stride: Stride) -> None:
    teacher = add_user(stride, "teacher", role=ROLE_INSTRUCTOR)
    gone = add_user(stride, "gone", active=False)
    with stride.transaction() as session:
        flashcard_id = session.scalar(
            select(Card.id).where(Card.kind == CARD_KIND_FLASHCARD).limit(1)
        )
    spec = make_spec(
        items=(ItemSpec(None, None, card_id=flashcard_id),),
        student_ids=[teacher.user_id, gone.user_id],
    )
    assert problems_of(stride, spec) == (
        f"Item 1: card {flashcard_id} is a flashcard, not an exercise entry of a deck; "
        "only exercise entries can be assignment problems.",
        f"User {teacher.user_id} (teacher) is not a student.",
        f"Student {gone.user_id} (gone) is deactivated.",
    )
    assert str(AssignmentSpecError(["a", "b"])) == "The assignment was not saved:\n- a\n- b"


def test_moving_the_due_time_extends_the_deadline_and_validates(
    stride: Stride, alice: Actor
) -> None:
    assignment_id = create(stride)
    later = DUE + timedelta(days=2)
    with stride.transaction() as session:
        edit_assignment(
            session, stride.local_actor, assignment_id, AssignmentEdit(due_at=later), NOON
        )
    item_id = view(stride, alice, assignment_id).items[0].item_id
    assert submit(stride, alice, assignment_id, item_id, "1", now=DUE + timedelta(days=1)).recorded
    with (
        pytest.raises(AssignmentSpecError, match="must be after the opening time"),
        stride.transaction() as session,
    ):
        edit_assignment(
            session,
            stride.local_actor,
            assignment_id,
            AssignmentEdit(opens_at=later, due_at=OPENS),
            NOON,
        )
    with (
        pytest.raises(AssignmentNotFoundError, match="There is no assignment 999"),
        stride.transaction() as session,
    ):
        edit_assignment(session, stride.local_actor, 999, AssignmentEdit(due_at=DUE), NOON)


def test_delete_removes_items_members_and_submissions_and_keeps_an_archive(
    stride: Stride, alice: Actor
) -> None:
    assignment_id = create(stride, student_ids=[alice.user_id])
    item_id = view(stride, alice, assignment_id).items[0].item_id
    submit(stride, alice, assignment_id, item_id, "1")
    with (
        pytest.raises(TermActionError, match="type its title exactly"),
        stride.transaction() as session,
    ):
        delete_assignment(session, stride.local_actor, assignment_id, NOON, confirm_title="Home")
    with stride.transaction() as session:
        archive_id = delete_assignment(
            session, stride.local_actor, assignment_id, NOON, confirm_title="Homework 1"
        )
    with stride.transaction() as session:
        counts = [
            session.scalar(select(func.count()).select_from(model))
            for model in (Assignment, AssignmentItem, AssignmentMember, Submission)
        ]
        archive = session.get(AssignmentArchive, archive_id)
        assert archive is not None and archive.title == "Homework 1"
        kept = json.loads(archive.export)
    assert counts == [0, 0, 0, 0]
    assert [s["raw_answer"] for s in kept["submissions"]] == ["1"]
    assert kept["members"] == ["alice"] and len(kept["items"]) == 2


def test_an_assignment_without_submissions_is_deleted_without_confirmation(
    stride: Stride,
) -> None:
    assignment_id = create(stride)
    with stride.transaction() as session:
        assert delete_assignment(session, stride.local_actor, assignment_id, NOON) is None
        assert session.get(Assignment, assignment_id) is None


# --- variants ----------------------------------------------------------------------------------


def test_seeds_are_stable_31_bit_and_depend_on_every_part() -> None:
    key = b"k" * 32
    seed = assignment_seed(key, 1, 2, 3, 1)
    assert seed == assignment_seed(key, 1, 2, 3, 1) and 0 <= seed < 2**31
    others = {assignment_seed(key, *args) for args in [(9, 2, 3, 1), (1, 9, 3, 1), (1, 2, 9, 1)]}
    others |= {assignment_seed(key, 1, 2, 3, 2), assignment_seed(key, 1, 2, 3, None)}
    assert seed not in others and len(others) == 5


def test_exam_has_one_variant_per_student_and_item(
    stride: Stride, alice: Actor, bob: Actor
) -> None:
    assignment_id = create(stride, mode=MODE_EXAM, **AFTER_DUE)
    first = view(stride, alice, assignment_id).items[0]
    assert view(stride, alice, assignment_id).items[0].exercise == first.exercise  # stable
    submit(stride, alice, assignment_id, first.item_id, mistaken(first.exercise))
    again = view(stride, alice, assignment_id).items[0]
    assert again.attempts_used == 1 and again.exercise == first.exercise
    assert view(stride, bob, assignment_id).items[0].exercise.seed != first.exercise.seed


def test_homework_gives_a_new_variant_for_every_attempt(stride: Stride, alice: Actor) -> None:
    assignment_id = create(stride)
    first = view(stride, alice, assignment_id).items[0]
    result = submit(stride, alice, assignment_id, first.item_id, mistaken(first.exercise))
    second = view(stride, alice, assignment_id).items[0]
    assert result.attempt_number == 1 and second.attempts_used == 1
    assert second.exercise.seed != first.exercise.seed
    # the stored seed regenerates the variant that was answered
    with stride.transaction() as session:
        stored = session.scalar(select(Submission.seed))
    assert stored == first.exercise.seed
    assert second.attempts[0].exercise == first.exercise


# --- scoring -----------------------------------------------------------------------------------


def test_homework_wrong_then_right_earns_full_credit(stride: Stride, alice: Actor) -> None:
    assignment_id = create(stride)
    item = view(stride, alice, assignment_id).items[0]
    wrong = submit(stride, alice, assignment_id, item.item_id, mistaken(item.exercise))
    assert wrong.recorded and wrong.grade is not None and not wrong.grade.correct
    assert wrong.grade.mistake is not None and wrong.credit == 0.0
    assert wrong.message == "Answer recorded, attempt 1 of 3: score 0%."
    item = view(stride, alice, assignment_id).items[0]
    right = submit(stride, alice, assignment_id, item.item_id, item.exercise.answer)
    assert right.grade is not None and right.grade.correct
    assert (right.credit, right.item_credit, right.attempts_left) == (1.0, 1.0, 1)
    assert right.message == "Answer recorded, attempt 2 of 3: correct."
    shown = view(stride, alice, assignment_id)
    assert shown.items[0].credit == 1.0 and shown.items[0].points_earned == 2.0
    assert shown.score == 2.0 and shown.max_score == 3.0
    assert [a.score for a in shown.items[0].attempts] == [0.0, 1.0]
    assert shown.items[0].attempts[0].mistake_description is not None


def test_exam_right_on_attempt_two_earns_the_scheduled_credit(stride: Stride, alice: Actor) -> None:
    assignment_id = create(stride, mode=MODE_EXAM, max_attempts=5, **AFTER_DUE)
    item = view(stride, alice, assignment_id).items[0]
    submit(stride, alice, assignment_id, item.item_id, mistaken(item.exercise))
    result = submit(stride, alice, assignment_id, item.item_id, item.exercise.answer)
    assert result.grade is None and result.credit is None  # nothing about correctness yet
    assert result.message == "Answer recorded, attempt 2 of 5."
    submit(stride, alice, assignment_id, item.item_id, mistaken(item.exercise))
    with stride.transaction() as session:
        credits = session.scalars(select(Submission.credit).order_by(Submission.id)).all()
    assert credits == [0.0, pytest.approx(0.7), 0.0]
    assert view(stride, alice, assignment_id, AFTER).items[0].credit == pytest.approx(0.7)


def test_exam_attempts_past_the_schedule_keep_its_last_factor(stride: Stride, alice: Actor) -> None:
    assignment_id = create(stride, mode=MODE_EXAM, max_attempts=5, **AFTER_DUE)
    item = view(stride, alice, assignment_id).items[1]
    for _ in range(3):
        submit(stride, alice, assignment_id, item.item_id, mistaken(item.exercise))
    submit(stride, alice, assignment_id, item.item_id, item.exercise.answer)
    after = view(stride, alice, assignment_id, AFTER).items[1]
    assert [a.credit for a in after.attempts] == [0.0, 0.0, 0.0, 0.5]
    assert after.points_earned == pytest.approx(0.5)
    assert service.attempt_credit(MODE_EXAM, (1.0, 0.7, 0.5), 20, 0.5) == pytest.approx(0.25)
    assert service.attempt_credit(MODE_HOMEWORK, (1.0, 0.7, 0.5), 3, 0.5) == 0.5


# --- time and attempt limits -------------------------------------------------------------------


def test_submissions_are_refused_before_opening_and_after_the_due_time(
    stride: Stride, alice: Actor
) -> None:
    assignment_id = create(stride)
    item_id = view(stride, alice, assignment_id).items[0].item_id
    with pytest.raises(SubmissionRefused) as early:
        submit(stride, alice, assignment_id, item_id, "1", now=OPENS - timedelta(minutes=1))
    assert str(early.value) == (
        "The assignment opens at 2026-11-25 12:00 UTC; submissions are not accepted yet."
    )
    with pytest.raises(SubmissionRefused) as late:
        submit(stride, alice, assignment_id, item_id, "1", now=DUE + timedelta(seconds=1))
    assert str(late.value) == (
        "The assignment closed at 2026-12-02 12:00 UTC; submissions are no longer accepted."
    )
    assert submit(stride, alice, assignment_id, item_id, "1", now=DUE).recorded  # due included
    with stride.transaction() as session:
        assert session.scalar(select(func.count(Submission.id))) == 1


def test_a_student_cannot_open_it_before_it_opens(stride: Stride, alice: Actor) -> None:
    assignment_id = create(stride)
    with pytest.raises(AssignmentNotOpenError) as refused:
        view(stride, alice, assignment_id, OPENS - timedelta(days=1))
    assert str(refused.value) == "This assignment opens at 2026-11-25 12:00 UTC; come back then."
    preview = view(stride, stride.local_actor, assignment_id, OPENS - timedelta(days=1))
    assert preview.preview and len(preview.items) == 2 and not preview.accepting


def test_the_attempt_limit_is_enforced(stride: Stride, alice: Actor) -> None:
    assignment_id = create(stride, max_attempts=2)
    item_id = view(stride, alice, assignment_id).items[0].item_id
    assert submit(stride, alice, assignment_id, item_id, "1").attempts_left == 1
    assert submit(stride, alice, assignment_id, item_id, "2").attempts_left == 0
    with pytest.raises(SubmissionRefused, match="You have used all 2 attempts at problem 1"):
        submit(stride, alice, assignment_id, item_id, "3")
    item = view(stride, alice, assignment_id).items[0]
    assert (item.attempts_used, item.attempts_left) == (2, 0)
    assert item.exercise == item.attempts[-1].exercise  # the last variant stays on show


def test_a_format_error_is_returned_and_uses_no_attempt(stride: Stride, alice: Actor) -> None:
    assignment_id = create(stride, max_attempts=1, mode=MODE_EXAM)
    item_id = view(stride, alice, assignment_id).items[0].item_id
    result = submit(stride, alice, assignment_id, item_id, "twelve")
    assert not result.recorded and result.attempt_number is None
    assert result.grade is not None and result.grade.format_error == result.message
    assert result.attempts_left == 1
    with stride.transaction() as session:
        assert session.scalar(select(func.count(Submission.id))) == 0
    assert submit(stride, alice, assignment_id, item_id, "12").recorded


# --- feedback ----------------------------------------------------------------------------------


def test_exam_feedback_released_after_due_is_hidden_until_the_due_time(
    stride: Stride, alice: Actor
) -> None:
    assignment_id = create(stride, mode=MODE_EXAM, max_attempts=1, **AFTER_DUE)
    items = view(stride, alice, assignment_id).items
    for item in items:
        submit(stride, alice, assignment_id, item.item_id, item.exercise.answer)
    before = view(stride, alice, assignment_id)
    assert not before.scores_visible and not before.answers_visible and before.score is None
    assert before.status == "done"  # out of attempts: says nothing about correctness
    attempt = before.items[0].attempts[0]
    assert attempt.raw_answer == items[0].exercise.answer
    assert (attempt.score, attempt.credit, attempt.correct, attempt.exercise) == (None,) * 4
    assert before.items[0].credit is None and before.items[0].correct is None
    (summary,) = _summaries(stride, alice, DURING)
    assert summary.score is None and summary.max_score == 3.0
    after = view(stride, alice, assignment_id, AFTER)
    assert after.scores_visible and after.answers_visible
    assert after.score == 3.0 and after.status == "closed"
    shown = after.items[0].attempts[0]
    assert shown.correct and shown.score == 1.0 and shown.exercise == items[0].exercise
    assert shown.exercise is not None and shown.exercise.solution
    assert _summaries(stride, alice, AFTER)[0].score == 3.0


def test_an_exam_right_answer_does_not_mark_the_assignment_done_before_due(
    stride: Stride, alice: Actor
) -> None:
    assignment_id = create(stride, mode=MODE_EXAM, max_attempts=3, **AFTER_DUE)
    for item in view(stride, alice, assignment_id).items:
        submit(stride, alice, assignment_id, item.item_id, item.exercise.answer)
    assert view(stride, alice, assignment_id).status == "open"
    homework = create(stride, title="Homework 2", max_attempts=3)
    for item in view(stride, alice, homework).items:
        submit(stride, alice, homework, item.item_id, item.exercise.answer)
    shown = view(stride, alice, homework)
    assert shown.status == "done" and shown.score == 3.0


# --- lists -------------------------------------------------------------------------------------


def _summaries(stride: Stride, actor: Actor, now: datetime):  # type: ignore[no-untyped-def]
    with stride.transaction() as session:
        return assignments_for(session, actor, now)


def test_a_student_list_shows_status_score_and_only_their_assignments(
    stride: Stride, alice: Actor, bob: Actor
) -> None:
    first = create(stride, title="First")
    create(stride, title="Bob only", student_ids=[bob.user_id])
    item = view(stride, alice, first).items[0]
    submit(stride, alice, first, item.item_id, item.exercise.answer)
    rows = _summaries(stride, alice, DURING)
    assert [(r.title, r.status, r.score, r.max_score, r.items) for r in rows] == [
        ("First", "open", 2.0, 3.0, 2)
    ]
    assert _summaries(stride, alice, OPENS - timedelta(hours=1))[0].status == "upcoming"
    assert _summaries(stride, alice, DUE - timedelta(hours=47))[0].status == "due soon"
    assert _summaries(stride, alice, AFTER)[0].status == "closed"
    assert {r.title for r in _summaries(stride, bob, DURING)} == {"First", "Bob only"}


def test_an_instructor_list_counts_students_and_submissions(
    stride: Stride, alice: Actor, bob: Actor
) -> None:
    add_user(stride, "left", active=False)
    everyone = create(stride, title="Everyone", due_at=DUE + timedelta(days=1))
    create(stride, title="Alice only", student_ids=[alice.user_id])
    item = view(stride, alice, everyone).items[0]
    submit(stride, alice, everyone, item.item_id, "1")
    submit(stride, bob, everyone, item.item_id, "2")
    rows = _summaries(stride, stride.local_actor, DURING)
    assert [(r.title, r.students, r.submissions, r.items, r.max_score) for r in rows] == [
        ("Alice only", 1, 0, 2, 3.0),
        ("Everyone", 2, 2, 2, 3.0),
    ]


# --- double submit -----------------------------------------------------------------------------


def test_a_concurrent_double_submit_records_one_attempt(
    stride: Stride, alice: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = create(stride)
    item_id = view(stride, alice, assignment_id).items[0].item_id
    assert submit(stride, alice, assignment_id, item_id, "1").attempt_number == 1
    counted = service.attempts_so_far
    with stride.transaction() as session:
        # The second request counted attempts before the first one was committed.
        monkeypatch.setattr(service, "attempts_so_far", lambda *_args: (0, 0.0))
        with pytest.raises(DuplicateSubmission, match="already recorded"):
            submit_assignment_answer(session, alice, assignment_id, item_id, "1", DURING)
        monkeypatch.setattr(service, "attempts_so_far", counted)
        # the savepoint rolled back alone: the transaction goes on
        result = submit_assignment_answer(session, alice, assignment_id, item_id, "2", DURING)
        assert result.attempt_number == 2
    with stride.transaction() as session:
        rows = session.execute(
            select(Submission.attempt_number, Submission.raw_answer).order_by(Submission.id)
        ).all()
    assert [tuple(r) for r in rows] == [(1, "1"), (2, "2")]
