"""Attempts and scheduled exercise items: logging, the rating rule, undo, variants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quiz.exercises.rating import QUICK_SECONDS, rating_for
from quiz.exercises.registry import get_family
from quiz.grading import AnswerKind, Grade
from quiz.runtime import Stride
from quiz.scheduling import Rating
from quiz.services.practice import (
    AttemptContext,
    exercise_for_item,
    make_exercise,
    submit_item,
    submit_practice,
    variant_seed,
)
from quiz.services.study import load_study_card, undo_last_answer
from quiz.store.models import Attempt, Card, ReviewLog
from tests.support import NOON

RIGHT = Grade(score=1.0, correct=True)
WRONG = Grade(score=0.5, correct=False)
UNREADABLE = Grade(score=0.0, correct=False, format_error="expected a number")


@pytest.mark.parametrize(
    ("grade", "helped", "duration_ms", "rating"),
    [
        (UNREADABLE, False, 1000, None),
        (WRONG, False, 1000, Rating.AGAIN),
        (WRONG, True, 1000, Rating.AGAIN),
        (RIGHT, True, 1000, Rating.HARD),
        (RIGHT, False, 1000, Rating.EASY),
        (RIGHT, False, QUICK_SECONDS[AnswerKind.SHAPE] * 1000 + 1, Rating.GOOD),
        (RIGHT, False, None, Rating.GOOD),
    ],
)
def test_rating_rule(
    grade: Grade, helped: bool, duration_ms: int | None, rating: Rating | None
) -> None:
    assert rating_for(grade, AnswerKind.SHAPE, helped=helped, duration_ms=duration_ms) == rating


def test_matrices_get_more_time_to_be_quick() -> None:
    assert QUICK_SECONDS[AnswerKind.MATRIX] > QUICK_SECONDS[AnswerKind.NUMBER]


def _item(stride: Stride):  # type: ignore[no-untyped-def]
    with stride.transaction() as session:
        card_id = session.scalar(select(Card.id).where(Card.exercise_family == "conv-output-size"))
        return load_study_card(session, stride.local_actor, card_id)


def test_practice_attempts_are_logged_but_format_errors_are_not(stride: Stride) -> None:
    exercise = make_exercise("conv-output-size", 7, 2)
    with stride.transaction() as session:
        bad = submit_practice(
            session, stride.local_actor, exercise, "48 by 4x", AttemptContext(), NOON
        )
        wrong = submit_practice(
            session, stride.local_actor, exercise, "128 × 62 × 62", AttemptContext(5000), NOON
        )
        right = submit_practice(
            session,
            stride.local_actor,
            exercise,
            exercise.answer,
            AttemptContext(9000, used_hint=True),
            NOON,
        )
    assert bad.attempt_id is None and bad.grade.format_error
    assert right.grade.correct and right.attempt_id is not None
    assert wrong.grade.mistake == "forgot_plus_one"
    with stride.transaction() as session:
        rows = session.scalars(select(Attempt).order_by(Attempt.id)).all()
        assert [(a.raw_answer, a.score, a.mistake, a.used_hint, a.source) for a in rows] == [
            ("128 × 62 × 62", 0.0, "forgot_plus_one", False, "practice"),
            (exercise.answer, 1.0, None, True, "practice"),
        ]
        assert (rows[0].family, rows[0].seed, rows[0].difficulty) == ("conv-output-size", 7, 2)
        assert session.scalar(select(func.count(ReviewLog.id))) == 0  # practice rates nothing


def test_a_scheduled_item_is_rated_and_comes_back_as_a_new_variant(stride: Stride) -> None:
    item = _item(stride)
    assert item.is_exercise and item.exercise_difficulty == 2
    first = exercise_for_item(stride.local_actor, item)
    assert first == exercise_for_item(stride.local_actor, item)  # stable within a review
    with stride.transaction() as session:
        result = submit_item(
            session,
            stride.local_actor,
            item,
            first,
            first.answer,
            AttemptContext(4000),
            NOON,
            stride.scheduler,
        )
    assert result.rating == Rating.EASY and result.grade.correct
    with stride.transaction() as session:
        attempt = session.scalars(select(Attempt)).one()
        assert attempt.source == "study" and attempt.card_id == item.card_id
        assert attempt.review_id == session.scalar(select(ReviewLog.id))
    again = _item(stride)
    assert again.schedule.reps == 1
    assert exercise_for_item(stride.local_actor, again).seed != first.seed


def test_a_format_error_on_an_item_rates_nothing(stride: Stride) -> None:
    item = _item(stride)
    exercise = exercise_for_item(stride.local_actor, item)
    with stride.transaction() as session:
        result = submit_item(
            session,
            stride.local_actor,
            item,
            exercise,
            "banana",
            AttemptContext(),
            NOON,
            stride.scheduler,
        )
        assert result.rating is None and result.attempt_id is None
        assert session.scalar(select(func.count(ReviewLog.id))) == 0


def test_undo_of_an_item_removes_its_attempt_and_restores_the_variant(stride: Stride) -> None:
    item = _item(stride)
    exercise = exercise_for_item(stride.local_actor, item)
    with stride.transaction() as session:
        submit_item(
            session,
            stride.local_actor,
            item,
            exercise,
            "1 × 1 × 1",
            AttemptContext(),
            NOON,
            stride.scheduler,
        )
    with stride.transaction() as session:
        assert undo_last_answer(session, stride.local_actor) == item.card_id
        assert session.scalar(select(func.count(Attempt.id))) == 0
    assert exercise_for_item(stride.local_actor, _item(stride)) == exercise


def test_variant_seeds_differ_by_user_item_and_review() -> None:
    seeds = {variant_seed(u, c, r) for u in (1, 2) for c in (5, 6) for r in (0, 1, 2)}
    assert len(seeds) == 12
    assert all(0 <= seed < 2**31 for seed in seeds)


def test_wrong_answers_are_rated_again_and_due_soon(stride: Stride) -> None:
    item = _item(stride)
    exercise = exercise_for_item(stride.local_actor, item)
    with stride.transaction() as session:
        result = submit_item(
            session,
            stride.local_actor,
            item,
            exercise,
            "1 × 1 × 1",
            AttemptContext(),
            NOON,
            stride.scheduler,
        )
    assert result.rating == Rating.AGAIN
    assert _item(stride).schedule.due == NOON + timedelta(minutes=1)
    assert get_family("conv-output-size").id == exercise.family
