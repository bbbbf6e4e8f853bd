"""Classroom mode in a real Chromium: an instructor sets an assignment, a student completes it
(one wrong attempt, then a right one), the instructor reads the score and downloads the CSV;
and a student who types an instructor page's URL gets nothing from it.

Signing in is the HTTP form that any page of the app shows a browser without a session
(``quiz.web.sign_in``); tests/browser/test_cookie_sign_in_browser.py tests it in depth."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from quiz.benchmarks.server import running_app
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.services.assignments import variant
from quiz.store.models import Assignment, User
from quiz.store.server_secret import session_secret

pytestmark = pytest.mark.browser

PASSWORDS = {"teacher": "teacher-secret-1", "student": "student-secret-1"}


@pytest.fixture
def classroom(chromium_path: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A classroom server with one instructor and one student; yields (URL, database URL)."""
    data = tmp_path / "data"
    data.mkdir()
    database = f"sqlite:///{data / 'stride.db'}"
    stride = Stride.open(database)
    with stride.transaction() as session:
        for name, role in (("teacher", "instructor"), ("student", "student")):
            create_user(session, COMMAND_LINE, name, role, PASSWORDS[name], utc_now())
    stride.close()
    log = str(tmp_path / "streamlit.log")
    with running_app(str(data), env={"STRIDE_AUTH": "password"}, log=log) as url:
        yield url, database


def _sign_in(page: Page, url: str, username: str) -> None:
    """Open the app signed out (the sign-in form), sign in, and wait for Home."""
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in to Stride")).to_be_visible(timeout=30_000)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(re.compile(f"Signed in as {username}"))).to_be_visible(timeout=30_000)


def _go(page: Page, link: str, heading: str) -> None:
    page.get_by_role("link", name=link, exact=True).first.click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=30_000)


def _answers(database: str) -> tuple[int, str, str]:
    """The assignment id, and a wrong and the right answer for the student's attempts 1 and 2."""
    stride = Stride.open(database, load_builtin=False)
    with stride.transaction() as session:
        assignment = session.scalars(select(Assignment)).one()
        student = session.scalar(select(User.id).where(User.username == "student"))
        item = assignment.items[0]
        secret = session_secret(session)
        first = variant(item, assignment.mode, student, 1, secret)
        second = variant(item, assignment.mode, student, 2, secret)
        assignment_id = assignment.id
    stride.close()
    wrong = "1 x 1 x 1" if first.answer != "1 x 1 x 1" else "2 x 2 x 2"
    return assignment_id, wrong, second.answer


def test_assignment_from_creation_to_gradebook_csv(
    browser: Browser, classroom: tuple[str, str], screenshot_dir: Path, tmp_path: Path
) -> None:
    url, database = classroom
    teacher = browser.new_page(viewport={"width": 1200, "height": 1000})
    _sign_in(teacher, url, "teacher")
    _go(teacher, "Assignments", "Assignments")
    teacher.get_by_role("textbox", name="Title").fill("Week 1: output sizes")
    teacher.get_by_role("button", name="Create assignment").click()
    expect(teacher.get_by_text("Week 1: output sizes").first).to_be_visible()
    teacher.screenshot(path=screenshot_dir / "classroom-assignments-instructor.png", full_page=True)

    assignment_id, wrong, right = _answers(database)
    student = browser.new_page(viewport={"width": 1100, "height": 1000})
    _sign_in(student, url, "student")
    _go(student, "Assignments", "Assignments")
    student.get_by_role("button", name="Open").first.click()
    expect(student.get_by_role("heading", name="Week 1: output sizes")).to_be_visible()
    box = student.get_by_role("textbox", name="Your answer")
    box.fill(wrong)
    student.get_by_role("button", name="Submit").click()
    expect(student.get_by_text(re.compile(r"attempt 1 of 3: score 0%"))).to_be_visible()
    expect(student.get_by_text(re.compile(r"Incorrect|Not quite")).first).to_be_visible()
    student.get_by_role("textbox", name="Your answer").fill(right)
    student.get_by_role("button", name="Submit").click()
    expect(student.get_by_text(re.compile(r"attempt 2 of 3: correct"))).to_be_visible()
    expect(student.get_by_text("Done.")).to_be_visible()
    expect(student.get_by_role("button", name="Submit")).to_have_count(0)  # no attempt left open
    assert "\\[" not in student.get_by_role("main").inner_text()
    student.screenshot(path=screenshot_dir / "classroom-assignment-student.png", full_page=True)

    _go(teacher, "Gradebook", "Gradebook")
    expect(teacher.get_by_text(re.compile(r"1 students"))).to_be_visible()
    expect(teacher.locator(".js-plotly-plot").first).to_be_visible()
    with teacher.expect_download() as download_info:
        teacher.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / "grades.csv"
    download_info.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("username,display_name,item 1")
    assert lines[1].startswith("student,") and lines[1].endswith(",1,1")
    teacher.screenshot(path=screenshot_dir / "classroom-gradebook.png", full_page=True)
    assert assignment_id > 0


def test_a_student_cannot_open_instructor_pages(
    page: Page, classroom: tuple[str, str], screenshot_dir: Path
) -> None:
    url, _database = classroom
    _sign_in(page, url, "student")
    expect(page.get_by_role("link", name="Gradebook")).to_have_count(0)
    for path in ("gradebook", "people", "gradebook?assignment=1"):
        page.goto(f"{url}/{path}")  # a reload keeps the sign-in: the page itself refuses
        expect(page.get_by_text("This page is for instructors.")).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile("Signed in as student"))).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
        expect(page.get_by_role("heading", name="Gradebook")).to_have_count(0)
        expect(page.get_by_role("heading", name="People")).to_have_count(0)
        expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "classroom-student-instructor-url.png", full_page=True)
