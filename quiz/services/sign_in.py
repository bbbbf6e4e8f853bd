"""Signing in and out: throttled password checks and server-side sessions.

Throttling (rows in ``sign_in_throttle``, so every server replica sees them): failures are counted
per account and per client address within ``lockout_window``. From the third failure on, each
one makes the next try wait (2 s, 4 s, 8 s … up to 60 s); ``lockout_failures`` failures lock the
account, and ``client_lockout_failures`` lock the client address, for ``lockout_duration``. While
a key is waiting or locked, attempts are refused without checking the password and without
counting. A success clears the account's count (not the client's, so one good account cannot be
used to reset guessing from that address).

Sessions: a random 256-bit token is handed to the browser session; the database keeps only its
SHA-256. A session ends after ``session_idle`` without use, ``session_lifetime`` after sign-in, at
sign-out, and when the user's password changes or the account is deactivated.
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quiz.config import AuthSettings
from quiz.services.access import Actor
from quiz.services.passwords import hash_password, needs_rehash, verify_password
from quiz.store.models import AuthSession, SignInThrottle, User

SCOPE_ACCOUNT = "account"
SCOPE_CLIENT = "client"
FREE_FAILURES = 2
MAX_DELAY = timedelta(seconds=60)
TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most this often per session
WRONG_CREDENTIALS = "Wrong username or password."


@dataclass(frozen=True)
class SignInResult:
    """A sign-in outcome: ``token`` and ``actor`` on success, else a message for the person."""

    token: str | None = None
    actor: Actor | None = None
    must_change_password: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.token is not None


@dataclass(frozen=True)
class ActiveSession:
    actor: Actor
    display_name: str
    must_change_password: bool
    touch_due: bool = False
    """Read with ``touch=False`` and the idle deadline is due to be extended: resume it again
    with ``touch=True`` in a write transaction."""


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive and stored lower-case, without surrounding spaces."""
    return username.strip().lower()


def sign_in(
    session: Session,
    username: str,
    password: str,
    client: str,
    now: datetime,
    settings: AuthSettings,
) -> SignInResult:
    """Check a password under the throttle; on success start a session and return its token.

    In one transaction: :func:`read_sign_in`, :func:`check_password`, :func:`record_sign_in`.
    The server's sign-in route runs them apart (a read, argon2 with no connection held, then a
    short write), so a sign-in holds neither a pooled connection nor the write lock for the
    25 ms of argon2."""
    facts = read_sign_in(session, username, client, now)
    return record_sign_in(session, check_password(facts, password), now, settings)


@dataclass(frozen=True)
class SignInFacts:
    """What the database says before a password is checked (see :func:`read_sign_in`)."""

    username: str
    client: str
    refusal: str | None = None
    """The throttle refuses the attempt: the password will not be checked."""
    user_id: int | None = None
    stored_hash: str | None = None
    """The active account's hash (None: no such account, deactivated, or no password)."""


@dataclass(frozen=True)
class PasswordCheck:
    """What the slow phase of a sign-in found (see :func:`check_password`)."""

    username: str
    client: str
    refusal: str | None = None
    """The throttle refused the attempt: the password was not checked."""
    user_id: int | None = None
    """The account the password opened (None: wrong name or password)."""
    new_hash: str | None = None
    """The password hashed with today's parameters, when the stored hash is older."""


def read_sign_in(session: Session, username: str, client: str, now: datetime) -> SignInFacts:
    """The first, short phase of a sign-in (a read): the throttle's refusal if it has one, else
    the account's stored hash."""
    name = normalise_username(username)[:200]
    address = (client or "unknown")[:200]
    for scope, key in ((SCOPE_ACCOUNT, name), (SCOPE_CLIENT, address)):
        if refusal := _refusal(_throttle_row(session, scope, key, now), now):
            return SignInFacts(name, address, refusal=refusal)
    found = (
        session.execute(
            select(User.id, User.password_hash, User.active).where(User.username == name)
        ).first()
        if name
        else None
    )
    if found is None:
        return SignInFacts(name, address)
    user_id, stored_hash, active = found
    return SignInFacts(name, address, user_id=user_id, stored_hash=stored_hash if active else None)


def check_password(facts: SignInFacts, password: str) -> PasswordCheck:
    """The slow phase, outside any transaction (no connection held, no lock): one argon2 check,
    against a dummy hash when there is no usable account, so the time taken does not tell which
    usernames exist (and a hash made with older parameters is made again)."""
    if facts.refusal is not None:
        return PasswordCheck(facts.username, facts.client, refusal=facts.refusal)
    matches = verify_password(facts.stored_hash, password)  # False whenever it is None
    if facts.stored_hash is None or not matches:
        return PasswordCheck(facts.username, facts.client)
    new_hash = hash_password(password) if needs_rehash(facts.stored_hash) else None
    return PasswordCheck(facts.username, facts.client, user_id=facts.user_id, new_hash=new_hash)


def record_sign_in(
    session: Session, check: PasswordCheck, now: datetime, settings: AuthSettings
) -> SignInResult:
    """The short write phase: count a failure (with the delay and lockout rules) or, for a
    password that matched, clear the account's count and start a session. The throttle rows
    are read again here, so a lock another attempt set meanwhile still refuses this one."""
    if check.refusal is not None:
        return SignInResult(message=check.refusal)
    keys = ((SCOPE_ACCOUNT, check.username), (SCOPE_CLIENT, check.client))
    rows = [_throttle_row(session, scope, key, now) for scope, key in keys]
    user = session.get(User, check.user_id) if check.user_id is not None else None
    if user is None or not user.active:
        limits = (settings.lockout_failures, settings.client_lockout_failures)
        counted = [
            _count_failure(session, row, now, limit, settings)
            for row, limit in zip(rows, limits, strict=True)
        ]
        return SignInResult(message=_failure_message(counted[0], now))
    for row in rows:
        if refusal := _refusal(row, now):
            return SignInResult(message=refusal)
    if rows[0].id is not None:
        session.delete(rows[0])
    if check.new_hash is not None:
        user.password_hash = check.new_hash
    token = start_session(session, user, check.client, now, settings)
    return SignInResult(token, Actor.of(user), user.must_change_password)


