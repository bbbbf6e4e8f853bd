"""The Statistics services (``review_stats``, ``review_summary``, ``card_stats``,
``exercise_stats``): study days in a time zone with a 4 am day start, the windows and ranges they
pick, the figures they assemble (with zeros for quiet days), and who may read them.

Now is Wednesday 25 November 2026, 12:00 UTC = 7 am in New York (EST), so today's study day is
25 November and began at 09:00 UTC. Rows are written straight into the tables (see
:class:`tests.unit.test_stats_store.History`), except in the test that answers real cards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

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
    CardStats,
    DayStats,
    ExerciseStats,
    ForecastDay,
    Mistake,
    Ranges,
    Retention,
    ReviewStats,
    ReviewSummary,
    StateCounts,
    card_stats,
    exercise_stats,
    review_stats,
    review_summary,
    study_date,
    study_day_start,
    study_day_starts,
)
from quiz.services.study import answer_card, day_bounds
from quiz.store.models import Card
from quiz.vocabulary import ROLE_INSTRUCTOR, ROLE_STUDENT
from tests.support import NOON, notes_text
from tests.unit.test_stats_store import AGAIN, GOOD, HARD, LEARNING, History

NEW_YORK = ZoneInfo("America/New_York")
SETTINGS = StudySettings(timezone=NEW_YORK, day_starts_at_hour=4, enable_fuzzing=False)
TODAY = date(2026, 11, 25)
TODAY_START = datetime(2026, 11, 25, 9, tzinfo=UTC)  # 4 am EST
NOV30_START = datetime(2026, 11, 30, 9, tzinfo=UTC)  # next Monday's study day


@pytest.fixture
def history(database_url: str) -> Iterator[History]:
    app = Stride.open(database_url, SETTINGS, load_builtin=False)
    with app.transaction() as session:
        yield History.start(session)
    app.close()


SERVICES = (review_stats, review_summary, card_stats, exercise_stats)
Service = Callable[[Session, Actor, int, datetime, StudySettings], object]


def _actor(user: int) -> Actor:
    return Actor(user, "someone", ROLE_STUDENT)


def _reviews(history: History, user: int) -> ReviewStats:
    """The reviews of ``user`` read by ``user``, after checking that :func:`review_summary`
    gives the headline numbers exactly as ``review_stats(...).summary`` does."""
    session = history.done()
    stats = review_stats(session, _actor(user), user, NOON, SETTINGS)
    assert review_summary(session, _actor(user), user, NOON, SETTINGS) == stats.summary
    return stats


def _cards(history: History, user: int) -> CardStats:
    return card_stats(history.done(), _actor(user), user, NOON, SETTINGS)


def _exercises(history: History, user: int) -> ExerciseStats:
    return exercise_stats(history.done(), _actor(user), user, NOON, SETTINGS)


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
    ada = history.user("ada")
    reviews = _reviews(history, ada)
    assert reviews.today == TODAY
    assert len(reviews.days) == CALENDAR_DAYS and reviews.total_reviews == 0
    assert reviews.days[0] == DayStats(TODAY - timedelta(days=CALENDAR_DAYS - 1))
    assert reviews.today_stats == DayStats(TODAY)
    assert reviews.summary == ReviewSummary(ada, TODAY, 0, 0, 0, 0, CALENDAR_DAYS)
    assert [r.days for r in reviews.retention] == [7, 30, 365]
    assert all(r.young_rate is None and r.mature_rate is None for r in reviews.retention)
    cards = _cards(history, ada)
    assert cards.today == TODAY
    assert cards.forecast[0] == ForecastDay(TODAY) and len(cards.forecast) == FORECAST_DAYS
    assert cards.states == StateCounts()
    for histogram in (cards.stability, cards.difficulty, cards.retrievability):
        assert histogram.total == 0 and histogram.mean is None
    assert len(cards.retrievability.counts) == RETRIEVABILITY_BINS
    exercises = _exercises(history, ada)
    assert len(exercises.week_starts) == WEEKS and exercises.week_starts[-1] == date(2026, 11, 23)
    assert exercises.families == ()


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
    stats = _reviews(history, ada)
    by_date = {d.day: d for d in stats.days if d.reviews}
    assert by_date == {
        TODAY: DayStats(TODAY, good=1, duration_ms=1000),
        date(2026, 11, 24): DayStats(date(2026, 11, 24), again=1, duration_ms=1000),
        date(2026, 11, 20): DayStats(date(2026, 11, 20), hard=1, good=1, duration_ms=5000),
        date(2026, 10, 31): DayStats(date(2026, 10, 31), good=1, duration_ms=1000),
        date(2026, 8, 17): DayStats(date(2026, 8, 17), again=1, good=1, duration_ms=2000),
    }
    assert stats.days[0].day == date(2025, 11, 26) and stats.total_reviews == 7
    assert stats.summary == ReviewSummary(
        ada,
        TODAY,
        reviews_today=1,
        duration_ms_today=1000,
        total_reviews=7,
        days_studied=5,
        period_days=CALENDAR_DAYS,
    )
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
    stats = _cards(history, ada)
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
    stats = _exercises(history, ada)
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
        reviews = review_stats(session, actor, actor.user_id, NOON, SETTINGS)
        summary = review_summary(session, actor, actor.user_id, NOON, SETTINGS)
        cards = card_stats(session, actor, actor.user_id, NOON, SETTINGS)
    app.close()
    assert reviews.total_reviews == 5 and summary == reviews.summary
    assert (summary.total_reviews, summary.days_studied, summary.reviews_today) == (5, 2, 0)
    assert cards.states.new == 1 and cards.states.total == 5
    assert sum(f.total for f in cards.forecast) == 4  # every reviewed card is due within 30 days
    assert cards.retrievability.total == 4 and cards.stability.total == 4


# --- who may read them -----------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.__name__)
def test_students_see_only_their_own_statistics(history: History, service: Service) -> None:
    ada, bob = history.user("ada"), history.user("bob")
    teacher = history.user("teacher", ROLE_INSTRUCTOR)
    session = history.done()
    with pytest.raises(PermissionDenied, match="your own statistics"):
        service(session, Actor(ada, "ada", ROLE_STUDENT), bob, NOON, SETTINGS)
    assert service(session, Actor(ada, "ada", ROLE_STUDENT), ada, NOON, SETTINGS)
    assert service(session, Actor(teacher, "t", ROLE_INSTRUCTOR), bob, NOON, SETTINGS)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.__name__)
def test_a_naive_now_is_refused(history: History, service: Service) -> None:
    ada = history.user("ada")
    with pytest.raises(ValueError, match="timezone-aware"):
        service(
            history.done(),
            Actor(ada, "ada", ROLE_STUDENT),
            ada,
            NOON.replace(tzinfo=None),
            SETTINGS,
        )


def test_the_ranges_of_a_study_day_are_remembered_and_the_same_as_computed() -> None:
    """:meth:`Ranges.at` is memoised per study day and settings: any moment of the day gives
    the same ranges, equal to computing them afresh; the next day's start gives new ones."""
    ranges = Ranges.at(NOON, SETTINGS)
    assert Ranges.at(TODAY_START, SETTINGS) is ranges
    first = TODAY - timedelta(days=CALENDAR_DAYS - 1)
    assert ranges.first == first and ranges.today == TODAY
    assert ranges.day_bounds == tuple(study_day_starts(first, CALENDAR_DAYS, SETTINGS))
    assert ranges.day_bounds[-2:] == (TODAY_START, datetime(2026, 11, 26, 9, tzinfo=UTC))
    forecast = study_day_starts(TODAY, FORECAST_DAYS, SETTINGS)
    assert ranges.forecast_bounds[1:] == tuple(forecast[1:]) and ranges.forecast_bounds[0].year == 1
    assert ranges.week_bounds[-2:] == (datetime(2026, 11, 23, 9, tzinfo=UTC), NOV30_START)
    tomorrow = Ranges.at(datetime(2026, 11, 26, 9, tzinfo=UTC), SETTINGS)
    assert tomorrow.today == date(2026, 11, 26) and tomorrow.day_bounds[-3] == TODAY_START
    midnight = StudySettings(timezone=NEW_YORK, day_starts_at_hour=0)
    assert Ranges.at(NOON, midnight).day_bounds[-2] == datetime(2026, 11, 25, 5, tzinfo=UTC)


def test_rating_constants_match_the_scheduler() -> None:
    assert (AGAIN, HARD, GOOD) == (Rating.AGAIN, Rating.HARD, Rating.GOOD)
