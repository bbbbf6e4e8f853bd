"""Process-wide resources for the Streamlit pages, and per-tab answer tokens."""

from __future__ import annotations

import secrets

import streamlit as st

from quiz.config import default_database_url
from quiz.runtime import Stride
from quiz.services.idempotency import answer_token as make_token


@st.cache_resource(show_spinner="Opening the database…")
def _open(database_url: str) -> Stride:
    return Stride.open(database_url)


def get_stride() -> Stride:
    """The shared :class:`Stride` for the configured database (opened and migrated once)."""
    return _open(default_database_url())


def answer_token(*parts: object) -> str:
    """The idempotency key of an answer on this page (see :mod:`quiz.services.idempotency`).

    Built from a random nonce kept in this browser tab's session and ``parts`` naming the answer,
    so the same answer sent twice (a double click, a resend) has the same token."""
    nonce = st.session_state.setdefault("answer_nonce", secrets.token_hex(16))
    return make_token(nonce, *parts)
