"""Practice logging is bounded (issue 14, item 9): answer length and checks per minute.

A script could log 20 KB answers as fast as the server answered. Now an answer longer than
``MAX_STORED_ANSWER_CHARS`` is refused (Practice, study items and assignments alike) and a user's
Practice checks are limited per minute, counted in the database so every replica agrees.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quiz.runtime import Stride
from quiz.services.access import Actor
from quiz.services.answer_limits import MAX_STORED_ANSWER_CHARS
from quiz.services.assignments import (
    AssignmentSpec,
    ItemSpec,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
)
from quiz.services.practice import (
    PRACTICE_CHECKS_PER_MINUTE,
    PRACTICE_RATE_WINDOW,
    AttemptContext,
    PracticeRateLimited,
    exercise_for_item,
    make_exercise,
    submit_item,
    submit_practice,
)
from quiz.services.study import load_study_card
from quiz.store.models import Attempt, Card, ReviewLog, Submission, User
from quiz.vocabulary import MODE_HOMEWORK, ROLE_STUDENT
from tests.support import NOON

TOO_LONG = "7" + " " * MAX_STORED_ANSWER_CHARS  # one character over; the grader would read it
LIMIT_MESSAGE = f"at most {MAX_STORED_ANSWER_CHARS:,} characters"


def _student(stride: Stride, username: str) -> Actor:
    with stride.transaction() as session:
        user = User(username=username, role=ROLE_STUDENT, created_at=NOON)
        session.add(user)
        session.flush()
        return Actor.of(user)


def _attempts(stride: Stride, actor: Actor | None = None) -> int:
    with stride.transaction() as session:
        query = select(func.count(Attempt.id))
        if actor is not None:
            query = query.where(Attempt.user_id == actor.user_id)
        return session.scalar(query) or 0


def _check(stride: Stride, actor: Actor, answer: str, when, token: str | None = None):  # type: ignore[no-untyped-def]
    exercise = make_exercise("conv-output-size", 7, 2)
    return stride.write(
        lambda session: submit_practice(
            session, actor, exercise, answer, AttemptContext(client_token=token), when
        )
    )


# --- answer length ----------------------------------------------------------------------------


def test_a_practice_answer_too_long_is_refused_and_not_stored(stride: Stride) -> None:
    result = _check(stride, stride.local_actor, TOO_LONG, NOON)
    assert result.attempt_id is None and not result.grade.correct
    assert result.grade.format_error is not None and LIMIT_MESSAGE in result.grade.format_error
    assert _attempts(stride) == 0


def test_an_answer_at_the_limit_is_graded_and_stored(stride: Stride) -> None:
    exercise = make_exercise("conv-output-size", 7, 2)
    padded = exercise.answer + " " * (MAX_STORED_ANSWER_CHARS - len(exercise.answer))
    assert len(padded) == MAX_STORED_ANSWER_CHARS
    result = _check(stride, stride.local_actor, padded, NOON)
    assert result.grade.correct and result.attempt_id is not None
    assert _attempts(stride) == 1


def test_a_study_item_answer_too_long_rates_and_stores_nothing(stride: Stride) -> None:
    with stride.transaction() as session:
        card_id = session.scalar(select(Card.id).where(Card.exercise_family == "conv-output-size"))
        item = load_study_card(session, stride.local_actor, card_id)
    exercise = exercise_for_item(stride.local_actor, item)
    with stride.transaction() as session:
        result = submit_item(
            session,
            stride.local_actor,
            item,
            exercise,
            exercise.answer + " " * MAX_STORED_ANSWER_CHARS,
            AttemptContext(),
            NOON,
            stride.scheduler,
        )
        assert result.rating is None and result.attempt_id is None
        assert result.grade.format_error and LIMIT_MESSAGE in result.grade.format_error
        assert session.scalar(select(func.count(ReviewLog.id))) == 0
    assert _attempts(stride) == 0


def test_an_assignment_answer_too_long_uses_no_attempt(stride: Stride) -> None:
    alice = _student(stride, "alice")
    spec = AssignmentSpec(
        title="Homework",
        instructions="",
        mode=MODE_HOMEWORK,
        opens_at=NOON,
        due_at=NOON + timedelta(days=1),
        max_attempts=2,
        items=(ItemSpec("conv-output-size", 2),),
    )
    during = NOON + timedelta(hours=1)
    with stride.transaction() as session:
        assignment_id = create_assignment(session, stride.local_actor, spec, NOON)
        (item,) = open_assignment(session, alice, assignment_id, during).items
        long_right = item.exercise.answer + " " * MAX_STORED_ANSWER_CHARS
        result = submit_assignment_answer(
            session, alice, assignment_id, item.item_id, long_right, during
        )
        assert not result.recorded and result.attempts_left == 2
        assert result.grade is not None and LIMIT_MESSAGE in (result.grade.format_error or "")
        assert session.scalar(select(func.count(Submission.id))) == 0


# --- checks per minute ------------------------------------------------------------------------


def test_past_the_limit_a_check_is_refused_with_the_wait_and_nothing_is_stored(
    stride: Stride,
) -> None:
    alice = _student(stride, "alice")
    for n in range(PRACTICE_CHECKS_PER_MINUTE):  # one every second
        _check(stride, alice, f"{n + 1} x 1 x 1", NOON + timedelta(seconds=n))
    assert _attempts(stride, alice) == PRACTICE_CHECKS_PER_MINUTE
    at = NOON + timedelta(seconds=40)
    with pytest.raises(PracticeRateLimited) as refused:
        _check(stride, alice, "1 x 1 x 1", at)
    assert refused.value.retry_after == 20  # the first check leaves the window at NOON + 60 s
    assert "Slow down" in str(refused.value) and "Try again in 20 s" in str(refused.value)
    with pytest.raises(PracticeRateLimited):  # format errors are not checked either
        _check(stride, alice, "banana", at)
    assert _attempts(stride, alice) == PRACTICE_CHECKS_PER_MINUTE
    later = NOON + PRACTICE_RATE_WINDOW + timedelta(seconds=1)  # the first two have left it
    assert _check(stride, alice, "2 x 2 x 2", later).attempt_id is not None


def test_the_limit_is_per_user(stride: Stride) -> None:
    alice, bob = _student(stride, "alice"), _student(stride, "bob")
    for n in range(PRACTICE_CHECKS_PER_MINUTE):
        _check(stride, alice, f"{n + 1} x 1 x 1", NOON)
    with pytest.raises(PracticeRateLimited):
        _check(stride, alice, "1 x 1 x 1", NOON)
    assert _check(stride, bob, "1 x 1 x 1", NOON).attempt_id is not None


def test_a_resend_of_a_stored_answer_is_not_a_new_check(stride: Stride) -> None:
    alice = _student(stride, "alice")
    first = _check(stride, alice, "99 x 1 x 1", NOON, token="t" * 32)
    for n in range(1, PRACTICE_CHECKS_PER_MINUTE):
        _check(stride, alice, f"{n + 1} x 1 x 1", NOON)
    again = _check(stride, alice, "99 x 1 x 1", NOON, token="t" * 32)  # a double click
    assert again.attempt_id == first.attempt_id
    with pytest.raises(PracticeRateLimited):
        _check(stride, alice, "5 x 5 x 5", NOON, token="u" * 32)


def test_replicas_share_the_count(database_url: str) -> None:
    """Counted in the database, not in a process: two servers on one database agree."""
    one, two = Stride.open(database_url), Stride.open(database_url)
    try:
        alice = _student(one, "alice")
        half = PRACTICE_CHECKS_PER_MINUTE // 2
        for n in range(PRACTICE_CHECKS_PER_MINUTE):
            _check(one if n < half else two, alice, f"{n + 1} x 1 x 1", NOON)
        for replica in (one, two):
            with pytest.raises(PracticeRateLimited):
                _check(replica, alice, "1 x 1 x 1", NOON)
    finally:
        one.close()
        two.close()
