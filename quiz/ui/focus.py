"""Keyboard focus: drawn where Streamlit draws too little of it, and put in an exercise's
answer box when the item appears.

* :func:`show_focus_style` adds Stride's own static CSS (``assets/focus.css``, never user text):
  a visible outline on a focused sidebar link, page link and select box. ``st.html`` with a
  ``<style>`` alone takes no room on the page, and the content security policy allows inline
  styles (:mod:`quiz.web.security_headers`). No theme option draws a focus ring.
* :func:`focus_answer_box` adds the ``<script src>`` of :data:`~quiz.web.scripts.FOCUS_ANSWER_URL`
  (served by Stride: the policy refuses inline scripts, and Streamlit has no focus API). The tag
  names the box's widget-key prefix; a new prefix (a new item) runs the script again.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import streamlit as st

from quiz.web.scripts import FOCUS_ANSWER_URL

STYLE_FILE = Path(__file__).resolve().parent / "assets" / "focus.css"
_KEY = re.compile(r"[A-Za-z0-9_-]+")


@cache
def focus_style() -> str:
    """``<style>…</style>`` with :data:`STYLE_FILE`, read once per process."""
    return f"<style>{STYLE_FILE.read_text('utf-8')}</style>"


def show_focus_style() -> None:
    """Add the focus outlines to this page run (``app.py`` calls it once per run)."""
    st.html(focus_style())


def focus_answer_box(key: str) -> None:
    """Put the keyboard focus in the answer box whose widget keys start with ``key`` (as
    :func:`quiz.ui.exercise_view.answer_input` names them), unless the person is typing in
    another box. Call it after the box is drawn."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"a widget key prefix of letters, digits, _ and -; got {key!r}")
    st.html(
        f'<script src="{FOCUS_ANSWER_URL}" data-key="{key}"></script>',
        unsafe_allow_javascript=True,
    )
