"""Who is using this browser session: the local user, or the account signed in (classroom mode).

The sign-in lives in the ``stride_session`` cookie, which only the server sets (``HttpOnly``, see
:mod:`quiz.web.sign_in`); a page run reads it from the request that opened the browser tab's
websocket (``st.context.cookies``) and checks it against the database on every run, so an
expired, signed-out or reset session stops working at once, in every tab. Reloads, new tabs and
bookmarks carry the cookie, so they stay signed in until the session ends.

A whole page run (``app.py``: the navigation, then the page) checks once: :func:`page_run`
keeps the answer for the rest of that run. A fragment's run alone (no ``app.py``) checks again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.sign_in import ActiveSession, resume_session, sign_out
from quiz.ui.state import get_stride
from quiz.web.cookies import SESSION_COOKIE
from quiz.web.sign_in import SIGNED_OUT_PATH


class _Unknown(Enum):
    """No answer yet: outside a page run, or inside one before the sign-in was checked."""

    NOT_IN_A_PAGE_RUN = "not in a page run"
    NOT_CHECKED_YET = "not checked yet"


_NOT_IN_A_PAGE_RUN, _NOT_CHECKED_YET = _Unknown.NOT_IN_A_PAGE_RUN, _Unknown.NOT_CHECKED_YET
_this_run: ContextVar[ActiveSession | _Unknown | None] = ContextVar(
    "stride_active_session", default=_NOT_IN_A_PAGE_RUN
)
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
    """True when accounts are on (``STRIDE_AUTH=password`` or ``oidc``)."""
    return get_stride().auth.classroom


def session_token() -> str | None:
    """The ``stride_session`` cookie of the request that opened this browser tab, if any."""
    return st.context.cookies.get(SESSION_COOKIE) or None


def active_session() -> ActiveSession | None:
    """The signed-in session (classroom mode), or None when nobody is signed in."""
    checked = _this_run.get()
    if not isinstance(checked, _Unknown):
        return checked
    with get_stride().transaction() as session:  # read only: most page runs write nothing here
        active = _session_in(session)
    return _remember(_touched(active))


def _session_in(session: Any) -> ActiveSession | None:
    """The session of this browser's cookie, read in the caller's transaction (no write)."""
    stride, token = get_stride(), session_token()
    if not token:
        return None
    return resume_session(session, token, utc_now(), stride.auth, touch=False)


def _touched(active: ActiveSession | None) -> ActiveSession | None:
    """Extend the idle deadline when it is due (once a minute at most: a short write)."""
    if active is None or not active.touch_due:
        return active
    stride, token, now = get_stride(), session_token(), utc_now()
    return stride.write(lambda session: resume_session(session, token, now, stride.auth))


def _remember(active: ActiveSession | None) -> ActiveSession | None:
    if _this_run.get() is _NOT_CHECKED_YET:
        _this_run.set(active)
    return active


def _acting(active: ActiveSession | None) -> Actor:
    """``active``'s user; without a usable session the page stops (asking to sign in again, or
    to choose a password first after a one-time password)."""
    if active is None:
        sign_in_again()
    assert active is not None
    if active.must_change_password:
        st.warning(
            "You signed in with a one-time password: choose your own password first.",
            icon=":material/key:",
        )
        st.page_link("quiz/ui/pages/account.py", label="Your account", icon=":material/key:")
        st.stop()
    return active.actor


def current_actor() -> Actor:
    """The acting user; in classroom mode without a valid session the page stops here."""
    stride = get_stride()
    if not stride.auth.classroom:
        return stride.local_actor
    return _acting(active_session())


@contextmanager
def signed_in_reading() -> Iterator[tuple[Any, Actor]]:
    """One read transaction that first checks the sign-in (as :func:`current_actor` does, the
    page stopping when it has ended) and then serves the caller's reads: ``(session, actor)``.

    A fragment's run alone (no page run, so no check made yet) needs one transaction instead of
    two: each transaction, and each statement, hands the GIL back and forth, which a busy server
    feels more than the work itself."""
    stride = get_stride()
    if not stride.auth.classroom:
        with stride.transaction() as session:
            yield session, stride.local_actor
        return
    checked = _this_run.get()
    with stride.transaction() as session:
        active = checked if not isinstance(checked, _Unknown) else _session_in(session)
        if active is not None and not active.touch_due:
            yield session, _acting(_remember(active))
            return
    actor = _acting(_remember(_touched(active)))
    with stride.transaction() as session:  # the rare run that extended the deadline
        yield session, actor


def verified_actor() -> Actor | None:
    """The acting user, checked against the database now, for widget callbacks: they run before
    the page run (and its check), so one that writes must not trust the actor of the run that
    drew its button. None when the session has ended (the run that follows asks to sign in)."""
    stride = get_stride()
    if not stride.auth.classroom:
        return stride.local_actor
    active = active_session()
    if active is None or active.must_change_password:
        return None
    return active.actor


def actor_in(session: Any) -> Actor | None:
    """The acting user, checked against the database in the caller's transaction ``session``:
    for a widget callback that writes (it runs before the page run and its check, so it must
    not trust the actor of the run that drew its button), in the same transaction as its write.
    None when the session has ended (the run that follows asks to sign in again)."""
    stride = get_stride()
    if not stride.auth.classroom:
        return stride.local_actor
    active = _session_in(session)
    if active is None or active.must_change_password:
        return None
    return active.actor


def require_instructor_page() -> Actor:
    """The acting instructor; anyone else sees a refusal and the page stops."""
    actor = current_actor()
    if not actor.is_instructor:
        st.error("This page is for instructors.", icon=":material/block:")
        st.stop()
    return actor


def navigate_to(url: str) -> None:
    """Send the browser to ``url`` (a full page load, as after a sign-out).

    Streamlit has no public redirect; this is the message its own ``st.login`` and
    ``st.logout`` send (the browser sets ``window.location`` to ``url``)."""
    context = get_script_run_ctx()
    if context is None:
        return
    message = ForwardMsg()
    message.auth_redirect.url = url
    context.enqueue(message)


def sign_in_again() -> None:
    """This tab's session ended (signed out elsewhere, expired, reset): load the page again,
    so the sign-in form shows and then continues to this very page."""
    st.info("Your sign-in has ended. Please sign in again.", icon=":material/lock:")
    navigate_to(current_url())
    st.stop()


def current_url() -> str:
    """This page's URL with its query (``st.context.url`` leaves the query out)."""
    query = urlencode(
        [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    )
    page = st.context.url or "/"
    return f"{page}?{query}" if query else page


def end_session() -> None:
    """Sign out: delete the session in the database (every tab's next run finds it gone), forget
    everything on screen, and send the browser to clear its cookie.

    With single sign-on, ``st.logout()`` sends it instead to Streamlit's logout, which clears
    the identity cookie and ends the school provider's session too (when the provider publishes
    an ``end_session_endpoint``); the next page load asks to sign in again."""
    stride = get_stride()
    with stride.transaction() as session:
        sign_out(session, session_token())
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if _this_run.get() is not _NOT_IN_A_PAGE_RUN:
        _this_run.set(None)
    if stride.auth.single_sign_on:
        st.logout()
    else:
        navigate_to(SIGNED_OUT_PATH)
