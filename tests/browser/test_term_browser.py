"""A term in miniature, in a real Chromium (issue 16): an assignment created from a file, two
students working, the due time moved, one student extended, the other answering late with the
penalty, scores released on a date, an override with a reason, and the Canvas export.

The assignment file and the moves of the due time and the release date go through the ``stride``
command (how a scripted course does them); everything else through the pages a teacher and
students use.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from quiz.benchmarks.server import running_app
from quiz.exercises.base import answer_value, relevant_mistakes
from quiz.exercises.registry import get_family
from quiz.grading import format_answer
from quiz.runtime import Stride
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.services.assignments import variant
from quiz.store.models import Assignment, AssignmentAudit, User
from quiz.store.server_secret import session_secret

pytestmark = pytest.mark.browser

PASSWORD = "term-secret-1"
PEOPLE = (
    ("teacher", "instructor", "", ""),
    ("ada", "student", "ada@school.edu", "A"),
    ("ben", "student", "ben@school.edu", "B"),
)
RELEASE_DELAY = timedelta(seconds=5)
"""Once the late answers are in, the release date moves to this far ahead (it was days away):
the test then waits for that date, not for a date chosen at the start to fall after every step
before it (75 s, most of it spent waiting)."""


@dataclass
class Term:
    url: str
    database: str
    data_dir: Path
    started: datetime


@pytest.fixture
def term(chromium_path: str, tmp_path: Path) -> Iterator[Term]:
    data = tmp_path / "data"
    data.mkdir()
    database = f"sqlite:///{data / 'stride.db'}"
    stride = Stride.open(database)
    now = datetime.now(UTC)
    with stride.transaction() as session:
        for name, role, email, section in PEOPLE:
            create_user(
                session, COMMAND_LINE, name, role, PASSWORD, now, email=email, section=section
            )
    stride.close()
    log = str(tmp_path / "streamlit.log")
    with running_app(str(data), env={"STRIDE_AUTH": "password"}, log=log) as url:
        yield Term(url, database, data, now)


def _stride(term: Term, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``stride ARGS`` on the term's database, as a teacher's script would."""
    env = {**os.environ, "STRIDE_DATA_DIR": str(term.data_dir)}
    env.pop("STRIDE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "quiz.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in to Stride")).to_be_visible(timeout=30_000)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(re.compile(f"Signed in as {username}"))).to_be_visible(timeout=30_000)


def _answer(term: Term, username: str, attempt: int, right: bool) -> str:
    """The right answer of ``username``'s variant at ``attempt`` (homework: one per attempt),
    or a wrong one."""
    stride = Stride.open(term.database, load_builtin=False)
    with stride.transaction() as session:
        assignment = session.scalars(select(Assignment)).one()
        user_id = session.scalar(select(User.id).where(User.username == username))
        assert user_id is not None
        exercise = variant(
            assignment.items[0], assignment.mode, user_id, attempt, session_secret(session)
        )
    stride.close()
    if right:
        return exercise.answer
    mistake = relevant_mistakes(get_family(exercise.family), exercise)[0]
    return format_answer(exercise.answer_kind, answer_value(exercise.answer_kind, mistake.answer))


def _open_assignment(page: Page, title: str) -> None:
    page.get_by_role("link", name="Assignments", exact=True).first.click()
    expect(page.get_by_role("heading", name="Assignments").first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Open").first.click()
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=30_000)


def _submit(page: Page, answer: str) -> None:
    page.get_by_role("textbox", name="Your answer").fill(answer)
    page.get_by_role("button", name="Submit").click()


def _choose(page: Page, box: Locator, option: str) -> None:
    """Pick ``option`` in a Streamlit selectbox (again if a rerun redrew it meanwhile)."""
    choice = page.get_by_role("option", name=re.compile(re.escape(option))).first
    for _ in range(3):
        box.click()
        try:
            choice.click(timeout=5_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"no option {option!r} in the selectbox")


def _tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_a_term_in_miniature(
    browser: Browser, term: Term, screenshot_dir: Path, tmp_path: Path
) -> None:
    release_at = term.started + timedelta(days=2)  # after the due time: moved below
    file = tmp_path / "week3.toml"
    file.write_text(
        f"""title = "Week 3: output sizes"
mode = "homework"
opens = {_iso(term.started - timedelta(days=1))}
due = {_iso(term.started + timedelta(days=1))}
attempts = 3
items = ["conv-output-size:1:2"]

[late]
until = {_iso(term.started + timedelta(days=3))}
penalty = 0.2

[release]
scores = "on_date"
scores_at = {_iso(release_at)}
answers = "on_date"
answers_at = {_iso(release_at)}
""",
        encoding="utf-8",
    )
    created = _stride(term, "assignment", "create", str(file))
    assert created.returncode == 0, created.stderr
    assert "created assignment 1" in created.stdout

    # Two students work before the due time: scores are not released yet.
    ada = browser.new_page(viewport={"width": 1100, "height": 1100})
    _sign_in(ada, term.url, "ada")
    _open_assignment(ada, "Week 3: output sizes")
    _submit(ada, _answer(term, "ada", 1, right=False))
    expect(ada.get_by_text("Answer recorded, attempt 1 of 3.")).to_be_visible(timeout=30_000)
    expect(ada.get_by_text(re.compile("Scores and worked solutions are shown on"))).to_be_visible()
    ben = browser.new_page(viewport={"width": 1100, "height": 1100})
    _sign_in(ben, term.url, "ben")
    _open_assignment(ben, "Week 3: output sizes")
    _submit(ben, _answer(term, "ben", 1, right=False))
    expect(ben.get_by_text("Answer recorded, attempt 1 of 3.")).to_be_visible(timeout=30_000)

    # The teacher moves the due time into the past (the late window keeps its end).
    moved = _stride(
        term, "assignment", "edit", "1", "--due", _iso(datetime.now(UTC) - timedelta(minutes=5))
    )
    assert moved.returncode == 0, moved.stderr
    assert "due:" in moved.stdout

    # ... and gives ben an extension on the Gradebook's Extensions tab.
    teacher = browser.new_page(viewport={"width": 1300, "height": 1200})
    _sign_in(teacher, term.url, "teacher")
    teacher.get_by_role("link", name="Gradebook", exact=True).first.click()
    expect(teacher.get_by_role("heading", name="Gradebook").first).to_be_visible(timeout=30_000)
    _tab(teacher, "Extensions")
    form = teacher.locator('[data-testid="stForm"]').filter(has_text="Give an extension")
    _choose(teacher, form.get_by_role("combobox").first, "ben")
    form.get_by_label("Reason (kept in the audit log)").fill("medical certificate")
    form.get_by_role("button", name="Give extension").click()
    expect(teacher.get_by_text("Extension given.").first).to_be_visible(timeout=30_000)
    teacher.screenshot(path=screenshot_dir / "term-extensions.png", full_page=True)

    # ben answers on time (his extension); ada answers late: 20 % off.
    ben.reload()
    expect(ben.get_by_text(re.compile("you have an extension to"))).to_be_visible(timeout=30_000)
    _submit(ben, _answer(term, "ben", 2, right=True))
    expect(ben.get_by_text("Answer recorded, attempt 2 of 3.")).to_be_visible(timeout=30_000)
    ada.reload()
    expect(ada.get_by_text(re.compile("answers now count as late"))).to_be_visible(timeout=30_000)
    _submit(ada, _answer(term, "ada", 2, right=True))
    expect(ada.get_by_text("Answer recorded, attempt 2 of 3, late (20% off).")).to_be_visible(
        timeout=30_000
    )

    # The teacher moves the release date to a few seconds from now; on that date the scores are
    # released without anyone acting: ada sees 80 % of 2 points.
    ada.reload()
    expect(ada.get_by_text(re.compile("Scores and worked solutions are shown on"))).to_be_visible(
        timeout=30_000
    )
    release_at = (datetime.now(UTC) + RELEASE_DELAY).replace(microsecond=0)
    at = _iso(release_at)
    moved = _stride(term, "assignment", "edit", "1", "--scores-at", at, "--answers-at", at)
    assert moved.returncode == 0, moved.stderr
    assert "scores release date:" in moved.stdout
    wait = (release_at - datetime.now(UTC)).total_seconds()
    if wait > 0:
        time.sleep(wait + 1)
    ada.reload()
    expect(ada.get_by_text("1.6 / 2")).to_be_visible(timeout=30_000)
    ada.get_by_text(re.compile(r"Your attempts \(2\)")).click()
    expect(ada.get_by_text(re.compile(r"Attempt 2 · .* · late"))).to_be_visible()
    assert "\\[" not in ada.get_by_role("main").inner_text()
    ada.screenshot(path=screenshot_dir / "term-student-late.png", full_page=True)
    ben.reload()
    expect(ben.get_by_text("2 / 2")).to_be_visible(timeout=30_000)

    # The teacher overrides ada's score with a reason; the audit log keeps it.
    teacher.reload()
    expect(teacher.get_by_role("heading", name="Gradebook").first).to_be_visible(timeout=30_000)
    _tab(teacher, "Grades")
    override = teacher.locator('[data-testid="stForm"]').filter(has_text="Save override")
    expect(override).to_be_visible(timeout=30_000)
    _choose(teacher, override.get_by_role("combobox").first, "ada")
    override.get_by_label("Points").fill("2")
    override.get_by_label("Reason (required; kept in the audit log)").fill(
        "the network failed before the due time"
    )
    override.get_by_role("button", name="Save override").click()
    expect(teacher.get_by_text("Score overridden.").first).to_be_visible(timeout=30_000)
    expect(
        teacher.get_by_text(re.compile(r"ada, item 1: 1\.6 \(computed\) → 2 \(override\)"))
    ).to_be_visible()
    teacher.screenshot(path=screenshot_dir / "term-gradebook.png", full_page=True)
    with teacher.expect_download() as download:
        teacher.get_by_role("button", name=re.compile("Canvas")).click()
    saved = tmp_path / "canvas.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert rows[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Week 3: output sizes (1)",
    ]
    assert rows[1] == ["Points Possible", "", "", "", "", "2"]
    assert rows[2:] == [
        ["ada", "", "ada", "ada@school.edu", "A", "2"],
        ["ben", "", "ben", "ben@school.edu", "B", "2"],
    ]
    _tab(teacher, "Audit log")
    expect(teacher.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=30_000)
    teacher.screenshot(path=screenshot_dir / "term-audit.png", full_page=True)
    stride = Stride.open(term.database, load_builtin=False)
    with stride.transaction() as session:
        log = {
            (a.action, a.subject, a.old, a.new, a.reason)
            for a in session.scalars(select(AssignmentAudit))
        }
    stride.close()
    assert (
        "override",
        "ada, item 1",
        "1.6 (computed)",
        "2 (override)",
        "the network failed before the due time",
    ) in log
    assert any(
        entry[:2] == ("extension", "ben") and entry[4] == "medical certificate" for entry in log
    )
    assert any(entry[:2] == ("edit", "due") for entry in log)
    assert any(entry[:2] == ("edit", "scores release date") for entry in log)
