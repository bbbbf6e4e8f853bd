"""``stride run`` (quiz/commands/serve.py): where it listens, and what errors a browser sees.

The command is run through the console script's fast path (:mod:`quiz.launcher`) with
``os.execv`` replaced, so the test reads the ``streamlit run`` command it would become. The
production settings of ``.streamlit/config.toml`` are checked as Streamlit itself reads them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from quiz import launcher
from quiz.commands import serve
from tests.support import REPO_ROOT

SECRET = "the database password is hunter2"
CRASHING_PAGE = f"raise ValueError({SECRET!r})"


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """The commands ``stride run`` would replace itself with."""
    commands: list[list[str]] = []
    monkeypatch.setenv("STRIDE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    monkeypatch.setattr(serve.os, "execv", lambda _exe, argv: commands.append(list(argv)))
    monkeypatch.setattr(serve.os, "chdir", lambda _path: None)
    return commands


def _run(executed: list[list[str]], *words: str) -> list[str]:
    assert launcher.main(["run", *words]) == 0
    return executed[-1]


def _addresses(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, word in enumerate(argv) if word == "--server.address"]


def test_local_mode_listens_on_loopback_only(executed: list[list[str]]) -> None:
    assert _addresses(_run(executed)) == ["127.0.0.1"]
    assert _addresses(_run(executed, "--dev")) == ["127.0.0.1"]


def test_the_address_can_be_chosen(
    executed: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _addresses(_run(executed, "--address", "0.0.0.0")) == ["0.0.0.0"]
    # told streamlit directly: nothing is added in front of it
    assert _addresses(_run(executed, "--server.address", "10.0.0.2")) == ["10.0.0.2"]
    assert "--server.address=10.0.0.2" in _run(executed, "--server.address=10.0.0.2")
    assert _addresses(executed[-1]) == []
    monkeypatch.setenv("STREAMLIT_SERVER_ADDRESS", "10.0.0.3")
    assert _addresses(_run(executed)) == []


def test_classroom_mode_listens_on_every_interface(
    executed: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class must reach it, and every page is behind the sign-in."""
    monkeypatch.setenv("STRIDE_AUTH", "password")
    assert _addresses(_run(executed)) == []
    assert _addresses(_run(executed, "--address", "10.0.0.2")) == ["10.0.0.2"]


def test_the_first_line_says_where_it_listens(
    executed: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _run(executed, "--port", "8999")
    assert "http://localhost:8999 (this machine only)" in capsys.readouterr().out


def test_production_shows_no_error_details_and_dev_does(executed: list[list[str]]) -> None:
    production = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert production["client"]["showErrorDetails"] == "none"
    assert "none" in {option.value for option in config.ShowErrorDetailsConfigOptions}
    assert not any("showErrorDetails" in word for word in _run(executed))
    dev = _run(executed, "--dev")
    assert dev[dev.index("--client.showErrorDetails") + 1] == "full"


@pytest.fixture
def project_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Streamlit's options as ``stride run`` reads them (the project's config file, from the
    project root); read again afterwards."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.delenv("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", raising=False)
    config.get_config_options(force_reparse=True)
    yield
    config.get_config_options(force_reparse=True)


def _crash() -> AppTest:
    at = AppTest.from_string(CRASHING_PAGE, default_timeout=30)
    at.run()
    assert len(at.exception) == 1
    return at


def test_a_crash_shows_the_browser_no_traceback(project_config: None) -> None:
    shown = _crash().exception[0]
    assert SECRET not in shown.message and "ValueError" not in str(shown.proto)
    assert not shown.stack_trace
    assert "redacted" in shown.message


def test_a_crash_under_dev_shows_everything(project_config: None) -> None:
    config.get_config_options(
        force_reparse=True, options_from_flags={"client.showErrorDetails": "full"}
    )
    shown = _crash().exception[0]
    assert SECRET in shown.message and shown.stack_trace
