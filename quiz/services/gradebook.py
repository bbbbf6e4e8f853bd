"""Assignment reports: the gradebook, a student's submission history, CSV export, regrading.

Rules (the scoring itself is in :mod:`quiz.services.assignments`):

* Only instructors read a gradebook, export it and regrade. A student may read their own
  submission history of an assignment given to them (in an exam, scores appear only after the
  due time); nobody else's.
* The gradebook's students are every student the assignment is given to (all active students, or
  its members) — also those without a submission — plus anyone who has submitted to it.
* ``points[student][item] = best credit × item points`` (``None`` when the student has not
  answered the item; it counts as 0); ``total = Σ points``; ``max_total = Σ item points``.
* An item's ``mean_score = mean over students of points / item points`` (students without an
  answer count as 0), in [0, 1].
* An item's mistakes are counted over all its submissions (``GROUP BY mistake``), most frequent
  first, with the family's description of each tag.
* Regrading regenerates every submission's variant from its stored seed, grades its stored raw
  answer again and recomputes its credit with the assignment's rule; rows whose score, credit,
  correctness or mistake changed are updated and reported, with the totals that changed. An
  answer the grader can no longer read scores 0.
* The CSV guards against formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return gets a leading ``'`` (:func:`quiz.text_safety.spreadsheet_cell`);
  the numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, desc, func, or_, select
from sqlalchemy.orm import Session

from quiz.exercises.base import Exercise, grade_exercise
from quiz.exercises.registry import get_family
from quiz.scheduling import utc_now
from quiz.services.access import Actor, require_self_or_instructor
from quiz.services.assignments import (
    attempt_credit,
    family_title,
    feedback_visible,
    instructor_assignment,
    mistake_description,
    parse_credit_schedule,
    regenerate,
    student_assignment,
)
from quiz.store.models import (
    ROLE_STUDENT,
    Assignment,
    AssignmentItem,
    AssignmentMember,
    Submission,
    User,
)
from quiz.text_safety import spreadsheet_row

TOP_MISTAKES = 5


@dataclass(frozen=True)
class MistakeCount:
    """How many submissions to an item made one mistake, and what the mistake is."""

    tag: str
    count: int
    description: str | None


@dataclass(frozen=True)
class GradebookItem:
    """A column of the gradebook. ``mean_score`` is ``None`` when there are no students."""

    item_id: int
    position: int
    family: str
    family_title: str
    difficulty: int
    points: float
    mean_score: float | None
    submissions: int
    mistakes: tuple[MistakeCount, ...]

    @property
    def label(self) -> str:
        """The CSV header of this column: ``item 1 (2 pts)``."""
        unit = "pt" if self.points == 1 else "pts"
        return f"item {self.position} ({_number(self.points)} {unit})"


@dataclass(frozen=True)
class GradebookRow:
    """One student: points per item, in item order (``None``: not answered), and the total."""

    user_id: int
    username: str
    display_name: str
    points: tuple[float | None, ...]
    total: float
    submissions: int


@dataclass(frozen=True)
class Gradebook:
    """Students × items of one assignment; ``totals`` are the row totals, for a histogram."""

    assignment_id: int
    title: str
    mode: str
    due_at: datetime
    items: tuple[GradebookItem, ...]
    rows: tuple[GradebookRow, ...]
    max_total: float

    @property
    def totals(self) -> tuple[float, ...]:
        return tuple(row.total for row in self.rows)


@dataclass(frozen=True)
class SubmissionRow:
    """One recorded answer. Score fields are ``None`` while hidden from the student."""

    submission_id: int
    item_id: int
    position: int
    attempt_number: int
    submitted_at: datetime
    raw_answer: str
    score: float | None
    credit: float | None
    correct: bool | None
    mistake: str | None
    duration_ms: int | None


@dataclass(frozen=True)
class ScoreChange:
    """One submission whose grade changed on regrading."""

    submission_id: int
    user_id: int
    username: str
    position: int
    attempt_number: int
    old_score: float
    new_score: float
    old_credit: float
    new_credit: float


@dataclass(frozen=True)
class TotalChange:
    """A student whose assignment total changed on regrading."""

    user_id: int
    username: str
    old_total: float
    new_total: float


@dataclass(frozen=True)
class RegradeReport:
    """What :func:`regrade` checked and changed."""

    assignment_id: int
    checked: int
    changes: tuple[ScoreChange, ...]
    total_changes: tuple[TotalChange, ...]

    def summary(self) -> str:
        checked = f"{self.checked} submission{'s' if self.checked != 1 else ''}"
        if not self.changes:
            return f"no scores changed ({checked} checked)"
        totals = len(self.total_changes)
        return (
            f"{len(self.changes)} of {checked} changed score; "
            f"{totals} student total{'s' if totals != 1 else ''} changed"
        )


# --- gradebook ---------------------------------------------------------------------------------


def gradebook(session: Session, actor: Actor, assignment_id: int) -> Gradebook:
    """Every student × every item of an assignment, with totals, means and common mistakes.

    Instructors only. Three grouped queries: best credit per student × item, submissions per
    item, and mistakes per item.
    """
    assignment = instructor_assignment(session, actor, assignment_id, "read gradebooks")
    items = list(assignment.items)
    students = _roster(session, assignment)
    best = _best_credits(session, assignment.id)
    submitted = dict(
        session.execute(
            select(Submission.user_id, func.count(Submission.id))
            .where(Submission.assignment_id == assignment.id)
            .group_by(Submission.user_id)
        ).all()
    )
    rows = []
    for student in students:
        points = tuple(
            None if (student.id, item.id) not in best else best[student.id, item.id] * item.points
            for item in items
        )
        rows.append(
            GradebookRow(
                user_id=student.id,
                username=student.username,
                display_name=student.display_name,
                points=points,
                total=sum(p or 0.0 for p in points),
                submissions=int(submitted.get(student.id, 0)),
            )
        )
    per_item = dict(
        session.execute(
            select(Submission.item_id, func.count(Submission.id))
            .where(Submission.assignment_id == assignment.id)
            .group_by(Submission.item_id)
        ).all()
    )
    mistakes = _mistakes(session, assignment.id)
    columns = tuple(
        GradebookItem(
            item_id=item.id,
            position=item.position,
            family=item.family,
            family_title=family_title(item.family),
            difficulty=item.difficulty,
            points=item.points,
            mean_score=(
                sum((row.points[n] or 0.0) / item.points for row in rows) / len(rows)
                if rows
                else None
            ),
            submissions=int(per_item.get(item.id, 0)),
            mistakes=tuple(
                MistakeCount(tag, count, mistake_description(item.family, tag))
                for tag, count in mistakes.get(item.id, [])[:TOP_MISTAKES]
            ),
        )
        for n, item in enumerate(items)
    )
    return Gradebook(
        assignment_id=assignment.id,
        title=assignment.title,
        mode=assignment.mode,
        due_at=assignment.due_at,
        items=columns,
        rows=tuple(rows),
        max_total=sum(item.points for item in items),
    )


def _roster(session: Session, assignment: Assignment) -> list[User]:
    """The students the assignment is given to, and anyone who submitted to it, by username."""
    if assignment.for_all_students:
        given = and_(User.role == ROLE_STUDENT, User.active)
    else:
        given = User.id.in_(
            select(AssignmentMember.user_id).where(AssignmentMember.assignment_id == assignment.id)
        )
    submitted = User.id.in_(
        select(Submission.user_id).where(Submission.assignment_id == assignment.id)
    )
    return list(
        session.scalars(select(User).where(or_(given, submitted)).order_by(User.username, User.id))
    )


def _best_credits(session: Session, assignment_id: int) -> dict[tuple[int, int], float]:
    """Best credit per (student, item): one ``GROUP BY user_id, item_id`` query."""
    rows = session.execute(
        select(Submission.user_id, Submission.item_id, func.max(Submission.credit))
        .where(Submission.assignment_id == assignment_id)
        .group_by(Submission.user_id, Submission.item_id)
    )
    return {(user_id, item_id): float(credit) for user_id, item_id, credit in rows}


def _mistakes(session: Session, assignment_id: int) -> dict[int, list[tuple[str, int]]]:
    """Per item: ``(mistake tag, submissions)`` most frequent first (ties by tag)."""
    count = func.count(Submission.id).label("count")
    rows = session.execute(
        select(Submission.item_id, Submission.mistake, count)
        .where(Submission.assignment_id == assignment_id, Submission.mistake.is_not(None))
        .group_by(Submission.item_id, Submission.mistake)
        .order_by(Submission.item_id, desc(count), Submission.mistake)
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for item_id, tag, n in rows:
        found.setdefault(item_id, []).append((tag, int(n)))
    return found


def _totals(session: Session, assignment: Assignment) -> dict[int, float]:
    points = {item.id: item.points for item in assignment.items}
    totals: dict[int, float] = {}
    for (user_id, item_id), credit in _best_credits(session, assignment.id).items():
        totals[user_id] = totals.get(user_id, 0.0) + credit * points.get(item_id, 0.0)
    return totals


# --- history -----------------------------------------------------------------------------------


def submission_history(
    session: Session,
    actor: Actor,
    assignment_id: int,
    student_id: int,
    now: datetime | None = None,
) -> list[SubmissionRow]:
    """Every recorded answer of ``student_id`` to an assignment, by item then attempt.

    Instructors may read anyone's; a student only their own, of an assignment given to them, and
    in an exam without scores until ``due_at`` has passed (``now`` defaults to the clock).
    """
    require_self_or_instructor(actor, student_id, "submissions")
    if actor.is_instructor:
        assignment = instructor_assignment(session, actor, assignment_id, "read submissions")
        reveal = True
    else:
        assignment = student_assignment(session, actor, assignment_id)
        reveal = feedback_visible(assignment, now or utc_now())
    rows = session.execute(
        select(Submission, AssignmentItem.position)
        .join(AssignmentItem, AssignmentItem.id == Submission.item_id)
        .where(Submission.assignment_id == assignment.id, Submission.user_id == student_id)
        .order_by(AssignmentItem.position, Submission.attempt_number)
    )
    return [
        SubmissionRow(
            submission_id=s.id,
            item_id=s.item_id,
            position=position,
            attempt_number=s.attempt_number,
            submitted_at=s.created_at,
            raw_answer=s.raw_answer,
            score=s.score if reveal else None,
            credit=s.credit if reveal else None,
            correct=s.correct if reveal else None,
            mistake=s.mistake if reveal else None,
            duration_ms=s.duration_ms,
        )
        for s, position in rows
    ]


# --- CSV ---------------------------------------------------------------------------------------


def grades_csv(book: Gradebook) -> str:
    """The gradebook as CSV: ``username,display_name,item 1 (2 pts),...,total,max``.

    One row per student; an unanswered item is an empty cell; numbers have at most 2 decimals.
    Lines end in CRLF (RFC 4180), so a cell holding a line break is quoted.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["username", "display_name", *(item.label for item in book.items), "total", "max"]
    writer.writerow(spreadsheet_row(header))
    for row in book.rows:
        numbers = [
            *("" if p is None else _number(p) for p in row.points),
            _number(row.total),
            _number(book.max_total),
        ]
        writer.writerow([*spreadsheet_row((row.username, row.display_name)), *numbers])
    return out.getvalue()


