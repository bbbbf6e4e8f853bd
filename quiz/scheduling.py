"""A thin wrapper over the ``fsrs`` package (FSRS-6): review, preview, undo data, interval labels.

A :class:`Schedule` is one user's state for one item; a review turns a schedule and a
:class:`Rating` into the next schedule. What Stride adds around ``fsrs`` (a *new* state, undo
through the review log, labels computed without fuzz) and the queue's rules are specified once, in
``docs/scheduling.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from functools import cached_property

import fsrs

from quiz.config import StudySettings


class Rating(IntEnum):
    """The four answer buttons (same values as ``fsrs.Rating``)."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


class CardState(IntEnum):
    """Where an item is in its life; 1-3 are ``fsrs.State`` values, NEW means never reviewed."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True)
class Schedule:
    """One user's scheduling state for one item. All datetimes are timezone-aware UTC.

    ``step`` is the index into the learning (or relearning) steps, ``None`` in the Review state;
    ``stability`` (days until recall probability falls to 90%) and ``difficulty`` (1-10) are
    FSRS's memory model, ``None`` before the first review. ``reps`` counts reviews and ``lapses``
    counts Again answers given in the Review state.
    """

    state: CardState = CardState.NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0

    @property
    def is_new(self) -> bool:
        return self.state == CardState.NEW


@dataclass(frozen=True)
class Outcome:
    """The result of one review: the schedule after it, and the interval until it is due."""

    schedule: Schedule
    interval: timedelta


class Scheduler:
    """FSRS scheduling configured from :class:`StudySettings`."""

    def __init__(self, settings: StudySettings) -> None:
        self.settings = settings

    @cached_property
    def _fsrs(self) -> fsrs.Scheduler:
        return self._make(enable_fuzzing=self.settings.enable_fuzzing)

    @cached_property
    def _fsrs_for_labels(self) -> fsrs.Scheduler:
        return self._make(enable_fuzzing=False)

    def _make(self, *, enable_fuzzing: bool) -> fsrs.Scheduler:
        return fsrs.Scheduler(
            desired_retention=self.settings.desired_retention,
            learning_steps=self.settings.learning_steps,
            relearning_steps=self.settings.relearning_steps,
            maximum_interval=self.settings.maximum_interval_days,
            enable_fuzzing=enable_fuzzing,
        )

    def review(self, schedule: Schedule, rating: Rating, now: datetime) -> Outcome:
        """Apply ``rating`` given at ``now`` (UTC) to ``schedule``."""
        return _review(self._fsrs, schedule, rating, _utc(now))

    def preview(self, schedule: Schedule, now: datetime) -> dict[Rating, timedelta]:
        """The interval each rating would give (without fuzz), for the answer buttons."""
        now = _utc(now)
        return {
            rating: _review(self._fsrs_for_labels, schedule, rating, now).interval
            for rating in Rating
        }

    def retrievability(self, schedule: Schedule, now: datetime) -> float | None:
        """Predicted probability of recall at ``now``; ``None`` for a never-reviewed item."""
        if schedule.is_new:
            return None
        return float(self._fsrs.get_card_retrievability(_to_fsrs(schedule), _utc(now)))


def _review(
    scheduler: fsrs.Scheduler, schedule: Schedule, rating: Rating, now: datetime
) -> Outcome:
    card, _ = scheduler.review_card(_to_fsrs(schedule, now), fsrs.Rating(int(rating)), now)
    lapsed = schedule.state == CardState.REVIEW and rating == Rating.AGAIN
    after = replace(
        schedule,
        state=CardState(int(card.state)),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
        reps=schedule.reps + 1,
        lapses=schedule.lapses + int(lapsed),
    )
    return Outcome(schedule=after, interval=card.due - now)


def _to_fsrs(schedule: Schedule, now: datetime | None = None) -> fsrs.Card:
    if schedule.is_new:
        return fsrs.Card(card_id=0, due=now)
    return fsrs.Card(
        card_id=0,
        state=fsrs.State(int(schedule.state)),
        step=schedule.step,
        stability=schedule.stability,
        difficulty=schedule.difficulty,
        due=schedule.due,
        last_review=schedule.last_review,
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("expected a timezone-aware datetime")
    return moment.astimezone(UTC)


def format_interval(interval: timedelta) -> str:
    """An Anki-style label: ``<1m``, ``10m``, ``3h``, ``1d``, ``8d``, ``3.5mo``, ``1.2y``."""
    seconds = interval.total_seconds()
    minutes = seconds / 60
    days = seconds / 86400
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{round(minutes)}m"
    if days < 1:
        return f"{_trim(minutes / 60)}h"
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{_trim(days / 30)}mo"
    return f"{_trim(days / 365)}y"


def _trim(value: float) -> str:
    """One decimal place, without a trailing ``.0`` (``1.0`` → ``1``, ``3.46`` → ``3.5``)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def utc_now() -> datetime:
    return datetime.now(UTC)
