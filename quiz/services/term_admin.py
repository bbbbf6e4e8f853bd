"""Running an assignment through a term: edit it, extend it, release it, override a score,
remove or restore an item, delete it with an archive. Instructors only, every change audited.

Each function takes the acting user and checks it first
(:func:`~quiz.services.assignments.instructor_assignment`); each change is written to the
assignment's audit log (:class:`~quiz.store.models.AssignmentAudit`: who, when, what, old → new,
the reason) in the same transaction. A change that alters scores (points, the credit schedule,
the late penalty, removing or restoring an item) regrades through
:func:`~quiz.services.gradebook.regrade`, which reports what changed; submissions are never
deleted by an edit. The rules are in ``docs/assignment-rules.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quiz.services.access import Actor
from quiz.services.assignments import (
    MAX_ATTEMPTS,
    MAX_POINTS,
    AssignmentSpecError,
    ItemSpec,
    attempts_problems,
    instructions_problems,
    instructor_assignment,
    is_given_to,
    item_problems,
    late_problems,
    parse_credit_schedule,
    release_problems,
    schedule_problems,
    time_problems,
    title_problems,
)
from quiz.services.gradebook import RegradeReport, number_text, regrade, totals
from quiz.services.term_rules import (
    Deadline,
    Release,
    answers_visible,
    assignment_deadline,
    scores_visible,
    student_deadline,
    when,
)
from quiz.store.models import (
    Assignment,
    AssignmentArchive,
    AssignmentAudit,
    AssignmentExtension,
    AssignmentItem,
    AssignmentMember,
    Card,
    ScoreOverride,
    Submission,
    User,
)
from quiz.vocabulary import RELEASE_BY_HAND, ROLE_STUDENT

UNCHANGED: Any = object()
"""A field of :class:`AssignmentEdit` that the edit leaves as it is."""
MAX_REASON_CHARS = 1000


class TermActionError(ValueError):
    """An action an instructor asked for that cannot be done (the message says why)."""


@dataclass(frozen=True)
class AssignmentEdit:
    """What to change in an assignment; every field left :data:`UNCHANGED` stays as it is.

    ``late_until=None`` removes the late window; ``item_points`` maps item ids to new points.
    """

    title: Any = UNCHANGED
    instructions: Any = UNCHANGED
    opens_at: Any = UNCHANGED
    due_at: Any = UNCHANGED
    max_attempts: Any = UNCHANGED
    credit_schedule: Any = UNCHANGED
    late_until: Any = UNCHANGED
    late_penalty: Any = UNCHANGED
    scores_release: Any = UNCHANGED
    scores_release_at: Any = UNCHANGED
    answers_release: Any = UNCHANGED
    answers_release_at: Any = UNCHANGED
    item_points: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EditReport:
    """What an edit changed (``field: old → new`` lines) and, when scores could move, the
    regrade's report."""

    changes: tuple[str, ...]
    regrade: RegradeReport | None = None

    def summary(self) -> str:
        if not self.changes:
            return "nothing changed"
        text = "; ".join(self.changes)
        return f"{text} ({self.regrade.summary()})" if self.regrade is not None else text


# --- the audit log -----------------------------------------------------------------------------


def _actor_id(session: Session, actor: Actor) -> int | None:
    """The acting user's row id, or None for the command line (no row). Looked up before any
    new row is added: a lookup flushes what is pending."""
    return actor.user_id if session.get(User, actor.user_id) is not None else None


def audit(
    session: Session,
    actor: Actor,
    assignment_id: int,
    action: str,
    now: datetime,
    *,
    subject: str = "",
    old: str = "",
    new: str = "",
    reason: str = "",
) -> None:
    """Append one line to the assignment's audit log."""
    session.add(
        AssignmentAudit(
            assignment_id=assignment_id,
            actor_id=_actor_id(session, actor),
            actor_name=actor.username,
            at=now,
            action=action,
            subject=subject[:200],
            old=old,
            new=new,
            reason=reason,
        )
    )


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    return str(value)


