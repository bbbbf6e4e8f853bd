"""Process-wide resources for the Streamlit pages, per-tab answer tokens, and fragment reruns."""

from __future__ import annotations

import secrets

import streamlit as st
from streamlit.errors import StreamlitInvalidLayoutContextError

from quiz.runtime import Stride
from quiz.services.idempotency import answer_token as make_token


def get_stride() -> Stride:
    """The process's shared :class:`Stride` for the configured database (:meth:`Stride.shared`:
    opened and migrated once, by the server's warm-up or the first page run)."""
    return Stride.shared()


def answer_token(*parts: object) -> str:
    """The idempotency key of an answer on this page (see :mod:`quiz.services.idempotency`).

    Built from a random nonce kept in this browser tab's session and ``parts`` naming the answer,
    so the same answer sent twice (a double click, a resend) has the same token."""
    nonce = st.session_state.setdefault("answer_nonce", secrets.token_hex(16))
    return make_token(nonce, *parts)


def rerun_fragment() -> None:
    """Rerun the ``st.fragment`` this code is in: alone when the fragment is rerunning alone,
    else (it is running as part of a whole page run) the page."""
    try:
        st.rerun(scope="fragment")
    except StreamlitInvalidLayoutContextError:  # not a fragment-only run: Streamlit refuses
        st.rerun()
