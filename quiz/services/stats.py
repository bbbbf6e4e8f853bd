"""Learning statistics for one user: what the Statistics page draws, as plain data.

The page shows one tab at a time, so the figures come in parts that each run only their own
queries: :func:`review_stats` (reviews per day, true retention, and the headline numbers),
:func:`card_stats` (forecast, card states, FSRS distributions) and :func:`exercise_stats`
(attempts, accuracy per week, mistakes, mastery); :func:`review_summary` gives just the headline
numbers, the same as ``review_stats(...).summary``, with cheaper queries.

The numbers come from the SQL aggregates of :mod:`quiz.store.stats`; this module picks the
ranges (study days, weeks), names things, and fills the days and weeks without activity with
zeros, so every sequence has a fixed length and the page never has to guess.

* **Study days** run from ``day_starts_at_hour`` in the configured time zone to the same hour the
  next day, exactly as the study queue counts them (:func:`quiz.services.study.day_bounds`). Their
  UTC boundaries are computed here with ``zoneinfo``, so a day across a DST change is 23 or 25 h.
* **True retention** (Anki's): of the reviews of cards that were in the Review state, the share
  not rated Again, split into *young* (interval before the review < 21 days) and *mature*.
* **Retrievability** is FSRS's ``R(t, S) = (1 + FACTOR · t / S) ^ DECAY``, with ``DECAY`` and
  ``FACTOR`` taken from the installed ``fsrs`` scheduler's parameters; an exercise family's
  **mastery** is the mean ``R`` of the user's scheduled items of that family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache

import fsrs
from sqlalchemy.orm import Session

from quiz.config import StudySettings
from quiz.exercises.base import Family
from quiz.exercises.registry import FAMILIES
from quiz.services.access import Actor, require_self_or_instructor
from quiz.store import stats as store

CALENDAR_DAYS = 365
"""The calendar, the reviews-per-day chart and the longest retention window cover this many days."""
FORECAST_DAYS = 30
RETENTION_WINDOWS = (7, 30, 365)
WEEKS = 26
"""Exercise accuracy is shown per week (Monday to Sunday, in study days) for this many weeks."""
MISTAKES_PER_FAMILY = 5
MATURE_DAYS = store.MATURE_DAYS

STABILITY_EDGES: tuple[float, ...] = (
    *(0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365, 540, 730, 1095),
    float("inf"),
)
"""Stability bins in days (the last one is open-ended)."""
DIFFICULTY_EDGES: tuple[float, ...] = tuple(float(d) for d in range(1, 11))
"""FSRS difficulty runs from 1 to 10; one bin per unit (10 itself falls in the last)."""
RETRIEVABILITY_BINS = 20
RETRIEVABILITY_EDGES: tuple[float, ...] = tuple(
    round(i / RETRIEVABILITY_BINS, 4) for i in range(RETRIEVABILITY_BINS + 1)
)
"""Retrievability in 5% bins (100% falls in the last)."""

_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
WEEK = timedelta(weeks=1)


# --- the data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayStats:
    """One study day's reviews by rating, and the time spent (milliseconds)."""

    day: date
    again: int = 0
    hard: int = 0
    good: int = 0
    easy: int = 0
    duration_ms: int = 0

    @property
    def reviews(self) -> int:
        return self.again + self.hard + self.good + self.easy


@dataclass(frozen=True)
class Retention:
    """True retention over the last ``days`` study days (today included).

    ``young`` reviews are of cards whose interval was under 21 days, ``mature`` of the others;
    ``*_passed`` counts those not rated Again. Rates are ``None`` when there was no review.
    """

    days: int
    young_passed: int = 0
    young_reviews: int = 0
    mature_passed: int = 0
    mature_reviews: int = 0

    @property
    def young_rate(self) -> float | None:
        return _rate(self.young_passed, self.young_reviews)

    @property
    def mature_rate(self) -> float | None:
        return _rate(self.mature_passed, self.mature_reviews)

    @property
    def total_rate(self) -> float | None:
        return _rate(
            self.young_passed + self.mature_passed, self.young_reviews + self.mature_reviews
        )

    @property
    def reviews(self) -> int:
        return self.young_reviews + self.mature_reviews


