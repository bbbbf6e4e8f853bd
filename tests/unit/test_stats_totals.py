"""``review_totals`` (the Statistics page's headline numbers without the per-day table) against
the sums of ``reviews_by_day``, and the remembered day boundaries of ``day_table`` (both backends).

Study days start at 4 am in New York; the study day of Saturday 31 October 2026 runs 25 hours
(daylight saving time ended at 2 am EDT on 1 November). Rows are written straight into the
tables (:class:`tests.unit.test_stats_store.History`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from quiz.config import StudySettings
from quiz.runtime import Stride
from quiz.store import stats as store
from quiz.store.models import ReviewLog, User
from quiz.store.types import UTCDateTime
from tests.unit.test_stats_store import AGAIN, DAYS, EASY, GOOD, HARD, NOV1, NOV3, OCT30, History

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def history(database_url: str) -> Iterator[History]:
    app = Stride.open(database_url, StudySettings(enable_fuzzing=False), load_builtin=False)
    with app.transaction() as session:
        yield History.start(session)
    app.close()


def _summed(rows: list[store.DayReviews], days: int) -> store.ReviewTotals:
    """What the page used to add up from the per-day rows."""
    last = [row for row in rows if row.day == days - 1]
    return store.ReviewTotals(
        reviews=sum(row.reviews for row in rows),
        days_with_reviews=sum(1 for row in rows if row.reviews),
        last_day_reviews=sum(row.reviews for row in last),
        last_day_duration_ms=sum(row.duration_ms for row in last),
    )


def test_totals_add_up_the_days_around_the_day_start_and_dst(history: History) -> None:
    ada, bob = history.user("ada"), history.user("bob")
    (card,) = history.cards(1)
    for moment, rating, duration in [
        (OCT30 - timedelta(microseconds=1), GOOD, 1000),  # before the range
        (OCT30, AGAIN, 1000),
        (OCT30 + timedelta(hours=20), HARD, None),  # no recorded time
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), EASY, 2000),  # 1:30 am EST: Oct 31
        (NOV1, GOOD, 3000),  # Nov 1 (the range's third day); Nov 2, the last, has no review
        (NOV3, GOOD, 1000),  # the end of the range: not counted
    ]:
        history.review(ada, card, moment, rating=rating, duration_ms=duration)
    history.review(bob, card, NOV1, duration_ms=5000)
    session = history.done()
    totals = store.review_totals(session, ada, DAYS)
    assert totals == store.ReviewTotals(4, 3, 0, 0)
    assert totals == _summed(store.reviews_by_day(session, ada, DAYS), len(DAYS) - 1)
    assert store.review_totals(session, ada, DAYS[:4]) == store.ReviewTotals(4, 3, 1, 3000)
    assert store.review_totals(session, history.user("carol"), DAYS) == (0, 0, 0, 0)


def test_only_ratings_again_to_easy_are_reviews_as_in_the_per_day_table(history: History) -> None:
    """A log row with another rating is no review in either query; its time counts only on a
    day that has a review, exactly as the per-day rows sum it."""
    ada = history.user("ada")
    (card,) = history.cards(1)
    history.review(ada, card, OCT30 + timedelta(hours=1), rating=0, duration_ms=700)
    history.review(ada, card, OCT30 + timedelta(hours=2), rating=GOOD, duration_ms=300)
    history.review(ada, card, NOV1 + timedelta(hours=1), rating=5, duration_ms=900)  # Nov 1 only
    session = history.done()
    rows = store.reviews_by_day(session, ada, DAYS[:4])  # Nov 1 is the last day
    assert [(row.day, row.reviews, row.duration_ms) for row in rows] == [(0, 1, 1000)]
    totals = store.review_totals(session, ada, DAYS[:4])
    assert totals == store.ReviewTotals(1, 1, 0, 0) == _summed(rows, 3)
    first_day = store.review_totals(session, ada, DAYS[:2])
    assert first_day == store.ReviewTotals(1, 1, 1, 1000)


RANGE_START = datetime(2026, 3, 1, 5, tzinfo=UTC)
MOMENTS = st.integers(-86_400_000_000, 12 * 86_400_000_000).map(
    lambda us: RANGE_START + timedelta(microseconds=us)
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    answers=st.lists(
        st.tuples(MOMENTS, st.integers(0, 5), st.none() | st.integers(0, 60_000)), max_size=30
    ),
    lengths=st.lists(st.integers(1, 50 * 3600), min_size=1, max_size=12),
)
def test_totals_equal_the_sums_of_the_days_for_any_days_and_answers(
    history: History, answers: list[tuple[datetime, int, int | None]], lengths: list[int]
) -> None:
    session = history.session  # shared by the examples: start each from an empty log
    session.execute(delete(ReviewLog))
    user = session.scalars(select(User.id).order_by(User.id)).first()  # the local user
    assert user is not None
    if not history._cards:
        history.cards(1)
    boundaries = [RANGE_START]
    for seconds in lengths:
        boundaries.append(boundaries[-1] + timedelta(seconds=seconds))
    for moment, rating, duration in answers:
        history.review(user, 1, moment, rating=rating, duration_ms=duration)
    session = history.done()
    rows = store.reviews_by_day(session, user, boundaries)
    assert store.review_totals(session, user, boundaries) == _summed(rows, len(lengths))


# --- the remembered day boundaries -----------------------------------------------------------


def test_the_remembered_boundaries_are_the_text_the_column_stores(history: History) -> None:
    dialect = history.done().get_bind().dialect
    if dialect.name != "sqlite":
        pytest.skip("the boundaries travel as text only on SQLite")
    to_text = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert to_text is not None
    text = store._sqlite_day_pairs(dialect, tuple(DAYS))
    assert text == store._sqlite_day_pairs(dialect, tuple(DAYS))
    assert text.startswith('[["2026-10-30 08:00:00.000000", "2026-10-31 08:00:00.000000"], ')
    assert text == str([[to_text(a), to_text(b)] for a, b in pairwise(DAYS)]).replace("'", '"')


def test_local_boundaries_an_hour_apart_in_a_dst_fold_are_not_confused(history: History) -> None:
    """1:30 am on 1 November 2026 happens twice in New York (EDT, then EST): the two compare and
    hash equal, but they are different boundaries, and each call counts its own day."""
    ada = history.user("ada")
    (card,) = history.cards(1)
    history.review(ada, card, datetime(2026, 11, 1, 6, tzinfo=UTC))  # 1 am EST, between the two
    session = history.done()
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)  # 05:30 UTC
    second = first.replace(fold=1)  # 06:30 UTC
    end = datetime(2026, 11, 1, 4, tzinfo=NEW_YORK)
    assert (first, end) == (second, end) and hash((first, end)) == hash((second, end))
    assert [row.reviews for row in store.reviews_by_day(session, ada, [first, end])] == [1]
    assert store.reviews_by_day(session, ada, [second, end]) == []
    assert store.reviews_by_day(session, ada, [first, end])[0].good == 1
    utc = [first.astimezone(UTC), end.astimezone(UTC)]
    assert store.reviews_by_day(session, ada, utc) == store.reviews_by_day(
        session, ada, [first, end]
    )
