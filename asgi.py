"""Stride's web server: Streamlit's ASGI app (``st.App``) around the page script ``app.py``.

``stride run`` serves this file (``streamlit run asgi.py``). Around the Streamlit app it adds the
classroom sign-in (HTTP routes that set the ``HttpOnly`` session cookie, and a gate that shows the
sign-in form to a browser without a session: :mod:`quiz.web.sign_in`), and single sign-on's
second leg after ``st.login`` (:mod:`quiz.web.single_sign_on`, reading Streamlit's identity
cookie through :mod:`quiz.ui.streamlit_identity`). It also serves Stride's own few lines of
browser script (:mod:`quiz.web.scripts`: the content security policy refuses inline ones). Its
lifespan warms the process in a thread while the first browser loads Streamlit's JavaScript
(:mod:`quiz.ui.warmup`).

The middleware, outermost first: security headers on every answer
(:mod:`quiz.web.security_headers`), ``/_stcore/metrics`` for this machine only in classroom mode
(:mod:`quiz.web.metrics`), the upload limits (:mod:`quiz.web.uploads`), then the sign-in gate.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config
from streamlit.file_util import get_static_dir
from streamlit.runtime import Runtime

from quiz.ui.streamlit_identity import StreamlitIdentity
from quiz.web.metrics import MetricsGate
from quiz.web.scripts import script_routes
from quiz.web.security_headers import SecurityHeaders, server_error
from quiz.web.sign_in import SignInGate, sign_in_routes
from quiz.web.single_sign_on import SingleSignOn
from quiz.web.uploads import MB, UploadGuard

ROOT = Path(__file__).resolve().parent


def _warm_up() -> None:
    # Imported here, in the thread: importing the pages' modules is the warm-up itself, and
    # doing it before the server listens would delay the first answer to every request.
    importlib.import_module("quiz.ui.warmup").warm_up(ROOT)


@asynccontextmanager
async def _lifespan(_app: object) -> AsyncIterator[None]:
    threading.Thread(target=_warm_up, name="stride-warm-up", daemon=True).start()
    yield


def _max_upload_bytes() -> int:
    """``server.maxUploadSize`` (in megabytes in the configuration), in bytes."""
    return int(config.get_option("server.maxUploadSize")) * MB


def _session_alive(session_id: str) -> bool:
    """Whether a Streamlit session (a browser tab) is still open."""
    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


single_sign_on = SingleSignOn(StreamlitIdentity())

app = st.App(
    ROOT / "app.py",
    lifespan=_lifespan,
    routes=[*sign_in_routes(), *single_sign_on.routes(), *script_routes()],
    middleware=[
        Middleware(SecurityHeaders, index_html=Path(get_static_dir()) / "index.html"),
        Middleware(MetricsGate),
        Middleware(UploadGuard, max_upload_bytes=_max_upload_bytes, session_alive=_session_alive),
        Middleware(SignInGate, single_sign_on=single_sign_on),
    ],
    exception_handlers={500: server_error},
)
