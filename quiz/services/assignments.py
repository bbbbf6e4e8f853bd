"""Auto-graded assignments: creating them, each student's variants, the student's view, submitting.

The reporting half (gradebook, submission history, CSV export, regrading) is
:mod:`quiz.services.gradebook`. Every function takes the acting user (:class:`Actor`) and checks
it before reading or writing anything.

The rules these functions enforce (who, when, variants and their seeds, attempts, credit,
feedback) are specified once, in ``docs/assignment-rules.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quiz.decks.model import side_problems
from quiz.exercises.base import DIFFICULTIES, Exercise
from quiz.exercises.constraints import make_constrained, params_from_json
from quiz.exercises.registry import FAMILIES, get_family
from quiz.grading import Grade
from quiz.services.access import Actor, PermissionDenied, require_instructor
from quiz.services.answer_limits import grade_answer
from quiz.services.term_rules import (
    LATE_WINDOW_MAX,
    PHASE_CLOSED,
    PHASE_LATE,
    PHASE_UPCOMING,
    Deadline,
    Release,
    answers_visible,
    assignment_deadline,
    counts_as_late,
    deadline,
    default_release,
    extensions_for,
    scores_visible,
    student_deadline,
    when,
)
from quiz.store.models import (
    Assignment,
    AssignmentItem,
    AssignmentMember,
    Card,
    FormatError,
    ScoreOverride,
    Submission,
    User,
)
from quiz.store.server_secret import session_secret
from quiz.vocabulary import (
    ASSIGNMENT_MODES,
    CARD_KIND_EXERCISE,
    MODE_EXAM,
    RELEASE_ON_DATE,
    RELEASE_RULES,
    ROLE_STUDENT,
)

SEED_MASK = 2**31 - 1
"""Seeds are stored in 31 bits (``Submission.seed``)."""
ASSIGNMENT_SEED_BIT = 2**30
"""Set in every assignment seed, never in a Practice seed: the two seed spaces are disjoint."""
_VARIANT_DOMAIN = b"stride/assignment-variant/v1"
DEFAULT_CREDIT_SCHEDULE = (1.0, 0.7, 0.5)
MAX_ATTEMPTS = 20
MAX_POINTS = 1000.0
MAX_COPIES = 50
MAX_TITLE_CHARS = 500
DUE_SOON = timedelta(hours=48)

STATUS_UPCOMING = "upcoming"
STATUS_OPEN = "open"
STATUS_DUE_SOON = "due soon"
STATUS_CLOSED = "closed"
STATUS_DONE = "done"
STATUS_LATE = "late window"

NOT_GIVEN_TO_YOU = "This assignment does not exist or was not given to you."


# --- errors ------------------------------------------------------------------------------------


class AssignmentSpecError(ValueError):
    """An assignment that cannot be saved; ``problems`` lists every reason, in plain sentences."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("The assignment was not saved:\n" + "\n".join(f"- {p}" for p in problems))


class AssignmentNotFoundError(LookupError):
    """An instructor named an assignment id that does not exist."""


class AssignmentNotOpenError(ValueError):
    """A student tried to open an assignment before ``opens_at``; the message says when it opens."""


class SubmissionRefused(ValueError):
    """An answer that was not accepted; the message is for the student."""


class DuplicateSubmission(SubmissionRefused):
    """The same attempt was submitted twice at once (double click, two tabs): one was recorded."""


class ItemNotInAssignment(SubmissionRefused, PermissionDenied):
    """The item id is not one of this assignment's (whether it exists elsewhere or not).

    It is both a :class:`SubmissionRefused` (a student's form names a wrong item) and a
    :class:`PermissionDenied` (an item of an assignment the student may not answer).
    """


# --- specs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """``count`` problem slots worth ``points`` each: a family at a difficulty, or a deck entry.

    With ``card_id`` (an exercise entry of a deck) the family, difficulty and parameter ranges are
    copied from the card, and ``family``/``difficulty`` here are ignored (may be ``None``).
    """

    family: str | None
    difficulty: int | None = 2
    count: int = 1
    points: float = 1.0
    card_id: int | None = None


@dataclass(frozen=True)
class AssignmentSpec:
    """What an instructor fills in (``student_ids=None``: every student, now and later)."""

    title: str
    instructions: str
    mode: str
    opens_at: datetime
    due_at: datetime
    max_attempts: int
    items: Sequence[ItemSpec]
    credit_schedule: Sequence[float] = DEFAULT_CREDIT_SCHEDULE
    student_ids: Sequence[int] | None = None
    late_until: datetime | None = None
    late_penalty: float = 0.0
    scores_release: str | None = None
    """``None``: the mode's default (:func:`~quiz.services.term_rules.default_release`)."""
    scores_release_at: datetime | None = None
    answers_release: str | None = None
    answers_release_at: datetime | None = None


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentSummary:
    """One line of an assignment list.

    For a student: ``status`` (see the module rules), ``score`` so far (``None`` while an exam's
    results are hidden) out of ``max_score``, and ``done``. For an instructor: ``students`` it is
    given to and ``submissions`` recorded (``score`` is ``None``, ``done`` false).
    """

    assignment_id: int
    title: str
    mode: str
    opens_at: datetime
    due_at: datetime
    status: str
    items: int
    max_score: float
    score: float | None = None
    done: bool = False
    students: int | None = None
    submissions: int | None = None
    deadline: Deadline | None = None
    """The student's time rules (extension, late window); :func:`~quiz.services.term_rules.due_line`
    says them in words."""


