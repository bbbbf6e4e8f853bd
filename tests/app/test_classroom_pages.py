"""AppTest for classroom mode: the navigation per role, pages hidden from the menu but reachable by
URL, the account page and one-time passwords, sign-out, a session that ends while a tab is open,
and the People page; and that local mode has no accounts at all.

A browser signs in over HTTP (the form, its POST and the gate are tested with Starlette's client
in tests/unit/test_web_sign_in.py); here each AppTest gets a session started by the service as its
``stride_session`` cookie (tests/app/signed_in.py). The services are unit-tested (test_sign_in,
test_accounts); these tests check what a browser session sees and can reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from streamlit.testing.v1 import AppTest

import quiz.services.passwords as passwords
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user, set_active
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment
from quiz.services.sign_in import resume_session, sign_in
from quiz.services.throttle import delay_after
from quiz.store.models import AuthSession, ReviewLog, User
from quiz.web.sign_in import SIGNED_OUT_PATH
from tests.app.signed_in import AUTH, Cookies, redirects, start
from tests.support import REPO_ROOT

HOME = "quiz/ui/pages/home.py"
STUDY = "quiz/ui/pages/study.py"
ACCOUNT = "quiz/ui/pages/account.py"
PEOPLE = "quiz/ui/pages/people.py"
GRADEBOOK = "quiz/ui/pages/gradebook.py"
TEACHER_PASSWORD = "teacher's long password"
ADA_PASSWORD = "ada's long password"
BOB_PASSWORD = "bob's long password"
NEW_PASSWORD = "a brand new password"
ONE_TIME = re.compile(r"[a-km-z2-9]{4}(?:-[a-km-z2-9]{4}){3}")
ENDED = "Your sign-in has ended. Please sign in again."
FOR_INSTRUCTORS = "This page is for instructors."
CHOOSE_A_PASSWORD = "You signed in with a one-time password: choose your own password first."
APP_URL = "http://stride.test"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters for every test (test_passwords checks the real ones)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dummy password for timing"))


@pytest.fixture(autouse=True)
def cookies(monkeypatch: pytest.MonkeyPatch) -> Cookies:
    """Each AppTest's ``stride_session`` cookie (none until a test gives one)."""
    return Cookies(monkeypatch)


