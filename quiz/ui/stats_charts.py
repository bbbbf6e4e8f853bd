"""Statistics figures (Plotly) from the plain data of :mod:`quiz.services.stats`; no Streamlit.

Every category label is unique (Plotly merges equal ones): days and weeks are ISO dates, bins
are ranges, families are titles made unique. Hover texts are built here as plain text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise

import plotly.graph_objects as go

import quiz.ui.charts  # noqa: F401 - imports pandas before plotly needs it (see charts.py)
from quiz.services.stats import (
    DayStats,
    FamilyStats,
    ForecastDay,
    Histogram,
    Retention,
    StateCounts,
)

RATING_COLOURS = {"Again": "#e03131", "Hard": "#f08c00", "Good": "#2f9e44", "Easy": "#1c7ed6"}
KIND_COLOURS = {"Learning": "#f08c00", "Young": "#74c0fc", "Mature": "#1864ab"}
STATE_COLOURS = {
    "New": "#adb5bd",
    "Learning": "#f08c00",
    "Relearning": "#e03131",
    "Young": "#74c0fc",
    "Mature": "#1864ab",
    "Suspended": "#ffd43b",
}
BAR_COLOUR = "#1c7ed6"
CALENDAR_SCALE = [[0.0, "#ebedf0"], [1e-9, "#c6e48b"], [0.5, "#40c463"], [1.0, "#216e39"]]
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MARGIN = {"l": 40, "r": 10, "t": 40, "b": 40}


def calendar_heatmap(days: Sequence[DayStats]) -> go.Figure:
    """Reviews per study day as a calendar: weekdays as rows (Monday on top), weeks as columns.

    Column ``c`` is the week starting on Monday ``first_monday + 7c`` (labelled with that date,
    so labels are unique); cell ``(weekday, c)`` holds that day's reviews. Cells before the first
    or after the last day are blank. Each cell's hover text names its own date and count.
    """
    if not days:
        return _figure("Reviews per day", 200)
    first_monday = days[0].day - timedelta(days=days[0].day.weekday())
    weeks = (days[-1].day - first_monday).days // 7 + 1
    z: list[list[int | None]] = [[None] * weeks for _ in WEEKDAYS]
    text = [[""] * weeks for _ in WEEKDAYS]
    for stats in days:
        column = (stats.day - first_monday).days // 7
        z[stats.day.weekday()][column] = stats.reviews
        text[stats.day.weekday()][column] = f"{stats.day:%a %d %b %Y}: {_reviews(stats.reviews)}"
    columns = [(first_monday + timedelta(weeks=c)).isoformat() for c in range(weeks)]
    months = [c for i, c in enumerate(columns) if i == 0 or c[5:7] != columns[i - 1][5:7]]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=list(WEEKDAYS),
            text=text,
            hovertemplate="%{text}<extra></extra>",
            colorscale=CALENDAR_SCALE,
            zmin=0,
            zmax=max(1, max(d.reviews for d in days)),
            xgap=2,
            ygap=2,
            showscale=False,
        )
    )
    figure.update_layout(
        height=200,
        margin={"l": 40, "r": 10, "t": 10, "b": 30},
        xaxis={
            "type": "category",
            "tickmode": "array",
            "tickvals": months,
            "ticktext": [date.fromisoformat(c).strftime("%b") for c in months],
            "showgrid": False,
        },
        yaxis={"type": "category", "autorange": "reversed", "showgrid": False},
        plot_bgcolor="white",
    )
    return figure


def reviews_chart(days: Sequence[DayStats]) -> go.Figure:
    """Reviews per study day, stacked by rating (Again, Hard, Good, Easy from the bottom)."""
    x = [d.day.isoformat() for d in days]
    figure = _figure("Reviews per day", 320, xaxis_title=None, yaxis_title="reviews")
    series = {
        "Again": [d.again for d in days],
        "Hard": [d.hard for d in days],
        "Good": [d.good for d in days],
        "Easy": [d.easy for d in days],
    }
    _stacked_days(figure, x, series, RATING_COLOURS, "%a %d %b %Y", lower=False)
    figure.update_layout(bargap=0.1)
    return figure


def forecast_chart(forecast: Sequence[ForecastDay]) -> go.Figure:
    """Cards due on each of the next days (today includes overdue ones), by kind."""
    x = [f.day.isoformat() for f in forecast]
    figure = _figure("Due in the next 30 days", 300, yaxis_title="cards")
    series = {
        "Learning": [f.learning for f in forecast],
        "Young": [f.young for f in forecast],
        "Mature": [f.mature for f in forecast],
    }
    _stacked_days(figure, x, series, KIND_COLOURS, "%a %d %b", lower=True)
    return figure


def _stacked_days(
    figure: go.Figure,
    days: list[str],
    series: dict[str, list[int]],
    colours: dict[str, str],
    date_format: str,
    *,
    lower: bool,
) -> None:
    """One stacked bar per series over ISO ``days``; hover "date: count name" (``lower``: the
    name in lower case)."""
    for name, values in series.items():
        label = name.lower() if lower else name
        figure.add_bar(
            x=days,
            y=values,
            name=name,
            marker_color=colours[name],
            hovertemplate=f"%{{x|{date_format}}}: %{{y}} {label}<extra></extra>",
        )
    figure.update_layout(barmode="stack", xaxis={"type": "date"})


def states_chart(states: StateCounts) -> go.Figure:
    """How many cards are in each state (one bar per state, suspended ones on their own)."""
    counts = {
        "New": states.new,
        "Learning": states.learning,
        "Relearning": states.relearning,
        "Young": states.young,
        "Mature": states.mature,
        "Suspended": states.suspended,
    }
    figure = go.Figure(
        go.Bar(
            x=list(counts.values()),
            y=list(counts),
            orientation="h",
            marker_color=[STATE_COLOURS[name] for name in counts],
            text=list(counts.values()),
            textposition="auto",
            hovertemplate="%{y}: %{x} cards<extra></extra>",
        )
    )
    figure.update_layout(
        title="Cards by state",
        height=280,
        margin=_MARGIN,
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis_title="cards",
    )
    return figure


def retention_chart(retention: Sequence[Retention]) -> go.Figure:
    """True retention (% of review-state answers not Again) of young and mature cards, per
    window; a window without such reviews has no bar, and the bar text gives passed/total."""
    x = [f"Last {r.days} days" for r in retention]
    figure = _figure("True retention", 300, yaxis_title=None)
    series = {
        "Young": [(r.young_rate, r.young_passed, r.young_reviews) for r in retention],
        "Mature": [(r.mature_rate, r.mature_passed, r.mature_reviews) for r in retention],
    }
    for name, values in series.items():
        figure.add_bar(
            x=x,
            y=[None if rate is None else 100 * rate for rate, _, _ in values],
            name=name,
            marker_color=KIND_COLOURS[name],
            text=["" if rate is None else f"{rate:.0%} ({p}/{n})" for rate, p, n in values],
            textposition="auto",
            textangle=0,
            hovertemplate=f"{name}, %{{x}}: %{{text}}<extra></extra>",
        )
    figure.update_layout(barmode="group", yaxis={"range": [0, 100], "ticksuffix": "%"})
    return figure


def histogram_chart(
    histogram: Histogram, title: str, unit: str = "", *, percent: bool = False
) -> go.Figure:
    """One bar per bin of ``histogram``, labelled ``"a–b"`` (the open last one ``"a+"``)."""
    labels = bin_labels(histogram.edges, unit, percent=percent)
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=list(histogram.counts),
            marker_color=BAR_COLOUR,
            hovertemplate="%{x}: %{y} cards<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        height=280,
        margin=_MARGIN,
        xaxis={"type": "category"},
        yaxis_title="cards",
    )
    return figure


def bin_labels(edges: Sequence[float], unit: str = "", *, percent: bool = False) -> list[str]:
    """``["0–1 d", "1–2 d", …, "1095+ d"]`` for edges ``(0, 1, 2, …, 1095, inf)``; with
    ``percent`` the edges are fractions shown as ``"0–5%"``. Labels are unique."""

    def show(value: float) -> str:
        return f"{100 * value:g}" if percent else f"{value:g}"

    suffix = "%" if percent else (f" {unit}" if unit else "")
    labels = []
    for low, high in pairwise(edges):
        upper = "+" if math.isinf(high) else f"–{show(high)}"
        labels.append(f"{show(low)}{upper}{suffix}")
    return labels


def family_attempts_chart(families: Sequence[FamilyStats]) -> go.Figure:
    """Attempts per exercise family, split into correct and wrong answers."""
    shown = [f for f in families if f.attempts]
    names = unique_labels([f.title for f in shown])
    figure = _figure("Attempts", 60 + 28 * max(3, len(shown)), xaxis_title="attempts")
    for name, values, colour in (
        ("Correct", [f.correct for f in shown], RATING_COLOURS["Good"]),
        ("Wrong", [f.attempts - f.correct for f in shown], RATING_COLOURS["Again"]),
    ):
        figure.add_bar(
            x=values,
            y=names,
            name=name,
            orientation="h",
            marker_color=colour,
            hovertemplate=f"%{{y}}: %{{x}} {name.lower()}<extra></extra>",
        )
    figure.update_layout(barmode="stack", yaxis={"autorange": "reversed", "type": "category"})
    return figure


def family_accuracy_chart(
    families: Sequence[FamilyStats], week_starts: Sequence[date]
) -> go.Figure:
    """Weekly accuracy (% correct) of each family with attempts in the weeks shown; a week
    without attempts leaves a gap. Hover: the week, the accuracy and the attempts."""
    shown = [f for f in families if any(w.attempts for w in f.weeks)]
    figure = _figure("Accuracy per week", 320, yaxis_title=None)
    x = [d.isoformat() for d in week_starts]
    for name, family in zip(unique_labels([f.title for f in shown]), shown, strict=True):
        figure.add_scatter(
            x=x,
            y=[None if w.accuracy is None else 100 * w.accuracy for w in family.weeks],
            name=name,
            mode="lines+markers",
            connectgaps=False,
            customdata=[w.attempts for w in family.weeks],
            hovertemplate=(
                f"{name}, week of %{{x|%d %b}}: %{{y:.0f}}% of %{{customdata}}<extra></extra>"
            ),
        )
    figure.update_layout(
        xaxis={"type": "date"},
        yaxis={"range": [0, 105], "ticksuffix": "%"},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def mastery_chart(families: Sequence[FamilyStats]) -> go.Figure:
    """Mean current retrievability of each family's scheduled exercise items."""
    shown = [f for f in families if f.mastery is not None]
    names = unique_labels([f.title for f in shown])
    values = [100 * (f.mastery or 0.0) for f in shown]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=BAR_COLOUR,
            text=[f"{v:.0f}% · {_items(f.items)}" for v, f in zip(values, shown, strict=True)],
            textposition="auto",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    figure.update_layout(
        title="Mastery (current retrievability)",
        height=60 + 28 * max(3, len(shown)),
        margin=_MARGIN,
        xaxis={"range": [0, 100], "ticksuffix": "%"},
        yaxis={"autorange": "reversed", "type": "category"},
    )
    return figure


def mistake_rows(families: Sequence[FamilyStats]) -> list[dict[str, object]]:
    """The table of frequent mistakes: one row per (family, mistake), most frequent first."""
    return [
        {"Exercise": family.title, "Mistake": mistake.description, "Times": mistake.count}
        for family in families
        for mistake in family.mistakes
    ]


def unique_labels(labels: Sequence[str]) -> list[str]:
    """``labels`` with repeats numbered (``"x"``, ``"x (2)"``), so Plotly keeps them apart."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return result


def _figure(title: str, height: int, **axes: object) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(title=title, height=height, margin=_MARGIN, **axes)
    return figure


def _reviews(count: int) -> str:
    return f"{count} review" if count == 1 else f"{count} reviews"


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"