@dataclass(frozen=True)
class AttemptView:
    """One past answer. Score fields are ``None`` while scores are hidden (the release rule);
    ``exercise`` is the variant answered, with its worked solution, once answers are released.
    ``late``: answered inside the late window (the penalty is in ``credit``)."""

    attempt_number: int
    submitted_at: datetime
    raw_answer: str
    score: float | None
    credit: float | None
    correct: bool | None
    mistake: str | None
    mistake_description: str | None
    exercise: Exercise | None
    late: bool = False


@dataclass(frozen=True)
class ItemView:
    """One problem as the student sees it now.

    ``exercise`` is the variant to answer: the next attempt's (homework) or the only one (exam);
    once attempts run out, the last one answered. ``credit`` (0–1) and ``points_earned`` are the
    best so far, ``None`` while hidden; ``correct`` is whether any attempt was right.
    """

    item_id: int
    position: int
    points: float
    family: str
    family_title: str
    difficulty: int
    exercise: Exercise
    attempts_used: int
    attempts_left: int
    credit: float | None
    points_earned: float | None
    correct: bool | None
    attempts: tuple[AttemptView, ...] = ()


@dataclass(frozen=True)
class AssignmentView:
    """An assignment opened by a student (or previewed by an instructor, ``preview`` true).

    ``due_at`` and ``max_attempts`` are this student's (an extension applied); ``accepting``
    says whether answers are accepted now (``late`` when inside the late window, with
    ``late_penalty`` off); ``scores_visible`` and ``answers_visible`` follow the release rules
    (:mod:`quiz.services.term_rules`). ``score`` is ``None`` while scores are hidden.
    """

    assignment_id: int
    title: str
    instructions: str
    mode: str
    opens_at: datetime
    due_at: datetime
    max_attempts: int
    credit_schedule: tuple[float, ...]
    status: str
    accepting: bool
    scores_visible: bool
    answers_visible: bool
    preview: bool
    score: float | None
    max_score: float
    items: tuple[ItemView, ...] = field(default_factory=tuple)
    deadline: Deadline | None = None
    release: Release | None = None
    late: bool = False
    """Answers now count as late (inside the late window, the penalty taken off)."""


@dataclass(frozen=True)
class SubmissionResult:
    """What a submit did and what the student may see now.

    ``recorded`` is false for a format error (``grade.format_error`` says what was expected; no
    attempt used). For a recorded homework attempt ``grade`` is the full grade and ``credit`` /
    ``item_credit`` (best so far) are set; in an exam they are ``None`` and ``message`` is only
    "Answer recorded, attempt k of n."
    """

    recorded: bool
    message: str
    attempt_number: int | None
    attempts_left: int
    grade: Grade | None
    credit: float | None = None
    item_credit: float | None = None
    submission_id: int | None = None


# --- rules shared with the gradebook -----------------------------------------------------------


def assignment_seed(
    secret: bytes, assignment_id: int, user_id: int, item_id: int, attempt_number: int | None
) -> int:
    """The seed of a student's variant; ``attempt_number=None`` is the exam's single variant.

    ``HMAC-SHA256(secret, "stride/assignment-variant/v1:{assignment_id}:{user_id}:{item_id}:
    {attempt_number or 'exam'}")``, first 4 bytes, in ``[2**30, 2**31)`` (bit 30 set, see
    :data:`ASSIGNMENT_SEED_BIT`): stable for one secret, different for every student, and not
    computable without the secret.
    """
    if not secret:
        raise ValueError("assignment seeds need the server secret")
    attempt = "exam" if attempt_number is None else str(int(attempt_number))
    parts = (str(int(n)) for n in (assignment_id, user_id, item_id))
    message = b":".join([_VARIANT_DOMAIN, *(p.encode() for p in parts), attempt.encode()])
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    low = int.from_bytes(digest[:4], "big") & (ASSIGNMENT_SEED_BIT - 1)
    return ASSIGNMENT_SEED_BIT | low


