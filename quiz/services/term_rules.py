"""Each student's deadline and what they may see: extensions, the late window, score release.

Pure rules over an :class:`~quiz.store.models.Assignment` and the extensions that apply to one
student; the services (:mod:`quiz.services.assignments`, :mod:`quiz.services.gradebook`) load
the rows and follow these answers. The rules in words are in ``docs/assignment-rules.md``.

**Due time.** A student's due time is the assignment's ``due_at``, or their extension's when later
(moving the assignment's due time past an extension never shortens it): their own extension wins
over their section's. An extension may also add attempts per item.

**Late window.** With ``late_until`` set, answers after the student's due time are accepted up to
the end of the window and the late penalty is taken off their credit
(``credit × (1 − late_penalty)``). The window keeps its length for an extended student: it ends at
``extended due + (late_until − due_at)``. After that nothing more is accepted.

**Release.** Scores, and separately correct answers with worked solutions, are shown
``immediately``, ``after_due`` (once the student can answer no more: their due time, or the end
of their late window), ``on_date`` (from ``*_release_at``) or ``by_hand`` (hidden until an
instructor releases them, which sets ``*_release_at``). Answers are never shown while scores are
hidden: a worked solution gives the score away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from quiz.store.models import Assignment, AssignmentExtension, User
from quiz.vocabulary import (
    MODE_EXAM,
    RELEASE_AFTER_DUE,
    RELEASE_BY_HAND,
    RELEASE_IMMEDIATELY,
    RELEASE_ON_DATE,
)

PHASE_UPCOMING = "upcoming"
PHASE_ON_TIME = "on time"
PHASE_LATE = "late"
PHASE_CLOSED = "closed"

RELEASE_LABELS = {
    RELEASE_IMMEDIATELY: "immediately",
    RELEASE_AFTER_DUE: "after the due time",
    RELEASE_ON_DATE: "on a date",
    RELEASE_BY_HAND: "when released by hand",
}


def when(moment: datetime) -> str:
    """A datetime as shown in messages: ``2026-11-25 12:00 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def default_release(mode: str) -> str:
    """Homework shows everything at once; an exam hides it until an instructor releases it."""
    return RELEASE_BY_HAND if mode == MODE_EXAM else RELEASE_IMMEDIATELY


@dataclass(frozen=True)
class Deadline:
    """One student's time rules for one assignment.

    ``due_at`` is their due time (an extension applied), ``late_until`` the end of their late
    window (``None``: no late answers), ``max_attempts`` per item (extra attempts added);
    ``extended_by`` says whose extension applies (``"you"``, ``"section A"``) or is ``None``.
    """

    opens_at: datetime
    due_at: datetime
    late_until: datetime | None
    late_penalty: float
    max_attempts: int
    assignment_due_at: datetime
    extended_by: str | None = None

    @property
    def closes_at(self) -> datetime:
        """The last moment an answer is accepted."""
        return self.late_until if self.late_until is not None else self.due_at

    def phase(self, now: datetime) -> str:
        """``upcoming``, ``on time``, ``late`` (inside the late window) or ``closed``."""
        if now < self.opens_at:
            return PHASE_UPCOMING
        if now <= self.due_at:
            return PHASE_ON_TIME
        if self.late_until is not None and now <= self.late_until:
            return PHASE_LATE
        return PHASE_CLOSED

    def accepting(self, now: datetime) -> bool:
        return self.phase(now) in (PHASE_ON_TIME, PHASE_LATE)

    def credit_factor(self, now: datetime) -> float:
        """What an attempt made at ``now`` keeps of its credit: 1, or ``1 − penalty`` when late."""
        return 1.0 - self.late_penalty if self.phase(now) == PHASE_LATE else 1.0


def deadline(assignment: Assignment, extension: AssignmentExtension | None = None) -> Deadline:
    """The time rules of ``assignment`` for a student with ``extension`` (or none)."""
    due_at = assignment.due_at
    extra = 0
    extended_by = None
    if extension is not None:
        due_at = max(extension.due_at, assignment.due_at)  # an extension never shortens
        extra = extension.extra_attempts
        extended_by = "you" if extension.user_id is not None else f"section {extension.section}"
    late_until = None
    if assignment.late_until is not None and assignment.late_until > assignment.due_at:
        late_until = due_at + (assignment.late_until - assignment.due_at)
    return Deadline(
        opens_at=assignment.opens_at,
        due_at=due_at,
        late_until=late_until,
        late_penalty=assignment.late_penalty if late_until is not None else 0.0,
        max_attempts=assignment.max_attempts + extra,
        assignment_due_at=assignment.due_at,
        extended_by=extended_by,
    )


def counts_as_late(made_late: bool, made_at: datetime, rules: Deadline) -> bool:
    """Whether an answer's late penalty applies now: it was made in the late window
    (``made_late``, kept as it was when made) and is still after the student's due time. A
    later due time or an extension takes the penalty back, and taking those back puts it back;
    moving the due time earlier never makes an answer made in time late."""
    return made_late and made_at > rules.due_at


def assignment_deadline(assignment: Assignment) -> Deadline:
    """The time rules with no extension (what an instructor's preview and the list show)."""
    return deadline(assignment)


