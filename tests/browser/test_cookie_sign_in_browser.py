"""Classroom sign-in in a real Chromium: the ``stride_session`` cookie set by the HTTP form.

A browser without a session gets the form at the very URL it asked for (``quiz.web.sign_in``),
and after signing in lands on exactly that URL; reloads, new tabs and deep links stay signed in;
signing out in one tab signs out the others; an expired session asks to sign in again and keeps
the deep link; the cookie is ``HttpOnly`` and ``SameSite=Lax``; a cross-site POST is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import func, select, update

from quiz.exercises.registry import FAMILIES
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment
from quiz.store.models import AuthSession, ReviewLog, User
from quiz.web.cookies import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from quiz.web.sign_in import SIGN_IN_PATH, SIGNED_OUT_PATH

pytestmark = pytest.mark.browser

CLASSROOM = {"STRIDE_AUTH": "password"}
PASSWORDS = {"teacher": "teacher-secret-1", "ada": "ada-secret-12"}
FORM_TITLE = "Sign in to Stride"
TIMEOUT = 30_000
classroom = pytest.mark.parametrize("app_env", [CLASSROOM], ids=["password"])


@dataclass(frozen=True)
class Server:
    url: str
    database: str
    assignments: tuple[int, int]
    """Two assignments set by the instructor (the second is not the Gradebook's default)."""


@pytest.fixture
def server(app_url: str, tmp_path: Path) -> Server:
    """The running classroom server, with instructor ``teacher``, student ``ada`` (named Ada
    Lovelace) and two assignments in its database."""
    database = f"sqlite:///{tmp_path / 'data' / 'stride.db'}"  # the server's own file
    stride = Stride.open(database)
    now = utc_now()
    with stride.transaction() as session:
        teacher = create_user(
            session, COMMAND_LINE, "teacher", "instructor", PASSWORDS["teacher"], now
        )
        create_user(
            session,
            COMMAND_LINE,
            "ada",
            "student",
            PASSWORDS["ada"],
            now,
            display_name="Ada Lovelace",
        )
        actor = Actor(teacher.user_id, "teacher", "instructor")
        ids = tuple(
            create_assignment(
                session,
                actor,
                AssignmentSpec(
                    title=title,
                    instructions="",
                    mode="homework",
                    opens_at=now - timedelta(hours=1),
                    due_at=now + timedelta(days=7),
                    max_attempts=3,
                    items=[ItemSpec("conv-output-size", 2)],
                ),
                now,
            )
            for title in ("Week 1", "Week 2")
        )
    stride.close()
    return Server(app_url, database, (ids[0], ids[1]))


def _form(page: Page) -> None:
    """The sign-in form is on screen (and not Streamlit's "Page not found")."""
    expect(page.get_by_role("heading", name=FORM_TITLE)).to_be_visible(timeout=TIMEOUT)
    expect(page).to_have_title(FORM_TITLE)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def _submit(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()


def _signed_in(page: Page, name: str) -> None:
    expect(page.get_by_text(re.compile(f"Signed in as {name}"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def _sign_in_at(page: Page, url: str, username: str, name: str) -> None:
    """Open ``url`` signed out, sign in, and check the browser landed on exactly ``url``."""
    page.goto(url)
    _form(page)
    _submit(page, username)
    _signed_in(page, name)
    assert page.url == url


def _assignment(page: Page) -> Locator:
    """The Gradebook's choice of assignment."""
    return page.get_by_role("combobox", name="Assignment")


def _session_cookie(context: BrowserContext) -> dict[str, object] | None:
    found = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    return dict(found[0]) if found else None


def _session_rows(database: str, username: str) -> int:
    stride = Stride.open(database, load_builtin=False)
    with stride.transaction() as session:
        user = session.scalar(select(User.id).where(User.username == username))
        query = select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user)
        rows = session.scalar(query) or 0
    stride.close()
    return rows


@classroom
def test_a_reload_and_a_second_tab_stay_signed_in(
    context: BrowserContext, server: Server, screenshot_dir: Path
) -> None:
    page = context.new_page()
    study = f"{server.url}/study"
    page.goto(study)
    _form(page)
    assert page.url == study  # the form is served at the page's own URL
    page.screenshot(path=screenshot_dir / "sign-in-form.png")
    _submit(page, "ada")
    _signed_in(page, "Ada Lovelace")
    assert page.url == study

    front = page.locator(".st-key-study_front")
    expect(front).to_contain_text("image tensor")
    page.get_by_role("button", name="Show answer").click()
    page.get_by_role("button", name=re.compile("^Good")).click()
    expect(page.get_by_text("1 answered this session")).to_be_visible()
    expect(front).to_contain_text("dot product")
    page.get_by_role("button", name="Show answer").click()  # in the middle of a card
    expect(page.locator(".st-key-study_back")).to_be_visible()

    page.reload()
    _signed_in(page, "Ada Lovelace")
    assert page.url == study
    expect(front).to_contain_text("dot product")  # the first card is learning now
    stride = Stride.open(server.database, load_builtin=False)
    with stride.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ReviewLog)) == 1
    stride.close()

    second = context.new_page()  # the same browser: the same cookie
    second.goto(f"{server.url}/stats")
    _signed_in(second, "Ada Lovelace")
    expect(second.get_by_role("heading", name="Statistics")).to_be_visible()

    second.goto(f"{server.url}/gradebook")  # typed by a student: not "Page not found"
    expect(second.get_by_text("This page is for instructors.")).to_be_visible(timeout=TIMEOUT)
    expect(second.get_by_text("Page not found")).to_have_count(0)
    expect(second.get_by_role("heading", name="Gradebook")).to_have_count(0)
    assert _session_rows(server.database, "ada") == 1  # one sign-in, every tab


@classroom
def test_the_session_cookie_is_http_only_and_same_site_lax(
    context: BrowserContext, server: Server
) -> None:
    page = context.new_page()
    _sign_in_at(page, f"{server.url}/", "ada", "Ada Lovelace")
    cookie = _session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/" and cookie["secure"] is False  # plain HTTP here: auto
    assert cookie["expires"] > 0  # Max-Age: not a session cookie that dies with the browser
    assert SESSION_COOKIE not in page.evaluate("document.cookie")
    assert str(cookie["value"]) not in page.url


@classroom
def test_deep_links_continue_to_exactly_where_they_pointed(
    browser: Browser, server: Server
) -> None:
    teacher = browser.new_context()
    page = teacher.new_page()
    week_2 = server.assignments[1]
    gradebook = f"{server.url}/gradebook?assignment={week_2}"
    _sign_in_at(page, gradebook, "teacher", "teacher")
    expect(page.get_by_role("heading", name="Gradebook")).to_be_visible()
    expect(_assignment(page)).to_have_value(f"Week 2 (#{week_2}, homework)")
    assert page.url == gradebook

    fresh = browser.new_context()  # another browser: refused until it signs in
    other = fresh.new_page()
    practice = f"{server.url}/practice?family=conv-output-size&seed=424242&difficulty=3"
    other.goto(practice)
    _form(other)
    assert other.locator("input[name=next]").input_value() == practice.removeprefix(server.url)
    assert _session_cookie(fresh) is None
    _submit(other, "ada")
    _signed_in(other, "Ada Lovelace")
    title = FAMILIES["conv-output-size"].title
    expect(other.get_by_text(f"{title} · difficulty 3 · seed 424242")).to_be_visible()
    assert other.url == practice
    teacher.close()
    fresh.close()


@classroom
def test_signing_out_in_one_tab_signs_out_the_other(
    context: BrowserContext, server: Server
) -> None:
    first, second = context.new_page(), context.new_page()
    _sign_in_at(first, f"{server.url}/study", "ada", "Ada Lovelace")
    second.goto(f"{server.url}/")
    _signed_in(second, "Ada Lovelace")

    first.get_by_role("button", name="Sign out").click()
    expect(first.get_by_text("You are signed out.")).to_be_visible(timeout=TIMEOUT)
    _form(first)
    assert first.url == f"{server.url}{SIGNED_OUT_PATH}"
    assert _session_cookie(context) is None
    assert _session_rows(server.database, "ada") == 0

    second.get_by_role("link", name="Statistics").click()  # its next click
    _form(second)
    expect(second.get_by_role("heading", name="Statistics")).to_have_count(0)
    assert _session_cookie(context) is None


@pytest.mark.parametrize(
    "app_env", [{**CLASSROOM, "STRIDE_SESSION_IDLE_MINUTES": "1"}], ids=["idle-1-minute"]
)
def test_an_expired_session_asks_to_sign_in_again_and_keeps_the_deep_link(
    context: BrowserContext, server: Server
) -> None:
    page = context.new_page()
    week_2 = server.assignments[1]
    gradebook = f"{server.url}/gradebook?assignment={week_2}"
    _sign_in_at(page, gradebook, "teacher", "teacher")

    def expire() -> None:  # as if the teacher had left the tab alone for the idle minute
        stride = Stride.open(server.database, load_builtin=False)
        with stride.transaction() as session:
            past = utc_now() - timedelta(seconds=5)
            session.execute(update(AuthSession).values(idle_expires_at=past))
        stride.close()

    expire()
    page.get_by_text("Regrade", exact=True).click()  # the next click in the open tab
    page.get_by_role("button", name="Regrade all answers").click()
    _form(page)
    expect(page.get_by_text("Please sign in to continue.")).to_be_visible()
    assert page.locator("input[name=next]").input_value() == f"/gradebook?assignment={week_2}"
    _submit(page, "teacher")
    _signed_in(page, "teacher")
    expect(_assignment(page)).to_have_value(f"Week 2 (#{week_2}, homework)")
    assert page.url == gradebook
    expect(page.get_by_text(re.compile("submissions? checked"))).to_have_count(0)  # no regrade

    expire()
    page.reload()  # or a reload, or a bookmark
    _form(page)
    expect(page.get_by_text("Please sign in to continue.")).to_be_visible()
    _submit(page, "teacher")
    _signed_in(page, "teacher")
    assert page.url == gradebook


@classroom
def test_two_sign_in_forms_open_at_once_both_work(context: BrowserContext, server: Server) -> None:
    """Two links opened signed out (two tabs, two forms): signing in on the first still works."""
    first, second = context.new_page(), context.new_page()
    first.goto(f"{server.url}/study")
    _form(first)
    second.goto(f"{server.url}/stats")
    _form(second)
    _submit(first, "ada")
    refused = first.get_by_role("alert")
    signed_in = first.get_by_text(re.compile("Signed in as Ada Lovelace"))
    expect(refused.or_(signed_in).first).to_be_visible(timeout=TIMEOUT)
    assert not refused.count(), f"the first form was refused: {refused.first.inner_text()}"
    assert first.url == f"{server.url}/study"


@classroom
def test_a_cross_site_sign_in_post_is_refused(server: Server) -> None:
    """A page elsewhere cannot sign a browser in (login CSRF), even with a valid CSRF pair."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        form = client.get("/study")
        assert form.status_code == 200
        csrf = client.cookies.get(CSRF_COOKIE, path="/")
        field = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', form.text)
        assert csrf and field and field[1] == csrf
        fields = {"username": "ada", "password": PASSWORDS["ada"], "next": "/", CSRF_FIELD: csrf}
        refused = client.post(SIGN_IN_PATH, data=fields, headers={"Origin": "http://evil.example"})
        assert refused.status_code == 403
        assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
        assert client.cookies.get(SESSION_COOKIE) is None
        assert _session_rows(server.database, "ada") == 0

        client.cookies.set(CSRF_COOKIE, csrf, path="/")  # the same pair, from this site
        accepted = client.post(SIGN_IN_PATH, data=fields, headers={"Origin": server.url})
        assert accepted.status_code == 303 and accepted.headers["location"] == "/"
        assert client.cookies.get(SESSION_COOKIE)
        assert _session_rows(server.database, "ada") == 1