def variant(
    item: AssignmentItem, mode: str, user_id: int, attempt_number: int, secret: bytes
) -> Exercise:
    """The variant ``user_id`` answers at ``attempt_number`` (any attempt in exam mode: one).

    Every seed tried to meet the item's parameter ranges keeps bit 30, so the variant's own
    seed (``Exercise.seed``, stored with a submission) is outside Practice's seeds too."""
    seed = assignment_seed(
        secret,
        item.assignment_id,
        user_id,
        item.id,
        None if mode == MODE_EXAM else attempt_number,
    )
    constraints = params_from_json(json.loads(item.params or "{}"))
    family = get_family(item.family)
    return make_constrained(family, seed, item.difficulty, constraints, seed_bits=30)


def regenerate(item: AssignmentItem, seed: int) -> Exercise:
    """The variant a stored submission answered (``Submission.seed`` is the variant's own seed)."""
    return get_family(item.family).make(seed, item.difficulty)


def parse_credit_schedule(text: str) -> tuple[float, ...]:
    """``"1,0.7,0.5"`` → ``(1.0, 0.7, 0.5)`` (an empty text is ``(1.0,)``)."""
    values = tuple(float(part) for part in text.split(",") if part.strip())
    return values or (1.0,)


def attempt_credit(
    mode: str, schedule: Sequence[float], attempt_number: int, score: float
) -> float:
    """Credit of one attempt: homework ``score``; exam ``score × c[min(k, len(c)) − 1]``."""
    if mode != MODE_EXAM:
        return score
    return score * schedule[min(attempt_number, len(schedule)) - 1]


def live_items(assignment: Assignment) -> list[AssignmentItem]:
    """The items students see and totals count: every item not removed, in order."""
    return [item for item in assignment.items if item.removed_at is None]


def family_title(family_id: str) -> str:
    family = FAMILIES.get(family_id)
    return family.title if family is not None else family_id


def mistake_description(family_id: str, tag: str | None) -> str | None:
    """The family's short description of a mistake tag (``None`` when it has none)."""
    family = FAMILIES.get(family_id)
    if tag is None or family is None:
        return None
    return family.mistake_tags.get(tag)


def is_given_to(session: Session, assignment: Assignment, actor: Actor) -> bool:
    """Whether ``actor`` is a student this assignment was given to."""
    if actor.role != ROLE_STUDENT:
        return False
    if assignment.for_all_students:
        return True
    member = select(AssignmentMember.id).where(
        AssignmentMember.assignment_id == assignment.id,
        AssignmentMember.user_id == actor.user_id,
    )
    return session.scalar(member) is not None