# --- editing -----------------------------------------------------------------------------------


_SCORING_FIELDS = ("credit_schedule", "late_penalty", "late_until", "due_at")
"""Edits after which a regrade may change scores (credit rules, or which answers were late)."""
_FIELD_NAMES = {
    "title": "title",
    "instructions": "instructions",
    "opens_at": "opens",
    "due_at": "due",
    "max_attempts": "attempts",
    "credit_schedule": "credit schedule",
    "late_until": "late window ends",
    "late_penalty": "late penalty",
    "scores_release": "scores release",
    "scores_release_at": "scores release date",
    "answers_release": "answers release",
    "answers_release_at": "answers release date",
}


def edit_assignment(
    session: Session, actor: Actor, assignment_id: int, edit: AssignmentEdit, now: datetime
) -> EditReport:
    """Apply ``edit`` after checking every value (all problems in one
    :class:`~quiz.services.assignments.AssignmentSpecError`, nothing written then)."""
    assignment = instructor_assignment(session, actor, assignment_id, "change assignments")
    wanted = {
        name: getattr(edit, name) for name in _FIELD_NAMES if getattr(edit, name) is not UNCHANGED
    }
    for what in ("scores", "answers"):  # a rule set to "by hand" starts unreleased
        rule, at = f"{what}_release", f"{what}_release_at"
        newly_by_hand = wanted.get(rule) == RELEASE_BY_HAND != getattr(assignment, rule)
        if newly_by_hand and at not in wanted:
            wanted[at] = None
    if "credit_schedule" in wanted:
        wanted["credit_schedule"] = (
            ",".join(format(float(v), ".10g") for v in wanted["credit_schedule"])
            if isinstance(wanted["credit_schedule"], list | tuple)
            else wanted["credit_schedule"]
        )
    if isinstance(wanted.get("title"), str):
        wanted["title"] = wanted["title"].strip()
    if isinstance(wanted.get("instructions"), str):
        wanted["instructions"] = wanted["instructions"].strip()
    merged = {name: wanted.get(name, getattr(assignment, name)) for name in _FIELD_NAMES}
    items = {item.id: item for item in assignment.items}
    problems = _edit_problems(merged, edit.item_points, items)
    for what in ("scores", "answers"):
        release_at = wanted.get(f"{what}_release_at")
        if (
            merged[f"{what}_release"] == RELEASE_BY_HAND
            and isinstance(release_at, datetime)
            and release_at > now
        ):
            problems.append(
                f"A release of the {what} by hand happens when it is made; for a later time "
                "choose the rule on_date."
            )
    if problems:
        raise AssignmentSpecError(problems)
    before = totals(session, assignment)
    changes: list[str] = []
    scoring = False
    for name, value in wanted.items():
        old = getattr(assignment, name)
        if name == "late_penalty":
            value = float(value)
        if old == value:
            continue
        setattr(assignment, name, value)
        label = _FIELD_NAMES[name]
        shown_old, shown_new = _shown(old), _shown(value)
        if name == "instructions":
            shown_old, shown_new = f"{len(old)} characters", f"{len(value)} characters"
        changes.append(f"{label}: {shown_old} → {shown_new}")
        audit(
            session, actor, assignment.id, "edit", now, subject=label, old=shown_old, new=shown_new
        )
        scoring = scoring or name in _SCORING_FIELDS
    for item_id, points in sorted(edit.item_points.items()):
        item = items[item_id]
        if math.isclose(item.points, float(points)):
            continue
        subject = f"item {item.position} points"
        changes.append(f"{subject}: {number_text(item.points)} → {number_text(float(points))}")
        audit(
            session,
            actor,
            assignment.id,
            "edit",
            now,
            subject=subject,
            old=number_text(item.points),
            new=number_text(float(points)),
        )
        item.points = float(points)
        scoring = True
    if not changes:
        return EditReport(())
    assignment.updated_at = now
    session.flush()
    report = _regrade_audited(session, actor, assignment, now, before) if scoring else None
    return EditReport(tuple(changes), report)


