"""Security headers on every HTTP response of the server (issue 14, item 12).

:class:`SecurityHeaders` is the outermost of Stride's middleware (``asgi.py``), so the app's
pages, Streamlit's assets, the sign-in form and error answers all carry:

* ``Content-Security-Policy`` (:func:`content_security_policy`): scripts, fonts, images, styles,
  frames and connections only from Stride's own origin (``'self'``; in CSP 3 that includes the
  websocket to the same host), images also as ``data:``/``blob:`` URLs (Streamlit's charts and
  downloads), styles also inline (Streamlit's components style themselves at run time). No
  ``'unsafe-eval'`` and no inline script except the one ``<script>`` of Streamlit's
  ``index.html`` (by its SHA-256: :func:`inline_script_hashes`). ``frame-ancestors 'none'``:
  no other site may frame Stride (clickjacking); ``object-src 'none'``, ``base-uri 'self'``.
  (No ``form-action``: Chrome applies it to the redirects after a form too, and the single
  sign-on button's form leads, through redirects, to the school's provider.)
* ``X-Frame-Options: DENY`` for browsers that predate ``frame-ancestors``;
* ``X-Content-Type-Options: nosniff``: a file is only ever what its ``Content-Type`` says;
* ``Referrer-Policy: same-origin``: no page address (with its query) leaves for another site;
* ``Permissions-Policy``: no camera, microphone or location — Stride uses none of them.

A header the response already has is kept (Streamlit sets ``nosniff`` on some answers itself).
A WebSocket has no response headers to set; lifespan and websocket scopes pass through. An
unhandled exception is answered outside every middleware (Starlette's ``ServerErrorMiddleware``):
:func:`server_error` is that answer, a bare 500 with the same headers (``asgi.py`` registers it).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.I)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for each inline ``<script>`` of ``html``: the
    exact text between its tags, as the browser hashes it."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return hashes


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The policy (see the module docstring); ``script_hashes`` allow those inline scripts."""
    scripts = " ".join(["'self'", "'wasm-unsafe-eval'", *script_hashes])
    directives = [
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
    ]
    return "; ".join(directives)


def security_headers(script_hashes: Iterable[str] = ()) -> dict[str, str]:
    """Every header :class:`SecurityHeaders` adds, by name."""
    return {
        "Content-Security-Policy": content_security_policy(script_hashes),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


class SecurityHeaders:
    """ASGI middleware: adds :func:`security_headers` to every HTTP response.

    ``index_html`` is Streamlit's ``index.html`` (``asgi.py`` passes it), whose inline script
    the policy allows by hash; it is read once, here."""

    def __init__(self, app: ASGIApp, index_html: Path | None = None) -> None:
        self.app = app
        hashes = inline_script_hashes(index_html.read_text("utf-8")) if index_html else []
        self.headers = security_headers(hashes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def server_error(_request: Request, _error: Exception) -> Response:
    """The answer to an unhandled exception: no detail, with the security headers."""
    return PlainTextResponse("Internal Server Error", status_code=500, headers=security_headers())
