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


def widget_slot(prefix: str, item: object) -> str:
    """The widget key (prefix) for the widgets of ``item`` (a card at a review count, a problem):
    a fresh widget whenever the item on screen changes, from only two keys per ``prefix``.

    Streamlit keeps the metadata of every widget id a session has ever drawn: it drops a stale
    widget's value, but not its metadata and key mapping, which hold the callback and its
    arguments (an exercise's tensors…). A key per item (``f"rate_{card_id}_{reps}"``) therefore
    grew a long session's memory with every answer (``stride bench class --phases soak``: ~2.5
    MiB a minute for a class of 200). Alternating between two keys still gives each new item
    widgets without state (the key it takes back was not drawn while the previous item was on
    screen, so Streamlit dropped its value then) and bounds the ids a session keeps at two."""
    slots = st.session_state.setdefault("widget_slots", {})
    shown, slot = slots.get(prefix, (None, 0))
    if shown != item:
        slot = 1 - slot
        slots[prefix] = (item, slot)
    return f"{prefix}_{slot}"


def rerun_fragment() -> None:
    """Rerun the ``st.fragment`` this code is in: alone when the fragment is rerunning alone,
    else (it is running as part of a whole page run) the page."""
    try:
        st.rerun(scope="fragment")
    except StreamlitInvalidLayoutContextError:  # not a fragment-only run: Streamlit refuses
        st.rerun()
