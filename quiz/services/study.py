"""Study use cases: the daily queue, answering a card, undo, and what is due per deck.

The queue follows Anki's order: learning cards that are due, then review cards due today, then
new cards (up to the per-deck daily limit, in deck order), and finally learning cards due within
the learn-ahead window when nothing else is left. "Today" runs from ``day_starts_at_hour`` in the
configured time zone to the same hour the next day. Cards the user suspended are left out of the
queue and the counts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from quiz.config import StudySettings
from quiz.scheduling import CardState, Rating, Schedule, Scheduler
from quiz.services.access import Actor
from quiz.services.idempotency import check_client_token
from quiz.store.models import Attempt, Card, CardSchedule, CardSuspension, Deck, ReviewLog
from quiz.store.types import UTCDateTime
from quiz.vocabulary import CARD_KIND_EXERCISE, CARD_KIND_FLASHCARD

LEARNING_STATES = (int(CardState.LEARNING), int(CardState.RELEARNING))


def day_bounds(now: datetime, settings: StudySettings) -> tuple[datetime, datetime]:
    """The start and end (UTC) of the study day that contains ``now``."""
    local = now.astimezone(settings.timezone)
    start = datetime.combine(local.date(), time(settings.day_starts_at_hour), settings.timezone)
    if local < start:
        start -= timedelta(days=1)
    end = datetime.combine(start.date() + timedelta(days=1), start.timetz())
    return start.astimezone(now.tzinfo), end.astimezone(now.tzinfo)


@dataclass(frozen=True)
class DueCounts:
    """What one deck has for a user today (Anki's blue/red/green numbers)."""

    deck_id: int
    title: str
    new: int
    learning: int
    review: int
    next_due: datetime | None

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class StudyCard:
    """A card or exercise item to show, with the user's schedule for it."""

    card_id: int
    deck_id: int
    front: str
    back: str
    schedule: Schedule
    kind: str = CARD_KIND_FLASHCARD
    exercise_family: str | None = None
    exercise_difficulty: int | None = None
    exercise_params: str | None = None  # JSON parameter ranges (quiz.exercises.constraints)

    @property
    def is_exercise(self) -> bool:
        return self.kind == CARD_KIND_EXERCISE


@dataclass(frozen=True)
class AnswerResult:
    review_id: int
    schedule: Schedule
    interval: timedelta


class CardNotFoundError(LookupError):
    """The card does not exist or was retired."""


class StaleAnswerError(RuntimeError):
    """The card was answered since the page showed it (a double press, or another tab)."""


MAX_COUNTED_DURATION_MS = 60_000  # like Anki: a longer pause is counted as one minute


def due_counts(
    session: Session, actor: Actor, now: datetime, settings: StudySettings
) -> list[DueCounts]:
    """For every deck, the new/learning/review counts for today and the next due time.

    Two statements, built once (:func:`_scheduled_by_deck`, :func:`_decks_with_new`)."""
    user_id = actor.user_id
    start, end = day_bounds(now, settings)
    scheduled = {
        deck_id: (learning, review, next_due)
        for deck_id, learning, review, next_due in session.execute(
            _scheduled_by_deck(),
            {"user_id": user_id, "learn_until": now + settings.learn_ahead, "day_end": end},
        )
    }
    result = []
    for deck_id, title, unseen, introduced in session.execute(
        _decks_with_new(), {"user_id": user_id, "day_start": start}
    ):
        learning, review, next_due = scheduled.get(deck_id, (0, 0, None))
        allowed = max(0, settings.new_cards_per_day - introduced)
        result.append(
            DueCounts(
                deck_id=deck_id,
                title=title,
                new=min(unseen, allowed),
                learning=learning,
                review=review,
                next_due=next_due,
            )
        )
    return result


def next_card(
    session: Session,
    actor: Actor,
    now: datetime,
    settings: StudySettings,
    deck_id: int | None = None,
    exclude: int | None = None,
) -> StudyCard | None:
    """The next card to study in ``deck_id`` (all decks when ``None``), or ``None`` when done.

    ``exclude`` skips one card (the one just answered) unless it is the only one left.
    """
    user_id = actor.user_id
    start, end = day_bounds(now, settings)
    learn_ahead = now + settings.learn_ahead
    candidates = (  # tried in order, each only when the ones before found nothing
        lambda: _first_scheduled(session, user_id, deck_id, False, now, exclude),
        lambda: _first_scheduled(session, user_id, deck_id, True, end, exclude),
        lambda: _first_new(session, user_id, deck_id, start, settings),
        lambda: _first_scheduled(session, user_id, deck_id, False, learn_ahead, exclude),
        lambda: _first_scheduled(session, user_id, deck_id, False, learn_ahead, None),
    )
    for candidate in candidates:
        if (card := candidate()) is not None:
            return card
    return None


def answer_card(
    session: Session,
    actor: Actor,
    card_id: int,
    rating: Rating,
    now: datetime,
    scheduler: Scheduler,
    duration_ms: int | None = None,
    expected_reps: int | None = None,
    client_token: str | None = None,
) -> AnswerResult:
    """Record ``rating`` for ``card_id``: update the schedule and append to the review log.

    ``duration_ms`` is capped at :data:`MAX_COUNTED_DURATION_MS`. With ``expected_reps`` (the
    review count the page showed) an answer to a card answered since then is refused with
    :class:`StaleAnswerError`, so a double press or a second tab records it once — also when
    both arrive at the same moment: the schedule row is read ``FOR UPDATE`` (PostgreSQL; SQLite
    writers take turns anyway), and two first answers that both insert it collide on its unique
    key, which :meth:`quiz.runtime.Stride.write` retries.
    ``client_token`` is the page's idempotency key for this answer: when the user already has a
    review with it (a resend), that review's result is returned and nothing is written. Two
    concurrent sends of one token cannot both commit (a unique constraint); the loser's retry
    (:meth:`quiz.runtime.Stride.write`) then finds the winner's row.
    """
    user_id = actor.user_id
    if client_token is not None:
        check_client_token(client_token)
        done = session.scalar(
            select(ReviewLog).where(
                ReviewLog.user_id == user_id, ReviewLog.client_token == client_token
            )
        )
        if done is not None:
            return _result_of(done)
    card = session.get(Card, card_id)
    if card is None or not card.active:
        raise CardNotFoundError(f"card {card_id} does not exist or was retired")
    row = session.scalar(  # locked (PostgreSQL): a concurrent answer waits, then sees this one's
        select(CardSchedule)
        .where(CardSchedule.user_id == user_id, CardSchedule.card_id == card_id)
        .with_for_update()
    )
    before = schedule_of(row)
    if expected_reps is not None and before.reps != expected_reps:
        raise StaleAnswerError(f"card {card_id} was answered since it was shown")
    if duration_ms is not None:
        duration_ms = max(0, min(duration_ms, MAX_COUNTED_DURATION_MS))
    outcome = scheduler.review(before, rating, now)
    after = outcome.schedule
    if row is None:
        row = CardSchedule(user_id=user_id, card_id=card_id)
        session.add(row)
    _store_schedule(row, after)
    log = ReviewLog(
        user_id=user_id,
        card_id=card_id,
        rating=int(rating),
        reviewed_at=now,
        duration_ms=duration_ms,
        state_before=int(before.state),
        step_before=before.step,
        stability_before=before.stability,
        difficulty_before=before.difficulty,
        due_before=before.due,
        last_review_before=before.last_review,
        state_after=int(after.state),
        step_after=after.step,
        stability_after=after.stability,
        difficulty_after=after.difficulty,
        due_after=after.due,
        client_token=client_token,
    )
    session.add(log)
    session.flush()
    return AnswerResult(review_id=log.id, schedule=after, interval=outcome.interval)


def _result_of(log: ReviewLog) -> AnswerResult:
    """The result a stored review gave: its schedule after the answer and the interval to due.

    The log does not keep ``reps`` and ``lapses``, so they are left at 0 in this schedule."""
    after = Schedule(
        state=CardState(log.state_after),
        step=log.step_after,
        stability=log.stability_after,
        difficulty=log.difficulty_after,
        due=log.due_after,
        last_review=log.reviewed_at,
    )
    return AnswerResult(review_id=log.id, schedule=after, interval=log.due_after - log.reviewed_at)


def undo_last_answer(session: Session, actor: Actor) -> int | None:
    """Undo the user's most recent answer; return its card id, or ``None`` if there is none.

    The card's schedule goes back to what the review log recorded before the answer (a card that
    was new loses its schedule row, so it is new again) and the log row is deleted, with the
    exercise attempt that produced it, if any.
    """
    user_id = actor.user_id
    log = session.scalar(
        select(ReviewLog)
        .where(ReviewLog.user_id == user_id)
        .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc())
        .limit(1)
    )
    if log is None:
        return None
    row = session.scalar(
        select(CardSchedule).where(
            CardSchedule.user_id == user_id, CardSchedule.card_id == log.card_id
        )
    )
    if log.state_before == int(CardState.NEW) or log.due_before is None:
        if row is not None:
            session.delete(row)
    elif row is not None:
        lapsed = log.state_before == int(CardState.REVIEW) and log.rating == int(Rating.AGAIN)
        row.state, row.step = log.state_before, log.step_before
        row.stability, row.difficulty = log.stability_before, log.difficulty_before
        row.due, row.last_review = log.due_before, log.last_review_before
        row.reps = max(0, row.reps - 1)
        row.lapses = max(0, row.lapses - int(lapsed))
    session.execute(delete(Attempt).where(Attempt.review_id == log.id))
    session.execute(delete(ReviewLog).where(ReviewLog.id == log.id))
    session.flush()
    return log.card_id


