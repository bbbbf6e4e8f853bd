"""Shapes: ``48 × 48``, ``3x32x32``, ``(3, 32, 32)``, ``48 by 48`` and the like.

A shape is one or more positive whole numbers separated by ``x``, ``X``, ``×``, ``*``, ``by`` or
``,`` (one separator between each pair; spaces around it are optional), optionally wrapped in
``(...)``, ``[...]`` or ``torch.Size([...])``. Inside brackets a trailing comma is fine, as in
Python's ``(48,)``. Spaces alone do not separate sizes: ``48 48`` is a format error with a hint.

``*`` is a separator only here, where a shape is asked for; :func:`~quiz.grading.parse_number`
rejects ``48*48`` ("expected a single number").
"""

from __future__ import annotations

import re

from quiz.grading.errors import AnswerFormatError, clean_input, non_ascii_digit, quote

MAX_DIMENSIONS = 8
_MAX_SIZE_DIGITS = 9
SHAPE_EXAMPLES = "48 × 48 or (3, 32, 32)"

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<separator>[xX×*,]|[bB][yY])"
    r"|(?P<other>.)",
    re.ASCII | re.DOTALL,
)
_WRAPPER = re.compile(r"(?:torch\s*\.\s*)?Size\s*\((.*)\)", re.ASCII | re.DOTALL)
_BRACKETS = {"(": ")", "[": "]"}


def parse_shape(text: str) -> tuple[int, ...]:
    """Read a SHAPE answer as a tuple of positive ints, e.g. ``"3 × 48 × 48"`` → ``(3, 48, 48)``.

    Raises :class:`AnswerFormatError` for anything else, naming the problem when it can: a size
    that is zero, negative or not whole, a size with a leading zero (``1,024`` read as a shape
    would be ``(1, 024)``: the message says to leave out the comma), a missing or doubled
    separator, unbalanced brackets, more than 8 sizes.
    """
    stripped = clean_input(text).strip()
    if not stripped:
        raise AnswerFormatError(f"expected a shape such as {SHAPE_EXAMPLES}; the answer is empty")
    generic = _generic_message(stripped)
    body, bracketed = _unwrap(stripped, generic)
    sizes: list[int] = []
    separator: str | None = None
    expecting_size = True
    for match in _TOKEN.finditer(body):
        kind, token = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "other":
            raise AnswerFormatError(generic)
        if expecting_size:
            if kind != "number":
                raise AnswerFormatError(generic)
            sizes.append(_size(token, after_comma=separator == ","))
            if len(sizes) > MAX_DIMENSIONS:
                raise AnswerFormatError(f"a shape has at most {MAX_DIMENSIONS} sizes")
            expecting_size = False
        elif kind == "separator":
            separator, expecting_size = token, True
        else:
            raise AnswerFormatError(
                f"separate the sizes with ×, x, * or commas, e.g. 48 × 48; got {quote(stripped)}"
            )
    trailing_comma_ok = bracketed and separator == "," and len(sizes) >= 1
    if not sizes or (expecting_size and not trailing_comma_ok):
        raise AnswerFormatError(generic)
    return tuple(sizes)


def format_shape(shape: tuple[int, ...]) -> str:
    """``(3, 48, 48)`` → ``"3 × 48 × 48"`` (the form :func:`parse_shape` reads back)."""
    sizes = tuple(int(size) for size in shape)
    if not sizes or any(size < 1 for size in sizes):
        raise ValueError(f"a shape is one or more positive sizes; got {shape!r}")
    return " × ".join(str(size) for size in sizes)


def _generic_message(text: str) -> str:
    digit = non_ascii_digit(text)
    if digit is not None:
        return f"use the digits 0-9 (found {quote(digit)}) in a shape such as {SHAPE_EXAMPLES}"
    return f"expected a shape such as {SHAPE_EXAMPLES}; got {quote(text)}"


def _unwrap(text: str, generic: str) -> tuple[str, bool]:
    """Strip ``torch.Size(...)`` and one pair of outer brackets; any other bracket is an error."""
    wrapper = _WRAPPER.fullmatch(text)
    if wrapper is not None:
        text = wrapper.group(1).strip()
    bracketed = False
    if text[:1] in _BRACKETS and text[-1:] == _BRACKETS[text[:1]] and len(text) >= 2:
        text, bracketed = text[1:-1], True
    if any(ch in text for ch in "()[]{}"):
        raise AnswerFormatError(generic)
    return text, bracketed


def _size(token: str, *, after_comma: bool) -> int:
    if not token.isdigit():
        if token.startswith("-") or float(token) == 0:
            raise AnswerFormatError(f"sizes are positive whole numbers; got {token}")
        raise AnswerFormatError(f"write sizes as plain whole numbers like 48; got {token}")
    if token.startswith("0") and len(token) > 1:
        hint = " (to write a number like 1024, leave out the comma)" if after_comma else ""
        raise AnswerFormatError(f"a size does not start with 0: got {token}{hint}")
    if len(token) > _MAX_SIZE_DIGITS:
        raise AnswerFormatError(f"the size {quote(token)} is too large")
    size = int(token)
    if size == 0:
        raise AnswerFormatError("sizes are positive whole numbers; got 0")
    return size
