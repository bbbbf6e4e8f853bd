"""Shared fixtures: every test gets its own SQLite file and never touches the user's data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quiz.config import StudySettings
from quiz.runtime import Stride


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
        "STRIDE_TRUST_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'stride.db'}"


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
