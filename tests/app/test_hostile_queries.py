"""Every page with hostile query strings (issue 14, item 8): no exception reaches the browser.

A URL is anyone's to write: ``/assignments?assignment=99999999999999999999`` used to show an
``OverflowError`` with its traceback. Each page is opened, in local mode and as signed-in accounts
in classroom mode, with every query parameter any page reads set to each hostile value — all at
once, and one at a time beside valid values — and must render (its title) without an exception
element. Pages read parameters through :mod:`quiz.ui.query` (the Playground through
:mod:`quiz.playground.query`, the Statistics tabs through Streamlit's own binding).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment
from quiz.store.models import User
from tests.app.signed_in import Cookies, start
from tests.support import REPO_ROOT

pytestmark = pytest.mark.slow  # every page under many hostile query strings

HOME = "quiz/ui/pages/home.py"
STUDY = "quiz/ui/pages/study.py"
PRACTICE = "quiz/ui/pages/practice.py"
ASSIGNMENTS = "quiz/ui/pages/assignments.py"
STATS = "quiz/ui/pages/stats.py"
DECKS = "quiz/ui/pages/decks.py"
PLAYGROUND = "quiz/ui/pages/playground.py"
GRADEBOOK = "quiz/ui/pages/gradebook.py"
PEOPLE = "quiz/ui/pages/people.py"
ACCOUNT = "quiz/ui/pages/account.py"

HOSTILE = (
    "99999999999999999999",  # past 64 bits: the OverflowError of the issue
    "2147483648",  # one past the largest id
    "-1",
    "0",
    "abc",
    "1e9",
    "1.5",
    "0x10",
    " 7",
    "²",  # str.isdigit() says yes, int() says no
    "١",  # an Arabic-Indic digit: int() reads it, an id is ASCII
    "%00",
    "\x00",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "x" * 10_000,
    "9" * 10_000,  # more digits than int() converts
)

PARAMETERS = {
    STUDY: ("deck",),
    PRACTICE: ("family", "seed", "difficulty"),
    ASSIGNMENTS: ("assignment",),
    GRADEBOOK: ("assignment",),
    STATS: ("stats_section",),
    PLAYGROUND: (
        *("kind", "h", "w", "k", "s", "p", "d", "cin", "cout"),
        *("tab", "img", "f", "m", "relu", "pool"),
    ),
}
"""Every query parameter each page reads (the others read none)."""
EVERY_PARAMETER = sorted({name for names in PARAMETERS.values() for name in names})
VALID = {"deck": "1", "family": "conv-output-size", "seed": "7", "difficulty": "2"}
"""Valid values beside which one hostile parameter is tried."""
TITLES = {
    HOME: "Stride",
    STUDY: "Study",
    PRACTICE: "Practice",
    ASSIGNMENTS: "Assignments",
    STATS: "Statistics",
    DECKS: "Decks",
    PLAYGROUND: "Playground",
    GRADEBOOK: "Gradebook",
    PEOPLE: "People",
    ACCOUNT: "Your account",
}


@pytest.fixture
def stride() -> Iterator[Stride]:
    """The database the app under test opens (the default one in the per-test data dir)."""
    app = Stride.open()
    yield app
    app.close()


@pytest.fixture(autouse=True)
def cookies(monkeypatch: pytest.MonkeyPatch) -> Cookies:
    return Cookies(monkeypatch)


def _assignment(stride: Stride, author: Actor | None = None) -> int:
    now = utc_now()
    spec = AssignmentSpec(
        title="Week 1",
        instructions="",
        mode="homework",
        opens_at=now,
        due_at=now.replace(year=now.year + 1),
        max_attempts=2,
        items=[ItemSpec("conv-output-size", 2)],
    )
    with stride.transaction() as session:
        return create_assignment(session, author or stride.local_actor, spec, now)


def _open(at: AppTest, page: str, query: dict[str, str]) -> None:
    """Open ``page`` at ``?query`` and check it rendered without an exception."""
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(page).run()
    shown = f"{page}?{ {k: v[:30] for k, v in query.items()} }"
    assert not at.exception, f"{shown}: {at.exception[0].value if at.exception else ''}"
    titles = [t.value for t in at.title]
    if page == ASSIGNMENTS:  # the list, an assignment (titled by itself) or a plain message
        assert titles or at.error, f"{shown}: nothing rendered"
    else:
        assert TITLES[page] in titles, f"{shown}: {titles}"


def _hostile_visits(at: AppTest, pages: list[str]) -> None:
    for page in pages:
        for value in HOSTILE:
            _open(at, page, dict.fromkeys(EVERY_PARAMETER, value))  # all at once
            for name in PARAMETERS.get(page, ()):
                if name in VALID or page in (ASSIGNMENTS, GRADEBOOK):
                    _open(at, page, {**VALID, name: value})  # one, beside valid ones


def test_local_pages_survive_hostile_query_strings(stride: Stride) -> None:
    _assignment(stride)
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    pages = [HOME, STUDY, PRACTICE, ASSIGNMENTS, STATS, DECKS, PLAYGROUND, GRADEBOOK]
    _hostile_visits(at, pages)


def test_a_hostile_assignment_id_gets_a_plain_message(stride: Stride) -> None:
    _assignment(stride)
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.run()
    for value in ("99999999999999999999", "-1", "abc", "²", "\x00"):
        _open(at, ASSIGNMENTS, {"assignment": value})
        assert [e.value for e in at.error] == [
            "This assignment does not exist or was not given to you."
        ]


def test_classroom_pages_survive_hostile_query_strings(
    stride: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_AUTH", "password")
    now = utc_now()
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "teacher", "instructor", "teacher-pass-1", now)
        create_user(session, COMMAND_LINE, "ada", "student", "student-pass-1", now)
        teacher = Actor.of(session.scalars(select(User).where(User.username == "teacher")).one())
    _assignment(stride, teacher)
    for username, pages in (
        ("teacher", [ASSIGNMENTS, GRADEBOOK, PEOPLE, ACCOUNT]),
        ("ada", [STUDY, PRACTICE, ASSIGNMENTS, ACCOUNT]),
    ):
        at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
        cookies.give(at, start(stride, username))
        at.run()
        assert not at.exception
        _hostile_visits(at, pages)