def student_assignment(session: Session, actor: Actor, assignment_id: int) -> Assignment:
    """The assignment if it was given to ``actor``; the same refusal whether it exists or not."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or not is_given_to(session, assignment, actor):
        raise PermissionDenied(NOT_GIVEN_TO_YOU)
    return assignment


def instructor_assignment(
    session: Session, actor: Actor, assignment_id: int, action: str
) -> Assignment:
    """The assignment, after checking that ``actor`` is an instructor (who may ``action``)."""
    require_instructor(actor, action)
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise AssignmentNotFoundError(f"There is no assignment {assignment_id}.")
    return assignment


# --- creating ----------------------------------------------------------------------------------


def create_assignment(session: Session, actor: Actor, spec: AssignmentSpec, now: datetime) -> int:
    """Validate ``spec`` and save it (instructors only); return the new assignment's id.

    Every problem is reported at once in one :class:`AssignmentSpecError`; nothing is written
    then. Each item spec becomes ``count`` items (positions 1, 2, … in order); an item from a deck
    entry copies the entry's family, difficulty and parameter ranges, so editing the deck later
    does not change the assignment.
    """
    require_instructor(actor, "create assignments")
    problems = _spec_problems(session, spec)
    if problems:
        raise AssignmentSpecError(problems)
    creator = session.get(User, actor.user_id)
    assignment = Assignment(
        title=spec.title.strip(),
        instructions=spec.instructions.strip(),
        mode=spec.mode,
        opens_at=spec.opens_at,
        due_at=spec.due_at,
        max_attempts=spec.max_attempts,
        credit_schedule=",".join(format(float(v), ".10g") for v in spec.credit_schedule),
        for_all_students=spec.student_ids is None,
        created_by=creator.id if creator is not None else None,
        created_at=now,
        updated_at=now,
        late_until=spec.late_until,
        late_penalty=float(spec.late_penalty) if spec.late_until is not None else 0.0,
        scores_release=spec.scores_release or default_release(spec.mode),
        scores_release_at=spec.scores_release_at,
        answers_release=spec.answers_release or default_release(spec.mode),
        answers_release_at=spec.answers_release_at,
    )
    position = 0
    for item in spec.items:
        family, difficulty, params = item.family, item.difficulty, None
        if item.card_id is not None:
            card = session.get(Card, item.card_id)
            assert card is not None  # checked by _spec_problems
            family, difficulty, params = (
                card.exercise_family,
                card.exercise_difficulty or 2,
                card.exercise_params,
            )
        for _ in range(item.count):
            position += 1
            assignment.items.append(
                AssignmentItem(
                    position=position,
                    family=family,
                    difficulty=difficulty,
                    params=params,
                    card_id=item.card_id,
                    points=float(item.points),
                )
            )
    session.add(assignment)
    session.flush()
    for user_id in dict.fromkeys(spec.student_ids or ()):
        session.add(AssignmentMember(assignment_id=assignment.id, user_id=user_id))
    session.flush()
    return assignment.id


def _spec_problems(session: Session, spec: AssignmentSpec) -> list[str]:
    problems = title_problems(spec.title)
    if isinstance(spec.instructions, str):
        problems += instructions_problems(spec.instructions)
    if spec.mode not in ASSIGNMENT_MODES:
        problems.append(f"The mode must be 'homework' or 'exam'; got {spec.mode!r}.")
    problems += time_problems(spec.opens_at, spec.due_at)
    problems += late_problems(spec.due_at, spec.late_until, spec.late_penalty)
    problems += release_problems("scores", spec.scores_release, spec.scores_release_at)
    problems += release_problems("answers", spec.answers_release, spec.answers_release_at)
    problems += attempts_problems(spec.max_attempts)
    problems += schedule_problems(spec.credit_schedule)
    if not spec.items:
        problems.append("The assignment has no problems: add at least one item.")
    for number, item in enumerate(spec.items, start=1):
        problems += [f"Item {number}: {p}" for p in item_problems(session, item)]
    if spec.student_ids is not None:
        problems += _member_problems(session, spec.student_ids)
    return problems


def time_problems(opens_at: Any, due_at: Any) -> list[str]:
    problems = []
    for name, value in (("opening time", opens_at), ("due time", due_at)):
        if not isinstance(value, datetime):
            problems.append(f"The {name} must be a date and time; got {value!r}.")
        elif value.tzinfo is None or value.utcoffset() is None:
            problems.append(
                f"The {name} ({value:%Y-%m-%d %H:%M}) has no time zone: give a timezone-aware "
                "UTC datetime."
            )
    if not problems and due_at <= opens_at:
        problems.append(
            f"The due time ({when(due_at)}) must be after the opening time ({when(opens_at)})."
        )
    return problems


def attempts_problems(attempts: Any) -> list[str]:
    """What is wrong with the number of attempts per item (a whole number, 1–20)."""
    if _whole_in(attempts, 1, MAX_ATTEMPTS):
        return []
    return [
        f"Attempts per problem must be a whole number from 1 to {MAX_ATTEMPTS}; got {attempts!r}."
    ]


def title_problems(title: Any) -> list[str]:
    """What is wrong with an assignment's title (it is stored stripped)."""
    text = title.strip() if isinstance(title, str) else ""
    if not text:
        return ["The title is empty: give the assignment a title."]
    if len(text) > MAX_TITLE_CHARS:
        return [f"The title is {len(text)} characters long; at most {MAX_TITLE_CHARS} are allowed."]
    return []


def instructions_problems(instructions: Any) -> list[str]:
    """What is wrong with the instructions: shown as card text is, with the same limits."""
    if not isinstance(instructions, str):
        return ["The instructions must be text."]
    return [
        f"{problem.message[0].upper()}{problem.message[1:]}."
        for problem in side_problems("the instructions text", instructions, 0)
    ]


def late_problems(due_at: Any, late_until: Any, penalty: Any) -> list[str]:
    """What is wrong with a late window ending ``late_until`` with ``penalty`` off (0–1). The
    penalty is checked without a window too (it still applies to answers made late before)."""
    if not (_is_number(penalty) and 0 <= penalty <= 1):
        return [
            f"The late penalty must be a fraction from 0 to 1 (0.2 = 20 % off); got {penalty!r}."
        ]
    if late_until is None:
        return []
    if not isinstance(late_until, datetime) or late_until.utcoffset() is None:
        return [
            "The end of the late window must be a timezone-aware date and time; "
            f"got {late_until!r}."
        ]
    problems = []
    if isinstance(due_at, datetime) and due_at.utcoffset() is not None:
        if late_until <= due_at:
            problems.append(
                f"The late window must end after the due time ({when(due_at)}); "
                f"it ends {when(late_until)}."
            )
        elif late_until - due_at > LATE_WINDOW_MAX:
            problems.append(
                f"The late window may last at most {LATE_WINDOW_MAX.days} days after the due "
                f"time; it ends {when(late_until)}."
            )
    return problems


