"""Shared fixtures: every test gets its own database and never touches the user's data.

``database_url`` (and everything built on it, such as ``stride``) runs each test twice: on a new
SQLite file, and in a new, empty PostgreSQL database on the server named by
``STRIDE_TEST_POSTGRES_URL`` (dropped afterwards). Without that variable the PostgreSQL half
skips with a one-line reason, unless ``STRIDE_REQUIRE_POSTGRES=1`` (CI), where it fails instead.
A test that is about SQLite itself asks for ``sqlite_url`` instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

import quiz.runtime
from quiz.config import StudySettings
from quiz.runtime import Stride
from quiz.store.db import make_engine
from quiz.store.migrate import upgrade

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))
_database_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path_factory.mktemp("stride-data")
    monkeypatch.setenv("STRIDE_DATA_DIR", str(data_dir))
    for name in (
        "STRIDE_DATABASE_URL",
        "STRIDE_TIMEZONE",
        "STRIDE_NEW_CARDS_PER_DAY",
        "STRIDE_DAY_STARTS_AT_HOUR",
        "STRIDE_LEARNING_STEPS",
        "STRIDE_FUZZ",
        "STRIDE_AUTH",
        "STRIDE_SESSION_IDLE_MINUTES",
        "STRIDE_SESSION_HOURS",
        "STRIDE_LOCKOUT_FAILURES",
        "STRIDE_LOCKOUT_MINUTES",
        "STRIDE_ACCOUNT_FAILURES_PER_HOUR",
        "STRIDE_CLIENT_FAILURES_PER_HOUR",
        "STRIDE_TRUST_PROXY",
        "STRIDE_TRUSTED_PROXIES",
        "STRIDE_COOKIE_SECURE",
        "STRIDE_OIDC_NEW_ACCOUNTS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new SQLite file (for tests of SQLite's own behaviour)."""
    return f"sqlite:///{tmp_path / 'stride.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """A new, empty database on each backend: an SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    with new_postgres_database(request.getfixturevalue("postgres_admin")) as url:
        yield url


@contextmanager
def new_postgres_database(admin: Engine) -> Iterator[str]:
    """Create an empty database on the test server, yield its URL, drop it afterwards."""
    name = f"stride_test_{os.getpid()}_{next(_database_numbers)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(os.environ["STRIDE_TEST_POSTGRES_URL"]).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An autocommit engine on the test server, for creating and dropping test databases."""
    url = os.environ.get("STRIDE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("STRIDE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL tests are required here but STRIDE_TEST_POSTGRES_URL is unset")
        pytest.skip("no PostgreSQL server (set STRIDE_TEST_POSTGRES_URL; .ci/run starts one)")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


@pytest.fixture
def settings() -> StudySettings:
    """Default settings with fuzzing off, so intervals are exact."""
    return StudySettings(enable_fuzzing=False)


def _one_file_copy(source: Path, target: Path) -> Path:
    """``source`` as one self-contained SQLite file, whatever its journal left beside it."""
    with closing(sqlite3.connect(source)) as given, closing(sqlite3.connect(target)) as copy:
        given.backup(copy)
    assert not Path(f"{target}-wal").exists()
    return target


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to the newest schema and nothing else, made once per process."""
    folder = tmp_path_factory.mktemp("migrated-sqlite")
    engine = make_engine(f"sqlite:///{folder / 'made.db'}")
    upgrade(engine)
    engine.dispose()
    return _one_file_copy(folder / "made.db", folder / "stride.db")


@pytest.fixture(autouse=True)
def _new_sqlite_files_start_migrated(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """:meth:`Stride.open` on a new (empty) SQLite file starts from a copy of
    :func:`migrated_sqlite_file` instead of running every migration (~0.15 s, most of many
    tests' time); the migrations themselves are tested in test_store.py and the migration
    tests, which call :func:`quiz.store.migrate.upgrade` directly."""

    def upgrade_from_a_copy(engine: Engine, revision: str = "head") -> None:
        path = engine.url.database
        if (
            revision == "head"
            and engine.url.get_backend_name() == "sqlite"
            and path
            and path != ":memory:"
            and Path(path).exists()
            and Path(path).stat().st_size == 0  # make_engine made it, nothing wrote to it yet
        ):
            shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        upgrade(engine, revision)  # at the head already: a quick check

    monkeypatch.setattr(quiz.runtime, "upgrade", upgrade_from_a_copy)


@pytest.fixture(scope="session")
def opened_sqlite_file(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_file: Path
) -> Path:
    """An SQLite file as :meth:`Stride.open` leaves a new one (migrated, the local user, the
    built-in decks, the server secret), made once per test process: :func:`stride` starts each
    test from a copy, which opens in ~0.02 s instead of ~0.15 s (most of a store test's time)."""
    folder = tmp_path_factory.mktemp("opened-sqlite")
    made = folder / "made.db"
    shutil.copyfile(migrated_sqlite_file, made)
    with pytest.MonkeyPatch.context() as patch:  # nothing of the user's: data in this folder
        patch.setenv("STRIDE_DATA_DIR", str(folder))
        Stride.open(f"sqlite:///{made}", StudySettings(enable_fuzzing=False)).close()
    return _one_file_copy(made, folder / "stride.db")


@pytest.fixture
def stride(
    database_url: str, settings: StudySettings, request: pytest.FixtureRequest
) -> Iterator[Stride]:
    """A migrated database with the built-in decks loaded (on SQLite, a copy of
    :func:`opened_sqlite_file`, opened again: the same as opening a new file, but faster)."""
    if database_url.startswith("sqlite:///"):
        shutil.copyfile(
            request.getfixturevalue("opened_sqlite_file"), database_url.removeprefix("sqlite:///")
        )
    app = Stride.open(database_url, settings)
    yield app
    app.close()
