"""Signing in and out: throttled password checks and server-side sessions.

Throttling (:mod:`quiz.services.throttle`): failures slow down the client that makes them — the
account tried from that address, or from that known browser — with a wait that doubles after
two free failures (2 s, 4 s … at most 15 minutes); an account whose hourly budget of failures is
spent, or an address whose (much larger) budget is, takes passwords only from browsers that
signed in to the account before (a ``stride_device`` cookie) until the hour ends. Nothing locks
an account for its owner: the right password from a client that has not been failing is
checked as usual. A refused attempt is neither checked nor counted; instructors list and clear
what is held back (``stride user throttled`` / ``unlock``, the People page).

Sessions: a random 256-bit token is handed to the browser session; the database keeps only its
SHA-256. A session ends after ``session_idle`` without use, ``session_lifetime`` after sign-in,
at sign-out, and when the user's password changes or the account is deactivated.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, bindparam, delete, select, update
from sqlalchemy.orm import Session

from quiz.config import AuthSettings
from quiz.services import throttle
from quiz.services.access import Actor
from quiz.services.passwords import hash_password, needs_rehash, verify_password
from quiz.store.models import AuthSession, User

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most this often per session
WRONG_CREDENTIALS = "Wrong username or password."


@dataclass(frozen=True)
class SignInResult:
    """A sign-in outcome: ``token`` and ``actor`` on success, else a message for the person."""

    token: str | None = None
    actor: Actor | None = None
    must_change_password: bool = False
    message: str = ""
    device: str | None = None
    """After a password sign-in: the token for the browser's ``stride_device`` cookie (it marks
    the browser as a known one of the account, see :mod:`quiz.services.throttle`)."""

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
    *,
    device: str | None = None,
) -> SignInResult:
    """Check a password under the throttle; on success start a session and return its token.

    ``client`` is the address the request came from; ``device`` the token of the browser's
    ``stride_device`` cookie, if it sent one (a known browser of the account is throttled on its
    own and past the account's and the address's budgets). In one transaction:
    :func:`read_sign_in`, :func:`check_password`, :func:`record_sign_in`. The server's sign-in
    route runs them apart (a read, argon2 with no connection held, then a short write), so a
    sign-in holds neither a pooled connection nor the write lock for the 25 ms of argon2."""
    facts = read_sign_in(session, username, client, now, device=device)
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
    device: str | None = None
    """The token of the browser's ``stride_device`` cookie, as sent."""
    known_device: str | None = None
    """The token's hash when the browser is a known one of this account."""


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
    device: str | None = None
    known_device: str | None = None


def read_sign_in(
    session: Session, username: str, client: str, now: datetime, *, device: str | None = None
) -> SignInFacts:
    """The first, short phase of a sign-in (a read): the throttle's refusal if it has one, else
    the account's stored hash."""
    name = normalise_username(username)[:200]
    known = throttle.known_device(session, name, device, now) if name else None
    who = throttle.Client.of(name, client, known)
    if refusal := throttle.refusal(session, who, now):
        return SignInFacts(name, who.address, refusal=refusal)
    found = (
        session.execute(
            select(User.id, User.password_hash, User.active).where(User.username == name)
        ).first()
        if name
        else None
    )
    if found is None:
        return SignInFacts(name, who.address, device=device, known_device=known)
    user_id, stored_hash, active = found
    return SignInFacts(
        name,
        who.address,
        user_id=user_id,
        stored_hash=stored_hash if active else None,
        device=device,
        known_device=known,
    )


def check_password(facts: SignInFacts, password: str) -> PasswordCheck:
    """The slow phase, outside any transaction (no connection held, no lock): one argon2 check,
    against a dummy hash when there is no usable account, so the time taken does not tell which
    usernames exist (and a hash made with older parameters is made again)."""
    if facts.refusal is not None:
        return PasswordCheck(facts.username, facts.client, refusal=facts.refusal)
    matches = verify_password(facts.stored_hash, password)  # False whenever it is None
    found = PasswordCheck(
        facts.username, facts.client, device=facts.device, known_device=facts.known_device
    )
    if facts.stored_hash is None or not matches:
        return found
    new_hash = hash_password(password) if needs_rehash(facts.stored_hash) else None
    return replace(found, user_id=facts.user_id, new_hash=new_hash)


def record_sign_in(
    session: Session, check: PasswordCheck, now: datetime, settings: AuthSettings
) -> SignInResult:
    """The short write phase: count a failure (the waits and budgets of
    :mod:`quiz.services.throttle`) or, for a password that matched, forget this client's
    failures, remember the browser and start a session.

    The throttle is read again here, its rows locked: an attempt that another one made wait
    meanwhile (concurrent requests) is refused whether its password was right or wrong, and is
    not counted — so it tells its sender nothing, and parallel guesses gain nothing."""
    if check.refusal is not None:
        return SignInResult(message=check.refusal)
    who = throttle.Client.of(check.username, check.client, check.known_device)
    user = session.get(User, check.user_id) if check.user_id is not None else None
    if user is None or not user.active:
        throttle.prepare_failure(session, who, now)
    if refusal := throttle.refusal(session, who, now, lock=True):
        return SignInResult(message=refusal)
    if user is None or not user.active:
        throttle.count_failure(session, who, now, settings)
        refusal = throttle.refusal(session, who, now)
        return SignInResult(
            message=f"{WRONG_CREDENTIALS} {refusal}" if refusal else WRONG_CREDENTIALS
        )
    device = throttle.count_success(session, who, check.device, now, settings)
    if check.new_hash is not None:
        user.password_hash = check.new_hash
    token = start_session(session, user, check.client, now, settings)
    return SignInResult(token, Actor.of(user), user.must_change_password, device=device)


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
def _session_and_user() -> Select[*tuple[Any, ...]]:
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
