"""Database engine and sessions. The only place that knows which backend is in use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from quiz.store.private_files import private_sqlite_file

SQLITE_BUSY_TIMEOUT_MS = 5000
POOL_SIZE = 20
POOL_OVERFLOW = 20
"""Connections kept open per process, and how many more a burst may open (closed after use).

SQLAlchemy's default (5 + 10) made page runs wait for a connection once a class of 500 was
signing in and studying at once (measured with ``stride bench class``), and each overflow
connection is a new SQLite connection with its pragmas. Two replicas at 40 each stay well under
PostgreSQL's default ``max_connections`` (100)."""


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; for SQLite, create the file (``0600``, its folder ``0700``:
    it holds password hashes and grades; :mod:`quiz.store.private_files`) and set the pragmas.

    Every SQLite connection gets WAL journaling (readers don't block the writer), enforced
    foreign keys, and a busy timeout so concurrent writers wait instead of failing at once.
    Transactions are begun by SQLAlchemy, not by the ``sqlite3`` driver (which would otherwise
    start one only at the first write, so a SAVEPOINT released before any write committed it).
    """
    parsed = make_url(url)
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **pool)
    if parsed.database and parsed.database != ":memory:":
        private_sqlite_file(Path(parsed.database).expanduser())  # 0600 before SQLite opens it
    if not parsed.database or parsed.database == ":memory:":
        pool = {}  # one in-memory database per connection: SQLAlchemy picks its own pool
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
    dbapi_connection.isolation_level = None  # the driver's own BEGIN off: see make_engine


WRITE_INTENT = "stride_write"
"""Execution option: begin the SQLite transaction with ``BEGIN IMMEDIATE`` (see :func:`writing`)."""


def writing(session: Session) -> None:
    """Declare, before its first statement, that ``session``'s transaction will write.

    On SQLite the transaction then starts with ``BEGIN IMMEDIATE``: it takes the write lock at
    once, waiting up to the busy timeout for it, instead of reading first and failing with
    ``SQLITE_BUSY`` (no waiting) when another writer committed in between. Other backends ignore
    it."""
    session.connection(execution_options={WRITE_INTENT: True})


def _begin_sqlite_transaction(connection: Any) -> None:
    immediate = connection.get_execution_options().get(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (objects are read after the block)."""
    return sessionmaker(engine, expire_on_commit=False)
