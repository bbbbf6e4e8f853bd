"""AppTest for classroom mode: the sign-in page, the navigation per role, the account page,
sign-out, lockout, and the People page; and that local mode has no sign-in at all.

The services are unit-tested (test_sign_in, test_accounts); these tests check what a browser
session sees and can reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import streamlit as st
from argon2 import PasswordHasher
from sqlalchemy import func, select
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto
from streamlit.testing.v1 import AppTest

import quiz.services.passwords as passwords
from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user, set_active
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment
from quiz.services.sign_in import WRONG_CREDENTIALS, resume_session, sign_in, start_session
from quiz.store.models import AuthSession, User
from quiz.ui.session import TOKEN_KEY
from tests.support import REPO_ROOT

AUTH = AuthSettings(mode="password")
HOME = "quiz/ui/pages/home.py"
ACCOUNT = "quiz/ui/pages/account.py"
PEOPLE = "quiz/ui/pages/people.py"
GRADEBOOK = "quiz/ui/pages/gradebook.py"
SIGN_IN = "quiz/ui/pages/sign_in.py"
SIGN_IN_TITLE = "Sign in to Stride"
TEACHER_PASSWORD = "teacher's long password"
ADA_PASSWORD = "ada's long password"
BOB_PASSWORD = "bob's long password"
NEW_PASSWORD = "a brand new password"
ONE_TIME = re.compile(r"[a-km-z2-9]{4}(?:-[a-km-z2-9]{4}){3}")
ACCOUNT_LOCKED = "Too many failed sign-ins for this account: try again in 15 minutes."


class CountingHasher(PasswordHasher):
    """Cheap argon2id parameters that count the password checks (each costs a hash)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    """Fast hashing for every test (test_passwords checks the real parameters)."""
    counting = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", counting)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", counting.hash("dummy password for timing"))
    return counting