def load_study_card(session: Session, actor: Actor, card_id: int) -> StudyCard | None:
    """The card ``card_id`` with the user's schedule, or ``None`` if it is gone or retired."""
    row = session.execute(
        _card_with_schedule(), {"user_id": actor.user_id, "card_id": card_id}
    ).first()
    return None if row is None else _study_card(row)


def count_reviews(session: Session, actor: Actor) -> int:
    user_id = actor.user_id
    return session.scalar(select(func.count(ReviewLog.id)).where(ReviewLog.user_id == user_id)) or 0


# --- queries -------------------------------------------------------------------------------


def _not_suspended(user_id: object) -> ColumnElement[bool]:
    """True for cards ``user_id`` has not suspended (correlated to ``Card``)."""
    return ~(
        select(CardSuspension.id)
        .where(CardSuspension.card_id == Card.id, CardSuspension.user_id == user_id)
        .exists()
    )


def _new_card_conditions(user_id: object) -> tuple[SQLColumnExpression[bool], ...]:
    """``Card`` is active, has no schedule for ``user_id`` (never answered), not suspended."""
    has_schedule = (
        select(CardSchedule.id)
        .where(CardSchedule.card_id == Card.id, CardSchedule.user_id == user_id)
        .exists()
    )
    return (Card.active, ~has_schedule, _not_suspended(user_id))


