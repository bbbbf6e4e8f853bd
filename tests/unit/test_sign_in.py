"""Signing in: the throttle (slow-down, account and client lockout), sessions and their expiry."""

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
from quiz.store.models import ROLE_INSTRUCTOR, ROLE_STUDENT, AuthSession, SignInThrottle, User
from tests.support import NOON

AUTH = AuthSettings(mode="password")
PASSWORD = "ann's long password"
CLIENT = "192.0.2.10"
OTHER_CLIENT = "198.51.100.7"
ACCOUNT_LOCKED = "Too many failed sign-ins for this account: try again in"
CLIENT_LOCKED = "Too many failed sign-ins for this computer: try again in"


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


def throttle(stride: Stride, scope: str, key: str) -> SignInThrottle | None:
    with stride.transaction() as session:
        return session.scalar(
            select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.key == key)
        )


def session_count(stride: Stride) -> int:
    with stride.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuthSession)) or 0


def wait_after(failures: int) -> timedelta:
    """The documented slow-down after ``failures`` failures: 2 s, 4 s, 8 s … at most 60 s."""
    return timedelta(seconds=min(2 ** (failures - 2), 60)) if failures > 2 else timedelta(0)


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


def test_the_throttle_messages_do_not_tell_an_unknown_user_from_a_known_one(
    stride: Stride, ann: int
) -> None:
    def messages(username: str) -> list[str]:
        out, at = [], NOON
        for failures in range(1, AUTH.lockout_failures + 2):
            out.append(attempt(stride, username, "wrong password!", at, client=username).message)
            at += wait_after(failures)
        return out

    known, unknown = messages("ann"), messages("nobody")
    assert known == unknown
    assert known[0] == WRONG_CREDENTIALS
    assert known[AUTH.lockout_failures - 1].startswith(f"{WRONG_CREDENTIALS} {ACCOUNT_LOCKED}")


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


# --- slow-down ------------------------------------------------------------------------------------


def test_the_third_failure_makes_the_next_try_wait(stride: Stride, ann: int) -> None:
    for _ in range(3):
        assert attempt(stride, "ann", "wrong password!", NOON).message == WRONG_CREDENTIALS

    refused = attempt(stride, "ann", PASSWORD, NOON)  # even the right password waits
    assert not refused.ok
    assert refused.message == "Too many failed sign-ins: wait 2 s before trying again."
    half = attempt(stride, "ann", PASSWORD, NOON + timedelta(milliseconds=1500))
    assert half.message == "Too many failed sign-ins: wait 1 s before trying again."
    row = throttle(stride, "account", "ann")
    assert row is not None and row.failures == 3  # refused tries are not counted
    assert session_count(stride) == 0

    assert attempt(stride, "ann", PASSWORD, NOON + timedelta(seconds=2)).ok


def test_two_failures_are_free(stride: Stride, ann: int) -> None:
    for _ in range(2):
        attempt(stride, "ann", "wrong password!", NOON)
    assert attempt(stride, "ann", PASSWORD, NOON).ok


def test_each_further_failure_doubles_the_wait_up_to_a_minute(stride: Stride) -> None:
    settings = AuthSettings(mode="password", lockout_failures=100, client_lockout_failures=100)
    at, waits = NOON, []
    for failures in range(1, 10):
        result = attempt(stride, "nobody", "wrong password!", at, settings=settings)
        assert result.message == WRONG_CREDENTIALS
        if failures >= 3:
            refused = attempt(stride, "nobody", "wrong password!", at, settings=settings)
            waits.append(refused.message.removeprefix("Too many failed sign-ins: wait "))
        at += wait_after(failures)
    assert waits == [f"{s} s before trying again." for s in (2, 4, 8, 16, 32, 60, 60)]
    row = throttle(stride, "account", "nobody")
    assert row is not None and row.failures == 9  # the refused tries were not counted


# --- account lockout ------------------------------------------------------------------------------


def lock_ann(stride: Stride, start: datetime, client: str = CLIENT) -> datetime:
    """Five wrong passwords for ann, each as soon as allowed; returns the moment of the last."""
    at = start
    for failures in range(1, AUTH.lockout_failures + 1):
        result = attempt(stride, "ann", "wrong password!", at, client=client)
        assert not result.ok
        assert "wait" not in result.message, result.message  # never tried too early
        if failures < AUTH.lockout_failures:
            assert result.message == WRONG_CREDENTIALS
            at += wait_after(failures)
    assert result.message == f"{WRONG_CREDENTIALS} {ACCOUNT_LOCKED} 15 minutes."
    return at


