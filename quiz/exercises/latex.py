"""Small LaTeX builders for prompts and worked solutions (KaTeX-compatible), and
:func:`plain_number`, :func:`number` as plain text for what does not render LaTeX (Plotly)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np


def _simple_fraction(value: float) -> Fraction | None:
    """``value`` as a fraction with a denominator up to 64 (as the solutions write them), or
    None when it is not one (to within 1e-12)."""
    fraction = Fraction(value).limit_denominator(64)
    return fraction if abs(float(fraction) - value) < 1e-12 else None


def number(value: float) -> str:
    """``3`` for 3.0, ``-\\tfrac{1}{2}`` for -0.5, ``\\tfrac{1}{3}`` for a simple fraction, else
    4 s.f. For KaTeX only: Plotly text (cells, titles, hovers) takes :func:`plain_number`."""
    if float(value).is_integer():
        return str(int(value))
    fraction = _simple_fraction(value)
    if fraction is not None:
        sign = "-" if fraction < 0 else ""
        return f"{sign}\\tfrac{{{abs(fraction.numerator)}}}{{{fraction.denominator}}}"
    return f"{value:.4g}"


def plain_number(value: float) -> str:
    """:func:`number` as plain text, for what does not render LaTeX (Plotly's cell texts, hovers
    and titles, captions outside ``$…$``): ``3``, ``-1/2`` and ``3/16`` for simple fractions,
    else 4 significant digits."""
    if float(value).is_integer():
        return str(int(value))
    fraction = _simple_fraction(value)
    if fraction is not None:
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{value:.4g}"


def matrix(values: np.ndarray | Sequence[Sequence[float]]) -> str:
    """A 2-D array as ``\\begin{bmatrix} ... \\end{bmatrix}``."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {array.shape}")
    return bmatrix([" & ".join(number(v) for v in row) for row in array])


def bmatrix(rows: Sequence[str]) -> str:
    """Rows already written (``"1 & \\tfrac{1}{2}"``) as a ``bmatrix``. Rows holding fractions
    are set 1.5 times apart (``\\arraystretch``, scoped by braces): at KaTeX's default spacing
    rows of ``\\tfrac`` nearly touch."""
    matrix = "\\begin{bmatrix} " + " \\\\ ".join(rows) + " \\end{bmatrix}"
    if any("frac" in row for row in rows):
        return "{\\def\\arraystretch{1.5}" + matrix + "}"
    return matrix


def tensor(values: np.ndarray | Sequence[Sequence[Sequence[float]]], name: str) -> str:
    """A (C, H, W) array as one matrix per channel, from 0: ``X_{0} = [...],\\; X_{1} = [...]``."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 2:
        return f"{name} = {matrix(array)}"
    parts = [f"{name}_{{{c}}} = {matrix(array[c])}" for c in range(array.shape[0])]
    return ",\\quad ".join(parts)


def count(value: float) -> str:
    """A count with thousands set apart by a thin space: ``16\\,384`` (decimals, if any, to at
    most 8 places: ``1\\,060.22``)."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\\,")
    return f"{value:,.8f}".rstrip("0").replace(",", "\\,")


def ratio(value: Fraction) -> str:
    """``1\\,024`` for a whole ratio, else the reduced fraction and its decimal value: exact
    when the decimal ends (``\\tfrac{416}{5} = 83.2``), else to 7 significant digits."""
    if value.denominator == 1:
        return count(value.numerator)
    fraction = f"\\tfrac{{{count(value.numerator)}}}{{{count(value.denominator)}}}"
    whole, denominator = value.numerator // value.denominator, value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:  # a decimal that ends: write it out exactly
        return f"{fraction} = {count(whole)}.{repr(float(value)).split('.')[1]}"
    decimals = max(0, 7 - len(str(whole)))
    integer, _, digits = f"{float(value):.{decimals}f}".partition(".")
    return f"{fraction} \\approx {count(int(integer))}" + (f".{digits}" if digits else "")


def shape(dims: Sequence[int]) -> str:
    """``48 \\times 48 \\times 3``."""
    return " \\times ".join(str(int(d)) for d in dims)


def display(formula: str) -> str:
    """A display-maths block for Markdown (``$$`` on lines of their own)."""
    return f"\n$$\n{formula}\n$$\n"
