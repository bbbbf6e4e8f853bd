"""``stride bench store``: "next due item" and "record a review" on a class-sized database.

It seeds a database (migrated like the app's) with

* the built-in decks plus generated flashcards, so there are ``--items`` items (default 500);
* ``--users`` students (default 200), each of whom has reviewed every item several times:
  ``--reviews`` review-log rows in all (default 1,000,000, 5,000 per student, spread over the
  last two years), with ratings 10/10/70/10 % Again/Hard/Good/Easy;
* for every (student, item) pair one ``card_schedules`` row that matches the student's last
  review of the item (its state, stability, due date; ``reps`` = the number of reviews), so
  each student has a backlog of due reviews and some relearning cards, as after a holiday.

The rows are generated inside the database by one ``INSERT … SELECT`` (a recursive CTE on
SQLite, ``generate_series`` on PostgreSQL), like :mod:`quiz.benchmarks.stats` does, with
pseudo-random columns from multiplicative hashes of the row number, so every build is the same.

Then, for random students, it times what the Study page does per card: ``next_card`` in one
transaction ("next due item") and ``answer_card`` through :meth:`Stride.write` ("record a
review": ``BEGIN IMMEDIATE``, the idempotency lookup, the schedule update, the log row, the
commit), and reports p50/p95 and the SQL statements each one runs. Target on SQLite: p95 under
5 ms for both. The SQLite file is built in a temporary folder (about a minute) unless ``--db``
names one, which is reused when it already holds the requested seed. ``--url`` names a
PostgreSQL server instead: the benchmark creates a scratch database there and drops it after.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

from quiz.benchmarks.timing import percentile
from quiz.config import StudySettings
from quiz.decks.model import ParsedCard, ParsedDeck
from quiz.runtime import Stride
from quiz.scheduling import Rating
from quiz.services.access import Actor
from quiz.services.decks import import_deck
from quiz.services.study import answer_card, next_card
from quiz.store.models import Card, Deck, User
from quiz.vocabulary import ROLE_STUDENT

TARGET_P95_MS = 5.0
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = StudySettings(enable_fuzzing=False)
GENERATED_SLUG = "stride-bench-generated"
USER_PREFIX = "bench-"


# --- seed ------------------------------------------------------------------------------------


def generated_deck(count: int, *, title: str = "Benchmark: generated cards") -> ParsedDeck:
    """``count`` flashcards with a little maths each (rendered by KaTeX, like the real decks)."""
    cards = []
    for number in range(1, count + 1):
        width, kernel = 8 + number % 200, 1 + 2 * (number % 4)
        cards.append(
            ParsedCard(
                front=(
                    f"Generated card {number}: a ${width} \\times {width}$ input and a "
                    f"${kernel} \\times {kernel}$ kernel, stride 1, no padding. Output size?"
                ),
                back=f"\\[{width - kernel + 1} \\times {width - kernel + 1}\\]",
                line=number,
                key=f"gen-{number}",
            )
        )
    return ParsedDeck(title=title, cards=tuple(cards), source_format="markdown")


def seed_marker(users: int, items: int, reviews: int, years: float) -> str:
    """What the generated deck's description says about the seed (to reuse a built database)."""
    return f"stride bench seed: users={users} items={items} reviews={reviews} years={years:g}"


def is_seeded(engine: Engine, marker: str) -> bool:
    with engine.connect() as db:
        try:
            found = db.scalar(select(Deck.description).where(Deck.slug == GENERATED_SLUG))
        except Exception:  # no tables yet
            return False
    return found == marker


def seed(stride: Stride, *, users: int, items: int, reviews: int, years: float = 2.0) -> list[int]:
    """Add students, generated items and the review history to a migrated database with the
    built-in decks (one transaction); return the students' ids."""
    marker = seed_marker(users, items, reviews, years)
    created = NOW - timedelta(days=int(years * 365) + 30)
    with stride.transaction() as session:
        builtin = session.scalar(select(func.count()).select_from(Card).where(Card.active)) or 0
        deck = generated_deck(max(0, items - builtin))
        import_deck(session, deck, created, slug=GENERATED_SLUG, source_name="stride bench")
        marked = session.scalars(select(Deck).where(Deck.slug == GENERATED_SLUG)).one()
        marked.description = marker
        session.execute(
            insert(User),
            [
                {
                    "username": f"{USER_PREFIX}{number:04d}",
                    "display_name": f"Bench {number}",
                    "role": ROLE_STUDENT,
                    "created_at": created,
                    "password_hash": None,
                    "must_change_password": False,
                    "active": True,
                }
                for number in range(users)
            ],
        )
        session.flush()
        user_ids = list(
            session.scalars(
                select(User.id).where(User.username.like(f"{USER_PREFIX}%")).order_by(User.id)
            )
        )
        card_ids = list(session.scalars(select(Card.id).where(Card.active).order_by(Card.id)))
        db = session.connection()
        insert_review_history(db, user_ids, card_ids[:items], reviews, years)
        insert_matching_schedules(db)
    analyze(stride.engine)
    return user_ids


