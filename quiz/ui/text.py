"""Showing deck and user text, and times. Deck text is Markdown + KaTeX only, never HTML.

Text that deck authors or users wrote reaches ``st.markdown`` (and the other elements that render
Markdown: titles, captions, alerts, toasts, widget labels) only through these helpers:

* :func:`show_card_text` (or :func:`show_user_markdown`) for text meant as Markdown + KaTeX:
  card sides, assignment instructions. HTML in it shows as text, and an image shows only when
  Stride serves it itself; any other ``![alt](url)`` becomes ``!`` and a link the viewer has to
  click (:mod:`quiz.decks.images`), so a card cannot make every viewer's browser fetch an address;
* :func:`escape_markdown` for text meant literally: names, titles, messages.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from quiz.decks.render import to_markdown
from quiz.scheduling import format_interval


def show_card_text(source: str) -> None:
    """Render card source text (converted to Markdown for KaTeX); HTML in it is shown as text,
    and images that Stride does not serve are shown as links."""
    st.markdown(to_markdown(source))


def show_user_markdown(text: str) -> None:
    """Render Markdown + KaTeX that a user wrote (an assignment's instructions) as card text is."""
    st.markdown(to_markdown(text))


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~])")


def escape_markdown(text: str) -> str:
    """``text`` shown literally by ``st.markdown`` (no emphasis, links, images, maths or HTML),
    and by every element that renders Markdown (``st.title``, ``st.caption``, widget labels...)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def describe_due(due: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``"in 8m (10:47)"``, ``"in 3d (Sat 28 Nov 09:15)"`` — relative, then local clock time."""
    local = due.astimezone(zone)
    clock = local.strftime("%H:%M") if (due - now).days < 1 else local.strftime("%a %d %b %H:%M")
    if due <= now:
        return f"now ({clock})"
    return f"in {format_interval(due - now)} ({clock})"
