"""The Statistics page's SQL aggregates on a generated history with known answers (both backends).

Study days start at 4 am in New York. Daylight saving time ended there on Sunday 1 November 2026
at 2 am EDT (06:00 UTC), so the study day of Saturday 31 October runs 25 hours, from 08:00 UTC
(4 am EDT) to 09:00 UTC on 1 November (4 am EST). Rows are written straight into the tables, so
each test states exactly what the queries see.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quiz.config import StudySettings
from quiz.runtime import Stride
from quiz.scheduling import CardState, Schedule, Scheduler
from quiz.services.stats import forgetting_curve
from quiz.store import stats as store
from quiz.store.models import Attempt, Card, CardSchedule, CardSuspension, Deck, ReviewLog, User
from quiz.vocabulary import CARD_KIND_EXERCISE, CARD_KIND_FLASHCARD, ROLE_STUDENT
from tests.support import NOON

LEARNING, REVIEW, RELEARNING = store.STATE_LEARNING, store.STATE_REVIEW, store.STATE_RELEARNING
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4

# Study-day starts (4 am New York) from Friday 30 October to Tuesday 3 November 2026.
OCT30 = datetime(2026, 10, 30, 8, tzinfo=UTC)  # 4 am EDT
OCT31 = datetime(2026, 10, 31, 8, tzinfo=UTC)  # 4 am EDT; this day is 25 h long
NOV1 = datetime(2026, 11, 1, 9, tzinfo=UTC)  # 4 am EST
NOV2 = datetime(2026, 11, 2, 9, tzinfo=UTC)
NOV3 = datetime(2026, 11, 3, 9, tzinfo=UTC)
DAYS = [OCT30, OCT31, NOV1, NOV2, NOV3]  # four study days: Oct 30, Oct 31, Nov 1, Nov 2
TICK = timedelta(microseconds=1)


@dataclass
class History:
    """Writes rows straight into the tables, with exactly the values a test needs."""

    session: Session
    deck_id: int
    _cards: int = 0

    @classmethod
    def start(cls, session: Session) -> History:
        deck = Deck(
            slug="stats",
            title="Stats",
            source_format="markdown",
            created_at=NOON,
            updated_at=NOON,
        )
        session.add(deck)
        session.flush()
        return cls(session, deck.id)

    def user(self, username: str, role: str = ROLE_STUDENT) -> int:
        user = User(username=username, display_name=username.title(), role=role, created_at=NOON)
        self.session.add(user)
        self.session.flush()
        return user.id

    def cards(self, count: int, *, family: str | None = None, active: bool = True) -> list[int]:
        made = []
        for _ in range(count):
            self._cards += 1
            card = Card(
                deck_id=self.deck_id,
                key=f"c{self._cards}",
                position=self._cards,
                front="front",
                back="back",
                active=active,
                kind=CARD_KIND_EXERCISE if family else CARD_KIND_FLASHCARD,
                exercise_family=family,
                exercise_difficulty=2 if family else None,
                created_at=NOON,
                updated_at=NOON,
            )
            self.session.add(card)
            self.session.flush()
            made.append(card.id)
        return made

    def review(
        self,
        user: int,
        card: int,
        at: datetime,
        *,
        rating: int = GOOD,
        state: int = REVIEW,
        interval: timedelta = timedelta(days=3),
        duration_ms: int | None = 1000,
    ) -> None:
        """One answer; a card in ``state`` REVIEW had the scheduled ``interval`` before it."""
        last = at - 2 * interval if state != 0 else None
        self.session.add(
            ReviewLog(
                user_id=user,
                card_id=card,
                rating=rating,
                reviewed_at=at,
                duration_ms=duration_ms,
                state_before=state,
                step_before=None,
                stability_before=None if state == 0 else 3.0,
                difficulty_before=None if state == 0 else 5.0,
                due_before=None if last is None else last + interval,
                last_review_before=last,
                state_after=REVIEW,
                step_after=None,
                stability_after=4.0,
                difficulty_after=5.0,
                due_after=at + timedelta(days=4),
            )
        )

    def schedule(
        self,
        user: int,
        card: int,
        *,
        due: datetime,
        state: int = REVIEW,
        interval: timedelta = timedelta(days=3),
        stability: float | None = 3.0,
        difficulty: float | None = 5.0,
        last_review: datetime | None = None,
    ) -> None:
        """A schedule due at ``due``, last reviewed ``interval`` before (or at ``last_review``)."""
        self.session.add(
            CardSchedule(
                user_id=user,
                card_id=card,
                state=state,
                step=None,
                stability=stability,
                difficulty=difficulty,
                due=due,
                last_review=last_review or due - interval,
                reps=1,
                lapses=0,
            )
        )

    def suspend(self, user: int, card: int) -> None:
        self.session.add(CardSuspension(user_id=user, card_id=card, suspended_at=NOON))

    def attempt(
        self, user: int, family: str, at: datetime, *, correct: bool, mistake: str | None = None
    ) -> None:
        self.session.add(
            Attempt(
                user_id=user,
                source="practice",
                family=family,
                seed=1,
                difficulty=2,
                raw_answer="1",
                score=1.0 if correct else 0.0,
                correct=correct,
                mistake=mistake,
                created_at=at,
            )
        )

    def done(self) -> Session:
        self.session.flush()
        return self.session


@pytest.fixture
def history(database_url: str) -> Iterator[History]:
    app = Stride.open(database_url, StudySettings(enable_fuzzing=False), load_builtin=False)
    with app.transaction() as session:
        yield History.start(session)
    app.close()


def _day(row: store.DayReviews) -> tuple[int, ...]:
    return tuple(row)


# --- reviews by study day --------------------------------------------------------------------


def test_reviews_fall_in_their_study_day_around_midnight_the_day_start_and_dst(
    history: History,
) -> None:
    ada = history.user("ada")
    (card,) = history.cards(1)
    at = [
        (OCT30 - TICK, AGAIN),  # 3:59:59.999999 am Oct 30: the previous study day, not counted
        (OCT30, GOOD),  # 4 am: the first instant of Oct 30
        (datetime(2026, 10, 31, 3, 59, tzinfo=UTC), HARD),  # 11:59 pm EDT Oct 30
        (datetime(2026, 10, 31, 4, 1, tzinfo=UTC), EASY),  # 0:01 am EDT Oct 31: still Oct 30
        (OCT31 - TICK, GOOD),  # 3:59:59 am Oct 31: still Oct 30
        (OCT31, AGAIN),  # 4 am EDT Oct 31
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), GOOD),  # 1:30 am EDT, before the change
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), GOOD),  # 1:30 am EST, the hour repeated
        (datetime(2026, 11, 1, 8, 30, tzinfo=UTC), EASY),  # 3:30 am EST: still Oct 31
        (NOV1, HARD),  # 4 am EST Nov 1 (a fixed 24 h bucket would put it in Oct 31's day)
        # Nov 2: nothing at all
        (NOV3, AGAIN),  # the end of the range: not counted
    ]
    for moment, rating in at:
        history.review(ada, card, moment, rating=rating, duration_ms=1000 * rating)
    rows = store.reviews_by_day(history.done(), ada, DAYS)
    # (day, again, hard, good, easy, duration_ms, young, young_again, mature, mature_again)
    assert [_day(r) for r in rows] == [
        (0, 0, 1, 2, 1, 2000 + 3000 * 2 + 4000, 4, 0, 0, 0),
        (1, 1, 0, 2, 1, 1000 + 3000 * 2 + 4000, 4, 1, 0, 0),
        (2, 0, 1, 0, 0, 2000, 1, 0, 0, 0),
    ]
    assert [r.reviews for r in rows] == [4, 4, 1]


def test_true_retention_counts_split_young_and_mature_by_the_interval_before(
    history: History,
) -> None:
    ada = history.user("ada")
    (card,) = history.cards(1)
    day = OCT30 + timedelta(hours=5)
    young, mature = timedelta(days=20, hours=23), timedelta(days=21)
    history.review(ada, card, day, rating=AGAIN, interval=young)
    history.review(ada, card, day, rating=GOOD, interval=young)
    history.review(ada, card, day, rating=HARD, interval=young)
    history.review(ada, card, day, rating=AGAIN, interval=mature)
    history.review(ada, card, day, rating=EASY, interval=mature)
    history.review(ada, card, day, rating=GOOD, interval=timedelta(days=400))
    # Not in the Review state before the answer: no part of true retention.
    history.review(ada, card, day, rating=AGAIN, state=LEARNING)
    history.review(ada, card, day, rating=AGAIN, state=RELEARNING)
    history.review(ada, card, day, rating=GOOD, state=0)
    (row,) = store.reviews_by_day(history.done(), ada, DAYS)
    assert (row.again, row.hard, row.good, row.easy) == (4, 1, 3, 1)
    assert (row.young_reviews, row.young_again) == (3, 1)
    assert (row.mature_reviews, row.mature_again) == (3, 1)


def test_reviews_of_other_users_and_missing_durations(history: History) -> None:
    ada, bob = history.user("ada"), history.user("bob")
    (card,) = history.cards(1)
    history.review(ada, card, NOV2, duration_ms=None)
    history.review(bob, card, NOV2, duration_ms=5000)
    session = history.done()
    assert [_day(r) for r in store.reviews_by_day(session, ada, DAYS)] == [
        (3, 0, 0, 1, 0, 0, 1, 0, 0, 0)
    ]
    assert store.reviews_by_day(session, history.user("carol"), DAYS) == []


def test_the_day_table_refuses_bad_boundaries(history: History) -> None:
    session = history.done()
    with pytest.raises(ValueError, match="two boundaries"):
        store.reviews_by_day(session, 1, [OCT30])
    with pytest.raises(ValueError, match="increase"):
        store.reviews_by_day(session, 1, [OCT31, OCT30])
    with pytest.raises(ValueError, match="timezone-aware"):
        store.reviews_by_day(session, 1, [OCT30.replace(tzinfo=None), OCT31])


RANGE_START = datetime(2026, 3, 1, 5, tzinfo=UTC)
MOMENTS = st.integers(-2 * 86_400_000_000, 40 * 86_400_000_000).map(
    lambda us: RANGE_START + timedelta(microseconds=us)
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moments=st.lists(MOMENTS, max_size=40),
    lengths=st.lists(st.integers(1, 50 * 3600), min_size=1, max_size=30),
)
def test_every_review_in_range_is_counted_once_in_its_day(
    history: History, moments: list[datetime], lengths: list[int]
) -> None:
    """Property: with any increasing boundaries (days of any length), each review in range is
    counted exactly once, in the day whose half-open interval holds it."""
    session = history.session  # shared by the examples: start each from an empty log
    session.execute(delete(ReviewLog))
    user = session.scalars(select(User.id).order_by(User.id)).first()  # the local user
    assert user is not None
    if not history._cards:
        history.cards(1)
    boundaries = [RANGE_START]
    for seconds in lengths:
        boundaries.append(boundaries[-1] + timedelta(seconds=seconds))
    for moment in moments:
        history.review(user, 1, moment, rating=GOOD)
    rows = store.reviews_by_day(history.done(), user, boundaries)
    expected: dict[int, int] = {}
    for moment in moments:
        if boundaries[0] <= moment < boundaries[-1]:
            day = bisect.bisect_right(boundaries, moment) - 1
            expected[day] = expected.get(day, 0) + 1
    assert {row.day: row.good for row in rows} == expected
    assert sum(row.reviews for row in rows) == sum(expected.values())


# --- schedules -------------------------------------------------------------------------------


def test_due_by_day_counts_overdue_today_and_splits_learning_young_mature(
    history: History,
) -> None:
    ada, bob = history.user("ada"), history.user("bob")
    cards = history.cards(9)
    (retired,) = history.cards(1, active=False)
    earliest = datetime(1, 1, 1, tzinfo=UTC)
    bounds = [earliest, *DAYS[1:]]  # day 0 also holds everything overdue
    history.schedule(ada, cards[0], due=datetime(2020, 1, 1, tzinfo=UTC))  # long overdue, young
    history.schedule(ada, cards[1], due=OCT30 + timedelta(hours=1), state=LEARNING)
    history.schedule(ada, cards[2], due=OCT31, interval=timedelta(days=21))  # mature, day 1
    history.schedule(ada, cards[3], due=NOV1 - TICK, interval=timedelta(days=20))  # young, day 1
    history.schedule(ada, cards[4], due=NOV1, state=RELEARNING)  # day 2
    history.schedule(ada, cards[5], due=NOV3)  # after the range
    history.schedule(ada, cards[6], due=NOV2)  # suspended
    history.suspend(ada, cards[6])
    history.schedule(ada, retired, due=NOV2)  # retired card
    history.schedule(bob, cards[7], due=NOV2)  # someone else's
    rows = store.due_by_day(history.done(), ada, bounds)
    assert [tuple(r) for r in rows] == [(0, 1, 1, 0), (1, 0, 1, 1), (2, 1, 0, 0)]


def test_state_counts(history: History) -> None:
    ada, bob = history.user("ada"), history.user("bob")
    cards = history.cards(10)
    history.cards(2, active=False)  # retired: never counted
    history.schedule(ada, cards[0], due=NOV1, state=LEARNING)
    history.schedule(ada, cards[1], due=NOV1, state=RELEARNING)
    history.schedule(ada, cards[2], due=NOV1, interval=timedelta(days=20, hours=23))
    history.schedule(ada, cards[3], due=NOV1, interval=timedelta(days=21))
    history.schedule(ada, cards[4], due=NOV1, interval=timedelta(days=90))
    history.schedule(ada, cards[5], due=NOV1, state=LEARNING)
    history.suspend(ada, cards[5])  # scheduled and suspended: only suspended
    history.suspend(ada, cards[6])  # new and suspended: only suspended
    history.schedule(bob, cards[7], due=NOV1)  # bob's schedule: still new for ada
    history.schedule(ada, cards[8], due=NOV1, state=0)  # a schedule still in the New state
    counts = dict(store.state_counts(history.done(), ada))
    assert counts == {
        "learning": 1,
        "relearning": 1,
        "young": 1,
        "mature": 2,
        "suspended": 2,
        "new": 3,  # cards 7, 8, 9
    }
    assert dict(store.state_counts(history.session, bob)) == {"young": 1, "new": 9}


def test_state_counts_of_an_empty_database(history: History) -> None:
    assert store.state_counts(history.done(), history.user("ada")) == []


# --- distributions ---------------------------------------------------------------------------


def test_stability_and_difficulty_histograms(history: History) -> None:
    ada = history.user("ada")
    cards = history.cards(7)
    values = [(0.5, 1.0), (1.0, 1.5), (2.9, 5.0), (3.0, 9.99), (500.0, 10.0), (9000.0, 4.2)]
    for card, (stability, difficulty) in zip(cards, values, strict=False):
        history.schedule(ada, card, due=NOV1, stability=stability, difficulty=difficulty)
    history.schedule(ada, cards[6], due=NOV1, stability=None, difficulty=None)  # not reviewed
    session = history.done()
    edges = (0, 1, 3, 100, float("inf"))
    stability = store.stability_histogram(session, ada, edges)
    assert [(b.bucket, b.cards) for b in stability] == [(0, 1), (1, 2), (2, 1), (3, 2)]
    assert [b.total for b in stability] == pytest.approx([0.5, 3.9, 3.0, 9500.0])
    difficulty = store.difficulty_histogram(session, ada, (1, 2, 5, 10))
    assert [(b.bucket, b.cards) for b in difficulty] == [(0, 2), (1, 1), (2, 3)]


def test_retrievability_matches_fsrs(history: History) -> None:
    """The SQL forgetting curve gives what ``fsrs`` gives for the same schedule."""
    ada = history.user("ada")
    cases = [  # (days since the last review, stability): t is floored to whole days
        (0.0, 2.0),
        (2.9, 2.0),  # R(S, S) = 0.9 on the dot: in the 90-95% bin
        (3.0, 2.0),
        (10.5, 1.0),
        (100.0, 365.0),
        (-1.0, 5.0),  # a last review in the future counts as t = 0
    ]
    cards = history.cards(len(cases))
    scheduler = Scheduler(StudySettings(enable_fuzzing=False))
    expected = []
    for card, (days, stability) in zip(cards, cases, strict=True):
        last = NOON - timedelta(days=days)
        history.schedule(ada, card, due=NOON, stability=stability, last_review=last)
        schedule = Schedule(CardState.REVIEW, None, stability, 5.0, NOON, last)
        expected.append(scheduler.retrievability(schedule, NOON))
    decay, factor = forgetting_curve()
    rows = store.retrievability_histogram(history.done(), ada, NOON, 20, decay=decay, factor=factor)
    bins: dict[int, list[float]] = {}
    for value in expected:
        assert value is not None
        bins.setdefault(min(int(value * 20 + 1e-9), 19), []).append(value)
    assert {b.bucket: b.cards for b in rows} == {k: len(v) for k, v in bins.items()}
    assert {b.bucket: b.total for b in rows} == {k: pytest.approx(sum(v)) for k, v in bins.items()}


# --- exercises -------------------------------------------------------------------------------


def test_attempt_outcomes_and_weeks(history: History) -> None:
    ada, bob = history.user("ada"), history.user("bob")
    weeks = [OCT30 - timedelta(days=7), OCT30, OCT30 + timedelta(days=7)]
    history.attempt(ada, "same-padding", weeks[0] - TICK, correct=True)  # before the weeks
    history.attempt(ada, "same-padding", weeks[0], correct=False, mistake="off_by_one")
    history.attempt(ada, "same-padding", weeks[1] - TICK, correct=True)
    history.attempt(ada, "same-padding", weeks[1], correct=False, mistake="off_by_one")
    history.attempt(ada, "same-padding", weeks[1], correct=False, mistake="used_kernel_size")
    history.attempt(ada, "same-padding", weeks[1], correct=False)  # wrong, no named mistake
    history.attempt(ada, "conv-macs", weeks[2] - TICK, correct=True)
    history.attempt(ada, "conv-macs", weeks[2], correct=True)  # after the weeks
    history.attempt(bob, "conv-macs", weeks[1], correct=False, mistake="used_input_size")
    session = history.done()
    assert store.attempt_outcomes(session, ada) == [
        store.FamilyOutcome("conv-macs", None, True, 2),
        store.FamilyOutcome("same-padding", None, False, 1),
        store.FamilyOutcome("same-padding", None, True, 2),
        store.FamilyOutcome("same-padding", "off_by_one", False, 2),
        store.FamilyOutcome("same-padding", "used_kernel_size", False, 1),
    ]
    assert store.attempts_by_week(session, ada, weeks) == [
        store.WeekAttempts(0, "same-padding", 2, 1),
        store.WeekAttempts(1, "conv-macs", 1, 1),
        store.WeekAttempts(1, "same-padding", 3, 0),
    ]
    assert store.attempt_outcomes(session, history.user("carol")) == []


def test_mastery_by_family(history: History) -> None:
    ada = history.user("ada")
    padding = history.cards(3, family="same-padding")
    (macs,) = history.cards(1, family="conv-macs")
    (flashcard,) = history.cards(1)
    history.schedule(ada, padding[0], due=NOON, stability=2.0, last_review=NOON)  # R = 1
    history.schedule(ada, padding[1], due=NOON, stability=3.0, last_review=NOON - timedelta(3))
    history.schedule(ada, padding[2], due=NOON, last_review=NOON)
    history.suspend(ada, padding[2])  # suspended: left out
    history.schedule(ada, macs, due=NOON, stability=1.0, last_review=NOON)
    history.schedule(ada, flashcard, due=NOON, last_review=NOON)  # not an exercise
    decay, factor = forgetting_curve()
    rows = store.mastery_by_family(history.done(), ada, NOON, decay=decay, factor=factor)
    assert [(r.family, r.items) for r in rows] == [("conv-macs", 1), ("same-padding", 2)]
    assert rows[0].retrievability_total == pytest.approx(1.0)
    assert rows[1].retrievability_total == pytest.approx(1.9, abs=1e-9)  # R(S, S) = 0.9
