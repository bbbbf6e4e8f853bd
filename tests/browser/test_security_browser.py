"""The web layer's defences against the real server (``asgi.py`` under ``streamlit run``), in
classroom mode (issue 14, items 4, 12, 13, 14).

* Chromium signs in and studies with the Content-Security-Policy on: no violation is reported
  and the browser asks no other site for anything (the page icon is Stride's own);
* every answer carries the security headers;
* a websocket session without a sign-in cannot upload (the attack: 19 MB uploads from the
  sign-in page); a signed-in one can;
* ``/_stcore/metrics`` is served to this machine, not to a request a proxy relayed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from quiz.benchmarks.server import running_app
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import create_user
from quiz.web.cookies import SESSION_COOKIE
from quiz.web.uploads import SIGN_IN_TO_UPLOAD

pytestmark = pytest.mark.browser

PASSWORD = "ada's long password"
TIMEOUT = 30_000
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def server(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A classroom server for the module (its tests change nothing the others see), with the
    student ``ada``."""
    folder = tmp_path_factory.mktemp("security")
    classroom = {"STRIDE_AUTH": "password"}
    with running_app(str(folder / "data"), env=classroom, log=str(folder / "log")) as url:
        stride = Stride.open(f"sqlite:///{folder / 'data' / 'stride.db'}", load_builtin=False)
        with stride.transaction() as session:
            create_user(session, COMMAND_LINE, "ada", "student", PASSWORD, utc_now())
        stride.close()
        yield url


def _session_token(url: str) -> str:
    """Sign ``ada`` in over HTTP, as the form does: the ``stride_session`` token."""
    with httpx.Client(base_url=url) as client:
        form = client.get("/", headers={"Accept": "text/html"}).text
        found = re.search(r'name="csrf" value="([^"]+)"', form)
        assert found
        fields = {"username": "ada", "password": PASSWORD, "next": "/", "csrf": found[1]}
        response = client.post("/auth/sign-in", data=fields, headers={"Origin": url})
        assert response.status_code == 303
        return response.cookies[SESSION_COOKIE]


def _upload(url: str, token: str | None, size: int) -> httpx.Response:
    """Open a Streamlit session (its websocket, as a browser tab does) and upload ``size``
    bytes to it, with the ``stride_session`` cookie ``token`` (or none)."""
    with httpx.Client(base_url=url) as client:
        if token:
            client.cookies.set(SESSION_COOKIE, token)
        client.get("/_stcore/health")  # Streamlit's XSRF cookie
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        socket_url = url.replace("http", "ws", 1) + "/_stcore/stream"
        with connect(
            socket_url, subprotocols=["streamlit"], additional_headers={"Cookie": cookie}
        ) as socket:  # type: ignore[list-item]
            rerun = BackMsg()
            rerun.rerun_script.page_name = ""
            socket.send(rerun.SerializeToString())
            session_id = ""
            while not session_id:
                message = ForwardMsg()
                message.ParseFromString(socket.recv(timeout=30))
                if message.WhichOneof("type") == "new_session":
                    session_id = message.new_session.initialize.session_id
            return client.put(
                f"/_stcore/upload_file/{session_id}/file-1",
                files={"file": ("deck.md", b"x" * size)},
                headers={"X-Xsrftoken": client.cookies["_streamlit_xsrf"]},
            )


def test_studying_breaks_no_content_policy_and_asks_no_other_site(page: Page, server: str) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "CSP" in m.text else None)
    page.on(
        "request",
        lambda r: None if r.url.startswith((server, "data:", "blob:")) else problems.append(r.url),
    )
    page.add_init_script(REPORT_VIOLATIONS)
    page.goto(f"{server}/study")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".st-key-study_front .katex").first).to_be_visible(timeout=TIMEOUT)
    page.keyboard.press("Space")
    expect(page.locator(".st-key-study_back")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")
    icons = page.eval_on_selector_all("link[rel*=icon]", "links => links.map(l => l.href)")
    # the page icon is Stride's own: served by it, or (as now) inline as a data: URL
    own = (f"{server}/", "data:image/png;base64,")
    assert icons and all(icon.startswith(own) for icon in icons), icons
    assert problems == []


def test_every_answer_carries_the_security_headers(server: str) -> None:
    for path in ("/study", "/_stcore/health", "/favicon.png", "/static/js/missing.js"):
        headers = httpx.get(f"{server}{path}").headers
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path


def test_only_a_signed_in_session_can_upload(server: str) -> None:
    refused = _upload(server, None, 2_000_000)
    assert refused.status_code == 403 and refused.text == SIGN_IN_TO_UPLOAD
    assert _upload(server, _session_token(server), 2_000_000).status_code == 204


def test_metrics_are_served_to_this_machine_only(server: str) -> None:
    assert httpx.get(f"{server}/_stcore/metrics").status_code == 200
    relayed = httpx.get(f"{server}/_stcore/metrics", headers={"X-Forwarded-For": "10.0.0.7"})
    assert relayed.status_code == 403
