"""Statistics: reviews, forecast, card states, retention, memory and exercises, for one learner.

Students see their own. In classroom mode an instructor picks whose statistics to read (their
own or a student's); the services of :mod:`quiz.services.stats` check that again. The headline
numbers sit above three lazy tabs (Reviews, Cards, Exercises): a run builds and draws only the
open tab, and queries only what it shows. The open tab is in the URL (``?stats_section=Cards``),
so a link opens it. Every figure has an empty state saying what will appear once there is
something to draw.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.accounts import list_students
from quiz.services.stats import (
    FORECAST_DAYS,
    RETENTION_WINDOWS,
    CardStats,
    ExerciseStats,
    ReviewStats,
    ReviewSummary,
    card_stats,
    exercise_stats,
    review_stats,
    review_summary,
)
from quiz.ui import stats_charts as charts
from quiz.ui import stats_summaries as summaries
from quiz.ui.session import current_actor, is_classroom
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown

PLOTLY_CONFIG = {"displayModeBar": False}
REVIEWS_TAB, CARDS_TAB, EXERCISES_TAB = "Reviews", "Cards", "Exercises"
TABS = (REVIEWS_TAB, CARDS_TAB, EXERCISES_TAB)
TAB_KEY = "stats_section"  # the tabs' widget key, and the URL's query parameter naming the open one


def _chart(figure: object, key: str, summary: str) -> None:
    """The chart, and under it its numbers in words (its text alternative)."""
    st.plotly_chart(figure, config=PLOTLY_CONFIG, key=key)
    st.caption(escape_markdown(summary))


def _whose(stride: Stride, actor: Actor) -> tuple[int, str]:
    """The user to show and how to name them: an instructor in classroom mode picks one."""
    if not (is_classroom() and actor.is_instructor):
        return actor.user_id, ""
    with stride.transaction() as session:
        students = list_students(session, actor)
    names = {actor.user_id: f"You ({actor.username})"}
    names.update({account.user_id: account.label for account in students})
    chosen = st.selectbox(
        "Whose statistics", list(names), format_func=names.__getitem__, key="stats_user"
    )
    if not students:
        st.caption("No student accounts yet: add them on the People page.")
    return chosen, "" if chosen == actor.user_id else names[chosen]


def _headline(summary: ReviewSummary, name: str, timezone: str, day_start: int) -> None:
    """The caption (whose statistics, when study days start) and the four headline metrics."""
    whose = f"{escape_markdown(name)}'s" if name else "Your"
    st.caption(
        f"{whose} statistics. Study days start at {day_start}:00 "
        f"({escape_markdown(timezone)}); today is {summary.today:%a %d %b %Y}."
    )
    cells = st.columns(4)
    cells[0].metric("Reviews today", summary.reviews_today)
    cells[1].metric("Minutes today", round(summary.duration_ms_today / 60_000))
    cells[2].metric("Reviews this year", summary.total_reviews)
    cells[3].metric("Days studied", f"{summary.days_studied} / {summary.period_days}")


def _reviews_tab(stats: ReviewStats) -> None:
    """The calendar, reviews per day by rating, and true retention."""
    st.header("Study days")
    if stats.total_reviews:
        st.caption("Each square is a study day of the last year; darker means more reviews.")
        _chart(
            charts.calendar_heatmap(stats.days),
            "stats_calendar",
            summaries.calendar_summary(stats.days),
        )
        st.caption("Reviews per day, by the rating given.")
        _chart(
            charts.reviews_chart(stats.days), "stats_reviews", summaries.reviews_summary(stats.days)
        )
    else:
        st.info(
            "No reviews in the last year yet. Once you study, a calendar of the days you studied "
            "and a chart of reviews per day by rating will appear here.",
            icon=":material/calendar_month:",
        )

    st.header("True retention")
    if any(window.reviews for window in stats.retention):
        st.caption(
            "The share of reviews of cards in the Review state not answered Again, over the last "
            + ", ".join(str(days) for days in RETENTION_WINDOWS)
            + " days."
        )
        _chart(
            charts.retention_chart(stats.retention),
            "stats_retention",
            summaries.retention_summary(stats.retention),
        )
    else:
        st.info(
            "No reviews of cards in the Review state yet. When cards come back after their first "
            "intervals, the share you remember (young and mature cards) will be shown here.",
            icon=":material/psychology:",
        )


def _cards_tab(stats: CardStats) -> None:
    """The forecast, cards by state, and FSRS's stability, difficulty and retrievability."""
    st.header("Forecast")
    if any(day.total for day in stats.forecast):
        st.caption(
            f"Cards due on each of the next {FORECAST_DAYS} days; today includes overdue ones."
        )
        _chart(
            charts.forecast_chart(stats.forecast),
            "stats_forecast",
            summaries.forecast_summary(stats.forecast),
        )
    else:
        st.info(
            f"Nothing is due in the next {FORECAST_DAYS} days. Cards you have studied will be "
            "shown here on the day they are due.",
            icon=":material/event_upcoming:",
        )

    st.header("Card states")
    if stats.states.total:
        st.caption(
            "Young cards have an interval under 21 days, mature ones 21 days or more. "
            "Suspended cards are counted only as suspended."
        )
        _chart(
            charts.states_chart(stats.states),
            "stats_states",
            summaries.states_summary(stats.states),
        )
    else:
        st.info(
            "There are no cards yet. Once a deck is imported, its cards are counted here by state "
            "(new, learning, young, mature, suspended).",
            icon=":material/style:",
        )

    st.header("Memory")
    if stats.stability.total:
        st.caption(
            "FSRS's model of each studied card: stability (days for recall to fall to 90%), "
            "difficulty (1-10) and the chance of recalling it now."
        )
        _chart(
            charts.histogram_chart(stats.stability, "Stability", "d"),
            "stats_stability",
            summaries.histogram_summary(stats.stability, "Stability", "d"),
        )
        _chart(
            charts.histogram_chart(stats.difficulty, "Difficulty"),
            "stats_difficulty",
            summaries.histogram_summary(stats.difficulty, "Difficulty"),
        )
        _chart(
            charts.histogram_chart(stats.retrievability, "Retrievability", percent=True),
            "stats_retrievability",
            summaries.histogram_summary(stats.retrievability, "Retrievability", percent=True),
        )
    else:
        st.info(
            "No studied cards yet. After your first reviews, the distributions of stability, "
            "difficulty and current retrievability will appear here.",
            icon=":material/neurology:",
        )


