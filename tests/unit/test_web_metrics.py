"""``/_stcore/metrics`` for this machine only in classroom mode (quiz/web/metrics.py).

:class:`MetricsGate` runs in front of a stand-in for Streamlit's metrics route; the client's
address is set per request (Starlette's TestClient takes it from the ``client`` argument). The
real server's answer to a relayed request is in tests/browser/test_security_browser.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from quiz.config import AuthSettings
from quiz.web.metrics import METRICS_REFUSED, MetricsGate, is_loopback_client, is_metrics

CLASSROOM = AuthSettings(mode="password")
BEHIND_PROXY = AuthSettings(mode="password", trust_forwarded_for=True)


async def _metrics(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("# EOF\n")


def _client(settings: AuthSettings, peer: str) -> TestClient:
    stride = SimpleNamespace(auth=settings)
    app = Starlette(
        routes=[Route("/{path:path}", _metrics)],
        middleware=[Middleware(MetricsGate, provider=lambda: stride)],
    )
    return TestClient(app, client=(peer, 50000))


@pytest.mark.parametrize("peer", ["10.0.0.7", "192.168.1.20", "2001:db8::1"])
def test_classroom_metrics_are_refused_to_other_machines(peer: str) -> None:
    response = _client(CLASSROOM, peer).get("/_stcore/metrics")
    assert response.status_code == 403 and response.text == METRICS_REFUSED


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1"])
def test_classroom_metrics_are_served_to_this_machine(peer: str) -> None:
    response = _client(CLASSROOM, peer).get("/_stcore/metrics")
    assert response.status_code == 200 and response.text == "# EOF\n"


def test_local_mode_serves_metrics_to_anyone() -> None:
    assert _client(AuthSettings(), "10.0.0.7").get("/_stcore/metrics").status_code == 200


def test_other_paths_are_not_gated() -> None:
    assert _client(CLASSROOM, "10.0.0.7").get("/_stcore/health").status_code == 200


def test_a_relayed_request_is_not_from_this_machine() -> None:
    """nginx on the same machine relays everyone from 127.0.0.1: without ``STRIDE_TRUST_PROXY``
    its header gives it away; with it, the client its proxy saw is the one that counts."""
    client = _client(CLASSROOM, "127.0.0.1")
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        assert client.get("/_stcore/metrics", headers={header: "10.0.0.7"}).status_code == 403
    proxied = _client(BEHIND_PROXY, "127.0.0.1")
    assert (
        proxied.get("/_stcore/metrics", headers={"X-Forwarded-For": "10.0.0.7"}).status_code == 403
    )
    assert (
        proxied.get("/_stcore/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    )


def test_a_forged_forwarded_for_is_not_believed() -> None:
    """With one trusted proxy, only the entry it appended counts: a client cannot prepend
    ``127.0.0.1`` to pass for this machine."""
    headers = Headers({"x-forwarded-for": "127.0.0.1, 10.0.0.7"})
    assert not is_loopback_client("127.0.0.1", headers, BEHIND_PROXY)
    assert not is_loopback_client(None, Headers({}), CLASSROOM)


@pytest.mark.parametrize(
    ("path", "gated"),
    [
        ("/_stcore/metrics", True),
        ("/_stcore/metrics/", True),
        ("/stride/_stcore/metrics", True),  # under server.baseUrlPath
        ("/_stcore/health", False),
        ("/metrics", False),
    ],
)
def test_metrics_paths(path: str, gated: bool) -> None:
    assert is_metrics(path) is gated
