"""``learning_stats``: study days in a time zone with a 4 am day start, the windows and ranges it
picks, the figures it assembles (with zeros for quiet days), and who may read them.

Now is Wednesday 25 November 2026, 12:00 UTC = 7 am in New York (EST), so today's study day is
25 November and began at 09:00 UTC. Rows are written straight into the tables (see
:class:`tests.unit.test_stats_store.History`), except in the test that answers real cards.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from quiz.config import StudySettings
from quiz.decks import parse_deck_text
from quiz.exercises.registry import FAMILIES
from quiz.runtime import Stride
from quiz.scheduling import Rating, Scheduler
from quiz.services.access import Actor, PermissionDenied
from quiz.services.decks import import_deck
from quiz.services.stats import (
    CALENDAR_DAYS,
    FORECAST_DAYS,
    RETRIEVABILITY_BINS,
    WEEKS,
    DayStats,
    ForecastDay,
    LearningStats,
    Mistake,
    Retention,
    StateCounts,
    learning_stats,
    study_date,
    study_day_start,
    study_day_starts,
)
from quiz.services.study import answer_card, day_bounds
from quiz.store.models import ROLE_INSTRUCTOR, ROLE_STUDENT, Card
from tests.support import NOON, notes_text
from tests.unit.test_stats_store import AGAIN, GOOD, HARD, LEARNING, History

NEW_YORK = ZoneInfo("America/New_York")
SETTINGS = StudySettings(timezone=NEW_YORK, day_starts_at_hour=4, enable_fuzzing=False)
TODAY = date(2026, 11, 25)
TODAY_START = datetime(2026, 11, 25, 9, tzinfo=UTC)  # 4 am EST


@pytest.fixture
def history(database_url: str) -> Iterator[History]:
    app = Stride.open(database_url, SETTINGS, load_builtin=False)
    with app.transaction() as session:
        yield History.start(session)
    app.close()


def _stats(history: History, user: int, role: str = ROLE_STUDENT) -> LearningStats:
    actor = Actor(user, "someone", role)
    return learning_stats(history.done(), actor, user, NOON, SETTINGS)


# --- study days ------------------------------------------------------------------------------


def test_the_study_day_starts_at_4_am_local_time() -> None:
    assert study_date(NOON, SETTINGS) == TODAY
    assert study_date(TODAY_START, SETTINGS) == TODAY
    assert study_date(TODAY_START - timedelta(microseconds=1), SETTINGS) == date(2026, 11, 24)
    assert study_date(datetime(2026, 11, 25, 4, 59, tzinfo=UTC), SETTINGS) == date(2026, 11, 24)
    midnight = StudySettings(timezone=ZoneInfo("Europe/Berlin"), day_starts_at_hour=0)
    assert study_date(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), midnight) == date(2026, 3, 29)
    assert study_day_start(TODAY, SETTINGS) == TODAY_START


def test_study_days_across_dst_changes_are_25_and_23_hours_long() -> None:
    autumn = study_day_starts(date(2026, 10, 31), 2, SETTINGS)
    assert autumn == [
        datetime(2026, 10, 31, 8, tzinfo=UTC),  # 4 am EDT
        datetime(2026, 11, 1, 9, tzinfo=UTC),  # 4 am EST
        datetime(2026, 11, 2, 9, tzinfo=UTC),
    ]
    spring = study_day_starts(date(2026, 3, 7), 2, SETTINGS)
    assert [b - a for a, b in pairwise(spring)] == [
        timedelta(hours=23),
        timedelta(hours=24),
    ]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC"]),
    hour=st.integers(0, 23),
)
def test_study_days_agree_with_the_study_queue(moment: datetime, zone: str, hour: int) -> None:
    """The page's study day is the queue's (:func:`quiz.services.study.day_bounds`), for any
    moment, zone (Lord Howe shifts by 30 minutes) and day start, DST gaps included."""
    config = StudySettings(timezone=ZoneInfo(zone), day_starts_at_hour=hour)
    start, end = day_bounds(moment, config)
    day = study_date(moment, config)
    assert study_day_starts(day, 1, config) == [start, end]
    assert start <= moment < end


# --- the figures -----------------------------------------------------------------------------


def test_a_new_user_gets_fixed_length_empty_figures(history: History) -> None:
    stats = _stats(history, history.user("ada"))
    assert stats.today == TODAY
    assert len(stats.days) == CALENDAR_DAYS and stats.total_reviews == 0
    assert stats.days[0] == DayStats(TODAY - timedelta(days=CALENDAR_DAYS - 1))
    assert stats.today_stats == DayStats(TODAY)
    assert [r.days for r in stats.retention] == [7, 30, 365]
    assert all(r.young_rate is None and r.mature_rate is None for r in stats.retention)
    assert stats.forecast[0] == ForecastDay(TODAY) and len(stats.forecast) == FORECAST_DAYS
    assert stats.states == StateCounts()
    for histogram in (stats.stability, stats.difficulty, stats.retrievability):
        assert histogram.total == 0 and histogram.mean is None
    assert len(stats.retrievability.counts) == RETRIEVABILITY_BINS
    assert len(stats.week_starts) == WEEKS and stats.week_starts[-1] == date(2026, 11, 23)
    assert stats.families == ()


def test_reviews_days_and_retention_windows(history: History) -> None:
    ada, bob = history.user("ada"), history.user("bob")
    (card,) = history.cards(1)
    mature = timedelta(days=30)
    history.review(ada, card, TODAY_START + timedelta(minutes=30), interval=mature)
    history.review(ada, card, TODAY_START - timedelta(minutes=30), rating=AGAIN)  # 3:30 am: 24th
    history.review(ada, card, datetime(2026, 11, 20, 15, tzinfo=UTC), duration_ms=4000)
    history.review(ada, card, datetime(2026, 11, 20, 16, tzinfo=UTC), rating=HARD)
    history.review(ada, card, datetime(2026, 11, 1, 8, 30, tzinfo=UTC))  # 3:30 am EST: Oct 31
    history.review(ada, card, datetime(2026, 8, 17, 12, tzinfo=UTC), rating=AGAIN, interval=mature)
    history.review(ada, card, datetime(2026, 8, 17, 13, tzinfo=UTC), state=LEARNING)
    history.review(ada, card, datetime(2025, 11, 25, 8, 59, tzinfo=UTC))  # Nov 24, 2025: too old
    history.review(bob, card, TODAY_START)
    stats = _stats(history, ada)
    by_date = {d.day: d for d in stats.days if d.reviews}
    assert by_date == {
        TODAY: DayStats(TODAY, good=1, duration_ms=1000),
        date(2026, 11, 24): DayStats(date(2026, 11, 24), again=1, duration_ms=1000),
        date(2026, 11, 20): DayStats(date(2026, 11, 20), hard=1, good=1, duration_ms=5000),
        date(2026, 10, 31): DayStats(date(2026, 10, 31), good=1, duration_ms=1000),
        date(2026, 8, 17): DayStats(date(2026, 8, 17), again=1, good=1, duration_ms=2000),
    }
    assert stats.days[0].day == date(2025, 11, 26) and stats.total_reviews == 7
    week, month, year = stats.retention
    assert week == Retention(7, young_passed=2, young_reviews=3, mature_passed=1, mature_reviews=1)
    assert month == Retention(
        30, young_passed=3, young_reviews=4, mature_passed=1, mature_reviews=1
    )
    assert year == Retention(
        365, young_passed=3, young_reviews=4, mature_passed=1, mature_reviews=2
    )
    assert week.young_rate == pytest.approx(2 / 3) and week.mature_rate == 1.0
    assert year.total_rate == pytest.approx(4 / 6) and year.reviews == 6


def test_forecast_states_and_distributions(history: History) -> None:
    ada = history.user("ada")
    cards = history.cards(6)
    history.schedule(ada, cards[0], due=NOON - timedelta(days=3), stability=0.5)  # overdue
    history.schedule(ada, cards[1], due=TODAY_START + timedelta(hours=23), state=LEARNING)
    history.schedule(ada, cards[2], due=TODAY_START + timedelta(days=1), stability=40.0)
    history.schedule(
        ada, cards[3], due=TODAY_START + timedelta(days=29), interval=timedelta(days=25)
    )
    history.schedule(ada, cards[4], due=TODAY_START + timedelta(days=30))  # beyond the forecast
    stats = _stats(history, ada)
    assert [(f.day, f.learning, f.young, f.mature) for f in stats.forecast if f.total] == [
        (TODAY, 1, 1, 0),
        (date(2026, 11, 26), 0, 1, 0),
        (date(2026, 12, 24), 0, 0, 1),
    ]
    assert stats.states == StateCounts(new=1, learning=1, young=3, mature=1)
    assert stats.stability.total == 5
    assert stats.stability.counts[0] == 1  # 0.5 days
    assert stats.stability.counts[stats.stability.edges.index(30)] == 1  # 40 days: 30-45
    assert stats.stability.mean == pytest.approx((0.5 + 3 * 3 + 40) / 5)
    assert stats.difficulty.counts[4] == 5 and stats.difficulty.mean == pytest.approx(5.0)
    assert stats.retrievability.total == 5


def test_exercise_families(history: History) -> None:
    ada = history.user("ada")
    this_week = datetime(2026, 11, 23, 9, tzinfo=UTC)  # Monday 4 am EST
    for _ in range(3):
        history.attempt(ada, "same-padding", this_week, correct=False, mistake="off_by_one")
    history.attempt(ada, "same-padding", this_week - timedelta(minutes=1), correct=True)
    history.attempt(ada, "same-padding", NOON, correct=False, mistake="used_kernel_size")
    history.attempt(ada, "same-padding", NOON, correct=True)
    history.attempt(ada, "retired-family", NOON, correct=True)
    (item,) = history.cards(1, family="conv-macs")
    history.schedule(ada, item, due=NOON, stability=4.0, last_review=NOON - timedelta(days=4))
    stats = _stats(history, ada)
    padding, macs, retired = stats.families
    assert [f.family for f in stats.families] == ["same-padding", "conv-macs", "retired-family"]
    assert padding.title == FAMILIES["same-padding"].title and retired.title == "retired-family"
    assert (padding.attempts, padding.correct, padding.accuracy) == (6, 2, pytest.approx(1 / 3))
    assert [(w.attempts, w.correct) for w in padding.weeks[-2:]] == [(1, 1), (5, 1)]
    assert sum(w.attempts for w in padding.weeks[:-2]) == 0
    assert padding.mistakes == (
        Mistake("off_by_one", FAMILIES["same-padding"].mistake_tags["off_by_one"], 3),
        Mistake("used_kernel_size", FAMILIES["same-padding"].mistake_tags["used_kernel_size"], 1),
    )
    assert (padding.items, padding.mastery) == (0, None)
    assert (macs.attempts, macs.accuracy, macs.items) == (0, None, 1)
    assert macs.mastery == pytest.approx(0.9)


def test_real_answers_add_up(database_url: str) -> None:
    """Cards answered through the study service show up in every count."""
    app = Stride.open(database_url, SETTINGS, load_builtin=False)
    scheduler = Scheduler(SETTINGS)
    with app.transaction() as session:
        cards = [(f"Question {n}?", f"Answer {n}.") for n in range(1, 6)]
        import_deck(session, parse_deck_text(notes_text("Small", cards)), NOON)
        actor = app.local_actor
        ids = list(session.scalars(select(Card.id).order_by(Card.id)))
        moment = NOON - timedelta(days=10)
        for card_id in ids[:4]:
            answer_card(session, actor, card_id, Rating.GOOD, moment, scheduler)
        answer_card(session, actor, ids[0], Rating.AGAIN, moment + timedelta(days=2), scheduler)
        stats = learning_stats(session, actor, actor.user_id, NOON, SETTINGS)
    app.close()
    assert stats.total_reviews == 5
    assert stats.states.new == 1 and stats.states.total == 5
    assert sum(f.total for f in stats.forecast) == 4  # every reviewed card is due within 30 days
    assert stats.retrievability.total == 4 and stats.stability.total == 4


# --- who may read them -----------------------------------------------------------------------


def test_students_see_only_their_own_statistics(history: History) -> None:
    ada, bob = history.user("ada"), history.user("bob")
    teacher = history.user("teacher", ROLE_INSTRUCTOR)
    session = history.done()
    with pytest.raises(PermissionDenied, match="your own statistics"):
        learning_stats(session, Actor(ada, "ada", ROLE_STUDENT), bob, NOON, SETTINGS)
    assert learning_stats(session, Actor(ada, "ada", ROLE_STUDENT), ada, NOON, SETTINGS)
    assert learning_stats(session, Actor(teacher, "t", ROLE_INSTRUCTOR), bob, NOON, SETTINGS)


def test_a_naive_now_is_refused(history: History) -> None:
    ada = history.user("ada")
    with pytest.raises(ValueError, match="timezone-aware"):
        learning_stats(
            history.done(),
            Actor(ada, "ada", ROLE_STUDENT),
            ada,
            NOON.replace(tzinfo=None),
            SETTINGS,
        )


def test_rating_constants_match_the_scheduler() -> None:
    assert (AGAIN, HARD, GOOD) == (Rating.AGAIN, Rating.HARD, Rating.GOOD)
