"""Assignment reports: the gradebook, a student's submission history, regrading.

Rules (the scoring itself is in :mod:`quiz.services.assignments`, the time and release rules in
:mod:`quiz.services.term_rules`, exports in :mod:`quiz.services.grade_exports`):

* Only instructors read a gradebook, export it and regrade. A student may read their own
  submission history of an assignment given to them (scores only once released to them);
  nobody else's.
* The gradebook's students are every student the assignment is given to (all active students, or
  its members) — also those without a submission — plus anyone who has submitted to it.
* Only items not removed count. ``points[student][item] = best credit × item points``, or the
  instructor's override when there is one (``None`` when the student has not answered the item
  and has no override; it counts as 0); ``total = Σ points``; ``max_total = Σ item points``.
* A student's status: ``not started`` (no answer), ``in progress`` (answers, items left and
  still time), ``submitted`` (every item correct or out of attempts, or the time is over), with
  ``late`` when any answer came in the late window and ``extended`` when an extension applies.
* An item's ``mean_score = mean over students of points / item points`` (students without an
  answer count as 0), in [0, 1].
* An item's mistakes are counted over all its submissions (``GROUP BY mistake``), most frequent
  first, with the family's description of each tag.
* Regrading regenerates every submission's variant from its stored seed, grades its stored raw
  answer again and recomputes its credit with the assignment's rule (the late penalty in force
  taken off a late answer); rows whose score, credit, correctness or mistake changed are updated
  and reported, with the totals that changed. An answer the grader can no longer read scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, desc, func, or_, select
from sqlalchemy.orm import Session

from quiz.exercises.base import Exercise, grade_exercise
from quiz.exercises.registry import get_family
from quiz.scheduling import utc_now
from quiz.services.access import Actor, require_self_or_instructor
from quiz.services.assignments import (
    DUE_SOON,
    attempt_credit,
    family_title,
    instructor_assignment,
    live_items,
    mistake_description,
    parse_credit_schedule,
    regenerate,
    student_assignment,
)
from quiz.services.term_rules import (
    Deadline,
    Extensions,
    TimeFormat,
    assignment_extensions,
    counts_as_late,
    deadline,
    release_description,
    scores_visible,
    student_deadline,
    when,
)
from quiz.store.models import (
    Assignment,
    AssignmentAudit,
    AssignmentExtension,
    AssignmentItem,
    AssignmentMember,
    FormatError,
    ScoreOverride,
    Submission,
    User,
)
from quiz.vocabulary import ROLE_STUDENT

TOP_MISTAKES = 5
STUCK_AFTER = 3
"""Wrong answers in a row on one item (and none right) that put a student on the
"needs attention" list."""
LOW_MEAN = 0.5
"""An item whose mean score (over students who answered it) is below this needs attention."""
MANY_FORMAT_ERRORS = 0.25
"""An item whose unreadable answers are at least this share of all its answers (and 3 or more)
needs attention."""

STATUS_NOT_STARTED = "not started"
STATUS_IN_PROGRESS = "in progress"
STATUS_SUBMITTED = "submitted"


@dataclass(frozen=True)
class MistakeCount:
    """How many submissions to an item made one mistake, and what the mistake is."""

    tag: str
    count: int
    description: str | None


@dataclass(frozen=True)
class GradebookItem:
    """A column of the gradebook. ``mean_score`` is ``None`` when there are no students;
    ``format_errors`` counts answers the grader could not read (no attempt used)."""

    item_id: int
    position: int
    family: str
    family_title: str
    difficulty: int
    points: float
    mean_score: float | None
    submissions: int
    mistakes: tuple[MistakeCount, ...]
    format_errors: int = 0
    removed: bool = False

    @property
    def label(self) -> str:
        """The CSV header of this column: ``item 1 (2 pts)``."""
        unit = "pt" if self.points == 1 else "pts"
        return f"item {self.position} ({number_text(self.points)} {unit})"


@dataclass(frozen=True)
class GradebookRow:
    """One student: points per item, in item order (``None``: not answered and not
    overridden), which of them an instructor set (``overridden``), the total and the status."""

    user_id: int
    username: str
    display_name: str
    points: tuple[float | None, ...]
    total: float
    submissions: int
    status: str = STATUS_NOT_STARTED
    late: bool = False
    extension: str | None = None
    """``"to 2026-12-14 23:59 UTC, +1 attempt (own)"`` when an extension applies."""
    overridden: tuple[bool, ...] = ()
    email: str | None = None
    section: str | None = None
    due_at: datetime | None = None
    """The student's own due time (an extension applied)."""

    @property
    def status_label(self) -> str:
        """``submitted · late · extended``."""
        flags = [self.status]
        if self.late:
            flags.append("late")
        if self.extension is not None:
            flags.append("extended")
        return " · ".join(flags)


