"""The study queue, answering, undo and due counts, at fixed UTC times with fuzzing off."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from quiz.config import StudySettings
from quiz.decks import parse_deck_text
from quiz.runtime import Stride
from quiz.scheduling import CardState, Rating, Scheduler
from quiz.services.access import Actor
from quiz.services.decks import import_deck
from quiz.services.study import (
    CardNotFoundError,
    answer_card,
    day_bounds,
    due_counts,
    next_card,
    undo_last_answer,
)
from quiz.store.models import Card, CardSchedule, ReviewLog
from tests.support import NOON, notes_text


@pytest.fixture
def small(database_url: str, settings: StudySettings) -> Stride:
    """A database with only a 5-card deck (no built-in decks)."""
    app = Stride.open(database_url, settings, load_builtin=False)
    cards = [(f"Question {n}?", f"Answer {n}.") for n in range(1, 6)]
    with app.transaction() as session:
        import_deck(session, parse_deck_text(notes_text("Small", cards)), NOON)
    return app


def _next(app: Stride, now: datetime, **kwargs: object):  # type: ignore[no-untyped-def]
    with app.transaction() as session:
        return next_card(session, app.local_actor, now, app.settings, **kwargs)  # type: ignore[arg-type]


def _answer(app: Stride, card_id: int, rating: Rating, now: datetime) -> None:
    with app.transaction() as session:
        answer_card(session, app.local_actor, card_id, rating, now, app.scheduler, 1500)


def _counts(app: Stride, now: datetime):  # type: ignore[no-untyped-def]
    with app.transaction() as session:
        (counts,) = due_counts(session, app.local_actor, now, app.settings)
        return counts


def test_new_cards_come_in_deck_order(small: Stride) -> None:
    card = _next(small, NOON)
    assert card is not None and card.front == "Question 1?" and card.schedule.is_new
    assert (_counts(small, NOON).new, _counts(small, NOON).learning) == (5, 0)


def test_answering_moves_a_card_to_learning_and_logs_it(small: Stride) -> None:
    first = _next(small, NOON)
    _answer(small, first.card_id, Rating.GOOD, NOON)
    counts = _counts(small, NOON)
    assert (counts.new, counts.learning, counts.review) == (4, 1, 0)
    assert counts.next_due == NOON + timedelta(minutes=10)
    with small.transaction() as session:
        log = session.scalars(select(ReviewLog)).one()
        assert (log.rating, log.state_before, log.state_after, log.duration_ms) == (3, 0, 1, 1500)
        assert log.reviewed_at == NOON and log.due_after == NOON + timedelta(minutes=10)
    # The card just answered is not due yet, so the next card is the next new one.
    assert _next(small, NOON, exclude=first.card_id).front == "Question 2?"


def test_due_learning_cards_come_before_new_ones(small: Stride) -> None:
    first = _next(small, NOON)
    _answer(small, first.card_id, Rating.AGAIN, NOON)
    later = NOON + timedelta(minutes=2)
    assert _next(small, later).card_id == first.card_id


def test_learn_ahead_when_nothing_else_is_left(small: Stride) -> None:
    settings = replace(small.settings, new_cards_per_day=1)
    small.settings = settings
    first = _next(small, NOON)
    _answer(small, first.card_id, Rating.GOOD, NOON)  # due in 10 minutes
    assert _next(small, NOON).card_id == first.card_id  # within the 20-minute learn-ahead
    small.settings = replace(settings, learn_ahead=timedelta(minutes=5))
    assert _next(small, NOON) is None


def test_daily_new_card_limit_resets_at_the_day_boundary(small: Stride) -> None:
    small.settings = replace(small.settings, new_cards_per_day=2)
    for _ in range(2):
        card = _next(small, NOON)
        _answer(small, card.card_id, Rating.EASY, NOON)  # straight to review, days away
    assert _counts(small, NOON).new == 0
    assert _next(small, NOON) is None
    tomorrow = NOON + timedelta(days=1)
    assert _counts(small, tomorrow).new == 2
    assert _next(small, tomorrow).front == "Question 3?"


def test_review_cards_are_due_on_their_day(small: Stride) -> None:
    card = _next(small, NOON)
    _answer(small, card.card_id, Rating.EASY, NOON)
    with small.transaction() as session:
        due = session.scalar(select(CardSchedule.due))
    assert _counts(small, due - timedelta(days=1)).review == 0
    day_start, _ = day_bounds(due, small.settings)
    assert _counts(small, day_start).review == 1  # due later today counts from 04:00
    assert _next(small, day_start).card_id == card.card_id


def test_day_bounds_follow_the_time_zone_and_start_hour() -> None:
    settings = StudySettings(timezone=ZoneInfo("America/New_York"), day_starts_at_hour=4)
    # 07:30 UTC is 02:30 in New York: still the previous study day there.
    start, end = day_bounds(datetime(2026, 1, 10, 7, 30, tzinfo=UTC), settings)
    assert start == datetime(2026, 1, 9, 9, 0, tzinfo=UTC)  # 04:00 EST
    assert end == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    start, end = day_bounds(datetime(2026, 1, 10, 9, 30, tzinfo=UTC), settings)
    assert start == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    # Clocks go forward at 02:00 on 8 March: the study day that contains 03:00 EDT (07:00 UTC)
    # began at 04:00 EST on the 7th and ends at 04:00 EDT on the 8th, 23 hours later.
    start, end = day_bounds(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), settings)
    assert start == datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)


def test_undo_restores_the_previous_state_and_removes_the_log(small: Stride) -> None:
    card = _next(small, NOON)
    _answer(small, card.card_id, Rating.GOOD, NOON)
    later = NOON + timedelta(minutes=10)
    with small.transaction() as session:
        before = session.scalars(select(CardSchedule)).one()
        snapshot = (
            before.state,
            before.step,
            before.stability,
            before.difficulty,
            before.due,
            before.last_review,
            before.reps,
            before.lapses,
        )
    _answer(small, card.card_id, Rating.GOOD, later)
    with small.transaction() as session:
        assert session.scalar(select(CardSchedule.state)) == int(CardState.REVIEW)
        assert undo_last_answer(session, small.local_actor) == card.card_id
    with small.transaction() as session:
        row = session.scalars(select(CardSchedule)).one()
        assert (
            row.state,
            row.step,
            row.stability,
            row.difficulty,
            row.due,
            row.last_review,
            row.reps,
            row.lapses,
        ) == snapshot
        assert session.scalar(select(func.count(ReviewLog.id))) == 1
        # Undo again: the card is new again, with no schedule row and no log.
        assert undo_last_answer(session, small.local_actor) == card.card_id
        assert session.scalar(select(func.count(CardSchedule.id))) == 0
        assert session.scalar(select(func.count(ReviewLog.id))) == 0
        assert undo_last_answer(session, small.local_actor) is None
    assert _counts(small, NOON).new == 5


def test_undo_of_a_lapse_restores_the_lapse_count(small: Stride) -> None:
    card = _next(small, NOON)
    _answer(small, card.card_id, Rating.EASY, NOON)
    with small.transaction() as session:
        due = session.scalar(select(CardSchedule.due))
    _answer(small, card.card_id, Rating.AGAIN, due)
    with small.transaction() as session:
        assert session.scalar(select(CardSchedule.lapses)) == 1
        undo_last_answer(session, small.local_actor)
        assert session.scalar(select(CardSchedule.lapses)) == 0
        assert session.scalar(select(CardSchedule.state)) == int(CardState.REVIEW)


def test_retired_cards_are_not_studied(small: Stride) -> None:
    with small.transaction() as session:
        card = session.scalar(select(Card).where(Card.front == "Question 1?"))
        card.active = False
    assert _next(small, NOON).front == "Question 2?"
    with pytest.raises(CardNotFoundError):
        _answer(small, card.id, Rating.GOOD, NOON)


def test_users_do_not_share_schedules(small: Stride) -> None:
    from quiz.store.models import User

    with small.transaction() as session:
        other = User(username="other", display_name="Other", created_at=NOON)
        session.add(other)
        session.flush()
        other_actor = Actor.of(other)
    card = _next(small, NOON)
    _answer(small, card.card_id, Rating.EASY, NOON)
    with small.transaction() as session:
        theirs = next_card(session, other_actor, NOON, small.settings)
        (counts,) = due_counts(session, other_actor, NOON, small.settings)
    assert theirs.card_id == card.card_id and theirs.schedule.is_new
    assert counts.new == 5


def test_a_full_day_of_study_empties_the_queue(small: Stride) -> None:
    now, answered, last = NOON, 0, None
    while (card := _next(small, now, exclude=last)) is not None and answered < 100:
        _answer(small, card.card_id, Rating.GOOD, now)
        answered, last = answered + 1, card.card_id
        now += timedelta(minutes=11)
    assert answered == 10  # five new cards, each answered Good twice to graduate
    assert _counts(small, now).total == 0


def test_fuzzing_scheduler_is_used_for_real_reviews(small: Stride) -> None:
    small.scheduler = Scheduler(replace(small.settings, enable_fuzzing=True))
    card = _next(small, NOON)
    _answer(small, card.card_id, Rating.EASY, NOON)
    with small.transaction() as session:
        assert session.scalar(select(CardSchedule.due)) > NOON + timedelta(days=1)


def test_an_answer_to_a_card_answered_since_is_refused(small: Stride) -> None:
    from quiz.services.study import StaleAnswerError

    card = _next(small, NOON)
    with small.transaction() as session:
        answer_card(
            session,
            small.local_actor,
            card.card_id,
            Rating.GOOD,
            NOON,
            small.scheduler,
            expected_reps=0,
        )
    with pytest.raises(StaleAnswerError), small.transaction() as session:
        answer_card(
            session,
            small.local_actor,
            card.card_id,
            Rating.GOOD,
            NOON,
            small.scheduler,
            expected_reps=0,
        )
    with small.transaction() as session:
        assert session.scalar(select(func.count(ReviewLog.id))) == 1


def test_durations_are_capped_at_a_minute(small: Stride) -> None:
    card = _next(small, NOON)
    with small.transaction() as session:
        answer_card(
            session,
            small.local_actor,
            card.card_id,
            Rating.GOOD,
            NOON,
            small.scheduler,
            duration_ms=10 * 60_000,
        )
        assert session.scalar(select(ReviewLog.duration_ms)) == 60_000


def test_learning_counts_only_what_can_be_shown_now(small: Stride) -> None:
    small.settings = replace(
        small.settings, learning_steps=(timedelta(minutes=1), timedelta(hours=1))
    )
    small.scheduler = Scheduler(small.settings)
    small.settings = replace(small.settings, new_cards_per_day=1)
    card = _next(small, NOON)
    with small.transaction() as session:
        answer_card(session, small.local_actor, card.card_id, Rating.GOOD, NOON, small.scheduler)
    counts = _counts(small, NOON)
    assert (counts.new, counts.learning) == (0, 0)  # due in an hour: beyond learn-ahead
    assert _next(small, NOON) is None
    assert counts.next_due == NOON + timedelta(hours=1)
    assert _counts(small, NOON + timedelta(minutes=45)).learning == 1