@pytest.fixture
def sent_to(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL a page run sent its browser to."""
    return redirects(monkeypatch)


Menu = dict[str, list[str]]


@pytest.fixture
def menus(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Menu, list[str]]]:
    """Every navigation the app builds: ``({section: [visible page titles]}, [hidden titles])``
    (section ``""``: a menu without sections)."""
    built: list[tuple[Menu, list[str]]] = []
    real = st.navigation

    def spy(pages: Any, **kwargs: Any) -> Any:
        sections = pages if isinstance(pages, dict) else {"": pages}
        visible = {
            name: [page.title for page in group if page.visibility == "visible"]
            for name, group in sections.items()
        }
        every = [page for group in sections.values() for page in group]
        hidden = [page.title for page in every if page.visibility == "hidden"]
        built.append(({name: titles for name, titles in visible.items() if titles}, hidden))
        return real(pages, **kwargs)

    monkeypatch.setattr(st, "navigation", spy)
    return built


@pytest.fixture
def classroom(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stride]:
    """Classroom mode with instructor ``teacher`` and students ``ada`` and ``bob``."""
    monkeypatch.setenv("STRIDE_AUTH", "password")
    stride = Stride.open()
    now = utc_now()
    with stride.transaction() as session:
        for name, role, password, display in (
            ("teacher", "instructor", TEACHER_PASSWORD, "Tess Teacher"),
            ("ada", "student", ADA_PASSWORD, "Ada Lovelace"),
            ("bob", "student", BOB_PASSWORD, ""),
        ):
            create_user(session, COMMAND_LINE, name, role, password, now, display_name=display)
    yield stride
    stride.close()


def _new_app(script: str | Path = REPO_ROOT / "app.py") -> AppTest:
    return AppTest.from_file(str(script), default_timeout=60)


def _app() -> AppTest:
    at = _new_app()
    at.run()
    assert not at.exception
    return at


def _signed_in(cookies: Cookies, stride: Stride, username: str) -> AppTest:
    """A browser that signed in as ``username`` and opened the app."""
    at = cookies.give(_new_app(), start(stride, username))
    at.run()
    assert not at.exception
    return at


def _field(at: AppTest, label: str) -> Any:
    return next(t for t in at.text_input if t.label == label)


def _button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def _texts(at: AppTest) -> str:
    parts: list[Any] = [e.value for e in at.title] + [e.value for e in at.markdown]
    for elements in (at.caption, at.error, at.warning, at.info, at.success, at.header):
        parts += [e.value for e in elements]
    return "\n".join(str(p) for p in parts)


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def _sidebar(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.sidebar.caption)


def _pages(menu: Menu) -> list[str]:
    return [title for group in menu.values() for title in group]


def _asked_to_sign_in_again(at: AppTest) -> bool:
    """The run said the sign-in ended and stopped: no page, no menu, no account in the sidebar."""
    return (
        [i.value for i in at.info] == [ENDED]
        and not _titles(at)
        and not at.button
        and "Signed in as" not in _sidebar(at)
    )


def _session_rows(stride: Stride, username: str) -> int:
    with stride.transaction() as session:
        user = session.scalar(select(User.id).where(User.username == username))
        query = select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user)
        return session.scalar(query) or 0


def _can_sign_in(stride: Stride, username: str, password: str) -> bool:
    with stride.transaction() as session:
        return sign_in(session, username, password, f"checker-{username}", utc_now(), AUTH).ok


def _user(stride: Stride, username: str) -> User:
    with stride.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        session.expunge(user)
        return user


def _deactivate(stride: Stride, username: str) -> None:
    with stride.transaction() as session:
        user = session.scalar(select(User.id).where(User.username == username))
        set_active(session, COMMAND_LINE, user, False)


# --- local mode -----------------------------------------------------------------------------------


def test_local_mode_has_no_accounts(
    cookies: Cookies, menus: list[tuple[Menu, list[str]]], sent_to: list[str]
) -> None:
    at = cookies.give(_new_app(), "a-cookie-from-elsewhere")  # ignored in local mode
    at.run()
    assert not at.exception
    menu, hidden = menus[-1]
    pages = _pages(menu)
    assert "Home" in pages and "Gradebook" in pages and hidden == []
    assert "People" not in pages and "Your account" not in pages
    assert "Signed in as" not in _sidebar(at)
    assert not [b for b in at.sidebar.button if b.label == "Sign out"]
    assert not (REPO_ROOT / "quiz/ui/pages/sign_in.py").exists()  # the form is HTTP now
    at.switch_page(GRADEBOOK).run()
    assert not at.exception and "Gradebook" in _titles(at)
    assert sent_to == []


# --- a page run without a live session ------------------------------------------------------------


def test_a_page_run_without_a_session_asks_to_sign_in_again(
    classroom: Stride, menus: list[tuple[Menu, list[str]]], sent_to: list[str]
) -> None:
    """The HTTP gate shows the form to a browser without a session; should a page run happen
    anyway (a websocket without the cookie), it shows nothing and reloads the same URL."""
    at = _new_app()
    at.context["url"] = f"{APP_URL}/study"
    at.run()
    assert not at.exception
    assert _asked_to_sign_in_again(at)
    assert menus == []  # no navigation is built, so no page is listed or run
    assert sent_to == [f"{APP_URL}/study"]


def test_a_forged_cookie_state_or_query_gets_nothing(
    classroom: Stride, cookies: Cookies, menus: list[tuple[Menu, list[str]]], sent_to: list[str]
) -> None:
    at = cookies.give(_new_app(), "not-a-real-token")
    at.session_state["role"] = "instructor"
    at.session_state["people_student"] = _user(classroom, "bob").id
    at.query_params["assignment"] = "1"
    at.run()
    assert not at.exception
    assert _asked_to_sign_in_again(at)
    assert menus == [] and not at.dataframe and not at.code
    assert sent_to == ["/?assignment=1"]  # AppTest has no URL; the query is kept for the form


# --- the navigation per role ----------------------------------------------------------------------


def test_a_student_sees_the_learning_pages_and_not_the_teaching_ones(
    classroom: Stride, cookies: Cookies, menus: list[tuple[Menu, list[str]]]
) -> None:
    at = _signed_in(cookies, classroom, "ada")
    assert _titles(at) == ["Stride"]  # Home
    assert "Signed in as **Ada Lovelace** · student" in _sidebar(at)
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    menu, hidden = menus[-1]
    assert list(menu) == ["Learn", "Library", "Account"]
    assert "Home" in menu["Learn"] and menu["Account"] == ["Your account"]
    assert "Gradebook" not in _pages(menu) and "People" not in _pages(menu)
    assert sorted(hidden) == ["Gradebook", "People"]  # by URL only, to say they are not for her
    assert _session_rows(classroom, "ada") == 1


@pytest.mark.parametrize(("page", "title"), [(PEOPLE, "People"), (GRADEBOOK, "Gradebook")])
def test_a_student_opening_a_teaching_page_by_url_is_told_it_is_for_instructors(
    classroom: Stride, cookies: Cookies, page: str, title: str
) -> None:
    _assignment(classroom)
    at = _signed_in(cookies, classroom, "ada")
    at.switch_page(page).run()  # as /people or /gradebook typed in the address bar
    assert not at.exception
    assert [e.value for e in at.error] == [FOR_INSTRUCTORS]
    assert _teaching_content(at) == []
    assert "Signed in as **Ada Lovelace** · student" in _sidebar(at)


def test_an_instructor_has_gradebook_and_people(
    classroom: Stride, cookies: Cookies, menus: list[tuple[Menu, list[str]]]
) -> None:
    at = _signed_in(cookies, classroom, "teacher")
    assert "Signed in as **Tess Teacher** · instructor" in _sidebar(at)
    menu, hidden = menus[-1]
    assert list(menu) == ["Learn", "Library", "Teach", "Account"]
    assert menu["Teach"] == ["Gradebook", "People"] and hidden == []
    at.switch_page(PEOPLE).run()
    assert not at.exception
    assert _titles(at) == ["People"]
    assert list(at.dataframe[0].value["Username"]) == ["ada", "bob", "teacher"]
    at.switch_page(GRADEBOOK).run()
    assert not at.exception and _titles(at) == ["Gradebook"]


def test_a_name_without_a_display_name_shows_the_username(
    classroom: Stride, cookies: Cookies
) -> None:
    at = _signed_in(cookies, classroom, "bob")
    assert "Signed in as **bob** · student" in _sidebar(at)


# --- one-time passwords and the account page ------------------------------------------------------


def test_a_one_time_password_leads_only_to_the_account_page_until_changed(
    classroom: Stride, cookies: Cookies, menus: list[tuple[Menu, list[str]]]
) -> None:
    one_time = passwords.generate_password()
    with classroom.transaction() as session:
        create_user(session, COMMAND_LINE, "cid", "student", one_time, utc_now(), one_time=True)
    with classroom.transaction() as session:
        signed_in = sign_in(session, "cid", one_time, "test", utc_now(), AUTH)
    assert signed_in.ok and signed_in.must_change_password
    at = cookies.give(_new_app(), signed_in.token)
    at.run()
    assert not at.exception
    menu, hidden = menus[-1]
    assert menu == {"": ["Your account"]}
    assert {"Home", "Study", "Gradebook", "People"} <= set(hidden)
    assert _titles(at) == ["Your account"]
    assert "one-time password" in _texts(at)
    assert [t.label for t in at.text_input] == ["New password", "New password again"]
    for page in (HOME, STUDY, PEOPLE, GRADEBOOK):  # by URL: they say to choose a password first
        at.switch_page(page).run()
        assert not at.exception
        assert [w.value for w in at.warning] == [CHOOSE_A_PASSWORD], page
        assert [link.label for link in at.get("page_link")] == ["Your account"]
        assert _teaching_content(at) == [] and not at.header
    at.switch_page(ACCOUNT).run()

    _field(at, "New password").input(NEW_PASSWORD)
    _field(at, "New password again").input(NEW_PASSWORD + "!")
    _button(at, "Change password").click().run()
    assert "The two new passwords differ" in _texts(at)
    assert menus[-1][0] == {"": ["Your account"]}

    _field(at, "New password").input("short")
    _field(at, "New password again").input("short")
    _button(at, "Change password").click().run()
    assert "at least 10 characters" in _texts(at)
    assert menus[-1][0] == {"": ["Your account"]}

    _field(at, "New password").input(NEW_PASSWORD)
    _field(at, "New password again").input(NEW_PASSWORD)
    _button(at, "Change password").click().run()
    assert not at.exception and not at.error
    assert list(menus[-1][0]) == ["Learn", "Library", "Account"]
    assert any("password was changed" in t.value for t in at.toast)
    assert not _user(classroom, "cid").must_change_password
    assert _session_rows(classroom, "cid") == 1  # this session kept
    at.switch_page(HOME).run()
    assert not at.exception and _titles(at) == ["Stride"] and not at.warning
    assert not _can_sign_in(classroom, "cid", one_time)
    assert _can_sign_in(classroom, "cid", NEW_PASSWORD)


def test_the_account_page_changes_a_password_with_the_current_one(
    classroom: Stride, cookies: Cookies
) -> None:
    at = _signed_in(cookies, classroom, "ada")
    other = cookies.give(_new_app(), start(classroom, "ada"))  # another browser
    at.switch_page(ACCOUNT).run()
    assert [t.label for t in at.text_input] == [
        "Current password",
        "New password",
        "New password again",
    ]
    _field(at, "Current password").input("not my password")
    _field(at, "New password").input(NEW_PASSWORD)
    _field(at, "New password again").input(NEW_PASSWORD)
    _button(at, "Change password").click().run()
    assert "the current password is wrong" in _texts(at)
    assert _can_sign_in(classroom, "ada", ADA_PASSWORD)

    _field(at, "Current password").input(ADA_PASSWORD)
    _field(at, "New password").input(NEW_PASSWORD)
    _field(at, "New password again").input(NEW_PASSWORD)
    _button(at, "Change password").click().run()
    assert not at.exception and not at.error
    assert _can_sign_in(classroom, "ada", NEW_PASSWORD)
    with classroom.transaction() as session:  # the other browser is out
        assert resume_session(session, cookies.of(other), utc_now(), AUTH) is None
    assert _asked_to_sign_in_again(other.run())
    assert _titles(at.run()) == ["Your account"]  # this one stays in


# --- signing out, and a session that ends while the tab is open -----------------------------------


def test_sign_out_ends_the_session_everywhere(
    classroom: Stride, cookies: Cookies, sent_to: list[str]
) -> None:
    at = _signed_in(cookies, classroom, "ada")
    other_tab = cookies.give(_new_app(), cookies.of(at))  # the same browser: the same cookie
    other_tab.run()
    assert "Signed in as **Ada Lovelace** · student" in _sidebar(other_tab)
    at.session_state["study_note"] = "left on screen"

    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert not at.exception
    assert _session_rows(classroom, "ada") == 0  # the row is gone: every tab is out
    assert sent_to == [SIGNED_OUT_PATH]  # the browser goes to clear its cookie
    assert not at.main.children  # the run stopped there: no page
    assert "study_note" not in at.session_state  # nothing of it is kept

    other_tab.run()  # the other tab's next click, its cookie not cleared yet
    assert _asked_to_sign_in_again(other_tab)
    assert sent_to == [SIGNED_OUT_PATH, "/"]


def test_a_session_ended_elsewhere_asks_to_sign_in_again_on_the_same_page(
    classroom: Stride, cookies: Cookies, sent_to: list[str]
) -> None:
    at = _signed_in(cookies, classroom, "ada")
    at.switch_page(STUDY).run()
    _deactivate(classroom, "ada")
    at.context["url"] = f"{APP_URL}/study"
    at.run()
    assert not at.exception
    assert _asked_to_sign_in_again(at)
    assert sent_to == [f"{APP_URL}/study"]  # reloaded there, the form continues to Study


def test_a_page_run_reads_the_sign_in_once(
    classroom: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The navigation and the page share one check of the session per run; the next run reads
    it again, so a session ended meanwhile is noticed at once."""
    import quiz.ui.session as ui_session

    reads: list[str] = []
    real = ui_session.resume_session

    def counting(*args: Any, **kwargs: Any) -> Any:
        reads.append("read")
        return real(*args, **kwargs)

    monkeypatch.setattr(ui_session, "resume_session", counting)
    at = _signed_in(cookies, classroom, "ada")
    assert len(reads) == 1
    at.switch_page(STUDY).run()
    assert not at.exception and len(reads) == 2
    _deactivate(classroom, "ada")
    at.run()
    assert len(reads) == 3 and _asked_to_sign_in_again(at)


# --- the People page ------------------------------------------------------------------------------


def test_an_instructor_resets_a_students_password(classroom: Stride, cookies: Cookies) -> None:
    ada_browser = _signed_in(cookies, classroom, "ada")
    at = _signed_in(cookies, classroom, "teacher")
    at.switch_page(PEOPLE).run()
    ada = _user(classroom, "ada").id
    student = at.selectbox(key="people_student")
    assert student.options == ["Ada Lovelace (ada)", "bob"]
    student.set_value(ada).run()
    at.button(key="people_reset").click().run()
    assert not at.exception
    assert any("One-time password for **ada**" in s.value for s in at.success)
    (shown,) = [c.value for c in at.code]
    assert ONE_TIME.fullmatch(shown)

    at.run()  # shown once
    assert not at.code
    assert not any("One-time password" in s.value for s in at.success)

    ada_browser.run()
    assert _asked_to_sign_in_again(ada_browser)  # signed out everywhere
    assert _session_rows(classroom, "ada") == 0
    assert not _can_sign_in(classroom, "ada", ADA_PASSWORD)
    assert _user(classroom, "ada").must_change_password
    assert _can_sign_in(classroom, "ada", shown)
    state = at.dataframe[0].value.set_index("Username")["State"]
    assert state["ada"] == "one-time password"


def test_an_instructor_adds_a_student(
    classroom: Stride, cookies: Cookies, menus: list[tuple[Menu, list[str]]]
) -> None:
    at = _signed_in(cookies, classroom, "teacher")
    at.switch_page(PEOPLE).run()
    _field(at, "Username").input("Dan.Brown")
    _field(at, "Full name (optional)").input("Dan Brown")
    _button(at, "Add student").click().run()
    assert not at.exception and not at.error
    assert any(  # the username is Markdown-escaped: dan\.brown
        "One-time password for **dan.brown**" in s.value.replace("\\", "") for s in at.success
    )
    (shown,) = [c.value for c in at.code]
    dan = _user(classroom, "dan.brown")
    assert (dan.role, dan.display_name, dan.must_change_password, dan.active) == (
        "student",
        "Dan Brown",
        True,
        True,
    )
    assert dan.password_hash is not None and shown not in dan.password_hash
    assert "dan.brown" in list(at.dataframe[0].value["Username"])

    with classroom.transaction() as session:
        signed_in = sign_in(session, "Dan.Brown", shown, "test", utc_now(), AUTH)
    assert signed_in.ok and signed_in.must_change_password
    student = cookies.give(_new_app(), signed_in.token)
    student.run()
    assert menus[-1][0] == {"": ["Your account"]}
    assert _titles(student) == ["Your account"]


@pytest.mark.parametrize(
    ("username", "reason"), [("bad name", "not a valid username"), ("ada", "is taken")]
)
def test_a_refused_new_account_says_why_and_shows_no_password(
    classroom: Stride, cookies: Cookies, username: str, reason: str
) -> None:
    at = _signed_in(cookies, classroom, "teacher")
    at.switch_page(PEOPLE).run()
    _field(at, "Username").input(username)
    _button(at, "Add student").click().run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("No account was created") and reason in error
    assert not at.code
    with classroom.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 4  # local + 3


def test_an_instructor_deactivates_a_signed_in_student(classroom: Stride, cookies: Cookies) -> None:
    ada_browser = _signed_in(cookies, classroom, "ada")
    at = _signed_in(cookies, classroom, "teacher")
    at.switch_page(PEOPLE).run()
    at.selectbox(key="people_student").set_value(_user(classroom, "ada").id).run()
    at.button(key="people_toggle").click().run()
    assert not at.exception
    assert not _user(classroom, "ada").active
    ada_browser.run()
    assert _asked_to_sign_in_again(ada_browser)
    assert not _can_sign_in(classroom, "ada", ADA_PASSWORD)
    assert at.button(key="people_toggle").label == "Activate"


def test_an_instructor_sees_throttled_sign_ins_and_unlocks_one(
    classroom: Stride, cookies: Cookies
) -> None:
    """Someone guessed ada's password from one address until it waits 15 minutes a try: the
    People page lists her with the address, the count and the end of the wait; Unlock clears it."""
    guesser, moment = "203.0.113.66", utc_now() - timedelta(minutes=20)
    for failures in range(1, 13):
        with classroom.transaction() as session:
            sign_in(session, "ada", "wrong password!", guesser, moment, AUTH)
        moment += delay_after(failures)
    with classroom.transaction() as session:
        assert not sign_in(session, "ada", ADA_PASSWORD, guesser, utc_now(), AUTH).ok
    at = _signed_in(cookies, classroom, "teacher")
    at.switch_page(PEOPLE).run()
    assert not at.exception
    assert "Throttled sign-ins" in [s.value for s in at.header]
    shown = _texts(at).replace("\\", "")
    local = moment.astimezone(classroom.settings.timezone).strftime("%H:%M")
    assert f"**Ada Lovelace (ada)** — 12 failed sign-ins this hour; from {guesser}: " in shown
    assert f"12 failures, waits until {local}" in shown
    assert "bob" not in shown.split("Throttled sign-ins")[-1]

    at.button(key="people_unlock_account_ada").click().run()
    assert not at.exception
    assert any("Unlocked ada" in s.value for s in at.success)
    assert "No account or address is being slowed down now." in _texts(at)
    assert not [b for b in at.button if b.label == "Unlock"]
    with classroom.transaction() as session:
        assert sign_in(session, "ada", ADA_PASSWORD, guesser, utc_now(), AUTH).ok


# --- a student cannot reach the teaching pages ----------------------------------------------------


def _assignment(stride: Stride) -> int:
    now = utc_now()
    with stride.transaction() as session:
        teacher = session.scalars(select(User).where(User.username == "teacher")).one()
        spec = AssignmentSpec(
            title="Week 1",
            instructions="",
            mode="homework",
            opens_at=now,
            due_at=now + timedelta(days=7),
            max_attempts=3,
            items=[ItemSpec("conv-output-size", 2)],
        )
        return create_assignment(session, Actor.of(teacher), spec, now)


def _teaching_content(at: AppTest) -> list[str]:
    """Anything of the People or Gradebook pages on screen."""
    found = [t for t in _titles(at) if t in ("People", "Gradebook")]
    found += [b.label for b in at.button if b.label in ("Add student", "Reset password")]
    found += [b.label for b in at.button if b.label.startswith("Regrade")]
    found += ["a table"] * len(at.dataframe)
    found += [s.label for s in at.selectbox if s.label in ("Student", "Assignment")]
    return found


@pytest.mark.parametrize("page", [PEOPLE, GRADEBOOK])
def test_a_student_gets_nothing_from_a_tab_an_instructor_used(
    classroom: Stride, cookies: Cookies, page: str
) -> None:
    """A browser tab that had an instructor's session, now signed in as a student (a new
    cookie), with the pages' session state and query parameters planted."""
    assignment = _assignment(classroom)
    at = _signed_in(cookies, classroom, "teacher")
    at.switch_page(page).run()
    assert _teaching_content(at)
    at.switch_page(HOME).run()

    cookies.give(at, start(classroom, "ada"))
    at.session_state["people_student"] = _user(classroom, "bob").id
    at.session_state["gradebook_assignment"] = assignment
    at.session_state["people_password"] = ("bob", "planted-password")
    at.query_params["assignment"] = str(assignment)
    at.switch_page(page).run()
    assert not at.exception
    assert [e.value for e in at.error] == [FOR_INSTRUCTORS]
    assert _teaching_content(at) == []
    assert "Signed in as **Ada Lovelace** · student" in _sidebar(at)
    assert "bob" not in _texts(at) and not at.code


@pytest.mark.parametrize("page", [PEOPLE, GRADEBOOK])
@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("ada", FOR_INSTRUCTORS),
        (None, ENDED),
    ],
)
def test_the_teaching_pages_refuse_anyone_but_an_instructor_themselves(
    classroom: Stride, cookies: Cookies, page: str, who: str | None, message: str
) -> None:
    """Even run directly (as if the navigation had let it through), the page checks the role.
    (Someone with a one-time password is sent to the account page: see the test above.)"""
    _assignment(classroom)
    at = _new_app(REPO_ROOT / page)
    if who is not None:
        cookies.give(at, start(classroom, who))
    at.run()
    assert not at.exception
    assert message in _texts(at)
    assert _teaching_content(at) == []


def test_a_button_drawn_before_the_session_ended_writes_nothing(
    classroom: Stride, cookies: Cookies
) -> None:
    """Widget callbacks run before the page run and its check of the sign-in: the one that
    records an answer checks the session itself, so a click after a sign-out elsewhere (or an
    expiry) is not recorded, and the page asks to sign in again."""
    at = _signed_in(cookies, classroom, "ada")
    at.switch_page("quiz/ui/pages/study.py").run()
    _button(at, "Show answer").click().run()
    with classroom.transaction() as session:
        session.execute(delete(AuthSession))
    next(b for b in at.button if b.label.startswith("Good")).click().run()
    with classroom.transaction() as session:
        assert session.scalar(select(func.count(ReviewLog.id))) == 0
    assert _asked_to_sign_in_again(at)
