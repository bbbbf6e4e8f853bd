"""Settings from STRIDE_* environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from quiz.config import ConfigError, StudySettings, default_database_url, parse_steps


def test_defaults() -> None:
    settings = StudySettings.from_env({})
    assert settings.desired_retention == 0.9
    assert settings.learning_steps == (timedelta(minutes=1), timedelta(minutes=10))
    assert settings.relearning_steps == (timedelta(minutes=10),)
    assert settings.new_cards_per_day == 20
    assert settings.enable_fuzzing is True
    assert str(settings.timezone) == "UTC"


def test_values_are_read() -> None:
    settings = StudySettings.from_env(
        {
            "STRIDE_DESIRED_RETENTION": "0.85",
            "STRIDE_LEARNING_STEPS": "30s, 5m 1h",
            "STRIDE_NEW_CARDS_PER_DAY": "5",
            "STRIDE_FUZZ": "off",
            "STRIDE_TIMEZONE": "Europe/London",
            "STRIDE_DAY_STARTS_AT_HOUR": "0",
        }
    )
    assert settings.desired_retention == 0.85
    assert settings.learning_steps == (
        timedelta(seconds=30),
        timedelta(minutes=5),
        timedelta(hours=1),
    )
    assert settings.new_cards_per_day == 5
    assert settings.enable_fuzzing is False
    assert str(settings.timezone) == "Europe/London"
    assert settings.day_starts_at_hour == 0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("STRIDE_DESIRED_RETENTION", "1.5", "from 0.7 to 0.99"),
        ("STRIDE_DESIRED_RETENTION", "ninety", "expected a number"),
        ("STRIDE_NEW_CARDS_PER_DAY", "-1", "expected a number"),
        ("STRIDE_LEARNING_STEPS", "1m 10x", "is not a step like"),
        ("STRIDE_TIMEZONE", "Mars/Olympus", "IANA time zone"),
        ("STRIDE_FUZZ", "maybe", "expected 1/0"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        StudySettings.from_env({name: value})
    assert name in str(caught.value)


def test_empty_steps_mean_no_learning_steps() -> None:
    assert parse_steps("") == ()


def test_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STRIDE_DATA_DIR", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path / 'stride.db'}"
    monkeypatch.setenv("STRIDE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert default_database_url() == "postgresql+psycopg://u@h/db"