def _edit_problems(
    merged: dict[str, Any], item_points: dict[int, float], items: dict[int, AssignmentItem]
) -> list[str]:
    problems: list[str] = []
    problems += title_problems(merged["title"])
    problems += instructions_problems(merged["instructions"])
    problems += time_problems(merged["opens_at"], merged["due_at"])
    problems += late_problems(merged["due_at"], merged["late_until"], merged["late_penalty"])
    problems += release_problems("scores", merged["scores_release"], merged["scores_release_at"])
    problems += release_problems("answers", merged["answers_release"], merged["answers_release_at"])
    problems += attempts_problems(merged["max_attempts"])
    try:
        problems += schedule_problems(parse_credit_schedule(merged["credit_schedule"]))
    except (TypeError, ValueError):
        problems.append(
            f"The credit schedule must be numbers such as 1,0.7,0.5; "
            f"got {merged['credit_schedule']!r}."
        )
    for item_id, points in item_points.items():
        if item_id not in items:
            problems.append(f"There is no item {item_id} in this assignment.")
        elif not (
            isinstance(points, int | float)
            and not isinstance(points, bool)
            and math.isfinite(points)
            and 0 < points <= MAX_POINTS
        ):
            problems.append(
                f"Item {items[item_id].position}: points must be more than 0 and at most "
                f"{MAX_POINTS:g}; got {points!r}."
            )
    return problems


def _regrade_audited(
    session: Session,
    actor: Actor,
    assignment: Assignment,
    now: datetime,
    before: dict[int, float] | None = None,
    *,
    user_id: int | None = None,
) -> RegradeReport:
    """Regrade (``before``: the totals before the caller's change) and audit the summary."""
    report = regrade(session, actor, assignment.id, before=before, user_id=user_id)
    audit(session, actor, assignment.id, "regrade", now, new=report.summary())
    return report


# --- items -------------------------------------------------------------------------------------


def add_items(
    session: Session, actor: Actor, assignment_id: int, specs: Sequence[ItemSpec], now: datetime
) -> list[int]:
    """Append items (after the last position); returns their ids. Students see them at once."""
    assignment = instructor_assignment(session, actor, assignment_id, "change assignments")
    problems = [
        f"Item {number}: {p}"
        for number, spec in enumerate(specs, start=1)
        for p in item_problems(session, spec)
    ]
    if not specs:
        problems.append("No items to add.")
    if problems:
        raise AssignmentSpecError(problems)
    position = max((item.position for item in assignment.items), default=0)
    added = []
    for spec in specs:
        family, difficulty, params = spec.family, spec.difficulty, None
        if spec.card_id is not None:
            card = session.get(Card, spec.card_id)
            assert card is not None  # checked above
            family, difficulty, params = (
                card.exercise_family,
                card.exercise_difficulty or 2,
                card.exercise_params,
            )
        for _ in range(spec.count):
            position += 1
            item = AssignmentItem(
                assignment_id=assignment.id,
                position=position,
                family=family,
                difficulty=difficulty,
                params=params,
                card_id=spec.card_id,
                points=float(spec.points),
            )
            session.add(item)
            added.append(item)
            audit(
                session,
                actor,
                assignment.id,
                "add item",
                now,
                subject=f"item {position}",
                new=f"{family} difficulty {difficulty}, {number_text(float(spec.points))} points",
            )
    assignment.updated_at = now
    session.flush()
    session.refresh(assignment, ["items"])
    return [item.id for item in added]


def _item_at(assignment: Assignment, position: int) -> AssignmentItem:
    for item in assignment.items:
        if item.position == position:
            return item
    positions = ", ".join(str(item.position) for item in assignment.items) or "none"
    raise TermActionError(
        f"Assignment {assignment.id} has no item {position} (its items: {positions})."
    )


