"""Classroom sign-in for AppTests: each AppTest is a browser with its own ``stride_session`` cookie.

A real browser signs in over HTTP (``quiz.web.sign_in``) and every page run reads the cookie of
the request that opened its websocket (:func:`quiz.ui.session.session_token`). AppTest has no
request, so :class:`Cookies` patches that one function: it answers, for the AppTest whose script
is running, the token given to it with :meth:`Cookies.give` (a session started by the service, as
the sign-in POST does). Several AppTests in one test are several browsers.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.testing.v1 import AppTest

import quiz.ui.session as ui_session
from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.sign_in import start_session
from quiz.store.models import User

AUTH = AuthSettings(mode="password")


def _state_of(at: AppTest) -> object:
    # The SessionState the AppTest keeps between runs; each run's script context wraps the same
    # object (``ctx.session_state._state``), which is how a run is matched to its AppTest.
    return at._session_state._state


class Cookies:
    """The ``stride_session`` cookie of every AppTest in a test (none until given one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._tokens: dict[int, tuple[object, str | None]] = {}
        monkeypatch.setattr(ui_session, "session_token", self.session_token)

    def give(self, at: AppTest, token: str | None) -> AppTest:
        """Set (or, with None, clear) ``at``'s cookie, as a sign-in or sign-out response does."""
        state = _state_of(at)
        self._tokens[id(state)] = (state, token)  # the state is kept so its id stays unique
        return at

    def of(self, at: AppTest) -> str | None:
        found = self._tokens.get(id(_state_of(at)))
        return found[1] if found else None

    def session_token(self) -> str | None:
        """Stands in for :func:`quiz.ui.session.session_token` during the tests."""
        context = get_script_run_ctx()
        if context is None:
            return None
        found = self._tokens.get(id(context.session_state._state))
        return found[1] if found else None


def start(stride: Stride, username: str, client: str = "test") -> str:
    """A new session for ``username``, started by the service as a successful sign-in does."""
    with stride.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return start_session(session, user, client, utc_now(), AUTH)


def redirects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL a page run sends the browser to (AppTest cannot follow them)."""
    sent: list[str] = []
    real = ui_session.navigate_to

    def spy(url: str) -> Any:
        sent.append(url)
        return real(url)

    monkeypatch.setattr(ui_session, "navigate_to", spy)
    return sent