@dataclass(frozen=True)
class ForecastDay:
    """Cards due on study day ``day``: learning/relearning, young and mature review cards.

    Day 0 (today) also counts every overdue card.
    """

    day: date
    learning: int = 0
    young: int = 0
    mature: int = 0

    @property
    def total(self) -> int:
        return self.learning + self.young + self.mature


@dataclass(frozen=True)
class StateCounts:
    """The user's active cards by state; suspended cards are counted only as suspended."""

    new: int = 0
    learning: int = 0
    relearning: int = 0
    young: int = 0
    mature: int = 0
    suspended: int = 0

    @property
    def total(self) -> int:
        return (
            self.new + self.learning + self.relearning + self.young + self.mature + self.suspended
        )


@dataclass(frozen=True)
class Histogram:
    """``counts[i]`` values fell in ``[edges[i], edges[i + 1])``; ``mean`` of all of them."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    mean: float | None

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Mistake:
    """A named mistake (the tag the family's grader gives), its description and how often."""

    tag: str
    description: str
    count: int


@dataclass(frozen=True)
class WeekAttempts:
    attempts: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float | None:
        return _rate(self.correct, self.attempts)


@dataclass(frozen=True)
class FamilyStats:
    """One exercise family for one user.

    ``weeks`` lines up with :attr:`ExerciseStats.week_starts`. ``mastery`` is the mean current
    retrievability of the user's scheduled exercise items of this family (``None`` without any).
    """

    family: str
    title: str
    attempts: int
    correct: int
    weeks: tuple[WeekAttempts, ...]
    mistakes: tuple[Mistake, ...]
    items: int
    mastery: float | None

    @property
    def accuracy(self) -> float | None:
        return _rate(self.correct, self.attempts)


@dataclass(frozen=True)
class ReviewSummary:
    """The headline numbers of one user's reviews over the last :data:`CALENDAR_DAYS` study days
    (``today`` the last): today's reviews and time spent (milliseconds), all the period's
    reviews, and on how many of its ``period_days`` days there was at least one."""

    user_id: int
    today: date
    reviews_today: int
    duration_ms_today: int
    total_reviews: int
    days_studied: int
    period_days: int = CALENDAR_DAYS


@dataclass(frozen=True)
class ReviewStats:
    """One user's reviews: the Statistics page's headline numbers and its Reviews tab.

    ``days`` has :data:`CALENDAR_DAYS` entries, oldest first, ending with ``today`` (a study
    day); ``retention`` has one entry per :data:`RETENTION_WINDOWS` window.
    """

    user_id: int
    today: date
    days: tuple[DayStats, ...]
    retention: tuple[Retention, ...]

    @property
    def total_reviews(self) -> int:
        return sum(day.reviews for day in self.days)

    @property
    def today_stats(self) -> DayStats:
        return self.days[-1]

    @property
    def days_studied(self) -> int:
        return sum(1 for day in self.days if day.reviews)

    @property
    def summary(self) -> ReviewSummary:
        """The headline numbers, as :func:`review_summary` gives them."""
        return ReviewSummary(
            user_id=self.user_id,
            today=self.today,
            reviews_today=self.today_stats.reviews,
            duration_ms_today=self.today_stats.duration_ms,
            total_reviews=self.total_reviews,
            days_studied=self.days_studied,
            period_days=len(self.days),
        )


@dataclass(frozen=True)
class CardStats:
    """One user's cards: the Statistics page's Cards tab.

    ``forecast`` has :data:`FORECAST_DAYS` entries starting ``today``; ``states`` counts the
    active cards by state; the histograms describe the reviewed, active, unsuspended ones (FSRS
    stability in days at :data:`STABILITY_EDGES`, difficulty at :data:`DIFFICULTY_EDGES`,
    current retrievability at :data:`RETRIEVABILITY_EDGES`).
    """

    user_id: int
    today: date
    forecast: tuple[ForecastDay, ...]
    states: StateCounts
    stability: Histogram
    difficulty: Histogram
    retrievability: Histogram


@dataclass(frozen=True)
class ExerciseStats:
    """One user's exercises: the Statistics page's Exercises tab.

    ``week_starts`` are the Mondays of the last :data:`WEEKS` weeks (in study days), oldest
    first; ``families`` are the families the user attempted or has scheduled items of (see
    :class:`FamilyStats`), in the registry's order, then unknown ones by id.
    """

    user_id: int
    week_starts: tuple[date, ...]
    families: tuple[FamilyStats, ...]


# --- study days ------------------------------------------------------------------------------


def study_date(now: datetime, settings: StudySettings) -> date:
    """The study day that contains ``now``: its local date (before the day-start hour, the
    previous date), as :func:`quiz.services.study.day_bounds` counts it."""
    local = now.astimezone(settings.timezone)
    day = local.date()
    if local < datetime.combine(day, time(settings.day_starts_at_hour), settings.timezone):
        day -= timedelta(days=1)
    return day


def study_day_start(day: date, settings: StudySettings) -> datetime:
    """When study day ``day`` begins, in UTC (``day_starts_at_hour`` local time on that date).

    A start hour that a DST change skips resolves as ``zoneinfo`` does for ``fold=0``, the same
    as :func:`quiz.services.study.day_bounds`.
    """
    local = datetime.combine(day, time(settings.day_starts_at_hour), settings.timezone)
    return local.astimezone(UTC)


def study_day_starts(first: date, count: int, settings: StudySettings) -> list[datetime]:
    """The ``count + 1`` UTC boundaries of ``count`` study days starting on ``first``."""
    return [study_day_start(first + timedelta(days=i), settings) for i in range(count + 1)]


@cache
def forgetting_curve() -> tuple[float, float]:
    """``(DECAY, FACTOR)`` of the installed FSRS scheduler's forgetting curve.

    ``DECAY = -w[20]`` and ``FACTOR = 0.9 ^ (1 / DECAY) - 1``, so that ``R(S, S) = 0.9``:
    stability is the time it takes recall to fall to 90%.
    """
    decay = -float(fsrs.Scheduler().parameters[20])
    return decay, 0.9 ** (1 / decay) - 1


# --- the use case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranges:
    """The periods the page's figures cover at one moment, as study days and their UTC bounds.

    ``day_bounds``: the :data:`CALENDAR_DAYS` + 1 starts of the days ``first`` … ``today``
    (the last is tomorrow's start); ``forecast_bounds``: :data:`FORECAST_DAYS` + 1 starts from
    today, the first replaced by the earliest datetime so that overdue cards count today;
    ``week_bounds``: the starts of the :data:`WEEKS` weeks ``week_starts`` (Mondays) and of next
    week.
    """

    today: date
    first: date
    day_bounds: tuple[datetime, ...]
    forecast_bounds: tuple[datetime, ...]
    week_starts: tuple[date, ...]
    week_bounds: tuple[datetime, ...]

    @classmethod
    def at(cls, now: datetime, settings: StudySettings) -> Ranges:
        if now.tzinfo is None:
            raise ValueError("expected a timezone-aware datetime")
        return _ranges(study_date(now, settings), settings)


@lru_cache(maxsize=16)
def _ranges(today: date, settings: StudySettings) -> Ranges:
    """The :class:`Ranges` of study day ``today``: a pure function of the day and the settings,
    remembered because the 400-odd ``zoneinfo`` conversions are a visible part of a page run."""
    first = today - timedelta(days=CALENDAR_DAYS - 1)
    forecast = study_day_starts(today, FORECAST_DAYS, settings)
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    return Ranges(
        today=today,
        first=first,
        day_bounds=tuple(study_day_starts(first, CALENDAR_DAYS, settings)),
        forecast_bounds=(_EARLIEST, *forecast[1:]),
        week_starts=tuple(weeks),
        week_bounds=tuple(study_day_start(d, settings) for d in [*weeks, monday + WEEK]),
    )


def review_stats(
    session: Session, actor: Actor, user_id: int, now: datetime, settings: StudySettings
) -> ReviewStats:
    """``user_id``'s reviews per study day over the last :data:`CALENDAR_DAYS` days up to the one
    containing ``now`` (UTC), and true retention over each of :data:`RETENTION_WINDOWS`: the
    headline numbers (:attr:`ReviewStats.summary`) and the Reviews tab. One query.

    Students may read only their own; instructors anyone's (:class:`PermissionDenied` otherwise).
    """
    require_self_or_instructor(actor, user_id, "statistics")
    ranges = Ranges.at(now, settings)
    reviews = store.reviews_by_day(session, user_id, ranges.day_bounds)
    return ReviewStats(
        user_id=user_id,
        today=ranges.today,
        days=_days(reviews, ranges.first),
        retention=tuple(_retention(reviews, window) for window in RETENTION_WINDOWS),
    )


def review_summary(
    session: Session, actor: Actor, user_id: int, now: datetime, settings: StudySettings
) -> ReviewSummary:
    """Only the headline numbers of :func:`review_stats` (equal to its ``summary``), for a page
    run that shows no other figure of the reviews: one query that counts rather than aggregates
    every day (days studied by probing each day for one review).

    Students may read only their own; instructors anyone's (:class:`PermissionDenied` otherwise).
    """
    require_self_or_instructor(actor, user_id, "statistics")
    ranges = Ranges.at(now, settings)
    totals = store.review_totals(session, user_id, ranges.day_bounds)
    return ReviewSummary(
        user_id=user_id,
        today=ranges.today,
        reviews_today=totals.last_day_reviews,
        duration_ms_today=totals.last_day_duration_ms,
        total_reviews=totals.reviews,
        days_studied=totals.days_with_reviews,
        period_days=CALENDAR_DAYS,
    )


def card_stats(
    session: Session, actor: Actor, user_id: int, now: datetime, settings: StudySettings
) -> CardStats:
    """``user_id``'s cards at ``now`` (UTC): due on each of the next :data:`FORECAST_DAYS` study
    days (today with the overdue ones), counted by state, and binned by FSRS stability,
    difficulty and current retrievability: the Cards tab.

    Students may read only their own; instructors anyone's (:class:`PermissionDenied` otherwise).
    """
    require_self_or_instructor(actor, user_id, "statistics")
    ranges = Ranges.at(now, settings)
    due = store.due_by_day(session, user_id, ranges.forecast_bounds)
    decay, factor = forgetting_curve()
    r_rows = store.retrievability_histogram(
        session, user_id, now, RETRIEVABILITY_BINS, decay=decay, factor=factor
    )
    return CardStats(
        user_id=user_id,
        today=ranges.today,
        forecast=_forecast(due, ranges.today),
        states=StateCounts(**dict(store.state_counts(session, user_id))),
        stability=_histogram(
            store.stability_histogram(session, user_id, STABILITY_EDGES), STABILITY_EDGES
        ),
        difficulty=_histogram(
            store.difficulty_histogram(session, user_id, DIFFICULTY_EDGES), DIFFICULTY_EDGES
        ),
        retrievability=_histogram(r_rows, RETRIEVABILITY_EDGES),
    )


def exercise_stats(
    session: Session, actor: Actor, user_id: int, now: datetime, settings: StudySettings
) -> ExerciseStats:
    """``user_id``'s exercise families at ``now`` (UTC): all-time attempts, correct answers and
    most frequent mistakes, attempts per week over the last :data:`WEEKS` weeks, and the mastery
    of their scheduled items: the Exercises tab.

    Students may read only their own; instructors anyone's (:class:`PermissionDenied` otherwise).
    """
    require_self_or_instructor(actor, user_id, "statistics")
    ranges = Ranges.at(now, settings)
    decay, factor = forgetting_curve()
    return ExerciseStats(
        user_id=user_id,
        week_starts=ranges.week_starts,
        families=_families(session, user_id, now, ranges.week_bounds, decay, factor),
    )


# --- assembling ------------------------------------------------------------------------------


def _days(rows: list[store.DayReviews], first: date) -> tuple[DayStats, ...]:
    by_day = {row.day: row for row in rows}
    return tuple(
        DayStats(first + timedelta(days=i), *by_day[i][1:6])
        if i in by_day
        else DayStats(first + timedelta(days=i))
        for i in range(CALENDAR_DAYS)
    )


def _retention(rows: list[store.DayReviews], window: int) -> Retention:
    """Sums over the last ``window`` days of the per-day aggregates."""
    recent = [row for row in rows if row.day >= CALENDAR_DAYS - window]
    young = sum(row.young_reviews for row in recent)
    mature = sum(row.mature_reviews for row in recent)
    return Retention(
        window,
        young_passed=young - sum(row.young_again for row in recent),
        young_reviews=young,
        mature_passed=mature - sum(row.mature_again for row in recent),
        mature_reviews=mature,
    )


def _forecast(rows: list[store.DayDue], today: date) -> tuple[ForecastDay, ...]:
    by_day = {row.day: row for row in rows}
    return tuple(
        ForecastDay(today + timedelta(days=i), *by_day[i][1:])
        if i in by_day
        else ForecastDay(today + timedelta(days=i))
        for i in range(FORECAST_DAYS)
    )


def _histogram(rows: list[store.Bucket], edges: tuple[float, ...]) -> Histogram:
    counts = [0] * (len(edges) - 1)
    total = 0.0
    for row in rows:
        counts[row.bucket] += row.cards
        total += row.total
    n = sum(counts)
    return Histogram(edges, tuple(counts), total / n if n else None)


def _families(
    session: Session,
    user_id: int,
    now: datetime,
    week_bounds: Sequence[datetime],
    decay: float,
    factor: float,
) -> tuple[FamilyStats, ...]:
    """Families the user attempted or has scheduled items of: the registry's order, then any
    unknown ones (a family since removed) by id."""
    attempts: dict[str, list[int]] = {}  # family -> [attempts, correct]
    tagged: dict[str, dict[str, int]] = {}  # family -> mistake -> count
    for row in store.attempt_outcomes(session, user_id):
        totals = attempts.setdefault(row.family, [0, 0])
        totals[0] += row.attempts
        totals[1] += row.attempts if row.correct else 0
        if row.mistake is not None:
            counts = tagged.setdefault(row.family, {})
            counts[row.mistake] = counts.get(row.mistake, 0) + row.attempts
    weekly: dict[str, list[WeekAttempts]] = {}
    for week in store.attempts_by_week(session, user_id, week_bounds):
        weeks = weekly.setdefault(week.family, [WeekAttempts()] * WEEKS)
        weeks[week.week] = WeekAttempts(week.attempts, week.correct)
    mastery = {
        row.family: row
        for row in store.mastery_by_family(session, user_id, now, decay=decay, factor=factor)
    }
    seen = set(attempts) | set(mastery)
    ordered = [f for f in FAMILIES if f in seen] + sorted(seen - set(FAMILIES))
    result = []
    for family_id in ordered:
        family = FAMILIES.get(family_id)
        total, correct = attempts.get(family_id, (0, 0))
        items = mastery.get(family_id)
        result.append(
            FamilyStats(
                family=family_id,
                title=family.title if family else family_id,
                attempts=total,
                correct=correct,
                weeks=tuple(weekly.get(family_id, [WeekAttempts()] * WEEKS)),
                mistakes=_top_mistakes(tagged.get(family_id, {}), family),
                items=items.items if items else 0,
                mastery=items.retrievability_total / items.items if items and items.items else None,
            )
        )
    return tuple(result)


def _top_mistakes(counts: dict[str, int], family: Family | None) -> tuple[Mistake, ...]:
    """The :data:`MISTAKES_PER_FAMILY` most frequent mistakes, most frequent first (ties by tag),
    described as the family's grader names them (the bare tag for an unknown one)."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MISTAKES_PER_FAMILY]
    names = family.mistake_tags if family else {}
    return tuple(Mistake(tag, names.get(tag, tag), count) for tag, count in ranked)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