@dataclass(frozen=True)
class AuditEntry:
    """One line of an assignment's audit log (see :class:`~quiz.store.models.AssignmentAudit`)."""

    at: datetime
    actor: str
    action: str
    subject: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class Gradebook:
    """Students × items of one assignment; ``totals`` are the row totals, for a histogram.

    ``removed_items`` are items an instructor removed (their submissions kept, restorable);
    ``attention`` lists what needs a look (plain sentences); ``audit`` the changes, newest first.
    """

    assignment_id: int
    title: str
    mode: str
    due_at: datetime
    items: tuple[GradebookItem, ...]
    rows: tuple[GradebookRow, ...]
    max_total: float
    removed_items: tuple[GradebookItem, ...] = ()
    attention: tuple[str, ...] = ()
    audit: tuple[AuditEntry, ...] = ()
    rules: tuple[str, ...] = ()
    """The assignment's rules as sentences: late window, release of scores and answers."""

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
    late: bool = False


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
        totals = len(self.total_changes)
        changed_totals = f"{totals} student total{'s' if totals != 1 else ''} changed"
        if not self.changes:
            if totals:
                return f"{changed_totals}; no answer's score changed ({checked} checked)"
            return f"no scores changed ({checked} checked)"
        return f"{len(self.changes)} of {checked} changed score; {changed_totals}"


# --- gradebook ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ItemProgress:
    """One student on one item: attempts, best credit, any right, wrong answers since the last
    right one, any late."""

    used: int
    best: float
    correct: bool
    wrong_streak: int
    late_at: datetime | None
    """When the last answer made in the late window was made (None: none was)."""


def gradebook(
    session: Session,
    actor: Actor,
    assignment_id: int,
    now: datetime | None = None,
    fmt: TimeFormat = when,
) -> Gradebook:
    """Every student × every item of an assignment, with totals, statuses, means, common
    mistakes, overrides, what needs attention and the audit log. Instructors only. ``fmt``
    writes the times in the sentences (``attention``, ``rules``; default UTC)."""
    now = now or utc_now()
    assignment = instructor_assignment(session, actor, assignment_id, "read gradebooks")
    items = live_items(assignment)
    students = _roster(session, assignment)
    progress = _item_progress(session, assignment.id)
    overrides = {
        (o.user_id, o.item_id): o.points
        for o in session.scalars(
            select(ScoreOverride).where(ScoreOverride.assignment_id == assignment.id)
        )
    }
    extensions = assignment_extensions(session, assignment.id)
    rows = [
        _row(assignment, items, student, progress, overrides, extensions, now)
        for student in students
    ]
    format_errors = dict(
        session.execute(
            select(FormatError.item_id, func.count(FormatError.id))
            .where(FormatError.assignment_id == assignment.id)
            .group_by(FormatError.item_id)
        ).all()
    )
    per_item = dict(
        session.execute(
            select(Submission.item_id, func.count(Submission.id))
            .where(Submission.assignment_id == assignment.id)
            .group_by(Submission.item_id)
        ).all()
    )
    mistakes = _mistakes(session, assignment.id)

    def column(item: AssignmentItem, n: int | None) -> GradebookItem:
        return GradebookItem(
            item_id=item.id,
            position=item.position,
            family=item.family,
            family_title=family_title(item.family),
            difficulty=item.difficulty,
            points=item.points,
            mean_score=(
                sum((row.points[n] or 0.0) / item.points for row in rows) / len(rows)
                if rows and n is not None
                else None
            ),
            submissions=int(per_item.get(item.id, 0)),
            mistakes=tuple(
                MistakeCount(tag, count, mistake_description(item.family, tag))
                for tag, count in mistakes.get(item.id, [])[:TOP_MISTAKES]
            ),
            format_errors=int(format_errors.get(item.id, 0)),
            removed=item.removed_at is not None,
        )

    columns = tuple(column(item, n) for n, item in enumerate(items))
    removed = tuple(column(item, None) for item in assignment.items if item.removed_at)
    return Gradebook(
        assignment_id=assignment.id,
        title=assignment.title,
        mode=assignment.mode,
        due_at=assignment.due_at,
        items=columns,
        rows=tuple(rows),
        max_total=sum(item.points for item in items),
        removed_items=removed,
        attention=tuple(_attention(assignment, columns, rows, progress, students, now, fmt)),
        audit=audit_log(session, assignment.id),
        rules=tuple(rules_text(assignment, fmt)),
    )


