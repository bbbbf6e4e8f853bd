"""Showing deck text and times. Deck text is Markdown + KaTeX only, never HTML."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from quiz.decks.render import to_markdown
from quiz.scheduling import format_interval


def show_card_text(source: str) -> None:
    """Render card source text (converted to Markdown for KaTeX); HTML in it is shown as text."""
    st.markdown(to_markdown(source))


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~])")


def escape_markdown(text: str) -> str:
    """``text`` shown literally by ``st.markdown`` (no emphasis, links, images, maths or HTML)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def describe_due(due: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``"in 8m (10:47)"``, ``"in 3d (Sat 28 Nov 09:15)"`` — relative, then local clock time."""
    local = due.astimezone(zone)
    clock = local.strftime("%H:%M") if (due - now).days < 1 else local.strftime("%a %d %b %H:%M")
    if due <= now:
        return f"now ({clock})"
    return f"in {format_interval(due - now)} ({clock})"