def remove_item(
    session: Session, actor: Actor, assignment_id: int, position: int, now: datetime
) -> RegradeReport:
    """Hide item ``position`` from students and totals; its submissions are kept and
    :func:`restore_item` brings it back."""
    assignment = instructor_assignment(session, actor, assignment_id, "change assignments")
    item = _item_at(assignment, position)
    if item.removed_at is not None:
        raise TermActionError(f"Item {position} is already removed.")
    if sum(1 for i in assignment.items if i.removed_at is None) == 1:
        raise TermActionError("That is the assignment's last item: an assignment keeps one.")
    before = totals(session, assignment)
    item.removed_at = now
    audit(session, actor, assignment.id, "remove item", now, subject=f"item {position}")
    assignment.updated_at = now
    session.flush()
    return _regrade_audited(session, actor, assignment, now, before)


def restore_item(
    session: Session, actor: Actor, assignment_id: int, position: int, now: datetime
) -> RegradeReport:
    """Bring a removed item back, with every submission it had."""
    assignment = instructor_assignment(session, actor, assignment_id, "change assignments")
    item = _item_at(assignment, position)
    if item.removed_at is None:
        raise TermActionError(f"Item {position} is not removed.")
    before = totals(session, assignment)
    item.removed_at = None
    audit(session, actor, assignment.id, "restore item", now, subject=f"item {position}")
    assignment.updated_at = now
    session.flush()
    return _regrade_audited(session, actor, assignment, now, before)


# --- extensions --------------------------------------------------------------------------------