def test_five_failures_lock_the_account_even_for_the_right_password(
    stride: Stride, ann: int
) -> None:
    locked_at = lock_ann(stride, NOON)
    assert locked_at == NOON + timedelta(seconds=6)  # waits of 2 s and 4 s before the 4th, 5th

    for after, minutes in (
        (timedelta(0), 15),
        (timedelta(minutes=10), 5),
        (timedelta(minutes=14), 1),
    ):
        refused = attempt(stride, "ann", PASSWORD, locked_at + after)
        assert refused.message == f"{ACCOUNT_LOCKED} {minutes} minute{'s' * (minutes != 1)}."
    # The lock is on the account, wherever the attempt comes from.
    elsewhere = attempt(
        stride, "ann", PASSWORD, locked_at + timedelta(minutes=1), client=OTHER_CLIENT
    )
    assert elsewhere.message.startswith(ACCOUNT_LOCKED)
    assert session_count(stride) == 0
    row = throttle(stride, "account", "ann")
    assert row is not None and row.failures == AUTH.lockout_failures

    assert attempt(stride, "ann", PASSWORD, locked_at + AUTH.lockout_duration).ok


def test_a_lock_follows_the_configured_duration(stride: Stride, ann: int) -> None:
    settings = AuthSettings(
        mode="password", lockout_failures=3, lockout_duration=timedelta(hours=1)
    )
    for _ in range(3):
        last = attempt(stride, "ann", "wrong password!", NOON, settings=settings)
    assert last.message == f"{WRONG_CREDENTIALS} {ACCOUNT_LOCKED} 60 minutes."
    late = NOON + timedelta(minutes=59)
    assert not attempt(stride, "ann", PASSWORD, late, settings=settings).ok
    assert attempt(stride, "ann", PASSWORD, NOON + timedelta(hours=1), settings=settings).ok


def test_after_a_lock_ends_the_count_starts_again(stride: Stride, ann: int) -> None:
    locked_at = lock_ann(stride, NOON)
    free = locked_at + AUTH.lockout_duration
    result = attempt(stride, "ann", "wrong password!", free)
    assert result.message == WRONG_CREDENTIALS
    row = throttle(stride, "account", "ann")
    assert row is not None
    assert (row.failures, row.locked_until, row.retry_after) == (1, None, None)
    assert attempt(stride, "ann", PASSWORD, free).ok


def test_a_success_clears_the_account_count(stride: Stride, ann: int) -> None:
    for _ in range(2):
        attempt(stride, "ann", "wrong password!", NOON)
    assert attempt(stride, "ann", PASSWORD, NOON).ok
    assert throttle(stride, "account", "ann") is None

    # Four more failures (from elsewhere, so the first client's count plays no part): without
    # the reset the account would now be locked.
    at = NOON + timedelta(minutes=1)
    for failures in range(1, 5):
        result = attempt(stride, "ann", "wrong password!", at, client=OTHER_CLIENT)
        assert result.message == WRONG_CREDENTIALS
        at += wait_after(failures)
    row = throttle(stride, "account", "ann")
    assert row is not None and row.failures == 4 and row.locked_until is None
    assert attempt(stride, "ann", PASSWORD, at, client=OTHER_CLIENT).ok


def test_failures_outside_the_window_restart_the_count(stride: Stride, ann: int) -> None:
    at = NOON
    for failures in range(1, 5):  # four failures: one short of the lock
        attempt(stride, "ann", "wrong password!", at)
        at += wait_after(failures)
    later = NOON + AUTH.lockout_window + timedelta(seconds=1)
    fifth = attempt(stride, "ann", "wrong password!", later)
    assert fifth.message == WRONG_CREDENTIALS  # not locked: the window had passed
    row = throttle(stride, "account", "ann")
    assert row is not None
    assert row.failures == 1 and row.window_started_at == later and row.retry_after is None
    assert attempt(stride, "ann", PASSWORD, later).ok  # and no slow-down either


def test_failures_inside_the_window_add_up(stride: Stride, ann: int) -> None:
    at = NOON
    for failures in range(1, 5):
        attempt(stride, "ann", "wrong password!", at)
        at += wait_after(failures)
    at = NOON + AUTH.lockout_window  # the window's last moment still counts
    fifth = attempt(stride, "ann", "wrong password!", at)
    assert fifth.message.startswith(f"{WRONG_CREDENTIALS} {ACCOUNT_LOCKED}")


# --- client lockout -------------------------------------------------------------------------------


def test_a_client_guessing_many_usernames_is_locked_out(stride: Stride, ann: int) -> None:
    at = NOON
    limit = AUTH.client_lockout_failures
    assert limit == 20
    for failures in range(1, limit + 1):
        result = attempt(stride, f"guess{failures}", "wrong password!", at)
        assert result.message == WRONG_CREDENTIALS, failures  # no account reaches its limit
        at += wait_after(failures)
    assert at - NOON < AUTH.lockout_window  # all twenty fell inside one window

    row = throttle(stride, "client", CLIENT)
    assert row is not None and row.failures == limit and row.locked_until is not None
    refused = attempt(stride, "ann", PASSWORD, at + timedelta(minutes=1))
    assert refused.message.startswith(CLIENT_LOCKED)
    assert session_count(stride) == 0
    # Another computer is not affected, and the lock ends after lockout_duration.
    assert attempt(stride, "ann", PASSWORD, at, client=OTHER_CLIENT).ok
    assert attempt(stride, "ann", PASSWORD, row.locked_until).ok


