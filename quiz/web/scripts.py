"""Stride's own browser scripts, served from its origin.

The content security policy (:mod:`quiz.web.security_headers`) runs scripts only from
``'self'``: an inline ``<script>`` (what ``st.html`` or a component would add) is refused. A page
that needs a few lines of JavaScript adds ``<script src="…">`` pointing here instead, so the
policy stays as strict as it is.

* :data:`FOCUS_ANSWER_URL`: ``assets/focus-answer.js``, which puts the keyboard focus in the
  answer box of the exercise item on screen (Streamlit has no focus API; see
  :mod:`quiz.ui.focus`).

Each URL carries a hash of its file (``?v=…``), so a browser may keep the file for a day and
still gets a changed one at once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ASSETS = Path(__file__).resolve().parent / "assets"
FOCUS_ANSWER_FILE = ASSETS / "focus-answer.js"
FOCUS_ANSWER_PATH = "/_stride/focus-answer.js"
CACHE_CONTROL = "public, max-age=86400"


def _versioned(path: str, file: Path) -> str:
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
    return f"{path}?v={digest}"


FOCUS_ANSWER_URL = _versioned(FOCUS_ANSWER_PATH, FOCUS_ANSWER_FILE)
"""Where a page loads the focus script from (same origin; the query names its version)."""


def script_routes() -> list[Route]:
    """The routes serving the scripts (``GET`` and ``HEAD``); each file is read once, here."""
    body = FOCUS_ANSWER_FILE.read_bytes()

    async def focus_answer(_request: Request) -> Response:
        return Response(
            body,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": CACHE_CONTROL},
        )

    return [Route(FOCUS_ANSWER_PATH, focus_answer, methods=["GET"])]
