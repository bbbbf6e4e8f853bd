"""Which pages a visitor may open: the navigation is built per run from the mode and the role.

Local mode shows every page. In classroom mode a visitor who is not signed in gets only the
sign-in page, one with a one-time password only the account page, a student the learning pages,
and an instructor those plus the teaching pages. A page left out of the navigation cannot be
opened by URL; the pages and the services check the role again anyway.
"""

from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from quiz.services.sign_in import ActiveSession
from quiz.ui.session import active_session, end_session
from quiz.ui.state import get_stride

PAGES_DIR = "quiz/ui/pages"


PAGES_KEY = "nav_pages"
"""Session-state key of this browser session's ``st.Page`` objects (see :func:`_page`)."""


def _page(name: str, title: str, icon: str, *, default: bool = False) -> StreamlitPage:
    """The ``st.Page`` for ``quiz/ui/pages/<name>.py``, made once per browser session.

    Making one resolves its path on disk (about 0.15 ms, ten times a run). Streamlit marks the
    page it runs on the object, so they are kept per session (whose runs never overlap), not
    shared between sessions."""
    made: dict[tuple[str, str, str, bool], StreamlitPage] = st.session_state.setdefault(
        PAGES_KEY, {}
    )
    key = (name, title, icon, default)
    if key not in made:
        path = f"{PAGES_DIR}/{name}.py"
        made[key] = st.Page(path, title=title, icon=f":material/{icon}:", default=default)
    return made[key]


def _learning_pages() -> list[StreamlitPage]:
    return [
        _page("home", "Home", "home", default=True),
        _page("study", "Study", "school"),
        _page("practice", "Practice", "calculate"),
        _page("assignments", "Assignments", "assignment"),
        _page("stats", "Statistics", "monitoring"),
    ]


def _library_pages() -> list[StreamlitPage]:
    return [_page("decks", "Decks", "style"), _page("playground", "Playground", "grid_on")]


def _teaching_pages(classroom: bool) -> list[StreamlitPage]:
    pages = [_page("gradebook", "Gradebook", "grading")]
    if classroom:
        pages.append(_page("people", "People", "group"))
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
        return st.navigation([_page("sign_in", "Sign in", "login", default=True)])
    _account_sidebar(active)
    if active.must_change_password:
        return st.navigation([_page("account", "Your account", "key", default=True)])
    sections = {"Learn": _learning_pages(), "Library": _library_pages()}
    if active.actor.is_instructor:
        sections["Teach"] = _teaching_pages(classroom=True)
    sections["Account"] = [_page("account", "Your account", "person")]
    return st.navigation(sections)


def _account_sidebar(active: ActiveSession) -> None:
    with st.sidebar:
        name = active.display_name or active.actor.username
        st.caption(f"Signed in as **{name}** · {active.actor.role}")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            end_session()
            st.rerun()
    if st.session_state.pop("password_changed", False):
        st.toast("Your password was changed; your other sessions were signed out.")
