"""Exercise use cases: fresh variants, grading an attempt, and scheduled exercise items.

On the Practice page attempts are logged but rate nothing (free practice). In the study queue an
exercise item's first graded attempt on a variant rates the item (:mod:`quiz.exercises.rating`)
and is linked to that review.

Limits, held here for every caller:

* **Seeds.** Practice generates and accepts only seeds in :data:`PRACTICE_SEEDS`
  (``0 … 2**30 − 1``); every assignment seed has bit 30 set
  (:data:`quiz.services.assignments.ASSIGNMENT_SEED_BIT`), so Practice can never show an
  assignment's variant or its worked solution.
* **Answer length.** An answer longer than
  :data:`~quiz.services.answer_limits.MAX_STORED_ANSWER_CHARS` is refused like a format error
  (not graded, not stored), in Practice and in the study queue.
* **Rate.** A user's Practice checks are limited to :data:`PRACTICE_CHECKS_PER_MINUTE` in any
  :data:`PRACTICE_RATE_WINDOW`, counted from the attempts stored in the database (so every
  replica agrees): past it, :class:`PracticeRateLimited` says how long to wait and nothing is
  graded or stored. A resend of an answer already stored (its client token) is not a new check.
  Two checks committed at the same instant on two replicas may both pass, so the limit can be
  exceeded by the number of replicas at most; what it bounds is the stored log, at about
  43,000 rows a day per user however hard a script tries.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.exercises.base import Exercise
from quiz.exercises.constraints import make_constrained, params_from_json
from quiz.exercises.rating import rating_for
from quiz.exercises.registry import get_family
from quiz.grading import Grade
from quiz.scheduling import Rating, Scheduler
from quiz.services.access import Actor
from quiz.services.answer_limits import grade_answer, too_long
from quiz.services.assignments import ASSIGNMENT_SEED_BIT
from quiz.services.idempotency import check_client_token
from quiz.services.study import StudyCard, answer_card
from quiz.store.models import Attempt

PRACTICE_SEEDS = range(ASSIGNMENT_SEED_BIT)
"""The seeds Practice shows, ``0 … 2**30 − 1``: none of them is an assignment's seed."""
PRACTICE_CHECKS_PER_MINUTE = 30
PRACTICE_RATE_WINDOW = timedelta(minutes=1)
PRACTICE_SOURCE = "practice"


class PracticeSeedError(ValueError):
    """A seed Practice does not show (an assignment's, or not a seed at all)."""


