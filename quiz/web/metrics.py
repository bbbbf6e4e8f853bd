"""Streamlit's ``/_stcore/metrics`` for this machine only, in classroom mode (issue 14, item 13).

The metrics (sessions, caches, upload memory) say how busy the server is and how it is used;
they are for whoever runs it (a Prometheus scraper on the server, ``curl`` over SSH), not for
students or visitors. In classroom mode :class:`MetricsGate` answers 403 to every client that
is not on the loopback interface (:func:`is_loopback_client`); in local mode the server listens
on loopback only anyway (``stride run``), and the gate lets everything through.
"""

from __future__ import annotations

import ipaddress

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from quiz.config import AuthSettings
from quiz.web.client import client_address
from quiz.web.sign_in import StrideProvider, shared_stride

METRICS_PATH = "/_stcore/metrics"
METRICS_REFUSED = "Metrics are only served to this machine (the loopback interface)."
_PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def is_metrics(path: str) -> bool:
    """``/_stcore/metrics``, also under ``server.baseUrlPath`` (``/stride/_stcore/metrics``)."""
    return path.rstrip("/").endswith(METRICS_PATH)


def is_loopback_client(peer: str | None, headers: Headers, settings: AuthSettings) -> bool:
    """Whether the request comes from this machine.

    The address is the one the sign-in throttle uses (:func:`quiz.web.client.client_address`:
    with ``STRIDE_TRUST_PROXY``, the client our proxies saw). Without trusted proxies, a request
    that carries a proxy's header was relayed, so its loopback peer is the proxy, not the
    client (nginx on the same machine, in front of a server that was not told about it): it is
    not trusted either."""
    if not settings.trust_forwarded_for and any(name in headers for name in _PROXY_HEADERS):
        return False
    address = client_address(peer, headers.get("x-forwarded-for"), settings)
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class MetricsGate:
    """ASGI middleware: in classroom mode, ``/_stcore/metrics`` answers 403 to any client that
    is not on this machine (see the module docstring)."""

    def __init__(self, app: ASGIApp, provider: StrideProvider = shared_stride) -> None:
        self.app = app
        self.provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_metrics(scope["path"]):
            await self.app(scope, receive, send)
            return
        settings = (await run_in_threadpool(self.provider)).auth
        client = scope.get("client")
        peer = client[0] if client else None
        if settings.classroom and not is_loopback_client(peer, Headers(scope=scope), settings):
            response = PlainTextResponse(METRICS_REFUSED, status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
