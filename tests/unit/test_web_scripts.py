"""Stride's own browser scripts (``quiz.web.scripts``) and the focus helpers that use them.

The content security policy runs scripts from Stride's origin only, so the focus script is a
route of its own: served as JavaScript, cacheable, its URL naming its version; the page adds a
``<script src>`` for it, never an inline script (tests/browser/test_accessibility_browser.py
checks that the focus lands in the answer box).
"""

from __future__ import annotations

import hashlib

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from quiz.ui import focus
from quiz.web.scripts import (
    FOCUS_ANSWER_FILE,
    FOCUS_ANSWER_PATH,
    FOCUS_ANSWER_URL,
    script_routes,
)
from quiz.web.security_headers import SecurityHeaders, content_security_policy


def test_the_focus_script_is_served_as_javascript_from_stride() -> None:
    client = TestClient(SecurityHeaders(Starlette(routes=script_routes())))
    answer = client.get(FOCUS_ANSWER_URL)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["cache-control"] == "public, max-age=86400"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.content == FOCUS_ANSWER_FILE.read_bytes()
    assert client.head(FOCUS_ANSWER_PATH).status_code == 200
    assert client.post(FOCUS_ANSWER_PATH).status_code == 405


def test_its_url_names_its_version_and_the_policy_allows_it() -> None:
    digest = hashlib.sha256(FOCUS_ANSWER_FILE.read_bytes()).hexdigest()[:12]
    assert f"{FOCUS_ANSWER_PATH}?v={digest}" == FOCUS_ANSWER_URL
    assert FOCUS_ANSWER_URL.startswith("/")  # same origin: script-src 'self'
    assert "script-src 'self' 'wasm-unsafe-eval';" in content_security_policy()  # no inline


def test_the_page_adds_a_script_tag_not_an_inline_script(monkeypatch: pytest.MonkeyPatch) -> None:
    added: list[tuple[str, dict[str, object]]] = []
    monkeypatch.setattr(focus.st, "html", lambda body, **options: added.append((body, options)))
    focus.focus_answer_box("study_item_1")
    assert added == [
        (
            f'<script src="{FOCUS_ANSWER_URL}" data-key="study_item_1"></script>',
            {"unsafe_allow_javascript": True},
        )
    ]
    with pytest.raises(ValueError, match="widget key prefix"):
        focus.focus_answer_box('x" onload="alert(1)')


def test_the_focus_style_is_static_css() -> None:
    style = focus.focus_style()
    assert style.startswith("<style>") and style.endswith("</style>")
    assert 'a[data-testid="stSidebarNavLink"]:focus-visible' in style
    assert '[data-testid="stSelectbox"] [role="group"][data-focus-visible="true"]' in style
    assert "outline: 2px solid" in style
