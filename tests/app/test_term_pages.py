"""AppTest for running an assignment through a term (issue 16): the gradebook's tabs (Grades,
Settings, Extensions, Release, Audit log) and deleting an assignment from the Assignments page.

The services are unit-tested (test_term_admin, test_term_rules, test_gradebook); these tests
check what an instructor sees and can do in a browser, and that a student gets none of it.
Students' answers are recorded through the service (with the time they are made at), as the
Assignments page would record them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user
from quiz.services.assignments import (
    AssignmentSpec,
    ItemSpec,
    SubmissionRefused,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
    variant,
)
from quiz.services.term_admin import grant_extension
from quiz.store.models import Assignment, AssignmentArchive, ScoreOverride, Submission, User
from quiz.store.server_secret import session_secret
from quiz.vocabulary import RELEASE_ON_DATE
from tests.app import test_assignment_pages as assignment_pages
from tests.app.signed_in import Cookies

ASSIGNMENTS = assignment_pages.ASSIGNMENTS
GRADEBOOK = assignment_pages.GRADEBOOK
STUDENTS = ("ada", "bob", "cat", "dan", "eve")
FOR_INSTRUCTORS = "This page is for instructors."
POINTS_P1 = "P1 · Convolution output shape"


stride = assignment_pages.stride
"""The database the app under test opens (a fixture, as the Assignments page's tests use it)."""
cookies = assignment_pages.cookies
"""Each AppTest's ``stride_session`` cookie (an autouse fixture)."""
_signed_in = assignment_pages._signed_in


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What each download button a page draws would download, by its label."""
    offered: dict[str, Any] = {}
    real = st.download_button

    def spy(label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        offered[label] = data
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return offered


# --- a class ----------------------------------------------------------------------------------


def _classroom(
    stride: Stride,
    monkeypatch: pytest.MonkeyPatch,
    mode: str = "homework",
    due_in: timedelta = timedelta(days=1),
    *,
    right: Sequence[str] = (),
    wrong: Sequence[str] = (),
    **spec: Any,
) -> int:
    """Instructor ``teacher``, students ada … eve, and assignment "Week 1" given to all of them
    (one problem, 3 attempts), answered right by the students in ``right`` and wrong by those in
    ``wrong``; returns its id."""
    monkeypatch.setenv("STRIDE_AUTH", "password")
    assignment_id = _assignment(stride, mode, due_in, spec)
    for username in right:
        _answer(stride, username, assignment_id, right=True)
    for username in wrong:
        _answer(stride, username, assignment_id, right=False)
    return assignment_id


def _assignment(stride: Stride, mode: str, due_in: timedelta, spec: dict[str, Any]) -> int:
    now = utc_now()
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "teacher", "instructor", "teacher-pass-1", now)
        for number, name in enumerate(STUDENTS, start=1):
            create_user(session, COMMAND_LINE, name, "student", f"student-pass-{number}", now)
        fields: dict[str, Any] = {
            "title": "Week 1",
            "instructions": "Show **all** steps.",
            "mode": mode,
            "opens_at": now - timedelta(hours=1),
            "due_at": now + due_in,
            "max_attempts": 3,
            "items": [ItemSpec("conv-output-size", 2)],
        }
        fields |= spec
        return create_assignment(session, _actor(session, "teacher"), AssignmentSpec(**fields), now)


def _actor(session: Any, username: str) -> Actor:
    return Actor.of(session.scalars(select(User).where(User.username == username)).one())


def _answer(
    stride: Stride,
    username: str,
    assignment_id: int,
    *,
    right: bool,
    at: datetime | None = None,
    position: int = 1,
) -> str:
    """``username`` answers problem ``position`` (right or wrong) at ``at``; the service's
    message."""
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        item = next(i for i in assignment.items if i.position == position)
        student = _actor(session, username)
        attempt = 1 + sum(1 for _ in _submissions(session, assignment_id, student.user_id))
        solution = variant(
            item, assignment.mode, student.user_id, attempt, session_secret(session)
        ).answer
        result = submit_assignment_answer(
            session,
            student,
            assignment_id,
            item.id,
            solution if right else "1 x 1 x 1",
            at or utc_now(),
        )
        return result.message


def _submissions(session: Any, assignment_id: int, user_id: int) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission).where(
                Submission.assignment_id == assignment_id, Submission.user_id == user_id
            )
        )
    )


def _set_section(stride: Stride, section: str, *usernames: str) -> None:
    with stride.transaction() as session:
        for user in session.scalars(select(User).where(User.username.in_(usernames))):
            user.section = section


# --- the browser ------------------------------------------------------------------------------


def _assignments(cookies: Cookies, stride: Stride) -> AppTest:
    """The teacher's Assignments page."""
    at = _signed_in(cookies, stride, "teacher")
    at.switch_page(ASSIGNMENTS).run()
    return at


def _gradebook(cookies: Cookies, stride: Stride, assignment_id: int, tab: str = "") -> AppTest:
    """The teacher's gradebook of ``assignment_id``, on ``tab`` (default: Grades)."""
    at = _signed_in(cookies, stride, "teacher")
    at.query_params["assignment"] = str(assignment_id)
    at.switch_page(GRADEBOOK).run()
    assert not at.exception
    if tab:
        _tab(at, tab)
    return at


def _tab(at: AppTest, name: str) -> AppTest:
    at.session_state["gradebook_tab"] = name
    at.run()
    assert not at.exception, at.exception[0].value if at.exception else ""
    return at


def _button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def _field(elements: Any, label: str) -> Any:
    return next(e for e in elements if e.label == label)


def _plain(markdown: Any) -> str:
    """Markdown as read: escaped characters (``\\.``) as themselves."""
    return re.sub(r"\\(.)", r"\1", str(markdown))


def _toasts(at: AppTest) -> list[str]:
    return [_plain(t.value) for t in at.toast]


def _texts(at: AppTest) -> str:
    """The page's text as read (Markdown escapes removed), toasts included."""
    parts: list[Any] = [e.value for e in at.title] + [e.value for e in at.markdown]
    for elements in (at.caption, at.error, at.warning, at.info, at.success, at.header):
        parts += [e.value for e in elements]
    return "\n".join([_plain(p) for p in parts] + _toasts(at))


def _errors(at: AppTest) -> str:
    return "\n".join(_plain(e.value) for e in at.error)


def _everything(at: AppTest) -> str:
    """Every text on the page: elements, metric values, table headers and cells, options."""
    parts = [_texts(at)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for frame in at.dataframe:
        table = frame.value
        parts += [str(c) for c in table.columns]
        parts += [str(v) for v in table.astype(str).to_numpy().ravel()]
    for box in at.selectbox:
        parts += [str(option) for option in box.options]
    return "\n".join(parts)


def _grades(at: AppTest) -> Any:
    return at.dataframe[0].value


# --- Grades -----------------------------------------------------------------------------------


def test_the_gradebook_shows_each_students_status_and_never_none(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utc_now()
    assignment_id = _classroom(
        stride, monkeypatch, late_until=now + timedelta(days=3), late_penalty=0.2
    )
    _answer(stride, "ada", assignment_id, right=True)  # done: submitted
    _answer(stride, "bob", assignment_id, right=False)  # attempts left: in progress
    message = _answer(stride, "eve", assignment_id, right=True, at=now + timedelta(days=2))
    assert "late (20% off)" in message  # in the late window
    with stride.transaction() as session:
        grant_extension(
            session,
            _actor(session, "teacher"),
            assignment_id,
            now + timedelta(days=4),
            now,
            username="dan",
        )

    at = _gradebook(cookies, stride, assignment_id)
    table = _grades(at)
    statuses = dict(zip(table["Student"], table["Status"], strict=True))
    assert statuses == {
        "ada": "submitted",
        "bob": "in progress",
        "cat": "not started",
        "dan": "not started · extended",
        "eve": "submitted · late",
    }
    cells = dict(zip(table["Student"], table["P1 (1)"], strict=True))
    assert cells == {"ada": "1", "bob": "0", "cat": "—", "dan": "—", "eve": "0.8"}
    assert list(table["Total"]) == [1.0, 0.0, 0.0, 0.0, 0.8]
    assert list(table["Name"]) == ["—"] * 5
    tabs = ["Grades", "Settings", "Extensions", "Release", "Audit log"]
    assert [t.label for t in at.tabs] == tabs
    for tab in tabs:
        everything = _everything(_tab(at, tab))
        assert "None" not in everything and "nan" not in everything.split(), tab
    assert "dan" in list(at.dataframe[0].value["Subject"])  # the audit log: his extension


def test_a_student_stuck_on_wrong_answers_needs_attention(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, wrong=["cat"] * 3)
    at = _gradebook(cookies, stride, assignment_id)
    (warning,) = at.warning
    assert "Needs attention" in warning.value
    assert "cat has answered item 1 wrong 3 times in a row." in _plain(warning.value)
    assert "have not started" in _plain(warning.value)  # due within 48 hours: ada, bob, …
    statuses = dict(zip(_grades(at)["Student"], _grades(at)["Status"], strict=True))
    assert statuses["cat"] == "submitted"  # out of attempts


def test_needs_attention_and_the_rules_are_in_the_pages_time_zone(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_TIMEZONE", "Pacific/Auckland")  # the app opens after this
    now = utc_now()
    assignment_id = _classroom(stride, monkeypatch, late_until=now + timedelta(days=3))
    at = _gradebook(cookies, stride, assignment_id)
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None and assignment.late_until is not None
        due, late = assignment.due_at, assignment.late_until
    zone = ZoneInfo("Pacific/Auckland")
    (warning,) = at.warning
    assert f"it is due {due.astimezone(zone):%a %d %b %Y %H:%M}" in _plain(warning.value)
    assert "UTC" not in _plain(warning.value)
    _tab(at, "Release")
    assert f"Late answers until {late.astimezone(zone):%a %d %b %Y %H:%M}" in _texts(at)


def test_the_totals_histogram_bins_the_possible_range(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, right=["ada"])
    at = _gradebook(cookies, stride, assignment_id)
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    spec = json.loads(charts[0].proto.spec)
    (bars,) = spec["data"]
    assert (bars["x"], bars["y"]) == ([0.0, 1.0], [4, 1])  # a bar per whole score: 0 and 1
    assert spec["layout"]["xaxis"]["range"] == [-0.5, 1.5]
    assert spec["layout"]["title"]["text"] == "Totals (0–1 points)"


def test_the_downloads_include_canvas_and_moodle_layouts(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, Any]
) -> None:
    assignment_id = _classroom(stride, monkeypatch, right=["ada"])
    _set_section(stride, "A", "ada", "bob")
    at = _gradebook(cookies, stride, assignment_id)
    assert [b.label for b in at.get("download_button")] == [
        "Download CSV",
        "Canvas CSV",
        "Moodle CSV",
    ]
    canvas = downloads["Canvas CSV"].splitlines()
    assert canvas[0] == f"Student,ID,SIS User ID,SIS Login ID,Section,Week 1 ({assignment_id})"
    assert canvas[1] == "Points Possible,,,,,1"
    assert canvas[2] == "ada,,ada,ada,A,1"
    assert downloads["Moodle CSV"].splitlines()[0] == f"Username,Week 1 ({assignment_id})"
    assert downloads["Download CSV"].splitlines()[0].startswith("username,display_name,item 1")
    assert "Section" in _grades(at).columns


def test_an_override_with_a_reason_changes_the_total_and_is_audited(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, wrong=["bob"])
    at = _gradebook(cookies, stride, assignment_id)
    at.selectbox(key="gradebook_override_student").select("bob")
    at.number_input(key="gradebook_override_points").set_value(0.5)
    at.text_input(key="gradebook_override_reason").input("Right method, arithmetic slip")
    _button(at, "Save override").click().run()
    assert not at.exception and not at.error
    assert "Score overridden." in _toasts(at)
    table = _grades(at)
    row = table[table["Student"] == "bob"].iloc[0]
    assert row["P1 (1)"] == "0.5 ✎" and row["Total"] == 0.5
    assert "bob, item 1: 0 (computed) → 0.5 (override)" in _texts(at)

    _tab(at, "Audit log")
    log = at.dataframe[0].value
    assert list(log.columns) == ["When", "Who", "Action", "Subject", "Change", "Reason"]
    first = log.iloc[0]
    assert (first["Who"], first["Action"], first["Subject"]) == (
        "teacher",
        "override",
        "bob, item 1",
    )
    assert first["Change"] == "0 (computed) → 0.5 (override)"
    assert first["Reason"] == "Right method, arithmetic slip"


def test_an_override_without_a_reason_is_refused(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch)
    at = _gradebook(cookies, stride, assignment_id)
    at.number_input(key="gradebook_override_points").set_value(1.0)
    at.text_input(key="gradebook_override_reason").input("   ")
    _button(at, "Save override").click().run()
    assert not at.exception
    assert "Give a reason for the override" in _errors(at)
    at.number_input(key="gradebook_override_points").set_value(None)
    _button(at, "Save override").click().run()
    assert "Give the points" in _errors(at)
    with stride.transaction() as session:
        assert session.scalar(select(func.count(ScoreOverride.id))) == 0


def test_the_regrade_button_regrades_through_the_audited_service(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, right=["ada"], wrong=["bob"])
    at = _gradebook(cookies, stride, assignment_id)
    _button(at, "Regrade all answers").click().run()
    assert not at.exception and not at.error
    assert "Regraded." in _toasts(at)
    notes = "\n".join(_plain(s.value) for s in at.success)
    assert "Regrade: no scores changed (2 submissions checked)." in notes
    _tab(at, "Audit log")
    first = at.dataframe[0].value.iloc[0]
    assert (first["Who"], first["Action"]) == ("teacher", "regrade")
    assert first["Change"] == "no scores changed (2 submissions checked)"


# --- Settings ---------------------------------------------------------------------------------


def test_an_edit_of_the_due_time_and_points_shows_what_changed(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, right=["ada"])
    at = _gradebook(cookies, stride, assignment_id, "Settings")
    assert _field(at.text_input, "Title").value == "Week 1"
    due = _field(at.date_input, "Due")
    due.set_value(due.value + timedelta(days=2))
    _field(at.number_input, POINTS_P1).set_value(4.0)
    _button(at, "Save changes").click().run()
    assert not at.exception and not at.error
    notes = "\n".join(_plain(s.value) for s in at.success)
    assert "due: " in notes and "item 1 points: 1 → 4" in notes
    assert "1 submission checked" in notes  # the regrade's summary
    assert "ada: total 1 → 4" in notes
    assert "Changes saved." in _toasts(at)
    assert _field(at.number_input, POINTS_P1).value == 4.0  # the form shows it saved
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None and assignment.items[0].points == 4.0
        assert assignment.due_at - assignment.opens_at > timedelta(days=2)

    _button(at, "Save changes").click().run()  # the same again: nothing to change
    assert "Nothing changed." in _toasts(at)


def test_an_invalid_edit_lists_every_problem_and_saves_nothing(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch)
    at = _gradebook(cookies, stride, assignment_id, "Settings")
    _field(at.text_input, "Title").input("  ")
    opens = _field(at.date_input, "Opens")
    opens.set_value(opens.value + timedelta(days=30))
    _button(at, "Save changes").click().run()
    assert not at.exception
    errors = _errors(at)
    assert "The changes were not saved:" in errors
    assert "The title is empty" in errors and "must be after the opening time" in errors
    with stride.transaction() as session:
        assert session.get(Assignment, assignment_id).title == "Week 1"  # type: ignore[union-attr]


def test_problems_are_added_removed_and_restored(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, right=["ada"])
    at = _gradebook(cookies, stride, assignment_id, "Settings")
    assert _button(at, "Remove").disabled  # the last problem stays
    _button(at, "Add problems").click().run()  # the table's first row: one problem, 1 point
    assert "Added 1 problem." in _toasts(at)
    removes = [b for b in at.button if b.label == "Remove"]
    assert len(removes) == 2 and not removes[1].disabled
    removes[0].click().run()  # ada's point goes with it: the regrade's report says so
    assert "Problem 1 removed." in _toasts(at)
    assert "ada: total 1 → 0" in "\n".join(_plain(s.value) for s in at.success)
    assert "removed, 1 submissions kept" in _texts(at)
    _button(at, "Restore").click().run()
    assert "Problem 1 restored." in _toasts(at)
    assert "ada: total 0 → 1" in "\n".join(_plain(s.value) for s in at.success)
    _tab(at, "Grades")
    assert [c for c in _grades(at).columns if c.startswith("P")] == ["P1 (1)", "P2 (1)"]
    _tab(at, "Audit log")
    actions = list(at.dataframe[0].value["Action"])
    assert actions[:2] == ["regrade", "restore item"] and "add item" in actions


# --- Extensions -------------------------------------------------------------------------------


def test_an_extension_lets_that_student_submit_after_the_due_time(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, due_in=timedelta(hours=2))
    at = _gradebook(cookies, stride, assignment_id, "Extensions")
    assert "No extensions yet." in _texts(at)
    at.selectbox(key="gradebook_extend_student").select("ada")
    new_due = _field(at.date_input, "New due time")
    new_due.set_value(utc_now().date() + timedelta(days=3))
    at.number_input(key="gradebook_extend_attempts").set_value(1)
    at.text_input(key="gradebook_extend_reason").input("Ill on Monday")
    _button(at, "Give extension").click().run()
    assert not at.exception and not at.error
    assert "Extension given." in _toasts(at)
    extensions = at.dataframe[0].value
    assert list(extensions["Extension for"]) == ["ada"]
    assert list(extensions["Extra attempts"]) == [1]
    assert list(extensions["Granted by"]) == ["teacher"]
    assert list(extensions.columns) == [
        "Extension for",
        "Due",
        "Extra attempts",
        "Students",
        "Granted by",
        "Granted",
    ]

    later = utc_now() + timedelta(days=1)  # after the due time, before ada's
    assert "attempt 1 of 4" in _answer(stride, "ada", assignment_id, right=True, at=later)
    with pytest.raises(SubmissionRefused, match="closed"):
        _answer(stride, "bob", assignment_id, right=True, at=later)

    _tab(at, "Grades")
    statuses = dict(zip(_grades(at)["Student"], _grades(at)["Status"], strict=True))
    assert statuses["ada"].endswith("extended") and statuses["bob"] == "not started"
    _tab(at, "Audit log")
    first = at.dataframe[0].value.iloc[0]
    assert (first["Action"], first["Subject"], first["Reason"]) == (
        "extension",
        "ada",
        "Ill on Monday",
    )


def test_a_section_extension_is_listed_and_taken_back(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch)
    _set_section(stride, "B", "bob", "cat", "dan")
    now = utc_now()
    with stride.transaction() as session:  # dan's own extension wins over his section's
        grant_extension(
            session, COMMAND_LINE, assignment_id, now + timedelta(days=5), now, username="dan"
        )
    at = _gradebook(cookies, stride, assignment_id, "Extensions")
    at.radio(key="gradebook_extend_to").set_value(True)
    at.selectbox(key="gradebook_extend_section").select("B")
    _button(at, "Give extension").click().run()
    assert not at.error
    extensions = at.dataframe[0].value
    assert list(extensions["Extension for"]) == ["dan", "section B"]
    assert list(extensions["Students"]) == ["dan", "bob, cat"]
    assert list(extensions["Granted by"]) == ["—", "teacher"]  # the command line: no account
    at.selectbox(key="gradebook_unextend").select("section B")
    _button(at, "Take back").click().run()
    assert "Took back the extension of section B." in _toasts(at)
    assert list(at.dataframe[0].value["Extension for"]) == ["dan"]
    _button(at, "Take back").click().run()
    assert "No extensions yet." in _texts(at)


# --- Release ----------------------------------------------------------------------------------


def _sees(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_release_buttons_flip_what_a_student_sees(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, mode="exam", right=["ada"])
    at = _gradebook(cookies, stride, assignment_id, "Release")
    answers = "Correct answers and worked solutions"
    assert _sees(at) == {"Scores": "hidden", answers: "hidden"}
    assert "Scores shown to students when released by hand (not yet)" in _texts(at)

    _button(at, "Release scores now").click().run()
    assert not at.exception and not at.error
    assert _sees(at) == {"Scores": "shown", answers: "hidden"}
    with stride.transaction() as session:
        view = open_assignment(session, _actor(session, "ada"), assignment_id, utc_now())
        assert view.scores_visible and not view.answers_visible and view.score == 1.0

    _button(at, "Release scores and answers now").click().run()
    assert _sees(at) == {"Scores": "shown", answers: "shown"}
    with stride.transaction() as session:
        view = open_assignment(session, _actor(session, "ada"), assignment_id, utc_now())
        assert view.scores_visible and view.answers_visible
    _tab(at, "Audit log")
    assert list(at.dataframe[0].value["Action"]) == ["release", "release", "release"]


def test_what_a_student_with_an_extension_sees(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, scores_release="after_due")
    now = utc_now()
    with stride.transaction() as session:
        grant_extension(
            session, COMMAND_LINE, assignment_id, now + timedelta(days=5), now, username="bob"
        )
    at = _gradebook(cookies, stride, assignment_id, "Release")
    assert _sees(at)["Scores"] == "hidden"
    assert "bob" not in _texts(at)
    at.selectbox(key="gradebook_preview_student").select("bob").run()
    assert not at.exception and not at.error
    assert _sees(at)["Scores"] == "hidden"
    assert "you have an extension to" in _texts(at)
    assert "Scores and worked solutions are shown after the due time." in _texts(at)


# --- who may ----------------------------------------------------------------------------------


def test_a_student_opening_the_gradebook_is_refused(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch, right=["bob"])
    at = _signed_in(cookies, stride, "ada")
    at.query_params["assignment"] = str(assignment_id)
    at.session_state["gradebook_tab"] = "Settings"  # planted: still nothing
    at.switch_page(GRADEBOOK).run()
    assert not at.exception
    assert [e.value for e in at.error] == [FOR_INSTRUCTORS]
    assert not at.tabs and not at.dataframe and not at.get("form")
    assert "bob" not in _everything(at) and "Week 1" not in _everything(at)


# --- the Assignments page ---------------------------------------------------------------------


def test_deleting_an_assignment_with_submissions_needs_its_title_typed(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, Any]
) -> None:
    assignment_id = _classroom(stride, monkeypatch, right=["ada"])
    at = _assignments(cookies, stride)
    at.session_state[f"assignment_delete_menu_{assignment_id}"] = True  # open the menu
    at.run()
    assert "This assignment has 1 submission." in _texts(at)
    export = json.loads(downloads["Download its export first (JSON)"])
    assert export["format"] == "stride-assignment-archive/1" and len(export["submissions"]) == 1
    delete = _button(at, "Delete for good")
    assert delete.disabled
    at.text_input(key=f"assignment_delete_title_{assignment_id}").input("Week one").run()
    assert _button(at, "Delete for good").disabled
    at.text_input(key=f"assignment_delete_title_{assignment_id}").input("Week 1").run()
    assert not _button(at, "Delete for good").disabled
    _button(at, "Delete for good").click().run()
    assert not at.exception and not at.error
    assert any("Deleted “Week 1”; its export is kept" in t.value for t in at.toast)
    with stride.transaction() as session:
        assert session.get(Assignment, assignment_id) is None
        (archive,) = session.scalars(select(AssignmentArchive)).all()
        assert archive.title == "Week 1" and archive.deleted_by == "teacher"


def test_an_assignment_nobody_answered_is_deleted_without_typing(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _classroom(stride, monkeypatch)
    at = _assignments(cookies, stride)
    at.session_state[f"assignment_delete_menu_{assignment_id}"] = True
    at.run()
    assert "Nobody has submitted anything to it." in _texts(at)
    assert not [t for t in at.text_input if t.label == "Type the title to confirm"]
    _button(at, "Delete for good").click().run()
    assert not at.exception
    with stride.transaction() as session:
        assert session.get(Assignment, assignment_id) is None
        assert session.scalars(select(AssignmentArchive)).all() == []


def test_the_creation_form_sets_the_late_window_and_release(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    _classroom(stride, monkeypatch)
    at = _assignments(cookies, stride)
    _field(at.text_input, "Title").input("Week 2")
    at.radio[0].set_value("exam")
    at.selectbox(key="assignment_new_late").select(True)
    at.number_input(key="assignment_new_late_penalty").set_value(20.0)
    at.selectbox(key="assignment_new_scores_rule").select(RELEASE_ON_DATE)
    _button(at, "Create assignment").click().run()
    assert not at.exception and not at.error
    with stride.transaction() as session:
        created = session.scalars(select(Assignment).where(Assignment.title == "Week 2")).one()
        assert created.late_until is not None and created.late_until > created.due_at
        assert created.late_penalty == pytest.approx(0.2)
        assert created.scores_release == RELEASE_ON_DATE and created.scores_release_at
        assert created.answers_release == "by_hand"  # an exam's default
