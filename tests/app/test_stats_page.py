"""AppTest for the Statistics page: every figure's data and empty state in its tab, that a run
builds only the open tab (and asks only for its data), the tab in the URL, and whose statistics
an instructor may pick in classroom mode.

The history is written straight into the tables (:class:`tests.unit.test_stats_store.History`)
at times relative to the current study day, since the page asks for the real time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from streamlit.testing.v1 import AppTest

from quiz.exercises.registry import FAMILIES
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services import stats as stats_service
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.services.stats import WEEKS, study_date, study_day_start
from quiz.store.models import Card, User
from tests.app.signed_in import Cookies, start
from tests.support import REPO_ROOT
from tests.unit.test_stats_store import AGAIN, EASY, HARD, LEARNING, History

STATS = "quiz/ui/pages/stats.py"
SECTION = "stats_section"
"""The tabs' key: the query parameter and session-state key naming the open tab."""
TAB_KEYS = {
    "Reviews": ("stats_calendar", "stats_reviews", "stats_retention"),
    "Cards": (
        "stats_forecast",
        "stats_states",
        "stats_stability",
        "stats_difficulty",
        "stats_retrievability",
    ),
    "Exercises": ("stats_family_attempts", "stats_family_accuracy", "stats_family_mastery"),
}
"""The charts of each tab, by widget key."""
KEYS = tuple(key for keys in TAB_KEYS.values() for key in keys)
SERVICES = ("review_stats", "review_summary", "card_stats", "exercise_stats")


@pytest.fixture
def stride(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stride]:
    """The database the app under test opens; study days start at 4 am in New York."""
    monkeypatch.setenv("STRIDE_TIMEZONE", "America/New_York")
    app = Stride.open()
    yield app
    app.close()


@pytest.fixture
def cookies(monkeypatch: pytest.MonkeyPatch) -> Cookies:
    """Each AppTest's ``stride_session`` cookie (classroom mode)."""
    return Cookies(monkeypatch)


def _page(
    token: str | None = None, section: str | None = None, *, cookies: Cookies | None = None
) -> AppTest:
    """The Statistics page, opened at ``/stats?stats_section=<section>`` if a section is given;
    with ``token`` as the browser's session cookie (``cookies``) in classroom mode."""
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    if token:
        assert cookies is not None
        cookies.give(at, token)
    if section:
        at.query_params[SECTION] = section
    at.run()
    at.switch_page(STATS).run()
    assert not at.exception
    return at


def _open(at: AppTest, section: str) -> AppTest:
    """Switch to another tab, as a click on it does: the browser sends the tab's new state and
    puts it in the URL (the first tab, the default, leaves the URL without it)."""
    at.session_state[SECTION] = section
    if section == "Reviews":
        at.query_params.pop(SECTION, None)
    else:
        at.query_params[SECTION] = section
    at.run()
    assert not at.exception
    assert at.session_state[SECTION] == section
    return at


def _figures(at: AppTest) -> dict[str, dict[str, Any]]:
    """The page's Plotly figures (their JSON) by widget key."""
    found = {}
    for chart in at.get("plotly_chart"):
        (key,) = [k for k in KEYS if chart.proto.id.endswith(k)]
        found[key] = json.loads(chart.proto.spec)
    return found