@pytest.fixture(autouse=True)
def client_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest's mock runtime answers ``st.context.ip_address`` with a MagicMock, which the
    throttle cannot store; a real server gives a string. Give the page a fixed address."""
    monkeypatch.setattr("quiz.ui.session.client_address", lambda: "198.51.100.7")


@pytest.fixture
def menus(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, list[str]]]:
    """Every navigation the app builds, as ``{section: [page titles]}`` (``""``: no sections)."""
    built: list[dict[str, list[str]]] = []
    real = st.navigation

    def spy(pages: Any, **kwargs: Any) -> Any:
        sections = pages if isinstance(pages, dict) else {"": pages}
        built.append({name: [page.title for page in group] for name, group in sections.items()})
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


def _app() -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _token(stride: Stride, username: str) -> str:
    """A session for ``username`` started by the service, as the sign-in page does."""
    with stride.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return start_session(session, user, "test", utc_now(), AUTH)


def _signed_in(stride: Stride, username: str) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.session_state[TOKEN_KEY] = _token(stride, username)
    at.run()
    assert not at.exception
    return at


def _field(at: AppTest, label: str) -> Any:
    return next(t for t in at.text_input if t.label == label)


def _button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def _submit_sign_in(at: AppTest, username: str, password: str) -> AppTest:
    _field(at, "Username").input(username)
    _field(at, "Password").input(password)
    _button(at, "Sign in").click().run()
    assert not at.exception
    return at


def _texts(at: AppTest) -> str:
    parts: list[Any] = [e.value for e in at.title] + [e.value for e in at.markdown]
    for elements in (at.caption, at.error, at.warning, at.info, at.success, at.subheader):
        parts += [e.value for e in elements]
    return "\n".join(str(p) for p in parts)


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def _sidebar(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.sidebar.caption)


def _pages(menu: dict[str, list[str]]) -> list[str]:
    return [title for group in menu.values() for title in group]


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


# --- local mode -----------------------------------------------------------------------------------


def test_local_mode_has_no_sign_in(menus: list[dict[str, list[str]]]) -> None:
    at = _app()
    pages = _pages(menus[-1])
    assert "Home" in pages and "Gradebook" in pages
    assert "Sign in" not in pages and "People" not in pages and "Your account" not in pages
    assert SIGN_IN_TITLE not in _titles(at)
    assert "Signed in as" not in _sidebar(at)
    assert not [b for b in at.sidebar.button if b.label == "Sign out"]
    with pytest.raises(ValueError):
        at.switch_page(SIGN_IN)
    at.switch_page(GRADEBOOK).run()
    assert not at.exception and "Gradebook" in _titles(at)


# --- signing in -----------------------------------------------------------------------------------


def test_classroom_mode_shows_only_the_sign_in_page(
    classroom: Stride, menus: list[dict[str, list[str]]]
) -> None:
    at = _app()
    assert menus[-1] == {"": ["Sign in"]}
    assert _titles(at) == [SIGN_IN_TITLE]
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert _field(at, "Password").proto.type == TextInputProto.PASSWORD
    assert "Signed in as" not in _sidebar(at)
    for page in (HOME, ACCOUNT, PEOPLE, GRADEBOOK):
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_a_forged_token_or_query_does_not_get_past_the_sign_in_page(
    classroom: Stride, menus: list[dict[str, list[str]]]
) -> None:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.session_state[TOKEN_KEY] = "not-a-real-token"
    at.session_state["role"] = "instructor"
    at.query_params["assignment"] = "1"
    at.run()
    assert not at.exception
    assert menus[-1] == {"": ["Sign in"]}
    assert _titles(at) == [SIGN_IN_TITLE]
    assert TOKEN_KEY not in at.session_state


def test_both_fields_are_needed(classroom: Stride) -> None:
    at = _submit_sign_in(_app(), "ada", "")
    assert [e.value for e in at.error] == ["Enter your username and your password."]
    at = _submit_sign_in(_app(), "   ", ADA_PASSWORD)
    assert [e.value for e in at.error] == ["Enter your username and your password."]


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(
    classroom: Stride, menus: list[dict[str, list[str]]]
) -> None:
    with classroom.transaction() as session:
        bob = session.scalar(select(User.id).where(User.username == "bob"))
        set_active(session, COMMAND_LINE, bob, False)
    screens = []
    for username, password in (
        ("ada", "wrong password!"),
        ("nobody", "wrong password!"),
        ("bob", BOB_PASSWORD),  # deactivated
    ):
        at = _submit_sign_in(_app(), username, password)
        assert _titles(at) == [SIGN_IN_TITLE]
        assert menus[-1] == {"": ["Sign in"]}
        assert TOKEN_KEY not in at.session_state
        screens.append(([e.value for e in at.error], _texts(at)))
    assert screens[0][0] == [WRONG_CREDENTIALS]
    assert screens[0] == screens[1] == screens[2]
    assert _session_rows(classroom, "ada") == 0


@pytest.mark.parametrize("username", ["nobody", "bob"])
def test_an_unknown_or_deactivated_user_costs_a_password_check(
    classroom: Stride, hasher: CountingHasher, username: str
) -> None:
    """BUG: ``quiz.services.sign_in.sign_in`` short-circuits ``user is None or not user.active
    or not verify_password(...)``, so for an unknown username (or a deactivated account) no
    argon2 check runs at all. A wrong name answers in microseconds, a wrong password after a
    full argon2id hash (tens of milliseconds with the real parameters): the response time tells
    which usernames exist, although the message is the same. passwords.py promises "an unknown
    username is checked against a dummy hash so a wrong name costs as long as a wrong password"
    — ``verify_password(None, password)`` does that, but sign_in never calls it."""
    with classroom.transaction() as session:
        bob = session.scalar(select(User.id).where(User.username == "bob"))
        set_active(session, COMMAND_LINE, bob, False)
    at = _app()
    hasher.verifications = 0
    _submit_sign_in(at, "ada", "wrong password!")
    assert hasher.verifications == 1  # a known name with a wrong password: one argon2 check

    hasher.verifications = 0
    at = _submit_sign_in(_app(), username, "wrong password!")
    assert [e.value for e in at.error] == [WRONG_CREDENTIALS]
    assert hasher.verifications == 1, f"{username!r} was refused without a password check"


def test_a_student_signs_in_and_sees_the_learning_pages_only(
    classroom: Stride, menus: list[dict[str, list[str]]]
) -> None:
    at = _submit_sign_in(_app(), "  ADA ", ADA_PASSWORD)
    assert not at.error
    assert SIGN_IN_TITLE not in _titles(at)
    assert "Signed in as **Ada Lovelace** · student" in _sidebar(at)
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    menu = menus[-1]
    assert list(menu) == ["Learn", "Library", "Account"]
    assert "Home" in menu["Learn"] and menu["Account"] == ["Your account"]
    assert "Gradebook" not in _pages(menu) and "People" not in _pages(menu)
    assert "Sign in" not in _pages(menu)
    assert at.session_state[TOKEN_KEY] and _session_rows(classroom, "ada") == 1
    for page in (PEOPLE, GRADEBOOK):
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_an_instructor_signs_in_and_has_gradebook_and_people(
    classroom: Stride, menus: list[dict[str, list[str]]]
) -> None:
    at = _submit_sign_in(_app(), "teacher", TEACHER_PASSWORD)
    assert "Signed in as **Tess Teacher** · instructor" in _sidebar(at)
    menu = menus[-1]
    assert list(menu) == ["Learn", "Library", "Teach", "Account"]
    assert menu["Teach"] == ["Gradebook", "People"]
    at.switch_page(PEOPLE).run()
    assert not at.exception
    assert _titles(at) == ["People"]
    assert list(at.dataframe[0].value["Username"]) == ["ada", "bob", "teacher"]
    at.switch_page(GRADEBOOK).run()
    assert not at.exception and _titles(at) == ["Gradebook"]


def test_a_name_without_a_display_name_shows_the_username(classroom: Stride) -> None:
    at = _submit_sign_in(_app(), "bob", BOB_PASSWORD)
    assert "Signed in as **bob** · student" in _sidebar(at)


# --- one-time passwords and the account page ------------------------------------------------------


def test_a_one_time_password_leads_only_to_the_account_page_until_changed(
    classroom: Stride, menus: list[dict[str, list[str]]]
) -> None:
    one_time = passwords.generate_password()
    with classroom.transaction() as session:
        create_user(session, COMMAND_LINE, "cid", "student", one_time, utc_now(), one_time=True)
    at = _submit_sign_in(_app(), "cid", one_time)
    assert menus[-1] == {"": ["Your account"]}
    assert _titles(at) == ["Your account"]
    assert "one-time password" in _texts(at)
    assert [t.label for t in at.text_input] == ["New password", "New password again"]
    for page in (HOME, PEOPLE, GRADEBOOK):
        with pytest.raises(ValueError):
            at.switch_page(page)

    _field(at, "New password").input(NEW_PASSWORD)
    _field(at, "New password again").input(NEW_PASSWORD + "!")
    _button(at, "Change password").click().run()
    assert "The two new passwords differ" in _texts(at)
    assert menus[-1] == {"": ["Your account"]}

    _field(at, "New password").input("short")
    _field(at, "New password again").input("short")
    _button(at, "Change password").click().run()
    assert "at least 10 characters" in _texts(at)
    assert menus[-1] == {"": ["Your account"]}

    _field(at, "New password").input(NEW_PASSWORD)
    _field(at, "New password again").input(NEW_PASSWORD)
    _button(at, "Change password").click().run()
    assert not at.exception and not at.error
    assert list(menus[-1]) == ["Learn", "Library", "Account"]
    assert any("password was changed" in t.value for t in at.toast)
    assert not _user(classroom, "cid").must_change_password
    assert _session_rows(classroom, "cid") == 1  # this session kept
    at.switch_page(HOME).run()
    assert not at.exception and SIGN_IN_TITLE not in _titles(at)
    assert not _can_sign_in(classroom, "cid", one_time)
    assert _can_sign_in(classroom, "cid", NEW_PASSWORD)


def test_the_account_page_changes_a_password_with_the_current_one(classroom: Stride) -> None:
    at = _signed_in(classroom, "ada")
    other = _token(classroom, "ada")  # another browser
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
    with classroom.transaction() as session:
        assert resume_session(session, other, utc_now(), AUTH) is None  # other browser out
    assert SIGN_IN_TITLE not in _titles(at.run())  # this one stays in


# --- signing out ----------------------------------------------------------------------------------


def test_sign_out_returns_to_the_sign_in_page(
    classroom: Stride, menus: list[dict[str, list[str]]]
) -> None:
    at = _submit_sign_in(_app(), "ada", ADA_PASSWORD)
    token = at.session_state[TOKEN_KEY]
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert not at.exception
    assert _titles(at) == [SIGN_IN_TITLE]
    assert menus[-1] == {"": ["Sign in"]}
    assert TOKEN_KEY not in at.session_state
    assert _session_rows(classroom, "ada") == 0

    at.session_state[TOKEN_KEY] = token  # the old token is dead
    at.run()
    assert _titles(at) == [SIGN_IN_TITLE]


def test_a_session_ended_elsewhere_falls_back_to_sign_in(classroom: Stride) -> None:
    at = _signed_in(classroom, "ada")
    with classroom.transaction() as session:
        ada = session.scalar(select(User.id).where(User.username == "ada"))
        set_active(session, COMMAND_LINE, ada, False)
    at.run()
    assert not at.exception
    assert _titles(at) == [SIGN_IN_TITLE]


def test_a_page_run_reads_the_sign_in_once(
    classroom: Stride, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The navigation and the page share one check of the session per run (it was read twice);
    the next run reads it again, so a session ended meanwhile is noticed at once."""
    import quiz.ui.session as ui_session

    reads: list[str] = []
    real = ui_session.resume_session

    def counting(*args: Any, **kwargs: Any) -> Any:
        reads.append("read")
        return real(*args, **kwargs)

    monkeypatch.setattr(ui_session, "resume_session", counting)
    at = _signed_in(classroom, "ada")
    assert len(reads) == 1
    at.switch_page("quiz/ui/pages/study.py").run()
    assert not at.exception and len(reads) == 2
    with classroom.transaction() as session:
        ada = session.scalar(select(User.id).where(User.username == "ada"))
        set_active(session, COMMAND_LINE, ada, False)
    at.run()
    assert len(reads) == 3 and _titles(at) == [SIGN_IN_TITLE]


