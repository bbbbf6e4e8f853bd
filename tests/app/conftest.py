"""Every page test runs twice: on the default SQLite file and on a new PostgreSQL database.

The app finds its database through ``STRIDE_DATABASE_URL`` (unset: the SQLite file in the
test's own ``STRIDE_DATA_DIR``); for the PostgreSQL run it names a database made for the test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import make_url

from quiz.config import default_database_url
from tests.conftest import BACKENDS, new_postgres_database

# Production hides error details from browsers (client.showErrorDetails = "none" in
# .streamlit/config.toml); a failing page test should still say what went wrong. Set before
# Streamlit first reads its configuration, which happens in the tests themselves.
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")


@pytest.fixture(autouse=True, params=BACKENDS)
def app_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The backend of this run; sets ``STRIDE_DATABASE_URL`` for PostgreSQL. On SQLite the app's
    file starts as a copy of an opened one (see ``opened_sqlite_file``): the same, but faster."""
    if request.param == "sqlite":
        app_file = make_url(default_database_url()).database  # in this test's STRIDE_DATA_DIR
        assert app_file is not None
        shutil.copyfile(request.getfixturevalue("opened_sqlite_file"), app_file)
        yield "sqlite"
        return
    with new_postgres_database(request.getfixturevalue("postgres_admin")) as url:
        monkeypatch.setenv("STRIDE_DATABASE_URL", url)
        yield "postgresql"
