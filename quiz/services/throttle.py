"""Sign-in throttling: guessing is slowed down and bounded, and nobody can lock an owner out.

Four kinds of rows in ``sign_in_throttle`` (``scope``, ``key``), so every replica sees them:

* ``account+client`` — one account tried from one *client*: a known browser of that account
  (below) or else the client's address. After ``FREE_FAILURES`` failures each further one makes
  this pair wait 2 s, 4 s, 8 s … at most ``MAX_DELAY`` (15 minutes) before its next try; the
  count is forgotten after ``throttle_window`` (an hour) without a failure (``window_started_at``
  is the pair's last failure). This is the only wait there is, and it holds back only that
  client: the owner signing in from any other address or known browser is checked as usual.
* ``account`` — every failure on the account, from anywhere, in a window of ``throttle_window``
  from its first failure. When ``account_failure_budget`` failures are reached, until the window
  ends (``locked_until``) the password is checked only for the account's known browsers: an
  attacker rotating addresses gets no more guesses, the owner on a browser that has signed in
  before still gets in.
* ``client`` — every failure from one address (never a success), in the same kind of window.
  ``client_failure_budget`` is high enough for a school behind one NAT address (500 students,
  several typos each); reaching it limits that address to known browsers until the window ends.
* ``known-device`` — a browser that signed in to an account successfully: the key is the
  account and the SHA-256 of the random token in its ``stride_device`` cookie; it stays known
  until ``locked_until``, ``known_device_lifetime`` after its last successful sign-in.

An attempt that is refused is neither checked (no argon2) nor counted. The refusal is read again
in the write that records an outcome, under a row lock: an attempt that raced another one which
set a wait meanwhile is refused whether its password was right or wrong, so concurrent requests
learn no more than sequential ones.

With the defaults that bounds password checks (README: Security):

* per account and client: at most 14 in the first hour, then 4 an hour (one per 15 minutes);
* per account, from browsers that never signed in to it: at most ``account_failure_budget``
  (20) per hour-long window — so at most 40 in any 60 minutes and about 480 a day — however
  many addresses they come from;
* per address: at most ``client_failure_budget`` (2000) failures per hour-long window across
  all accounts, and no account gets more than the two limits above.

Concurrent requests do not raise these numbers: a failure first inserts any of its rows that
are missing (:func:`prepare_failure`), so the locked reads make racing attempts take turns.

Instructors see what is held back now (:func:`list_throttled`) and clear it
(:func:`unlock_account`, :func:`unlock_address`).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quiz.config import AuthSettings
from quiz.services.access import Actor, require_instructor
from quiz.services.users import LOCAL_USERNAME
from quiz.store.models import SignInThrottle, User

SCOPE_PAIR = "account+client"
SCOPE_ACCOUNT = "account"
SCOPE_CLIENT = "client"
SCOPE_DEVICE = "known-device"
FREE_FAILURES = 2
MAX_DELAY = timedelta(minutes=15)
MAX_NAME = 100
MAX_ADDRESS = 90
DEVICE_TOKEN_CHARS = 43  # secrets.token_urlsafe(32)
KNOWN_BROWSER = "browser:"
"""How a pair's client is written when it is a known browser (addresses never look like it)."""
PRUNE_BATCH = 8
"""Expired rows deleted with each recorded failure (each failure stores at most three)."""


@dataclass(frozen=True)
class Client:
    """Who is trying to sign in: the account name, the address, and — when the browser's
    device token is known for that account — the token's hash."""

    account: str
    address: str
    device: str | None = None

    @classmethod
    def of(cls, account: str, address: str, device: str | None = None) -> Client:
        return cls(account[:MAX_NAME], (address or "unknown")[:MAX_ADDRESS], device)

    @property
    def pair_key(self) -> str:
        who = f"{KNOWN_BROWSER}{self.device}" if self.device else self.address
        return f"{self.account}\n{who}"


def delay_after(failures: int) -> timedelta:
    """The wait after a pair's ``failures``-th failure: none for the free ones, then 2 s, 4 s,
    8 s … at most :data:`MAX_DELAY`."""
    extra = failures - FREE_FAILURES
    if extra <= 0:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(extra, 20)), MAX_DELAY)