def _student(session: Session, assignment: Assignment, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.role != ROLE_STUDENT:
        raise TermActionError(f"There is no student {username!r}.")
    if not is_given_to(session, assignment, Actor.of(user)):
        raise TermActionError(f"Assignment {assignment.id} is not given to {username!r}.")
    return user


def grant_extension(
    session: Session,
    actor: Actor,
    assignment_id: int,
    due_at: datetime,
    now: datetime,
    *,
    username: str | None = None,
    section: str | None = None,
    extra_attempts: int = 0,
    reason: str = "",
) -> str:
    """Give one student (``username``) or one ``section`` a later due time and/or extra attempts
    per item, replacing an earlier extension of the same student or section. Returns a line
    saying what was given."""
    assignment = instructor_assignment(session, actor, assignment_id, "give extensions")
    if (username is None) == (section is None):
        raise TermActionError("Give the extension to one student or to one section.")
    problems = []
    if not isinstance(due_at, datetime) or due_at.utcoffset() is None:
        problems.append("The extended due time must be a timezone-aware date and time.")
    elif due_at <= assignment.due_at:
        problems.append(
            f"The extended due time must be after the assignment's due time "
            f"({when(assignment.due_at)}); it is {when(due_at)}."
        )
    if (
        not isinstance(extra_attempts, int)
        or isinstance(extra_attempts, bool)
        or not 0 <= extra_attempts <= MAX_ATTEMPTS
    ):
        problems.append(f"Extra attempts must be a whole number from 0 to {MAX_ATTEMPTS}.")
    if problems:
        raise TermActionError(" ".join(problems))
    fields: dict[str, Any]  # the extension's subject: a student or a section
    if username is not None:
        user = _student(session, assignment, username)
        match = AssignmentExtension.user_id == user.id
        subject, fields = username, {"user_id": user.id}
    else:
        assert section is not None
        known = session.scalar(
            select(func.count(User.id)).where(User.section == section, User.role == ROLE_STUDENT)
        )
        if not known:
            raise TermActionError(f"No student is in section {section!r}.")
        match = AssignmentExtension.section == section
        subject, fields = f"section {section}", {"section": section}
    existing = session.scalar(
        select(AssignmentExtension).where(AssignmentExtension.assignment_id == assignment.id, match)
    )
    old = _extension_words(existing) if existing is not None else ""
    creator = _actor_id(session, actor)
    before = totals(session, assignment)
    if existing is None:
        existing = AssignmentExtension(assignment_id=assignment.id, **fields)
    existing.due_at = due_at
    existing.extra_attempts = extra_attempts
    existing.created_by = creator
    existing.created_at = now
    session.add(existing)
    new = _extension_words(existing)
    audit(
        session,
        actor,
        assignment.id,
        "extension",
        now,
        subject=subject,
        old=old,
        new=new,
        reason=reason,
    )
    session.flush()
    _regrade_extended(session, actor, assignment, now, before, fields)
    return f"{subject}: {new}"


def _regrade_extended(
    session: Session,
    actor: Actor,
    assignment: Assignment,
    now: datetime,
    before: dict[int, float],
    whom: dict[str, Any],
) -> None:
    """After an extension changed, regrade the answers of the students it concerns (which of
    them were late may change), when there are any."""
    if "user_id" in whom:
        students = [whom["user_id"]]
    else:
        students = list(session.scalars(select(User.id).where(User.section == whom["section"])))
    answered = session.scalars(
        select(Submission.user_id)
        .where(Submission.assignment_id == assignment.id, Submission.user_id.in_(students))
        .distinct()
    ).all()
    for student in answered:
        _regrade_audited(session, actor, assignment, now, before, user_id=student)


def _extension_words(extension: AssignmentExtension) -> str:
    extra = extension.extra_attempts
    more = f", +{extra} attempt{'s' if extra != 1 else ''} per item" if extra else ""
    return f"due {when(extension.due_at)}{more}"


def remove_extension(
    session: Session,
    actor: Actor,
    assignment_id: int,
    now: datetime,
    *,
    username: str | None = None,
    section: str | None = None,
) -> None:
    """Take back a student's or a section's extension (their answers so far are kept)."""
    assignment = instructor_assignment(session, actor, assignment_id, "give extensions")
    if (username is None) == (section is None):
        raise TermActionError("Name one student or one section whose extension to take back.")
    whom: dict[str, Any]
    if username is not None:
        user = session.scalar(select(User).where(User.username == username))
        match = AssignmentExtension.user_id == (user.id if user else -1)
        subject, whom = username, {"user_id": user.id if user else -1}
    else:
        match = AssignmentExtension.section == section
        subject, whom = f"section {section}", {"section": section}
    existing = session.scalar(
        select(AssignmentExtension).where(AssignmentExtension.assignment_id == assignment.id, match)
    )
    if existing is None:
        raise TermActionError(f"{subject} has no extension on assignment {assignment.id}.")
    audit(
        session,
        actor,
        assignment.id,
        "extension removed",
        now,
        subject=subject,
        old=_extension_words(existing),
    )
    before = totals(session, assignment)
    session.delete(existing)
    session.flush()
    _regrade_extended(session, actor, assignment, now, before, whom)


@dataclass(frozen=True)
class ExtensionRow:
    """One extension of an assignment: for ``username`` or for ``section`` (one is set)."""

    username: str | None
    section: str | None
    due_at: datetime
    extra_attempts: int
    granted_by: str | None
    granted_at: datetime


def list_extensions(session: Session, actor: Actor, assignment_id: int) -> list[ExtensionRow]:
    """An assignment's extensions, students first (by username), then sections."""
    assignment = instructor_assignment(session, actor, assignment_id, "read extensions")
    names = dict(session.execute(select(User.id, User.username)).all())
    rows = [
        ExtensionRow(
            username=names.get(e.user_id) if e.user_id is not None else None,
            section=e.section,
            due_at=e.due_at,
            extra_attempts=e.extra_attempts,
            granted_by=names.get(e.created_by) if e.created_by is not None else None,
            granted_at=e.created_at,
        )
        for e in session.scalars(
            select(AssignmentExtension).where(AssignmentExtension.assignment_id == assignment.id)
        )
    ]
    return sorted(rows, key=lambda r: (r.username is None, r.username or "", r.section or ""))


@dataclass(frozen=True)
class StudentSight:
    """What one student (or, with ``username`` None, a student without an extension) sees of
    an assignment at a moment: their deadline and whether scores and answers are shown."""

    username: str | None
    deadline: Deadline
    scores_visible: bool
    answers_visible: bool
    release: Release


def what_students_see(
    session: Session,
    actor: Actor,
    assignment_id: int,
    now: datetime,
    username: str | None = None,
) -> StudentSight:
    """The instructor's preview of a student's view (instructors only)."""
    assignment = instructor_assignment(session, actor, assignment_id, "preview assignments")
    if username is None:
        rules = assignment_deadline(assignment)
    else:
        rules = student_deadline(session, assignment, _student(session, assignment, username).id)
    return StudentSight(
        username=username,
        deadline=rules,
        scores_visible=scores_visible(assignment, rules, now),
        answers_visible=answers_visible(assignment, rules, now),
        release=Release.of(assignment),
    )


def regrade_assignment(
    session: Session, actor: Actor, assignment_id: int, now: datetime
) -> RegradeReport:
    """Grade every stored answer again (after a grader fix) and audit what changed."""
    assignment = instructor_assignment(session, actor, assignment_id, "regrade assignments")
    return _regrade_audited(session, actor, assignment, now)


# --- release -----------------------------------------------------------------------------------


def release(
    session: Session,
    actor: Actor,
    assignment_id: int,
    now: datetime,
    *,
    scores: bool = True,
    answers: bool = False,
) -> str:
    """Show scores (and with ``answers`` also correct answers and worked solutions) to every
    student from now on. Answers released implies scores released."""
    assignment = instructor_assignment(session, actor, assignment_id, "release scores")
    if not scores and not answers:
        raise TermActionError("Say what to release: scores, answers, or both.")
    released = []
    for what in ("scores", "answers") if answers else ("scores",):
        rule, at = f"{what}_release", f"{what}_release_at"
        old = f"{getattr(assignment, rule)} {_shown(getattr(assignment, at))}"
        setattr(assignment, rule, RELEASE_BY_HAND)
        setattr(assignment, at, now)
        audit(
            session,
            actor,
            assignment.id,
            "release",
            now,
            subject=what,
            old=old,
            new=f"released {when(now)}",
        )
        released.append(what)
    assignment.updated_at = now
    session.flush()
    return f"released {' and '.join(released)} of assignment {assignment.id} at {when(now)}"


# --- overrides ---------------------------------------------------------------------------------


def override_score(
    session: Session,
    actor: Actor,
    assignment_id: int,
    username: str,
    position: int,
    points: float | None,
    reason: str,
    now: datetime,
) -> str:
    """Set ``username``'s points on item ``position`` (``None``: remove the override, the
    computed score counts again), with a reason; the audit log keeps old → new."""
    assignment = instructor_assignment(session, actor, assignment_id, "override scores")
    item = _item_at(assignment, position)
    user = _student(session, assignment, username)
    reason = (reason or "").strip()
    if not reason:
        raise TermActionError("Give a reason for the override: it is kept in the audit log.")
    if len(reason) > MAX_REASON_CHARS:
        raise TermActionError(f"The reason is longer than {MAX_REASON_CHARS} characters.")
    if points is not None and not (
        isinstance(points, int | float)
        and not isinstance(points, bool)
        and math.isfinite(points)
        and 0 <= points <= item.points
    ):
        raise TermActionError(
            f"Item {position} is worth {number_text(item.points)} "
            f"point{'' if item.points == 1 else 's'}: an override must be "
            f"from 0 to {number_text(item.points)}; got {points!r}."
        )
    creator = _actor_id(session, actor)
    existing = session.scalar(
        select(ScoreOverride).where(
            ScoreOverride.item_id == item.id, ScoreOverride.user_id == user.id
        )
    )
    computed = session.scalar(
        select(func.max(Submission.credit)).where(
            Submission.item_id == item.id, Submission.user_id == user.id
        )
    )
    computed_points = float(computed or 0.0) * item.points
    old = (
        f"{number_text(existing.points)} (override)"
        if existing is not None
        else f"{number_text(computed_points)} (computed)"
    )
    if points is None:
        if existing is None:
            raise TermActionError(f"{username} has no override on item {position}.")
        session.delete(existing)
        new = f"{number_text(computed_points)} (computed)"
    else:
        if existing is None:
            existing = ScoreOverride(assignment_id=assignment.id, item_id=item.id, user_id=user.id)
        existing.points = float(points)
        existing.reason = reason
        existing.created_by = creator
        existing.created_at = now
        session.add(existing)
        new = f"{number_text(float(points))} (override)"
    audit(
        session,
        actor,
        assignment.id,
        "override",
        now,
        subject=f"{username}, item {position}",
        old=old,
        new=new,
        reason=reason,
    )
    session.flush()
    return f"{username}, item {position}: {old} → {new}"


# --- deleting ----------------------------------------------------------------------------------


def assignment_export(session: Session, assignment: Assignment) -> dict[str, Any]:
    """Everything an assignment holds, as JSON values: settings, items, members, extensions,
    submissions, overrides, the audit log and each student's total."""
    names = dict(session.execute(select(User.id, User.username)).all())

    def rows(model: Any, *order: Any) -> list[dict[str, Any]]:
        found = session.scalars(
            select(model).where(model.assignment_id == assignment.id).order_by(*order)
        )
        return [
            {
                column.key: _json_value(getattr(row, column.key))
                for column in model.__table__.columns
            }
            for row in found
        ]

    settings = {
        column.key: _json_value(getattr(assignment, column.key))
        for column in Assignment.__table__.columns
    }
    return {
        "format": "stride-assignment-archive/1",
        "assignment": settings,
        "items": rows(AssignmentItem, AssignmentItem.position),
        "members": [names.get(r["user_id"]) for r in rows(AssignmentMember, AssignmentMember.id)],
        "extensions": rows(AssignmentExtension, AssignmentExtension.id),
        "submissions": rows(Submission, Submission.id),
        "overrides": rows(ScoreOverride, ScoreOverride.id),
        "audit": rows(AssignmentAudit, AssignmentAudit.id),
        "usernames": {str(k): v for k, v in names.items()},
        "totals": {
            names.get(user_id, str(user_id)): total
            for user_id, total in sorted(totals(session, assignment).items())
        },
    }


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def delete_assignment(
    session: Session,
    actor: Actor,
    assignment_id: int,
    now: datetime,
    *,
    confirm_title: str | None = None,
) -> int | None:
    """Delete an assignment. With submissions, ``confirm_title`` must be its title exactly, and
    its export is kept first (:class:`~quiz.store.models.AssignmentArchive`); returns the
    archive's id (``None`` when there was nothing to keep)."""
    assignment = instructor_assignment(session, actor, assignment_id, "delete assignments")
    submitted = session.scalar(
        select(func.count(Submission.id)).where(Submission.assignment_id == assignment.id)
    )
    archive_id = None
    if submitted:
        if confirm_title is None or confirm_title.strip() != assignment.title.strip():
            raise TermActionError(
                f"Assignment {assignment.id} has {submitted} submission"
                f"{'s' if submitted != 1 else ''}: type its title exactly "
                f"({assignment.title!r}) to delete it; an export is kept."
            )
        archive = AssignmentArchive(
            assignment_id=assignment.id,
            title=assignment.title,
            deleted_by=actor.username,
            deleted_at=now,
            export=json.dumps(assignment_export(session, assignment), sort_keys=True),
        )
        session.add(archive)
        session.flush()
        archive_id = archive.id
    session.delete(assignment)
    session.flush()
    return archive_id