def _row(
    assignment: Assignment,
    items: Sequence[AssignmentItem],
    student: User,
    progress: dict[tuple[int, int], _ItemProgress],
    overrides: dict[tuple[int, int], float],
    extensions: Extensions,
    now: datetime,
) -> GradebookRow:
    extension = extensions.for_student(student)
    rules = deadline(assignment, extension)
    mine = [progress.get((student.id, item.id)) for item in items]
    points = tuple(
        overrides[student.id, item.id]
        if (student.id, item.id) in overrides
        else (None if p is None else p.best * item.points)
        for item, p in zip(items, mine, strict=True)
    )
    answered = [p for p in mine if p is not None]
    finished = bool(items) and all(
        p is not None and (p.correct or p.used >= rules.max_attempts) for p in mine
    )
    if not answered:
        status = STATUS_NOT_STARTED
    elif finished or (not rules.accepting(now) and now > rules.opens_at):
        status = STATUS_SUBMITTED
    else:
        status = STATUS_IN_PROGRESS
    return GradebookRow(
        user_id=student.id,
        username=student.username,
        display_name=student.display_name,
        points=points,
        total=sum(p or 0.0 for p in points),
        submissions=sum(p.used for p in answered),
        status=status,
        late=any(
            p.late_at is not None and counts_as_late(True, p.late_at, rules) for p in answered
        ),
        extension=_extension_text(extension) if extension is not None else None,
        overridden=tuple((student.id, item.id) in overrides for item in items),
        email=student.email,
        section=student.section,
        due_at=rules.due_at,
    )


def _extension_text(extension: AssignmentExtension) -> str:
    extra = extension.extra_attempts
    attempts = f", +{extra} attempt{'s' if extra != 1 else ''}" if extra else ""
    whose = "own" if extension.user_id is not None else f"section {extension.section}"
    return f"to {when(extension.due_at)}{attempts} ({whose})"


def _item_progress(session: Session, assignment_id: int) -> dict[tuple[int, int], _ItemProgress]:
    """Per (student, item): attempts, best credit, any right, the wrong streak, any late."""
    found: dict[tuple[int, int], _ItemProgress] = {}
    for user_id, item_id, credit, correct, late, created_at in session.execute(
        select(
            Submission.user_id,
            Submission.item_id,
            Submission.credit,
            Submission.correct,
            Submission.late,
            Submission.created_at,
        )
        .where(Submission.assignment_id == assignment_id)
        .order_by(Submission.user_id, Submission.item_id, Submission.attempt_number)
    ):
        before = found.get((user_id, item_id), _ItemProgress(0, 0.0, False, 0, None))
        found[user_id, item_id] = _ItemProgress(
            used=before.used + 1,
            best=max(before.best, float(credit)),
            correct=before.correct or bool(correct),
            wrong_streak=0 if correct else before.wrong_streak + 1,
            late_at=created_at if late else before.late_at,
        )
    return found


