"""Small LaTeX builders for prompts and worked solutions (KaTeX-compatible)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np


def number(value: float) -> str:
    """``3`` for 3.0, ``-0.5`` for -0.5, ``\\tfrac{1}{3}`` for a simple fraction, else 4 s.f."""
    if float(value).is_integer():
        return str(int(value))
    fraction = Fraction(value).limit_denominator(64)
    if abs(float(fraction) - value) < 1e-12:
        sign = "-" if fraction < 0 else ""
        return f"{sign}\\tfrac{{{abs(fraction.numerator)}}}{{{fraction.denominator}}}"
    return f"{value:.4g}"


def matrix(values: np.ndarray | Sequence[Sequence[float]]) -> str:
    """A 2-D array as ``\\begin{bmatrix} ... \\end{bmatrix}``."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {array.shape}")
    rows = [" & ".join(number(v) for v in row) for row in array]
    return "\\begin{bmatrix} " + " \\\\ ".join(rows) + " \\end{bmatrix}"


def tensor(values: np.ndarray | Sequence[Sequence[Sequence[float]]], name: str) -> str:
    """A (C, H, W) array as one matrix per channel, from 0: ``X_{0} = [...],\\; X_{1} = [...]``."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 2:
        return f"{name} = {matrix(array)}"
    parts = [f"{name}_{{{c}}} = {matrix(array[c])}" for c in range(array.shape[0])]
    return ",\\quad ".join(parts)


def shape(dims: Sequence[int]) -> str:
    """``48 \\times 48 \\times 3``."""
    return " \\times ".join(str(int(d)) for d in dims)


def display(formula: str) -> str:
    """A display-maths block for Markdown (``$$`` on lines of their own)."""
    return f"\n$$\n{formula}\n$$\n"