class PracticeRateLimited(ValueError):
    """Too many Practice checks in the last minute; ``retry_after`` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"Slow down: at most {PRACTICE_CHECKS_PER_MINUTE} answers are checked per minute. "
            f"Try again in {retry_after} s."
        )


def practice_seed_message() -> str:
    """The rule a refused Practice seed is told."""
    return f"practice seeds are {PRACTICE_SEEDS.start} … {PRACTICE_SEEDS.stop - 1}"


def fresh_seed() -> int:
    """A random Practice seed (in :data:`PRACTICE_SEEDS`)."""
    return secrets.randbelow(len(PRACTICE_SEEDS)) + PRACTICE_SEEDS.start


def variant_seed(user_id: int, card_id: int, reps: int) -> int:
    """The seed of a scheduled item's variant: new after every review, stable within one, and a
    Practice seed (the Study page shows it, and Practice reproduces it); studying is practice,
    so the formula needs no secret, unlike an assignment's."""
    digest = hashlib.sha256(f"item:{user_id}:{card_id}:{reps}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % len(PRACTICE_SEEDS) + PRACTICE_SEEDS.start


def make_exercise(family_id: str, seed: int, difficulty: int) -> Exercise:
    """The Practice problem ``(family, seed, difficulty)``; a seed outside
    :data:`PRACTICE_SEEDS` (an assignment's) raises :class:`PracticeSeedError`."""
    if seed not in PRACTICE_SEEDS:
        raise PracticeSeedError(practice_seed_message())
    return get_family(family_id).make(seed, difficulty)


def exercise_for_item(actor: Actor, item: StudyCard, reps: int | None = None) -> Exercise:
    """The variant a scheduled exercise item shows at review count ``reps`` (default: its
    count now), within the entry's parameter ranges. A page keeps the count from when it put
    the item on screen, so another tab's answer does not swap the variant under the student."""
    user_id = actor.user_id
    if item.exercise_family is None or item.exercise_difficulty is None:
        raise ValueError(f"card {item.card_id} is not an exercise item")
    shown = item.schedule.reps if reps is None else reps
    seed = variant_seed(user_id, item.card_id, shown)
    constraints = params_from_json(json.loads(item.exercise_params or "{}"))
    family = get_family(item.exercise_family)
    return make_constrained(family, seed, item.exercise_difficulty, constraints)


@dataclass(frozen=True)
class AttemptResult:
    grade: Grade
    attempt_id: int | None  # None for a format error: nothing was recorded
    rating: Rating | None = None


@dataclass(frozen=True)
class AttemptContext:
    """How the answer was produced: time taken, and whether help was looked at."""

    duration_ms: int | None = None
    used_hint: bool = False
    saw_solution: bool = False
    client_token: str | None = None
    """The page's idempotency key (:mod:`quiz.services.idempotency`): a resend is recorded once."""

    @property
    def helped(self) -> bool:
        return self.used_hint or self.saw_solution


def submit_practice(
    session: Session,
    actor: Actor,
    exercise: Exercise,
    raw_answer: str,
    context: AttemptContext,
    now: datetime,
) -> AttemptResult:
    """Grade a Practice-page answer and log it (format errors are returned, not logged).

    An answer whose ``context.client_token`` is already logged returns that attempt's result.
    An answer too long to store is refused as a format error; past the rate limit
    :class:`PracticeRateLimited` is raised (see the module's limits). Neither stores anything."""
    user_id = actor.user_id
    if (refusal := too_long(raw_answer)) is not None:
        return AttemptResult(refusal, None)
    done = _logged_attempt(session, user_id, context)
    if done is None:
        check_practice_rate(session, user_id, now)
    grade = grade_answer(get_family(exercise.family), exercise, raw_answer)
    if grade.format_error is not None:
        return AttemptResult(grade, None)
    if done is not None:
        return AttemptResult(grade, done.id)
    attempt = _log(session, user_id, exercise, raw_answer, grade, context, now, PRACTICE_SOURCE)
    return AttemptResult(grade, attempt.id)


def check_practice_rate(session: Session, user_id: int, now: datetime) -> None:
    """Raise :class:`PracticeRateLimited` when ``user_id`` has had
    :data:`PRACTICE_CHECKS_PER_MINUTE` Practice attempts stored in the window before ``now``.

    ``retry_after`` is when the oldest of them leaves the window (at least 1 s)."""
    recent = session.scalars(
        select(Attempt.created_at)
        .where(
            Attempt.user_id == user_id,
            Attempt.source == PRACTICE_SOURCE,
            Attempt.created_at > now - PRACTICE_RATE_WINDOW,
        )
        .order_by(Attempt.created_at.desc())
        .limit(PRACTICE_CHECKS_PER_MINUTE)
    ).all()
    if len(recent) < PRACTICE_CHECKS_PER_MINUTE:
        return
    wait = (recent[-1] + PRACTICE_RATE_WINDOW - now).total_seconds()
    raise PracticeRateLimited(max(1, math.ceil(wait)))


def submit_item(
    session: Session,
    actor: Actor,
    item: StudyCard,
    exercise: Exercise,
    raw_answer: str,
    context: AttemptContext,
    now: datetime,
    scheduler: Scheduler,
    *,
    expected_reps: int | None = None,
) -> AttemptResult:
    """Grade the answer to a scheduled exercise item, rate the item and log the attempt.

    ``expected_reps``: the item's review count when the page showed it (default: the count in
    ``item``); an item answered since then (another tab) raises
    :class:`~quiz.services.study.StaleAnswerError` and nothing is written."""
    user_id = actor.user_id
    family = get_family(exercise.family)
    grade = grade_answer(family, exercise, raw_answer)
    rating = rating_for(
        grade, exercise.answer_kind, helped=context.helped, duration_ms=context.duration_ms
    )
    if rating is None:
        return AttemptResult(grade, None)
    if (done := _logged_attempt(session, user_id, context)) is not None:
        return AttemptResult(grade, done.id, rating)
    review = answer_card(
        session,
        actor,
        item.card_id,
        rating,
        now,
        scheduler,
        duration_ms=context.duration_ms,
        expected_reps=item.schedule.reps if expected_reps is None else expected_reps,
    )
    attempt = _log(
        session,
        user_id,
        exercise,
        raw_answer,
        grade,
        context,
        now,
        "study",
        card_id=item.card_id,
        review_id=review.review_id,
    )
    return AttemptResult(grade, attempt.id, rating)


def _logged_attempt(session: Session, user_id: int, context: AttemptContext) -> Attempt | None:
    """The user's attempt already logged with ``context.client_token`` (a resend), if any."""
    if context.client_token is None:
        return None
    check_client_token(context.client_token)
    return session.scalar(
        select(Attempt).where(
            Attempt.user_id == user_id, Attempt.client_token == context.client_token
        )
    )


def _log(
    session: Session,
    user_id: int,
    exercise: Exercise,
    raw_answer: str,
    grade: Grade,
    context: AttemptContext,
    now: datetime,
    source: str,
    *,
    card_id: int | None = None,
    review_id: int | None = None,
) -> Attempt:
    attempt = Attempt(
        user_id=user_id,
        card_id=card_id,
        review_id=review_id,
        source=source,
        family=exercise.family,
        seed=exercise.seed,
        difficulty=exercise.difficulty,
        raw_answer=raw_answer,
        score=grade.score,
        correct=grade.correct,
        mistake=grade.mistake,
        used_hint=context.used_hint,
        saw_solution=context.saw_solution,
        duration_ms=context.duration_ms,
        created_at=now,
        client_token=context.client_token,
    )
    session.add(attempt)
    session.flush()
    return attempt
