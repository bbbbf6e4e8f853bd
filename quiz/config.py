"""Settings read from ``STRIDE_*`` environment variables (documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_DECKS_DIR = PROJECT_ROOT / "data" / "decks"


class ConfigError(ValueError):
    """An environment variable with a value Stride cannot use."""


def default_data_dir() -> Path:
    """``$STRIDE_DATA_DIR``, else ``$XDG_DATA_HOME/stride``, else ``~/.local/share/stride``."""
    if explicit := os.environ.get("STRIDE_DATA_DIR"):
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "stride"


def default_database_url() -> str:
    """``$STRIDE_DATABASE_URL``, else an SQLite file ``stride.db`` in the data directory."""
    if url := os.environ.get("STRIDE_DATABASE_URL"):
        return url
    return f"sqlite:///{default_data_dir() / 'stride.db'}"


@dataclass(frozen=True)
class StudySettings:
    """How reviews are scheduled and how the daily queue is built."""

    desired_retention: float = 0.9
    learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10))
    relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),)
    maximum_interval_days: int = 36500
    enable_fuzzing: bool = True
    new_cards_per_day: int = 20
    learn_ahead: timedelta = timedelta(minutes=20)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    day_starts_at_hour: int = 4

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> StudySettings:
        """Read ``STRIDE_*`` variables; a bad value raises :class:`ConfigError` naming it."""
        env = dict(os.environ if env is None else env)
        _refuse_retired(env)
        defaults = cls()
        return cls(
            desired_retention=_number(
                env, "STRIDE_DESIRED_RETENTION", defaults.desired_retention, float, 0.7, 0.99
            ),
            learning_steps=_steps(env, "STRIDE_LEARNING_STEPS", defaults.learning_steps),
            relearning_steps=_steps(env, "STRIDE_RELEARNING_STEPS", defaults.relearning_steps),
            maximum_interval_days=_number(
                env, "STRIDE_MAXIMUM_INTERVAL_DAYS", defaults.maximum_interval_days, int, 1, 36500
            ),
            enable_fuzzing=_flag(env, "STRIDE_FUZZ", defaults.enable_fuzzing),
            new_cards_per_day=_number(
                env, "STRIDE_NEW_CARDS_PER_DAY", defaults.new_cards_per_day, int, 0, 9999
            ),
            learn_ahead=timedelta(
                minutes=_number(env, "STRIDE_LEARN_AHEAD_MINUTES", 20, int, 0, 24 * 60)
            ),
            timezone=_zone(env.get("STRIDE_TIMEZONE", "UTC")),
            day_starts_at_hour=_number(
                env, "STRIDE_DAY_STARTS_AT_HOUR", defaults.day_starts_at_hour, int, 0, 23
            ),
        )


AUTH_NONE = "none"
AUTH_PASSWORD = "password"
AUTH_OIDC = "oidc"
COOKIE_SECURE_CHOICES = ("auto", "on", "off")
OIDC_NEW_ACCOUNTS = ("student", "refuse")
RETIRED_VARIABLES = ("STRIDE_LOCKOUT_FAILURES", "STRIDE_LOCKOUT_MINUTES")
"""Settings of the account lockout that sign-in throttling replaced: refused, not ignored."""


def _refuse_retired(env: dict[str, str]) -> None:
    """A variable of the old lockout rules is an error naming its replacements (not ignored:
    whoever set it expects a limit that no longer exists)."""
    for retired in RETIRED_VARIABLES:
        if env.get(retired, "").strip():
            raise ConfigError(
                f"{retired} is no longer used: failed sign-ins slow the client down instead "
                "of locking the account; see STRIDE_ACCOUNT_FAILURES_PER_HOUR and "
                "STRIDE_CLIENT_FAILURES_PER_HOUR"
            )


@dataclass(frozen=True)
class AuthSettings:
    """Local or classroom mode, and how long sign-ins last and how failures are throttled.

    ``mode`` is ``none`` (local: one person, no sign-in), ``password`` (classroom: accounts with
    passwords) or ``oidc`` (classroom: accounts signed in by the school's identity provider).
    A session ends after ``session_idle`` without use or ``session_lifetime`` after sign-in.
    Failed sign-ins slow the client that fails (:mod:`quiz.services.throttle`); nothing locks an
    account for its owner. ``account_failure_budget`` failures on one account within
    ``throttle_window`` (from anywhere), or ``client_failure_budget`` from one address, limit it
    to browsers that signed in before until the window ends; a browser stays known for
    ``known_device_lifetime`` after its last sign-in.
    """

    mode: str = AUTH_NONE
    session_idle: timedelta = timedelta(hours=2)
    session_lifetime: timedelta = timedelta(hours=12)
    account_failure_budget: int = 20
    client_failure_budget: int = 2000
    throttle_window: timedelta = timedelta(hours=1)
    known_device_lifetime: timedelta = timedelta(days=90)
    trust_forwarded_for: bool = False
    """Take the client address from ``X-Forwarded-For`` (only behind a reverse proxy)."""
    trusted_proxies: int = 1
    """With ``trust_forwarded_for``: how many proxies of ours append to ``X-Forwarded-For``; the
    client is the entry that many places from the right (the ones left of it are the client's
    own words)."""
    cookie_secure: str = "auto"
    """``Secure`` on the sign-in cookie: ``on``, ``off``, or ``auto`` — when the request came
    over HTTPS (directly, or says so in ``X-Forwarded-Proto`` from a trusted proxy)."""
    oidc_new_accounts: str = "student"
    """Single sign-on: an identity with no Stride account gets a ``student`` one, or is
    ``refuse``-d (an instructor pre-creates the accounts by e-mail)."""

    @property
    def classroom(self) -> bool:
        """Accounts are on (passwords or single sign-on): everyone signs in."""
        return self.mode in (AUTH_PASSWORD, AUTH_OIDC)

    @property
    def single_sign_on(self) -> bool:
        return self.mode == AUTH_OIDC

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AuthSettings:
        """Read ``STRIDE_AUTH`` and the session/throttle variables (README: Classroom mode)."""
        env = dict(os.environ if env is None else env)
        mode = env.get("STRIDE_AUTH", "").strip().lower() or AUTH_NONE
        if mode not in (AUTH_NONE, AUTH_PASSWORD, AUTH_OIDC):
            raise ConfigError(
                f"STRIDE_AUTH={mode!r}: expected 'none' (local mode), 'password' (classroom) "
                "or 'oidc' (classroom, single sign-on)"
            )
        _refuse_retired(env)
        defaults = cls()
        return cls(
            mode=mode,
            session_idle=timedelta(
                minutes=_number(env, "STRIDE_SESSION_IDLE_MINUTES", 120, int, 1, 7 * 24 * 60)
            ),
            session_lifetime=timedelta(
                hours=_number(env, "STRIDE_SESSION_HOURS", 12, int, 1, 24 * 30)
            ),
            account_failure_budget=_number(
                env,
                "STRIDE_ACCOUNT_FAILURES_PER_HOUR",
                defaults.account_failure_budget,
                int,
                1,
                1000,
            ),
            client_failure_budget=_number(
                env,
                "STRIDE_CLIENT_FAILURES_PER_HOUR",
                defaults.client_failure_budget,
                int,
                1,
                1_000_000,
            ),
            trust_forwarded_for=_flag(env, "STRIDE_TRUST_PROXY", defaults.trust_forwarded_for),
            trusted_proxies=_number(env, "STRIDE_TRUSTED_PROXIES", 1, int, 1, 10),
            cookie_secure=_choice(env, "STRIDE_COOKIE_SECURE", "auto", COOKIE_SECURE_CHOICES),
            oidc_new_accounts=_choice(
                env, "STRIDE_OIDC_NEW_ACCOUNTS", "student", OIDC_NEW_ACCOUNTS
            ),
        )


def _number(
    env: dict[str, str], name: str, default: Any, kind: type, low: float, high: float
) -> Any:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number from {low} to {high}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r}: expected a number from {low} to {high}")
    return value


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise ConfigError(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return raw


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r}: expected 1/0, true/false, yes/no or on/off")


_STEP_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_steps(raw: str) -> tuple[timedelta, ...]:
    """Parse learning steps such as ``"1m, 10m"`` or ``"30s 1h 1d"`` (an empty string: none)."""
    steps: list[timedelta] = []
    for token in raw.replace(",", " ").split():
        unit = token[-1].lower()
        if unit not in _STEP_UNITS or not token[:-1].replace(".", "", 1).isdigit():
            raise ValueError(f"{token!r} is not a step like 30s, 10m, 1h or 1d")
        steps.append(timedelta(seconds=float(token[:-1]) * _STEP_UNITS[unit]))
    return tuple(steps)


def _steps(env: dict[str, str], name: str, default: tuple[timedelta, ...]) -> tuple[timedelta, ...]:
    if name not in env:
        return default
    try:
        return parse_steps(env[name])
    except ValueError as error:
        raise ConfigError(f"{name}={env[name]!r}: {error}") from None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"STRIDE_TIMEZONE={name!r}: expected an IANA time zone such as Europe/London"
        ) from None