def device_hash(token: str | None) -> str | None:
    """The SHA-256 of a well-formed device token (None for anything else)."""
    if not token or len(token) != DEVICE_TOKEN_CHARS:
        return None
    if not token.replace("-", "").replace("_", "").isalnum() or not token.isascii():
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def known_device(session: Session, account: str, token: str | None, now: datetime) -> str | None:
    """The hash of ``token`` if that browser signed in to ``account`` and is still known."""
    digest = device_hash(token)
    if digest is None:
        return None
    row = _stored(session, SCOPE_DEVICE, _device_key(account[:MAX_NAME], digest))
    if row is None or row.locked_until is None or now >= row.locked_until:
        return None
    return digest


def refusal(session: Session, who: Client, now: datetime, *, lock: bool = False) -> str | None:
    """Why an attempt by ``who`` is refused now without checking its password, or None (when
    several limits apply, the one that lasts longest is told).

    ``lock``: read the rows ``FOR UPDATE`` (the write that records an outcome), in the same
    order as :func:`count_failure` writes them."""
    found: list[tuple[datetime, str]] = []
    pair = _stored(session, SCOPE_PAIR, who.pair_key, lock=lock)
    if pair is not None and pair.retry_after is not None and now < pair.retry_after:
        wait = _wait(pair.retry_after - now)
        found.append(
            (pair.retry_after, f"Too many failed sign-ins: wait {wait} before trying again.")
        )
    if who.device is None:  # a known browser of the account: the budgets do not apply to it
        account = _stored(session, SCOPE_ACCOUNT, who.account, lock=lock)
        if account is not None and _guarded(account, now):
            assert account.locked_until is not None
            found.append(
                (
                    account.locked_until,
                    "Too many failed sign-ins for this account: for the next "
                    f"{_minutes(account.locked_until - now)} it can be signed in to only from a "
                    "browser that has signed in to it before, unless an instructor unlocks it.",
                )
            )
        client = _stored(session, SCOPE_CLIENT, who.address, lock=lock)
        if client is not None and _guarded(client, now):
            assert client.locked_until is not None
            found.append(
                (
                    client.locked_until,
                    "Too many failed sign-ins from this network: for the next "
                    f"{_minutes(client.locked_until - now)} only a browser that has signed in to "
                    "the account before can sign in, unless an instructor unlocks it.",
                )
            )
    return max(found)[1] if found else None


def prepare_failure(session: Session, who: Client, now: datetime) -> None:
    """Before a failure is recorded: make sure its three rows exist (empty ones are inserted),
    so that the locked reads of :func:`refusal` make concurrent failures take turns — even the
    first ones on a new account, address or client, which would otherwise all read "no row"."""
    for scope, key in (
        (SCOPE_PAIR, who.pair_key),
        (SCOPE_ACCOUNT, who.account),
        (SCOPE_CLIENT, who.address),
    ):
        _insert_missing(session, scope, key, now)


def count_failure(session: Session, who: Client, now: datetime, settings: AuthSettings) -> None:
    """Record one failed sign-in by ``who``: on its pair (the wait), the account and the address
    (the budgets); then delete a few expired rows."""
    window = settings.throttle_window

    def on_pair(row: SignInThrottle) -> None:
        if now - row.window_started_at > window:  # a quiet hour: forgotten
            row.failures, row.retry_after = 0, None
        row.failures += 1
        row.window_started_at = now  # a pair's window runs from its last failure
        wait = delay_after(row.failures)
        row.retry_after = now + wait if wait else None

    def on_budget(limit: int) -> Callable[[SignInThrottle], None]:
        def count(row: SignInThrottle) -> None:
            if now - row.window_started_at >= window:
                row.failures, row.window_started_at, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= limit and row.locked_until is None:
                row.locked_until = row.window_started_at + window

        return count

    _update(session, SCOPE_PAIR, who.pair_key, now, on_pair)
    _update(session, SCOPE_ACCOUNT, who.account, now, on_budget(settings.account_failure_budget))
    _update(session, SCOPE_CLIENT, who.address, now, on_budget(settings.client_failure_budget))
    prune(session, now, settings)


