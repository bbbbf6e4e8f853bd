"""``stride bench stats``: the Statistics page's queries on a large SQLite review history.

It builds an SQLite database (migrated like the app's) for one heavy user:

* 1,000,000 review-log rows spread evenly over the last 5 years (about 550 a day), with a
  realistic mix of ratings (10% Again), states (85% Review) and young/mature intervals;
* 20,000 cards (every tenth an exercise item of one of the families), 15,000 of them scheduled,
  100 suspended;
* 100,000 exercise attempts (70% correct, the wrong ones tagged with the family's mistakes).

Then it times the page's three parts together — :func:`~quiz.services.stats.review_stats`,
:func:`~quiz.services.stats.card_stats` and :func:`~quiz.services.stats.exercise_stats`, every
query of all three tabs plus the small assembly of their rows (a page run needs only one tab's,
so this bounds it) — several times on one connection and reports the first (cold) run, the
median and the 95th percentile. Target: the page's queries together in under 300 ms. It also
times :func:`~quiz.services.stats.review_summary` (the headline numbers a run of the Cards or
Exercises tab asks for), which must equal ``review_stats(...).summary``.

In the same run it times a **baseline**, :func:`python_baseline`: the same figures computed by
loading the rows they need (the last year's review log, the schedules, the attempts) into Python
and looping over them, and reports how many times longer it takes. It also checks that both give
the same figures (exit status 1 if not), a second opinion on the SQL at scale.

The database is built in a temporary folder (about 240 MB; 20-30 s) unless ``--db`` names
a file, which is reused when it already holds the requested history at the newest schema (and
is built again otherwise).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from quiz.benchmarks.timing import percentile
from quiz.config import StudySettings
from quiz.exercises.registry import FAMILIES
from quiz.scheduling import CardState, Rating
from quiz.services.access import Actor
from quiz.services.stats import (
    CALENDAR_DAYS,
    DIFFICULTY_EDGES,
    FORECAST_DAYS,
    MATURE_DAYS,
    MISTAKES_PER_FAMILY,
    RETENTION_WINDOWS,
    RETRIEVABILITY_EDGES,
    STABILITY_EDGES,
    WEEKS,
    CardStats,
    DayStats,
    ExerciseStats,
    FamilyStats,
    ForecastDay,
    Histogram,
    Mistake,
    Ranges,
    Retention,
    ReviewStats,
    StateCounts,
    WeekAttempts,
    card_stats,
    exercise_stats,
    forgetting_curve,
    review_stats,
    review_summary,
)
from quiz.store.db import make_engine, make_session_factory
from quiz.store.migrate import current_revision, head_revision, upgrade
from quiz.store.models import Attempt, Card, CardSchedule, CardSuspension, ReviewLog
from quiz.vocabulary import CARD_KIND_EXERCISE, ROLE_STUDENT

TARGET_MS = 300.0
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USER_ID = 1
SETTINGS = StudySettings(timezone=ZoneInfo("Europe/Berlin"), day_starts_at_hour=4)
T = TypeVar("T")
BASELINE = (
    "the same figures computed by loading the year's review log, the schedules and the "
    "attempts into Python and looping"
)

_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime stores datetimes in SQLite (naive UTC)

Figures = tuple[ReviewStats, CardStats, ExerciseStats]
"""Every figure of the Statistics page: its three tabs' data."""


def page_figures(session: Session, actor: Actor, user_id: int, now: datetime) -> Figures:
    """The three parts of the Statistics page, as its tabs ask for them."""
    return (
        review_stats(session, actor, user_id, now, SETTINGS),
        card_stats(session, actor, user_id, now, SETTINGS),
        exercise_stats(session, actor, user_id, now, SETTINGS),
    )


