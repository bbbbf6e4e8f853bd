"""Running an assignment through a term (quiz.services.term_admin and what it changes in the
student's view and the gradebook), on SQLite and PostgreSQL.

The term in miniature (the ``term`` fixture): homework "Homework 1", opens Wed 2026-11-25 12:00
UTC, due Wed 2026-12-02 12:00, late answers until Fri 2026-12-04 12:00 with 20 % off, 2 attempts;
item 1 (parameter-count) is worth 2 points, item 2 (same-padding) 1 point.

* the instructor moves the due time a day, to Thu 2026-12-03 12:00 (the window still ends Fri):
  a regrade with nothing to check yet;
* alice gets an extension to Sat 2026-12-05 12:00 with one more attempt per item (her late
  window, one day like the class's, ends Sun 2026-12-06 12:00);
* alice answers on Sat 00:00 — after the class's window has closed — on time: item 1 wrong,
  wrong, right (her third attempt), item 2 right → 2 + 1 = 3 points;
* bob answers on Fri 00:00, inside the late window: item 1 right → 2 × 0.8 = 1.6 points.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from quiz.exercises.base import Exercise, answer_value, relevant_mistakes
from quiz.exercises.registry import get_family
from quiz.grading import format_answer
from quiz.runtime import Stride
from quiz.services.access import Actor
from quiz.services.assignments import (
    AssignmentNotFoundError,
    AssignmentSpec,
    AssignmentSpecError,
    AssignmentView,
    ItemNotInAssignment,
    ItemSpec,
    SubmissionRefused,
    SubmissionResult,
    assignments_for,
    create_assignment,
    family_title,
    open_assignment,
    submit_assignment_answer,
)
from quiz.services.gradebook import (
    AuditEntry,
    Gradebook,
    RegradeReport,
    ScoreChange,
    TotalChange,
    gradebook,
    histogram_bins,
    regrade,
    submission_history,
)
from quiz.services.term_admin import (
    AssignmentEdit,
    EditReport,
    ExtensionRow,
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
from quiz.services.term_rules import LATE_WINDOW_MAX, Deadline, Release, due_line
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
from quiz.vocabulary import (
    MODE_EXAM,
    MODE_HOMEWORK,
    RELEASE_AFTER_DUE,
    RELEASE_BY_HAND,
    RELEASE_IMMEDIATELY,
    RELEASE_ON_DATE,
    ROLE_STUDENT,
)
from tests.support import NOON

OPENS = NOON  # Wed 2026-11-25 12:00 UTC
DURING = NOON + timedelta(hours=1)
DUE = NOON + timedelta(days=7)  # Wed 2026-12-02 12:00
LATE_UNTIL = DUE + timedelta(days=2)  # Fri 2026-12-04 12:00
MOVED_DUE = DUE + timedelta(days=1)  # Thu 2026-12-03 12:00
EXTENDED = MOVED_DUE + timedelta(days=2)  # Sat 2026-12-05 12:00
BOB_AT = MOVED_DUE + timedelta(hours=12)  # Fri 00:00, inside the late window
ALICE_AT = MOVED_DUE + timedelta(hours=36)  # Sat 00:00, the class's window is over
LATER = DUE + timedelta(days=1)  # Thu 2026-12-03 12:00: an extension of the unmoved due time
SECOND = timedelta(seconds=1)
TITLE = "Homework 1"


# --- helpers -----------------------------------------------------------------------------------


def add_user(
    stride: Stride,
    username: str,
    *,
    section: str | None = None,
    email: str | None = None,
    role: str = ROLE_STUDENT,
) -> Actor:
    with stride.transaction() as session:
        user = User(
            username=username,
            display_name=username.title(),
            role=role,
            created_at=NOON,
            section=section,
            email=email,
        )
        session.add(user)
        session.flush()
        return Actor.of(user)


def create(stride: Stride, **changes: object) -> int:
    fields: dict[str, object] = {
        "title": TITLE,
        "instructions": "Show your work.",
        "mode": MODE_HOMEWORK,
        "opens_at": OPENS,
        "due_at": DUE,
        "max_attempts": 2,
        "items": (ItemSpec("parameter-count", 2, points=2.0), ItemSpec("same-padding", 1)),
        "late_until": LATE_UNTIL,
        "late_penalty": 0.2,
    }
    fields.update(changes)
    with stride.transaction() as session:
        return create_assignment(session, stride.local_actor, AssignmentSpec(**fields), NOON)  # type: ignore[arg-type]


def item_ids(stride: Stride, assignment_id: int) -> list[int]:
    """Every item's id by position, removed ones included."""
    with stride.transaction() as session:
        return list(
            session.scalars(
                select(AssignmentItem.id)
                .where(AssignmentItem.assignment_id == assignment_id)
                .order_by(AssignmentItem.position)
            )
        )


def view(stride: Stride, actor: Actor, assignment_id: int, now: datetime) -> AssignmentView:
    with stride.transaction() as session:
        return open_assignment(session, actor, assignment_id, now)


def submit(
    stride: Stride, actor: Actor, assignment_id: int, item_id: int, raw: str, now: datetime
) -> SubmissionResult:
    with stride.transaction() as session:
        return submit_assignment_answer(session, actor, assignment_id, item_id, raw, now)


def exercise(
    stride: Stride, actor: Actor, assignment_id: int, position: int, now: datetime
) -> Exercise:
    """The variant ``actor`` answers next on the item at ``position``."""
    items = view(stride, actor, assignment_id, now).items
    return next(i.exercise for i in items if i.position == position)


def answer_right(
    stride: Stride, actor: Actor, assignment_id: int, position: int, now: datetime
) -> SubmissionResult:
    shown = exercise(stride, actor, assignment_id, position, now)
    item_id = item_ids(stride, assignment_id)[position - 1]
    return submit(stride, actor, assignment_id, item_id, shown.answer, now)


def answer_wrong(
    stride: Stride, actor: Actor, assignment_id: int, position: int, now: datetime
) -> SubmissionResult:
    shown = exercise(stride, actor, assignment_id, position, now)
    mistake = relevant_mistakes(get_family(shown.family), shown)[0]
    raw = format_answer(shown.answer_kind, answer_value(shown.answer_kind, mistake.answer))
    item_id = item_ids(stride, assignment_id)[position - 1]
    result = submit(stride, actor, assignment_id, item_id, raw, now)
    assert result.recorded and result.grade is not None and not result.grade.correct
    return result


def book(stride: Stride, assignment_id: int, now: datetime = BOB_AT) -> Gradebook:
    with stride.transaction() as session:
        return gradebook(session, stride.local_actor, assignment_id, now)


def edit(stride: Stride, assignment_id: int, now: datetime = NOON, **changes: object) -> EditReport:
    with stride.transaction() as session:
        return edit_assignment(
            session, stride.local_actor, assignment_id, AssignmentEdit(**changes), now
        )


def edit_problems(stride: Stride, assignment_id: int, **changes: object) -> tuple[str, ...]:
    with pytest.raises(AssignmentSpecError) as caught:
        edit(stride, assignment_id, **changes)
    return caught.value.problems


def refused(stride: Stride, action) -> str:  # type: ignore[no-untyped-def]
    """The message of the TermActionError that ``action(session)`` raises."""
    with pytest.raises(TermActionError) as caught, stride.transaction() as session:
        action(session)
    return str(caught.value)


def override(
    stride: Stride,
    assignment_id: int,
    username: str,
    position: int,
    points: float | None,
    reason: str,
    now: datetime,
) -> str:
    """``override_score`` by the local instructor, in a fresh session (as the pages and the
    command line call it)."""
    with stride.transaction() as session:
        return override_score(
            session, stride.local_actor, assignment_id, username, position, points, reason, now
        )


def actions(stride: Stride) -> list[str]:
    """Every audit line's action, oldest first."""
    with stride.transaction() as session:
        return list(session.scalars(select(AssignmentAudit.action).order_by(AssignmentAudit.id)))


def count(stride: Stride, model: type) -> int:
    with stride.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def totals(result: Gradebook) -> dict[str, float]:
    return {row.username: round(row.total, 9) for row in result.rows}


# --- the term in miniature ---------------------------------------------------------------------


@dataclass
class Term:
    assignment_id: int
    alice: Actor
    bob: Actor
    moved: EditReport
    extension: str
    alice_results: list[SubmissionResult]
    bob_result: SubmissionResult


@pytest.fixture
def term(stride: Stride) -> Term:
    alice = add_user(stride, "alice", section="A", email="alice@example.edu")
    bob = add_user(stride, "bob", section="B")
    assignment_id = create(stride)
    moved = edit(stride, assignment_id, now=NOON + timedelta(days=1), due_at=MOVED_DUE)
    with stride.transaction() as session:
        extension = grant_extension(
            session,
            stride.local_actor,
            assignment_id,
            EXTENDED,
            NOON + timedelta(days=2),
            username="alice",
            extra_attempts=1,
            reason="flu",
        )
    alice_results = [
        answer_wrong(stride, alice, assignment_id, 1, ALICE_AT),
        answer_wrong(stride, alice, assignment_id, 1, ALICE_AT),
        answer_right(stride, alice, assignment_id, 1, ALICE_AT),
        answer_right(stride, alice, assignment_id, 2, ALICE_AT),
    ]
    bob_result = answer_right(stride, bob, assignment_id, 1, BOB_AT)
    return Term(assignment_id, alice, bob, moved, extension, alice_results, bob_result)


def test_moving_the_due_time_is_reported_audited_and_regraded(stride: Stride, term: Term) -> None:
    assert term.moved.changes == ("due: 2026-12-02 12:00 UTC → 2026-12-03 12:00 UTC",)
    assert term.moved.regrade == RegradeReport(term.assignment_id, 0, (), ())  # no answers yet
    assert term.moved.summary() == (
        "due: 2026-12-02 12:00 UTC → 2026-12-03 12:00 UTC (no scores changed (0 submissions "
        "checked))"
    )
    with stride.transaction() as session:
        assignment = session.get(Assignment, term.assignment_id)
        assert assignment is not None
        assert (assignment.due_at, assignment.late_until) == (MOVED_DUE, LATE_UNTIL)
        assert assignment.updated_at == NOON + timedelta(days=1)
    assert book(stride, term.assignment_id).due_at == MOVED_DUE


