"""Single numbers: reading one (integers, decimals, ``1e-3``, fractions ``3/4``) and writing one.

The same grammar is used for a NUMBER answer and for every entry of a matrix or tensor::

    number   = [sign] (unsigned "/" unsigned | unsigned [exponent])
    unsigned = digits ["." [digits]] | "." digits          (ASCII digits only)
    sign     = "+" | "-"          ("−", "–" and friends are turned into "-" beforehand)

A fraction's numerator and denominator may be decimals (``1.5/2``) but carry no sign or exponent
of their own. Values are exact until the final rounding: ``1/3`` reads as the double nearest to
one third, so :func:`format_number` and :func:`read_number` round-trip exactly.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

from quiz.grading.errors import (
    MAX_NUMBER_CHARS,
    AnswerFormatError,
    clean_input,
    non_ascii_digit,
    quote,
)

_UNSIGNED = r"(?:\d+(?:\.\d*)?|\.\d+)"
NUMBER_PATTERN = rf"[+-]?(?:{_UNSIGNED}/{_UNSIGNED}|{_UNSIGNED}(?:[eE][+-]?\d+)?)"
"""A regular expression (use with ``re.ASCII``) for one number as defined above."""

_NUMBER = re.compile(NUMBER_PATTERN, re.ASCII)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
_FRACTION_BAR = re.compile(r"(?<!\s)\s*/\s*")  # the lookbehind keeps long runs of spaces linear
_NOT_FINITE = {"nan", "inf", "infinity", "∞"}
_MAX_DENOMINATOR = 100

NUMBER_EXAMPLES = "12, -3.5 or 3/4"


def read_number(token: str) -> float:
    """The value of ``token``, which must match :data:`NUMBER_PATTERN` in full.

    Raises :class:`AnswerFormatError` for a zero denominator, a value too large for a float and a
    token longer than :data:`MAX_NUMBER_CHARS`.
    """
    if len(token) > MAX_NUMBER_CHARS:
        raise AnswerFormatError(f"a number can have at most {MAX_NUMBER_CHARS} characters")
    if "/" not in token:
        value = float(token)
        if not math.isfinite(value):
            raise AnswerFormatError(f"{quote(token)} is too large")
        return value
    numerator, denominator = token.split("/")
    bottom = Fraction(denominator)
    if bottom == 0:
        raise AnswerFormatError(f"can't divide by zero in {quote(token)}")
    try:
        return float(Fraction(numerator) / bottom)
    except OverflowError:
        raise AnswerFormatError(f"{quote(token)} is too large") from None


def is_number(token: str) -> bool:
    """Whether ``token`` is one number in the grammar above (its value may still be too large)."""
    return _NUMBER.fullmatch(token) is not None


def explain_unreadable(token: str, expected: str) -> str:
    """The message for a token that is not a number, naming the likely slip when there is one.

    ``expected`` completes "expected ...", e.g. ``"a single number such as 12, -3.5 or 3/4"``.
    """
    bare = token.strip().lstrip("+-").lower()
    if bare in _NOT_FINITE:
        return f"expected a finite number; got {quote(token)}"
    if _THOUSANDS.fullmatch(token):
        plain = token.replace(",", "")
        if token.count(",") == 1 and "." not in token:
            other = f"two numbers, or as the decimal {token.replace(',', '.')}"
        else:
            other = "several numbers"
        return (
            f"write {plain} without the thousands separator ({quote(token)} could also be read "
            f"as {other})"
        )
    if _DECIMAL_COMMA.fullmatch(token):
        return f"use a point for decimals: {token.replace(',', '.')}, not {token}"
    digit = non_ascii_digit(token)
    if digit is not None:
        return f"use the digits 0-9 (found {quote(digit)}); expected {expected}"
    return f"expected {expected}; got {quote(token)}"


def parse_number(text: str) -> float:
    """Read a NUMBER answer: one finite number, with optional spaces around it.

    Accepts ``12``, ``-3.5``, ``+2``, ``.5``, ``3.``, ``1e-3``, ``2.5E+4``, ``3/4``, ``-3/4``,
    ``3 / 4``, ``- 3`` and the Unicode minus ``−3``. Rejects with :class:`AnswerFormatError`:
    empty text, two numbers or an expression (``48*48``, ``2 3``), ``nan``/``inf``, a zero
    denominator, values beyond the float range and thousands separators (``1,024`` — in a list of
    numbers a comma separates entries, so it is ambiguous; the message suggests ``1024``).
    """
    stripped = clean_input(text).strip()
    if not stripped:
        raise AnswerFormatError(f"expected a number such as {NUMBER_EXAMPLES}; the answer is empty")
    compact = _FRACTION_BAR.sub("/", re.sub(r"^([+-])\s+", r"\1", stripped))
    if is_number(compact):
        return read_number(compact)
    raise AnswerFormatError(
        explain_unreadable(compact, f"a single number such as {NUMBER_EXAMPLES}")
    )


def format_number(value: float) -> str:
    """``value`` as a student would type it; :func:`parse_number` gives back exactly ``value``.

    Whole numbers print without a point (``48``, ``-3``). A value that is exactly (to the last
    bit) a fraction whose decimal never ends — denominator up to 100 with a prime factor other
    than 2 and 5 — prints as that fraction (``1/3``, ``-2/7``, ``7/30``). Everything else prints
    in the shortest decimal that reads back exactly (Python's ``repr``): ``0.75``, ``-2.5``,
    ``0.015625``, ``1e-05``, ``0.30000000000000004``. So ``3/4`` is shown as ``0.75``, and a
    fraction appears only where a decimal could not be exact.
    """
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot format {value}: answers are finite numbers")
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return _format_fractional(value)


@functools.lru_cache(maxsize=4096)
def _format_fractional(value: float) -> str:
    """The non-integer case of :func:`format_number` (cached: exercises reuse few values)."""
    fraction = Fraction(value).limit_denominator(_MAX_DENOMINATOR)
    if float(fraction) == value and not _terminates(fraction.denominator):
        return f"{fraction.numerator}/{fraction.denominator}"
    return repr(value)


def _terminates(denominator: int) -> bool:
    """Whether 1/denominator has a finite decimal expansion (no prime factors but 2 and 5)."""
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1