# Statements run on every page run are built once, with bound parameters: building a statement
# and its cache key costs more than running it (py-spy on a class of students: SQLAlchemy's
# Python code was ~40 % of the server's time; SQLite itself ~5 %).


@functools.cache
def _scheduled_by_deck() -> Select[int, int, int, datetime]:
    """Per deck: learning cards due by ``:learn_until``, review cards due before ``:day_end``,
    and the earliest due time, over ``:user_id``'s active, unsuspended scheduled cards."""
    user_id = bindparam("user_id", type_=Integer)
    learning = and_(
        CardSchedule.state.in_(LEARNING_STATES),
        CardSchedule.due <= bindparam("learn_until", type_=UTCDateTime()),
    )
    review = and_(
        CardSchedule.state == int(CardState.REVIEW),
        CardSchedule.due < bindparam("day_end", type_=UTCDateTime()),
    )
    return (
        select(
            Card.deck_id,
            func.count(case((learning, 1))),
            func.count(case((review, 1))),
            func.min(CardSchedule.due),
        )
        .join(CardSchedule, CardSchedule.card_id == Card.id)
        .where(CardSchedule.user_id == user_id, Card.active, _not_suspended(user_id))
        .group_by(Card.deck_id)
    )


@functools.cache
def _decks_with_new() -> Select[int, str, int, int]:
    """Every deck (by title) with ``:user_id``'s unseen active, unsuspended cards and the cards
    answered for the first time since ``:day_start`` (they count toward the daily limit)."""
    user_id = bindparam("user_id", type_=Integer)
    unseen = (
        select(func.count(Card.id))
        .where(Card.deck_id == Deck.id)
        .where(*_new_card_conditions(user_id))
        .scalar_subquery()
    )
    introduced = (
        select(func.count(func.distinct(ReviewLog.card_id)))
        .join(Card, Card.id == ReviewLog.card_id)
        .where(
            Card.deck_id == Deck.id,
            ReviewLog.user_id == user_id,
            ReviewLog.state_before == int(CardState.NEW),
            ReviewLog.reviewed_at >= bindparam("day_start", type_=UTCDateTime()),
        )
        .scalar_subquery()
    )
    return select(Deck.id, Deck.title, unseen, introduced).order_by(Deck.title)


