"""Real-browser fixtures: Debian's Chromium driven by Playwright, against a live Streamlit server.

Without Chromium the browser tests skip with a one-line reason; with ``STRIDE_REQUIRE_BROWSER=1``
(set by ``.ci/run``) a missing browser is a failure instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quiz.benchmarks.server import CHROMIUM_ARGS, find_chromium, running_app
from tests.support import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"  # pytest-playwright wipes test-results/


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = "Chromium not found (apt-get install chromium, or set STRIDE_CHROMIUM)"
        if os.environ.get("STRIDE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here: {message}")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium_path: str
) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1100, "height": 900}}


@pytest.fixture
def app_env() -> dict[str, str]:
    """Extra ``STRIDE_*`` settings for the server; override with ``parametrize("app_env", ...)``."""
    return {}


@pytest.fixture
def app_url(chromium_path: str, tmp_path: Path, app_env: dict[str, str]) -> Iterator[str]:
    """A fresh Stride server (own SQLite file) on a free loopback port."""
    log = str(tmp_path / "streamlit.log")
    with running_app(str(tmp_path / "data"), env=app_env, log=log) as url:
        yield url


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
