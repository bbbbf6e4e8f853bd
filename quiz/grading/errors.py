"""Format errors, input limits, and the clean-up every parser starts with.

A *format error* means the answer could not be read: it is reported to the student with a message
saying what was expected, it is not graded, and it does not count as an attempt.
"""

from __future__ import annotations

import re
import unicodedata

MAX_INPUT_CHARS = 20_000
"""Longest answer read at all (longer ones are a format error)."""
MAX_CELLS = 10_000
"""Most entries in a matrix or tensor answer."""
MAX_NUMBER_CHARS = 100
"""Longest single number (digits, sign, point, exponent or fraction bar)."""

# Characters that students paste from word processors or phones, mapped to what they mean here.
_TRANSLATION = str.maketrans(
    {
        "\u2212": "-",  # minus sign
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash (autocorrected "-3")
        "\u2014": "-",  # em dash
        "\ufe63": "-",  # small hyphen-minus
        "\uff0d": "-",  # full-width hyphen-minus
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\ufe62": "+",  # small plus
        "\uff0b": "+",  # full-width plus
        "\u2044": "/",  # fraction slash
        "\u2215": "/",  # division slash
        "\u2028": "\n",  # line separator
        "\u2029": "\n",  # paragraph separator
        "\u2715": "×",  # multiplication x
        "\u2a2f": "×",  # vector cross product
        "\t": " ",
        "\v": "\n",
        "\f": "\n",
    }
)
_ASCII_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class AnswerFormatError(ValueError):
    """The answer could not be read. ``message`` says what was expected, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean_input(text: object) -> str:
    """The student's text with line ends, spaces, dashes and slashes normalised.

    ``None`` counts as an empty answer. Raises :class:`AnswerFormatError` for non-text, for text
    longer than :data:`MAX_INPUT_CHARS` and for invisible control characters (which could otherwise
    silently join or split numbers). Unicode "format" characters (zero-width spaces, byte-order
    marks) are dropped, and every kind of space becomes a plain space.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        raise AnswerFormatError(f"expected text, got a {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        raise AnswerFormatError(f"the answer is too long: at most {MAX_INPUT_CHARS} characters")
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_TRANSLATION)
    if not text.isascii():
        text = "".join(_clean_char(ch) for ch in text)
    control = _ASCII_CONTROL.search(text)
    if control is not None:
        raise AnswerFormatError(_control_message(control.group()))
    return text


def _clean_char(ch: str) -> str:
    if ch.isascii():
        return ch
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category == "Cf":
        return ""
    if category == "Cc":
        raise AnswerFormatError(_control_message(ch))
    return ch


def _control_message(ch: str) -> str:
    return f"the answer contains an invisible control character (U+{ord(ch):04X}); please retype it"


def quote(text: str, limit: int = 30) -> str:
    """``text`` in single quotes for a message: one line, printable, at most ``limit`` chars."""
    flat = " ".join(text.split())
    flat = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in flat)
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f"'{flat}'"


def non_ascii_digit(text: str) -> str | None:
    """The first digit that is not 0-9 (e.g. '٣', '²', '３'), if any: worth its own message."""
    return next((ch for ch in text if ch.isdigit() and not ch.isascii()), None)


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``"1 entry"``, ``"3 entries"``."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count} {word}"