def test_the_extended_student_answers_after_the_due_time_on_time_with_an_extra_attempt(
    stride: Stride, term: Term
) -> None:
    assert term.extension == "alice: due 2026-12-05 12:00 UTC, +1 attempt per item"
    assert [r.message for r in term.alice_results] == [
        "Answer recorded, attempt 1 of 3: score 0%.",
        "Answer recorded, attempt 2 of 3: score 0%.",
        "Answer recorded, attempt 3 of 3: correct.",
        "Answer recorded, attempt 1 of 3: correct.",
    ]
    assert [r.credit for r in term.alice_results] == [0.0, 0.0, 1.0, 1.0]
    with stride.transaction() as session:
        rows = session.execute(
            select(Submission.late, Submission.credit)
            .where(Submission.user_id == term.alice.user_id)
            .order_by(Submission.id)
        ).all()
    assert [tuple(r) for r in rows] == [(False, 0.0), (False, 0.0), (False, 1.0), (False, 1.0)]
    shown = view(stride, term.alice, term.assignment_id, ALICE_AT)
    assert (shown.due_at, shown.max_attempts, shown.accepting, shown.late) == (
        EXTENDED,
        3,
        True,
        False,
    )
    assert shown.score == 3.0 and shown.status == "done"
    assert shown.deadline is not None and due_line(shown.deadline) == (
        "due 2026-12-03 12:00 UTC · you have an extension to 2026-12-05 12:00 UTC · "
        "late answers until 2026-12-06 12:00 UTC (20% off)"
    )
    item_1 = item_ids(stride, term.assignment_id)[0]
    with pytest.raises(SubmissionRefused, match="You have used all 3 attempts at problem 1"):
        submit(stride, term.alice, term.assignment_id, item_1, "1", ALICE_AT)
    # her window is one day after her own due time
    assert view(stride, term.alice, term.assignment_id, EXTENDED + SECOND).late
    assert not view(
        stride, term.alice, term.assignment_id, EXTENDED + timedelta(days=1, seconds=1)
    ).accepting


def test_the_other_student_answers_late_for_80_percent_and_then_it_closes(
    stride: Stride, term: Term
) -> None:
    result = term.bob_result
    assert result.message == "Answer recorded, attempt 1 of 2, late (20% off): correct."
    assert result.credit == pytest.approx(0.8) and result.attempts_left == 1
    with stride.transaction() as session:
        stored = session.execute(
            select(Submission.late, Submission.score, Submission.credit).where(
                Submission.user_id == term.bob.user_id
            )
        ).one()
    assert (stored.late, stored.score, stored.credit) == (True, 1.0, pytest.approx(0.8))
    shown = view(stride, term.bob, term.assignment_id, BOB_AT)
    assert (shown.due_at, shown.max_attempts, shown.late, shown.status) == (
        MOVED_DUE,
        2,
        True,
        "late window",
    )
    assert shown.items[0].points_earned == pytest.approx(1.6)
    assert shown.items[0].attempts[0].late
    assert shown.score == pytest.approx(1.6) and shown.max_score == 3.0
    assert shown.deadline is not None and due_line(shown.deadline) == (
        "due 2026-12-03 12:00 UTC · late answers until 2026-12-04 12:00 UTC (20% off)"
    )
    item_2 = item_ids(stride, term.assignment_id)[1]
    with pytest.raises(SubmissionRefused) as closed:
        submit(stride, term.bob, term.assignment_id, item_2, "1", ALICE_AT)
    assert str(closed.value) == (
        "The assignment closed at 2026-12-04 12:00 UTC; submissions are no longer accepted."
    )
    assert count(stride, Submission) == 5


def test_the_gradebook_shows_statuses_extensions_rules_and_the_audit(
    stride: Stride, term: Term
) -> None:
    during = book(stride, term.assignment_id, BOB_AT)
    alice, bob = during.rows
    assert (alice.username, alice.points, alice.total) == ("alice", (2.0, 1.0), 3.0)
    assert (bob.username, bob.points[0], bob.points[1]) == ("bob", pytest.approx(1.6), None)
    assert bob.total == pytest.approx(1.6) and during.max_total == 3.0
    assert alice.extension == "to 2026-12-05 12:00 UTC, +1 attempt (own)"
    assert alice.status_label == "submitted · extended" and not alice.late
    assert bob.status_label == "in progress · late" and bob.extension is None
    assert (alice.email, alice.section, bob.email, bob.section) == (
        "alice@example.edu",
        "A",
        None,
        "B",
    )
    after = book(stride, term.assignment_id, ALICE_AT)
    assert after.rows[1].status_label == "submitted · late"  # bob's time is over
    assert during.rules == (
        "Late answers until 2026-12-04 12:00 UTC (20% off).",
        "Scores shown to students immediately; answers and worked solutions immediately.",
    )
    assert during.audit == (  # alice had no answers yet: her extension needed no regrade
        AuditEntry(
            NOON + timedelta(days=2),
            "local",
            "extension",
            "alice",
            "",
            "due 2026-12-05 12:00 UTC, +1 attempt per item",
            "flu",
        ),
        AuditEntry(
            NOON + timedelta(days=1),
            "local",
            "regrade",
            "",
            "",
            "no scores changed (0 submissions checked)",
            "",
        ),
        AuditEntry(
            NOON + timedelta(days=1),
            "local",
            "edit",
            "due",
            "2026-12-02 12:00 UTC",
            "2026-12-03 12:00 UTC",
            "",
        ),
    )


def test_an_override_with_a_reason_changes_the_total_and_is_audited_old_to_new(
    stride: Stride, term: Term
) -> None:
    at = ALICE_AT + timedelta(days=3)

    def bob(position: int, points: float | None, reason: str = "answered on paper") -> str:
        return override(stride, term.assignment_id, "bob", position, points, reason, at)

    assert bob(2, 0.5) == "bob, item 2: 0 (computed) → 0.5 (override)"
    result = book(stride, term.assignment_id, at)
    row = result.rows[1]
    assert row.points == (pytest.approx(1.6), 0.5) and row.total == pytest.approx(2.1)
    assert row.overridden == (False, True) and result.rows[0].overridden == (False, False)
    assert result.audit[0] == AuditEntry(
        at,
        "local",
        "override",
        "bob, item 2",
        "0 (computed)",
        "0.5 (override)",
        "answered on paper",
    )
    # the student sees the instructor's score
    shown = view(stride, term.bob, term.assignment_id, at)
    assert shown.items[1].points_earned == 0.5 and shown.items[1].credit == 0.5
    assert shown.score == pytest.approx(2.1)
    with stride.transaction() as session:
        (summary,) = assignments_for(session, term.bob, at)
    assert summary.score == pytest.approx(2.1)
    # a second override replaces the first; the computed score of item 1 shows as old
    assert bob(2, 1, "regraded by hand") == "bob, item 2: 0.5 (override) → 1 (override)"
    assert bob(1, 0, "copied") == "bob, item 1: 1.6 (computed) → 0 (override)"
    assert totals(book(stride, term.assignment_id, at)) == {"alice": 3.0, "bob": 1.0}
    assert count(stride, ScoreOverride) == 2
    # None takes an override back: the computed score counts again
    assert bob(1, None, "mistake") == "bob, item 1: 0 (override) → 1.6 (computed)"
    assert totals(book(stride, term.assignment_id, at)) == {"alice": 3.0, "bob": 2.6}
    with stride.transaction() as session:
        reason = session.scalar(select(ScoreOverride.reason))
    assert reason == "regraded by hand"


def test_removing_an_item_drops_it_from_totals_keeps_its_submissions_and_restoring_brings_it_back(
    stride: Stride, term: Term
) -> None:
    at = ALICE_AT + timedelta(days=3)
    override(stride, term.assignment_id, "bob", 2, 1.0, "oral", at)
    assert totals(book(stride, term.assignment_id, at)) == {"alice": 3.0, "bob": 2.6}
    with stride.transaction() as session:
        remove_item(session, stride.local_actor, term.assignment_id, 2, at)
    removed = book(stride, term.assignment_id, at)
    assert [i.position for i in removed.items] == [1] and removed.max_total == 2.0
    assert totals(removed) == {"alice": 2.0, "bob": 1.6}  # item 2 and bob's override on it
    assert [(i.position, i.removed, i.submissions) for i in removed.removed_items] == [(2, True, 1)]
    assert [r.points for r in removed.rows] == [(2.0,), (pytest.approx(1.6),)]
    assert count(stride, Submission) == 5 and count(stride, ScoreOverride) == 1
    assert [(e.action, e.subject) for e in removed.audit[:2]] == [
        ("regrade", ""),
        ("remove item", "item 2"),
    ]
    shown = view(stride, term.alice, term.assignment_id, at)
    assert [i.position for i in shown.items] == [1] and (shown.score, shown.max_score) == (2, 2)
    with stride.transaction() as session:
        (summary,) = assignments_for(session, term.alice, at)
    assert (summary.items, summary.score, summary.max_score) == (1, 2.0, 2.0)
    item_2 = item_ids(stride, term.assignment_id)[1]
    with pytest.raises(ItemNotInAssignment, match="not part of this assignment"):
        submit(stride, term.bob, term.assignment_id, item_2, "1", BOB_AT)
    assert count(stride, Submission) == 5

    with stride.transaction() as session:
        restore_item(session, stride.local_actor, term.assignment_id, 2, at)
    back = book(stride, term.assignment_id, at)
    assert totals(back) == {"alice": 3.0, "bob": 2.6} and back.max_total == 3.0
    assert back.removed_items == () and [i.position for i in back.items] == [1, 2]
    assert back.rows[1].overridden == (False, True)
    assert view(stride, term.alice, term.assignment_id, at).score == 3.0
    assert [(e.action, e.subject) for e in back.audit[:4]] == [
        ("regrade", ""),
        ("restore item", "item 2"),
        ("regrade", ""),
        ("remove item", "item 2"),
    ]


def test_removing_and_restoring_an_item_report_the_totals_they_changed(
    stride: Stride, term: Term
) -> None:
    override(stride, term.assignment_id, "bob", 2, 0.5, "oral", ALICE_AT)
    with stride.transaction() as session:
        removed = remove_item(session, stride.local_actor, term.assignment_id, 2, ALICE_AT)
    assert (removed.checked, removed.changes) == (5, ())  # no answer's score moved
    assert [(t.username, t.old_total, t.new_total) for t in removed.total_changes] == [
        ("alice", 3.0, 2.0),
        ("bob", pytest.approx(2.1), pytest.approx(1.6)),  # his override on item 2 went with it
    ]
    with stride.transaction() as session:
        restored = restore_item(session, stride.local_actor, term.assignment_id, 2, ALICE_AT)
    assert [(t.username, t.old_total, t.new_total) for t in restored.total_changes] == [
        ("alice", 2.0, 3.0),
        ("bob", pytest.approx(1.6), pytest.approx(2.1)),
    ]
    with stride.transaction() as session:
        lines = session.execute(
            select(AssignmentAudit.action, AssignmentAudit.subject, AssignmentAudit.new)
            .where(AssignmentAudit.action != "override")
            .order_by(AssignmentAudit.id)
        ).all()
    assert [tuple(line) for line in lines][-4:] == [
        ("remove item", "item 2", ""),
        ("regrade", "", removed.summary()),
        ("restore item", "item 2", ""),
        ("regrade", "", restored.summary()),
    ]


