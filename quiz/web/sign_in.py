"""Classroom sign-in over HTTP: the form, its POST, sign-out's last step, and the gate.

* ``GET /auth/sign-in?next=PATH`` — the form (:mod:`quiz.web.sign_in_form`);
* ``POST /auth/sign-in`` — same-origin only (the ``Origin`` header, when the browser sends one,
  must name this host) and with the form's CSRF token (a double-submit cookie). The password is
  checked by :func:`quiz.services.sign_in.sign_in` with every rule it has (throttling by
  account, address and known browser, one argon2 check for unknown names); on success the
  session cookie and the known-browser cookie are set (:mod:`quiz.web.cookies`) and the browser
  goes on to ``next``;
* ``GET /auth/signed-out`` — where the app sends a browser after its sign-out ended the session
  in the database: clears the cookie (only once its session is really gone, so a link from
  elsewhere cannot sign anyone out) and shows the form again;
* :class:`SignInGate` — middleware: a browser opening any page of the app (``/``, ``/study``,
  ``/gradebook?assignment=1`` …) without a live session gets the form instead, with that very
  URL as ``next`` — so a deep link continues to exactly where it pointed after signing in.

In local mode the gate lets everything through and the routes answer 404. With single sign-on
(``STRIDE_AUTH=oidc``) the password routes answer 404 too, and the gate hands a page load without
a live session to :class:`quiz.web.single_sign_on.SingleSignOn`.

``asgi.py`` imports this module before the server listens, so it does not import the database
layers at its top: :func:`_services` does at the first request (by then the server's warm-up has
loaded them), which keeps ~0.5 s of imports out of every cold start.
"""

from __future__ import annotations

import hmac
import importlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from quiz.config import AuthSettings
from quiz.web import sign_in_form
from quiz.web.client import client_address
from quiz.web.cookies import (
    CSRF_COOKIE,
    CSRF_FIELD,
    DEVICE_COOKIE,
    SESSION_COOKIE,
    clear_session_cookie,
    set_csrf_cookie,
    set_device_cookie,
    set_session_cookie,
)

if TYPE_CHECKING:
    from quiz.runtime import Stride
    from quiz.services.sign_in import ActiveSession
    from quiz.web.single_sign_on import SingleSignOn

SIGN_IN_PATH = "/auth/sign-in"
SIGNED_OUT_PATH = "/auth/signed-out"
NOT_PAGES = ("/_stcore/", "/static/", "/media/", "/component/", "/auth/", "/oauth2callback")
"""Paths that are not pages of the app (Streamlit's own routes, its assets, these routes)."""
NOT_PAGE_FILES = frozenset({"/favicon.png", "/favicon.ico", "/manifest.json", "/robots.txt"})
MAX_FORM_BYTES = 8192
MAX_NEXT_CHARS = 2000
SIGNED_OUT = "You are signed out."
PLEASE_SIGN_IN = "Please sign in to continue."
FORM_EXPIRED = "The form had expired or came from another site. Please sign in again."
SINGLE_SIGN_ON_MISSING = "Signing in with your school account is not available on this server."

StrideProvider = Callable[[], "Stride"]


def _services() -> ModuleType:
    """:mod:`quiz.services.sign_in`, imported at the first request (see the module docstring)."""
    return importlib.import_module("quiz.services.sign_in")


def shared_stride() -> Stride:
    """The process's :class:`~quiz.runtime.Stride` (the pages share it)."""
    return importlib.import_module("quiz.runtime").Stride.shared()


def safe_next(raw: str | None) -> str:
    """``raw`` if it is a path on this site (``/…``, not ``//host`` or a URL), else ``/``."""
    if not raw or len(raw) > MAX_NEXT_CHARS or not raw.startswith("/"):
        return "/"
    if raw.startswith(("//", "/\\")) or any(ord(c) < 32 or c == "\\" for c in raw):
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    return raw


def is_page(path: str, headers: Headers | None = None) -> bool:
    """Whether a GET of ``path`` is a browser loading a page of the app (Streamlit answers every
    path it has no route for with the app). Its own routes also answer under a page's path
    (``/study/_stcore/health``), and a browser says what it fetches (``Sec-Fetch-Dest``: only a
    ``document`` is a page — not the favicon it asks for next, whose answer would replace the
    form's CSRF cookie) or, without that header, what it accepts."""
    if path.startswith(NOT_PAGES) or "/_stcore/" in path or path in NOT_PAGE_FILES:
        return False
    if headers is None:
        return True
    destination = headers.get("sec-fetch-dest")
    if destination is not None:
        return destination in ("document", "iframe")
    accept = headers.get("accept", "")
    return not accept or "text/html" in accept or "*/*" in accept


def session_cookie(connection: HTTPConnection) -> str | None:
    """The ``stride_session`` cookie's token, if the request has one."""
    return connection.cookies.get(SESSION_COOKIE) or None


def live_session(stride: Stride, token: str | None) -> ActiveSession | None:
    """The session of ``token`` if it is live (a database read; run it in a thread)."""
    if not token:
        return None
    services = _services()
    with stride.transaction() as session:
        return services.resume_session(session, token, datetime.now(UTC), stride.auth, touch=False)


def form_page(
    connection: HTTPConnection,
    stride: Stride,
    *,
    next_url: str,
    status: int = 200,
    username: str = "",
    error: str = "",
    notice: str = "",
    clear_session: bool = False,
) -> HTMLResponse:
    """The form with its CSRF token (in the page and in its cookie). The browser's token is
    kept if it has one, so two forms open at once (two tabs, two links) both work."""
    csrf = connection.cookies.get(CSRF_COOKIE) or ""
    if not (16 <= len(csrf) <= 64 and csrf.replace("-", "").replace("_", "").isalnum()):
        csrf = secrets.token_urlsafe(24)
    body = sign_in_form.render(
        next_url=next_url, csrf=csrf, username=username, error=error, notice=notice
    )
    response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    set_csrf_cookie(response, csrf, connection, stride.auth)
    if clear_session:
        clear_session_cookie(response, connection, stride.auth)
    return response


