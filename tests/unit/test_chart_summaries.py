"""The charts' text alternatives: every chart's numbers in words (issue 17, item 6).

A screen reader cannot read a Plotly chart, so each page puts one of these sentences under it;
they must say what a sighted reader takes from the picture, from the same data.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from quiz.playground.frames import animation
from quiz.playground.layer import LayerConfig
from quiz.services.stats import (
    DayStats,
    FamilyStats,
    ForecastDay,
    Histogram,
    Mistake,
    Retention,
    StateCounts,
    WeekAttempts,
)
from quiz.ui.exercise_view import marks_summary
from quiz.ui.gradebook_charts import item_means_summary, totals_summary
from quiz.ui.playground_charts import grid_text, values_text
from quiz.ui.stats_summaries import (
    accuracy_summary,
    attempts_summary,
    calendar_summary,
    forecast_summary,
    histogram_summary,
    mastery_summary,
    retention_summary,
    reviews_summary,
    states_summary,
)

MONDAY = date(2026, 11, 23)


def _days() -> list[DayStats]:
    days = [DayStats(MONDAY + timedelta(days=i)) for i in range(10)]
    days[2] = DayStats(days[2].day, again=1, good=3)
    days[8] = DayStats(days[8].day, hard=2, good=5, easy=1)
    return days


def _family(title: str, *, attempts: int, correct: int, mastery: float | None) -> FamilyStats:
    weeks = (WeekAttempts(), WeekAttempts(attempts, correct))
    return FamilyStats(
        family=title.lower(),
        title=title,
        attempts=attempts,
        correct=correct,
        weeks=weeks,
        mistakes=(Mistake("off_by_one", "forgot the +1", 1),),
        items=2,
        mastery=mastery,
    )


def test_the_reviews_tab_says_its_numbers() -> None:
    days = _days()
    assert calendar_summary(days) == (
        "Studied on 2 of these 10 days; the busiest, Tue 01 Dec 2026, had 8 reviews."
    )
    assert calendar_summary([DayStats(MONDAY)]) == "No study day in these 1 days."
    assert reviews_summary(days) == (
        "12 reviews in these 10 days (Again 1, Hard 2, Good 8, Easy 1); 8 in the last 7 days."
    )
    retention = [Retention(7, 3, 4, 0, 0), Retention(30, 3, 4, 2, 2)]
    assert retention_summary(retention) == (
        "True retention, last 7 days — young: 75% (3 of 4); mature: no reviews · "
        "last 30 days — young: 75% (3 of 4); mature: 100% (2 of 2)."
    )


def test_the_cards_tab_says_its_numbers() -> None:
    forecast = [
        ForecastDay(MONDAY, learning=1),
        ForecastDay(MONDAY + timedelta(days=1), young=2, mature=3),
        ForecastDay(MONDAY + timedelta(days=2), young=5),
    ]
    assert forecast_summary(forecast) == (
        "11 cards due in the next 3 days: 1 today (overdue ones included); the busiest day, "
        "Tue 24 Nov 2026, has 5 (0 learning, 2 young, 3 mature)."  # the first of two fives
    )
    assert forecast_summary([ForecastDay(MONDAY)]) == "Nothing is due in the next 1 days."
    assert states_summary(StateCounts(new=60, learning=1, young=10, mature=8, suspended=1)) == (
        "80 cards: New 60, Learning 1, Relearning 0, Young 10, Mature 8, Suspended 1."
    )
    stability = Histogram((0.0, 1.0, 7.0, float("inf")), (2, 0, 1), 4.5)
    assert histogram_summary(stability, "Stability", "d") == (
        "Stability of 3 cards, mean 4.5 d; 0–1 d: 2, 7+ d: 1."
    )
    recall = Histogram((0.0, 0.5, 1.0), (1, 3), 0.8)
    assert histogram_summary(recall, "Retrievability", percent=True) == (
        "Retrievability of 4 cards, mean 80%; 0–50%: 1, 50–100%: 3."
    )
    assert histogram_summary(Histogram((0.0, 1.0), (0,), None), "Difficulty") == (
        "Difficulty: no cards."
    )


def test_the_exercises_tab_says_its_numbers() -> None:
    families = [
        _family("Convolution output shape", attempts=4, correct=3, mastery=0.82),
        _family("Same padding", attempts=0, correct=0, mastery=None),
    ]
    assert attempts_summary(families) == "Attempts: Convolution output shape 4 (3 correct)."
    weeks = [MONDAY - timedelta(weeks=1), MONDAY]
    assert accuracy_summary(families, weeks) == (
        "Latest week with attempts: Convolution output shape 75% of 4 in the week of 23 Nov."
    )
    assert mastery_summary(families) == "Mastery: Convolution output shape 82% (2 items)."


def test_the_gradebook_charts_say_their_numbers() -> None:
    assert totals_summary([7.0, 2.0, 5.0], 10.0) == (
        "3 students: lowest 2, median 5, highest 7 of 10 points."
    )
    assert totals_summary([1.0, 2.0], 1.0) == (
        "2 students: lowest 1, median 1.5, highest 2 of 1 point."
    )
    assert totals_summary([], 4.0) == "No student has a total yet."
    assert item_means_summary(["P1 · 2 pts", "P2 · 1 pt"], [0.5, None]) == (
        "Mean score: P1 · 2 pts 50%; P2 · 1 pt no answers yet."
    )


def test_marks_and_maps_say_their_cells() -> None:
    marks = np.array([[True, False], [True, True], [False, True]])
    assert marks_summary(marks) == (
        "Wrong: row 0 column 1, row 2 column 0 (2 of 6 cells); the others are right."
    )
    assert marks_summary(np.ones((2, 2), dtype=bool)) == "All 4 cells are right."
    assert values_text(np.array([[1.0, -2.5], [0.0, 1 / 3]]), "Output channel 0") == (
        "Output channel 0 (2×2): row 0: 1, −2.5; row 1: 0, 0.333."
    )
    assert values_text(np.arange(64.0).reshape(8, 8) - 3, "Input") == (
        "Input (8×8): values from −3 to 60."
    )
    grid = grid_text(animation(LayerConfig()))  # 7×7 digits, padding 1
    assert grid == "The grid the window slides over is 9×9: input values from 0 to 9 and padding."