def start_session(
    session: Session, user: User, client: str, now: datetime, settings: AuthSettings
) -> str:
    """Create a session for ``user`` and return its token (shown to nobody but the browser)."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            idle_expires_at=now + settings.session_idle,
            expires_at=now + settings.session_lifetime,
            client=(client or "")[:100],
        )
    )
    session.flush()
    return token


def resume_session(
    session: Session,
    token: str | None,
    now: datetime,
    settings: AuthSettings,
    *,
    touch: bool = True,
) -> ActiveSession | None:
    """The signed-in user for ``token``, or None when it is unknown, expired or the user is
    inactive. Using a session extends its idle deadline (at most every ``TOUCH_EVERY``).

    ``touch=False`` only reads, for the read transaction of every page run: an expired row is
    left for a later write to delete, and ``touch_due`` says the deadline should be extended
    (the caller then resumes again with ``touch=True`` in a write transaction). With
    ``touch=True`` an expired row is deleted and a due deadline extended."""
    if not token:
        return None
    found = session.execute(_session_and_user(), {"token_hash": _token_hash(token)}).first()
    if found is None:
        return None
    row_id, expires_at, idle_expires_at, last_seen_at, user_id, username, role = found[:7]
    display_name, must_change_password, active = found[7:]
    if not active or now >= expires_at or now >= idle_expires_at:
        if touch:
            session.execute(delete(AuthSession).where(AuthSession.id == row_id))
        return None
    due = now - last_seen_at >= TOUCH_EVERY
    if due and touch:
        session.execute(
            update(AuthSession)
            .where(AuthSession.id == row_id)
            .values(last_seen_at=now, idle_expires_at=min(now + settings.session_idle, expires_at))
        )
    return ActiveSession(
        Actor(user_id, username, role),
        display_name,
        # with single sign-on no password is used: a one-time one (roster import) asks nothing
        must_change_password and not settings.single_sign_on,
        touch_due=due and not touch,
    )


@functools.cache
def _session_and_user() -> Select[Any]:
    """The session whose token hashes to ``:token_hash`` and its user (read on every page run,
    so built once; plain columns, no ORM objects)."""
    return (
        select(
            AuthSession.id,
            AuthSession.expires_at,
            AuthSession.idle_expires_at,
            AuthSession.last_seen_at,
            User.id,
            User.username,
            User.role,
            User.display_name,
            User.must_change_password,
            User.active,
        )
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == bindparam("token_hash", type_=String))
    )


def sign_out(session: Session, token: str | None) -> None:
    """End the session of ``token`` (nothing happens for an unknown one)."""
    if token:
        session.execute(delete(AuthSession).where(AuthSession.token_hash == _token_hash(token)))


def end_all_sessions(session: Session, user_id: int, *, keep_token: str | None = None) -> int:
    """End every session of ``user_id`` (but ``keep_token``'s); returns how many ended."""
    query = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep_token:
        query = query.where(AuthSession.token_hash != _token_hash(keep_token))
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _throttle_row(session: Session, scope: str, key: str, now: datetime) -> SignInThrottle:
    row = session.scalar(
        select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.key == key)
    )
    if row is None:  # not added to the session until a failure needs it stored
        row = SignInThrottle(scope=scope, key=key, failures=0, window_started_at=now)
    return row


def _refusal(row: SignInThrottle, now: datetime) -> str | None:
    if row.locked_until is not None and now < row.locked_until:
        what = "this account" if row.scope == SCOPE_ACCOUNT else "this computer"
        return (
            f"Too many failed sign-ins for {what}: try again in {_minutes(row.locked_until - now)}."
        )
    if row.retry_after is not None and now < row.retry_after:
        seconds = math.ceil((row.retry_after - now).total_seconds())
        return f"Too many failed sign-ins: wait {seconds} s before trying again."
    return None


def _count_failure(
    session: Session, row: SignInThrottle, now: datetime, limit: int, settings: AuthSettings
) -> SignInThrottle:
    """Record one failed sign-in on ``row``, inserting it if it is new; return the stored row.

    When another server inserted the same key meanwhile, the failure is counted on that stored
    row instead, with the same delay and lockout rules."""
    _add_failure(row, now, limit, settings)
    if row.id is None:
        try:
            with session.begin_nested():  # another server may have stored this key meanwhile
                session.add(row)
        except IntegrityError:
            row = _throttle_row(session, row.scope, row.key, now)
            _add_failure(row, now, limit, settings)
    session.flush()
    return row


def _add_failure(row: SignInThrottle, now: datetime, limit: int, settings: AuthSettings) -> None:
    """One more failure: a new window when the old one ended, a delay of 2^(n-2) s after the
    free failures (at most ``MAX_DELAY``), and a lock when ``limit`` failures are reached."""
    if now - row.window_started_at > settings.lockout_window or row.locked_until is not None:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    extra = row.failures - FREE_FAILURES
    row.retry_after = now + min(timedelta(seconds=2**extra), MAX_DELAY) if extra > 0 else None
    if row.failures >= limit:
        row.locked_until = now + settings.lockout_duration


def _failure_message(account: SignInThrottle, now: datetime) -> str:
    refusal = _refusal(account, now)
    if account.locked_until is not None and refusal:
        return f"{WRONG_CREDENTIALS} {refusal}"
    return WRONG_CREDENTIALS


def _minutes(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
