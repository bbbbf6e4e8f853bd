"""The running application: database engine, sessions, settings and scheduler, opened once."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from quiz.config import AuthSettings, StudySettings, default_database_url
from quiz.scheduling import Scheduler, utc_now
from quiz.services.access import Actor
from quiz.services.decks import load_builtin_decks
from quiz.services.users import ensure_local_user
from quiz.store.db import make_engine, make_session_factory, writing
from quiz.store.migrate import upgrade
from quiz.store.retry import backoff_seconds, is_retryable
from quiz.store.server_secret import SESSION_INFO_KEY, ensure_server_secret
from quiz.store.startup import startup_lock

T = TypeVar("T")
WRITE_ATTEMPTS = 6
_shared: dict[str, Stride] = {}
_shared_lock = threading.Lock()


@dataclass
class Stride:
    """Everything a request needs. Build it with :meth:`open`; share one per process."""

    engine: Engine
    sessions: sessionmaker[Session]
    settings: StudySettings
    scheduler: Scheduler
    local_actor: Actor
    """The one user of local mode (an instructor, so every page is open)."""
    auth: AuthSettings
    """Local or classroom mode (``STRIDE_AUTH``), session and sign-in limits."""

    @classmethod
    def open(
        cls,
        url: str | None = None,
        settings: StudySettings | None = None,
        *,
        load_builtin: bool = True,
        auth: AuthSettings | None = None,
    ) -> Stride:
        """Connect, migrate to the newest schema, ensure the local user, the built-in decks and
        the server secret (under :func:`~quiz.store.startup.startup_lock`, so replicas starting
        together wait). The secret is read here, once, and every session carries it
        (:func:`quiz.store.server_secret.session_secret`)."""
        engine = make_engine(url or default_database_url())
        sessions = make_session_factory(engine)
        settings = settings or StudySettings.from_env()
        with startup_lock(engine):  # replicas starting together take turns
            upgrade(engine)
            with sessions.begin() as session:
                now = utc_now()
                local_actor = Actor.of(ensure_local_user(session, now))
                if load_builtin:
                    load_builtin_decks(session, now)
                secret = ensure_server_secret(session, now)
        sessions.configure(info={SESSION_INFO_KEY: secret})
        return cls(
            engine,
            sessions,
            settings,
            Scheduler(settings),
            local_actor,
            auth or AuthSettings.from_env(),
        )

    @classmethod
    def shared(cls, url: str | None = None) -> Stride:
        """The process's one :class:`Stride` for ``url`` (default: the configured database),
        opened by the first caller; the pages and the server's HTTP routes share it."""
        url = url or default_database_url()
        stride = _shared.get(url)
        if stride is None:
            with _shared_lock:  # one opening (and migration) per process, however many ask
                stride = _shared.get(url)
                if stride is None:
                    stride = _shared[url] = cls.open(url)
        return stride

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    def write(self, work: Callable[[Session], T], *, attempts: int = WRITE_ATTEMPTS) -> T:
        """Run ``work(session)`` in one transaction, again after a busy database or a lost race.

        Each try is a fresh transaction (the failed one is rolled back whole), so ``work`` must
        be safe to run again: the answer services are, through their client tokens. Errors that
        :func:`quiz.store.retry.is_retryable` does not name, or the last try's error, propagate.
        """
        rng = random.Random()
        for attempt in range(attempts):
            try:
                with self.transaction() as session:
                    writing(session)
                    return work(session)
            except DBAPIError as error:
                if attempt == attempts - 1 or not is_retryable(error):
                    raise
                time.sleep(backoff_seconds(attempt, rng))
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Stride:
        """``with Stride.open() as stride:`` — closed (its connections released) at the end,
        however the block ends (the commands use it so)."""
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
