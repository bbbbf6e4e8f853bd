"""Which database errors are worth running a transaction again for, and how long to wait.

* SQLite ``database is locked`` / ``busy``: another connection held the write lock longer than
  the busy timeout, or a read transaction could not be upgraded to a write (in WAL mode SQLite
  then returns ``SQLITE_BUSY`` at once, without waiting).
* PostgreSQL serialization failures (SQLSTATE ``40001``) and deadlocks (``40P01``).
* A unique violation on a ``client_token`` constraint: another server recorded the same answer
  a moment earlier; run again, the service finds that row and returns its result.
* A unique violation on ``card_schedules (user_id, card_id)``: two tabs answered the same new
  card at once and both inserted its schedule; run again, the loser finds the winner's row (and
  refuses its answer as stale when the page said which review count it showed).

Backoff: ``base · 2^attempt`` seconds with full jitter (uniform in [0, that]), capped at ``cap``.
"""

from __future__ import annotations

import random

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

RETRYABLE_SQLSTATES = {"40001", "40P01"}
SQLITE_BUSY_MESSAGES = ("database is locked", "database is busy", "database table is locked")


def is_retryable(error: DBAPIError) -> bool:
    """Whether running the whole transaction again can succeed (see the module docstring)."""
    message = str(error.orig).lower()
    if isinstance(error, IntegrityError):
        return "client_token" in message or "card_schedules" in message
    if getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, OperationalError) and any(
        text in message for text in SQLITE_BUSY_MESSAGES
    )


def backoff_seconds(
    attempt: int, rng: random.Random, base: float = 0.01, cap: float = 0.5
) -> float:
    """Full-jitter exponential backoff: uniform in ``[0, min(cap, base · 2^attempt)]``."""
    return rng.uniform(0.0, min(cap, base * 2**attempt))