def release_problems(what: str, rule: Any, release_at: Any) -> list[str]:
    """What is wrong with the release rule of ``what`` (``scores`` or ``answers``)."""
    if rule is None:
        return []
    if rule not in RELEASE_RULES:
        return [f"The {what} release must be one of {', '.join(RELEASE_RULES)}; got {rule!r}."]
    if rule == RELEASE_ON_DATE and (
        not isinstance(release_at, datetime) or release_at.utcoffset() is None
    ):
        return [f"The {what} release is on a date: give that date and time (with a time zone)."]
    return []


def schedule_problems(schedule: Sequence[float]) -> list[str]:
    values = list(schedule)
    if not values:
        return ["The credit schedule is empty: give the credit of attempt 1 at least (e.g. 1)."]
    if not all(_is_number(v) for v in values):
        return [f"The credit schedule must be numbers; got {values!r}."]
    problems = [
        f"Credit schedule value {v:g} (attempt {k}) must be more than 0 and at most 1."
        for k, v in enumerate(values, start=1)
        if not 0 < v <= 1
    ]
    for k in range(1, len(values)):
        if values[k] > values[k - 1]:
            problems.append(
                "The credit schedule must not increase from one attempt to the next; attempt "
                f"{k + 1} earns {values[k]:g}, more than attempt {k}'s {values[k - 1]:g}."
            )
    return problems


def item_problems(session: Session, item: ItemSpec) -> list[str]:
    problems = []
    if not _whole_in(item.count, 1, MAX_COPIES):
        problems.append(
            f"the count of copies must be a whole number from 1 to {MAX_COPIES}; "
            f"got {item.count!r}."
        )
    if not (_is_number(item.points) and 0 < item.points <= MAX_POINTS):
        problems.append(
            f"points must be more than 0 and at most {MAX_POINTS:g}; got {item.points!r}."
        )
    if item.card_id is not None:
        card = session.get(Card, item.card_id)
        if card is None:
            problems.append(f"there is no card {item.card_id}.")
        elif card.kind != CARD_KIND_EXERCISE or card.exercise_family is None:
            problems.append(
                f"card {item.card_id} is a flashcard, not an exercise entry of a deck; "
                "only exercise entries can be assignment problems."
            )
        return problems
    if item.family not in FAMILIES:
        problems.append(
            f"unknown exercise family {item.family!r}; expected one of {', '.join(FAMILIES)}."
        )
    if item.difficulty not in DIFFICULTIES or isinstance(item.difficulty, bool):
        problems.append(f"the difficulty must be 1, 2 or 3; got {item.difficulty!r}.")
    return problems


def _member_problems(session: Session, student_ids: Sequence[int]) -> list[str]:
    ids = list(dict.fromkeys(student_ids))
    if not ids:
        return [
            "The list of students is empty: choose at least one student, "
            "or give the assignment to all students."
        ]
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    problems = []
    for user_id in ids:
        user = users.get(user_id)
        if user is None:
            problems.append(f"There is no user {user_id} to give the assignment to.")
        elif user.role != ROLE_STUDENT:
            problems.append(f"User {user_id} ({user.username}) is not a student.")
        elif not user.active:
            problems.append(f"Student {user_id} ({user.username}) is deactivated.")
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# --- the student's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Progress:
    """One student's submissions on one item, aggregated."""

    used: int = 0
    best_credit: float = 0.0
    any_correct: bool = False


def status_of(rules: Deadline, now: datetime, done: bool = False) -> str:
    """``upcoming`` / ``closed`` / ``done`` / ``late window`` / ``due soon`` / ``open`` for a
    student with ``rules`` (see the module rules)."""
    phase = rules.phase(now)
    if phase == PHASE_UPCOMING:
        return STATUS_UPCOMING
    if phase == PHASE_CLOSED:
        return STATUS_CLOSED
    if done:
        return STATUS_DONE
    if phase == PHASE_LATE:
        return STATUS_LATE
    return STATUS_DUE_SOON if rules.due_at - now <= DUE_SOON else STATUS_OPEN


def _item_finished(rules: Deadline, progress: _Progress, reveal: bool) -> bool:
    out_of_attempts = progress.used >= rules.max_attempts
    return out_of_attempts or (reveal and progress.any_correct)


