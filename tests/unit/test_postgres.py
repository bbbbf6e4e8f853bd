"""The same store and use cases on a real PostgreSQL server (``STRIDE_TEST_POSTGRES_URL``).

``.ci/run`` starts a throwaway server and sets ``STRIDE_REQUIRE_POSTGRES=1``, so there these tests
must run; elsewhere they skip with a one-line reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, text

from quiz.config import StudySettings
from quiz.runtime import Stride
from quiz.scheduling import Rating
from quiz.services.deck_browser import search_cards, suspend
from quiz.services.practice import AttemptContext, make_exercise, submit_practice
from quiz.services.study import answer_card, due_counts, next_card, undo_last_answer
from quiz.store.db import make_engine
from quiz.store.migrate import current_revision, downgrade, head_revision, upgrade
from tests.support import NOON

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url = os.environ.get("STRIDE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("STRIDE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL tests are required here but STRIDE_TEST_POSTGRES_URL is unset")
        pytest.skip("no PostgreSQL server (set STRIDE_TEST_POSTGRES_URL; .ci/run starts one)")
    engine = make_engine(url)
    with engine.begin() as connection:  # start from an empty database
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


def test_migrations_up_down_up(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert {"cards", "review_log", "attempts", "card_suspensions"} <= set(
        inspect(engine).get_table_names()
    )
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def test_study_practice_and_browse_on_postgres(postgres_url: str) -> None:
    stride = Stride.open(postgres_url, StudySettings(enable_fuzzing=False))
    user = stride.local_actor
    with stride.transaction() as session:
        (counts,) = due_counts(session, user, NOON, stride.settings)
        assert counts.new == stride.settings.new_cards_per_day
        card = next_card(session, user, NOON, stride.settings)
        assert card is not None and card.schedule.is_new
        answer_card(
            session, user, card.card_id, Rating.GOOD, NOON, stride.scheduler, expected_reps=0
        )
    with stride.transaction() as session:
        assert due_counts(session, user, NOON, stride.settings)[0].learning == 1
        assert undo_last_answer(session, user) == card.card_id
        exercise = make_exercise("conv-grad-weight", 5, 1)
        result = submit_practice(session, user, exercise, exercise.answer, AttemptContext(), NOON)
        assert result.grade.correct and result.attempt_id is not None
        rows = search_cards(session, user, NOON, stride.scheduler, text="STRIDE")
        assert rows, "case-insensitive text search works on PostgreSQL too"
        suspend(session, user, [rows[0].id], NOON)
        found = search_cards(session, user, NOON, stride.scheduler, state="suspended")
        assert [row.id for row in found] == [rows[0].id]
    stride.close()
