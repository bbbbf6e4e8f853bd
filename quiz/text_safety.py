"""User text made safe for the two places outside a browser that would run it: spreadsheets and
terminals. Every export and every command that prints names, titles or card text goes through
these (issue 14, items 6 and 7).

**Spreadsheets (CSV formula injection).** A spreadsheet runs a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (``=HYPERLINK(...)`` leaks data when clicked, ``+1+cmd|' /C calc'!A0``
runs a program through DDE), and one that starts with a tab or a carriage return after the
spreadsheet trims it. :func:`spreadsheet_cell` prefixes such a text cell with ``'`` (OWASP's
advice: the spreadsheet then shows it as text, quote hidden); the full-width forms of the four
characters, which some spreadsheets read as the ASCII ones, count too. Numbers (``int``,
``float``) are left as they are: ``-3`` stays a number. Only text is changed, and only when it
starts with one of those characters. :func:`spreadsheet_html_cell` does the same for a field
that is HTML (Anki's text export), with a character reference instead (``&#61;`` for ``=``): the
spreadsheet sees text, and Anki (and Stride, importing the file back) shows the very same
character.

**Terminals (escape sequences).** A name such as ``"\\x1b]0;owned\\x07\\x1b[2J"`` printed as it
is retitles the terminal and clears it; other sequences can rewrite what was printed or, in some
terminals, answer back as if typed. :func:`terminal_text` shows every C0 and C1 control
character, DEL, and the invisible bidirectional and line-separator characters (which can reorder
what a line seems to say) as a visible escape: ``\\x1b``, ``\\x9b``, ``\\u202e``, ``\\n``.
"""

from __future__ import annotations

import json
import re
from typing import TypeVar

T = TypeVar("T")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""The first characters that make a spreadsheet read a cell as a formula (OWASP's list, and the
full-width ``= + - @``)."""

_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNSAFE_IN_A_TERMINAL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_UNSAFE_IN_A_TERMINAL_BLOCK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""The same but for line breaks and tabs, which a block of text keeps."""


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read the text cell ``text`` as a formula."""
    return text.startswith(FORMULA_STARTS)


def spreadsheet_cell(value: T) -> T | str:
    """``value`` for a CSV cell: text a spreadsheet would run gets a leading ``'``; numbers and
    every other text are returned unchanged."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def spreadsheet_row(values: list[object] | tuple[object, ...]) -> list[object]:
    """:func:`spreadsheet_cell` of every cell of a row."""
    return [spreadsheet_cell(value) for value in values]


def spreadsheet_html_cell(html: str) -> str:
    """An HTML field for a CSV cell: a first character a spreadsheet would run is written as a
    character reference (``&#61;HYPERLINK(...)``), which HTML readers show as the character."""
    if looks_like_formula(html):
        return f"&#{ord(html[0])};{html[1:]}"
    return html


def terminal_text(text: str, *, block: bool = False) -> str:
    """``text`` safe to print: control and invisible direction characters become visible escapes
    (``\\x1b``, ``\\u202e``). ``block``: keep line breaks and tabs (card text printed as a
    block); else they are escaped too (``\\n``), so one record stays on one line."""
    pattern = _UNSAFE_IN_A_TERMINAL_BLOCK if block else _UNSAFE_IN_A_TERMINAL
    return pattern.sub(_escape, text)


def terminal_json(value: object) -> str:
    """``value`` as indented JSON safe to print: ``json`` writes C0 control characters as
    ``\\u001b`` itself; DEL, C1 and the invisible direction characters are written so too (the
    same JSON value)."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _UNSAFE_IN_A_TERMINAL_BLOCK.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