def _attention(
    assignment: Assignment,
    columns: Sequence[GradebookItem],
    rows: Sequence[GradebookRow],
    progress: dict[tuple[int, int], _ItemProgress],
    students: Sequence[User],
    now: datetime,
    fmt: TimeFormat = when,
) -> list[str]:
    """Plain sentences: who has not started near the due time, items with many unreadable
    answers or a low mean, students stuck on repeated wrong answers."""
    notes = []
    idle = [
        row
        for row in rows
        if row.status == STATUS_NOT_STARTED
        and assignment.opens_at <= now
        and row.due_at is not None
        and row.due_at - now <= DUE_SOON
    ]
    for due_at in sorted({row.due_at for row in idle if row.due_at is not None}):
        names = [row.username for row in idle if row.due_at == due_at]
        timing = "is due" if now <= due_at else "was due"
        notes.append(
            f"{len(names)} student{'s have' if len(names) != 1 else ' has'} not started and "
            f"it {timing} {fmt(due_at)}: {_names(names)}."
        )
    for column in columns:
        total = column.submissions + column.format_errors
        if column.format_errors >= 3 and column.format_errors >= MANY_FORMAT_ERRORS * total:
            notes.append(
                f"Item {column.position} ({column.family_title}): {column.format_errors} of "
                f"{total} answers could not be read — check that its answer format is clear."
            )
        answered = [p for (_, item_id), p in progress.items() if item_id == column.item_id]
        if len(answered) >= 3:
            mean = sum(p.best for p in answered) / len(answered)
            if mean < LOW_MEAN:
                notes.append(
                    f"Item {column.position} ({column.family_title}): mean score {mean:.0%} "
                    f"over the {len(answered)} students who answered it."
                )
    usernames = {student.id: student.username for student in students}
    positions = {column.item_id: column.position for column in columns}
    stuck = sorted(
        (usernames.get(user_id, f"user {user_id}"), positions[item_id], p.wrong_streak)
        for (user_id, item_id), p in progress.items()
        if item_id in positions and not p.correct and p.wrong_streak >= STUCK_AFTER
    )
    for username, position, streak in stuck:
        notes.append(f"{username} has answered item {position} wrong {streak} times in a row.")
    return notes


def _names(usernames: Sequence[str], shown: int = 10) -> str:
    more = len(usernames) - shown
    listed = ", ".join(usernames[:shown])
    return f"{listed} and {more} more" if more > 0 else listed


def rules_text(assignment: Assignment, fmt: TimeFormat = when) -> list[str]:
    """The assignment's time and release rules as sentences (the gradebook's header)."""
    lines = []
    if assignment.late_until is not None:
        off = f"{assignment.late_penalty:.0%} off" if assignment.late_penalty else "no penalty"
        lines.append(f"Late answers until {fmt(assignment.late_until)} ({off}).")
    else:
        lines.append("No late answers after the due time.")
    scores = release_description(assignment.scores_release, assignment.scores_release_at, fmt)
    answers = release_description(assignment.answers_release, assignment.answers_release_at, fmt)
    lines.append(
        f"Scores shown to students {scores}; answers and worked solutions {answers}"
        + (" (not before the scores)." if answers != scores else ".")
    )
    return lines


def audit_log(session: Session, assignment_id: int) -> tuple[AuditEntry, ...]:
    """The assignment's audit log, newest first."""
    return tuple(
        AuditEntry(a.at, a.actor_name, a.action, a.subject, a.old, a.new, a.reason)
        for a in session.scalars(
            select(AssignmentAudit)
            .where(AssignmentAudit.assignment_id == assignment_id)
            .order_by(AssignmentAudit.at.desc(), AssignmentAudit.id.desc())
        )
    )


def histogram_bins(max_total: float, wanted: int = 10) -> tuple[float, float]:
    """``(start, size)`` of histogram bins over ``[0, max_total]``: whole-point bins when the
    maximum is at most ``wanted`` points, else ``wanted`` equal bins, so scores spread over
    the possible range instead of into one bar."""
    if max_total <= 0:
        return (0.0, 1.0)
    if max_total <= wanted and float(max_total).is_integer():
        return (-0.5, 1.0)  # one bar per whole score 0, 1, …, max
    return (0.0, max_total / wanted)


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
        assert tag is not None  # the query leaves out submissions without a mistake
        found.setdefault(item_id, []).append((tag, int(n)))
    return found


