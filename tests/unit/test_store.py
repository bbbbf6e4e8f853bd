"""Storage: migrations up and down on both backends, SQLite pragmas, UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text

from quiz.store.db import make_engine, make_session_factory
from quiz.store.migrate import current_revision, downgrade, head_revision, upgrade
from quiz.store.models import Base, User

TABLES = {"users", "decks", "cards", "card_schedules", "review_log"}


def test_migrations_up_down_up(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_migrations_match_the_models(database_url: str) -> None:
    """Autogenerate finds nothing to do: the migrations create exactly what the models say."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    engine.dispose()


def test_sqlite_pragmas_on_every_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    for _ in range(2):
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()


def test_sqlite_folder_is_created(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'nested' / 'deeper' / 'stride.db'}"
    engine = make_engine(url)
    upgrade(engine)
    assert (tmp_path / "nested" / "deeper" / "stride.db").exists()
    engine.dispose()


def test_datetimes_come_back_as_utc(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    eastern = datetime(2026, 3, 1, 7, 30, tzinfo=timezone(timedelta(hours=-5)))
    with sessions.begin() as session:
        session.add(User(username="a", display_name="A", role="student", created_at=eastern))
    with sessions() as session:
        stored = session.scalar(select(User.created_at))
    assert stored == eastern and stored.tzinfo == UTC
    with pytest.raises(Exception, match="naive datetime"), sessions.begin() as session:
        session.add(User(username="b", created_at=datetime(2026, 3, 1)))
    engine.dispose()


def test_migration_0002_keeps_existing_cards_as_flashcards(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    now = "2026-01-01 00:00:00"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO decks (slug, title, description, source_format, source_name, "
                f"created_at, updated_at) VALUES ('d', 'D', '', 'notes', '', '{now}', '{now}')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO cards (deck_id, key, position, front, back, active, created_at, "
                f"updated_at) VALUES (1, 'k', 0, 'Q', 'A', TRUE, '{now}', '{now}')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT kind, exercise_family FROM cards")).one()
    assert tuple(row) == ("flashcard", None)
    downgrade(engine, "0001")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT front FROM cards")).scalar() == "Q"
    engine.dispose()


def test_migrations_keep_the_links_between_rows(database_url: str) -> None:
    """Rebuilding ``review_log`` (0006, batch mode on SQLite) keeps ``attempts.review_id``."""
    engine = make_engine(database_url)
    upgrade(engine, "0005")
    now = "2026-01-01 00:00:00"
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO users (id, username, display_name, role, created_at, active, "
            f"must_change_password) VALUES (1, 'u', 'U', 'student', '{now}', TRUE, FALSE)",
            "INSERT INTO decks (id, slug, title, description, source_format, source_name, "
            f"created_at, updated_at) VALUES (1, 'd', 'D', '', 'notes', '', '{now}', '{now}')",
            "INSERT INTO cards (id, deck_id, key, position, front, back, active, created_at, "
            f"updated_at, kind) VALUES (1, 1, 'k', 0, 'Q', 'A', TRUE, '{now}', '{now}', "
            "'flashcard')",
            "INSERT INTO review_log (id, user_id, card_id, rating, reviewed_at, state_before, "
            "state_after, stability_after, difficulty_after, due_after) "
            f"VALUES (7, 1, 1, 3, '{now}', 0, 1, 1.0, 5.0, '{now}')",
            "INSERT INTO attempts (user_id, card_id, review_id, source, family, seed, "
            "difficulty, raw_answer, score, correct, used_hint, saw_solution, created_at) "
            f"VALUES (1, 1, 7, 'study', 'f', 1, 1, 'x', 1.0, TRUE, FALSE, FALSE, '{now}')",
        ):
            connection.execute(text(statement))
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT review_id FROM attempts")).scalar() == 7
    if database_url.startswith("sqlite"):
        with engine.connect() as connection:  # enforcement is back on afterwards
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
