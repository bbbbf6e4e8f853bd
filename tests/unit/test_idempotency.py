"""Client tokens: a resent answer returns the first result and writes nothing; retry rules."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from quiz.runtime import Stride
from quiz.scheduling import Rating
from quiz.services.idempotency import ClientTokenError, answer_token, check_client_token
from quiz.services.practice import (
    AttemptContext,
    exercise_for_item,
    make_exercise,
    submit_item,
    submit_practice,
)
from quiz.services.study import StaleAnswerError, answer_card, load_study_card, next_card
from quiz.store.models import Attempt, Card, ReviewLog
from quiz.store.retry import backoff_seconds, is_retryable
from tests.support import NOON


def count(stride: Stride, table: type) -> int:
    with stride.transaction() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def first_flashcard(stride: Stride) -> int:
    with stride.transaction() as session:
        return session.scalars(select(Card.id).where(Card.kind == "flashcard")).first()


def test_a_resent_review_is_recorded_once(stride: Stride) -> None:
    actor, card_id = stride.local_actor, first_flashcard(stride)

    def send(rating: Rating):  # type: ignore[no-untyped-def]
        return stride.write(
            lambda session: answer_card(
                session,
                actor,
                card_id,
                rating,
                NOON,
                stride.scheduler,
                expected_reps=0,
                client_token="tab1-card-0",
            )
        )

    first = send(Rating.GOOD)
    again = send(Rating.EASY)  # a double click on another button: the first answer stands
    assert again.review_id == first.review_id and again.schedule.due == first.schedule.due
    assert again.interval == first.interval
    assert count(stride, ReviewLog) == 1
    with pytest.raises(StaleAnswerError):  # without the token, the stale check still refuses
        stride.write(
            lambda session: answer_card(
                session, actor, card_id, Rating.GOOD, NOON, stride.scheduler, expected_reps=0
            )
        )


def test_a_resent_practice_attempt_is_recorded_once(stride: Stride) -> None:
    exercise = make_exercise("conv-output-size", 3, 1)
    context = AttemptContext(2000, client_token=answer_token("nonce", "practice", 3, "x"))
    results = [
        stride.write(
            lambda session: submit_practice(
                session, stride.local_actor, exercise, exercise.answer, context, NOON
            )
        )
        for _ in range(3)
    ]
    assert len({result.attempt_id for result in results}) == 1
    assert all(result.grade.correct for result in results)
    assert count(stride, Attempt) == 1
    other = AttemptContext(2000, client_token=answer_token("nonce", "practice", 3, "y"))
    with stride.transaction() as session:
        submit_practice(session, stride.local_actor, exercise, "1x1", other, NOON)
    assert count(stride, Attempt) == 2


def test_a_resent_exercise_item_rates_once(stride: Stride) -> None:
    actor = stride.local_actor
    with stride.transaction() as session:
        item = next_card(session, actor, NOON, stride.settings)
        while item is not None and item.exercise_family is None:
            answer_card(session, actor, item.card_id, Rating.EASY, NOON, stride.scheduler)
            item = next_card(session, actor, NOON, stride.settings)
    assert item is not None
    exercise = exercise_for_item(actor, item)
    context = AttemptContext(5000, client_token="item-token")
    reviews_before = count(stride, ReviewLog)
    results = [
        stride.write(
            lambda session: submit_item(
                session, actor, item, exercise, exercise.answer, context, NOON, stride.scheduler
            )
        )
        for _ in range(2)
    ]
    assert results[0].attempt_id == results[1].attempt_id
    assert results[0].rating == results[1].rating is not None
    assert count(stride, ReviewLog) == reviews_before + 1


def test_an_exercise_item_answered_in_another_tab_is_refused_in_this_one(stride: Stride) -> None:
    """Tab B still shows the variant of review count 0 after tab A answered the item: B keeps
    that variant on screen (not the next one) and its answer is refused as stale."""
    actor = stride.local_actor
    with stride.transaction() as session:
        item = next_card(session, actor, NOON, stride.settings)
        while item is not None and item.exercise_family is None:
            answer_card(session, actor, item.card_id, Rating.EASY, NOON, stride.scheduler)
            item = next_card(session, actor, NOON, stride.settings)
    assert item is not None and item.schedule.reps == 0
    shown = exercise_for_item(actor, item)
    stride.write(  # tab A
        lambda session: submit_item(
            session, actor, item, shown, shown.answer, AttemptContext(5000), NOON, stride.scheduler
        )
    )
    with stride.transaction() as session:  # tab B's next run reloads the item: count 1 now
        reloaded = load_study_card(session, actor, item.card_id)
    assert reloaded is not None and reloaded.schedule.reps == 1
    assert exercise_for_item(actor, reloaded, reps=0) == shown  # B's screen keeps its variant
    assert exercise_for_item(actor, reloaded) != shown
    reviews = count(stride, ReviewLog)
    with pytest.raises(StaleAnswerError):
        stride.write(
            lambda session: submit_item(
                session,
                actor,
                reloaded,
                shown,
                shown.answer,
                AttemptContext(7000),
                NOON,
                stride.scheduler,
                expected_reps=0,
            )
        )
    assert count(stride, ReviewLog) == reviews


@pytest.mark.parametrize("token", ["", "x" * 65, "has space", "semi;colon", "ünï"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(ClientTokenError, match="1-64 characters"):
        check_client_token(token)


def test_answer_tokens_name_the_answer() -> None:
    token = answer_token("n", "review", 7, 0)
    check_client_token(token)
    assert token == answer_token("n", "review", 7, 0)
    assert token != answer_token("n", "review", 7, 1) != answer_token("m", "review", 7, 0)
    assert answer_token("n", "a", "b") != answer_token("n", "ab")


class FakeDriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (OperationalError("INSERT", {}, FakeDriverError("database is locked")), True),
        (OperationalError("x", {}, FakeDriverError("could not serialize", "40001")), True),
        (OperationalError("x", {}, FakeDriverError("deadlock detected", "40P01")), True),
        (OperationalError("x", {}, FakeDriverError("no such table: cards")), False),
        (
            IntegrityError(
                "x",
                {},
                FakeDriverError("UNIQUE failed: review_log.user_id, review_log.client_token"),
            ),
            True,
        ),
        (
            IntegrityError(
                "x",
                {},
                FakeDriverError("UNIQUE failed: card_schedules.user_id, card_schedules.card_id"),
            ),
            True,
        ),
        (IntegrityError("x", {}, FakeDriverError("UNIQUE failed: users.username")), False),
    ],
)
def test_which_errors_are_retried(error: OperationalError, retry: bool) -> None:
    assert is_retryable(error) is retry


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    for attempt in range(12):
        assert 0 <= backoff_seconds(attempt, rng) <= min(0.5, 0.01 * 2**attempt)


def test_write_gives_up_after_its_attempts(stride: Stride) -> None:
    calls = []

    def always_busy(_session):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise OperationalError("UPDATE", {}, FakeDriverError("database is locked"))

    with pytest.raises(OperationalError):
        stride.write(always_busy, attempts=3)
    assert len(calls) == 3
    with pytest.raises(ValueError):  # not a database error: no retry
        stride.write(lambda _session: (_ for _ in ()).throw(ValueError("bug")), attempts=3)


@pytest.mark.parametrize("reviewed_before", [False, True], ids=["new card", "reviewed card"])
def test_two_tabs_answering_one_card_at_the_same_moment_record_one_answer(
    stride: Stride, database_url: str, reviewed_before: bool
) -> None:
    """Both tabs showed the card at the same review count and answer it at once: one answer is
    recorded, the other is refused as stale. (PostgreSQL: both transactions read the schedule
    at the same time — a first answer used to fail on the schedule's unique key, a later one
    to be stored twice. SQLite's writers take turns, so there the second simply sees the first.)
    """
    card_id = first_flashcard(stride)
    actor = stride.local_actor
    if reviewed_before:
        stride.write(
            lambda session: answer_card(
                session, actor, card_id, Rating.GOOD, NOON, stride.scheduler
            )
        )
    shown_reps = 1 if reviewed_before else 0
    together = threading.Barrier(2, timeout=10)
    concurrent = database_url.startswith("postgresql")

    def answer(_tab: int) -> str:
        tries = []

        def work(session):  # type: ignore[no-untyped-def]
            tries.append(1)
            if concurrent and len(tries) == 1:
                together.wait()  # both transactions are open before either reads the schedule
            answer_card(
                session,
                actor,
                card_id,
                Rating.GOOD,
                NOON,
                stride.scheduler,
                expected_reps=shown_reps,
            )

        try:
            stride.write(work)
        except StaleAnswerError:
            return "stale"
        return "recorded"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(answer, range(2)))
    assert outcomes == ["recorded", "stale"]
    assert count(stride, ReviewLog) == shown_reps + 1