def test_a_client_is_slowed_down_across_usernames(stride: Stride, ann: int) -> None:
    for name in ("guess1", "guess2", "guess3"):
        attempt(stride, name, "wrong password!", NOON)
    refused = attempt(stride, "ann", PASSWORD, NOON)
    assert refused.message == "Too many failed sign-ins: wait 2 s before trying again."
    assert attempt(stride, "ann", PASSWORD, NOON, client=OTHER_CLIENT).ok


def test_a_success_does_not_reset_the_client_count(stride: Stride, ann: int) -> None:
    settings = AuthSettings(mode="password", client_lockout_failures=4)
    attempt(stride, "guess1", "wrong password!", NOON, settings=settings)
    attempt(stride, "guess2", "wrong password!", NOON, settings=settings)
    assert attempt(stride, "ann", PASSWORD, NOON, settings=settings).ok
    row = throttle(stride, "client", CLIENT)
    assert row is not None and row.failures == 2

    attempt(stride, "guess3", "wrong password!", NOON, settings=settings)
    early = attempt(stride, "ann", PASSWORD, NOON, settings=settings)
    assert early.message == "Too many failed sign-ins: wait 2 s before trying again."
    fourth = attempt(
        stride, "guess4", "wrong password!", NOON + timedelta(seconds=2), settings=settings
    )
    assert fourth.message == WRONG_CREDENTIALS  # guess4's own count is 1
    locked = attempt(stride, "ann", PASSWORD, NOON + timedelta(seconds=3), settings=settings)
    assert locked.message == f"{CLIENT_LOCKED} 15 minutes."


def test_a_missing_client_address_is_counted_as_unknown(stride: Stride, ann: int) -> None:
    for name in ("guess1", "guess2", "guess3"):
        attempt(stride, name, "wrong password!", NOON, client="")
    row = throttle(stride, "client", "unknown")
    assert row is not None and row.failures == 3
    assert attempt(stride, "ann", PASSWORD, NOON, client="").message.startswith(
        "Too many failed sign-ins: wait"
    )


# --- a concurrent first failure -------------------------------------------------------------------


def test_a_failure_racing_another_server_still_locks_at_the_limit(
    stride: Stride, ann: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BUG: when another server stored the account's first failure between this server's read
    and its insert, ``_count_failure`` adds one to the stored row but never compares the sum
    with ``lockout_failures``, so the lock is missed (here with STRIDE_LOCKOUT_FAILURES=2)."""
    settings = AuthSettings(mode="password", lockout_failures=2)
    attempt(stride, "ann", "wrong password!", NOON, settings=settings)  # the other server's
    real = sign_in_module._throttle_row
    calls: list[str] = []

    def stale_read(session, scope, key, now):  # type: ignore[no-untyped-def]
        calls.append(scope)
        if calls == ["account"]:  # the first read happened before the other server's insert
            return SignInThrottle(scope=scope, key=key, failures=0, window_started_at=now)
        return real(session, scope, key, now)

    with monkeypatch.context() as patch:
        patch.setattr(sign_in_module, "_throttle_row", stale_read)
        attempt(stride, "ann", "wrong password!", NOON, client=OTHER_CLIENT, settings=settings)

    row = throttle(stride, "account", "ann")
    assert row is not None and row.failures == 2
    assert row.locked_until is not None, "two failures with lockout_failures=2 must lock"


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
    assert (settings.lockout_failures, settings.client_lockout_failures) == (5, 20)
    assert settings.lockout_window == settings.lockout_duration == timedelta(minutes=15)
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
            "STRIDE_LOCKOUT_FAILURES": "3",
            "STRIDE_LOCKOUT_MINUTES": "60",
            "STRIDE_TRUST_PROXY": "yes",
        }
    )
    assert settings.session_idle == timedelta(minutes=30)
    assert settings.session_lifetime == timedelta(hours=8)
    assert settings.lockout_failures == 3
    assert settings.lockout_duration == timedelta(hours=1)
    assert settings.trust_forwarded_for is True


def test_auth_settings_read_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIDE_AUTH", "password")
    monkeypatch.setenv("STRIDE_LOCKOUT_FAILURES", "7")
    settings = AuthSettings.from_env()
    assert settings.classroom and settings.lockout_failures == 7


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIDE_AUTH", "ldap"),
        ("STRIDE_AUTH", "yes"),
        ("STRIDE_SESSION_IDLE_MINUTES", "0"),
        ("STRIDE_SESSION_IDLE_MINUTES", "ten"),
        ("STRIDE_SESSION_HOURS", "721"),
        ("STRIDE_LOCKOUT_FAILURES", "0"),
        ("STRIDE_LOCKOUT_FAILURES", "2.5"),
        ("STRIDE_LOCKOUT_MINUTES", "-1"),
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