def _new_introduced(session: Session, user_id: int, since: datetime) -> dict[int, int]:
    """Cards per deck answered for the first time since ``since`` (counts toward the limit)."""
    rows = session.execute(_introduced_by_deck(), {"user_id": user_id, "since": since})
    return dict(rows.tuples().all())


@functools.cache
def _introduced_by_deck() -> Select[int, int]:
    return (
        select(Card.deck_id, func.count(func.distinct(ReviewLog.card_id)))
        .join(Card, Card.id == ReviewLog.card_id)
        .where(
            ReviewLog.user_id == bindparam("user_id", type_=Integer),
            ReviewLog.state_before == int(CardState.NEW),
            ReviewLog.reviewed_at >= bindparam("since", type_=UTCDateTime()),
        )
        .group_by(Card.deck_id)
    )


_CARD_COLUMNS = (
    Card.id,
    Card.deck_id,
    Card.front,
    Card.back,
    Card.kind,
    Card.exercise_family,
    Card.exercise_difficulty,
    Card.exercise_params,
)
_SCHEDULE_COLUMNS = (
    CardSchedule.state,
    CardSchedule.step,
    CardSchedule.stability,
    CardSchedule.difficulty,
    CardSchedule.due,
    CardSchedule.last_review,
    CardSchedule.reps,
    CardSchedule.lapses,
)


def _study_card(row: Row[*tuple[Any, ...]]) -> StudyCard:
    """A row of :data:`_CARD_COLUMNS` then :data:`_SCHEDULE_COLUMNS` (``None`` s: new card)."""
    card_id, deck_id, front, back, kind, family, difficulty, params = row[:8]
    state, step, stability, difficulty_, due, last_review, reps, lapses = row[8:16]
    schedule = (
        Schedule()
        if state is None
        else Schedule(
            state=CardState(state),
            step=step,
            stability=stability,
            difficulty=difficulty_,
            due=due,
            last_review=last_review,
            reps=reps,
            lapses=lapses,
        )
    )
    return StudyCard(card_id, deck_id, front, back, schedule, kind, family, difficulty, params)


@functools.cache
def _card_with_schedule() -> Select[*tuple[Any, ...]]:
    """Active card ``:card_id`` with ``:user_id``'s schedule for it (``NULL`` s when new)."""
    return (
        select(*_CARD_COLUMNS, *_SCHEDULE_COLUMNS)
        .outerjoin(
            CardSchedule,
            and_(
                CardSchedule.card_id == Card.id,
                CardSchedule.user_id == bindparam("user_id", type_=Integer),
            ),
        )
        .where(Card.id == bindparam("card_id", type_=Integer), Card.active)
    )