def count_success(
    session: Session, who: Client, token: str | None, now: datetime, settings: AuthSettings
) -> str:
    """After a right password: forget the pair's failures (not the account's budget, nor the
    address's) and remember the browser as known for the account. Returns the device token
    the browser keeps: its own when it had a well-formed one, else a new one."""
    session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.scope == SCOPE_PAIR, SignInThrottle.key == who.pair_key)
        .execution_options(synchronize_session=False)
    )
    if device_hash(token) is None:
        token = secrets.token_urlsafe(32)
    digest = device_hash(token)
    assert token is not None and digest is not None

    def remember(row: SignInThrottle) -> None:
        row.window_started_at = now
        row.locked_until = now + settings.known_device_lifetime

    _update(session, SCOPE_DEVICE, _device_key(who.account, digest), now, remember)
    return token


def prune(session: Session, now: datetime, settings: AuthSettings) -> None:
    """Delete up to :data:`PRUNE_BATCH` rows that no longer hold anything back."""
    ended = or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now)
    stale = (
        select(SignInThrottle.id)
        .where(
            or_(
                and_(
                    SignInThrottle.scope.in_((SCOPE_PAIR, SCOPE_ACCOUNT, SCOPE_CLIENT)),
                    SignInThrottle.window_started_at < now - settings.throttle_window,
                    or_(SignInThrottle.retry_after.is_(None), SignInThrottle.retry_after <= now),
                    ended,
                ),
                and_(SignInThrottle.scope == SCOPE_DEVICE, ended),
            )
        )
        .limit(PRUNE_BATCH)
    )
    session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.id.in_(stale))
        .execution_options(synchronize_session=False)
    )


# --- what instructors see and do -------------------------------------------------------------


@dataclass(frozen=True)
class SlowedClient:
    """A client whose tries at an account wait now: an address, or None for a known browser."""

    address: str | None
    failures: int
    until: datetime


@dataclass(frozen=True)
class Throttled:
    """An account or an address whose sign-ins are held back now.

    ``failures``: counted in the current window (for an account: from everywhere);
    ``until``: when the last of its limits ends; ``known_browsers_only``: the budget is spent,
    so until ``guarded_until`` only browsers that signed in before get their password checked;
    ``slowed``: for an account, the clients that must wait before their next try."""

    kind: str  # "account" or "address"
    name: str
    failures: int
    until: datetime
    known_browsers_only: bool = False
    guarded_until: datetime | None = None
    display_name: str = ""
    slowed: tuple[SlowedClient, ...] = field(default=())


def list_throttled(
    session: Session, actor: Actor, now: datetime, settings: AuthSettings
) -> list[Throttled]:
    """The accounts (only existing ones) and addresses whose sign-ins are being slowed or limited
    to known browsers now, accounts first, each by name (instructors only)."""
    require_instructor(actor, "see throttled sign-ins")
    rows = session.scalars(
        select(SignInThrottle).where(
            SignInThrottle.scope.in_((SCOPE_PAIR, SCOPE_ACCOUNT, SCOPE_CLIENT)),
            or_(SignInThrottle.retry_after > now, SignInThrottle.locked_until > now),
        )
    ).all()
    slowed: dict[str, list[SlowedClient]] = {}
    guarded: dict[str, SignInThrottle] = {}
    addresses: list[Throttled] = []
    for row in rows:
        if row.scope == SCOPE_PAIR and row.retry_after is not None and row.retry_after > now:
            name, _, who = row.key.partition("\n")
            address = None if who.startswith(KNOWN_BROWSER) else who
            slowed.setdefault(name, []).append(SlowedClient(address, row.failures, row.retry_after))
        elif row.scope == SCOPE_ACCOUNT and _guarded(row, now):
            guarded[row.key] = row
        elif row.scope == SCOPE_CLIENT and _guarded(row, now):
            assert row.locked_until is not None
            addresses.append(
                Throttled(
                    "address", row.key, row.failures, row.locked_until, True, row.locked_until
                )
            )
    names = set(slowed) | set(guarded)
    users = (
        dict(
            session.execute(
                select(User.username, User.display_name).where(
                    User.username.in_(names), User.username != LOCAL_USERNAME
                )
            ).all()
        )
        if names
        else {}
    )
    accounts: list[Throttled] = []
    for name in sorted(users):
        clients = tuple(sorted(slowed.get(name, ()), key=lambda c: (c.until, c.address or "")))
        stored = guarded.get(name) or _stored(session, SCOPE_ACCOUNT, name)
        live = stored is not None and now - stored.window_started_at < settings.throttle_window
        counted = stored.failures if stored is not None and live else 0
        guard_end = guarded[name].locked_until if name in guarded else None
        ends = [c.until for c in clients] + ([guard_end] if guard_end is not None else [])
        accounts.append(
            Throttled(
                "account",
                name,
                max(counted, sum(c.failures for c in clients)),
                max(ends),
                guard_end is not None,
                guard_end,
                users[name] or "",
                clients,
            )
        )
    return accounts + sorted(addresses, key=lambda t: t.name)


