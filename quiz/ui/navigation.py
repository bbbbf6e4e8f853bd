"""Which pages a visitor may open: the navigation is built per run from the mode and the role.

Local mode shows every page. In classroom mode a browser without a live session never gets here
(the HTTP gate shows the sign-in form instead, :mod:`quiz.web.sign_in`); a tab whose session ended
meanwhile is sent to sign in again, back to the same page. Someone with a one-time password sees
only the account page in the menu, a student the learning pages, an instructor those plus the
teaching pages. The pages a role may not use are still there by URL, hidden from the menu, so a
bookmark or a shared link says plainly why it does not open (the page checks the role, and the
services check it again) instead of Streamlit's "Page not found".
"""

from __future__ import annotations

import copy

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from quiz.services.sign_in import ActiveSession
from quiz.ui.session import active_session, end_session, sign_in_again
from quiz.ui.state import get_stride
from quiz.ui.text import escape_markdown

PAGES_DIR = "quiz/ui/pages"


PAGES_KEY = "nav_pages"
"""Session-state key of this browser session's ``st.Page`` objects (see :func:`_page`)."""


PageKey = tuple[str, str, str, bool, bool]
_PROTOTYPES: dict[PageKey, StreamlitPage] = {}
"""One ``st.Page`` per page and role of it, made once per process (see :func:`_page`)."""


def _page(
    name: str, title: str, icon: str, *, default: bool = False, hidden: bool = False
) -> StreamlitPage:
    """The ``st.Page`` for ``quiz/ui/pages/<name>.py`` (``hidden``: reachable by its URL, not
    listed in the menu), one object per browser session.

    Streamlit marks the page it runs on the object (``_can_be_called``), so sessions, whose runs
    overlap, must not share one; but making one resolves its path on disk (realpath, a stat per
    directory: ~0.15 ms, a dozen pages in a session's first run, which a class opening the app
    at once pays hundreds of times). So each page is made once per process and every session
    gets a shallow copy of it (its attributes are a path and strings, and the flag)."""
    made: dict[PageKey, StreamlitPage] = st.session_state.setdefault(PAGES_KEY, {})
    key = (name, title, icon, default, hidden)
    if key not in made:
        prototype = _PROTOTYPES.get(key)
        if prototype is None:
            prototype = _PROTOTYPES.setdefault(
                key,
                st.Page(
                    f"{PAGES_DIR}/{name}.py",
                    title=title,
                    icon=f":material/{icon}:",
                    default=default,
                    visibility="hidden" if hidden else "visible",
                ),
            )
        made[key] = copy.copy(prototype)
    return made[key]


def _learning_pages(*, hidden: bool = False) -> list[StreamlitPage]:
    return [
        _page("home", "Home", "home", default=not hidden, hidden=hidden),
        _page("study", "Study", "school", hidden=hidden),
        _page("practice", "Practice", "calculate", hidden=hidden),
        _page("assignments", "Assignments", "assignment", hidden=hidden),
        _page("stats", "Statistics", "monitoring", hidden=hidden),
    ]


def _library_pages(*, hidden: bool = False) -> list[StreamlitPage]:
    return [
        _page("decks", "Decks", "style", hidden=hidden),
        _page("playground", "Playground", "grid_on", hidden=hidden),
    ]


def _teaching_pages(classroom: bool, *, hidden: bool = False) -> list[StreamlitPage]:
    pages = [_page("gradebook", "Gradebook", "grading", hidden=hidden)]
    if classroom:
        pages.append(_page("people", "People", "group", hidden=hidden))
    return pages


def build_navigation() -> StreamlitPage:
    """The ``st.navigation`` for this visitor (call ``.run()`` on it)."""
    stride = get_stride()
    if not stride.auth.classroom:
        return st.navigation(
            {
                "Learn": _learning_pages(),
                "Library": _library_pages(),
                "Teach": _teaching_pages(classroom=False),
            }
        )
    active = active_session()
    if active is None:
        sign_in_again()  # stops the run
    assert active is not None
    _account_sidebar(active)
    if active.must_change_password:  # the other pages say to choose a password first
        return st.navigation(
            [
                _page("account", "Your account", "key", default=True),
                *_learning_pages(hidden=True),
                *_library_pages(hidden=True),
                *_teaching_pages(classroom=True, hidden=True),
            ]
        )
    sections = {"Learn": _learning_pages(), "Library": _library_pages()}
    teaching = _teaching_pages(classroom=True, hidden=not active.actor.is_instructor)
    if active.actor.is_instructor:
        sections["Teach"] = teaching
    sections["Account"] = [_page("account", "Your account", "person")]
    if not active.actor.is_instructor:
        sections["Account"].extend(teaching)  # by URL only: they say they are for instructors
    return st.navigation(sections)


def _account_sidebar(active: ActiveSession) -> None:
    with st.sidebar:
        name = escape_markdown(active.display_name or active.actor.username)
        st.caption(f"Signed in as **{name}** · {active.actor.role}")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            end_session()  # sends the browser to clear its cookie
            st.stop()
    if st.session_state.pop("password_changed", False):
        st.toast("Your password was changed; your other sessions were signed out.")
