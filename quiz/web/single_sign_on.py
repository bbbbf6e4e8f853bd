"""Single sign-on (``STRIDE_AUTH=oidc``) at the HTTP level: the school's sign-in, then Stride's.

Streamlit's ``st.login`` does the OpenID Connect part: its ``/auth/login`` sends the browser to
the school's identity provider, whose answer comes back to Streamlit's ``/oauth2callback``; that
sets Streamlit's signed identity cookie (the person's claims) and redirects to the app's root.
This module does the second leg, so that single sign-on keeps every rule of a password sign-in
(it ends in the same server-side session and ``stride_session`` cookie):

* a page load without a live session (:class:`~quiz.web.sign_in.SignInGate` calls
  :meth:`SingleSignOn.page_without_session`):

  - with an identity cookie issued in the last :data:`IDENTITY_FRESH` (the redirect from the
    provider a moment ago): its account (:mod:`quiz.services.single_sign_on` links or creates
    it) gets a new session, the cookie is set and the browser continues to the page it wanted
    (``stride_next``) — or a page says why the school account cannot sign in, with a link that
    signs it out of the provider;
  - otherwise a page with one button, "Sign in with your school account", which keeps the URL;

* ``GET /auth/school?next=PATH`` (that button): remembers ``PATH`` (checked by
  :func:`~quiz.web.sign_in.safe_next`) in the short-lived ``stride_next`` cookie and sends the
  browser to Streamlit's login URL, made at that moment (its token lasts two minutes).

An older identity cookie does not start a session by itself: when a Stride session ends (idle,
lifetime, sign-out, deactivation), the next one needs a new sign-in at the provider, as in
password mode. Sign-out in the app ends the Stride session and calls ``st.logout()``, which
clears the identity cookie and ends the provider's session when it publishes an
``end_session_endpoint`` (:func:`quiz.ui.session.end_session`).

What Streamlit keeps to itself (its identity cookie, its login and logout URLs) is read through
an :class:`IdentitySource`; ``asgi.py`` passes Streamlit's (:mod:`quiz.ui.streamlit_identity`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from quiz.config import AuthSettings
from quiz.web import sign_in_form
from quiz.web.client import client_address
from quiz.web.cookies import (
    clear_server_cookie,
    clear_session_cookie,
    set_server_cookie,
    set_session_cookie,
)
from quiz.web.sign_in import (
    PLEASE_SIGN_IN,
    StrideProvider,
    live_session,
    safe_next,
    session_cookie,
    shared_stride,
)

if TYPE_CHECKING:
    from quiz.runtime import Stride

SCHOOL_SIGN_IN_PATH = "/auth/school"
NEXT_COOKIE = "stride_next"
NEXT_COOKIE_SECONDS = 600
IDENTITY_FRESH = timedelta(minutes=5)
"""How recent an identity cookie must be to start a Stride session (see the module docstring)."""
NOT_SET_UP = "Signing in with your school account is not available right now."
_NO_STORE = {"Cache-Control": "no-store"}
_log = logging.getLogger(__name__)


class SingleSignOnUnavailable(RuntimeError):
    """Single sign-on is not configured on this server (the message says what is missing)."""


class IdentitySource(Protocol):
    """Streamlit's side of the sign-in, as this module needs it."""

    def claims(self, cookies: Mapping[str, str], max_age: timedelta) -> dict[str, object] | None:
        """The claims of the school account that signed in on this browser within
        ``max_age`` (the identity cookie ``st.login`` set); None when there is no such cookie,
        or it is forged, older, or for another site."""
        ...

    def login_url(self) -> str:
        """The path that starts the provider's sign-in; :class:`SingleSignOnUnavailable` when
        single sign-on is not configured."""
        ...

    def logout_url(self) -> str:
        """The path that clears the identity cookie and ends the provider's session."""
        ...