def unlock_account(session: Session, actor: Actor, username: str) -> int:
    """Clear every wait and the budget of an account (instructors only): its owner and anyone
    else can try again at once. Returns how many throttle rows were cleared."""
    name = username.strip().lower()[:MAX_NAME]
    pairs = SignInThrottle.key.startswith(f"{name}\n", autoescape=True)
    return _unlock(session, actor, SCOPE_ACCOUNT, name, pairs)


def unlock_address(session: Session, actor: Actor, address: str) -> int:
    """Clear an address's budget and the waits of every account tried from it (instructors
    only). Returns how many throttle rows were cleared."""
    key = address.strip()[:MAX_ADDRESS]
    pairs = SignInThrottle.key.endswith(f"\n{key}", autoescape=True)
    return _unlock(session, actor, SCOPE_CLIENT, key, pairs)


def _unlock(session: Session, actor: Actor, scope: str, key: str, pairs: Any) -> int:
    """Delete the ``scope`` row of ``key`` and the (account, client) rows that ``pairs``
    matches; nothing for an empty key."""
    require_instructor(actor, "unlock sign-ins")
    if not key:
        return 0
    query = delete(SignInThrottle).where(
        or_(
            and_(SignInThrottle.scope == scope, SignInThrottle.key == key),
            and_(SignInThrottle.scope == SCOPE_PAIR, pairs),
        )
    )
    return int(session.execute(query.execution_options(synchronize_session=False)).rowcount or 0)  # type: ignore[attr-defined]


# --- rows ------------------------------------------------------------------------------------


def _device_key(account: str, digest: str) -> str:
    return f"{account}\n{digest}"


def _stored(session: Session, scope: str, key: str, *, lock: bool = False) -> SignInThrottle | None:
    query = select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.key == key)
    return session.scalar(query.with_for_update() if lock else query)


def _insert_missing(session: Session, scope: str, key: str, now: datetime) -> None:
    if _stored(session, scope, key) is not None:
        return
    try:
        with session.begin_nested():  # another attempt may be inserting it right now
            session.add(SignInThrottle(scope=scope, key=key, failures=0, window_started_at=now))
    except IntegrityError:
        pass


def _update(
    session: Session,
    scope: str,
    key: str,
    now: datetime,
    change: Callable[[SignInThrottle], None],
) -> None:
    """Apply ``change`` to the stored row (locked), inserting it if there is none. When another
    server inserts the same key meanwhile, the change is applied to that row instead."""
    row = _stored(session, scope, key, lock=True)
    if row is not None:
        change(row)
        session.flush()
        return
    row = SignInThrottle(scope=scope, key=key, failures=0, window_started_at=now)
    change(row)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        stored = _stored(session, scope, key, lock=True)
        assert stored is not None
        change(stored)
    session.flush()


def _guarded(row: SignInThrottle | None, now: datetime) -> bool:
    return row is not None and row.locked_until is not None and now < row.locked_until


def _wait(delta: timedelta) -> str:
    seconds = math.ceil(delta.total_seconds())
    return f"{seconds} s" if seconds < 120 else _minutes(delta)


def _minutes(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
