"""The server secret: a random key kept in the database, shared by every replica, never shown.

It keys the HMAC that seeds each student's assignment variants
(:func:`quiz.services.assignments.assignment_seed`): without it a variant's seed cannot be
computed, so no one can regenerate a classmate's (or their own) exam problem and its worked
solution before the due time.

* **Made once.** :func:`ensure_server_secret` inserts ``secrets.token_bytes(32)`` if no row exists
  (``INSERT … ON CONFLICT DO NOTHING``) and then reads the row: two replicas starting at once
  both end with the one secret that was stored first.
* **Read once per process.** :meth:`quiz.runtime.Stride.open` reads it at start-up and gives it to
  every session it makes (``Session.info``); :func:`session_secret` takes it from there, or from
  the database for a session made elsewhere.
* **Rotated by an administrator.** :func:`rotate_server_secret` (``stride secret rotate``)
  replaces it. Unanswered variants of open assignments change; answered ones do not, since each
  submission stores its variant's seed. Running servers keep the secret they read until restarted.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quiz.store.models import ServerSecret

ASSIGNMENT_SEEDS = "assignment-seeds"
"""The secret that keys assignment-variant seeds."""
SECRET_BYTES = 32
SESSION_INFO_KEY = "stride.assignment_secret"
"""Where a :class:`~quiz.runtime.Stride` session carries the secret (``Session.info``)."""


def ensure_server_secret(session: Session, now: datetime, name: str = ASSIGNMENT_SEEDS) -> bytes:
    """The secret called ``name``, made now if there is none yet (insert if absent, then read).

    Read first: once the secret exists (every start but the first) this writes nothing, so a
    server starting while others write does not need SQLite's write lock."""
    stored = session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    if stored is not None:
        return bytes(stored)
    values = {"name": name, "value": secrets.token_bytes(SECRET_BYTES), "created_at": now}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(ServerSecret).values(**values).on_conflict_do_nothing(index_elements=["name"])
        )
    elif session.get(ServerSecret, name) is None:  # pragma: no cover - other backends
        try:
            with session.begin_nested():
                session.add(ServerSecret(**values))
        except IntegrityError:
            pass  # another process stored one first: that one is read below
    stored = session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    if stored is None:  # pragma: no cover - the row was just made or found
        raise RuntimeError(f"the server secret {name!r} could not be stored")
    return bytes(stored)


def rotate_server_secret(session: Session, now: datetime, name: str = ASSIGNMENT_SEEDS) -> bytes:
    """Replace the secret called ``name`` with a new random one (made if missing); return it."""
    ensure_server_secret(session, now, name)
    row = session.get(ServerSecret, name, populate_existing=True)
    assert row is not None
    new = secrets.token_bytes(SECRET_BYTES)
    while new == row.value:  # pragma: no cover - 2**-256
        new = secrets.token_bytes(SECRET_BYTES)
    row.value = new
    row.created_at = now
    session.flush()
    if session.info.get(SESSION_INFO_KEY) is not None:
        session.info[SESSION_INFO_KEY] = new
    return new


def session_secret(session: Session) -> bytes:
    """The assignment-seed secret for work in ``session``.

    A :class:`~quiz.runtime.Stride` session carries the one its process read at start-up; any
    other session reads (or makes) it in the database once and keeps it in its ``info``.
    """
    secret = session.info.get(SESSION_INFO_KEY)
    if secret is None:
        made = datetime.now(UTC)
        secret = session.info[SESSION_INFO_KEY] = ensure_server_secret(session, made)
    return secret