def totals(session: Session, assignment: Assignment) -> dict[int, float]:
    """Each student's total over the items not removed, overrides included."""
    points = {item.id: item.points for item in live_items(assignment)}
    overrides = {
        (o.user_id, o.item_id): o.points
        for o in session.scalars(
            select(ScoreOverride).where(ScoreOverride.assignment_id == assignment.id)
        )
    }
    found: dict[int, float] = {}
    for (user_id, item_id), p in _item_progress(session, assignment.id).items():
        if item_id in points and (user_id, item_id) not in overrides:
            found[user_id] = found.get(user_id, 0.0) + p.best * points[item_id]
    for (user_id, item_id), value in overrides.items():
        if item_id in points:
            found[user_id] = found.get(user_id, 0.0) + value
    return found


def number_text(value: float) -> str:
    """``2`` for 2.0, ``1.4`` for 1.4000000000000001, ``0.33`` for 1/3."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


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
    without scores until they are released to them (``now`` defaults to the clock).
    """
    require_self_or_instructor(actor, student_id, "submissions")
    if actor.is_instructor:
        assignment = instructor_assignment(session, actor, assignment_id, "read submissions")
        reveal = True
    else:
        assignment = student_assignment(session, actor, assignment_id)
        reveal = scores_visible(
            assignment, student_deadline(session, assignment, student_id), now or utc_now()
        )
    rules = student_deadline(session, assignment, student_id)
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
            late=counts_as_late(s.late, s.created_at, rules),
        )
        for s, position in rows
    ]


# --- regrading ---------------------------------------------------------------------------------


def regrade(
    session: Session,
    actor: Actor,
    assignment_id: int,
    *,
    before: dict[int, float] | None = None,
    user_id: int | None = None,
) -> RegradeReport:
    """Grade every stored answer of an assignment again and fix the rows that changed.

    Instructors only. Each variant is regenerated from its stored seed; each attempt's credit is
    recomputed with the assignment's rule; an answer made late stays late only if it is after
    the student's due time now (a later due time or an extension takes the penalty back; an
    earlier one never makes an answer late), and the late penalty now in force applies. Returns
    every changed submission (old → new score or credit) and every student total that changed.
    ``before``: the totals before a change the caller has already
    made (an edit of points); ``user_id``: only that student's answers (after an extension).
    """
    assignment = instructor_assignment(session, actor, assignment_id, "regrade assignments")
    items = {item.id: item for item in assignment.items}
    schedule = parse_credit_schedule(assignment.credit_schedule)
    if before is None:
        before = totals(session, assignment)
    exercises: dict[tuple[int, int], Exercise] = {}
    changed: list[tuple[Submission, float, float]] = []
    query = select(Submission).where(Submission.assignment_id == assignment.id)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    submissions = session.scalars(
        query.order_by(Submission.user_id, Submission.item_id, Submission.attempt_number)
    ).all()
    deadlines = _deadlines(session, assignment, {s.user_id for s in submissions})
    for submission in submissions:
        item = items[submission.item_id]
        key = (item.id, submission.seed)
        if key not in exercises:
            exercises[key] = regenerate(item, submission.seed)
        grade = grade_exercise(get_family(item.family), exercises[key], submission.raw_answer)
        late = counts_as_late(submission.late, submission.created_at, deadlines[submission.user_id])
        credit = attempt_credit(assignment.mode, schedule, submission.attempt_number, grade.score)
        if late:
            credit *= 1.0 - assignment.late_penalty
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
    after = totals(session, assignment)
    students = set(before) | set(after)
    if user_id is not None:
        students = {user_id}
    names = dict(
        session.execute(
            select(User.id, User.username).where(
                User.id.in_(students | {s.user_id for s in submissions})
            )
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
        TotalChange(
            student,
            names.get(student, f"user {student}"),
            before.get(student, 0.0),
            after.get(student, 0.0),
        )
        for student in sorted(students, key=lambda u: (names.get(u, ""), u))
        if not math.isclose(
            before.get(student, 0.0), after.get(student, 0.0), rel_tol=1e-9, abs_tol=1e-9
        )
    )
    return RegradeReport(assignment.id, len(submissions), changes, total_changes)


def _deadlines(session: Session, assignment: Assignment, user_ids: set[int]) -> dict[int, Deadline]:
    """Each student's deadline now."""
    extensions = assignment_extensions(session, assignment.id)
    return {
        student.id: extensions.deadline_of(assignment, student)
        for student in session.scalars(select(User).where(User.id.in_(user_ids)))
    }
