"""The address sign-ins are throttled by, behind a proxy (quiz/web/client.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.config import AuthSettings, ConfigError
from quiz.web.client import client_address

TRUSTED = AuthSettings(mode="password", trust_forwarded_for=True)


@pytest.mark.parametrize(
    ("forwarded", "settings", "expected"),
    [
        (None, TRUSTED, "10.0.0.5"),
        ("203.0.113.9", TRUSTED, "203.0.113.9"),
        ("1.2.3.4, 203.0.113.9", TRUSTED, "203.0.113.9"),  # the client wrote 1.2.3.4 itself
        ("1.2.3.4,203.0.113.9 , ", TRUSTED, "203.0.113.9"),
        ("2001:db8::1", TRUSTED, "2001:db8::1"),
        ("not-an-address", TRUSTED, "10.0.0.5"),
        ("1.2.3.4, 203.0.113.9", AuthSettings(mode="password"), "10.0.0.5"),  # not trusted
        (
            "1.2.3.4, 198.51.100.2, 203.0.113.9",
            AuthSettings(mode="password", trust_forwarded_for=True, trusted_proxies=2),
            "198.51.100.2",  # two proxies of ours: the second from the right
        ),
        (
            "203.0.113.9",
            AuthSettings(mode="password", trust_forwarded_for=True, trusted_proxies=2),
            "10.0.0.5",
        ),
    ],
)
def test_the_client_is_the_entry_our_proxies_wrote(
    forwarded: str | None, settings: AuthSettings, expected: str
) -> None:
    assert client_address("10.0.0.5", forwarded, settings) == expected


@given(spoofed=st.lists(st.text(alphabet="0123456789.:abcdef ,", max_size=20), max_size=5))
def test_entries_the_client_writes_never_change_the_answer(spoofed: list[str]) -> None:
    """Whatever a client puts before the proxy's entry, the answer is the proxy's entry."""
    forwarded = ", ".join([*spoofed, "203.0.113.9"])
    assert client_address("10.0.0.5", forwarded, TRUSTED) == "203.0.113.9"


def test_the_settings_are_read_and_checked() -> None:
    settings = AuthSettings.from_env(
        {
            "STRIDE_AUTH": "password",
            "STRIDE_TRUST_PROXY": "1",
            "STRIDE_TRUSTED_PROXIES": "2",
            "STRIDE_COOKIE_SECURE": "on",
        }
    )
    assert settings.trust_forwarded_for and settings.trusted_proxies == 2
    assert settings.cookie_secure == "on"
    assert AuthSettings.from_env({}).cookie_secure == "auto"
    with pytest.raises(ConfigError, match="STRIDE_COOKIE_SECURE='sometimes'"):
        AuthSettings.from_env({"STRIDE_COOKIE_SECURE": "sometimes"})
    with pytest.raises(ConfigError, match="STRIDE_TRUSTED_PROXIES"):
        AuthSettings.from_env({"STRIDE_TRUSTED_PROXIES": "0"})