def insert_review_history(
    db: Connection, user_ids: Sequence[int], card_ids: Sequence[int], reviews: int, years: float
) -> None:
    """``reviews`` review-log rows: row ``i`` is student ``i % users``'s ``j = i // users``-th
    review, of item ``(7919 j + 31 u) % items`` (each student goes through all items, in an
    order of their own), at evenly spaced times over ``years`` up to :data:`NOW`.

    Pseudo-random columns come from multiplicative hashes of ``i``: ratings 10/10/70/10 %
    Again/Hard/Good/Easy; a first review is of a new card, later ones mostly of review cards;
    intervals of 1-90 days; Again sends a card to (re)learning for 10 minutes.
    """
    sql_dialect = _Dialect.of(db)
    per_user = -(-reviews // len(user_ids))  # ceil
    span = int(years * 365 * 86400)
    users, items = len(user_ids), len(card_ids)
    for table, column, ids in (
        ("bench_user_rank", "user_id", user_ids),
        ("bench_card_rank", "card_id", card_ids),
    ):
        db.execute(text(f"DROP TABLE IF EXISTS {table}"))
        db.execute(
            text(f"CREATE TEMPORARY TABLE {table} (rn INTEGER PRIMARY KEY, {column} INTEGER)")
        )
        db.execute(
            text(f"INSERT INTO {table} (rn, {column}) VALUES (:rn, :id)"),
            [{"rn": rn, "id": value} for rn, value in enumerate(ids)],
        )
    at = "s.at"
    due_before = sql_dialect.store(sql_dialect.plus(at, "-(s.i % 3)", "day"))
    last_before = sql_dialect.store(sql_dialect.plus(at, "-(s.interval_days + s.i % 3)", "day"))
    relearn_due = sql_dialect.store(sql_dialect.plus(at, "10", "minute"))
    review_due = sql_dialect.store(sql_dialect.plus(at, "s.interval_days * 2", "day"))
    sql = f"""
    WITH RECURSIVE {sql_dialect.sequence(reviews)},
    raw AS (
        SELECT i, i % {users} AS u, i / {users} AS j,
               (i * 2654435761) % 100 AS h_rating,
               (i * 40503) % 100 AS h_state,
               1 + (i * 97) % 90 AS interval_days
        FROM seq
    ),
    shaped AS (
        SELECT i, u, j, interval_days,
               (j * 7919 + u * 31) % {items} AS c,
               CASE WHEN h_rating < 10 THEN 1 WHEN h_rating < 20 THEN 2
                    WHEN h_rating < 90 THEN 3 ELSE 4 END AS rating,
               CASE WHEN j < {items} THEN 0 WHEN h_state < 4 THEN 1
                    WHEN h_state < 8 THEN 3 ELSE 2 END AS state_before,
               {sql_dialect.moment(f"{span} - j * {span} / {per_user} + (u * 7) % 3600")} AS at
        FROM raw
    )
    INSERT INTO review_log (user_id, card_id, rating, reviewed_at, duration_ms, state_before,
        step_before, stability_before, difficulty_before, due_before, last_review_before,
        state_after, step_after, stability_after, difficulty_after, due_after)
    SELECT ur.user_id, cr.card_id, s.rating, {sql_dialect.store(at)}, 3000 + (s.i * 37) % 40000,
           s.state_before,
           CASE WHEN s.state_before IN (1, 3) THEN 0 END,
           CASE WHEN s.state_before = 0 THEN NULL ELSE s.interval_days * 1.1 END,
           CASE WHEN s.state_before = 0 THEN NULL ELSE 5.0 END,
           CASE WHEN s.state_before = 0 THEN NULL ELSE {due_before} END,
           CASE WHEN s.state_before = 0 THEN NULL ELSE {last_before} END,
           CASE WHEN s.rating = 1 THEN (CASE WHEN s.state_before = 0 THEN 1 ELSE 3 END) ELSE 2 END,
           CASE WHEN s.rating = 1 THEN 0 END,
           s.interval_days * 2.0, 5.0,
           CASE WHEN s.rating = 1 THEN {relearn_due} ELSE {review_due} END
    FROM shaped s
    CROSS JOIN bench_user_rank ur
    CROSS JOIN bench_card_rank cr
    WHERE ur.rn = s.u AND cr.rn = s.c
    """
    db.execute(text(sql))
    db.execute(text("DROP TABLE bench_user_rank"))
    db.execute(text("DROP TABLE bench_card_rank"))


def insert_matching_schedules(db: Connection) -> None:
    """One schedule per (user, card) in the review log, as its last review left it."""
    db.execute(
        text(
            """
            INSERT INTO card_schedules (user_id, card_id, state, step, stability, difficulty,
                due, last_review, reps, lapses)
            SELECT r.user_id, r.card_id, r.state_after, r.step_after, r.stability_after,
                   r.difficulty_after, r.due_after, r.reviewed_at, agg.reps, agg.lapses
            FROM (SELECT user_id, card_id, max(id) AS last_id, count(*) AS reps,
                         sum(CASE WHEN rating = 1 AND state_before = 2 THEN 1 ELSE 0 END)
                             AS lapses
                  FROM review_log GROUP BY user_id, card_id) agg
            JOIN review_log r ON r.id = agg.last_id
            """
        )
    )


def analyze(engine: Engine) -> None:
    """Fresh planner statistics (after a bulk load the planner knows nothing of the rows)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("ANALYZE"))


@dataclass(frozen=True)
class _Dialect:
    """The few SQL expressions that differ between SQLite and PostgreSQL in the seed."""

    name: str

    @classmethod
    def of(cls, db: Connection) -> _Dialect:
        return cls(db.dialect.name)

    def sequence(self, count: int) -> str:
        if self.name == "sqlite":
            return f"seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {count - 1})"
        return f"seq(i) AS (SELECT generate_series(0::bigint, {count - 1}))"

    def moment(self, seconds_before_now: str) -> str:
        if self.name == "sqlite":
            now = f"{NOW:%Y-%m-%d %H:%M:%S}"
            return f"datetime('{now}', '-' || ({seconds_before_now}) || ' seconds')"
        return f"(TIMESTAMPTZ '{NOW.isoformat()}' - ({seconds_before_now}) * INTERVAL '1 second')"

    def plus(self, moment: str, amount: str, unit: str) -> str:
        if self.name == "sqlite":
            return f"datetime({moment}, ({amount}) || ' {unit}s')"
        return f"({moment} + ({amount}) * INTERVAL '1 {unit}')"

    def store(self, moment: str) -> str:
        """How ``UTCDateTime`` stores it: naive UTC text with microseconds on SQLite."""
        return f"({moment} || '.000000')" if self.name == "sqlite" else moment


# --- databases -------------------------------------------------------------------------------


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url``; dropped on exit."""
    url = make_url(server_url)
    name = f"stride_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            db.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as db:
                db.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def open_seeded(
    url: str, *, users: int, items: int, reviews: int, years: float
) -> tuple[Stride, float]:
    """Open ``url``, seeding it unless it already holds this seed; return it and the build time."""
    marker = seed_marker(users, items, reviews, years)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        probe = create_engine(url)
        ready = is_seeded(probe, marker)
        probe.dispose()
        if ready:
            return Stride.open(url, SETTINGS, load_builtin=False), 0.0
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    stride = Stride.open(url, SETTINGS)
    seed(stride, users=users, items=items, reviews=reviews, years=years)
    return stride, time.perf_counter() - start


# --- measurement -----------------------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements an engine sends (``BEGIN`` and ``COMMIT`` are not statements
    sent through a cursor, except SQLite's ``BEGIN [IMMEDIATE]``, which Stride sends itself)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


def measure(stride: Stride, samples: int, *, warmup: int = 50, seed_: int = 1) -> dict[str, object]:
    """Time ``samples`` rounds of next_card + answer_card for random students."""
    with stride.transaction() as session:
        students = session.execute(
            select(User.id, User.username).where(User.username.like(f"{USER_PREFIX}%"))
        ).all()
    rng = random.Random(seed_)
    run = secrets.token_hex(4)  # fresh client tokens on every run of a reused database
    counter = StatementCounter(stride.engine)
    next_ms: list[float] = []
    review_ms: list[float] = []
    next_statements = review_statements = 0
    empty = 0
    for number in range(warmup + samples):
        user_id, username = rng.choice(students)
        actor = Actor(user_id, username, ROLE_STUDENT)
        now = NOW + timedelta(seconds=number)
        rating = rng.choices(list(Rating), weights=(10, 10, 70, 10))[0]
        before = counter.count
        start = time.perf_counter()
        with stride.transaction() as session:
            card = next_card(session, actor, now, stride.settings)
        middle = time.perf_counter()
        between = counter.count
        if card is None:
            empty += 1
            continue
        token = f"bench-{run}-{number}"
        stride.write(
            partial(
                answer_card,
                actor=actor,
                card_id=card.card_id,
                rating=rating,
                now=now,
                scheduler=stride.scheduler,
                duration_ms=5000,
                expected_reps=card.schedule.reps,
                client_token=token,
            )
        )
        end = time.perf_counter()
        if number >= warmup:
            next_ms.append((middle - start) * 1000)
            review_ms.append((end - middle) * 1000)
            next_statements += between - before
            review_statements += counter.count - between
    timed = max(1, len(next_ms))
    return {
        "samples": len(next_ms),
        "no_card_due": empty,
        "next_due_p50_ms": round(percentile(next_ms, 50), 2),
        "next_due_p95_ms": round(percentile(next_ms, 95), 2),
        "review_p50_ms": round(percentile(review_ms, 50), 2),
        "review_p95_ms": round(percentile(review_ms, 95), 2),
        "next_due_statements": round(next_statements / timed, 1),
        "review_statements": round(review_statements / timed, 1),
    }


def counts(stride: Stride) -> dict[str, int]:
    with stride.transaction() as session:
        return {
            table: int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("users", "cards", "review_log", "card_schedules")
        }


def run(
    url: str,
    *,
    users: int,
    items: int,
    reviews: int,
    samples: int,
    years: float = 2.0,
    profile: bool = False,
) -> dict[str, object]:
    """Seed (or reuse) the database at ``url`` and time the two operations."""
    backend = make_url(url).get_backend_name()
    stride, built_s = open_seeded(url, users=users, items=items, reviews=reviews, years=years)
    try:
        sizes = counts(stride)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        result = measure(stride, samples, warmup=min(50, max(1, samples // 10)))
        if profiler:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
            print(out.getvalue(), file=sys.stderr)
    finally:
        stride.close()
    return {
        "backend": backend,
        "users": users,
        "items": items,
        "reviews": reviews,
        "rows": sizes,
        "build_s": round(built_s, 3),  # 0 only when reused (a build takes milliseconds at least)
        **result,
        "target_p95_ms": TARGET_P95_MS if backend == "sqlite" else None,
    }


def run_sqlite(db: Path | None, **sizes: object) -> dict[str, object]:
    """:func:`run` on the SQLite file ``db`` (kept), or on one in a temporary folder."""
    if db is not None:
        return run(f"sqlite:///{db.resolve()}", **sizes)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="stride-bench-store-") as folder:
        return run(f"sqlite:///{folder}/store.db", **sizes)  # type: ignore[arg-type]


def run_postgres(server_url: str, **sizes: object) -> dict[str, object]:
    """:func:`run` in a scratch database on the PostgreSQL server of ``server_url``."""
    with scratch_postgres(server_url) as url:
        return run(url, **sizes)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench store",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--reviews", type=int, default=1_000_000, help="review-log rows")
    parser.add_argument("--samples", type=int, default=1000, help="timed rounds")
    parser.add_argument("--db", type=Path, help="SQLite file to build or reuse")
    parser.add_argument(
        "--url", help="a PostgreSQL server URL: seed and time a scratch database there instead"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the timed rounds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if min(args.users, args.items, args.reviews, args.samples) < 1:
        parser.error("--users, --items, --reviews and --samples must be positive")
    sizes = {
        "users": args.users,
        "items": args.items,
        "reviews": args.reviews,
        "samples": args.samples,
        "profile": args.profile,
    }
    result = run_postgres(args.url, **sizes) if args.url else run_sqlite(args.db, **sizes)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(format_result(result))
    return 0


def format_result(result: dict[str, object]) -> str:
    rows = result["rows"]
    assert isinstance(rows, dict)
    built = f"built in {result['build_s']} s" if result["build_s"] else "reused"
    target = result["target_p95_ms"]
    lines = [
        f"{result['backend']}: {rows['users']} users, {rows['cards']} cards, "
        f"{rows['review_log']:,} reviews, {rows['card_schedules']:,} schedules ({built})",
        f"  next due item   p50 {result['next_due_p50_ms']} ms  p95 {result['next_due_p95_ms']} ms"
        f"  ({result['next_due_statements']} statements)",
        f"  record a review p50 {result['review_p50_ms']} ms  p95 {result['review_p95_ms']} ms"
        f"  ({result['review_statements']} statements)",
    ]
    if target is not None:
        lines.append(f"  target p95 < {target:g} ms, over {result['samples']} rounds")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
