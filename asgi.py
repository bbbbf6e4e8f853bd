"""Stride's web server: Streamlit's ASGI app (``st.App``) around the page script ``app.py``.

``stride run`` serves this file (``streamlit run asgi.py``). Its lifespan warms the process in a
thread while the first browser loads Streamlit's JavaScript (see :mod:`quiz.ui.warmup`).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent


def _warm_up() -> None:
    # Imported here, in the thread: importing the pages' modules is the warm-up itself, and
    # doing it before the server listens would delay the first answer to every request.
    importlib.import_module("quiz.ui.warmup").warm_up(ROOT)


@asynccontextmanager
async def _lifespan(_app: object) -> AsyncIterator[None]:
    threading.Thread(target=_warm_up, name="stride-warm-up", daemon=True).start()
    yield


app = st.App(ROOT / "app.py", lifespan=_lifespan)