def build_database(
    engine: Engine,
    *,
    reviews: int = 1_000_000,
    years: float = 5.0,
    cards: int = 20_000,
    attempts: int = 100_000,
) -> None:
    """Fill a freshly migrated SQLite database with one user's history (deterministic)."""
    created = _stamp(NOW - timedelta(days=int(years * 365) + 30))
    families = list(FAMILIES.values())
    rng = random.Random(7)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, created_at, "
                "must_change_password, active) VALUES (:id, 'bench', 'Bench', :role, :at, 0, 1)"
            ),
            {"id": USER_ID, "role": ROLE_STUDENT, "at": created},
        )
        db.execute(
            text(
                "INSERT INTO decks (id, slug, title, description, source_format, source_name, "
                "created_at, updated_at) VALUES (1, 'bench', 'Bench', '', 'markdown', '', :at, :at)"
            ),
            {"at": created},
        )
        db.execute(
            text(
                "INSERT INTO cards (id, deck_id, key, position, front, back, active, kind, "
                "exercise_family, exercise_difficulty, tags, created_at, updated_at) VALUES "
                "(:id, 1, :key, :id, 'front', 'back', 1, :kind, :family, :difficulty, '', :at, :at)"
            ),
            [
                {
                    "id": i,
                    "key": f"c{i}",
                    "kind": "exercise" if i % 10 == 0 else "flashcard",
                    "family": families[i % len(families)].id if i % 10 == 0 else None,
                    "difficulty": 2 if i % 10 == 0 else None,
                    "at": created,
                }
                for i in range(1, cards + 1)
            ],
        )
        db.execute(
            text(
                "INSERT INTO card_schedules (user_id, card_id, state, step, stability, difficulty,"
                " due, last_review, reps, lapses) VALUES (:user, :card, :state, NULL, :stability,"
                " :difficulty, :due, :last, :reps, 0)"
            ),
            [_schedule(card, rng) for card in range(1, cards * 3 // 4 + 1)],
        )
        db.execute(
            text(
                "INSERT INTO card_suspensions (user_id, card_id, suspended_at) "
                "VALUES (:user, :card, :at)"
            ),
            [{"user": USER_ID, "card": card, "at": created} for card in range(7, cards, 200)],
        )
        _insert_reviews(db, reviews, years, cards)
        span = int(years * 365 * 86400)
        rows = []
        for i in range(attempts):
            family = families[rng.randrange(len(families))]
            correct = rng.random() < 0.7
            tags = list(family.mistake_tags)
            at = NOW - timedelta(seconds=span - i * span // attempts)
            rows.append(
                {
                    "user": USER_ID,
                    "family": family.id,
                    "seed": i,
                    "score": 1.0 if correct else rng.choice((0.0, 0.5)),
                    "correct": correct,
                    "mistake": rng.choice(tags) if tags and not correct else None,
                    "at": _stamp(at),
                }
            )
        db.execute(
            text(
                "INSERT INTO attempts (user_id, card_id, review_id, source, family, seed, "
                "difficulty, raw_answer, score, correct, mistake, used_hint, saw_solution, "
                "duration_ms, created_at) VALUES (:user, NULL, NULL, 'practice', :family, :seed, "
                "2, '0', :score, :correct, :mistake, 0, 0, 20000, :at)"
            ),
            rows,
        )
    with engine.connect() as db:
        db.execute(text("ANALYZE"))
        db.commit()


def _insert_reviews(db: object, reviews: int, years: float, cards: int) -> None:
    """``reviews`` rows, evenly spaced over ``years`` up to :data:`NOW`, by a recursive CTE.

    Pseudo-random columns come from multiplicative hashes of the row number, so the history is
    the same on every run: ratings 10/10/70/10 % Again/Hard/Good/Easy; 5% new, 5% learning,
    85% review, 5% relearning before the answer; intervals of 1-90 days (about a third mature).
    """
    span = int(years * 365 * 86400)
    now = NOW.strftime("%Y-%m-%d %H:%M:%S")
    sql = f"""
    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {reviews - 1}),
    raw AS (
        SELECT i,
               (i * 2654435761) % 100 AS h_rating,
               (i * 40503) % 100 AS h_state,
               1 + (i * 97) % 90 AS interval_days,
               {span} - i * {span} / {reviews} AS ago
        FROM seq
    ),
    shaped AS (
        SELECT i, interval_days,
               CASE WHEN h_rating < 10 THEN 1 WHEN h_rating < 20 THEN 2
                    WHEN h_rating < 90 THEN 3 ELSE 4 END AS rating,
               CASE WHEN h_state < 5 THEN 0 WHEN h_state < 10 THEN 1
                    WHEN h_state < 95 THEN 2 ELSE 3 END AS state_before,
               datetime('{now}', '-' || ago || ' seconds') AS at
        FROM raw
    )
    INSERT INTO review_log (user_id, card_id, rating, reviewed_at, duration_ms, state_before,
        step_before, stability_before, difficulty_before, due_before, last_review_before,
        state_after, step_after, stability_after, difficulty_after, due_after)
    SELECT {USER_ID}, 1 + (i * 7919) % {cards}, rating, at || '.000000', 3000 + (i * 37) % 40000,
           state_before, NULL,
           CASE WHEN state_before = 0 THEN NULL ELSE interval_days * 1.1 END,
           CASE WHEN state_before = 0 THEN NULL ELSE 5.0 END,
           CASE WHEN state_before = 0 THEN NULL
                ELSE datetime(at, '-' || (i % 3) || ' days') || '.000000' END,
           CASE WHEN state_before = 0 THEN NULL
                ELSE datetime(at, '-' || (interval_days + i % 3) || ' days') || '.000000' END,
           CASE WHEN rating = 1 THEN 3 ELSE 2 END, NULL, interval_days * 2.0, 5.0,
           datetime(at, '+' || (interval_days * 2) || ' days') || '.000000'
    FROM shaped
    """
    db.execute(text(sql))  # type: ignore[attr-defined]


def _schedule(card: int, rng: random.Random) -> dict[str, object]:
    state = 2 if rng.random() < 0.85 else rng.choice((1, 3))
    interval = rng.choice((1, 2, 4, 8, 15, 25, 40, 70, 120, 250))
    last = NOW - timedelta(days=rng.uniform(0, interval * 1.3))
    due = last + (timedelta(days=interval) if state == 2 else timedelta(minutes=10))
    return {
        "user": USER_ID,
        "card": card,
        "state": state,
        "stability": interval * rng.uniform(0.8, 1.2),
        "difficulty": rng.uniform(1, 10),
        "due": _stamp(due),
        "last": _stamp(last),
        "reps": rng.randint(1, 30),
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_FORMAT)


def _count_reviews(engine: Engine) -> int:
    with engine.connect() as db:
        try:
            return int(db.execute(text("SELECT count(*) FROM review_log")).scalar_one())
        except Exception:
            return -1


# --- the baseline: the same figures by loading rows into Python and looping -------------------


def python_baseline(session: Session, user_id: int, now: datetime) -> Figures:
    """The page's :data:`Figures` computed the naive way: load the year's review-log rows, the
    user's schedules and attempts, and loop over them in Python (bisecting study days).

    It is the yardstick for the SQL aggregates, and a second opinion on their answers: the
    benchmark checks that both give the same figures."""
    ranges = Ranges.at(now, SETTINGS)
    decay, factor = forgetting_curve()
    log = ReviewLog
    rows = session.execute(
        select(
            log.reviewed_at,
            log.rating,
            log.state_before,
            log.duration_ms,
            log.due_before,
            log.last_review_before,
        ).where(
            log.user_id == user_id,
            log.reviewed_at >= ranges.day_bounds[0],
            log.reviewed_at < ranges.day_bounds[-1],
        )
    )
    mature_interval = timedelta(days=MATURE_DAYS)
    days = [[0] * 9 for _ in range(CALENDAR_DAYS)]  # ratings 1-4, ms, young, again, mature, again
    for at, rating, state, duration, due_before, last_before in rows:
        day = days[bisect_right(ranges.day_bounds, at) - 1]
        day[rating - 1] += 1
        day[4] += duration or 0
        if state == CardState.REVIEW:
            is_mature = due_before and last_before and due_before - last_before >= mature_interval
            lane = 7 if is_mature else 5
            day[lane] += 1
            day[lane + 1] += rating == Rating.AGAIN
    retention = []
    for window in RETENTION_WINDOWS:
        recent = days[CALENDAR_DAYS - window :]
        young, young_again = sum(d[5] for d in recent), sum(d[6] for d in recent)
        mature, mature_again = sum(d[7] for d in recent), sum(d[8] for d in recent)
        retention.append(
            Retention(window, young - young_again, young, mature - mature_again, mature)
        )
    schedules = _baseline_schedules(session, user_id, now, ranges, decay, factor)
    mastery = schedules.pop("mastery")
    return (
        ReviewStats(
            user_id=user_id,
            today=ranges.today,
            days=tuple(
                DayStats(ranges.first + timedelta(days=i), *d[:5]) for i, d in enumerate(days)
            ),
            retention=tuple(retention),
        ),
        CardStats(user_id=user_id, today=ranges.today, **schedules),
        ExerciseStats(
            user_id=user_id,
            week_starts=ranges.week_starts,
            families=_baseline_families(session, user_id, ranges, mastery),
        ),
    )


def _baseline_schedules(
    session: Session, user_id: int, now: datetime, ranges: Ranges, decay: float, factor: float
) -> dict[str, Any]:
    s = CardSchedule
    suspended = set(
        session.scalars(select(CardSuspension.card_id).where(CardSuspension.user_id == user_id))
    )
    active = set(session.scalars(select(Card.id).where(Card.active)))
    rows = session.execute(
        select(
            s.card_id,
            s.state,
            s.stability,
            s.difficulty,
            s.due,
            s.last_review,
            Card.kind,
            Card.exercise_family,
        )
        .join(Card, Card.id == s.card_id)
        .where(s.user_id == user_id, Card.active)
    ).all()
    states = dict.fromkeys(("learning", "relearning", "young", "mature"), 0)
    forecast = [[0, 0, 0] for _ in range(FORECAST_DAYS)]
    values: dict[str, list[float]] = {"stability": [], "difficulty": [], "retrievability": []}
    mastery: dict[str, list[float]] = {}
    for card, state, stability, difficulty, due, last, kind_of_card, family in rows:
        if card in suspended:
            continue
        mature = last is not None and due - last >= timedelta(days=MATURE_DAYS)
        kind = 0 if state != CardState.REVIEW else 2 if mature else 1
        if state == CardState.REVIEW:
            states["mature" if mature else "young"] += 1
        else:
            states["learning" if state == CardState.LEARNING else "relearning"] += 1
        if due < ranges.forecast_bounds[-1]:
            forecast[bisect_right(ranges.forecast_bounds, due) - 1][kind] += 1
        if stability and last is not None:
            elapsed = max(0, (now - last).days)
            recall = (1 + factor * elapsed / stability) ** decay
            if kind_of_card == CARD_KIND_EXERCISE and family is not None:
                mastery.setdefault(family, []).append(recall)
            if difficulty is not None:
                values["stability"].append(stability)
                values["difficulty"].append(difficulty)
                values["retrievability"].append(recall)
    scheduled = {row[0] for row in rows}
    return {
        "forecast": tuple(
            ForecastDay(ranges.today + timedelta(days=i), *f) for i, f in enumerate(forecast)
        ),
        "states": StateCounts(
            new=len(active - scheduled - suspended), suspended=len(active & suspended), **states
        ),
        "stability": _baseline_histogram(values["stability"], STABILITY_EDGES),
        "difficulty": _baseline_histogram(values["difficulty"], DIFFICULTY_EDGES),
        "retrievability": _baseline_histogram(values["retrievability"], RETRIEVABILITY_EDGES),
        "mastery": mastery,
    }


def _baseline_histogram(values: list[float], edges: Sequence[float]) -> Histogram:
    counts = [0] * (len(edges) - 1)
    for value in values:
        if edges is RETRIEVABILITY_EDGES:
            counts[min(len(counts) - 1, int(value * len(counts) + 1e-9))] += 1
        else:
            counts[min(len(counts) - 1, max(0, bisect_right(edges, value) - 1))] += 1
    return Histogram(tuple(edges), tuple(counts), sum(values) / len(values) if values else None)


def _baseline_families(
    session: Session, user_id: int, ranges: Ranges, mastery: dict[str, list[float]]
) -> tuple[FamilyStats, ...]:
    a = Attempt
    totals: dict[str, list[int]] = {}
    weeks: dict[str, list[list[int]]] = {}
    mistakes: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(a.family, a.correct, a.mistake, a.created_at).where(a.user_id == user_id)
    )
    for family, correct, mistake, at in rows:
        total = totals.setdefault(family, [0, 0])
        total[0] += 1
        total[1] += bool(correct)
        if mistake is not None:
            counts = mistakes.setdefault(family, {})
            counts[mistake] = counts.get(mistake, 0) + 1
        if ranges.week_bounds[0] <= at < ranges.week_bounds[-1]:
            week = weeks.setdefault(family, [[0, 0] for _ in range(WEEKS)])
            week[bisect_right(ranges.week_bounds, at) - 1][0] += 1
            week[bisect_right(ranges.week_bounds, at) - 1][1] += bool(correct)
    seen = set(totals) | set(mastery)
    result = []
    for family in [f for f in FAMILIES if f in seen] + sorted(seen - set(FAMILIES)):
        known = FAMILIES.get(family)
        tags = sorted(mistakes.get(family, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        recalls = mastery.get(family, [])
        attempts, right = totals.get(family, (0, 0))
        result.append(
            FamilyStats(
                family=family,
                title=known.title if known else family,
                attempts=attempts,
                correct=right,
                weeks=tuple(
                    WeekAttempts(*w) for w in weeks.get(family, [[0, 0] for _ in range(WEEKS)])
                ),
                mistakes=tuple(
                    Mistake(tag, known.mistake_tags.get(tag, tag) if known else tag, n)
                    for tag, n in tags[:MISTAKES_PER_FAMILY]
                ),
                items=len(recalls),
                mastery=sum(recalls) / len(recalls) if recalls else None,
            )
        )
    return tuple(result)


def same_figures(a: object, b: object) -> bool:
    """Equal, with floats compared to a relative 1e-9 (sums in another order)."""
    if is_dataclass(a) and is_dataclass(b):
        return type(a) is type(b) and all(
            same_figures(getattr(a, f.name), getattr(b, f.name)) for f in fields(a)
        )
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_figures(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9) or (math.isinf(a) and a == b)
    return a == b


# --- timing ----------------------------------------------------------------------------------


def measure(engine: Engine, runs: int, compute: Callable[[Session], T]) -> tuple[list[float], T]:
    """Milliseconds for each of ``runs`` calls of ``compute`` (the first one is cold)."""
    sessions = make_session_factory(engine)
    samples = []
    with sessions() as session:
        for _ in range(runs):
            start = time.perf_counter()
            result = compute(session)
            samples.append((time.perf_counter() - start) * 1000)
            session.rollback()
    return samples, result


def run(
    path: Path, *, reviews: int, years: float, runs: int, baseline_runs: int
) -> dict[str, object]:
    """Build (or reuse) the database at ``path``; time the page and the baseline."""
    engine = make_engine(f"sqlite:///{path}")
    built_s = 0.0
    if _count_reviews(engine) != reviews or current_revision(engine) != head_revision(engine):
        # Rebuilt rather than migrated: the history is synthetic, and recreating a table of a
        # million rows under enforced foreign keys takes far longer than building it again.
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        start = time.perf_counter()
        upgrade(engine)
        build_database(engine, reviews=reviews, years=years)
        built_s = time.perf_counter() - start
    actor = Actor(USER_ID, "bench", ROLE_STUDENT)
    samples, figures = measure(
        engine, runs, lambda session: page_figures(session, actor, USER_ID, NOW)
    )
    summary_samples, summary = measure(
        engine, runs, lambda session: review_summary(session, actor, USER_ID, NOW, SETTINGS)
    )
    base, base_figures = measure(
        engine, baseline_runs, lambda session: python_baseline(session, USER_ID, NOW)
    )
    engine.dispose()
    warm = samples[1:] or samples
    median = statistics.median(warm)
    base_median = statistics.median(base)
    summary_median = statistics.median(summary_samples[1:] or summary_samples)
    return {
        "reviews": reviews,
        "years": years,
        "runs": runs,
        "build_s": round(built_s, 1),
        "reviews_in_last_year": figures[0].total_reviews,
        "cold_ms": round(samples[0], 1),
        "median_ms": round(median, 1),
        "p95_ms": round(percentile(warm, 95), 1),
        "target_ms": TARGET_MS,
        "meets_target": median < TARGET_MS,
        "summary_median_ms": round(summary_median, 1),
        "same_summary": summary == figures[0].summary,
        "baseline": BASELINE,
        "baseline_runs": baseline_runs,
        "baseline_median_ms": round(base_median, 1),
        "speedup": round(base_median / median, 1),
        "same_figures": same_figures(figures, base_figures),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench stats",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--reviews", type=int, default=1_000_000, help="review-log rows")
    parser.add_argument("--years", type=float, default=5.0, help="years the reviews span")
    parser.add_argument("--runs", type=int, default=11, help="timed runs (the first is cold)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="timed baseline runs")
    parser.add_argument("--db", type=Path, help="SQLite file to build or reuse")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if min(args.reviews, args.runs, args.baseline_runs) < 1 or args.years <= 0:
        parser.error("--reviews, --years, --runs and --baseline-runs must be positive")
    with tempfile.TemporaryDirectory(prefix="stride-bench-stats-") as folder:
        path = args.db or Path(folder) / "stats.db"
        result = run(
            path,
            reviews=args.reviews,
            years=args.years,
            runs=args.runs,
            baseline_runs=args.baseline_runs,
        )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0 if result["same_figures"] and result["same_summary"] else 1
    if result["build_s"]:
        print(f"built {args.reviews:,} reviews over {args.years:g} years in {result['build_s']} s")
    verdict = "meets" if result["meets_target"] else "misses"
    print(
        f"Statistics page queries ({args.reviews:,} review-log rows, "
        f"{result['reviews_in_last_year']:,} in the last year), {args.runs} runs: "
        f"cold {result['cold_ms']} ms, median {result['median_ms']} ms, "
        f"p95 {result['p95_ms']} ms ({verdict} the {TARGET_MS:g} ms target)"
    )
    print(
        f"headline numbers alone (review_summary): median {result['summary_median_ms']} ms"
        + ("" if result["same_summary"] else " — MISMATCH with review_stats(...).summary")
    )
    print(
        f"baseline ({BASELINE}), {args.baseline_runs} runs: median "
        f"{result['baseline_median_ms']} ms, {result['speedup']}x the SQL aggregates' time"
    )
    if not result["same_figures"]:
        print("MISMATCH: the SQL aggregates and the baseline give different figures")
        return 1
    if not result["same_summary"]:
        return 1
    print("both give the same figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