class Extensions:
    """Extensions by whom they are for, and the one rule of which applies to a student: their
    own, else their section's, else none."""

    def __init__(self, extensions: Iterable[AssignmentExtension]) -> None:
        self.own: dict[int, AssignmentExtension] = {}
        self.by_section: dict[str, AssignmentExtension] = {}
        for extension in extensions:
            if extension.user_id is not None:
                self.own[extension.user_id] = extension
            elif extension.section is not None:
                self.by_section[extension.section] = extension

    def for_student(self, student: User) -> AssignmentExtension | None:
        own = self.own.get(student.id)
        if own is not None or not student.section:
            return own
        return self.by_section.get(student.section)

    def deadline_of(self, assignment: Assignment, student: User) -> Deadline:
        """``student``'s deadline for ``assignment`` (these are its extensions)."""
        return deadline(assignment, self.for_student(student))


def assignment_extensions(session: Session, assignment_id: int) -> Extensions:
    """Every extension of one assignment (one query)."""
    return Extensions(
        session.scalars(
            select(AssignmentExtension).where(AssignmentExtension.assignment_id == assignment_id)
        )
    )


def extensions_for(
    session: Session, user: User, assignment_ids: Iterable[int]
) -> dict[int, AssignmentExtension]:
    """Per assignment id, the extension that applies to ``user`` (one query)."""
    ids = list(assignment_ids)
    if not ids:
        return {}
    whom = [AssignmentExtension.user_id == user.id]
    if user.section:
        whom.append(AssignmentExtension.section == user.section)
    grouped: dict[int, list[AssignmentExtension]] = {}
    for extension in session.scalars(
        select(AssignmentExtension).where(AssignmentExtension.assignment_id.in_(ids), or_(*whom))
    ):
        grouped.setdefault(extension.assignment_id, []).append(extension)
    found = {key: Extensions(group).for_student(user) for key, group in grouped.items()}
    return {key: extension for key, extension in found.items() if extension is not None}


def student_deadline(session: Session, assignment: Assignment, user_id: int) -> Deadline:
    """``user_id``'s time rules for ``assignment``."""
    user = session.get(User, user_id)
    if user is None:
        return deadline(assignment)
    return deadline(assignment, extensions_for(session, user, [assignment.id]).get(assignment.id))


def _released(rule: str, release_at: datetime | None, rules: Deadline, now: datetime) -> bool:
    if rule == RELEASE_IMMEDIATELY:
        return True
    if rule == RELEASE_AFTER_DUE:
        return now > rules.closes_at
    if rule in (RELEASE_ON_DATE, RELEASE_BY_HAND):
        return release_at is not None and now >= release_at
    return False  # an unknown rule shows nothing


def scores_visible(assignment: Assignment, rules: Deadline, now: datetime) -> bool:
    """Whether the student with ``rules`` sees their scores (and correctness) now."""
    return _released(assignment.scores_release, assignment.scores_release_at, rules, now)


def answers_visible(assignment: Assignment, rules: Deadline, now: datetime) -> bool:
    """Whether they see correct answers and worked solutions now (never before the scores)."""
    return scores_visible(assignment, rules, now) and _released(
        assignment.answers_release, assignment.answers_release_at, rules, now
    )


TimeFormat = Callable[[datetime], str]
"""How a page shows a time (the services' messages use :func:`when`, in UTC)."""


@dataclass(frozen=True)
class Release:
    """An assignment's release rules, as a student's view carries them."""

    scores: str
    scores_at: datetime | None
    answers: str
    answers_at: datetime | None

    @classmethod
    def of(cls, assignment: Assignment) -> Release:
        return cls(
            assignment.scores_release,
            assignment.scores_release_at,
            assignment.answers_release,
            assignment.answers_release_at,
        )


def release_description(rule: str, release_at: datetime | None, fmt: TimeFormat = when) -> str:
    """``"immediately"``, ``"after the due time"``, ``"on 2026-12-11 09:00 UTC"``, ``"released
    2026-12-11 09:00 UTC"`` or ``"when released by hand (not yet)"``."""
    if rule == RELEASE_ON_DATE and release_at is not None:
        return f"on {fmt(release_at)}"
    if rule == RELEASE_BY_HAND:
        return f"released {fmt(release_at)}" if release_at else "when released by hand (not yet)"
    return RELEASE_LABELS.get(rule, rule)


def release_note(
    release: Release, scores_shown: bool, answers_shown: bool, fmt: TimeFormat = when
) -> str:
    """A sentence saying when hidden scores or answers appear (empty when all is shown)."""
    if answers_shown:
        return ""
    answers = release_description(release.answers, release.answers_at, fmt)
    if scores_shown:
        return f"Correct answers and worked solutions are shown {answers}."
    scores = release_description(release.scores, release.scores_at, fmt)
    if scores == answers or release.answers == RELEASE_IMMEDIATELY:  # answers follow the scores
        return f"Scores and worked solutions are shown {scores}."
    return (
        f"Scores are shown {scores}; correct answers and worked solutions {answers}, "
        "not before the scores."
    )


def due_line(rules: Deadline, fmt: TimeFormat = when) -> str:
    """What the student reads: ``due 2026-12-11 23:59 UTC · you have an extension to …``."""
    parts = [f"due {fmt(rules.assignment_due_at)}"]
    if rules.extended_by is not None:
        whose = "you have" if rules.extended_by == "you" else f"{rules.extended_by} has"
        parts.append(f"{whose} an extension to {fmt(rules.due_at)}")
    if rules.late_until is not None:
        off = f"{rules.late_penalty:.0%} off" if rules.late_penalty else "no penalty"
        parts.append(f"late answers until {fmt(rules.late_until)} ({off})")
    return " · ".join(parts)


LATE_WINDOW_MAX = timedelta(days=366)
"""Longest late window an assignment may have (a typo guard)."""
