"""The gradebook, submission history, CSV export and regrading, on a small known scenario.

Exam, 3 attempts, credit schedule 1, 0.7, 0.5; item 1 is worth 2 points, item 2 one point.

* alice: item 1 wrong (mistake A), wrong (A again), right → 0.5 × 2 = 1; item 2 right → 1. Total 2.
* bob: item 1 wrong (mistake B), right → 0.7 × 2 = 1.4; item 2 wrong → 0. Total 1.4.
* carol: nothing. Total 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from quiz.exercises.base import Exercise, answer_value, relevant_mistakes
from quiz.exercises.registry import get_family
from quiz.grading import format_answer
from quiz.runtime import Stride
from quiz.services.access import Actor
from quiz.services.assignments import (
    AssignmentSpec,
    ItemSpec,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
)
from quiz.services.grade_exports import grades_csv
from quiz.services.gradebook import (
    Gradebook,
    GradebookItem,
    GradebookRow,
    gradebook,
    regrade,
    submission_history,
)
from quiz.store.models import Submission, User
from quiz.vocabulary import MODE_EXAM, MODE_HOMEWORK, RELEASE_AFTER_DUE, ROLE_STUDENT
from tests.support import NOON

DUE = NOON + timedelta(days=7)
DURING = NOON + timedelta(hours=1)
AFTER = DUE + timedelta(hours=1)


def add_user(stride: Stride, username: str, display_name: str | None = None) -> Actor:
    with stride.transaction() as session:
        user = User(
            username=username,
            display_name=username.title() if display_name is None else display_name,
            role=ROLE_STUDENT,
            created_at=NOON,
        )
        session.add(user)
        session.flush()
        return Actor.of(user)


def create(stride: Stride, mode: str = MODE_EXAM, student_ids: list[int] | None = None) -> int:
    spec = AssignmentSpec(
        title="Exam 1",
        instructions="",
        mode=mode,
        opens_at=NOON,
        due_at=DUE,
        max_attempts=3,
        items=(ItemSpec("parameter-count", 2, points=2.0), ItemSpec("same-padding", 2)),
        student_ids=student_ids,
        scores_release=RELEASE_AFTER_DUE,
    )
    with stride.transaction() as session:
        return create_assignment(session, stride.local_actor, spec, NOON)


def wrong(exercise: Exercise, which: int = 0) -> tuple[str, str]:
    """A mistaken answer (graded 0) and its tag."""
    mistake = relevant_mistakes(get_family(exercise.family), exercise)[which]
    kind = exercise.answer_kind
    return format_answer(kind, answer_value(kind, mistake.answer)), mistake.tag


@dataclass
class Scenario:
    assignment_id: int
    alice: Actor
    bob: Actor
    carol: Actor
    item_ids: tuple[int, int]
    item1_tags: tuple[str, str]  # alice's (twice), bob's (once)
    item2_tag: str  # bob's


@pytest.fixture
def scenario(stride: Stride) -> Scenario:
    alice, bob, carol = (add_user(stride, name) for name in ("alice", "bob", "carol"))
    assignment_id = create(stride)

    def answer(actor: Actor, position: int, raw: str) -> None:
        with stride.transaction() as session:
            item = open_assignment(session, actor, assignment_id, DURING).items[position - 1]
            submit_assignment_answer(session, actor, assignment_id, item.item_id, raw, DURING)

    def exercise(actor: Actor, position: int) -> Exercise:
        with stride.transaction() as session:
            return (
                open_assignment(session, actor, assignment_id, DURING).items[position - 1].exercise
            )

    a1, b1, a2, b2 = (exercise(alice, 1), exercise(bob, 1), exercise(alice, 2), exercise(bob, 2))
    alice_wrong, alice_tag = wrong(a1)
    bob_choice = next(
        n for n, m in enumerate(relevant_mistakes(get_family(b1.family), b1)) if m.tag != alice_tag
    )
    bob_wrong, bob_tag = wrong(b1, bob_choice)
    bob_wrong2, bob_tag2 = wrong(b2)
    for raw in (alice_wrong, alice_wrong, a1.answer):
        answer(alice, 1, raw)
    answer(alice, 2, a2.answer)
    for raw in (bob_wrong, b1.answer):
        answer(bob, 1, raw)
    answer(bob, 2, bob_wrong2)
    with stride.transaction() as session:
        view = open_assignment(session, stride.local_actor, assignment_id, DURING)
    ids = (view.items[0].item_id, view.items[1].item_id)
    return Scenario(assignment_id, alice, bob, carol, ids, (alice_tag, bob_tag), bob_tag2)


def book(stride: Stride, assignment_id: int) -> Gradebook:
    with stride.transaction() as session:
        return gradebook(session, stride.local_actor, assignment_id)


def test_gradebook_points_totals_and_maximum(stride: Stride, scenario: Scenario) -> None:
    result = book(stride, scenario.assignment_id)
    assert [(r.username, r.points, r.submissions) for r in result.rows] == [
        ("alice", (pytest.approx(1.0), 1.0), 4),
        ("bob", (pytest.approx(1.4), 0.0), 3),
        ("carol", (None, None), 0),
    ]
    assert result.totals == (pytest.approx(2.0), pytest.approx(1.4), 0.0)
    assert result.max_total == 3.0 and result.mode == MODE_EXAM and result.title == "Exam 1"
    assert [i.label for i in result.items] == ["item 1 (2 pts)", "item 2 (1 pt)"]


def test_gradebook_means_and_most_common_mistakes(stride: Stride, scenario: Scenario) -> None:
    first, second = book(stride, scenario.assignment_id).items
    assert first.mean_score == pytest.approx((0.5 + 0.7 + 0.0) / 3)
    assert second.mean_score == pytest.approx(1 / 3)
    assert (first.submissions, second.submissions) == (5, 2)
    alice_tag, bob_tag = scenario.item1_tags
    assert [(m.tag, m.count) for m in first.mistakes] == [(alice_tag, 2), (bob_tag, 1)]
    family = get_family("parameter-count")
    assert first.mistakes[0].description == family.mistake_tags[alice_tag]
    assert [(m.tag, m.count) for m in second.mistakes] == [(scenario.item2_tag, 1)]
    assert first.family_title == family.title


def test_gradebook_lists_only_members_and_handles_no_students(stride: Stride) -> None:
    alice, bob = add_user(stride, "alice"), add_user(stride, "bob")
    members_only = create(stride, student_ids=[bob.user_id])
    rows = book(stride, members_only).rows
    assert [(r.username, r.points, r.total) for r in rows] == [("bob", (None, None), 0.0)]
    assert alice.user_id not in {r.user_id for r in rows}
    with stride.transaction() as session:
        session.execute(update(User).values(active=False).where(User.role == ROLE_STUDENT))
    empty = book(stride, create(stride))
    assert empty.rows == () and [i.mean_score for i in empty.items] == [None, None]


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_has_one_row_per_student(stride: Stride, scenario: Scenario) -> None:
    assert grades_csv(book(stride, scenario.assignment_id)) == (
        "username,display_name,item 1 (2 pts),item 2 (1 pt),total,max\r\n"
        "alice,Alice,1,1,2,3\r\n"
        "bob,Bob,1.4,0,1.4,3\r\n"
        "carol,Carol,,,0,3\r\n"
    )


def test_csv_defuses_formulas(stride: Stride) -> None:
    names = ["=HYPERLINK(x)", "+1", "-2", "@SUM(A1)", "\tcalc", "\rcalc", "O'Brien, Pat"]
    rows = tuple(
        GradebookRow(n, f"user{n}", name, (1 / 3,), 1 / 3, 1) for n, name in enumerate(names)
    )
    item = GradebookItem(1, 1, "same-padding", "Same", 2, 1.0, None, 0, ())
    text = grades_csv(Gradebook(1, "T", MODE_HOMEWORK, DUE, (item,), rows, 1.0))
    assert text.split("\r\n")[1:] == [
        "user0,'=HYPERLINK(x),0.33,0.33,1",
        "user1,'+1,0.33,0.33,1",
        "user2,'-2,0.33,0.33,1",
        "user3,'@SUM(A1),0.33,0.33,1",
        "user4,'\tcalc,0.33,0.33,1",
        'user5,"\'\rcalc",0.33,0.33,1',
        'user6,"O\'Brien, Pat",0.33,0.33,1',
        "",
    ]


# --- history -----------------------------------------------------------------------------------


def test_history_lists_every_answer_and_hides_exam_scores_from_students(
    stride: Stride, scenario: Scenario
) -> None:
    def history(actor: Actor, student: Actor, now=DURING):  # type: ignore[no-untyped-def]
        with stride.transaction() as session:
            return submission_history(session, actor, scenario.assignment_id, student.user_id, now)

    rows = history(stride.local_actor, scenario.bob)
    assert [(r.position, r.attempt_number, r.score, r.credit) for r in rows] == [
        (1, 1, 0.0, 0.0),
        (1, 2, 1.0, pytest.approx(0.7)),
        (2, 1, 0.0, 0.0),
    ]
    assert rows[0].mistake == scenario.item1_tags[1] and rows[0].submitted_at == DURING
    own = history(scenario.bob, scenario.bob)
    assert [r.raw_answer for r in own] == [r.raw_answer for r in rows]
    assert {(r.score, r.credit, r.correct, r.mistake) for r in own} == {(None, None, None, None)}
    later = history(scenario.bob, scenario.bob, AFTER)
    assert [r.score for r in later] == [0.0, 1.0, 0.0]
    assert history(scenario.carol, scenario.carol) == []


# --- regrading ---------------------------------------------------------------------------------


def test_regrade_fixes_a_corrupted_score_and_reports_it(stride: Stride, scenario: Scenario) -> None:
    with stride.transaction() as session:
        session.execute(
            update(Submission)
            .where(Submission.user_id == scenario.alice.user_id)
            .where(Submission.item_id == scenario.item_ids[1])
            .values(score=0.0, credit=0.0, correct=False)
        )
    assert book(stride, scenario.assignment_id).totals[0] == pytest.approx(1.0)
    with stride.transaction() as session:
        report = regrade(session, stride.local_actor, scenario.assignment_id)
    assert report.checked == 7
    assert [
        (c.username, c.position, c.attempt_number, c.old_score, c.new_score, c.new_credit)
        for c in report.changes
    ] == [("alice", 2, 1, 0.0, 1.0, 1.0)]
    assert [(t.username, t.old_total, t.new_total) for t in report.total_changes] == [
        ("alice", pytest.approx(1.0), pytest.approx(2.0))
    ]
    assert report.summary() == "1 of 7 submissions changed score; 1 student total changed"
    with stride.transaction() as session:
        fixed = session.execute(
            select(Submission.score, Submission.correct).where(
                Submission.user_id == scenario.alice.user_id,
                Submission.item_id == scenario.item_ids[1],
            )
        ).one()
    assert tuple(fixed) == (1.0, True)
    assert book(stride, scenario.assignment_id).totals[0] == pytest.approx(2.0)
    with stride.transaction() as session:
        again = regrade(session, stride.local_actor, scenario.assignment_id)
    assert again.changes == () and again.summary() == "no scores changed (7 submissions checked)"


def test_regrade_recomputes_a_wrong_credit_and_mistake(stride: Stride, scenario: Scenario) -> None:
    with stride.transaction() as session:
        session.execute(
            update(Submission)
            .where(Submission.user_id == scenario.bob.user_id, Submission.attempt_number == 2)
            .values(credit=1.0, mistake="bogus")
        )
    with stride.transaction() as session:
        report = regrade(session, stride.local_actor, scenario.assignment_id)
    assert [(c.old_credit, c.new_credit) for c in report.changes] == [(1.0, pytest.approx(0.7))]
    assert [(t.old_total, t.new_total) for t in report.total_changes] == [
        (pytest.approx(2.0), pytest.approx(1.4))
    ]
