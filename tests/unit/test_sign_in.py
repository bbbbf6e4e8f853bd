"""Signing in: success, failures, re-hashing, sessions and their expiry, the settings.

The throttle (waits per client, budgets per account and address, known browsers, unlocking) is
tested in test_sign_in_throttle.py."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

import quiz.services.passwords as passwords
import quiz.services.sign_in as sign_in_module
from quiz.config import AuthSettings, ConfigError
from quiz.runtime import Stride
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user, set_active
from quiz.services.passwords import verify_password
from quiz.services.sign_in import (
    WRONG_CREDENTIALS,
    ActiveSession,
    SignInResult,
    end_all_sessions,
    resume_session,
    sign_in,
    sign_out,
)
from quiz.store.models import AuthSession, User
from quiz.vocabulary import ROLE_INSTRUCTOR, ROLE_STUDENT
from tests.support import NOON

AUTH = AuthSettings(mode="password")
PASSWORD = "ann's long password"
CLIENT = "192.0.2.10"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters: these tests count failures, not hashing cost (which
    test_passwords checks with the real parameters)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dummy password for timing"))


@pytest.fixture
def ann(stride: Stride) -> Iterator[int]:
    """A student ``ann`` (display name Ann Example) with :data:`PASSWORD`; yields her id."""
    with stride.transaction() as session:
        account = create_user(
            session, COMMAND_LINE, "ann", ROLE_STUDENT, PASSWORD, NOON, display_name="Ann Example"
        )
    yield account.user_id


def attempt(
    stride: Stride,
    username: str,
    password: str,
    at: datetime,
    *,
    client: str = CLIENT,
    settings: AuthSettings = AUTH,
) -> SignInResult:
    """One sign-in in its own transaction, as the sign-in page does it."""
    with stride.transaction() as session:
        return sign_in(session, username, password, client, at, settings)


def resume(stride: Stride, token: str | None, at: datetime) -> ActiveSession | None:
    with stride.transaction() as session:
        return resume_session(session, token, at, AUTH)


def session_count(stride: Stride) -> int:
    with stride.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuthSession)) or 0


# --- success --------------------------------------------------------------------------------------


def test_a_right_password_returns_a_token_and_the_actor(stride: Stride, ann: int) -> None:
    result = attempt(stride, "ann", PASSWORD, NOON)
    assert result.ok
    assert result.message == ""
    assert result.must_change_password is False
    assert result.token is not None and len(result.token) >= 40
    assert result.actor is not None
    assert (result.actor.user_id, result.actor.username, result.actor.role) == (
        ann,
        "ann",
        ROLE_STUDENT,
    )


def test_the_database_keeps_only_a_sha256_of_the_token(stride: Stride, ann: int) -> None:
    token = attempt(stride, "ann", PASSWORD, NOON).token
    assert token is not None
    with stride.transaction() as session:
        row = session.scalars(select(AuthSession)).one()
        assert row.token_hash != token
        assert token not in row.token_hash
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.user_id == ann
        assert row.client == CLIENT
        assert row.created_at == row.last_seen_at == NOON
        assert row.idle_expires_at == NOON + AUTH.session_idle
        assert row.expires_at == NOON + AUTH.session_lifetime


def test_every_sign_in_gets_its_own_token(stride: Stride, ann: int) -> None:
    tokens = {attempt(stride, "ann", PASSWORD, NOON + timedelta(minutes=i)).token for i in range(3)}
    assert None not in tokens
    assert len(tokens) == 3
    assert session_count(stride) == 3


def test_usernames_are_case_insensitive_and_trimmed(stride: Stride, ann: int) -> None:
    result = attempt(stride, "  ANN ", PASSWORD, NOON)
    assert result.ok
    assert result.actor is not None and result.actor.username == "ann"


def test_a_one_time_password_is_reported(stride: Stride) -> None:
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "bob", ROLE_STUDENT, PASSWORD, NOON, one_time=True)
    result = attempt(stride, "bob", PASSWORD, NOON)
    assert result.ok
    assert result.must_change_password is True


# --- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("ann", "not ann's password"),
        ("ann", PASSWORD.upper()),
        ("nobody", PASSWORD),
        ("", PASSWORD),
        ("ann", ""),
        ("ann", PASSWORD + "x" * 300),
        ("local", PASSWORD),  # the local-mode user has no password and never signs in
    ],
)
def test_wrong_password_and_unknown_user_give_the_same_message(
    stride: Stride, ann: int, username: str, password: str
) -> None:
    result = attempt(stride, username, password, NOON)
    assert not result.ok
    assert result.token is None and result.actor is None
    assert result.message == WRONG_CREDENTIALS
    assert session_count(stride) == 0


def test_an_inactive_user_cannot_sign_in(stride: Stride, ann: int) -> None:
    with stride.transaction() as session:
        set_active(session, COMMAND_LINE, ann, False)
    result = attempt(stride, "ann", PASSWORD, NOON)
    assert not result.ok
    assert result.message == WRONG_CREDENTIALS
    assert session_count(stride) == 0
    with stride.transaction() as session:
        set_active(session, COMMAND_LINE, ann, True)
    assert attempt(stride, "ann", PASSWORD, NOON + timedelta(minutes=1)).ok


# --- re-hashing -----------------------------------------------------------------------------------


def test_an_old_hash_is_replaced_at_sign_in(stride: Stride, ann: int) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with stride.transaction() as session:
        session.get(User, ann).password_hash = old  # type: ignore[union-attr]
    assert passwords.needs_rehash(old)

    assert attempt(stride, "ann", PASSWORD, NOON).ok
    with stride.transaction() as session:
        new = session.get(User, ann).password_hash  # type: ignore[union-attr]
    assert new is not None and new != old
    assert new.startswith("$argon2id$") and not passwords.needs_rehash(new)
    assert verify_password(new, PASSWORD)


def test_a_current_hash_is_kept(stride: Stride, ann: int) -> None:
    with stride.transaction() as session:
        before = session.get(User, ann).password_hash  # type: ignore[union-attr]
    assert attempt(stride, "ann", PASSWORD, NOON).ok
    with stride.transaction() as session:
        assert session.get(User, ann).password_hash == before  # type: ignore[union-attr]


def test_rehashing_follows_needs_rehash(
    stride: Stride, ann: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stride.transaction() as session:
        before = session.get(User, ann).password_hash  # type: ignore[union-attr]
    seen: list[str] = []
    monkeypatch.setattr(sign_in_module, "needs_rehash", lambda h: seen.append(h) or True)
    assert attempt(stride, "ann", PASSWORD, NOON).ok
    assert seen == [before]
    with stride.transaction() as session:
        after = session.get(User, ann).password_hash  # type: ignore[union-attr]
    assert after != before and verify_password(after, PASSWORD)
    # A failed sign-in never rewrites the hash.
    seen.clear()
    assert not attempt(stride, "ann", "wrong password!", NOON).ok
    assert seen == []


# --- sessions -------------------------------------------------------------------------------------


@pytest.fixture
def token(stride: Stride, ann: int) -> str:
    result = attempt(stride, "ann", PASSWORD, NOON)
    assert result.token is not None
    return result.token


def test_a_session_resumes_with_the_user(stride: Stride, ann: int, token: str) -> None:
    active = resume(stride, token, NOON + timedelta(minutes=5))
    assert active is not None
    assert active.actor.user_id == ann and active.actor.role == ROLE_STUDENT
    assert active.display_name == "Ann Example"
    assert active.must_change_password is False


@pytest.mark.parametrize("bad", [None, "", "not-a-token", "x" * 43])
def test_an_unknown_token_resumes_nothing(stride: Stride, token: str, bad: str | None) -> None:
    assert resume(stride, bad, NOON) is None
    assert session_count(stride) == 1  # the real session is untouched


def test_the_token_hash_itself_is_not_a_token(stride: Stride, token: str) -> None:
    stored = hashlib.sha256(token.encode()).hexdigest()
    assert resume(stride, stored, NOON) is None


def test_a_session_ends_after_the_idle_time(stride: Stride, token: str) -> None:
    assert resume(stride, token, NOON + AUTH.session_idle - timedelta(seconds=1)) is not None
    # That use moved the idle deadline on.
    later = NOON + 2 * AUTH.session_idle - timedelta(seconds=2)
    assert resume(stride, token, later) is not None
    assert resume(stride, token, later + AUTH.session_idle) is None
    assert session_count(stride) == 0  # the expired row is deleted
    assert resume(stride, token, NOON) is None  # and stays gone


def test_an_unused_session_ends_exactly_at_the_idle_deadline(stride: Stride, token: str) -> None:
    assert resume(stride, token, NOON + AUTH.session_idle) is None


def test_uses_within_a_minute_do_not_write(stride: Stride, token: str) -> None:
    resume(stride, token, NOON + timedelta(seconds=30))
    with stride.transaction() as session:
        row = session.scalars(select(AuthSession)).one()
        assert row.last_seen_at == NOON
        assert row.idle_expires_at == NOON + AUTH.session_idle
    resume(stride, token, NOON + timedelta(seconds=61))
    with stride.transaction() as session:
        row = session.scalars(select(AuthSession)).one()
        assert row.last_seen_at == NOON + timedelta(seconds=61)
        assert row.idle_expires_at == NOON + timedelta(seconds=61) + AUTH.session_idle


def test_a_session_ends_at_its_lifetime_however_busy(stride: Stride, token: str) -> None:
    at = NOON
    while at < NOON + AUTH.session_lifetime - timedelta(hours=1):
        at += timedelta(hours=1)
        assert resume(stride, token, at) is not None, at
    with stride.transaction() as session:
        row = session.scalars(select(AuthSession)).one()
        # The idle deadline never passes the absolute one.
        assert row.idle_expires_at == row.expires_at == NOON + AUTH.session_lifetime
    assert resume(stride, token, NOON + AUTH.session_lifetime - timedelta(seconds=1)) is not None
    assert resume(stride, token, NOON + AUTH.session_lifetime) is None
    assert session_count(stride) == 0


def test_sign_out_ends_the_session(stride: Stride, ann: int, token: str) -> None:
    other = attempt(stride, "ann", PASSWORD, NOON).token
    with stride.transaction() as session:
        sign_out(session, token)
    assert resume(stride, token, NOON) is None
    assert resume(stride, other, NOON) is not None  # only that browser was signed out
    with stride.transaction() as session:
        sign_out(session, None)
        sign_out(session, "")
        sign_out(session, "unknown")
    assert session_count(stride) == 1


def test_end_all_sessions_can_keep_one(stride: Stride, ann: int, token: str) -> None:
    others = [attempt(stride, "ann", PASSWORD, NOON).token for _ in range(2)]
    with stride.transaction() as session:
        bob = create_user(session, COMMAND_LINE, "bob", ROLE_INSTRUCTOR, PASSWORD, NOON)
    bobs = attempt(stride, "bob", PASSWORD, NOON).token

    with stride.transaction() as session:
        assert end_all_sessions(session, ann, keep_token=token) == 2
    assert resume(stride, token, NOON) is not None
    assert all(resume(stride, t, NOON) is None for t in others)
    assert resume(stride, bobs, NOON) is not None  # another user's sessions are untouched

    with stride.transaction() as session:
        assert end_all_sessions(session, ann) == 1
        assert end_all_sessions(session, ann) == 0
    assert resume(stride, token, NOON) is None
    assert resume(stride, bobs, NOON) is not None
    assert bob.user_id != ann


def test_a_deactivated_users_session_stops(stride: Stride, ann: int, token: str) -> None:
    with stride.transaction() as session:
        session.get(User, ann).active = False  # type: ignore[union-attr]
    assert resume(stride, token, NOON) is None
    assert session_count(stride) == 0


def test_deactivating_signs_the_user_out(stride: Stride, ann: int, token: str) -> None:
    with stride.transaction() as session:
        set_active(session, COMMAND_LINE, ann, False)
    assert session_count(stride) == 0
    with stride.transaction() as session:
        set_active(session, COMMAND_LINE, ann, True)
    assert resume(stride, token, NOON) is None  # reactivation does not revive old sessions


def test_a_must_change_flag_set_later_shows_on_resume(stride: Stride, ann: int, token: str) -> None:
    with stride.transaction() as session:
        session.get(User, ann).must_change_password = True  # type: ignore[union-attr]
    active = resume(stride, token, NOON)
    assert active is not None and active.must_change_password is True


def test_session_lengths_follow_the_settings(stride: Stride, ann: int) -> None:
    settings = AuthSettings(
        mode="password", session_idle=timedelta(minutes=5), session_lifetime=timedelta(hours=1)
    )
    token = attempt(stride, "ann", PASSWORD, NOON, settings=settings).token
    with stride.transaction() as session:
        row = session.scalars(select(AuthSession)).one()
        assert row.idle_expires_at == NOON + timedelta(minutes=5)
        assert row.expires_at == NOON + timedelta(hours=1)
        assert resume_session(session, token, NOON + timedelta(minutes=5), settings) is None


# --- configuration --------------------------------------------------------------------------------


def test_auth_settings_default_to_local_mode() -> None:
    settings = AuthSettings.from_env({})
    assert settings == AuthSettings()
    assert settings.mode == "none" and not settings.classroom
    assert settings.session_idle == timedelta(hours=2)
    assert settings.session_lifetime == timedelta(hours=12)
    assert (settings.account_failure_budget, settings.client_failure_budget) == (20, 2000)
    assert settings.throttle_window == timedelta(hours=1)
    assert settings.known_device_lifetime == timedelta(days=90)
    assert settings.trust_forwarded_for is False


@pytest.mark.parametrize(
    ("raw", "mode"),
    [("password", "password"), (" Password ", "password"), ("none", "none"), ("", "none")],
)
def test_stride_auth_chooses_the_mode(raw: str, mode: str) -> None:
    settings = AuthSettings.from_env({"STRIDE_AUTH": raw})
    assert settings.mode == mode
    assert settings.classroom is (mode == "password")


def test_auth_settings_read_their_variables() -> None:
    settings = AuthSettings.from_env(
        {
            "STRIDE_AUTH": "password",
            "STRIDE_SESSION_IDLE_MINUTES": "30",
            "STRIDE_SESSION_HOURS": "8",
            "STRIDE_ACCOUNT_FAILURES_PER_HOUR": "30",
            "STRIDE_CLIENT_FAILURES_PER_HOUR": "5000",
            "STRIDE_TRUST_PROXY": "yes",
        }
    )
    assert settings.session_idle == timedelta(minutes=30)
    assert settings.session_lifetime == timedelta(hours=8)
    assert settings.account_failure_budget == 30
    assert settings.client_failure_budget == 5000
    assert settings.trust_forwarded_for is True


def test_auth_settings_read_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIDE_AUTH", "password")
    monkeypatch.setenv("STRIDE_ACCOUNT_FAILURES_PER_HOUR", "7")
    settings = AuthSettings.from_env()
    assert settings.classroom and settings.account_failure_budget == 7


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIDE_AUTH", "ldap"),
        ("STRIDE_AUTH", "yes"),
        ("STRIDE_SESSION_IDLE_MINUTES", "0"),
        ("STRIDE_SESSION_IDLE_MINUTES", "ten"),
        ("STRIDE_SESSION_HOURS", "721"),
        ("STRIDE_ACCOUNT_FAILURES_PER_HOUR", "0"),
        ("STRIDE_ACCOUNT_FAILURES_PER_HOUR", "2.5"),
        ("STRIDE_CLIENT_FAILURES_PER_HOUR", "-1"),
        ("STRIDE_LOCKOUT_FAILURES", "5"),  # the lockout is gone: its settings are refused
        ("STRIDE_LOCKOUT_MINUTES", "15"),
        ("STRIDE_TRUST_PROXY", "maybe"),
    ],
)
def test_bad_auth_variables_are_named_in_the_error(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        AuthSettings.from_env({name: value})


def test_a_read_only_resume_writes_nothing_and_says_when_a_touch_is_due(
    stride: Stride, token: str
) -> None:
    """Pages resume with ``touch=False`` in a read transaction and write only when told to."""
    later = NOON + timedelta(minutes=5)
    with stride.transaction() as session:
        peeked = resume_session(session, token, later, AUTH, touch=False)
        assert peeked is not None and peeked.touch_due
        assert not session.dirty and not session.deleted
    with stride.transaction() as session:
        assert session.scalars(select(AuthSession)).one().last_seen_at == NOON
    touched = resume(stride, token, later)
    assert touched is not None and not touched.touch_due
    with stride.transaction() as session:
        assert resume_session(session, token, later, AUTH, touch=False).touch_due is False  # type: ignore[union-attr]
    expired = NOON + 3 * AUTH.session_idle
    with stride.transaction() as session:
        assert resume_session(session, token, expired, AUTH, touch=False) is None
    assert session_count(stride) == 1  # left for a write to delete
    assert resume(stride, token, expired) is None
    assert session_count(stride) == 0
