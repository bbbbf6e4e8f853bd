"""FSRS wrapper: fixed UTC datetimes, fuzzing off, so every interval is exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from quiz.config import StudySettings
from quiz.scheduling import CardState, Rating, Schedule, Scheduler, format_interval

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def scheduler() -> Scheduler:
    return Scheduler(StudySettings(enable_fuzzing=False))


def test_new_card_previews_follow_the_learning_steps(scheduler: Scheduler) -> None:
    previews = scheduler.preview(Schedule(), T0)
    assert previews[Rating.AGAIN] == timedelta(minutes=1)  # first learning step
    assert previews[Rating.GOOD] == timedelta(minutes=10)  # second learning step
    assert timedelta(minutes=1) < previews[Rating.HARD] < timedelta(minutes=10)
    assert previews[Rating.EASY] >= timedelta(days=1)  # graduates at once
    labels = [format_interval(previews[rating]) for rating in Rating]
    assert labels[0] == "1m" and labels[2] == "10m" and labels[3].endswith("d")


def test_good_twice_graduates_a_new_card_to_review(scheduler: Scheduler) -> None:
    first = scheduler.review(Schedule(), Rating.GOOD, T0)
    assert first.schedule.state == CardState.LEARNING and first.schedule.step == 1
    assert first.schedule.due == T0 + timedelta(minutes=10)
    assert first.schedule.reps == 1

    second = scheduler.review(first.schedule, Rating.GOOD, T0 + timedelta(minutes=10))
    assert second.schedule.state == CardState.REVIEW and second.schedule.step is None
    assert second.interval >= timedelta(days=1)
    assert second.schedule.last_review == T0 + timedelta(minutes=10)
    assert second.schedule.reps == 2 and second.schedule.lapses == 0


def test_again_in_review_is_a_lapse_and_enters_relearning(scheduler: Scheduler) -> None:
    graduated = scheduler.review(Schedule(), Rating.EASY, T0).schedule
    assert graduated.state == CardState.REVIEW
    later = graduated.due
    assert later is not None
    lapse = scheduler.review(graduated, Rating.AGAIN, later)
    assert lapse.schedule.state == CardState.RELEARNING
    assert lapse.interval == timedelta(minutes=10)  # the relearning step
    assert lapse.schedule.lapses == 1
    assert lapse.schedule.stability is not None and graduated.stability is not None
    assert lapse.schedule.stability < graduated.stability


def test_review_intervals_grow_with_good_answers(scheduler: Scheduler) -> None:
    schedule = scheduler.review(Schedule(), Rating.EASY, T0).schedule
    intervals = []
    for _ in range(4):
        assert schedule.due is not None
        outcome = scheduler.review(schedule, Rating.GOOD, schedule.due)
        intervals.append(outcome.interval)
        schedule = outcome.schedule
    assert intervals == sorted(intervals) and intervals[-1] > intervals[0]


def test_preview_matches_the_review_it_predicts(scheduler: Scheduler) -> None:
    schedule = scheduler.review(Schedule(), Rating.GOOD, T0).schedule
    now = T0 + timedelta(minutes=12)
    previews = scheduler.preview(schedule, now)
    for rating in Rating:
        assert scheduler.review(schedule, rating, now).interval == previews[rating]


def test_desired_retention_changes_intervals() -> None:
    strict = Scheduler(StudySettings(enable_fuzzing=False, desired_retention=0.95))
    relaxed = Scheduler(StudySettings(enable_fuzzing=False, desired_retention=0.8))
    start = Schedule()
    assert strict.preview(start, T0)[Rating.EASY] < relaxed.preview(start, T0)[Rating.EASY]


def test_fuzzing_keeps_review_intervals_close_to_the_label() -> None:
    fuzzed = Scheduler(StudySettings(enable_fuzzing=True))
    schedule = fuzzed.review(Schedule(), Rating.EASY, T0).schedule
    assert schedule.due is not None
    label = fuzzed.preview(schedule, schedule.due)[Rating.GOOD]
    for _ in range(20):
        actual = fuzzed.review(schedule, Rating.GOOD, schedule.due).interval
        assert abs(actual - label) <= label * 0.3 + timedelta(days=1)


def test_retrievability_is_none_for_new_cards_and_falls_over_time(scheduler: Scheduler) -> None:
    assert scheduler.retrievability(Schedule(), T0) is None
    schedule = scheduler.review(Schedule(), Rating.EASY, T0).schedule
    soon = scheduler.retrievability(schedule, T0 + timedelta(days=1))
    late = scheduler.retrievability(schedule, T0 + timedelta(days=60))
    assert soon is not None and late is not None and 0 < late < soon <= 1


def test_naive_and_non_utc_datetimes(scheduler: Scheduler) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        scheduler.review(Schedule(), Rating.GOOD, datetime(2026, 1, 5, 9, 0))
    eastern = timezone(timedelta(hours=-5))
    outcome = scheduler.review(Schedule(), Rating.GOOD, T0.astimezone(eastern))
    assert outcome.schedule.due == T0 + timedelta(minutes=10)
    assert outcome.schedule.due.tzinfo == UTC


def test_custom_learning_steps() -> None:
    steps = (timedelta(minutes=2), timedelta(minutes=15), timedelta(hours=2))
    scheduler = Scheduler(StudySettings(enable_fuzzing=False, learning_steps=steps))
    schedule = Schedule()
    for step in steps[1:]:
        outcome = scheduler.review(schedule, Rating.GOOD, T0)
        assert outcome.interval == step
        schedule = outcome.schedule
    assert scheduler.review(schedule, Rating.GOOD, T0).schedule.state == CardState.REVIEW


@pytest.mark.parametrize(
    ("interval", "label"),
    [
        (timedelta(seconds=0), "<1m"),
        (timedelta(seconds=59), "<1m"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=5, seconds=30), "6m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=3, minutes=30), "3.5h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=8), "8d"),
        (timedelta(days=29), "29d"),
        (timedelta(days=45), "1.5mo"),
        (timedelta(days=365), "1y"),
        (timedelta(days=800), "2.2y"),
    ],
)
def test_format_interval(interval: timedelta, label: str) -> None:
    assert format_interval(interval) == label
