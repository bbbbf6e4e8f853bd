"""Many processes answering at once against one database: is every write there exactly once?

:func:`hammer` is one student's process: it opens its own :class:`~quiz.runtime.Stride` on the
shared database and records ``reviews`` card reviews and ``attempts`` practice attempts, sending
each one twice with the same client token (a double click, or a resend after a lost reply),
through :meth:`Stride.write` (short transactions, retried when the database is busy).
:func:`run` starts ``processes`` of them at once and checks the database afterwards.

Used by the test suite (``tests/unit/test_concurrency.py``) and runnable on its own:
``python -m quiz.benchmarks.concurrency --processes 8 --writes 500 [--url URL]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import func, select

from quiz.config import StudySettings
from quiz.runtime import Stride
from quiz.scheduling import Rating
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user
from quiz.services.practice import AttemptContext, make_exercise, submit_practice
from quiz.services.study import answer_card
from quiz.store.models import Attempt, Card, Deck, ReviewLog
from quiz.vocabulary import CARD_KIND_FLASHCARD, ROLE_STUDENT

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FAMILY = "conv-output-size"
PASSWORD = "concurrency-test-password"


@dataclass(frozen=True)
class Outcome:
    """One process's count of acknowledged writes (each acknowledged once, though sent twice)."""

    user_id: int
    reviews: int
    attempts: int
    seconds: float


def hammer(url: str, user_id: int, username: str, reviews: int, attempts: int) -> Outcome:
    """Record ``reviews`` reviews and ``attempts`` attempts for one user, each sent twice."""
    stride = Stride.open(url, StudySettings(enable_fuzzing=False), load_builtin=False)
    actor = Actor(user_id, username, ROLE_STUDENT)
    started = time.perf_counter()
    with stride.transaction() as session:
        cards = session.scalars(
            select(Card.id).where(Card.kind == CARD_KIND_FLASHCARD, Card.active).order_by(Card.id)
        ).all()
    acknowledged_reviews = acknowledged_attempts = 0
    for number in range(max(reviews, attempts)):
        now = START + timedelta(minutes=number)
        if number < reviews:
            card_id = cards[number % len(cards)]
            token = f"review-{user_id}-{number}"
            review = partial(
                answer_card,
                actor=actor,
                card_id=card_id,
                rating=Rating.GOOD,
                now=now,
                scheduler=stride.scheduler,
                client_token=token,
            )
            first_review, again_review = (stride.write(review) for _ in range(2))
            assert first_review.review_id == again_review.review_id
            acknowledged_reviews += 1
        if number < attempts:
            exercise = make_exercise(FAMILY, number, 1)
            context = AttemptContext(duration_ms=1000, client_token=f"attempt-{user_id}-{number}")
            attempt = partial(
                submit_practice,
                actor=actor,
                exercise=exercise,
                raw_answer=exercise.answer,
                context=context,
                now=now,
            )
            first_attempt, again_attempt = (stride.write(attempt) for _ in range(2))
            assert first_attempt.attempt_id == again_attempt.attempt_id is not None
            acknowledged_attempts += 1
    stride.close()
    return Outcome(
        user_id, acknowledged_reviews, acknowledged_attempts, time.perf_counter() - started
    )


def start_up(url: str) -> int:
    """Open Stride (migrate, seed) as a newly started replica does; return the number of decks."""
    stride = Stride.open(url, StudySettings(enable_fuzzing=False))
    with stride.transaction() as session:
        decks = session.scalar(select(func.count()).select_from(Deck)) or 0
    stride.close()
    return decks


def start_together(url: str, replicas: int) -> list[int]:
    """Start ``replicas`` processes on one new database at once; each one's deck count."""
    with multiprocessing.get_context("spawn").Pool(replicas) as pool:
        return pool.map(start_up, [url] * replicas)


def burst(url: str, user_id: int, username: str, reviews: int) -> None:
    """Record reviews one by one, printing ``ack TOKEN`` after each commit (the crash test's
    writer: what it printed was acknowledged to the user, so it must survive a SIGKILL)."""
    stride = Stride.open(url, StudySettings(enable_fuzzing=False), load_builtin=False)
    actor = Actor(user_id, username, ROLE_STUDENT)
    with stride.transaction() as session:
        cards = session.scalars(select(Card.id).where(Card.active).order_by(Card.id)).all()
    for number in range(reviews):
        token = f"burst-{number}"
        stride.write(
            partial(
                answer_card,
                actor=actor,
                card_id=cards[number % len(cards)],
                rating=Rating.GOOD,
                now=START + timedelta(minutes=number),
                scheduler=stride.scheduler,
                client_token=token,
            )
        )
        print(f"ack {token}", flush=True)


@dataclass(frozen=True)
class Report:
    processes: int
    seconds: float
    acknowledged: int
    stored: int
    duplicates: int

    @property
    def lost(self) -> int:
        return self.acknowledged - (self.stored - self.duplicates)


def prepare(url: str, processes: int) -> list[tuple[int, str]]:
    """Migrate, load the built-in decks and create one student per process."""
    stride = Stride.open(url, StudySettings(enable_fuzzing=False))
    users = []
    with stride.transaction() as session:
        for number in range(processes):
            name = f"student{number}"
            account = create_user(session, COMMAND_LINE, name, ROLE_STUDENT, PASSWORD, START)
            users.append((account.user_id, name))
    stride.close()
    return users


def run(url: str, processes: int, reviews: int, attempts: int) -> Report:
    """Start ``processes`` :func:`hammer` processes at once; count what the database holds."""
    users = prepare(url, processes)
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        outcomes = pool.starmap(
            hammer, [(url, user_id, name, reviews, attempts) for user_id, name in users]
        )
    seconds = time.perf_counter() - started
    stride = Stride.open(url, load_builtin=False)
    with stride.transaction() as session:
        stored = sum(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (ReviewLog, Attempt)
        )
        duplicates = sum(
            session.scalar(
                select(func.count() - func.count(func.distinct(column))).where(column.is_not(None))
            )
            or 0
            for column in (ReviewLog.client_token, Attempt.client_token)
        )
    stride.close()
    acknowledged = sum(outcome.reviews + outcome.attempts for outcome in outcomes)
    return Report(processes, seconds, acknowledged, stored, duplicates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quiz.benchmarks.concurrency")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--writes", type=int, default=500, help="reviews + attempts per process")
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="stride-concurrency-") as folder:
        url = args.url or f"sqlite:///{folder}/stride.db"
        report = run(url, args.processes, args.writes // 2, args.writes - args.writes // 2)
    print(
        f"{report.processes} processes, {report.acknowledged} writes acknowledged (each sent "
        f"twice) in {report.seconds:.1f} s: {report.stored} stored, {report.duplicates} "
        f"duplicates, {report.lost} lost"
    )
    return 0 if report.lost == 0 and report.duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
