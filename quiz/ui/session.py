"""Who is using this browser session: the local user, or the account signed in (classroom mode).

The session token lives in ``st.session_state`` (server-side, per browser tab); every run checks
it against the database, so an expired, signed-out or reset session stops working at once.
Reloading the page starts a new Streamlit session, which asks to sign in again.
"""

from __future__ import annotations

import streamlit as st

from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.sign_in import ActiveSession, resume_session, sign_out
from quiz.ui.state import get_stride

TOKEN_KEY = "auth_token"


def is_classroom() -> bool:
    """True when accounts are on (``STRIDE_AUTH=password``)."""
    return get_stride().auth.classroom


def active_session() -> ActiveSession | None:
    """The signed-in session (classroom mode), or None when nobody is signed in."""
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


def end_session() -> None:
    """Sign out: delete the session row and forget the token and everything on screen."""
    stride = get_stride()
    with stride.transaction() as session:
        sign_out(session, st.session_state.get(TOKEN_KEY))
    for key in list(st.session_state.keys()):
        del st.session_state[key]
