"""The layout of a matrix or tensor answer: numbers, brackets and separators, as a tree.

This module only finds *where* things are; :mod:`quiz.grading.arrays` decides what the layout
means (rows, channels). The text is read line by line:

* a line that is empty (only spaces) is a :attr:`Mark.BLANK`;
* a line of dashes, equals signs or underscores (``---``), and a heading such as ``channel 2:``
  or ``c1:`` at the start of a line, is a :attr:`Mark.RULE` (the heading's line may go on with
  numbers);
* anything else is split into numbers, ``[ ] ( )`` brackets, ``,`` and ``;``, then a
  :attr:`Mark.NEWLINE`.

Brackets nest into :class:`Group` s (built with a stack, so deep nesting cannot overflow
Python's recursion limit). Inside brackets a blank line is just a newline (numpy prints 3-D arrays
with blank lines between the blocks), and a rule is an error. An entry must be followed by a space,
a comma, a semicolon, a bracket or the end of the line: ``1-2`` is not two numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from quiz.grading.errors import MAX_CELLS, AnswerFormatError, quote
from quiz.grading.scalars import NUMBER_PATTERN, explain_unreadable, read_number

MAX_DEPTH = 8
"""Deepest bracket nesting read (a tensor needs 3)."""

_ENTRY_EXAMPLE = "a number such as 12, -3.5 or 3/4"
_DELIMITER = r"[ ,;\[\]()]"
_TOKEN = re.compile(
    r"(?P<space> +)"
    r"|(?P<open>[\[(])"
    r"|(?P<close>[\])])"
    r"|(?P<comma>,)"
    r"|(?P<semi>;)"
    r"|(?P<call>(?:(?:np|numpy|torch) *\. *)?(?:array|asarray|matrix|tensor) *(?=\())"
    r"|(?P<keyword>(?:dtype|requires_grad|grad_fn|device) *= *[\w.<>]*)"
    rf"|(?P<number>{NUMBER_PATTERN})(?={_DELIMITER}|$)"
    rf"|(?P<word>[^ ,;\[\]()]+)",
    re.ASCII,
)
_RULE_LINE = re.compile(r" *(?:-{2,}|={2,}|_{2,}|─{2,}) *")
_HEADING = re.compile(r" *(?:channel|chan|ch|c) *(?:# *)?\d+ *[:=]?(?= |$)", re.ASCII | re.I)
_FRACTION_BAR = re.compile(r"(?<! ) */ *")  # the lookbehind keeps long runs of spaces linear
_CLOSING = {"[": "]", "(": ")"}


class Mark(Enum):
    """A separator in the layout."""

    COMMA = ","
    SEMI = ";"
    NEWLINE = "newline"
    BLANK = "blank line"
    RULE = "separator line"


@dataclass(frozen=True)
class Entry:
    """One number."""

    value: float


@dataclass(eq=False)
class Group:
    """The contents of one pair of brackets (or the whole answer, ``opener == ""``)."""

    opener: str
    line: int
    parts: list[Part] = field(default_factory=list)

    def has_groups(self) -> bool:
        return any(isinstance(part, Group) for part in self.parts)


Part = Entry | Group | Mark


def read_layout(text: str) -> Group:
    """The answer (already cleaned by :func:`~quiz.grading.errors.clean_input`) as a tree.

    The name of a ``numpy.array(...)``/``torch.tensor(...)`` call is skipped (its parentheses
    are then just redundant brackets), and so are its ``dtype=``, ``requires_grad=``,
    ``grad_fn=`` and ``device=`` arguments inside brackets. Raises :class:`AnswerFormatError` for
    unreadable entries (naming the line when the answer has several), unbalanced brackets, more
    than :data:`MAX_DEPTH` levels of brackets and more than :data:`MAX_CELLS` entries.
    """
    lines = text.split("\n")
    several_lines = sum(1 for line in lines if line.strip()) > 1
    root = Group("", 0)
    stack = [root]
    cells = 0
    for number, line in enumerate(lines, start=1):
        where = f" (line {number})" if several_lines else ""
        if not line.strip():
            stack[-1].parts.append(Mark.BLANK if len(stack) == 1 else Mark.NEWLINE)
            continue
        if _RULE_LINE.fullmatch(line):
            _add_rule(stack, where)
            continue
        heading = _HEADING.match(line)
        if heading is not None:
            _add_rule(stack, where)
            line = line[heading.end() :]
        for match in _TOKEN.finditer(_FRACTION_BAR.sub("/", line)):
            kind, token = match.lastgroup, match.group()
            if kind == "number":
                cells += 1
                if cells > MAX_CELLS:
                    raise AnswerFormatError(f"too many entries: at most {MAX_CELLS}")
                stack[-1].parts.append(Entry(_entry_value(token, where)))
            elif kind == "open":
                if len(stack) > MAX_DEPTH:
                    raise AnswerFormatError(f"too many nested brackets{where}")
                group = Group(token, number)
                stack[-1].parts.append(group)
                stack.append(group)
            elif kind == "close":
                _close(stack, token, where)
            elif kind == "comma":
                stack[-1].parts.append(Mark.COMMA)
            elif kind == "semi":
                stack[-1].parts.append(Mark.SEMI)
            elif kind == "word" or (kind == "keyword" and len(stack) == 1):
                raise AnswerFormatError(_unreadable(token, where))
        stack[-1].parts.append(Mark.NEWLINE)
    if len(stack) > 1:
        raise AnswerFormatError(
            f"a {quote(stack[-1].opener)} opened on line {stack[-1].line} is never closed"
        )
    return root


def _add_rule(stack: list[Group], where: str) -> None:
    if len(stack) > 1:
        raise AnswerFormatError(
            f"a separator line or channel heading can't go inside brackets{where}"
        )
    stack[-1].parts.append(Mark.RULE)


def _close(stack: list[Group], bracket: str, where: str) -> None:
    if len(stack) == 1:
        raise AnswerFormatError(f"a {quote(bracket)} has no matching opening bracket{where}")
    group = stack.pop()
    if _CLOSING[group.opener] != bracket:
        raise AnswerFormatError(f"a {quote(group.opener)} is closed by {quote(bracket)}{where}")


def _entry_value(token: str, where: str) -> float:
    digits = token.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        raise AnswerFormatError(
            f"{quote(token)} starts with 0{where}; if a comma before it was a thousands "
            "separator, write the number without it"
        )
    try:
        return read_number(token)
    except AnswerFormatError as error:
        raise AnswerFormatError(error.message + where) from None


def _unreadable(token: str, where: str) -> str:
    if token.lower().lstrip("+-") in {"nan", "inf", "infinity", "∞"}:
        return f"entries are finite numbers; got {quote(token)}{where}"
    if token in {"...", "…"}:
        return f"write out every entry; {quote(token)} can't be graded{where}"
    return explain_unreadable(token, _ENTRY_EXAMPLE) + where