def test_the_regrade_summary_mentions_changed_totals_without_changed_answers(
    stride: Stride, term: Term
) -> None:
    with stride.transaction() as session:
        report = remove_item(session, stride.local_actor, term.assignment_id, 2, ALICE_AT)
    assert len(report.total_changes) == 1 and report.changes == ()
    assert "1 student total changed" in report.summary()


def test_a_points_edit_regrades_and_changes_the_totals(stride: Stride, term: Term) -> None:
    item_1, _ = item_ids(stride, term.assignment_id)
    report = edit(stride, term.assignment_id, now=ALICE_AT, item_points={item_1: 4})
    assert report.changes == ("item 1 points: 2 → 4",)
    assert report.regrade is not None and report.regrade.checked == 5
    assert report.regrade.changes == ()  # every attempt keeps its credit; the points moved
    result = book(stride, term.assignment_id, ALICE_AT)
    assert totals(result) == {"alice": 5.0, "bob": 3.2} and result.max_total == 5.0
    assert [i.label for i in result.items] == ["item 1 (4 pts)", "item 2 (1 pt)"]
    assert [(e.action, e.subject, e.old, e.new) for e in result.audit[:2]] == [
        ("regrade", "", "", report.regrade.summary()),
        ("edit", "item 1 points", "2", "4"),
    ]
    assert view(stride, term.bob, term.assignment_id, ALICE_AT).score == pytest.approx(3.2)
    # the same points again change nothing
    assert edit(stride, term.assignment_id, item_points={item_1: 4.0}).changes == ()


def test_a_points_edit_report_lists_the_changed_totals(stride: Stride, term: Term) -> None:
    item_1, _ = item_ids(stride, term.assignment_id)
    report = edit(stride, term.assignment_id, now=ALICE_AT, item_points={item_1: 4})
    assert report.regrade is not None
    assert [(t.username, t.old_total, t.new_total) for t in report.regrade.total_changes] == [
        ("alice", 3.0, 5.0),
        ("bob", pytest.approx(1.6), pytest.approx(3.2)),
    ]


def test_a_late_penalty_edit_regrades_the_late_answers(stride: Stride, term: Term) -> None:
    report = edit(stride, term.assignment_id, now=ALICE_AT, late_penalty=0.5)
    assert report.changes == ("late penalty: 0.2 → 0.5",)
    assert report.regrade is not None
    assert [
        (c.username, c.position, c.old_credit, c.new_credit) for c in report.regrade.changes
    ] == [("bob", 1, pytest.approx(0.8), 0.5)]
    assert [(t.username, t.old_total, t.new_total) for t in report.regrade.total_changes] == [
        ("bob", pytest.approx(1.6), 1.0)
    ]
    assert report.summary() == (
        "late penalty: 0.2 → 0.5 (1 of 5 submissions changed score; 1 student total changed)"
    )
    assert totals(book(stride, term.assignment_id, ALICE_AT)) == {"alice": 3.0, "bob": 1.0}
    # a credit schedule edit regrades too (homework credit is the score: nothing moves)
    again = edit(stride, term.assignment_id, now=ALICE_AT, credit_schedule=(1.0, 0.5))
    assert again.changes == ("credit schedule: 1,0.7,0.5 → 1,0.5",)
    assert again.regrade is not None
    assert again.regrade.summary() == "no scores changed (5 submissions checked)"


def test_deleting_needs_the_typed_title_and_keeps_an_archive_with_the_submissions(
    stride: Stride, term: Term
) -> None:
    at = ALICE_AT + timedelta(days=9)
    override(stride, term.assignment_id, "bob", 2, 0.5, "oral", at)
    for typed in (None, "homework 1", "Homework"):
        message = refused(
            stride,
            lambda s, t=typed: delete_assignment(
                s, stride.local_actor, term.assignment_id, at, confirm_title=t
            ),
        )
        assert message == (
            f"Assignment {term.assignment_id} has 5 submissions: type its title exactly "
            "('Homework 1') to delete it; an export is kept."
        )
    assert count(stride, Assignment) == 1 and count(stride, Submission) == 5
    assert count(stride, AssignmentArchive) == 0
    with stride.transaction() as session:
        archive_id = delete_assignment(
            session, stride.local_actor, term.assignment_id, at, confirm_title=" Homework 1 "
        )
    assert [count(stride, m) for m in (Assignment, AssignmentItem, Submission)] == [0, 0, 0]
    assert [count(stride, m) for m in (AssignmentExtension, ScoreOverride, AssignmentAudit)] == [
        0,
        0,
        0,
    ]
    with stride.transaction() as session:
        archive = session.get(AssignmentArchive, archive_id)
        assert archive is not None
        assert (archive.assignment_id, archive.title, archive.deleted_by, archive.deleted_at) == (
            term.assignment_id,
            TITLE,
            "local",
            at,
        )
        kept = json.loads(archive.export)
    assert kept["format"] == "stride-assignment-archive/1"
    assert kept["assignment"]["title"] == TITLE
    assert kept["assignment"]["due_at"] == MOVED_DUE.isoformat()
    assert kept["assignment"]["late_penalty"] == 0.2
    assert [(i["position"], i["points"]) for i in kept["items"]] == [(1, 2.0), (2, 1.0)]
    names = kept["usernames"]
    assert sorted(
        (names[str(s["user_id"])], s["attempt_number"], s["late"]) for s in kept["submissions"]
    ) == [
        ("alice", 1, False),
        ("alice", 1, False),
        ("alice", 2, False),
        ("alice", 3, False),
        ("bob", 1, True),
    ]
    assert [(e["user_id"], e["extra_attempts"]) for e in kept["extensions"]] == [
        (term.alice.user_id, 1)
    ]
    assert [(o["points"], o["reason"]) for o in kept["overrides"]] == [(0.5, "oral")]
    assert [a["action"] for a in kept["audit"]] == ["edit", "regrade", "extension", "override"]
    assert kept["totals"] == {"alice": 3.0, "bob": pytest.approx(2.1)}
    assert kept["members"] == []  # given to every student


# --- release -----------------------------------------------------------------------------------


def test_new_assignments_release_by_mode(stride: Stride) -> None:
    homework = create(stride, late_until=None)
    exam = create(stride, mode=MODE_EXAM, late_until=None, title="Exam")
    with stride.transaction() as session:
        rules = {
            a.mode: (a.scores_release, a.answers_release, a.late_penalty)
            for a in session.scalars(select(Assignment).where(Assignment.id.in_([homework, exam])))
        }
    assert rules == {
        MODE_HOMEWORK: (RELEASE_IMMEDIATELY, RELEASE_IMMEDIATELY, 0.0),  # no window, no penalty
        MODE_EXAM: (RELEASE_BY_HAND, RELEASE_BY_HAND, 0.0),
    }


def test_scores_released_by_hand_flip_what_the_student_sees(stride: Stride) -> None:
    alice = add_user(stride, "alice")
    exam = create(stride, mode=MODE_EXAM, title="Exam 1", max_attempts=1, late_until=None)
    first = exercise(stride, alice, exam, 1, DURING)
    results = [answer_right(stride, alice, exam, p, DURING) for p in (1, 2)]
    assert [(r.message, r.grade, r.credit) for r in results] == [
        ("Answer recorded, attempt 1 of 1.", None, None)
    ] * 2
    for moment in (DURING, DUE + timedelta(days=30)):  # by hand: the due time changes nothing
        hidden = view(stride, alice, exam, moment)
        assert (hidden.scores_visible, hidden.answers_visible, hidden.score) == (False, False, None)
        assert hidden.items[0].attempts[0].correct is None
    released_at = DUE + timedelta(days=2)
    with stride.transaction() as session:
        said = release(session, stride.local_actor, exam, released_at)
    assert said == f"released scores of assignment {exam} at 2026-12-04 12:00 UTC"
    before = view(stride, alice, exam, released_at - SECOND)
    assert not before.scores_visible  # from the release on, not before
    shown = view(stride, alice, exam, released_at)
    assert (shown.scores_visible, shown.answers_visible, shown.score) == (True, False, 3.0)
    attempt = shown.items[0].attempts[0]
    assert (attempt.correct, attempt.score, attempt.exercise) == (True, 1.0, None)
    with stride.transaction() as session:
        history = submission_history(session, alice, exam, alice.user_id, released_at)
    assert [h.score for h in history] == [1.0, 1.0]
    assert book(stride, exam, released_at).rules[1] == (
        "Scores shown to students released 2026-12-04 12:00 UTC; answers and worked solutions "
        "when released by hand (not yet) (not before the scores)."
    )
    answers_at = released_at + timedelta(days=1)
    with stride.transaction() as session:
        said = release(session, stride.local_actor, exam, answers_at, scores=False, answers=True)
    assert said == (f"released scores and answers of assignment {exam} at 2026-12-05 12:00 UTC")
    full = view(stride, alice, exam, answers_at)
    assert full.scores_visible and full.answers_visible
    assert full.items[0].attempts[0].exercise == first
    audit = book(stride, exam, answers_at).audit
    assert [(e.action, e.subject, e.old, e.new) for e in audit] == [
        ("release", "answers", "by_hand —", "released 2026-12-05 12:00 UTC"),
        ("release", "scores", "by_hand 2026-12-04 12:00 UTC", "released 2026-12-05 12:00 UTC"),
        ("release", "scores", "by_hand —", "released 2026-12-04 12:00 UTC"),
    ]


def test_scores_released_on_a_date(stride: Stride) -> None:
    alice = add_user(stride, "alice")
    exam = create(stride, mode=MODE_EXAM, title="Exam 1", late_until=None)
    answer_right(stride, alice, exam, 1, DURING)
    day = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    report = edit(stride, exam, scores_release=RELEASE_ON_DATE, scores_release_at=day)
    assert report.changes == (
        "scores release: by_hand → on_date",
        "scores release date: — → 2026-12-11 09:00 UTC",
    )
    assert report.regrade is None
    assert view(stride, alice, exam, day - SECOND).score is None
    on_the_day = view(stride, alice, exam, day)
    assert on_the_day.scores_visible and on_the_day.score == 2.0
    assert not on_the_day.answers_visible


