"""Query parameters: anyone can write a URL, so pages read ``st.query_params`` only through these.

A value that is not what the page expects — not ASCII digits, out of range, not one of the known
choices, 10,000 characters of anything — reads as ``None``: the page then ignores it (shows its
default) or says plainly that the link names nothing, and never raises (``int("²")`` raises
although ``"²".isdigit()`` is true; ``int("9" * 5000)`` raises; a 20-digit id overflowed the
database driver and showed a traceback).

* ids (assignments, decks) are ``1 … MAX_ID`` (the largest 32-bit signed integer, what every
  database column for them holds); seeds and other numbers give their own range;
* choices (exercise families, difficulties, tabs) must be one of a known set.

The Playground reads its many knobs through :mod:`quiz.playground.query` (it clamps and explains
bad values instead); the Statistics tabs are bound to the URL by Streamlit, which checks them.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import streamlit as st

MAX_ID = 2**31 - 1
"""The largest id a page accepts from a URL (ids are 32-bit signed integers in every backend)."""
_DIGITS = re.compile(r"[0-9]{1,10}")
"""ASCII digits only, at most 10 of them (``MAX_ID`` has 10): no sign, space, exponent or
Unicode digit."""


def parse_int(text: str | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number in ``low … high`` (at most ``MAX_ID``), else ``None``."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= min(high, MAX_ID) else None


def parse_choice(text: str | None, choices: Collection[str]) -> str | None:
    """``text`` when it is one of ``choices``, else ``None``."""
    return text if text is not None and text in choices else None


def int_param(name: str, low: int = 1, high: int = MAX_ID) -> int | None:
    """The URL's ``?name=`` as a whole number in ``low … high`` (an id by default), else ``None``
    (absent, or anything else)."""
    return parse_int(st.query_params.get(name), low, high)


def choice_param(name: str, choices: Collection[str]) -> str | None:
    """The URL's ``?name=`` when it is one of ``choices``, else ``None``."""
    return parse_choice(st.query_params.get(name), choices)


def has_param(name: str) -> bool:
    """Whether the URL names ``?name=`` with a value that is not empty (valid or not)."""
    return bool(st.query_params.get(name))
