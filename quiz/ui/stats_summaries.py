"""The Statistics charts' numbers in words: each chart's text alternative; no Streamlit.

A chart is a picture a screen reader cannot read, so the page puts one of these sentences under
each (``st.caption``): the numbers a sighted reader takes from it (totals, the largest bar, each
category), from the same data as the figure of :mod:`quiz.ui.stats_charts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from quiz.services.stats import (
    DayStats,
    FamilyStats,
    ForecastDay,
    Histogram,
    Retention,
    StateCounts,
)
from quiz.ui.stats_charts import bin_labels


def calendar_summary(days: Sequence[DayStats]) -> str:
    """``Studied on 12 of these 365 days; the busiest, Mon 03 Nov 2026, had 8 reviews.``"""
    studied = [day for day in days if day.reviews]
    if not studied:
        return f"No study day in these {len(days)} days."
    busiest = max(studied, key=lambda day: (day.reviews, day.day))
    return (
        f"Studied on {len(studied)} of these {len(days)} days; the busiest, "
        f"{_date(busiest.day)}, had {_count(busiest.reviews, 'review')}."
    )


def reviews_summary(days: Sequence[DayStats], recent: int = 7) -> str:
    """All reviews of ``days`` by rating, and how many in the last ``recent`` of them."""
    total = sum(day.reviews for day in days)
    ratings = {
        "Again": sum(day.again for day in days),
        "Hard": sum(day.hard for day in days),
        "Good": sum(day.good for day in days),
        "Easy": sum(day.easy for day in days),
    }
    by_rating = ", ".join(f"{name} {count}" for name, count in ratings.items())
    last = sum(day.reviews for day in days[-recent:])
    return (
        f"{_count(total, 'review')} in these {len(days)} days ({by_rating}); "
        f"{last} in the last {recent} days."
    )


def retention_summary(retention: Sequence[Retention]) -> str:
    """Each window's young and mature retention, with the reviews counted."""

    def part(name: str, rate: float | None, passed: int, reviews: int) -> str:
        if rate is None:
            return f"{name}: no reviews"
        return f"{name}: {rate:.0%} ({passed} of {reviews})"

    windows = [
        f"last {window.days} days — "
        + "; ".join(
            (
                part("young", window.young_rate, window.young_passed, window.young_reviews),
                part("mature", window.mature_rate, window.mature_passed, window.mature_reviews),
            )
        )
        for window in retention
    ]
    return "True retention, " + " · ".join(windows) + "."


def forecast_summary(forecast: Sequence[ForecastDay]) -> str:
    """The cards due over the forecast, today's, and the busiest day."""
    total = sum(day.total for day in forecast)
    if not total:
        return f"Nothing is due in the next {len(forecast)} days."
    busiest = max(forecast, key=lambda day: (day.total, -day.day.toordinal()))
    today = forecast[0].total if forecast else 0
    return (
        f"{_count(total, 'card')} due in the next {len(forecast)} days: {today} today "
        f"(overdue ones included); the busiest day, {_date(busiest.day)}, has {busiest.total} "
        f"({busiest.learning} learning, {busiest.young} young, {busiest.mature} mature)."
    )


def states_summary(states: StateCounts) -> str:
    """``80 cards: New 60, Learning 2, Relearning 0, Young 10, Mature 8, Suspended 0.``"""
    counts = {
        "New": states.new,
        "Learning": states.learning,
        "Relearning": states.relearning,
        "Young": states.young,
        "Mature": states.mature,
        "Suspended": states.suspended,
    }
    listed = ", ".join(f"{name} {count}" for name, count in counts.items())
    return f"{_count(states.total, 'card')}: {listed}."


def histogram_summary(
    histogram: Histogram, name: str, unit: str = "", *, percent: bool = False
) -> str:
    """The cards counted, their mean and the bins that hold any, as the chart labels them."""
    labels = bin_labels(histogram.edges, unit, percent=percent)
    filled = [
        f"{label}: {count}" for label, count in zip(labels, histogram.counts, strict=True) if count
    ]
    if histogram.mean is None or not filled:
        return f"{name}: no cards."
    if percent:
        mean = f"{100 * histogram.mean:.0f}%"
    else:
        mean = f"{histogram.mean:.3g}{f' {unit}' if unit else ''}"
    return f"{name} of {_count(histogram.total, 'card')}, mean {mean}; " + ", ".join(filled) + "."


def attempts_summary(families: Sequence[FamilyStats]) -> str:
    """Each family's attempts and correct answers."""
    shown = [family for family in families if family.attempts]
    return (
        "Attempts: "
        + "; ".join(
            f"{family.title} {family.attempts} ({family.correct} correct)" for family in shown
        )
        + "."
    )


def accuracy_summary(families: Sequence[FamilyStats], week_starts: Sequence[date]) -> str:
    """Each family's accuracy in the latest week it has attempts in."""
    parts = []
    for family in families:
        weeks = [
            (start, week)
            for start, week in zip(week_starts, family.weeks, strict=True)
            if week.attempts
        ]
        if weeks:
            start, week = weeks[-1]
            parts.append(
                f"{family.title} {week.accuracy or 0:.0%} of {week.attempts} in the week of "
                f"{start:%d %b}"
            )
    if not parts:
        return "No attempts in these weeks."
    return "Latest week with attempts: " + "; ".join(parts) + "."


def mastery_summary(families: Sequence[FamilyStats]) -> str:
    """Each family's mastery and the items it averages."""
    shown = [family for family in families if family.mastery is not None]
    return (
        "Mastery: "
        + "; ".join(
            f"{family.title} {family.mastery or 0:.0%} ({_count(family.items, 'item')})"
            for family in shown
        )
        + "."
    )


def _date(day: date) -> str:
    return f"{day:%a %d %b %Y}"


def _count(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