# --- extensions --------------------------------------------------------------------------------


def test_an_own_extension_wins_over_the_sections_and_both_show(stride: Stride) -> None:
    carol = add_user(stride, "carol", section="A")
    dave = add_user(stride, "dave", section="A")
    erin = add_user(stride, "erin", section="B")
    assignment_id = create(stride)
    with stride.transaction() as session:
        for_section = grant_extension(
            session,
            stride.local_actor,
            assignment_id,
            DUE + timedelta(days=1),
            NOON,
            section="A",
            extra_attempts=2,
        )
        for_carol = grant_extension(
            session,
            stride.local_actor,
            assignment_id,
            DUE + timedelta(days=4),
            NOON,
            username="carol",
        )
    assert for_section == "section A: due 2026-12-03 12:00 UTC, +2 attempts per item"
    assert for_carol == "carol: due 2026-12-06 12:00 UTC"
    seen = {who.username: view(stride, who, assignment_id, DURING) for who in (carol, dave, erin)}
    assert {name: (v.due_at, v.max_attempts) for name, v in seen.items()} == {
        "carol": (DUE + timedelta(days=4), 2),  # her own: no extra attempts
        "dave": (DUE + timedelta(days=1), 4),
        "erin": (DUE, 2),
    }
    assert [seen[n].deadline.extended_by for n in ("carol", "dave", "erin")] == [  # type: ignore[union-attr]
        "you",
        "section A",
        None,
    ]
    rows = {r.username: r.extension for r in book(stride, assignment_id, DURING).rows}
    assert rows == {
        "carol": "to 2026-12-06 12:00 UTC (own)",
        "dave": "to 2026-12-03 12:00 UTC, +2 attempts (section A)",
        "erin": None,
    }


def test_a_new_extension_replaces_the_old_one_and_one_can_be_taken_back(stride: Stride) -> None:
    carol = add_user(stride, "carol")
    assignment_id = create(stride)
    for n, days in enumerate((1, 3), start=1):
        with stride.transaction() as session:
            grant_extension(
                session,
                stride.local_actor,
                assignment_id,
                DUE + timedelta(days=days),
                NOON + timedelta(hours=n),
                username="carol",
                extra_attempts=n - 1,
                reason=f"note {n}",
            )
    assert count(stride, AssignmentExtension) == 1
    assert view(stride, carol, assignment_id, DURING).due_at == DUE + timedelta(days=3)
    with stride.transaction() as session:
        remove_extension(
            session, stride.local_actor, assignment_id, NOON + timedelta(hours=3), username="carol"
        )
    assert count(stride, AssignmentExtension) == 0
    assert view(stride, carol, assignment_id, DURING).due_at == DUE
    audit = book(stride, assignment_id, DURING).audit
    assert [(e.action, e.subject, e.old, e.new, e.reason) for e in audit] == [
        ("extension removed", "carol", "due 2026-12-05 12:00 UTC, +1 attempt per item", "", ""),
        (
            "extension",
            "carol",
            "due 2026-12-03 12:00 UTC",
            "due 2026-12-05 12:00 UTC, +1 attempt per item",
            "note 2",
        ),
        ("extension", "carol", "", "due 2026-12-03 12:00 UTC", "note 1"),
    ]
    assert refused(
        stride,
        lambda s: remove_extension(s, stride.local_actor, assignment_id, NOON, username="carol"),
    ) == (f"carol has no extension on assignment {assignment_id}.")
    assert refused(
        stride,
        lambda s: remove_extension(s, stride.local_actor, assignment_id, NOON, section="Z"),
    ) == (f"section Z has no extension on assignment {assignment_id}.")


def test_taking_back_an_extension_needs_a_student_or_a_section(stride: Stride) -> None:
    add_user(stride, "carol", section="A")
    assignment_id = create(stride)
    with stride.transaction() as session:
        grant_extension(session, stride.local_actor, assignment_id, LATER, NOON, username="carol")
    for who in ({}, {"username": "carol", "section": "A"}):
        message = refused(
            stride,
            lambda s, w=who: remove_extension(s, stride.local_actor, assignment_id, NOON, **w),
        )
        assert message == "Name one student or one section whose extension to take back."
    assert count(stride, AssignmentExtension) == 1
    assert actions(stride) == ["extension"]


# --- items -------------------------------------------------------------------------------------


def test_added_items_come_after_the_last_one_and_students_see_them(stride: Stride) -> None:
    carol = add_user(stride, "carol")
    assignment_id = create(stride)
    with stride.transaction() as session:
        remove_item(session, stride.local_actor, assignment_id, 2, NOON)
        added = add_items(
            session,
            stride.local_actor,
            assignment_id,
            [ItemSpec("same-padding", 3, count=2, points=1.5)],
            NOON,
        )
    assert len(added) == 2
    shown = view(stride, carol, assignment_id, DURING)
    assert [(i.position, i.family, i.difficulty, i.points) for i in shown.items] == [
        (1, "parameter-count", 2, 2.0),
        (3, "same-padding", 3, 1.5),
        (4, "same-padding", 3, 1.5),
    ]
    assert shown.max_score == 5.0 and [i.item_id for i in shown.items[1:]] == added
    audit = book(stride, assignment_id, DURING).audit
    assert [(e.action, e.subject, e.new) for e in audit[:2]] == [
        ("add item", "item 4", "same-padding difficulty 3, 1.5 points"),
        ("add item", "item 3", "same-padding difficulty 3, 1.5 points"),
    ]


def test_add_items_lists_every_problem(stride: Stride) -> None:
    assignment_id = create(stride)
    for specs, expected in (
        ([], ("No items to add.",)),
        (
            [ItemSpec("same-padding", 2), ItemSpec("same-padding", 2, points=0)],
            ("Item 2: points must be more than 0 and at most 1000; got 0.",),
        ),
    ):
        with pytest.raises(AssignmentSpecError) as caught, stride.transaction() as session:
            add_items(session, stride.local_actor, assignment_id, specs, NOON)
        assert caught.value.problems == expected
    assert count(stride, AssignmentItem) == 2 and count(stride, AssignmentAudit) == 0


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"late_until": DUE - timedelta(hours=1)},
            "The late window must end after the due time (2026-12-02 12:00 UTC); "
            "it ends 2026-12-02 11:00 UTC.",
        ),
        (
            {"due_at": LATE_UNTIL + timedelta(days=1)},
            "The late window must end after the due time (2026-12-05 12:00 UTC); "
            "it ends 2026-12-04 12:00 UTC.",
        ),
        (
            {"late_until": DUE + timedelta(days=367)},
            "The late window may last at most 366 days after the due time; "
            "it ends 2027-12-04 12:00 UTC.",
        ),
        (
            {"late_until": datetime(2026, 12, 4, 12, 0)},
            "The end of the late window must be a timezone-aware date and time; "
            "got datetime.datetime(2026, 12, 4, 12, 0).",
        ),
        (
            {"late_penalty": 1.5},
            "The late penalty must be a fraction from 0 to 1 (0.2 = 20 % off); got 1.5.",
        ),
        (
            {"late_penalty": -0.1},
            "The late penalty must be a fraction from 0 to 1 (0.2 = 20 % off); got -0.1.",
        ),
        (
            {"scores_release": RELEASE_ON_DATE},
            "The scores release is on a date: give that date and time (with a time zone).",
        ),
        (
            {"answers_release": RELEASE_ON_DATE, "answers_release_at": datetime(2026, 12, 11)},
            "The answers release is on a date: give that date and time (with a time zone).",
        ),
        (
            {"answers_release": "soon"},
            "The answers release must be one of immediately, after_due, on_date, by_hand; "
            "got 'soon'.",
        ),
        ({"title": "  "}, "The title is empty: give the assignment a title."),
        ({"title": "x" * 501}, "The title is 501 characters long; at most 500 are allowed."),
        ({"instructions": None}, "The instructions must be text."),
        (
            {"due_at": OPENS},
            "The due time (2026-11-25 12:00 UTC) must be after the opening time "
            "(2026-11-25 12:00 UTC).",
        ),
        ({"max_attempts": 0}, "Attempts per problem must be a whole number from 1 to 20; got 0."),
        (
            {"max_attempts": True},
            "Attempts per problem must be a whole number from 1 to 20; got True.",
        ),
        (
            {"credit_schedule": (0.5, 0.7)},
            "The credit schedule must not increase from one attempt to the next; attempt 2 earns "
            "0.7, more than attempt 1's 0.5.",
        ),
        (
            {"credit_schedule": "a,b"},
            "The credit schedule must be numbers such as 1,0.7,0.5; got 'a,b'.",
        ),
        ({"item_points": {10**6: 2.0}}, "There is no item 1000000 in this assignment."),
    ],
)
def test_each_edit_problem_is_explained_and_nothing_is_written(
    stride: Stride, changes: dict[str, object], expected: str
) -> None:
    assignment_id = create(stride)
    assert edit_problems(stride, assignment_id, **changes) == (expected,)
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        assert (assignment.title, assignment.due_at, assignment.late_until) == (
            TITLE,
            DUE,
            LATE_UNTIL,
        )
        assert (assignment.late_penalty, assignment.max_attempts) == (0.2, 2)
        assert assignment.scores_release == assignment.answers_release == RELEASE_IMMEDIATELY
    assert count(stride, AssignmentAudit) == 0


def test_a_late_window_of_exactly_the_longest_length_is_accepted(stride: Stride) -> None:
    assignment_id = create(stride)
    longest = DUE + LATE_WINDOW_MAX
    report = edit(stride, assignment_id, late_until=longest, late_penalty=1)
    assert report.changes == (
        "late window ends: 2026-12-04 12:00 UTC → 2027-12-03 12:00 UTC",
        "late penalty: 0.2 → 1",
    )
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        assert (assignment.late_until, assignment.late_penalty) == (longest, 1.0)


@pytest.mark.parametrize("points", [0, -1, 1001, math.inf, True])
def test_item_points_out_of_range_are_refused(stride: Stride, points: object) -> None:
    assignment_id = create(stride)
    item_1, _ = item_ids(stride, assignment_id)
    assert edit_problems(stride, assignment_id, item_points={item_1: points}) == (
        f"Item 1: points must be more than 0 and at most 1000; got {points!r}.",
    )
    with stride.transaction() as session:
        assert session.get(AssignmentItem, item_1).points == 2.0  # type: ignore[union-attr]