@functools.cache
def _first_scheduled_statement(
    review: bool, by_deck: bool, excluding: bool
) -> Select[*tuple[Any, ...]]:
    """The earliest due of ``:user_id``'s learning cards due by ``:until`` (``review``: review
    cards due before it), in deck ``:deck_id`` if ``by_deck``, other than ``:exclude`` if
    ``excluding``."""
    user_id = bindparam("user_id", type_=Integer)
    until = bindparam("until", type_=UTCDateTime())
    if review:
        due = and_(CardSchedule.state == int(CardState.REVIEW), CardSchedule.due < until)
    else:
        due = and_(CardSchedule.state.in_(LEARNING_STATES), CardSchedule.due <= until)
    query = (
        select(*_CARD_COLUMNS, *_SCHEDULE_COLUMNS)
        .join(CardSchedule, and_(CardSchedule.card_id == Card.id, CardSchedule.user_id == user_id))
        .where(Card.active, _not_suspended(user_id), due)
        .order_by(CardSchedule.due, Card.id)
        .limit(1)
    )
    if by_deck:
        query = query.where(Card.deck_id == bindparam("deck_id", type_=Integer))
    if excluding:
        query = query.where(Card.id != bindparam("exclude", type_=Integer))
    return query


def _first_scheduled(
    session: Session,
    user_id: int,
    deck_id: int | None,
    review: bool,
    until: datetime,
    exclude: int | None,
) -> StudyCard | None:
    statement = _first_scheduled_statement(review, deck_id is not None, exclude is not None)
    parameters = {"user_id": user_id, "until": until, "deck_id": deck_id, "exclude": exclude}
    row = session.execute(statement, parameters).first()
    return None if row is None else _study_card(row)


@functools.cache
def _first_new_statement(by_deck: bool) -> Select[*tuple[Any, ...]]:
    """``:user_id``'s first new card in deck order, not in the decks ``:exhausted`` (today's
    new-card limit reached), in deck ``:deck_id`` if ``by_deck``."""
    user_id = bindparam("user_id", type_=Integer)
    query = (
        select(*_CARD_COLUMNS, *(literal(None) for _ in _SCHEDULE_COLUMNS))
        .where(*_new_card_conditions(user_id))
        .where(Card.deck_id.not_in(bindparam("exhausted", expanding=True)))
        .order_by(Card.deck_id, Card.position)
        .limit(1)
    )
    if by_deck:
        query = query.where(Card.deck_id == bindparam("deck_id", type_=Integer))
    return query


def _first_new(
    session: Session,
    user_id: int,
    deck_id: int | None,
    day_start: datetime,
    settings: StudySettings,
) -> StudyCard | None:
    introduced = _new_introduced(session, user_id, day_start)
    exhausted = [deck for deck, count in introduced.items() if count >= settings.new_cards_per_day]
    parameters = {"user_id": user_id, "deck_id": deck_id, "exhausted": exhausted}
    row = session.execute(_first_new_statement(deck_id is not None), parameters).first()
    return None if row is None else _study_card(row)


def schedule_of(row: CardSchedule | None) -> Schedule:
    """A stored schedule row as a :class:`Schedule` (no row: the card is new)."""
    if row is None:
        return Schedule()
    return Schedule(
        state=CardState(row.state),
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
        reps=row.reps,
        lapses=row.lapses,
    )


def _store_schedule(row: CardSchedule, schedule: Schedule) -> None:
    assert schedule.due is not None
    row.state, row.step = int(schedule.state), schedule.step
    row.stability, row.difficulty = schedule.stability, schedule.difficulty
    row.due, row.last_review = schedule.due, schedule.last_review
    row.reps, row.lapses = schedule.reps, schedule.lapses
