"""AppTest for single sign-on (``STRIDE_AUTH=oidc``): what the pages do without passwords.

The People page adds a student by school e-mail (no password, no reset), the account page has
no password form, a one-time password from a roster asks nothing, and **Sign out** ends the
Stride session and calls ``st.logout()``. The sign-in itself is at the HTTP level
(tests/unit/test_web_single_sign_on.py, tests/browser/test_single_sign_on_browser.py); here each
AppTest gets a session started by the service as its ``stride_session`` cookie
(tests/app/signed_in.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import streamlit as st
from argon2 import PasswordHasher
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

import quiz.services.passwords as passwords
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_accounts, create_user
from quiz.store.models import AuthSession, User
from tests.app.signed_in import Cookies, start
from tests.support import REPO_ROOT

PEOPLE = "quiz/ui/pages/people.py"
ACCOUNT = "quiz/ui/pages/account.py"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dummy password for timing"))


@pytest.fixture(autouse=True)
def cookies(monkeypatch: pytest.MonkeyPatch) -> Cookies:
    return Cookies(monkeypatch)


def _open(monkeypatch: pytest.MonkeyPatch, mode: str) -> Stride:
    monkeypatch.setenv("STRIDE_AUTH", mode)
    monkeypatch.delenv("STRIDE_OIDC_NEW_ACCOUNTS", raising=False)
    stride = Stride.open()
    with stride.transaction() as session:
        create_user(
            session,
            COMMAND_LINE,
            "tess",
            "instructor",
            None,
            utc_now(),
            email="tess@school.example",
        )
        create_accounts(
            session,
            COMMAND_LINE,
            [("ann", "Ann Example", "student", "ann@school.example")],
            utc_now(),
        )
    return stride


@pytest.fixture
def school(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stride]:
    """Single sign-on with instructor ``tess`` (no password) and student ``ann`` (from a roster,
    so with a one-time password that single sign-on never asks for)."""
    stride = _open(monkeypatch, "oidc")
    yield stride
    stride.close()


def _signed_in(cookies: Cookies, stride: Stride, username: str) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    cookies.give(at, start(stride, username)).run()
    assert not at.exception
    return at


def _field(at: AppTest, label: str) -> Any:
    return next(t for t in at.text_input if t.label == label)


def _user(stride: Stride, username: str) -> User:
    with stride.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        session.expunge(user)
        return user


def test_an_instructor_adds_a_student_by_school_email(school: Stride, cookies: Cookies) -> None:
    at = _signed_in(cookies, school, "tess")
    at.switch_page(PEOPLE).run()
    assert not at.exception
    assert "E-mail" in at.dataframe[0].value.columns
    assert not [b for b in at.button if b.label == "Reset password"]
    _field(at, "Username").set_value("bob")
    _field(at, "Full name (optional)").set_value("Bob B.")
    _field(at, "School e-mail").set_value("Bob@School.Example")
    next(b for b in at.button if b.label == "Add student").click().run()
    assert not at.exception
    assert any(
        "Added **bob**: they sign in with their school account (bob@school\\.example)" in s.value
        for s in at.success
    ), [s.value for s in at.success]
    assert not at.code  # no one-time password to hand out
    bob = _user(school, "bob")
    assert (bob.email, bob.password_hash, bob.role) == ("bob@school.example", None, "student")


def test_a_student_needs_a_school_email(school: Stride, cookies: Cookies) -> None:
    at = _signed_in(cookies, school, "tess")
    at.switch_page(PEOPLE).run()
    _field(at, "Username").set_value("carl")
    next(b for b in at.button if b.label == "Add student").click().run()
    assert [e.value for e in at.error] == [
        "No account was created: enter the student's school e-mail address."
    ]
    with school.transaction() as session:
        assert session.scalar(select(User.id).where(User.username == "carl")) is None


def test_in_password_mode_the_email_is_optional_and_a_password_is_made(
    monkeypatch: pytest.MonkeyPatch, cookies: Cookies
) -> None:
    stride = _open(monkeypatch, "password")
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "pat", "instructor", "pat's long password", utc_now())
    at = _signed_in(cookies, stride, "pat")
    at.switch_page(PEOPLE).run()
    assert [b for b in at.button if b.label == "Reset password"]
    _field(at, "Username").set_value("dora")
    _field(at, "E-mail (optional)").set_value("dora@school.example")
    next(b for b in at.button if b.label == "Add student").click().run()
    assert any("One-time password for **dora**" in s.value for s in at.success)
    assert _user(stride, "dora").email == "dora@school.example"
    stride.close()


def test_a_roster_password_asks_nothing_and_the_account_page_has_no_password_form(
    school: Stride, cookies: Cookies
) -> None:
    at = _signed_in(cookies, school, "ann")
    assert not at.warning  # not "choose your own password first"
    assert "Signed in as **Ann Example** · student" in "\n".join(
        str(c.value) for c in at.sidebar.caption
    )
    at.switch_page(ACCOUNT).run()
    assert not at.exception
    assert any("You sign in with your school account" in i.value for i in at.info)
    assert not at.text_input  # no password fields


def test_sign_out_ends_the_stride_session_and_the_school_one(
    school: Stride, cookies: Cookies, monkeypatch: pytest.MonkeyPatch
) -> None:
    logouts: list[bool] = []
    real = st.logout
    monkeypatch.setattr(st, "logout", lambda: (logouts.append(True), real())[1])
    at = _signed_in(cookies, school, "ann")
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert not at.exception
    assert logouts == [True]
    with school.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuthSession)) == 0
