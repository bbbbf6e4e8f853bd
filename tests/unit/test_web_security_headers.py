"""Security headers on every answer (quiz/web/security_headers.py), with Starlette's TestClient,
and the order of Stride's middleware in ``asgi.py``.

That Streamlit's pages work under the policy (no violation in Chromium's console) is checked in
tests/browser/test_security_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket
from streamlit.file_util import get_static_dir

from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.web.metrics import MetricsGate
from quiz.web.security_headers import (
    SecurityHeaders,
    content_security_policy,
    inline_script_hashes,
    server_error,
)
from quiz.web.sign_in import SignInGate, sign_in_routes
from quiz.web.uploads import UploadGuard

STREAMLIT_INDEX = Path(get_static_dir()) / "index.html"
EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


async def _page(request: Request) -> Response:
    return PlainTextResponse(f"THE APP at {request.url.path}")


async def _sniffed(_request: Request) -> Response:
    return PlainTextResponse("x", headers={"X-Content-Type-Options": "nosniff"})


async def _crash(_request: Request) -> Response:
    raise RuntimeError("a bug, with a secret in its message")


async def _socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


@pytest.fixture
def classroom(database_url: str) -> Iterator[Stride]:
    stride = Stride.open(database_url, auth=AuthSettings(mode="password"), load_builtin=False)
    yield stride
    stride.close()


@pytest.fixture
def client(classroom: Stride) -> TestClient:
    """The sign-in routes and gate behind the headers, as in ``asgi.py``."""
    app = Starlette(
        routes=[
            *sign_in_routes(lambda: classroom),
            Route("/nosniff", _sniffed),
            Route("/_stcore/crash", _crash),
            WebSocketRoute("/_stcore/stream", _socket),
            Route("/{path:path}", _page),
        ],
        middleware=[
            Middleware(SecurityHeaders, index_html=STREAMLIT_INDEX),
            Middleware(SignInGate, provider=lambda: classroom),
        ],
        exception_handlers={500: server_error},
    )
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/study", 200),  # the sign-in form, from the gate
        ("GET", "/auth/sign-in", 200),
        ("POST", "/auth/sign-in", 403),  # refused: no CSRF token
        ("GET", "/_stcore/health", 200),  # not a page: the app itself
        ("GET", "/_stcore/crash", 500),  # an unhandled exception
    ],
)
def test_every_answer_carries_the_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    policy = _directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert "secret" not in response.text


def test_a_header_the_app_set_is_not_repeated(client: TestClient) -> None:
    response = client.get("/nosniff")
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]


def test_websockets_pass_through(client: TestClient) -> None:
    with client.websocket_connect("/_stcore/stream") as socket:
        assert socket.receive_text() == "hello"


def test_the_policy_allows_only_this_origin() -> None:
    """Scripts, fonts, images, styles and connections from Stride's own origin only: no outside
    host, no ``'unsafe-eval'``, no inline script but the hashed one; nothing may frame it."""
    hashes = inline_script_hashes(STREAMLIT_INDEX.read_text("utf-8"))
    policy = _directives(content_security_policy(hashes))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'", *hashes]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    allowed = {"'self'", "'none'", "'unsafe-inline'", "'wasm-unsafe-eval'", "data:", "blob:"}
    for name, sources in policy.items():
        for source in sources:
            assert source in allowed or source in hashes, (name, source)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]  # Streamlit styles at run time


def test_streamlit_index_has_one_inline_script_and_it_is_hashed() -> None:
    html = STREAMLIT_INDEX.read_text("utf-8")
    hashes = inline_script_hashes(html)
    assert len(hashes) == 1
    body = "\n      window.prerenderReady = false\n    "
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    assert inline_script_hashes(f'<script src="x.js"></script><script>{body}</script>') == [
        f"'sha256-{digest}'"
    ]


def test_asgi_puts_the_headers_outermost_then_metrics_uploads_and_sign_in() -> None:
    """``asgi.py``'s order: headers first, so every answer (the sign-in form, refusals, errors)
    has them; the metrics and upload refusals before the gate (which lets both through)."""
    asgi = importlib.import_module("asgi")
    stack = [middleware.cls for middleware in asgi.app._user_middleware]
    assert stack == [SecurityHeaders, MetricsGate, UploadGuard, SignInGate]
    assert asgi.app._exception_handlers == {500: server_error}
