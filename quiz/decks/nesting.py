"""How deeply the lists and block quotes of Markdown text nest.

The browser's Markdown renderer slows down sharply with nesting: a card holding a list nested
3,000 levels deep froze the student's tab for over a minute. So the parsers refuse a card side
whose Markdown nests deeper than :data:`quiz.decks.model.MAX_NESTING` (see
:func:`quiz.decks.model.side_problems`).

:func:`nesting_depth` follows CommonMark's container rules (block quotes ``>``, bullet and
ordered list items, the indentation that continues a list item, tab stops of 4), and where it
simplifies, it counts more, never less: a line that does not continue the open containers
(a lazy continuation line, or a paragraph after them) does not close them, thematic breaks
(``- - -``) aside every chain of markers is a chain of containers, and code is not told apart
from text (the rare code line that starts with ten list markers is counted as a list). Linear
time: each container matched or opened on a line takes at least one character of it.
"""

from __future__ import annotations

_QUOTE = 0  # a block quote on the stack of open containers; a number n > 0 is a list item whose
# content is indented n columns


def nesting_depth(text: str) -> int:
    """The deepest nesting of lists and block quotes in Markdown ``text`` (0: none)."""
    deepest = 0
    stack: list[int] = []  # the open containers, outermost first
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw.strip():
            continue  # a blank line keeps the containers open
        line = raw.expandtabs(4)
        position = 0
        matched = 0
        for container in stack:
            after = _continue(line, position, container)
            if after < 0:
                break
            position, matched = after, matched + 1
        opened = _open(line, position)
        if opened:
            stack = stack[:matched] + opened
        deepest = max(deepest, matched + len(opened))
    return deepest


def _continue(line: str, position: int, container: int) -> int:
    """Where ``line`` goes on after continuing ``container`` at ``position``; -1 if it does not."""
    if container == _QUOTE:
        start = _skip_spaces(line, position, 3)
        if start < len(line) and line[start] == ">":
            return start + 1 + (line.startswith(" ", start + 1))
        return -1
    if line.count(" ", position, position + container) == container:
        return position + container
    return -1


def _open(line: str, position: int) -> list[int]:
    """The containers that start at ``position`` of ``line``: block quotes and list items."""
    opened: list[int] = []
    break_checked = False
    while True:
        start = _skip_spaces(line, position, 4)
        if start - position > 3:
            return opened  # indented code (or the text of a paragraph): no container
        if start < len(line) and line[start] == ">":
            opened.append(_QUOTE)
            position = start + 1 + (line.startswith(" ", start + 1))
            continue
        marker = _list_marker(line, start)
        if not marker:
            return opened
        if not break_checked and line[start] in "-*":
            break_checked = True  # a thematic break is checked once: the rest only gets shorter
            if _thematic_break(line, start):
                return opened
        spaces = _skip_spaces(line, marker, 5) - marker
        if marker + spaces >= len(line) or spaces == 5:
            spaces = 1  # an empty item, or one whose text starts with indented code
        opened.append(marker + spaces - position)
        position = min(marker + spaces, len(line))


def _list_marker(line: str, start: int) -> int:
    """The end of the list marker at ``start`` (``-``, ``+``, ``*``, ``1.``, ``1)``), or 0."""
    end = start
    if line.startswith(("-", "+", "*"), start):
        end = start + 1
    else:
        while end < len(line) and end - start < 9 and line[end] in "0123456789":
            end += 1
        if end == start or not line.startswith((".", ")"), end):
            return 0
        end += 1
    return end if end == len(line) or line[end] == " " else 0


def _thematic_break(line: str, start: int) -> bool:
    """True when ``line[start:]`` is a thematic break: three or more of ``-`` or ``*`` alone."""
    rest = line[start:].replace(" ", "")
    return len(rest) >= 3 and not rest.strip(rest[0])


def _skip_spaces(line: str, position: int, most: int) -> int:
    """``position`` moved past at most ``most`` spaces."""
    end = position
    while end < len(line) and end - position < most and line[end] == " ":
        end += 1
    return end
