"""Statistics figures (Plotly) from the plain data of :mod:`quiz.services.stats`; no Streamlit.

Every category label is unique (Plotly merges equal ones): days and weeks are ISO dates, bins
are ranges, families are titles made unique. Hover texts are built here as plain text. Figures
are plain dict specs wrapped by :func:`quiz.ui.figures.as_figure` (the tests validate them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise

import plotly.graph_objects as go

from quiz.services.stats import (
    DayStats,
    FamilyStats,
    ForecastDay,
    Histogram,
    Retention,
    StateCounts,
)
from quiz.ui.figures import Spec, as_figure

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
        return as_figure({"data": [], "layout": _layout("Reviews per day", 200)})
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
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": columns,
        "y": list(WEEKDAYS),
        "text": text,
        "hovertemplate": "%{text}<extra></extra>",
        "colorscale": [list(stop) for stop in CALENDAR_SCALE],
        "zmin": 0,
        "zmax": max(1, max(d.reviews for d in days)),
        "xgap": 2,
        "ygap": 2,
        "showscale": False,
    }
    layout = {
        "height": 200,
        "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
        "xaxis": {
            "type": "category",
            "tickmode": "array",
            "tickvals": months,
            "ticktext": [date.fromisoformat(c).strftime("%b") for c in months],
            "showgrid": False,
        },
        "yaxis": {"type": "category", "autorange": "reversed", "showgrid": False},
        "plot_bgcolor": "white",
    }
    return as_figure({"data": [heatmap], "layout": layout})


def reviews_chart(days: Sequence[DayStats]) -> go.Figure:
    """Reviews per study day, stacked by rating (Again, Hard, Good, Easy from the bottom)."""
    x = [d.day.isoformat() for d in days]
    series = {
        "Again": [d.again for d in days],
        "Hard": [d.hard for d in days],
        "Good": [d.good for d in days],
        "Easy": [d.easy for d in days],
    }
    layout = _layout("Reviews per day", 320, yaxis_title="reviews")
    layout.update(barmode="stack", bargap=0.1, xaxis={"type": "date"})
    data = _stacked_days(x, series, RATING_COLOURS, "%a %d %b %Y", lower=False)
    return as_figure({"data": data, "layout": layout})


def forecast_chart(forecast: Sequence[ForecastDay]) -> go.Figure:
    """Cards due on each of the next days (today includes overdue ones), by kind."""
    x = [f.day.isoformat() for f in forecast]
    series = {
        "Learning": [f.learning for f in forecast],
        "Young": [f.young for f in forecast],
        "Mature": [f.mature for f in forecast],
    }
    layout = _layout("Due in the next 30 days", 300, yaxis_title="cards")
    layout.update(barmode="stack", xaxis={"type": "date"})
    data = _stacked_days(x, series, KIND_COLOURS, "%a %d %b", lower=True)
    return as_figure({"data": data, "layout": layout})


def _stacked_days(
    days: list[str],
    series: dict[str, list[int]],
    colours: dict[str, str],
    date_format: str,
    *,
    lower: bool,
) -> list[Spec]:
    """One bar trace per series over ISO ``days`` (to stack: ``barmode="stack"`` and a date
    x axis); hover "date: count name" (``lower``: the name in lower case)."""
    return [
        {
            "type": "bar",
            "x": days,
            "y": values,
            "name": name,
            "marker": {"color": colours[name]},
            "hovertemplate": (
                f"%{{x|{date_format}}}: %{{y}} {name.lower() if lower else name}<extra></extra>"
            ),
        }
        for name, values in series.items()
    ]


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
    bar = {
        "type": "bar",
        "x": list(counts.values()),
        "y": list(counts),
        "orientation": "h",
        "marker": {"color": [STATE_COLOURS[name] for name in counts]},
        "text": [str(count) for count in counts.values()],
        "textposition": "auto",
        "hovertemplate": "%{y}: %{x} cards<extra></extra>",
    }
    layout = _layout("Cards by state", 280, xaxis_title="cards")
    layout["yaxis"] = {"autorange": "reversed", "type": "category"}
    return as_figure({"data": [bar], "layout": layout})


def retention_chart(retention: Sequence[Retention]) -> go.Figure:
    """True retention (% of review-state answers not Again) of young and mature cards, per
    window; a window without such reviews has no bar, and the bar text gives passed/total."""
    x = [f"Last {r.days} days" for r in retention]
    series = {
        "Young": [(r.young_rate, r.young_passed, r.young_reviews) for r in retention],
        "Mature": [(r.mature_rate, r.mature_passed, r.mature_reviews) for r in retention],
    }
    data = [
        {
            "type": "bar",
            "x": x,
            "y": [None if rate is None else 100 * rate for rate, _, _ in values],
            "name": name,
            "marker": {"color": KIND_COLOURS[name]},
            "text": ["" if rate is None else f"{rate:.0%} ({p}/{n})" for rate, p, n in values],
            "textposition": "auto",
            "textangle": 0,
            "hovertemplate": f"{name}, %{{x}}: %{{text}}<extra></extra>",
        }
        for name, values in series.items()
    ]
    layout = _layout("True retention", 300)
    layout.update(barmode="group", yaxis={"range": [0, 100], "ticksuffix": "%"})
    return as_figure({"data": data, "layout": layout})


def histogram_chart(
    histogram: Histogram, title: str, unit: str = "", *, percent: bool = False
) -> go.Figure:
    """One bar per bin of ``histogram``, labelled ``"a–b"`` (the open last one ``"a+"``)."""
    bar = {
        "type": "bar",
        "x": bin_labels(histogram.edges, unit, percent=percent),
        "y": list(histogram.counts),
        "marker": {"color": BAR_COLOUR},
        "hovertemplate": "%{x}: %{y} cards<extra></extra>",
    }
    layout = _layout(title, 280, yaxis_title="cards")
    layout["xaxis"] = {"type": "category"}
    return as_figure({"data": [bar], "layout": layout})


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
    data = [
        {
            "type": "bar",
            "x": values,
            "y": names,
            "name": name,
            "orientation": "h",
            "marker": {"color": colour},
            "hovertemplate": f"%{{y}}: %{{x}} {name.lower()}<extra></extra>",
        }
        for name, values, colour in (
            ("Correct", [f.correct for f in shown], RATING_COLOURS["Good"]),
            ("Wrong", [f.attempts - f.correct for f in shown], RATING_COLOURS["Again"]),
        )
    ]
    layout = _layout("Attempts", 60 + 28 * max(3, len(shown)), xaxis_title="attempts")
    layout.update(barmode="stack", yaxis={"autorange": "reversed", "type": "category"})
    return as_figure({"data": data, "layout": layout})


def family_accuracy_chart(
    families: Sequence[FamilyStats], week_starts: Sequence[date]
) -> go.Figure:
    """Weekly accuracy (% correct) of each family with attempts in the weeks shown; a week
    without attempts leaves a gap. Hover: the week, the accuracy and the attempts."""
    shown = [f for f in families if any(w.attempts for w in f.weeks)]
    x = [d.isoformat() for d in week_starts]
    data = [
        {
            "type": "scatter",
            "x": x,
            "y": [None if w.accuracy is None else 100 * w.accuracy for w in family.weeks],
            "name": name,
            "mode": "lines+markers",
            "connectgaps": False,
            "customdata": [w.attempts for w in family.weeks],
            "hovertemplate": (
                f"{name}, week of %{{x|%d %b}}: %{{y:.0f}}% of %{{customdata}}<extra></extra>"
            ),
        }
        for name, family in zip(unique_labels([f.title for f in shown]), shown, strict=True)
    ]
    layout = _layout("Accuracy per week", 320)
    layout.update(
        xaxis={"type": "date"},
        yaxis={"range": [0, 105], "ticksuffix": "%"},
        legend={"orientation": "h", "y": -0.2},
    )
    return as_figure({"data": data, "layout": layout})


def mastery_chart(families: Sequence[FamilyStats]) -> go.Figure:
    """Mean current retrievability of each family's scheduled exercise items."""
    shown = [f for f in families if f.mastery is not None]
    values = [100 * (f.mastery or 0.0) for f in shown]
    bar = {
        "type": "bar",
        "x": values,
        "y": unique_labels([f.title for f in shown]),
        "orientation": "h",
        "marker": {"color": BAR_COLOUR},
        "text": [f"{v:.0f}% · {_items(f.items)}" for v, f in zip(values, shown, strict=True)],
        "textposition": "auto",
        "hovertemplate": "%{y}: %{text}<extra></extra>",
    }
    layout = _layout("Mastery (current retrievability)", 60 + 28 * max(3, len(shown)))
    layout.update(
        xaxis={"range": [0, 100], "ticksuffix": "%"},
        yaxis={"autorange": "reversed", "type": "category"},
    )
    return as_figure({"data": [bar], "layout": layout})


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


def _layout(
    title: str, height: int, *, xaxis_title: str | None = None, yaxis_title: str | None = None
) -> Spec:
    """A figure's layout: its title, height and the usual margin; axis titles if given."""
    layout: Spec = {"title": {"text": title}, "height": height, "margin": dict(_MARGIN)}
    if xaxis_title is not None:
        layout["xaxis"] = {"title": {"text": xaxis_title}}
    if yaxis_title is not None:
        layout["yaxis"] = {"title": {"text": yaxis_title}}
    return layout


def _reviews(count: int) -> str:
    return f"{count} review" if count == 1 else f"{count} reviews"


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"