def _number(value: float) -> str:
    """``2`` for 2.0, ``1.4`` for 1.4000000000000001, ``0.33`` for 1/3."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- regrading ---------------------------------------------------------------------------------


def regrade(session: Session, actor: Actor, assignment_id: int) -> RegradeReport:
    """Grade every stored answer of an assignment again and fix the rows that changed.

    Instructors only. Each variant is regenerated from its stored seed; each attempt's credit is
    recomputed with the assignment's rule. Returns every changed submission (old → new score)
    and every student total that changed.
    """
    assignment = instructor_assignment(session, actor, assignment_id, "regrade assignments")
    items = {item.id: item for item in assignment.items}
    schedule = parse_credit_schedule(assignment.credit_schedule)
    before = _totals(session, assignment)
    exercises: dict[tuple[int, int], Exercise] = {}
    changed: list[tuple[Submission, float, float]] = []
    submissions = session.scalars(
        select(Submission)
        .where(Submission.assignment_id == assignment.id)
        .order_by(Submission.user_id, Submission.item_id, Submission.attempt_number)
    ).all()
    for submission in submissions:
        item = items[submission.item_id]
        key = (item.id, submission.seed)
        if key not in exercises:
            exercises[key] = regenerate(item, submission.seed)
        grade = grade_exercise(get_family(item.family), exercises[key], submission.raw_answer)
        credit = attempt_credit(assignment.mode, schedule, submission.attempt_number, grade.score)
        same = (
            math.isclose(grade.score, submission.score, rel_tol=1e-9, abs_tol=1e-12)
            and math.isclose(credit, submission.credit, rel_tol=1e-9, abs_tol=1e-12)
            and grade.correct == submission.correct
            and grade.mistake == submission.mistake
        )
        if same:
            continue
        changed.append((submission, submission.score, submission.credit))
        submission.score = grade.score
        submission.credit = credit
        submission.correct = grade.correct
        submission.mistake = grade.mistake
    session.flush()
    after = _totals(session, assignment)
    names = dict(
        session.execute(
            select(User.id, User.username).where(User.id.in_({s.user_id for s in submissions}))
        ).all()
    )
    changes = tuple(
        ScoreChange(
            submission_id=s.id,
            user_id=s.user_id,
            username=names.get(s.user_id, f"user {s.user_id}"),
            position=items[s.item_id].position,
            attempt_number=s.attempt_number,
            old_score=old_score,
            new_score=s.score,
            old_credit=old_credit,
            new_credit=s.credit,
        )
        for s, old_score, old_credit in changed
    )
    total_changes = tuple(
        TotalChange(user_id, names.get(user_id, f"user {user_id}"), old, after.get(user_id, 0.0))
        for user_id, old in sorted(before.items(), key=lambda kv: names.get(kv[0], ""))
        if not math.isclose(old, after.get(user_id, 0.0), rel_tol=1e-9, abs_tol=1e-9)
    )
    return RegradeReport(assignment.id, len(submissions), changes, total_changes)