# --- lockout --------------------------------------------------------------------------------------


def test_repeated_failures_lock_the_account(
    classroom: Stride, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_LOCKOUT_FAILURES", "3")  # read when the app opens the database
    messages = []
    for _ in range(3):
        at = _submit_sign_in(_app(), "ada", "wrong password!")
        messages.append([e.value for e in at.error])
    assert messages[:2] == [[WRONG_CREDENTIALS], [WRONG_CREDENTIALS]]
    assert messages[2] == [f"{WRONG_CREDENTIALS} {ACCOUNT_LOCKED}"]

    at = _submit_sign_in(_app(), "ada", ADA_PASSWORD)  # the right password, while locked
    assert [e.value for e in at.error] == [ACCOUNT_LOCKED]
    assert _titles(at) == [SIGN_IN_TITLE]
    assert TOKEN_KEY not in at.session_state
    assert _session_rows(classroom, "ada") == 0


# --- the People page ------------------------------------------------------------------------------


def test_an_instructor_resets_a_students_password(classroom: Stride) -> None:
    ada_browser = _signed_in(classroom, "ada")
    at = _signed_in(classroom, "teacher")
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
    assert _titles(ada_browser) == [SIGN_IN_TITLE]  # signed out everywhere
    assert not _can_sign_in(classroom, "ada", ADA_PASSWORD)
    assert _user(classroom, "ada").must_change_password
    assert _can_sign_in(classroom, "ada", shown)
    state = at.dataframe[0].value.set_index("Username")["State"]
    assert state["ada"] == "one-time password"


def test_an_instructor_adds_a_student(classroom: Stride, menus: list[dict[str, list[str]]]) -> None:
    at = _signed_in(classroom, "teacher")
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

    student = _submit_sign_in(_app(), "dan.brown", shown)
    assert menus[-1] == {"": ["Your account"]}
    assert _titles(student) == ["Your account"]


@pytest.mark.parametrize(
    ("username", "reason"), [("bad name", "not a valid username"), ("ada", "is taken")]
)
def test_a_refused_new_account_says_why_and_shows_no_password(
    classroom: Stride, username: str, reason: str
) -> None:
    at = _signed_in(classroom, "teacher")
    at.switch_page(PEOPLE).run()
    _field(at, "Username").input(username)
    _button(at, "Add student").click().run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("No account was created") and reason in error
    assert not at.code
    with classroom.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 4  # local + 3


def test_an_instructor_deactivates_a_signed_in_student(classroom: Stride) -> None:
    ada_browser = _signed_in(classroom, "ada")
    at = _signed_in(classroom, "teacher")
    at.switch_page(PEOPLE).run()
    at.selectbox(key="people_student").set_value(_user(classroom, "ada").id).run()
    at.button(key="people_toggle").click().run()
    assert not at.exception
    assert not _user(classroom, "ada").active
    ada_browser.run()
    assert _titles(ada_browser) == [SIGN_IN_TITLE]
    assert not _can_sign_in(classroom, "ada", ADA_PASSWORD)
    assert at.button(key="people_toggle").label == "Activate"


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
def test_a_student_cannot_reach_people_or_gradebook_by_url_or_state(
    classroom: Stride, page: str
) -> None:
    """A browser tab that knows the teaching pages' addresses (an instructor used it), now
    signed in as a student with the pages' session state and query parameters planted."""
    assignment = _assignment(classroom)
    at = _signed_in(classroom, "teacher")
    at.switch_page(page).run()
    assert _teaching_content(at)
    at.switch_page(HOME).run()

    at.session_state[TOKEN_KEY] = _token(classroom, "ada")
    at.session_state["people_student"] = _user(classroom, "bob").id
    at.session_state["gradebook_assignment"] = assignment
    at.session_state["people_password"] = ("bob", "planted-password")
    at.query_params["assignment"] = str(assignment)
    at.switch_page(page).run()  # the address is still known from the instructor's run
    assert not at.exception
    assert _titles(at) == ["Stride"]  # the student's default page, Home
    assert _teaching_content(at) == []
    assert "Signed in as **Ada Lovelace** · student" in _sidebar(at)
    assert "bob" not in _texts(at) and not at.code


@pytest.mark.parametrize("page", [PEOPLE, GRADEBOOK])
@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("ada", "This page is for instructors."),
        ("cid", "Please sign in first."),  # a one-time password not yet replaced
        (None, "Please sign in first."),
    ],
)
def test_the_teaching_pages_refuse_anyone_but_an_instructor_themselves(
    classroom: Stride, page: str, who: str | None, message: str
) -> None:
    """Even run directly (as if the navigation had let it through), the page checks the role."""
    _assignment(classroom)
    with classroom.transaction() as session:
        create_user(
            session, COMMAND_LINE, "cid", "student", "cid's one-time pw", utc_now(), one_time=True
        )
    at = AppTest.from_file(str(REPO_ROOT / page), default_timeout=60)
    if who is not None:
        at.session_state[TOKEN_KEY] = _token(classroom, who)
    at.run()
    assert not at.exception
    assert message in _texts(at)
    assert _teaching_content(at) == []
