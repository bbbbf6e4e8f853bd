"""Aggregate queries behind the Statistics page: SQL only, each returning a few plain rows.

Nothing here loops over the review log in Python: every function runs aggregate queries whose
results have at most a few hundred rows, whatever the size of the log.

**Study days.** A review belongs to the study day that contains it, which runs from
``day_starts_at_hour`` in the user's time zone to the same hour the next day. Such a day is not
always 86,400 s long (23 h or 25 h across a DST change), so a fixed-width bucket
``floor((t - anchor) / 86400)`` would drift by an hour after every change. Instead the caller
passes the UTC start of every day of the range (computed with ``zoneinfo``) and the query reads
them as a small table ``days(idx, start_at, end_at)``, aggregating ``start_at <= t < end_at`` for
each row of it. That is exact on every backend and needs no time-zone support in the database.
The boundaries travel as *one* JSON parameter (``json_each`` on SQLite, ``json_to_recordset`` on
PostgreSQL), so the statement text is the same on every call and SQLAlchemy compiles it once.
On SQLite they are sent in the exact text that :class:`~quiz.store.types.UTCDateTime` stores
(``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts chronologically), remembered per boundaries (the
page asks for the same ones all day); PostgreSQL compares ``timestamptz`` values.

Each day is aggregated by a *correlated scalar subquery* (one range scan of the index on
``(user_id, reviewed_at)`` per day), not by a join and ``GROUP BY``, which in SQLite sorts every
row of the year to group it (about 2x slower on a million reviews). A scalar subquery returns one
value, so a day's aggregates are packed into one JSON array.

**Two counts in one sum.** Conditional counts are most of the cost per row, so counts that come
in pairs share one integer sum: a row adds 1 to count it in the *low* lane and ``2^32`` in the
*high* lane, and :func:`_lanes` splits the sum back. A day (or the forecast's day) never holds
``2^32`` rows, so the lanes cannot overflow into each other.

**Young and mature.** As in Anki, a review-state card is *mature* when its interval is at least
:data:`MATURE_DAYS` (21) days. The interval is the *scheduled* one (Anki's ``ivl``):
``due - last_review`` for a schedule, and ``due_before - last_review_before`` for a review (the
interval the card had when it was answered, Anki's ``lastIvl``).

**Retrievability** is FSRS's forgetting curve ``R(t, S) = (1 + FACTOR · t / S) ^ DECAY`` with
``t`` the whole days elapsed since the last review (floored, as ``fsrs`` does) and ``S`` the
stability in days; the caller passes ``DECAY`` and ``FACTOR``. PostgreSQL has ``power()``;
SQLite has it only when compiled with its math functions, so :func:`ensure_power` registers a
deterministic Python ``power`` on SQLite connections that lack it (once per connection).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Float,
    FromClause,
    Integer,
    SQLColumnExpression,
    String,
    and_,
    case,
    cast,
    column,
    exists,
    extract,
    func,
    literal,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from quiz.store.models import Attempt, Card, CardSchedule, CardSuspension, ReviewLog
from quiz.store.types import UTCDateTime
from quiz.vocabulary import CARD_KIND_EXERCISE

MATURE_DAYS = 21
"""A review-state card whose interval is at least this many days is mature (Anki's rule)."""

STATE_NEW, STATE_LEARNING, STATE_REVIEW, STATE_RELEARNING = 0, 1, 2, 3  # scheduling.CardState
RATING_AGAIN, RATING_HARD, RATING_GOOD, RATING_EASY = 1, 2, 3, 4  # scheduling.Rating

_LANE = 1 << 32
_MS_PER_DAY = 86_400_000
_EDGE_SLACK = 1e-9


# --- rows ------------------------------------------------------------------------------------


class DayReviews(NamedTuple):
    """Reviews in study day ``day`` (an index into the boundaries).

    ``again`` … ``easy`` count every review by rating; ``young_*`` and ``mature_*`` count only
    reviews of cards that were in the Review state (``*_again``: those rated Again), split by the
    interval they had. ``duration_ms`` sums the recorded answer times.
    """

    day: int
    again: int
    hard: int
    good: int
    easy: int
    duration_ms: int
    young_reviews: int
    young_again: int
    mature_reviews: int
    mature_again: int

    @property
    def reviews(self) -> int:
        return self.again + self.hard + self.good + self.easy


class ReviewTotals(NamedTuple):
    """Counts over the days of some boundaries, as :func:`reviews_by_day` would add them up.

    ``reviews`` counts every review rated Again … Easy; ``days_with_reviews`` the days with at
    least one; ``last_day_*`` the last day's reviews and recorded answer time (0 when it has no
    review, as a day without reviews has no :class:`DayReviews` row).
    """

    reviews: int
    days_with_reviews: int
    last_day_reviews: int
    last_day_duration_ms: int


class DayDue(NamedTuple):
    """Schedules due in study day ``day``: learning/relearning, young and mature review cards."""

    day: int
    learning: int
    young: int
    mature: int


class StateCount(NamedTuple):
    """How many of the user's active cards are in ``state`` (see :func:`state_counts`)."""

    state: str
    cards: int


class Bucket(NamedTuple):
    """Histogram bin ``bucket`` (``edges[bucket] <= value < edges[bucket + 1]``)."""

    bucket: int
    cards: int  # not ``count``: a NamedTuple field must not hide tuple.count
    total: float
    """The sum of the values in the bin (so means need no second query)."""


class FamilyOutcome(NamedTuple):
    """Attempts at ``family`` that were ``correct`` (or not) and tagged ``mistake`` (or None)."""

    family: str
    mistake: str | None
    correct: bool
    attempts: int  # not ``count``: a NamedTuple field must not hide tuple.count


class WeekAttempts(NamedTuple):
    """Attempts at ``family`` in week ``week`` (an index into the week boundaries)."""

    week: int
    family: str
    attempts: int
    correct: int


class FamilyMastery(NamedTuple):
    """The family's scheduled exercise items and the sum of their current retrievability."""

    family: str
    items: int
    retrievability_total: float


# --- study days ------------------------------------------------------------------------------


def day_table(session: Session, boundaries: Sequence[datetime], name: str = "days") -> FromClause:
    """``days(idx, start_at, end_at)``: day ``i`` runs from ``boundaries[i]`` to ``[i + 1]``.

    ``boundaries`` are increasing, timezone-aware datetimes (n + 1 of them for n days). They are
    bound as one JSON parameter, so the statement around the table is cacheable.
    """
    if len(boundaries) < 2:
        raise ValueError("need at least two boundaries (one day)")
    if any(b.tzinfo is None for b in boundaries):
        raise ValueError("boundaries must be timezone-aware")
    if any(a >= b for a, b in pairwise(boundaries)):
        raise ValueError("boundaries must increase")
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        utc = tuple(b if b.tzinfo is UTC else b.astimezone(UTC) for b in boundaries)
        pairs = _sqlite_day_pairs(dialect, utc)
        each = func.json_each(literal(pairs, String)).table_valued("key", "value")
        return select(
            cast(each.c.key, Integer).label("idx"),
            func.json_extract(each.c.value, "$[0]").label("start_at"),
            func.json_extract(each.c.value, "$[1]").label("end_at"),
        ).subquery(name)
    rows = [
        {"idx": i, "start_at": a.isoformat(), "end_at": b.isoformat()}
        for i, (a, b) in enumerate(pairwise(boundaries))
    ]
    return (
        func.json_to_recordset(literal(rows, JSON))
        .table_valued(
            column("idx", Integer),
            column("start_at", UTCDateTime()),
            column("end_at", UTCDateTime()),
        )
        .render_derived(name=name, with_types=True)
    )


@lru_cache(maxsize=32)
def _sqlite_day_pairs(dialect: Dialect, boundaries: tuple[datetime, ...]) -> str:
    """The JSON text ``[[start, end], ...]`` of consecutive UTC ``boundaries``, each as
    :class:`~quiz.store.types.UTCDateTime` binds it on ``dialect`` (an SQLite one).

    Remembered: the page asks for the same boundaries all day, and converting the calendar's 366
    through the bind processor costs milliseconds. The caller passes UTC datetimes, so equal keys
    are equal instants and give the same text (two local times of one zone that differ only in
    ``fold`` compare and hash equal, though they are an hour apart).
    """
    to_text = UTCDateTime().dialect_impl(dialect).bind_processor(dialect) or str
    return json.dumps([[to_text(a), to_text(b)] for a, b in pairwise(boundaries)])


# --- reviews ---------------------------------------------------------------------------------


def reviews_by_day(
    session: Session, user_id: int, boundaries: Sequence[datetime]
) -> list[DayReviews]:
    """Per study day: the count of each rating, the time spent, and true-retention counts.

    One row per day that has reviews, in day order. True retention over some days is
    ``1 - again / reviews`` summed over their young (or mature) columns.
    """
    days = day_table(session, boundaries)
    log = ReviewLog
    rating, in_review = log.rating, log.state_before == STATE_REVIEW
    mature = _interval_at_least(session, log.due_before, log.last_review_before, MATURE_DAYS)
    again_high = case((rating == RATING_AGAIN, _high(1)), else_=1)  # 1 + 2^32 if Again
    packed = (
        select(
            _packed(
                session,
                func.sum(
                    case((rating == RATING_AGAIN, 1), (rating == RATING_HARD, _high()), else_=0)
                ),
                func.sum(
                    case((rating == RATING_GOOD, 1), (rating == RATING_EASY, _high()), else_=0)
                ),
                func.sum(log.duration_ms),
                func.sum(case((in_review, again_high), else_=0)),  # reviews, of which Again
                func.sum(case((and_(in_review, mature), again_high), else_=0)),  # mature ones
            )
        )
        .where(
            log.user_id == user_id,
            log.reviewed_at >= days.c.start_at,
            log.reviewed_at < days.c.end_at,
        )
        .scalar_subquery()
    )
    rows = []
    for day, value in session.execute(select(days.c.idx, packed).order_by(days.c.idx)):
        hard_again, easy_good, duration_ms, review, mature_review = _unpacked(value, 5)
        again, hard = _lanes(hard_again)
        good, easy = _lanes(easy_good)
        if again + hard + good + easy == 0:
            continue
        reviews, reviews_again = _lanes(review)
        matures, matures_again = _lanes(mature_review)
        rows.append(
            DayReviews(
                int(day),
                again,
                hard,
                good,
                easy,
                duration_ms,
                reviews - matures,
                reviews_again - matures_again,
                matures,
                matures_again,
            )
        )
    return rows


def review_totals(session: Session, user_id: int, boundaries: Sequence[datetime]) -> ReviewTotals:
    """The totals of :func:`reviews_by_day` without aggregating every day: the reviews of the
    whole range (counted), whether each day has one (an ``EXISTS`` that stops at the first), and
    the last day's count and time. One statement.

    Equal to summing :func:`reviews_by_day`'s rows: only ratings Again … Easy are reviews, and
    the last day's time sums all of its answers, but only if it has a review.
    """
    days = day_table(session, boundaries)
    log = ReviewLog
    rated = log.rating.in_((RATING_AGAIN, RATING_HARD, RATING_GOOD, RATING_EASY))
    total = (
        select(func.count())
        .select_from(log)
        .where(
            log.user_id == user_id,
            log.reviewed_at >= _bound(boundaries[0]),
            log.reviewed_at < _bound(boundaries[-1]),
            rated,
        )
        .scalar_subquery()
    )
    studied = (
        select(func.count())
        .select_from(days)
        .where(
            exists().where(
                log.user_id == user_id,
                log.reviewed_at >= days.c.start_at,
                log.reviewed_at < days.c.end_at,
                rated,
            )
        )
        .scalar_subquery()
    )
    last_day = (
        select(_packed(session, func.sum(case((rated, 1), else_=0)), func.sum(log.duration_ms)))
        .where(
            log.user_id == user_id,
            log.reviewed_at >= _bound(boundaries[-2]),
            log.reviewed_at < _bound(boundaries[-1]),
        )
        .scalar_subquery()
    )
    reviews, days_with_reviews, packed = session.execute(select(total, studied, last_day)).one()
    last_reviews, last_duration_ms = _unpacked(packed, 2)
    return ReviewTotals(
        int(reviews or 0),
        int(days_with_reviews or 0),
        last_reviews,
        last_duration_ms if last_reviews else 0,
    )


# --- schedules -------------------------------------------------------------------------------


def due_by_day(session: Session, user_id: int, boundaries: Sequence[datetime]) -> list[DayDue]:
    """Active, unsuspended schedules due per study day: learning, young and mature ones.

    Day ``i`` counts schedules due in ``[boundaries[i], boundaries[i + 1])``; pass a very early
    first boundary to count overdue cards on day 0. One row per day with something due.
    """
    days = day_table(session, boundaries)
    s = CardSchedule
    in_review = s.state == STATE_REVIEW
    mature = _interval_at_least(session, s.due, s.last_review, MATURE_DAYS)
    packed = (
        select(
            _packed(
                session,
                func.sum(case((in_review, 0), else_=1)),
                func.sum(case((in_review, case((mature, _high()), else_=1)), else_=0)),
            )
        )
        .select_from(s)
        .join(Card, Card.id == s.card_id)
        .where(
            s.user_id == user_id,
            s.due >= days.c.start_at,
            s.due < days.c.end_at,
            Card.active,
            _not_suspended(user_id, s.card_id),
        )
        .scalar_subquery()
    )
    rows = []
    for day, value in session.execute(select(days.c.idx, packed).order_by(days.c.idx)):
        learning, review = _unpacked(value, 2)
        young, mature_count = _lanes(review)
        if learning or young or mature_count:
            rows.append(DayDue(int(day), learning, young, mature_count))
    return rows


def state_counts(session: Session, user_id: int) -> list[StateCount]:
    """The user's active cards by state: ``new`` (no schedule), ``learning``, ``relearning``,
    ``young``, ``mature`` (Review state, interval under / at least 21 days) and ``suspended``
    (whatever their state). States with no cards have no row. Retired cards are left out.

    Active cards split into scheduled-and-unsuspended ones (grouped by state here), suspended
    ones, and the rest, which are new: ``new = active - scheduled - suspended`` (plus any
    schedule still in the New state), so no query probes every card for a schedule.
    """
    s = CardSchedule
    state = case(
        (s.state == STATE_LEARNING, literal("learning")),
        (s.state == STATE_RELEARNING, literal("relearning")),
        (s.state != STATE_REVIEW, literal("new")),
        (_interval_at_least(session, s.due, s.last_review, MATURE_DAYS), literal("mature")),
        else_=literal("young"),
    )
    states = (
        select(state.label("state"))
        .select_from(s)
        .join(Card, Card.id == s.card_id)
        .where(s.user_id == user_id, Card.active, _not_suspended(user_id, s.card_id))
        .subquery()
    )
    scheduled = select(states.c.state, func.count()).group_by(states.c.state)
    counts = {str(k): int(n) for k, n in session.execute(scheduled)}
    active = session.scalar(select(func.count()).select_from(Card).where(Card.active)) or 0
    suspended = session.scalar(
        select(func.count())
        .select_from(CardSuspension)
        .join(Card, Card.id == CardSuspension.card_id)
        .where(CardSuspension.user_id == user_id, Card.active)
    )
    counts["suspended"] = int(suspended or 0)
    counts["new"] = int(active) - sum(counts.values()) + counts.get("new", 0)
    return [StateCount(k, n) for k, n in sorted(counts.items()) if n]


def stability_histogram(session: Session, user_id: int, edges: Sequence[float]) -> list[Bucket]:
    """Reviewed, active, unsuspended schedules binned by FSRS stability (days) at ``edges``.

    Bin ``i`` holds ``edges[i] <= S < edges[i + 1]``; values past the last edge go to the last
    bin, values below the first to the first. Bins without cards have no row.
    """
    s = CardSchedule
    return _histogram(session, user_id, s.stability, _bucket(s.stability, edges))


def difficulty_histogram(session: Session, user_id: int, edges: Sequence[float]) -> list[Bucket]:
    """Reviewed, active, unsuspended schedules binned by FSRS difficulty (1-10) at ``edges``."""
    s = CardSchedule
    return _histogram(session, user_id, s.difficulty, _bucket(s.difficulty, edges))


def retrievability_histogram(
    session: Session, user_id: int, now: datetime, bins: int, *, decay: float, factor: float
) -> list[Bucket]:
    """Reviewed, active, unsuspended schedules binned by current retrievability ``R(t, S)``.

    ``bins`` equal bins over [0, 1]: bin ``i`` holds ``i / bins <= R < (i + 1) / bins`` (1 falls
    in the last). The curve is computed once per row, so the bin is arithmetic, not a ``CASE``:
    ``floor(R · bins + 1e-9)``, the slack putting a value that is on an edge in exact arithmetic
    (``R(S, S) = 0.9``, every card reviewed exactly when due) above it despite rounding.
    """
    ensure_power(session)
    value = retrievability(session, now, decay=decay, factor=factor)
    position = value * bins + _EDGE_SLACK
    if _dialect(session) == "sqlite":
        scaled: ColumnElement[Any] = cast(position, Integer)  # R >= 0: the cast floors
    else:
        scaled = cast(func.floor(position), Integer)  # PostgreSQL's cast rounds
    return _histogram(session, user_id, value, _clamp(session, scaled, 0, bins - 1))


def retrievability(
    session: Session, now: datetime, *, decay: float, factor: float
) -> ColumnElement[float]:
    """SQL for a schedule's retrievability at ``now``: ``(1 + FACTOR · t / S) ^ DECAY``.

    ``t`` is the whole days since ``last_review`` (floored, never negative), as in ``fsrs``.
    Call :func:`ensure_power` on the session before running it on SQLite.
    """
    s = CardSchedule
    days: ColumnElement[Any]
    if _dialect(session) == "sqlite":
        # julianday() is exact to the millisecond: round to whole ms, then integer-divide.
        elapsed = func.julianday(_bound(now)) - func.julianday(s.last_review)
        elapsed_ms = func.round(elapsed * _MS_PER_DAY)
        days = cast(func.max(0, elapsed_ms), Integer) // _MS_PER_DAY
    else:
        seconds = cast(extract("epoch", _bound(now) - s.last_review), Float)
        days = func.greatest(0, func.floor(seconds / 86400.0))
    base = 1.0 + literal(factor, Float) * cast(days, Float) / s.stability
    return func.power(base, literal(decay, Float))


# --- exercises -------------------------------------------------------------------------------


def attempt_outcomes(session: Session, user_id: int) -> list[FamilyOutcome]:
    """All-time attempts counted per ``(family, mistake, correct)``, in that order.

    Per family, the sum of ``count`` is its attempts, over ``correct`` rows its correct ones,
    and over rows with a ``mistake`` how often each named mistake was made.
    """
    a = Attempt
    query = (
        select(a.family, a.mistake, a.correct, func.count())
        .where(a.user_id == user_id)
        .group_by(a.family, a.mistake, a.correct)
        .order_by(a.family, a.mistake.nulls_first(), a.correct)
    )
    return [
        FamilyOutcome(str(f), None if m is None else str(m), bool(c), int(n))
        for f, m, c, n in session.execute(query)
    ]


def attempts_by_week(
    session: Session, user_id: int, boundaries: Sequence[datetime]
) -> list[WeekAttempts]:
    """Attempts and correct answers per family per period ``[boundaries[i], [i + 1])``.

    Few boundaries (weeks), so each attempt of the range is binned by a ``CASE`` over them.
    """
    if len(boundaries) < 2 or any(a >= b for a, b in pairwise(boundaries)):
        raise ValueError("need at least two increasing boundaries")
    a = Attempt
    week = case(
        *[(a.created_at < _bound(edge), i) for i, edge in enumerate(boundaries[1:-1])],
        else_=len(boundaries) - 2,
    )
    rows = (
        select(week.label("week"), a.family.label("family"), a.correct.label("correct"))
        .where(
            a.user_id == user_id,
            a.created_at >= _bound(boundaries[0]),
            a.created_at < _bound(boundaries[-1]),
        )
        .subquery()
    )
    query = (
        select(
            rows.c.week, rows.c.family, func.count(), func.sum(case((rows.c.correct, 1), else_=0))
        )
        .group_by(rows.c.week, rows.c.family)
        .order_by(rows.c.week, rows.c.family)
    )
    return [
        WeekAttempts(int(w), str(f), int(n), int(c or 0)) for w, f, n, c in session.execute(query)
    ]


def mastery_by_family(
    session: Session, user_id: int, now: datetime, *, decay: float, factor: float
) -> list[FamilyMastery]:
    """Per family: the user's reviewed, active, unsuspended exercise items and their summed
    current retrievability (mastery is the mean)."""
    ensure_power(session)
    s = CardSchedule
    value = retrievability(session, now, decay=decay, factor=factor)
    query = (
        select(Card.exercise_family, func.count(), func.sum(value))
        .select_from(s)
        .join(Card, Card.id == s.card_id)
        .where(
            s.user_id == user_id,
            s.stability > 0,
            s.last_review.is_not(None),
            Card.active,
            Card.kind == CARD_KIND_EXERCISE,
            Card.exercise_family.is_not(None),
            _not_suspended(user_id, s.card_id),
        )
        .group_by(Card.exercise_family)
        .order_by(Card.exercise_family)
    )
    return [FamilyMastery(str(f), int(n), float(r or 0.0)) for f, n, r in session.execute(query)]


# --- SQLite functions ------------------------------------------------------------------------

_POWER_READY = "stride_power_ready"


def ensure_power(session: Session) -> None:
    """Give the session's SQLite connection a ``power(x, y)`` if its SQLite lacks one.

    SQLite has ``power`` only when built with ``SQLITE_ENABLE_MATH_FUNCTIONS``; without it a
    deterministic Python function is registered on the connection (remembered in the pool's
    per-connection ``info``, so it is checked once per connection). Other backends: no-op.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    pooled = connection.connection
    if pooled.info.get(_POWER_READY):
        return
    raw: Any = pooled.dbapi_connection
    try:
        raw.execute("SELECT power(2.0, 0.5)").fetchone()
    except connection.dialect.dbapi.OperationalError:  # type: ignore[union-attr]
        raw.create_function("power", 2, _power, deterministic=True)
    pooled.info[_POWER_READY] = True


def _power(base: float | None, exponent: float | None) -> float | None:
    if base is None or exponent is None:
        return None
    try:
        return math.pow(base, exponent)
    except (ValueError, OverflowError):
        return None


# --- helpers ---------------------------------------------------------------------------------


def _histogram(
    session: Session, user_id: int, value: SQLColumnExpression[Any], bucket: ColumnElement[Any]
) -> list[Bucket]:
    """Count and sum ``value`` per ``bucket`` over the user's reviewed, active, unsuspended
    schedules (those with a stability, a difficulty and a last review)."""
    s = CardSchedule
    rows = (
        select(bucket.label("bucket"), value.label("value"))
        .select_from(s)
        .join(Card, Card.id == s.card_id)
        .where(
            s.user_id == user_id,
            s.stability > 0,
            s.difficulty.is_not(None),
            s.last_review.is_not(None),
            Card.active,
            _not_suspended(user_id, s.card_id),
        )
        .subquery()
    )
    query = (
        select(rows.c.bucket, func.count(), func.sum(rows.c.value))
        .group_by(rows.c.bucket)
        .order_by(rows.c.bucket)
    )
    return [Bucket(int(b), int(n), float(t or 0.0)) for b, n, t in session.execute(query)]


def _bucket(value: SQLColumnExpression[Any], edges: Sequence[float]) -> ColumnElement[int]:
    """``CASE WHEN value < e1 THEN 0 WHEN value < e2 THEN 1 ... ELSE n - 1 END`` (a column)."""
    if len(edges) < 2 or any(a >= b for a, b in pairwise(edges)):
        raise ValueError("need at least two increasing edges")
    inner = list(edges[1:-1])
    if not inner:
        return literal(0, Integer)
    return case(*[(value < literal(e, Float), i) for i, e in enumerate(inner)], else_=len(inner))


def _high(extra: int = 0) -> ColumnElement[int]:
    """What a row adds to a two-lane sum to count it in the high lane (plus ``extra`` low)."""
    return literal(_LANE + extra, BigInteger)


def _lanes(total: int) -> tuple[int, int]:
    """Split a two-lane sum ``low + 2^32 · high`` into ``(low, high)``."""
    return total & (_LANE - 1), total >> 32


def _interval_at_least(
    session: Session, later: Any, earlier: Any, days: int
) -> ColumnElement[bool]:
    """``later - earlier >= days`` (both datetime columns), written for the session's backend.

    SQLite's ``julianday`` difference of two instants a whole number of days apart can miss it
    by a rounding error, so the comparison allows half a millisecond (its resolution).
    """
    if _dialect(session) == "sqlite":
        return func.julianday(later) - func.julianday(earlier) >= days - 0.5 / _MS_PER_DAY
    return later - earlier >= timedelta(days=days)


def _not_suspended(user_id: int, card_id: Any) -> ColumnElement[bool]:
    return ~exists().where(CardSuspension.card_id == card_id, CardSuspension.user_id == user_id)


def _packed(session: Session, *aggregates: ColumnElement[Any]) -> ColumnElement[Any]:
    """Several aggregates as one JSON array (a scalar subquery returns a single value)."""
    if _dialect(session) == "sqlite":
        return func.json_array(*aggregates, type_=JSON)
    return func.json_build_array(*aggregates, type_=JSON)


def _unpacked(value: Any, size: int) -> list[int]:
    """The ``size`` integers of a packed JSON array (``NULL`` entries, or no array, are 0)."""
    if value is None:
        return [0] * size
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return [int(v or 0) for v in value]


def _clamp(session: Session, value: ColumnElement[Any], low: int, high: int) -> ColumnElement[Any]:
    """``low`` if ``value < low``, ``high`` if ``value > high``, else ``value``."""
    if _dialect(session) == "sqlite":  # SQLite's two-argument max/min are scalar functions
        return func.max(low, func.min(high, value))
    return func.greatest(low, func.least(high, value))


def _bound(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