def _infos(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


def _today_start(stride: Stride) -> datetime:
    return study_day_start(study_date(utc_now(), stride.settings), stride.settings)


def _local_user(stride: Stride) -> int:
    with stride.transaction() as session:
        return session.scalars(select(User.id).where(User.username == "local")).one()


def _write_history(stride: Stride, user: int) -> None:
    """Today: Good + Easy (young, 1.5 s each); 3 days ago: Again (mature) + Hard; 10 days ago:
    a learning-state Good. Schedules: 3 (one overdue, one due in 2 days, one mature in 10);
    exercises: 3 attempts at same-padding (2 mistakes), 1 at conv-macs; one conv-macs item."""
    start = _today_start(stride)
    with stride.transaction() as session:
        history = History.start(session)
        cards = history.cards(3)
        (item,) = history.cards(1, family="conv-macs")
        mature = timedelta(days=30)
        history.review(user, cards[0], start + timedelta(minutes=1), duration_ms=1500)
        history.review(user, cards[1], start + timedelta(minutes=2), rating=EASY, duration_ms=1500)
        before = start - timedelta(days=3) + timedelta(hours=2)
        history.review(user, cards[0], before, rating=AGAIN, interval=mature)
        history.review(user, cards[1], before, rating=HARD)
        history.review(user, cards[2], start - timedelta(days=10), state=LEARNING)
        history.schedule(user, cards[0], due=start - timedelta(days=2), stability=2.5)
        history.schedule(user, cards[1], due=start + timedelta(days=2, hours=1), stability=12.0)
        in_ten_days = start + timedelta(days=10, hours=12)  # midday, whatever DST does
        history.schedule(user, cards[2], due=in_ten_days, interval=mature)
        history.schedule(user, item, due=start + timedelta(days=40), last_review=utc_now())
        history.attempt(user, "same-padding", start, correct=False, mistake="off_by_one")
        history.attempt(user, "same-padding", start, correct=False, mistake="off_by_one")
        history.attempt(user, "same-padding", start, correct=True)
        history.attempt(user, "conv-macs", start, correct=True)
        history.done()


def _new_cards(stride: Stride) -> int:
    with stride.transaction() as session:
        return session.scalar(select(func.count()).select_from(Card).where(Card.active)) or 0


# --- local mode ------------------------------------------------------------------------------


def test_a_new_learner_sees_what_each_figure_will_show(stride: Stride) -> None:
    at = _page()
    assert at.title[0].value == "Statistics"
    assert not at.selectbox  # nobody to pick in local mode
    assert [tab.label for tab in at.tabs] == ["Reviews", "Cards", "Exercises"]
    assert not at.markdown  # nothing stray (Streamlit's magic writes a bare string's value)
    assert [m.value for m in at.metric] == ["0", "0", "0", "0 / 365"]
    assert "America/New\\_York" in at.caption[0].value
    assert not _figures(at)
    infos = _infos(at)
    assert "No reviews in the last year yet" in infos
    assert "No reviews of cards in the Review state yet" in infos

    _open(at, "Cards")
    assert set(_figures(at)) == {"stats_states"}  # the built-in decks' new cards
    infos = _infos(at)
    assert "Nothing is due in the next 30 days" in infos and "No studied cards yet" in infos
    (states,) = _figures(at)["stats_states"]["data"]
    assert states["y"] == ["New", "Learning", "Relearning", "Young", "Mature", "Suspended"]
    assert states["x"] == [_new_cards(stride), 0, 0, 0, 0, 0]
    assert [m.value for m in at.metric] == ["0", "0", "0", "0 / 365"]

    _open(at, "Exercises")
    assert not _figures(at)
    infos = _infos(at)
    assert "No exercise attempts yet" in infos and "No exercise items studied yet" in infos


def test_without_cards_the_cards_tab_says_what_it_will_count(stride: Stride) -> None:
    with stride.transaction() as session:
        session.execute(update(Card).values(active=False))
    at = _page(section="Cards")
    assert not _figures(at)
    assert "There are no cards yet" in _infos(at)


def test_old_attempts_without_named_mistakes_leave_the_weekly_figures_empty(
    stride: Stride,
) -> None:
    user = _local_user(stride)
    long_ago = _today_start(stride) - timedelta(weeks=WEEKS + 1)
    with stride.transaction() as session:
        history = History.start(session)
        history.attempt(user, "same-padding", long_ago, correct=False)
        history.done()
    at = _page(section="Exercises")
    assert set(_figures(at)) == {"stats_family_attempts"}
    infos = _infos(at)
    assert f"No attempts in the last {WEEKS} weeks" in infos
    assert "No recognised mistakes yet" in infos
    assert "No exercise items studied yet" in infos
    assert not at.dataframe


def test_every_figure_shows_the_history(stride: Stride) -> None:
    user = _local_user(stride)
    _write_history(stride, user)
    today = study_date(utc_now(), stride.settings)
    at = _page()
    figures = _figures(at)
    assert set(figures) == set(TAB_KEYS["Reviews"])
    assert not at.info
    metrics = ["2", "0", "5", "3 / 365"]
    assert [m.value for m in at.metric] == metrics

    (calendar,) = figures["stats_calendar"]["data"]
    assert len(set(calendar["x"])) == len(calendar["x"]) in (53, 54)  # unique week labels
    assert calendar["y"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    column = len(calendar["x"]) - 1  # today is in the last week
    assert calendar["z"][today.weekday()][column] == 2
    assert calendar["text"][today.weekday()][column] == f"{today:%a %d %b %Y}: 2 reviews"
    texts = [t for row in calendar["text"] for t in row if t]
    assert len(texts) == len(set(texts)) == 365  # one unique hover text per day
    assert sum(z or 0 for row in calendar["z"] for z in row) == 5

    reviews = {trace["name"]: trace for trace in figures["stats_reviews"]["data"]}
    assert list(reviews) == ["Again", "Hard", "Good", "Easy"]
    assert reviews["Good"]["x"][-1] == today.isoformat()
    assert [reviews[name]["y"][-1] for name in reviews] == [0, 0, 1, 1]
    assert [sum(reviews[name]["y"]) for name in reviews] == [1, 1, 2, 1]

    retention = {trace["name"]: trace for trace in figures["stats_retention"]["data"]}
    assert retention["Young"]["x"] == ["Last 7 days", "Last 30 days", "Last 365 days"]
    assert retention["Young"]["text"] == ["100% (3/3)"] * 3
    assert retention["Mature"]["text"] == ["0% (0/1)"] * 3

    figures = _figures(_open(at, "Cards"))
    assert set(figures) == set(TAB_KEYS["Cards"])
    assert not at.info
    assert [m.value for m in at.metric] == metrics  # the same, from the cheaper summary

    forecast = {trace["name"]: trace["y"] for trace in figures["stats_forecast"]["data"]}
    assert forecast["Young"][:3] == [1, 0, 1]  # overdue counts today; one due in 2 days
    assert forecast["Mature"][10] == 1 and sum(map(sum, forecast.values())) == 3

    (states,) = figures["stats_states"]["data"]
    assert states["x"] == [_new_cards(stride) - 4, 0, 0, 2, 2, 0]  # the item is mature too

    (stability,) = figures["stats_stability"]["data"]
    assert stability["x"][0] == "0–1 d" and stability["x"][-1] == "1095+ d"
    assert dict(zip(stability["x"], stability["y"], strict=True)) == {
        **dict.fromkeys(stability["x"], 0),
        "2–3 d": 1,
        "3–5 d": 2,
        "10–14 d": 1,
    }
    (difficulty,) = figures["stats_difficulty"]["data"]
    assert difficulty["x"][4] == "5–6" and difficulty["y"][4] == 4
    (retrievability,) = figures["stats_retrievability"]["data"]
    assert retrievability["x"][-1] == "95–100%" and sum(retrievability["y"]) == 4

    figures = _figures(_open(at, "Exercises"))
    assert set(figures) == set(TAB_KEYS["Exercises"])
    assert not at.info
    assert [m.value for m in at.metric] == metrics

    padding, macs = FAMILIES["same-padding"].title, FAMILIES["conv-macs"].title
    attempts = {trace["name"]: trace for trace in figures["stats_family_attempts"]["data"]}
    assert attempts["Correct"]["y"] == [padding, macs]
    assert (attempts["Correct"]["x"], attempts["Wrong"]["x"]) == ([1, 1], [2, 0])
    accuracy = {trace["name"]: trace["y"] for trace in figures["stats_family_accuracy"]["data"]}
    assert accuracy[padding][-1] == pytest.approx(100 / 3) and accuracy[macs][-1] == 100
    assert accuracy[padding][:-1] == [None] * 25
    (mastery,) = figures["stats_family_mastery"]["data"]
    assert mastery["y"] == [macs] and mastery["text"] == ["100% · 1 item"]

    (mistakes,) = at.dataframe
    assert mistakes.value.to_dict("records") == [
        {
            "Exercise": padding,
            "Mistake": FAMILIES["same-padding"].mistake_tags["off_by_one"],
            "Times": 2,
        }
    ]


def _count_service_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the calls of each Statistics service (the page imports them on every run)."""
    calls = dict.fromkeys(SERVICES, 0)

    def counted(name: str) -> Callable[..., object]:
        service = getattr(stats_service, name)

        def call(*args: object, **kwargs: object) -> object:
            calls[name] += 1
            return service(*args, **kwargs)

        return call

    for name in SERVICES:
        monkeypatch.setattr(stats_service, name, counted(name))
    return calls


@pytest.mark.parametrize(
    ("section", "asked"),
    [
        ("Reviews", {"review_stats"}),
        ("Cards", {"review_summary", "card_stats"}),
        ("Exercises", {"review_summary", "exercise_stats"}),
    ],
)
def test_a_run_builds_only_the_open_tab_and_asks_only_for_its_data(
    stride: Stride, monkeypatch: pytest.MonkeyPatch, section: str, asked: set[str]
) -> None:
    _write_history(stride, _local_user(stride))
    calls = _count_service_calls(monkeypatch)
    at = _page(section=section)
    assert set(_figures(at)) == set(TAB_KEYS[section])
    assert calls == {name: 1 if name in asked else 0 for name in SERVICES}
    assert [m.value for m in at.metric] == ["2", "0", "5", "3 / 365"]
    assert bool(at.dataframe) == (section == "Exercises")  # the mistakes table

    for other in TAB_KEYS:  # every other tab, one click each: one tab's data per run
        calls.update(dict.fromkeys(SERVICES, 0))
        _open(at, other)
        assert set(_figures(at)) == set(TAB_KEYS[other])
        assert sum(calls.values()) == 2 - (other == "Reviews")
        assert calls["review_stats"] == (other == "Reviews")
        assert calls["card_stats"] == (other == "Cards")
        assert calls["exercise_stats"] == (other == "Exercises")


def test_a_link_opens_the_tab_it_names_and_the_url_keeps_it(stride: Stride) -> None:
    at = _page(section="Exercises")
    assert at.session_state[SECTION] == "Exercises"
    assert at.query_params[SECTION] in ("Exercises", ["Exercises"])
    assert "No exercise attempts yet" in _infos(at)
    at.run()  # a rerun keeps the tab
    assert at.query_params[SECTION] in ("Exercises", ["Exercises"])
    assert "No exercise attempts yet" in _infos(at)

    unknown = _page(section="Nope")  # not a tab: the first one opens, the URL forgets it
    assert unknown.session_state[SECTION] == "Reviews"
    assert SECTION not in unknown.query_params
    assert "No reviews in the last year yet" in _infos(unknown)


# --- classroom mode --------------------------------------------------------------------------


def _classroom(stride: Stride, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    monkeypatch.setenv("STRIDE_AUTH", "password")
    now = utc_now()
    ids = {}
    with stride.transaction() as session:
        for name, role in (("teacher", "instructor"), ("ada", "student"), ("bob", "student")):
            create_user(session, COMMAND_LINE, name, role, f"{name}-pass-1", now)
            ids[name] = session.scalars(select(User.id).where(User.username == name)).one()
    return ids


def test_an_instructor_picks_a_student_and_students_see_their_own(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _classroom(stride, monkeypatch)
    _write_history(stride, ids["ada"])

    at = _page(start(stride, "teacher"), cookies=cookies)
    (picker,) = at.selectbox
    assert picker.label == "Whose statistics"
    assert picker.options == ["You (teacher)", "ada", "bob"]  # accounts without a display name
    assert "No reviews in the last year yet" in _infos(at)  # the teacher's own
    picker.select(ids["ada"]).run()
    assert not at.exception
    assert "ada's statistics" in at.caption[0].value
    figures = _figures(at)
    assert sum(z or 0 for row in figures["stats_calendar"]["data"][0]["z"] for z in row) == 5
    _open(at, "Cards")  # the picked student stays picked in another tab
    assert at.selectbox[0].value == ids["ada"]
    assert "ada's statistics" in at.caption[0].value
    assert [m.value for m in at.metric] == ["2", "0", "5", "3 / 365"]
    forecast = _figures(at)["stats_forecast"]["data"]
    assert sum(sum(trace["y"]) for trace in forecast) == 3
    at.selectbox[0].select(ids["teacher"]).run()  # and another pick keeps the tab
    assert at.selectbox[0].value == ids["teacher"] and at.session_state[SECTION] == "Cards"
    assert "Nothing is due in the next 30 days" in _infos(at)

    at = _page(start(stride, "ada"), cookies=cookies)
    assert not at.selectbox
    assert "Your statistics" in at.caption[0].value
    assert "stats_calendar" in _figures(at)

    at = _page(start(stride, "bob"), cookies=cookies)
    assert not at.selectbox and "stats_calendar" not in _figures(at)
    assert "No reviews in the last year yet" in _infos(at)


def test_an_instructor_without_students_is_told_where_to_add_them(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_AUTH", "password")
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "teacher", "instructor", "teacher-pass-1", utc_now())
    at = _page(start(stride, "teacher"), cookies=cookies)
    assert at.selectbox[0].options == ["You (teacher)"]
    assert any("add them on the People page" in c.value for c in at.caption)
