"""One process at a time migrates and seeds a database, however many start together.

Several app replicas (or ``stride`` commands) may start at the same moment on one database. Each
runs the migrations and loads the built-in decks, which must not interleave: two ``CREATE
TABLE``s or two inserts of the same deck would fail. :func:`startup_lock` serialises them:

* PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) held on its own connection;
* SQLite: an exclusive ``flock`` on ``<database file>.lock`` beside the database.

The second process waits, then finds the work done (migrations and deck loading are idempotent).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

ADVISORY_LOCK_KEY = 0x5354524944  # "STRID": any fixed 64-bit number shared by all replicas


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's start-up lock for the ``with`` block (see the module docstring)."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
                connection.commit()
        return
    database = engine.url.database
    if backend != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(f"{Path(database).expanduser()}.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