def _services() -> ModuleType:
    """:mod:`quiz.services.single_sign_on`, imported at the first request (as in
    :mod:`quiz.web.sign_in`, to keep it out of the server's cold start)."""
    return importlib.import_module("quiz.services.single_sign_on")


def set_next_cookie(
    response: Response, next_url: str, connection: HTTPConnection, settings: AuthSettings
) -> None:
    """Remember the page to continue to while the browser is at the provider: ``HttpOnly``,
    ``SameSite=Lax`` (sent on the redirect back from the provider), ten minutes."""
    set_server_cookie(
        response,
        NEXT_COOKIE,
        next_url,
        connection,
        settings,
        max_age=NEXT_COOKIE_SECONDS,
        samesite="lax",
    )


def clear_next_cookie(
    response: Response, connection: HTTPConnection, settings: AuthSettings
) -> None:
    clear_server_cookie(response, NEXT_COOKIE, connection, settings, samesite="lax")


class SingleSignOn:
    """The route and the gate's answers of single sign-on (see the module docstring)."""

    def __init__(self, identity: IdentitySource, provider: StrideProvider = shared_stride) -> None:
        self.identity = identity
        self.provider = provider

    def routes(self) -> list[Route]:
        return [Route(SCHOOL_SIGN_IN_PATH, self._start, methods=["GET"])]

    async def _start(self, request: Request) -> Response:
        """The button: remember ``next`` and go to the provider's sign-in."""
        stride = self.provider()
        if not stride.auth.single_sign_on:
            return PlainTextResponse("Not found", status_code=404)
        next_url = safe_next(request.query_params.get("next"))
        if await run_in_threadpool(live_session, stride, session_cookie(request)) is not None:
            return RedirectResponse(next_url, status_code=303)  # signed in already
        try:
            login = self.identity.login_url()
        except SingleSignOnUnavailable as error:
            _log.error("single sign-on is not configured: %s", error)
            body = sign_in_form.render_unavailable(message=NOT_SET_UP)
            return HTMLResponse(body, status_code=503, headers=_NO_STORE)
        response = RedirectResponse(login, status_code=303, headers=_NO_STORE)
        set_next_cookie(response, next_url, request, stride.auth)
        return response

    async def page_without_session(
        self, connection: HTTPConnection, stride: Stride, wanted: str, token: str | None
    ) -> Response:
        """The answer to a page load without a live session (``token``: the stale session
        cookie, if any; ``wanted``: the page's own URL)."""
        claims = self.identity.claims(connection.cookies, IDENTITY_FRESH)
        if claims is None:
            notice = PLEASE_SIGN_IN if token or wanted != "/" else ""
            body = sign_in_form.render_school(
                next_url=wanted, action=SCHOOL_SIGN_IN_PATH, notice=notice
            )
            response: Response = HTMLResponse(body, headers=_NO_STORE)
            if token is not None:
                clear_session_cookie(response, connection, stride.auth)
            return response
        peer = connection.client.host if connection.client else None
        address = client_address(peer, connection.headers.get("x-forwarded-for"), stride.auth)
        services = _services()
        now = datetime.now(UTC)
        result = await run_in_threadpool(
            stride.write,
            lambda session: services.sign_in_with_identity(
                session, claims, address, now, stride.auth
            ),
        )
        if not result.ok:
            body = sign_in_form.render_refused(
                message=result.message, sign_out_url=self.identity.logout_url()
            )
            response = HTMLResponse(body, status_code=403, headers=_NO_STORE)
            if token is not None:
                clear_session_cookie(response, connection, stride.auth)
            clear_next_cookie(response, connection, stride.auth)
            return response
        remembered = connection.cookies.get(NEXT_COOKIE)
        response = RedirectResponse(
            safe_next(remembered) if remembered else wanted, status_code=303, headers=_NO_STORE
        )
        set_session_cookie(response, result.token, connection, stride.auth)
        clear_next_cookie(response, connection, stride.auth)
        return response