def _exercises_tab(stats: ExerciseStats) -> None:
    """Attempts, accuracy per week and frequent mistakes of each exercise, and its mastery."""
    st.header("Attempts and mistakes")
    if any(family.attempts for family in stats.families):
        _chart(
            charts.family_attempts_chart(stats.families),
            "stats_family_attempts",
            summaries.attempts_summary(stats.families),
        )
        if any(week.attempts for family in stats.families for week in family.weeks):
            _chart(
                charts.family_accuracy_chart(stats.families, stats.week_starts),
                "stats_family_accuracy",
                summaries.accuracy_summary(stats.families, stats.week_starts),
            )
        else:
            st.info(
                f"No attempts in the last {len(stats.week_starts)} weeks: the accuracy per week "
                "of each exercise will be drawn here.",
                icon=":material/show_chart:",
            )
        mistakes = charts.mistake_rows(stats.families)
        if mistakes:
            st.caption("Most frequent mistakes, as the grader recognised them.")
            st.dataframe(
                pd.DataFrame(mistakes), hide_index=True, width="stretch", key="stats_mistakes"
            )
        else:
            st.info(
                "No recognised mistakes yet: the most frequent ones per exercise will be "
                "listed here.",
                icon=":material/error:",
            )
    else:
        st.info(
            "No exercise attempts yet. After you practise, the attempts, accuracy per week and "
            "most frequent mistakes of each exercise will appear here.",
            icon=":material/calculate:",
        )

    st.header("Mastery")
    if any(family.mastery is not None for family in stats.families):
        st.caption("Mastery: the mean chance of recalling each exercise's scheduled items now.")
        _chart(
            charts.mastery_chart(stats.families),
            "stats_family_mastery",
            summaries.mastery_summary(stats.families),
        )
    else:
        st.info(
            "No exercise items studied yet. Once exercise items from a deck have been reviewed, "
            "the current mastery of each exercise will be shown here.",
            icon=":material/military_tech:",
        )


stride = get_stride()
actor = current_actor()
st.title("Statistics")
user_id, name = _whose(stride, actor)
settings = stride.settings
headline = st.container()  # filled below, once the open tab's data says what to count
reviews_tab, cards_tab, exercises_tab = st.tabs(
    TABS, key=TAB_KEY, on_change="rerun", bind="query-params"
)
# ``open`` is None only if the tabs kept no state; then every tab is built.
show_reviews, show_cards, show_exercises = (
    tab.open is not False for tab in (reviews_tab, cards_tab, exercises_tab)
)
now = utc_now()
reviews: ReviewStats | None = None
cards: CardStats | None = None
exercises: ExerciseStats | None = None
with stride.transaction() as session:
    if show_reviews:
        reviews = review_stats(session, actor, user_id, now, settings)
        summary = reviews.summary
    else:  # the headline numbers alone, without the per-day table
        summary = review_summary(session, actor, user_id, now, settings)
    if show_cards:
        cards = card_stats(session, actor, user_id, now, settings)
    if show_exercises:
        exercises = exercise_stats(session, actor, user_id, now, settings)

with headline:
    _headline(summary, name, settings.timezone.key, settings.day_starts_at_hour)
if reviews is not None:
    with reviews_tab:
        _reviews_tab(reviews)
if cards is not None:
    with cards_tab:
        _cards_tab(cards)
if exercises is not None:
    with exercises_tab:
        _exercises_tab(exercises)