def test_an_edit_lists_every_problem_at_once(stride: Stride) -> None:
    assignment_id = create(stride)
    assert edit_problems(
        stride,
        assignment_id,
        title="",
        max_attempts=0,
        late_penalty=1.5,
        scores_release=RELEASE_ON_DATE,
        due_at=MOVED_DUE,  # fine on its own: not written either
    ) == (
        "The title is empty: give the assignment a title.",
        "The late penalty must be a fraction from 0 to 1 (0.2 = 20 % off); got 1.5.",
        "The scores release is on a date: give that date and time (with a time zone).",
        "Attempts per problem must be a whole number from 1 to 20; got 0.",
    )
    with stride.transaction() as session:
        assert session.get(Assignment, assignment_id).due_at == DUE  # type: ignore[union-attr]


def test_an_edit_that_changes_nothing_writes_nothing(stride: Stride) -> None:
    assignment_id = create(stride)
    assert edit(stride, assignment_id).summary() == "nothing changed"
    same = edit(stride, assignment_id, due_at=DUE, late_penalty=0.2, max_attempts=2)
    assert same.changes == () and same.regrade is None
    assert count(stride, AssignmentAudit) == 0
    several = edit(
        stride,
        assignment_id,
        title="Homework 1 (revised)",
        instructions="Show all of your work.",
        max_attempts=4,
        late_until=None,
    )
    assert several.changes == (
        "title: Homework 1 → Homework 1 (revised)",
        "instructions: 15 characters → 22 characters",
        "attempts: 2 → 4",
        "late window ends: 2026-12-04 12:00 UTC → —",
    )
    assert several.regrade is not None  # the late window counts for scores


def test_an_edit_keeps_the_instructions_size_limit(stride: Stride) -> None:
    assignment_id = create(stride)
    assert edit_problems(stride, assignment_id, instructions="x" * 20_001) == (
        "The instructions text has 20,001 characters; at most 20,000 are allowed.",
    )
    with stride.transaction() as session:
        assert session.get(Assignment, assignment_id).instructions == "Show your work."  # type: ignore[union-attr]
    assert count(stride, AssignmentAudit) == 0
    longest = edit(stride, assignment_id, instructions="x" * 20_000)
    assert longest.changes == ("instructions: 15 characters → 20000 characters",)


@pytest.mark.parametrize("penalty", [1.5, -0.5, "x", None, math.nan])
def test_a_bad_late_penalty_is_refused_without_a_late_window_too(
    stride: Stride, penalty: object
) -> None:
    assignment_id = create(stride, late_until=None)
    with pytest.raises(AssignmentSpecError) as caught:
        edit(stride, assignment_id, late_penalty=penalty)
    assert caught.value.problems == (
        f"The late penalty must be a fraction from 0 to 1 (0.2 = 20 % off); got {penalty!r}.",
    )
    with stride.transaction() as session:
        assert session.get(Assignment, assignment_id).late_penalty == 0.0  # type: ignore[union-attr]
    assert count(stride, AssignmentAudit) == 0


def test_an_edited_title_is_stored_stripped_like_a_new_one(stride: Stride) -> None:
    assignment_id = create(stride, title="  Homework 1  ")
    report = edit(stride, assignment_id, title="  Homework 1b  ")
    assert report.changes == ("title: Homework 1 → Homework 1b",)
    with stride.transaction() as session:
        assert session.get(Assignment, assignment_id).title == "Homework 1b"  # type: ignore[union-attr]
    # the same title with spaces around is no change
    assert edit(stride, assignment_id, title=" Homework 1b ").changes == ()
    # 500 characters once stripped is the most allowed
    assert edit(stride, assignment_id, title=f"  {'t' * 500}  ").changes == (
        f"title: Homework 1b → {'t' * 500}",
    )


@pytest.fixture
def answered(stride: Stride) -> int:
    """An assignment with bob's right answer to item 1 at DURING (2 points)."""
    bob = add_user(stride, "bob", section="B")
    add_user(stride, "teacher", role="instructor", section="T")
    assignment_id = create(stride)
    answer_right(stride, bob, assignment_id, 1, DURING)
    return assignment_id


@pytest.mark.parametrize(
    ("username", "position", "points", "reason", "expected"),
    [
        ("bob", 1, 2.5, "r", "Item 1 is worth 2 points: an override must be from 0 to 2; got 2.5."),
        (
            "bob",
            2,
            1.01,
            "r",
            "Item 2 is worth 1 point: an override must be from 0 to 1; got 1.01.",
        ),
        ("bob", 1, -1, "r", "Item 1 is worth 2 points: an override must be from 0 to 2; got -1."),
        (
            "bob",
            1,
            math.nan,
            "r",
            "Item 1 is worth 2 points: an override must be from 0 to 2; got nan.",
        ),
        ("bob", 1, 1, "", "Give a reason for the override: it is kept in the audit log."),
        ("bob", 1, 1, " \n ", "Give a reason for the override: it is kept in the audit log."),
        ("bob", 1, 1, "x" * 1001, "The reason is longer than 1000 characters."),
        ("bob", 1, None, "r", "bob has no override on item 1."),
        ("zed", 1, 1, "r", "There is no student 'zed'."),
        ("teacher", 1, 1, "r", "There is no student 'teacher'."),
        ("bob", 9, 1, "r", "has no item 9 (its items: 1, 2)."),
    ],
)
def test_each_override_problem_is_explained_and_nothing_is_written(
    stride: Stride,
    answered: int,
    username: str,
    position: int,
    points: float | None,
    reason: str,
    expected: str,
) -> None:
    message = refused(
        stride,
        lambda s: override_score(
            s, stride.local_actor, answered, username, position, points, reason, ALICE_AT
        ),
    )
    assert message.endswith(expected)
    assert count(stride, ScoreOverride) == 0 and count(stride, AssignmentAudit) == 0
    assert totals(book(stride, answered)) == {"bob": 2.0}


def test_an_override_of_the_whole_item_and_of_zero_are_accepted(
    stride: Stride, answered: int
) -> None:
    override(stride, answered, "bob", 1, 0, "copied", ALICE_AT)
    override(stride, answered, "bob", 2, 1, "oral", ALICE_AT)
    assert book(stride, answered).rows[0].points == (0.0, 1.0)


def test_a_new_override_is_saved_in_a_fresh_session(stride: Stride, answered: int) -> None:
    with stride.transaction() as session:
        said = override_score(
            session, stride.local_actor, answered, "bob", 1, 1.5, "partial credit", ALICE_AT
        )
    assert said == "bob, item 1: 2 (computed) → 1.5 (override)"
    assert book(stride, answered).rows[0].points == (1.5, None)
    with stride.transaction() as session:
        saved = session.scalars(select(ScoreOverride)).one()
        assert (saved.points, saved.reason, saved.created_at, saved.created_by) == (
            1.5,
            "partial credit",
            ALICE_AT,
            stride.local_actor.user_id,
        )


@pytest.mark.parametrize(
    ("who", "due_at", "extra", "expected"),
    [
        ({"username": "teacher"}, LATER, 0, "There is no student 'teacher'."),
        ({"username": "zed"}, LATER, 0, "There is no student 'zed'."),
        ({"section": "Z"}, LATER, 0, "No student is in section 'Z'."),
        ({}, LATER, 0, "Give the extension to one student or to one section."),
        (
            {"username": "bob", "section": "B"},
            LATER,
            0,
            "Give the extension to one student or to one section.",
        ),
        (
            {"username": "bob"},
            DUE,  # the assignment's own due time is no extension
            0,
            "The extended due time must be after the assignment's due time "
            "(2026-12-02 12:00 UTC); it is 2026-12-02 12:00 UTC.",
        ),
        (
            {"username": "bob"},
            DURING,  # after the opening, before the due time
            0,
            "The extended due time must be after the assignment's due time "
            "(2026-12-02 12:00 UTC); it is 2026-11-25 13:00 UTC.",
        ),
        (
            {"username": "bob"},
            datetime(2026, 12, 9),
            0,
            "The extended due time must be a timezone-aware date and time.",
        ),
        ({"username": "bob"}, LATER, 21, "Extra attempts must be a whole number from 0 to 20."),
        ({"username": "bob"}, LATER, -1, "Extra attempts must be a whole number from 0 to 20."),
        ({"username": "bob"}, LATER, True, "Extra attempts must be a whole number from 0 to 20."),
        (
            {"username": "bob"},
            OPENS - timedelta(days=1),
            50,
            "The extended due time must be after the assignment's due time "
            "(2026-12-02 12:00 UTC); it is 2026-11-24 12:00 UTC. "
            "Extra attempts must be a whole number from 0 to 20.",
        ),
    ],
)
def test_each_extension_problem_is_explained_and_nothing_is_written(
    stride: Stride,
    answered: int,
    who: dict[str, str],
    due_at: datetime,
    extra: int,
    expected: str,
) -> None:
    message = refused(
        stride,
        lambda s: grant_extension(
            s, stride.local_actor, answered, due_at, NOON, extra_attempts=extra, **who
        ),
    )
    assert message == expected
    assert count(stride, AssignmentExtension) == 0 and count(stride, AssignmentAudit) == 0


def test_an_extension_for_a_student_the_assignment_is_not_given_to(stride: Stride) -> None:
    alice = add_user(stride, "alice")
    add_user(stride, "bob")
    assignment_id = create(stride, student_ids=[alice.user_id])
    message = refused(
        stride,
        lambda s: grant_extension(
            s, stride.local_actor, assignment_id, LATER, NOON, username="bob"
        ),
    )
    assert message == f"Assignment {assignment_id} is not given to 'bob'."
    assert count(stride, AssignmentExtension) == 0


def test_a_section_of_instructors_only_has_no_student_to_extend(
    stride: Stride, answered: int
) -> None:
    # the ``answered`` fixture's teacher (an instructor) is the only user in section T
    message = refused(
        stride,
        lambda s: grant_extension(s, stride.local_actor, answered, LATER, NOON, section="T"),
    )
    assert message == "No student is in section 'T'."
    assert count(stride, AssignmentExtension) == 0
    with stride.transaction() as session:  # bob's section B is fine
        said = grant_extension(session, stride.local_actor, answered, LATER, NOON, section="B")
    assert said == "section B: due 2026-12-03 12:00 UTC"