def same_origin(request: Request) -> bool:
    """The browser says the form was posted from this site: no ``Origin`` (older browsers; the
    CSRF token still has to match) or one whose host is the one the request was sent to."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def sign_in_routes(provider: StrideProvider = shared_stride) -> list[Route]:
    """The routes of this module, using the process's :class:`Stride` from ``provider``."""

    async def sign_in_page(request: Request) -> Response:
        stride = provider()
        if not stride.auth.classroom or stride.auth.single_sign_on:
            return PlainTextResponse("Not found", status_code=404)
        if request.method == "POST":
            return await _post(request, stride)
        return form_page(request, stride, next_url=safe_next(request.query_params.get("next")))

    async def signed_out(request: Request) -> Response:
        stride = provider()
        if not stride.auth.classroom:
            return PlainTextResponse("Not found", status_code=404)
        if await run_in_threadpool(live_session, stride, session_cookie(request)) is not None:
            return RedirectResponse("/", status_code=303)  # not signed out: nothing to do here
        if stride.auth.single_sign_on:  # no password form: the gate offers the school's sign-in
            response = RedirectResponse("/", status_code=303)
            clear_session_cookie(response, request, stride.auth)
            return response
        return form_page(request, stride, next_url="/", notice=SIGNED_OUT, clear_session=True)

    return [
        Route(SIGN_IN_PATH, sign_in_page, methods=["GET", "POST"]),
        Route(SIGNED_OUT_PATH, signed_out, methods=["GET"]),
    ]


async def _post(request: Request, stride: Stride) -> Response:
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return PlainTextResponse("The sign-in form is too large.", status_code=413)
    form = await request.form(max_files=0, max_fields=10)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    next_url = safe_next(fields.get("next"))
    username = fields.get("username", "")[:100]
    sent, expected = fields.get(CSRF_FIELD, ""), request.cookies.get(CSRF_COOKIE, "")
    if not (same_origin(request) and expected and hmac.compare_digest(sent, expected)):
        return form_page(request, stride, next_url=next_url, status=403, error=FORM_EXPIRED)
    password = fields.get("password", "")
    if not username.strip() or not password:
        return form_page(
            request,
            stride,
            next_url=next_url,
            status=400,
            username=username,
            error="Enter your username and your password.",
        )
    peer = request.client.host if request.client else None
    address = client_address(peer, request.headers.get("x-forwarded-for"), stride.auth)
    device = request.cookies.get(DEVICE_COOKIE)
    services = _services()
    now = datetime.now(UTC)

    def check() -> object:
        """Read (a short transaction), then argon2 with no connection or lock held."""
        with stride.transaction() as session:
            facts = services.read_sign_in(session, username, address, now, device=device)
        return services.check_password(facts, password)

    checked = await run_in_threadpool(check)
    result = await run_in_threadpool(
        stride.write,
        lambda session: services.record_sign_in(session, checked, now, stride.auth),
    )
    if not result.ok:
        return form_page(
            request, stride, next_url=next_url, status=401, username=username, error=result.message
        )
    assert result.token is not None
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, result.token, request, stride.auth)
    if result.device:
        set_device_cookie(response, result.device, request, stride.auth)
    return response  # the CSRF cookie stays: another tab's form may still be posted


class SignInGate:
    """ASGI middleware: a page of the app is served only to a browser with a live session;
    any other gets the sign-in form, which continues to that page (see the module docstring).

    Everything that is not a page (Streamlit's websocket, assets, health check, uploads) goes
    through: each page run checks the session again from the websocket's cookies.

    With single sign-on, ``single_sign_on`` answers a page load without a live session (the
    school's sign-in button, or the session started from it); without one, such a load gets
    "not available" (503)."""

    def __init__(
        self,
        app: ASGIApp,
        provider: StrideProvider = shared_stride,
        single_sign_on: SingleSignOn | None = None,
    ) -> None:
        self.app = app
        self.provider = provider
        self.single_sign_on = single_sign_on
        # The process's own Stride is opened with the environment's settings: reading them
        # needs no database, so in local mode a page's HTML is answered at once, while a new
        # process is still importing and opening the database (the first browser loads
        # Streamlit's JavaScript meanwhile). Another provider's Stride says its own mode.
        self.auth: Callable[[], AuthSettings] = (
            AuthSettings.from_env if provider is shared_stride else lambda: provider().auth
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not is_page(scope["path"], Headers(scope=scope))
        ):
            await self.app(scope, receive, send)
            return
        if not self.auth().classroom:
            await self.app(scope, receive, send)
            return
        stride = await run_in_threadpool(self.provider)
        connection = HTTPConnection(scope)
        token = session_cookie(connection)
        if await run_in_threadpool(live_session, stride, token) is not None:
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        wanted = safe_next(scope["path"] + (f"?{query}" if query else ""))
        response: Response
        if stride.auth.single_sign_on:
            if self.single_sign_on is None:
                response = HTMLResponse(
                    sign_in_form.render_unavailable(message=SINGLE_SIGN_ON_MISSING),
                    status_code=503,
                )
            else:
                response = await self.single_sign_on.page_without_session(
                    connection, stride, wanted, token
                )
            await response(scope, receive, send)
            return
        notice = PLEASE_SIGN_IN if token or wanted != "/" else ""
        response = form_page(
            connection, stride, next_url=wanted, notice=notice, clear_session=token is not None
        )
        await response(scope, receive, send)