def assignments_for(session: Session, actor: Actor, now: datetime) -> list[AssignmentSummary]:
    """The assignments ``actor`` sees, soonest due first.

    A student: those given to them, with status, score so far (hidden in an exam before the due
    time) and maximum. An instructor: every assignment, with its students and submissions.
    """
    if actor.is_instructor:
        return _instructor_summaries(session, now)
    if actor.role != ROLE_STUDENT:
        return []
    members = select(AssignmentMember.assignment_id).where(
        AssignmentMember.user_id == actor.user_id
    )
    assignments = session.scalars(
        select(Assignment)
        .where(or_(Assignment.for_all_students, Assignment.id.in_(members)))
        .order_by(Assignment.due_at, Assignment.id)
    ).all()
    if not assignments:
        return []
    ids = [a.id for a in assignments]
    items_by_assignment: dict[int, list[AssignmentItem]] = {i: [] for i in ids}
    for item in session.scalars(
        select(AssignmentItem).where(
            AssignmentItem.assignment_id.in_(ids), AssignmentItem.removed_at.is_(None)
        )
    ):
        items_by_assignment[item.assignment_id].append(item)
    progress = _progress(session, actor.user_id, ids)
    student = session.get(User, actor.user_id)
    extensions = extensions_for(session, student, ids) if student is not None else {}
    overrides = _overrides(session, actor.user_id, ids)
    summaries = []
    for assignment in assignments:
        items = items_by_assignment[assignment.id]
        rules = deadline(assignment, extensions.get(assignment.id))
        reveal = scores_visible(assignment, rules, now)
        done = bool(items) and all(
            _item_finished(rules, progress.get(i.id, _Progress()), reveal) for i in items
        )
        score = sum(
            overrides.get(i.id, progress.get(i.id, _Progress()).best_credit * i.points)
            for i in items
        )
        summaries.append(
            AssignmentSummary(
                assignment_id=assignment.id,
                title=assignment.title,
                mode=assignment.mode,
                opens_at=assignment.opens_at,
                due_at=rules.due_at,
                status=status_of(rules, now, done),
                items=len(items),
                max_score=sum(i.points for i in items),
                score=score if reveal else None,
                done=done,
                deadline=rules,
            )
        )
    return summaries


def _overrides(session: Session, user_id: int, assignment_ids: list[int]) -> dict[int, float]:
    """Per item id, the points an instructor set for ``user_id`` (overrides, one query)."""
    return dict(
        session.execute(
            select(ScoreOverride.item_id, ScoreOverride.points).where(
                ScoreOverride.user_id == user_id,
                ScoreOverride.assignment_id.in_(assignment_ids),
            )
        ).all()
    )


def _progress(session: Session, user_id: int, assignment_ids: list[int]) -> dict[int, _Progress]:
    """Per item id: attempts used, best credit and whether any was correct (one grouped query)."""
    rows = session.execute(
        select(
            Submission.item_id,
            func.count(Submission.id),
            func.max(Submission.credit),
            func.max(case((Submission.correct, 1), else_=0)),
        )
        .where(Submission.user_id == user_id, Submission.assignment_id.in_(assignment_ids))
        .group_by(Submission.item_id)
    )
    return {
        item_id: _Progress(int(used), float(best or 0.0), bool(correct))
        for item_id, used, best, correct in rows
    }


def _instructor_summaries(session: Session, now: datetime) -> list[AssignmentSummary]:
    assignments = session.scalars(select(Assignment).order_by(Assignment.due_at, Assignment.id))
    items = {
        row[0]: (int(row[1]), float(row[2] or 0.0))
        for row in session.execute(
            select(
                AssignmentItem.assignment_id,
                func.count(AssignmentItem.id),
                func.sum(AssignmentItem.points),
            )
            .where(AssignmentItem.removed_at.is_(None))
            .group_by(AssignmentItem.assignment_id)
        )
    }
    submissions = dict(
        session.execute(
            select(Submission.assignment_id, func.count(Submission.id)).group_by(
                Submission.assignment_id
            )
        ).all()
    )
    members = dict(
        session.execute(
            select(AssignmentMember.assignment_id, func.count(AssignmentMember.id)).group_by(
                AssignmentMember.assignment_id
            )
        ).all()
    )
    all_students = session.scalar(
        select(func.count(User.id)).where(User.role == ROLE_STUDENT, User.active)
    )
    return [
        AssignmentSummary(
            assignment_id=a.id,
            title=a.title,
            mode=a.mode,
            opens_at=a.opens_at,
            due_at=a.due_at,
            status=status_of(assignment_deadline(a), now),
            items=items.get(a.id, (0, 0.0))[0],
            max_score=items.get(a.id, (0, 0.0))[1],
            students=int(all_students or 0) if a.for_all_students else int(members.get(a.id, 0)),
            submissions=int(submissions.get(a.id, 0)),
        )
        for a in assignments
    ]