def test_item_removal_problems(stride: Stride, answered: int) -> None:
    def remove(position: int) -> str:
        return refused(
            stride, lambda s: remove_item(s, stride.local_actor, answered, position, NOON)
        )

    assert (
        refused(stride, lambda s: restore_item(s, stride.local_actor, answered, 2, NOON))
        == "Item 2 is not removed."
    )
    assert remove(3) == f"Assignment {answered} has no item 3 (its items: 1, 2)."
    with stride.transaction() as session:
        report = remove_item(session, stride.local_actor, answered, 1, NOON)
    assert report.checked == 1
    assert remove(1) == "Item 1 is already removed."
    assert remove(2) == "That is the assignment's last item: an assignment keeps one."
    with stride.transaction() as session:
        items = session.execute(
            select(AssignmentItem.position, AssignmentItem.removed_at).order_by(
                AssignmentItem.position
            )
        ).all()
    assert [tuple(i) for i in items] == [(1, NOON), (2, None)]
    assert count(stride, Submission) == 1


def test_release_needs_something_to_release(stride: Stride, answered: int) -> None:
    assert (
        refused(
            stride,
            lambda s: release(s, stride.local_actor, answered, NOON, scores=False, answers=False),
        )
        == "Say what to release: scores, answers, or both."
    )
    assert count(stride, AssignmentAudit) == 0


# --- format errors and the gradebook's reading aids --------------------------------------------


