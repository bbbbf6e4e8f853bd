"""Study use cases: the daily queue, answering a card, undo, and what is due per deck.

The queue follows Anki's order: learning cards that are due, then review cards due today, then
new cards (up to the per-deck daily limit, in deck order), and finally learning cards due within
the learn-ahead window when nothing else is left. "Today" runs from ``day_starts_at_hour`` in the
configured time zone to the same hour the next day. Cards the user suspended are left out of the
queue and the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, delete, func, select
from sqlalchemy.orm import Session

from quiz.config import StudySettings
from quiz.scheduling import CardState, Rating, Schedule, Scheduler
from quiz.services.access import Actor
from quiz.services.idempotency import check_client_token
from quiz.store.models import (
    CARD_KIND_EXERCISE,
    CARD_KIND_FLASHCARD,
    Attempt,
    Card,
    CardSchedule,
    CardSuspension,
    Deck,
    ReviewLog,
)

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

    @classmethod
    def of(cls, card: Card, schedule: Schedule) -> StudyCard:
        return cls(
            card.id,
            card.deck_id,
            card.front,
            card.back,
            schedule,
            card.kind,
            card.exercise_family,
            card.exercise_difficulty,
            card.exercise_params,
        )


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
    """For every deck, the new/learning/review counts for today and the next due time."""
    user_id = actor.user_id
    start, end = day_bounds(now, settings)
    scheduled = _schedules(user_id)
    learning = _count_by_deck(
        scheduled.where(
            CardSchedule.state.in_(LEARNING_STATES), CardSchedule.due <= now + settings.learn_ahead
        )
    )
    review = _count_by_deck(
        scheduled.where(CardSchedule.state == int(CardState.REVIEW), CardSchedule.due < end)
    )
    next_due = dict(
        session.execute(
            select(Card.deck_id, func.min(CardSchedule.due))
            .join(CardSchedule, CardSchedule.card_id == Card.id)
            .where(CardSchedule.user_id == user_id, Card.active, _not_suspended(user_id))
            .group_by(Card.deck_id)
        ).all()
    )
    unseen = dict(session.execute(_count_by_deck(_new_cards(user_id))).all())
    learning_counts = dict(session.execute(learning).all())
    review_counts = dict(session.execute(review).all())
    introduced = _new_introduced(session, user_id, start)
    result = []
    for deck_id, title in session.execute(select(Deck.id, Deck.title).order_by(Deck.title)):
        allowed = max(0, settings.new_cards_per_day - introduced.get(deck_id, 0))
        result.append(
            DueCounts(
                deck_id=deck_id,
                title=title,
                new=min(unseen.get(deck_id, 0), allowed),
                learning=learning_counts.get(deck_id, 0),
                review=review_counts.get(deck_id, 0),
                next_due=next_due.get(deck_id),
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
    candidates = (  # tried in order, each only when the ones before found nothing
        lambda: _first_scheduled(
            session,
            user_id,
            deck_id,
            CardSchedule.state.in_(LEARNING_STATES),
            CardSchedule.due <= now,
            exclude=exclude,
        ),
        lambda: _first_scheduled(
            session,
            user_id,
            deck_id,
            CardSchedule.state == int(CardState.REVIEW),
            CardSchedule.due < end,
            exclude=exclude,
        ),
        lambda: _first_new(session, user_id, deck_id, start, settings),
        lambda: _first_scheduled(
            session,
            user_id,
            deck_id,
            CardSchedule.state.in_(LEARNING_STATES),
            CardSchedule.due <= now + settings.learn_ahead,
            exclude=exclude,
        ),
        lambda: _first_scheduled(
            session,
            user_id,
            deck_id,
            CardSchedule.state.in_(LEARNING_STATES),
            CardSchedule.due <= now + settings.learn_ahead,
        ),
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
    :class:`StaleAnswerError`, so a double press or a second tab records it once.
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
    row = session.scalar(
        select(CardSchedule).where(CardSchedule.user_id == user_id, CardSchedule.card_id == card_id)
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
    user_id = actor.user_id
    card = session.get(Card, card_id)
    if card is None or not card.active:
        return None
    row = session.scalar(
        select(CardSchedule).where(CardSchedule.user_id == user_id, CardSchedule.card_id == card_id)
    )
    return StudyCard.of(card, schedule_of(row))


def count_reviews(session: Session, actor: Actor) -> int:
    user_id = actor.user_id
    return session.scalar(select(func.count(ReviewLog.id)).where(ReviewLog.user_id == user_id)) or 0


# --- queries -------------------------------------------------------------------------------


def _not_suspended(user_id: int) -> ColumnElement[bool]:
    """True for cards ``user_id`` has not suspended (correlated to ``Card``)."""
    return ~(
        select(CardSuspension.id)
        .where(CardSuspension.card_id == Card.id, CardSuspension.user_id == user_id)
        .exists()
    )


def _schedules(user_id: int) -> Select[tuple[int]]:
    return (
        select(Card.deck_id)
        .join(CardSchedule, CardSchedule.card_id == Card.id)
        .where(CardSchedule.user_id == user_id, Card.active, _not_suspended(user_id))
    )


def _new_cards(user_id: int) -> Select[tuple[int]]:
    has_schedule = (
        select(CardSchedule.id)
        .where(CardSchedule.card_id == Card.id, CardSchedule.user_id == user_id)
        .exists()
    )
    return select(Card.deck_id).where(Card.active, ~has_schedule, _not_suspended(user_id))


def _count_by_deck(query: Select[tuple[int]]) -> Select[tuple[int, int]]:
    subquery = query.subquery()
    return select(subquery.c.deck_id, func.count()).group_by(subquery.c.deck_id)


def _new_introduced(session: Session, user_id: int, since: datetime) -> dict[int, int]:
    """Cards per deck answered for the first time since ``since`` (counts toward the limit)."""
    rows = session.execute(
        select(Card.deck_id, func.count(func.distinct(ReviewLog.card_id)))
        .join(Card, Card.id == ReviewLog.card_id)
        .where(
            ReviewLog.user_id == user_id,
            ReviewLog.state_before == int(CardState.NEW),
            ReviewLog.reviewed_at >= since,
        )
        .group_by(Card.deck_id)
    )
    return dict(rows.all())


def _first_scheduled(
    session: Session,
    user_id: int,
    deck_id: int | None,
    *conditions: object,
    exclude: int | None = None,
) -> StudyCard | None:
    query = (
        select(Card, CardSchedule)
        .join(CardSchedule, and_(CardSchedule.card_id == Card.id, CardSchedule.user_id == user_id))
        .where(Card.active, _not_suspended(user_id), *conditions)  # type: ignore[arg-type]
        .order_by(CardSchedule.due, Card.id)
        .limit(1)
    )
    if deck_id is not None:
        query = query.where(Card.deck_id == deck_id)
    if exclude is not None:
        query = query.where(Card.id != exclude)
    row = session.execute(query).first()
    if row is None:
        return None
    card, schedule = row
    return StudyCard.of(card, schedule_of(schedule))


def _first_new(
    session: Session,
    user_id: int,
    deck_id: int | None,
    day_start: datetime,
    settings: StudySettings,
) -> StudyCard | None:
    introduced = _new_introduced(session, user_id, day_start)
    exhausted = [deck for deck, count in introduced.items() if count >= settings.new_cards_per_day]
    query = select(Card).where(Card.id.in_(_new_cards(user_id).with_only_columns(Card.id)))
    if deck_id is not None:
        query = query.where(Card.deck_id == deck_id)
    if exhausted:
        query = query.where(Card.deck_id.not_in(exhausted))
    card = session.scalar(query.order_by(Card.deck_id, Card.position).limit(1))
    if card is None:
        return None
    return StudyCard.of(card, Schedule())


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