def open_assignment(
    session: Session, actor: Actor, assignment_id: int, now: datetime
) -> AssignmentView:
    """The assignment as ``actor`` sees it now.

    A student must have been given it (else :class:`PermissionDenied`, the same whether the id
    exists or not) and it must have opened (else :class:`AssignmentNotOpenError` saying when it
    opens). An instructor may preview any assignment at any time, with their own variants.
    """
    if actor.is_instructor:
        assignment = instructor_assignment(session, actor, assignment_id, "preview assignments")
    else:
        assignment = student_assignment(session, actor, assignment_id)
        if now < assignment.opens_at:
            raise AssignmentNotOpenError(
                f"This assignment opens at {when(assignment.opens_at)}; come back then."
            )
    if actor.is_instructor:
        rules = assignment_deadline(assignment)
    else:
        rules = student_deadline(session, assignment, actor.user_id)
    shown = Shown(scores_visible(assignment, rules, now), answers_visible(assignment, rules, now))
    schedule = parse_credit_schedule(assignment.credit_schedule)
    items = live_items(assignment)
    submissions: dict[int, list[Submission]] = {item.id: [] for item in items}
    for submission in session.scalars(
        select(Submission)
        .where(Submission.assignment_id == assignment.id, Submission.user_id == actor.user_id)
        .order_by(Submission.item_id, Submission.attempt_number)
    ):
        submissions.setdefault(submission.item_id, []).append(submission)
    overrides = _overrides(session, actor.user_id, [assignment.id])
    secret = session_secret(session)
    views = tuple(
        _item_view(
            assignment,
            item,
            actor.user_id,
            submissions[item.id],
            rules,
            shown,
            secret,
            overrides.get(item.id),
        )
        for item in items
    )
    done = bool(views) and all(
        v.attempts_left == 0 or (shown.scores and bool(v.correct)) for v in views
    )
    return AssignmentView(
        assignment_id=assignment.id,
        title=assignment.title,
        instructions=assignment.instructions,
        mode=assignment.mode,
        opens_at=assignment.opens_at,
        due_at=rules.due_at,
        max_attempts=rules.max_attempts,
        credit_schedule=schedule,
        status=status_of(rules, now, done),
        accepting=rules.accepting(now),
        scores_visible=shown.scores,
        answers_visible=shown.answers,
        preview=actor.is_instructor,
        score=sum(v.points_earned or 0.0 for v in views) if shown.scores else None,
        max_score=sum(item.points for item in items),
        items=views,
        deadline=rules,
        release=Release.of(assignment),
        late=rules.phase(now) == PHASE_LATE,
    )


@dataclass(frozen=True)
class Shown:
    """What a student sees now: their scores, and correct answers with worked solutions."""

    scores: bool
    answers: bool


def _item_view(
    assignment: Assignment,
    item: AssignmentItem,
    user_id: int,
    submissions: list[Submission],
    rules: Deadline,
    shown: Shown,
    secret: bytes,
    override: float | None = None,
) -> ItemView:
    used = len(submissions)
    left = max(rules.max_attempts - used, 0)
    shown_attempt = used + 1 if left else max(used, 1)
    best = max((s.credit for s in submissions), default=0.0)
    if override is not None:  # an instructor's score for this item replaces the computed one
        best = override / item.points if item.points else 0.0
    reveal = shown.scores
    attempts = tuple(
        AttemptView(
            attempt_number=s.attempt_number,
            submitted_at=s.created_at,
            raw_answer=s.raw_answer,
            score=s.score if reveal else None,
            credit=s.credit if reveal else None,
            correct=s.correct if reveal else None,
            mistake=s.mistake if reveal else None,
            mistake_description=mistake_description(item.family, s.mistake) if reveal else None,
            exercise=regenerate(item, s.seed) if shown.answers else None,
            late=counts_as_late(s.late, s.created_at, rules),
        )
        for s in submissions
    )
    return ItemView(
        item_id=item.id,
        position=item.position,
        points=item.points,
        family=item.family,
        family_title=family_title(item.family),
        difficulty=item.difficulty,
        exercise=variant(item, assignment.mode, user_id, shown_attempt, secret),
        attempts_used=used,
        attempts_left=left,
        credit=best if reveal else None,
        points_earned=best * item.points if reveal else None,
        correct=any(s.correct for s in submissions) if reveal else None,
        attempts=attempts,
    )


