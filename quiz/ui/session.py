"""Who is using this browser session: the local user, or the account signed in (classroom mode).

The session token lives in ``st.session_state`` (server-side, per browser tab); every run checks
it against the database, so an expired, signed-out or reset session stops working at once.
Reloading the page starts a new Streamlit session, which asks to sign in again.

A whole page run (``app.py``: the navigation, then the page) checks once: :func:`page_run`
keeps the answer for the rest of that run. A fragment's run alone (no ``app.py``) checks again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.sign_in import ActiveSession, resume_session, sign_out
from quiz.ui.state import get_stride

TOKEN_KEY = "auth_token"
_NOT_IN_A_PAGE_RUN, _NOT_CHECKED_YET = object(), object()
_this_run: ContextVar[object] = ContextVar("stride_active_session", default=_NOT_IN_A_PAGE_RUN)
"""The sign-in as checked in this page run (see :func:`page_run`)."""


@contextmanager
def page_run() -> Iterator[None]:
    """Around a whole page run: the sign-in is checked (a database read) once, not per caller."""
    token = _this_run.set(_NOT_CHECKED_YET)
    try:
        yield
    finally:
        _this_run.reset(token)


def is_classroom() -> bool:
    """True when accounts are on (``STRIDE_AUTH=password``)."""
    return get_stride().auth.classroom


def active_session() -> ActiveSession | None:
    """The signed-in session (classroom mode), or None when nobody is signed in."""
    checked = _this_run.get()
    if checked is not _NOT_IN_A_PAGE_RUN and checked is not _NOT_CHECKED_YET:
        return checked  # type: ignore[return-value]
    active = _check_session()
    if checked is _NOT_CHECKED_YET:
        _this_run.set(active)
    return active


def _check_session() -> ActiveSession | None:
    stride = get_stride()
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    now = utc_now()
    with stride.transaction() as session:  # read only: most page runs write nothing here
        active = resume_session(session, token, now, stride.auth, touch=False)
    if active is not None and active.touch_due:
        active = stride.write(lambda session: resume_session(session, token, now, stride.auth))
    if active is None:
        st.session_state.pop(TOKEN_KEY, None)
    return active


def current_actor() -> Actor:
    """The acting user; in classroom mode without a valid session the page stops here."""
    stride = get_stride()
    if not stride.auth.classroom:
        return stride.local_actor
    active = active_session()
    if active is None or active.must_change_password:
        st.warning("Please sign in first.", icon=":material/lock:")
        st.stop()
    return active.actor


def require_instructor_page() -> Actor:
    """The acting instructor; anyone else sees a refusal and the page stops."""
    actor = current_actor()
    if not actor.is_instructor:
        st.error("This page is for instructors.", icon=":material/block:")
        st.stop()
    return actor


def client_address() -> str:
    """The browser's address, for throttling sign-ins (the proxy's unless it is trusted)."""
    if get_stride().auth.trust_forwarded_for:
        forwarded = st.context.headers.get("X-Forwarded-For", "")
        if first := forwarded.split(",")[0].strip():
            return first
    return st.context.ip_address or "unknown"


def remember_sign_in(token: str) -> None:
    st.session_state[TOKEN_KEY] = token
    if _this_run.get() is not _NOT_IN_A_PAGE_RUN:
        _this_run.set(_NOT_CHECKED_YET)


def end_session() -> None:
    """Sign out: delete the session row and forget the token and everything on screen."""
    stride = get_stride()
    with stride.transaction() as session:
        sign_out(session, st.session_state.get(TOKEN_KEY))
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if _this_run.get() is not _NOT_IN_A_PAGE_RUN:
        _this_run.set(None)