def test_format_errors_are_recorded_and_use_no_attempt(stride: Stride) -> None:
    carol = add_user(stride, "carol")
    assignment_id = create(stride)
    item_1, _ = item_ids(stride, assignment_id)
    for raw in ("twelve", "3 apples", "twelve"):
        result = submit(stride, carol, assignment_id, item_1, raw, DURING)
        assert not result.recorded and result.attempts_left == 2
    with stride.transaction() as session:
        rows = session.execute(
            select(FormatError.user_id, FormatError.item_id, FormatError.answer).order_by(
                FormatError.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (carol.user_id, item_1, "twelve"),
        (carol.user_id, item_1, "3 apples"),
        (carol.user_id, item_1, "twelve"),
    ]
    assert count(stride, Submission) == 0
    result = book(stride, assignment_id, DURING)
    assert [i.format_errors for i in result.items] == [3, 0]
    assert result.rows[0].status == "not started"
    assert (
        f"Item 1 ({family_title('parameter-count')}): 3 of 3 answers could not be read — check "
        "that its answer format is clear."
    ) in result.attention


def test_attention_lists_idle_students_near_the_due_time(stride: Stride) -> None:
    carol, dave, _ = (add_user(stride, n) for n in ("carol", "dave", "erin"))
    assignment_id = create(stride)
    answer_right(stride, carol, assignment_id, 1, DURING)
    assert book(stride, assignment_id, DURING).attention == ()  # a week to go
    assert book(stride, assignment_id, DUE - timedelta(hours=1)).attention == (
        "2 students have not started and it is due 2026-12-02 12:00 UTC: dave, erin.",
    )
    answer_right(stride, dave, assignment_id, 1, DURING)
    assert book(stride, assignment_id, DUE + timedelta(hours=1)).attention == (
        "1 student has not started and it was due 2026-12-02 12:00 UTC: erin.",
    )


def test_attention_lists_low_means_and_students_stuck_on_wrong_answers(stride: Stride) -> None:
    students = [add_user(stride, n) for n in ("carol", "dave", "erin")]
    assignment_id = create(stride, max_attempts=4)
    for student in students:
        answer_wrong(stride, student, assignment_id, 1, DURING)
    for _ in range(2):
        answer_wrong(stride, students[0], assignment_id, 1, DURING)
    answer_wrong(stride, students[1], assignment_id, 1, DURING)
    result = book(stride, assignment_id, DURING)
    assert result.attention == (
        f"Item 1 ({family_title('parameter-count')}): mean score 0% over the 3 students who "
        "answered it.",
        "carol has answered item 1 wrong 3 times in a row.",
    )
    # a right answer ends the streak; two of three right lifts the mean to 67 %
    answer_right(stride, students[0], assignment_id, 1, DURING)
    answer_right(stride, students[1], assignment_id, 1, DURING)
    assert book(stride, assignment_id, DURING).attention == ()


@pytest.mark.parametrize(
    ("max_total", "bins"),
    [
        (0.0, (0.0, 1.0)),
        (3.0, (-0.5, 1.0)),
        (10.0, (-0.5, 1.0)),
        (2.5, (0.0, 0.25)),
        (11.0, (0.0, 1.1)),
        (40.0, (0.0, 4.0)),
    ],
)
def test_histogram_bins_spread_over_the_possible_range(
    max_total: float, bins: tuple[float, float]
) -> None:
    start, size = histogram_bins(max_total)
    assert (start, size) == pytest.approx(bins)
    edges = [start + k * size for k in range(12)]
    assert edges[0] <= 0 and any(e >= max_total for e in edges)
    assert histogram_bins(40.0, wanted=20) == (0.0, 2.0)


def test_a_regrade_keeps_the_late_penalty_of_a_late_answer(stride: Stride, term: Term) -> None:
    """A corrupted credit of a late answer is put back to score × (1 − penalty)."""
    with stride.transaction() as session:
        session.execute(
            update(Submission).where(Submission.user_id == term.bob.user_id).values(credit=1.0)
        )
    report = edit(stride, term.assignment_id, now=ALICE_AT, credit_schedule=(1.0, 0.6))
    assert report.regrade is not None
    assert [(c.username, c.old_credit, c.new_credit) for c in report.regrade.changes] == [
        ("bob", 1.0, pytest.approx(0.8))
    ]


# --- regrading after a time rule changed -------------------------------------------------------

LATE_AT = DUE + timedelta(hours=12)  # Thu 2026-12-03 00:00, inside the class's late window
AFTER = LATE_AT + timedelta(hours=1)  # when the instructor acts


def grant(stride: Stride, assignment_id: int, due_at: datetime, **who: object) -> str:
    with stride.transaction() as session:
        return grant_extension(session, stride.local_actor, assignment_id, due_at, AFTER, **who)  # type: ignore[arg-type]


def take_back(stride: Stride, assignment_id: int, **who: str) -> None:
    with stride.transaction() as session:
        remove_extension(session, stride.local_actor, assignment_id, AFTER, **who)


def stored(stride: Stride, actor: Actor) -> list[tuple[bool, float]]:
    """``(made in the late window, credit)`` of each of ``actor``'s answers, oldest first: the
    flag stays as it was when made; the credit carries the penalty that applies now."""
    with stride.transaction() as session:
        return [
            (bool(late), float(credit))
            for late, credit in session.execute(
                select(Submission.late, Submission.credit)
                .where(Submission.user_id == actor.user_id)
                .order_by(Submission.id)
            )
        ]


def audit_lines(stride: Stride) -> list[tuple[str, str, str]]:
    """``(action, subject, new)`` of every audit line, oldest first."""
    with stride.transaction() as session:
        return [
            tuple(line)  # type: ignore[misc]
            for line in session.execute(
                select(
                    AssignmentAudit.action, AssignmentAudit.subject, AssignmentAudit.new
                ).order_by(AssignmentAudit.id)
            )
        ]


def submission_id(stride: Stride, actor: Actor) -> int:
    with stride.transaction() as session:
        return session.scalars(
            select(Submission.id).where(Submission.user_id == actor.user_id)
        ).one()


ONE_CHANGED = "1 of 2 submissions changed score; 1 student total changed"


def test_a_late_answer_gets_its_penalty_back_when_the_due_time_moves_later(
    stride: Stride,
) -> None:
    bob = add_user(stride, "bob")
    carol = add_user(stride, "carol")
    assignment_id = create(stride)
    late = answer_right(stride, bob, assignment_id, 1, LATE_AT)
    assert late.message == "Answer recorded, attempt 1 of 2, late (20% off): correct."
    answer_right(stride, carol, assignment_id, 1, DURING)
    assert stored(stride, bob) == [(True, pytest.approx(0.8))]

    report = edit(stride, assignment_id, now=AFTER, due_at=LATER)
    assert report.regrade is not None
    assert report.regrade.changes == (
        ScoreChange(submission_id(stride, bob), bob.user_id, "bob", 1, 1, 1.0, 1.0, 0.8, 1.0),
    )
    assert report.regrade.total_changes == (
        TotalChange(bob.user_id, "bob", pytest.approx(1.6), 2.0),
    )
    assert report.summary() == f"due: 2026-12-02 12:00 UTC → 2026-12-03 12:00 UTC ({ONE_CHANGED})"
    assert stored(stride, bob) == [(True, 1.0)]
    assert stored(stride, carol) == [(False, 1.0)]
    assert audit_lines(stride) == [
        ("edit", "due", "2026-12-03 12:00 UTC"),
        ("regrade", "", ONE_CHANGED),
    ]
    rows = {r.username: r for r in book(stride, assignment_id, AFTER).rows}
    assert (rows["bob"].total, rows["bob"].status_label) == (2.0, "in progress")
    shown = view(stride, bob, assignment_id, AFTER)
    assert (shown.score, shown.late, shown.items[0].attempts[0].late) == (2.0, False, False)
    with stride.transaction() as session:
        history = submission_history(session, bob, assignment_id, bob.user_id, AFTER)
    assert [(h.late, h.credit) for h in history] == [(False, 1.0)]
    # a due time before the answer again puts the penalty back
    again = edit(stride, assignment_id, now=AFTER, due_at=LATE_AT - SECOND)
    assert again.regrade is not None
    assert [(c.username, c.old_credit, c.new_credit) for c in again.regrade.changes] == [
        ("bob", 1.0, pytest.approx(0.8))
    ]


def test_an_answer_made_late_stays_late_when_the_due_time_moves_but_not_past_it(
    stride: Stride,
) -> None:
    bob = add_user(stride, "bob")
    assignment_id = create(stride)
    answer_right(stride, bob, assignment_id, 1, LATE_AT)
    report = edit(stride, assignment_id, now=AFTER, due_at=LATE_AT - SECOND)
    assert report.regrade == RegradeReport(assignment_id, 1, (), ())
    assert stored(stride, bob) == [(True, pytest.approx(0.8))]
    # made exactly at the (new) due time: on time
    exactly = edit(stride, assignment_id, now=AFTER, due_at=LATE_AT)
    assert exactly.regrade is not None
    assert [(c.old_credit, c.new_credit) for c in exactly.regrade.changes] == [
        (pytest.approx(0.8), 1.0)
    ]
    assert stored(stride, bob) == [(True, 1.0)]


def test_moving_the_due_time_back_puts_the_penalty_back_on_an_answer_made_late(
    stride: Stride,
) -> None:
    bob = add_user(stride, "bob")
    assignment_id = create(stride)
    answer_right(stride, bob, assignment_id, 1, LATE_AT)
    edit(stride, assignment_id, now=AFTER, due_at=LATER)
    assert stored(stride, bob) == [(True, 1.0)]
    back = edit(stride, assignment_id, now=AFTER, due_at=DUE)
    assert back.regrade is not None
    assert [(c.username, c.old_credit, c.new_credit) for c in back.regrade.changes] == [
        ("bob", 1.0, pytest.approx(0.8))
    ]
    assert stored(stride, bob) == [(True, pytest.approx(0.8))]
    assert totals(book(stride, assignment_id, AFTER)) == {"bob": 1.6}


def test_moving_the_due_time_earlier_never_makes_an_answer_made_in_time_late(
    stride: Stride,
) -> None:
    carol = add_user(stride, "carol")
    dave = add_user(stride, "dave")
    assignment_id = create(stride)
    answer_right(stride, carol, assignment_id, 1, DURING)  # Wed 2026-11-25 13:00
    report = edit(stride, assignment_id, now=DURING + SECOND, due_at=DURING - SECOND)
    assert report.changes == ("due: 2026-12-02 12:00 UTC → 2026-11-25 12:59 UTC",)
    assert report.regrade == RegradeReport(assignment_id, 1, (), ())
    assert stored(stride, carol) == [(False, 1.0)]
    assert totals(book(stride, assignment_id, DURING + SECOND)) == {"carol": 2.0, "dave": 0.0}
    # an answer made from now on is late
    late = answer_right(stride, dave, assignment_id, 1, DURING + SECOND)
    assert late.message == "Answer recorded, attempt 1 of 2, late (20% off): correct."
    assert stored(stride, dave) == [(True, pytest.approx(0.8))]


def test_an_extension_after_a_late_answer_takes_its_penalty_back_and_taking_it_back_restores_it(
    stride: Stride,
) -> None:
    bob = add_user(stride, "bob")
    carol = add_user(stride, "carol")
    add_user(stride, "dave")
    assignment_id = create(stride)
    answer_right(stride, bob, assignment_id, 1, LATE_AT)
    answer_right(stride, bob, assignment_id, 2, LATE_AT)
    answer_right(stride, carol, assignment_id, 1, LATE_AT)
    assert totals(book(stride, assignment_id, AFTER)) == {"bob": 2.4, "carol": 1.6, "dave": 0.0}

    assert grant(stride, assignment_id, LATER, username="bob", reason="flu") == (
        "bob: due 2026-12-03 12:00 UTC"
    )
    assert stored(stride, bob) == [(True, 1.0), (True, 1.0)]
    assert stored(stride, carol) == [(True, pytest.approx(0.8))]  # hers is not regraded
    both = "2 of 2 submissions changed score; 1 student total changed"
    assert audit_lines(stride) == [
        ("extension", "bob", "due 2026-12-03 12:00 UTC"),
        ("regrade", "", both),  # bob's answers only
    ]
    assert totals(book(stride, assignment_id, AFTER)) == {"bob": 3.0, "carol": 1.6, "dave": 0.0}
    shown = view(stride, bob, assignment_id, AFTER)
    assert shown.score == 3.0 and [i.attempts[0].late for i in shown.items] == [False, False]

    # a student without answers: nothing to regrade, no regrade line
    grant(stride, assignment_id, LATER, username="dave")
    assert audit_lines(stride)[2:] == [("extension", "dave", "due 2026-12-03 12:00 UTC")]

    # taking an extension back from a student without answers: nothing to regrade either
    take_back(stride, assignment_id, username="dave")
    assert audit_lines(stride)[3:] == [("extension removed", "dave", "")]


@pytest.mark.parametrize("whom", [{"username": "bob"}, {"section": "B"}])
def test_taking_an_extension_back_puts_the_penalty_back(
    stride: Stride, whom: dict[str, str]
) -> None:
    bob = add_user(stride, "bob", section="B")
    assignment_id = create(stride)
    answer_right(stride, bob, assignment_id, 1, LATE_AT)
    grant(stride, assignment_id, LATER, **whom)
    assert stored(stride, bob) == [(True, 1.0)]
    take_back(stride, assignment_id, **whom)
    subject = whom.get("username") or f"section {whom['section']}"
    assert audit_lines(stride)[2:] == [
        ("extension removed", subject, ""),
        ("regrade", "", "1 of 1 submission changed score; 1 student total changed"),
    ]
    assert stored(stride, bob) == [(True, pytest.approx(0.8))]
    assert totals(book(stride, assignment_id, AFTER)) == {"bob": 1.6}


def test_a_section_extension_regrades_its_students_with_answers_and_an_own_one_wins(
    stride: Stride,
) -> None:
    carol = add_user(stride, "carol", section="A")
    add_user(stride, "dave", section="A")  # no answers
    erin = add_user(stride, "erin", section="B")
    assignment_id = create(stride)
    answer_right(stride, carol, assignment_id, 1, LATE_AT)
    answer_right(stride, erin, assignment_id, 1, LATE_AT)
    # carol's own extension ends before her answer: it stays late
    grant(stride, assignment_id, DUE + timedelta(hours=6), username="carol")
    grant(stride, assignment_id, LATER, section="A")
    none_changed = "no scores changed (1 submission checked)"
    assert audit_lines(stride) == [
        ("extension", "carol", "due 2026-12-02 18:00 UTC"),
        ("regrade", "", none_changed),
        ("extension", "section A", "due 2026-12-03 12:00 UTC"),
        ("regrade", "", none_changed),  # carol's (her own wins); dave has none; erin is in B
    ]
    assert stored(stride, carol) == [(True, pytest.approx(0.8))]
    # without her own, her section's applies: on time
    take_back(stride, assignment_id, username="carol")
    assert audit_lines(stride)[4:] == [
        ("extension removed", "carol", ""),
        ("regrade", "", "1 of 1 submission changed score; 1 student total changed"),
    ]
    assert stored(stride, carol) == [(True, 1.0)]
    assert stored(stride, erin) == [(True, pytest.approx(0.8))]
    rows = {r.username: r for r in book(stride, assignment_id, AFTER).rows}
    assert (rows["carol"].total, rows["carol"].extension, rows["carol"].late) == (
        2.0,
        "to 2026-12-03 12:00 UTC (section A)",
        False,
    )
    assert (rows["erin"].total, rows["erin"].late) == (pytest.approx(1.6), True)


def test_changing_the_late_window_regrades_and_late_answers_keep_the_penalty(
    stride: Stride,
) -> None:
    bob = add_user(stride, "bob")
    assignment_id = create(stride)
    answer_right(stride, bob, assignment_id, 1, LATE_AT)
    longer = edit(stride, assignment_id, now=AFTER, late_until=LATE_UNTIL + timedelta(days=1))
    assert longer.regrade == RegradeReport(assignment_id, 1, (), ())
    # without a window the answer made late stays late, and the penalty in force stays off it
    closed = edit(stride, assignment_id, now=AFTER, late_until=None)
    assert closed.regrade == RegradeReport(assignment_id, 1, (), ())
    assert stored(stride, bob) == [(True, pytest.approx(0.8))]
    free = edit(stride, assignment_id, now=AFTER, late_penalty=0)
    assert free.regrade is not None
    assert [(c.old_credit, c.new_credit) for c in free.regrade.changes] == [
        (pytest.approx(0.8), 1.0)
    ]
    assert stored(stride, bob) == [(True, 1.0)]
    assert [line[0] for line in audit_lines(stride)] == ["edit", "regrade"] * 3
    assert audit_lines(stride)[1] == ("regrade", "", "no scores changed (1 submission checked)")


def test_regrade_of_one_student_and_from_totals_taken_before(stride: Stride) -> None:
    bob = add_user(stride, "bob")
    carol = add_user(stride, "carol")
    assignment_id = create(stride)
    answer_right(stride, bob, assignment_id, 1, DURING)
    answer_right(stride, carol, assignment_id, 1, DURING)
    with stride.transaction() as session:
        session.execute(update(Submission).values(credit=0.5))
    with stride.transaction() as session:
        only_bob = regrade(session, stride.local_actor, assignment_id, user_id=bob.user_id)
    assert only_bob.checked == 1
    assert [(c.username, c.old_credit, c.new_credit) for c in only_bob.changes] == [
        ("bob", 0.5, 1.0)
    ]
    assert only_bob.total_changes == (TotalChange(bob.user_id, "bob", 1.0, 2.0),)
    assert stored(stride, carol) == [(False, 0.5)]  # not hers
    with stride.transaction() as session:
        given = regrade(
            session,
            stride.local_actor,
            assignment_id,
            before={bob.user_id: 2.0, carol.user_id: 0.0},
        )
    assert given.checked == 2
    assert [(c.username, c.old_credit, c.new_credit) for c in given.changes] == [
        ("carol", 0.5, 1.0)
    ]
    assert given.total_changes == (TotalChange(carol.user_id, "carol", 0.0, 2.0),)
    assert count(stride, AssignmentAudit) == 0  # regrade itself writes no audit line


def test_regrade_assignment_is_audited(stride: Stride) -> None:
    bob = add_user(stride, "bob")
    assignment_id = create(stride)
    answer_right(stride, bob, assignment_id, 1, DURING)
    answer_wrong(stride, bob, assignment_id, 2, DURING)
    with stride.transaction() as session:
        session.execute(update(Submission).where(Submission.correct).values(credit=0.25))
    with stride.transaction() as session:
        report = regrade_assignment(session, stride.local_actor, assignment_id, ALICE_AT)
    assert report.summary() == "1 of 2 submissions changed score; 1 student total changed"
    assert report.total_changes == (TotalChange(bob.user_id, "bob", 0.5, 2.0),)
    with stride.transaction() as session:
        again = regrade_assignment(session, stride.local_actor, assignment_id, ALICE_AT + SECOND)
    assert again == RegradeReport(assignment_id, 2, (), ())
    assert book(stride, assignment_id, ALICE_AT).audit == (
        AuditEntry(
            ALICE_AT + SECOND,
            "local",
            "regrade",
            "",
            "",
            "no scores changed (2 submissions checked)",
            "",
        ),
        AuditEntry(ALICE_AT, "local", "regrade", "", "", report.summary(), ""),
    )
    with (
        pytest.raises(AssignmentNotFoundError, match=r"^There is no assignment 999\.$"),
        stride.transaction() as session,
    ):
        regrade_assignment(session, stride.local_actor, 999, ALICE_AT)


# --- reading extensions and a student's view ---------------------------------------------------


def test_list_extensions_students_first_then_sections_with_who_granted_them(
    stride: Stride,
) -> None:
    add_user(stride, "carol", section="A")
    add_user(stride, "bob", section="B")
    teacher = add_user(stride, "teacher", role="instructor")
    assignment_id = create(stride)
    other = create(stride, title="Homework 2")
    with stride.transaction() as session:
        assert list_extensions(session, stride.local_actor, assignment_id) == []
        grant_extension(
            session, stride.local_actor, assignment_id, LATER, NOON, section="B", extra_attempts=1
        )
        grant_extension(session, teacher, assignment_id, EXTENDED, DURING, username="carol")
        grant_extension(session, stride.local_actor, assignment_id, LATER, NOON, section="A")
        grant_extension(session, teacher, assignment_id, LATER, DURING, username="bob")
        grant_extension(session, teacher, other, LATER, DURING, username="bob")
    with stride.transaction() as session:
        rows = list_extensions(session, stride.local_actor, assignment_id)
    assert rows == [
        ExtensionRow("bob", None, LATER, 0, "teacher", DURING),
        ExtensionRow("carol", None, EXTENDED, 0, "teacher", DURING),
        ExtensionRow(None, "A", LATER, 0, "local", NOON),
        ExtensionRow(None, "B", LATER, 1, "local", NOON),
    ]
    take_back(stride, assignment_id, username="bob")
    with stride.transaction() as session:
        assert [
            (r.username, r.section) for r in list_extensions(session, teacher, assignment_id)
        ] == [("carol", None), (None, "A"), (None, "B")]
        assert [r.username for r in list_extensions(session, teacher, other)] == ["bob"]
    with pytest.raises(AssignmentNotFoundError), stride.transaction() as session:
        list_extensions(session, teacher, 999)


def test_what_students_see_follows_each_students_deadline_and_the_release_rules(
    stride: Stride,
) -> None:
    carol = add_user(stride, "carol")
    dave = add_user(stride, "dave")
    add_user(stride, "teacher", role="instructor")
    assignment_id = create(
        stride, scores_release=RELEASE_AFTER_DUE, answers_release=RELEASE_BY_HAND
    )
    grant(stride, assignment_id, LATER, username="carol", extra_attempts=1)
    release_rules = Release(RELEASE_AFTER_DUE, None, RELEASE_BY_HAND, None)
    moment = LATE_UNTIL + SECOND  # the class's late window is over; carol's runs a day more

    def sight(username: str | None, now: datetime = moment):  # type: ignore[no-untyped-def]
        with stride.transaction() as session:
            return what_students_see(session, stride.local_actor, assignment_id, now, username)

    everyone = sight(None)
    assert everyone.username is None
    assert everyone.deadline == Deadline(OPENS, DUE, LATE_UNTIL, 0.2, 2, DUE, None)
    assert (everyone.scores_visible, everyone.answers_visible) == (True, False)
    assert everyone.release == release_rules
    extended = sight("carol")
    assert extended.deadline == Deadline(
        OPENS, LATER, LATE_UNTIL + timedelta(days=1), 0.2, 3, DUE, "you"
    )
    assert (extended.scores_visible, extended.answers_visible) == (False, False)
    assert sight("dave").deadline == everyone.deadline and sight("dave").scores_visible
    # it is what each of them sees
    for actor, seen in ((carol, extended), (dave, sight("dave"))):
        student = view(stride, actor, assignment_id, moment)
        assert student.deadline == seen.deadline
        assert (student.scores_visible, student.answers_visible) == (
            seen.scores_visible,
            seen.answers_visible,
        )
    # carol's scores appear once her window is over; answers only when released by hand
    assert sight("carol", LATE_UNTIL + timedelta(days=1, seconds=1)).scores_visible
    with stride.transaction() as session:
        release(session, stride.local_actor, assignment_id, moment, answers=True)
    assert (sight("carol").scores_visible, sight("carol").answers_visible) == (True, True)
    for username, message in (
        ("zed", "There is no student 'zed'."),
        ("teacher", "There is no student 'teacher'."),
    ):
        assert (
            refused(
                stride,
                lambda s, u=username: what_students_see(
                    s, stride.local_actor, assignment_id, moment, u
                ),
            )
            == message
        )


def test_what_students_see_refuses_a_student_the_assignment_is_not_given_to(
    stride: Stride,
) -> None:
    alice = add_user(stride, "alice")
    add_user(stride, "bob")
    assignment_id = create(stride, student_ids=[alice.user_id])
    message = refused(
        stride,
        lambda s: what_students_see(s, stride.local_actor, assignment_id, DURING, "bob"),
    )
    assert message == f"Assignment {assignment_id} is not given to 'bob'."
    with stride.transaction() as session:
        assert what_students_see(
            session, stride.local_actor, assignment_id, DURING, "alice"
        ).scores_visible


# --- the gradebook's times ---------------------------------------------------------------------


def test_students_not_started_are_listed_under_their_own_due_time(stride: Stride) -> None:
    for name in ("carol", "dave", "erin", "fay"):
        add_user(stride, name, section="F" if name == "fay" else None)
    assignment_id = create(stride)
    grant(stride, assignment_id, LATER, username="erin")
    grant(stride, assignment_id, DUE + timedelta(days=5), section="F")  # far: not yet a worry
    assert book(stride, assignment_id, DUE - timedelta(hours=1)).attention == (
        "2 students have not started and it is due 2026-12-02 12:00 UTC: carol, dave.",
        "1 student has not started and it is due 2026-12-03 12:00 UTC: erin.",
    )
    assert book(stride, assignment_id, DUE + timedelta(hours=1)).attention == (
        "2 students have not started and it was due 2026-12-02 12:00 UTC: carol, dave.",
        "1 student has not started and it is due 2026-12-03 12:00 UTC: erin.",
    )
    assert book(stride, assignment_id, DUE + timedelta(days=4)).attention == (
        "2 students have not started and it was due 2026-12-02 12:00 UTC: carol, dave.",
        "1 student has not started and it was due 2026-12-03 12:00 UTC: erin.",
        "1 student has not started and it is due 2026-12-07 12:00 UTC: fay.",
    )
    rows = {r.username: r.due_at for r in book(stride, assignment_id, DURING).rows}
    assert rows == {
        "carol": DUE,
        "dave": DUE,
        "erin": LATER,
        "fay": DUE + timedelta(days=5),
    }


def test_the_gradebook_writes_its_times_with_the_formatter_given(stride: Stride) -> None:
    add_user(stride, "carol")
    day = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    assignment_id = create(
        stride,
        scores_release=RELEASE_ON_DATE,
        scores_release_at=day,
        answers_release=RELEASE_AFTER_DUE,
    )
    with stride.transaction() as session:
        result = gradebook(
            session,
            stride.local_actor,
            assignment_id,
            DUE - timedelta(hours=1),
            fmt=lambda d: d.strftime("%a %d %b %H:%M"),
        )
    assert result.rules == (
        "Late answers until Fri 04 Dec 12:00 (20% off).",
        "Scores shown to students on Fri 11 Dec 09:00; answers and worked solutions after the "
        "due time (not before the scores).",
    )
    assert result.attention == ("1 student has not started and it is due Wed 02 Dec 12:00: carol.",)
    # the row's extension text stays in UTC
    grant(stride, assignment_id, LATER, username="carol")
    assert book(stride, assignment_id).rows[0].extension == "to 2026-12-03 12:00 UTC (own)"


# --- release dates by hand ---------------------------------------------------------------------


def test_an_edit_refuses_a_release_by_hand_dated_in_the_future(stride: Stride) -> None:
    exam = create(stride, mode=MODE_EXAM, late_until=None)  # both released by hand
    tomorrow = NOON + timedelta(days=1)
    scores = (
        "A release of the scores by hand happens when it is made; for a later time choose the "
        "rule on_date."
    )
    answers = scores.replace("scores", "answers")
    assert edit_problems(stride, exam, scores_release_at=tomorrow) == (scores,)
    assert edit_problems(stride, exam, scores_release_at=tomorrow, answers_release_at=tomorrow) == (
        scores,
        answers,
    )
    homework = create(stride, late_until=None)  # immediately
    assert edit_problems(
        stride, homework, answers_release=RELEASE_BY_HAND, answers_release_at=tomorrow
    ) == (answers,)
    assert count(stride, AssignmentAudit) == 0
    # now or earlier is a release made; a later time is a date
    now = edit(stride, exam, now=NOON, scores_release_at=NOON)
    assert now.changes == ("scores release date: — → 2026-11-25 12:00 UTC",)
    dated = edit(
        stride, exam, now=NOON, answers_release=RELEASE_ON_DATE, answers_release_at=tomorrow
    )
    assert dated.changes == (
        "answers release: by_hand → on_date",
        "answers release date: — → 2026-11-26 12:00 UTC",
    )
    # switching a rule to by hand without a date leaves it unreleased
    hidden = edit(stride, homework, scores_release=RELEASE_BY_HAND)
    assert hidden.changes == ("scores release: immediately → by_hand",)
    with stride.transaction() as session:
        saved = session.get(Assignment, homework)
        assert saved is not None
        assert (saved.scores_release, saved.scores_release_at) == (RELEASE_BY_HAND, None)


# --- an extension keeps its student at least the class's time ----------------------------------


def test_moving_the_due_time_past_an_extension_does_not_shorten_the_extended_students_time(
    stride: Stride,
) -> None:
    carol = add_user(stride, "carol")
    dave = add_user(stride, "dave")
    assignment_id = create(stride)
    grant(stride, assignment_id, LATER, username="carol")  # one day more than the class
    moved = DUE + timedelta(days=2)
    with contextlib.suppress(AssignmentSpecError):  # refusing the edit would keep the rule too
        edit(stride, assignment_id, now=NOON, due_at=moved, late_until=moved + timedelta(days=1))
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        class_due = assignment.due_at
    assert view(stride, dave, assignment_id, DURING).due_at == class_due
    assert view(stride, carol, assignment_id, DURING).due_at >= class_due
    # at no moment is she worse off than the class: late while they are on time, or closed
    for moment in (LATER + timedelta(hours=1), class_due + timedelta(hours=12)):
        theirs = view(stride, dave, assignment_id, moment)
        hers = view(stride, carol, assignment_id, moment)
        assert hers.accepting >= theirs.accepting and hers.late <= theirs.late, moment
