"""The running application: database engine, sessions, settings and scheduler, opened once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quiz.config import AuthSettings, StudySettings, default_database_url
from quiz.scheduling import Scheduler, utc_now
from quiz.services.access import Actor
from quiz.services.decks import load_builtin_decks
from quiz.services.users import ensure_local_user
from quiz.store.db import make_engine, make_session_factory
from quiz.store.migrate import upgrade


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
        """Connect, migrate to the newest schema, ensure the local user and built-in decks."""
        engine = make_engine(url or default_database_url())
        upgrade(engine)
        sessions = make_session_factory(engine)
        settings = settings or StudySettings.from_env()
        with sessions.begin() as session:
            now = utc_now()
            local_actor = Actor.of(ensure_local_user(session, now))
            if load_builtin:
                load_builtin_decks(session, now)
        return cls(
            engine,
            sessions,
            settings,
            Scheduler(settings),
            local_actor,
            auth or AuthSettings.from_env(),
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