# --- submitting --------------------------------------------------------------------------------


def submit_assignment_answer(
    session: Session,
    actor: Actor,
    assignment_id: int,
    item_id: int,
    raw_answer: str,
    now: datetime,
    duration_ms: int | None = None,
) -> SubmissionResult:
    """Grade a student's answer to one item and record it as their next attempt.

    Refused with :class:`PermissionDenied` when the assignment was not given to ``actor``
    (instructors included: they preview, not submit); with :class:`SubmissionRefused` before
    ``opens_at``, after ``due_at``, when no attempt is left, or for an item of another assignment
    (:class:`ItemNotInAssignment`, also a ``PermissionDenied``); with :class:`DuplicateSubmission`
    when the same attempt was recorded meanwhile (a double submit). A format error is returned
    with ``recorded`` false and uses no attempt. Scoring follows the module rules.
    """
    assignment = student_assignment(session, actor, assignment_id)
    item = session.get(AssignmentItem, item_id)
    if item is None or item.assignment_id != assignment.id or item.removed_at is not None:
        raise ItemNotInAssignment("That problem is not part of this assignment.")
    rules = student_deadline(session, assignment, actor.user_id)
    phase = rules.phase(now)
    if phase == PHASE_UPCOMING:
        raise SubmissionRefused(
            f"The assignment opens at {when(assignment.opens_at)}; "
            "submissions are not accepted yet."
        )
    if phase == PHASE_CLOSED:
        raise SubmissionRefused(
            f"The assignment closed at {when(rules.closes_at)}; submissions are no longer accepted."
        )
    used, best = attempts_so_far(session, item.id, actor.user_id)
    limit = rules.max_attempts
    if used >= limit:
        raise SubmissionRefused(
            f"You have used all {limit} attempt{'s' if limit != 1 else ''} at problem "
            f"{item.position}; no more answers are accepted for it."
        )
    attempt_number = used + 1
    secret = session_secret(session)
    exercise = variant(item, assignment.mode, actor.user_id, attempt_number, secret)
    grade = grade_answer(get_family(item.family), exercise, raw_answer)
    if grade.format_error is not None:
        session.add(
            FormatError(
                assignment_id=assignment.id,
                item_id=item.id,
                user_id=actor.user_id,
                answer=raw_answer[:200],
                created_at=now,
            )
        )
        return SubmissionResult(
            recorded=False,
            message=grade.format_error,
            attempt_number=None,
            attempts_left=limit - used,
            grade=grade,
        )
    schedule = parse_credit_schedule(assignment.credit_schedule)
    late = phase == PHASE_LATE
    credit = attempt_credit(assignment.mode, schedule, attempt_number, grade.score)
    credit *= rules.credit_factor(now)
    submission = Submission(
        assignment_id=assignment.id,
        item_id=item.id,
        user_id=actor.user_id,
        attempt_number=attempt_number,
        seed=exercise.seed,
        raw_answer=raw_answer,
        score=grade.score,
        credit=credit,
        correct=grade.correct,
        mistake=grade.mistake,
        duration_ms=duration_ms,
        created_at=now,
        late=late,
    )
    try:
        with session.begin_nested():
            session.add(submission)
    except IntegrityError:
        raise DuplicateSubmission(
            f"Attempt {attempt_number} at problem {item.position} was already recorded "
            "(the answer was sent twice); reload the assignment to see it."
        ) from None
    left = limit - attempt_number
    counted = f"attempt {attempt_number} of {limit}"
    if late:
        counted += f", late ({rules.late_penalty:.0%} off)" if rules.late_penalty else ", late"
    if not scores_visible(assignment, rules, now):
        return SubmissionResult(
            recorded=True,
            message=f"Answer recorded, {counted}.",
            attempt_number=attempt_number,
            attempts_left=left,
            grade=None,
            submission_id=submission.id,
        )
    verdict = "correct" if grade.correct else f"score {grade.score:.0%}"
    return SubmissionResult(
        recorded=True,
        message=f"Answer recorded, {counted}: {verdict}.",
        attempt_number=attempt_number,
        attempts_left=left,
        grade=grade,
        credit=credit,
        item_credit=max(best, credit),
        submission_id=submission.id,
    )


def attempts_so_far(session: Session, item_id: int, user_id: int) -> tuple[int, float]:
    """``(attempts used, best credit)`` of one student on one item."""
    used, best = session.execute(
        select(func.count(Submission.id), func.max(Submission.credit)).where(
            Submission.item_id == item_id, Submission.user_id == user_id
        )
    ).one()
    return int(used), float(best or 0.0)
