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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from quiz.config import StudySettings
from quiz.runtime import Stride

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


@pytest.fixture
def stride(database_url: str, settings: StudySettings) -> Iterator[Stride]:
    """A migrated database with the built-in decks loaded."""
    app = Stride.open(database_url, settings)
    yield app
    app.close()
