"""What a worked solution draws: pure data (no Streamlit, no Plotly), one kind per idea.

:attr:`quiz.exercises.base.Exercise.picture` holds one :data:`SolutionPicture`:

* :class:`WindowPicture` — a window sliding over a (padded) input: the conv, pooling and
  gradient families (``Picture`` is its older name, kept for them);
* :class:`BarsPicture` — labelled bars, one per layer or design, of the quantity the question
  counts (parameters, MACs, activation values, bytes), for the counting families;
* :class:`ValuesPicture` — named 2-D arrays side by side, before and after a layer, with the
  statistics that turn one into the other (batch normalisation).

A family builds its picture from the exercise's own numbers, after drawing them: building one
never touches the random generator, so a picture cannot change the problem a seed gives. The
drawing is in ``quiz/ui/solution_pictures.py`` (and ``exercise_view.py`` for the window).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Matrix = tuple[tuple[float, ...], ...]
"""A 2-D array, rows of numbers (JSON-friendly and hashable), row 0 at the top."""


@dataclass(frozen=True)
class WindowPicture:
    """A window sliding over a (padded) input.

    ``input`` and ``kernel`` name arrays in :attr:`Exercise.tensors` (2-D, one channel shown);
    ``output`` is the 2-D result whose cells the student can pick to see their receptive field.
    ``kernel`` is ``None`` for pooling (then ``window`` gives the window size).
    """

    input: str
    output: Matrix
    kernel: str | None = None
    window: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    output_title: str = "Output"


Picture = WindowPicture
"""The sliding-window picture's first name, which the window families still use."""


@dataclass(frozen=True)
class Bar:
    """One bar (a layer, a design, a tensor): ``label`` on the category axis, unique in its
    picture (Plotly merges equal labels).

    ``parts`` are ``(series, value)`` pairs: the series names the colour and the legend entry
    (``"parameters"``, ``"depthwise"``, …). In a stacked picture a bar's parts are stacked end to
    end (its length is their sum); otherwise each part is its own bar beside the others, one per
    series. A bar need not have every series (a pooling layer has no parameters).
    ``shape`` is the tensor whose values the bar counts, written beside the label (``()`` when
    the bar counts no tensor); ``note`` is a short plain-text line under the label (how the
    number is made: ``32·3·5·5 + 32``). ``asked`` holds the series of this bar the question is
    about (the drawing outlines them).
    """

    label: str
    parts: tuple[tuple[str, float], ...]
    shape: tuple[int, ...] = ()
    note: str = ""
    asked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        series = [name for name, _ in self.parts]
        if len(set(series)) != len(series):
            raise ValueError(f"bar {self.label!r} has a series twice: {series}")
        if not set(self.asked) <= set(series):
            raise ValueError(f"bar {self.label!r} asks for a series it does not have")

    @property
    def total(self) -> float:
        """The bar's length when stacked: the sum of its parts."""
        return sum(value for _, value in self.parts)

    def value(self, series: str) -> float | None:
        """The part of ``series``, or None when the bar has none."""
        return next((value for name, value in self.parts if name == series), None)


@dataclass(frozen=True)
class BarsPicture:
    """Bars compared side by side, every value a count (or every one a number of bytes), so
    that they share one axis.

    ``bars`` are drawn in order, top to bottom. ``unit`` says how a value is written: ``"count"``
    with thousands separators (``1,179,648``), ``"bytes"`` in KiB/MiB on the chart (and exactly
    in its caption). ``axis`` titles the value axis (``"parameters"``, ``"bytes"``).
    ``stacked`` stacks each bar's parts; ``log_scale`` draws the value axis on a log scale, for
    counts orders of magnitude apart (only for bars that are not stacked: a stack on a log axis
    misleads, and a zero has no place on it). ``caption`` is one plain-text sentence on what the
    bars show beyond their numbers (a ratio, a total), drawn under the chart with them.
    """

    title: str
    bars: tuple[Bar, ...]
    axis: str
    unit: Literal["count", "bytes"] = "count"
    stacked: bool = False
    log_scale: bool = False
    caption: str = ""

    def __post_init__(self) -> None:
        labels = [bar.label for bar in self.bars]
        if not labels or len(set(labels)) != len(labels):
            raise ValueError(f"bar labels must be given and unique; got {labels}")
        if self.stacked and self.log_scale:
            raise ValueError("stacked bars are drawn on a linear axis")
        if self.log_scale and any(value <= 0 for bar in self.bars for _, value in bar.parts):
            raise ValueError("a log axis has no place for a value ≤ 0: leave that part out")

    @property
    def series(self) -> tuple[str, ...]:
        """Every series, in order of first appearance."""
        return tuple(dict.fromkeys(name for bar in self.bars for name, _ in bar.parts))

    def bar(self, label: str) -> Bar:
        """The bar labelled ``label``."""
        return next(bar for bar in self.bars if bar.label == label)

    @property
    def asked(self) -> tuple[Bar, ...]:
        """The bars the question is about."""
        return tuple(bar for bar in self.bars if bar.asked)


@dataclass(frozen=True)
class Panel:
    """One named 2-D array of a :class:`ValuesPicture`; ``asked`` marks the answer's."""

    name: str
    values: Matrix
    asked: bool = False


@dataclass(frozen=True)
class ValuesPicture:
    """Named 2-D arrays, before and after a layer: ``rows`` of panels (each row drawn side by
    side, a row per stage: inputs, then outputs), the ``facts`` that turn one into the other as
    ``(name, value)`` pairs (``("μ", 3.0)``, ``("σ²", 4.0)``), and a plain-text ``caption``.
    Names are plain text (Unicode, no LaTeX); every panel's name is unique. Every panel is
    small (a few rows and columns): each value is written in its cell.
    """

    rows: tuple[tuple[Panel, ...], ...]
    titles: tuple[str, ...] = ()
    """One heading per row (``"Input X, channel 0"``), or ``()``."""
    facts: tuple[tuple[str, float], ...] = ()
    caption: str = ""

    def __post_init__(self) -> None:
        names = [panel.name for row in self.rows for panel in row]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"panel names must be given and unique; got {names}")
        if self.titles and len(self.titles) != len(self.rows):
            raise ValueError("give one title per row, or none")

    def panel(self, name: str) -> Panel:
        """The panel named ``name``."""
        return next(panel for row in self.rows for panel in row if panel.name == name)


SolutionPicture = WindowPicture | BarsPicture | ValuesPicture
"""What :attr:`Exercise.picture` holds (or None)."""

LOG_SPREAD = 100
"""Bars whose largest value is this many times their smallest get a log axis."""


def log_scale(values: Iterable[float]) -> bool:
    """Whether bars of ``values`` need a log axis: all positive, and orders of magnitude apart."""
    values = list(values)
    return bool(values) and min(values) > 0 and max(values) >= LOG_SPREAD * min(values)


def count_text(value: float) -> str:
    """A count as plain text with thousands separators, ``1,179,648``; a fraction's decimal to
    7 significant digits, ``9,221.333``."""
    if float(value).is_integer():
        return f"{int(value):,}"
    whole = len(str(int(abs(value))))
    return f"{value:,.{max(0, 7 - whole)}f}".rstrip("0").rstrip(".")


def matrix(values: Iterable[Iterable[float]]) -> Matrix:
    """A 2-D array (nested lists, a numpy array) as a :data:`Matrix` of Python floats."""
    rows = [[float(v) for v in row] for row in values]
    if not rows or len({len(row) for row in rows}) != 1:
        raise ValueError("expected a non-empty 2-D array")
    return tuple(tuple(row) for row in rows)


def size_text(n_bytes: float) -> str:
    """A number of bytes in the largest binary unit that keeps it at least 1: ``512 bytes``,
    ``3.5 KiB``, ``121.0 MiB``, ``1.2 GiB`` (one decimal)."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{count_text(n_bytes)} bytes"


def ratio_text(value: Fraction) -> str:
    """A ratio as plain text: ``13``, ``7.4`` when its decimal ends within 7 significant digits,
    else ``≈ 7.892308``."""
    text = count_text(float(value))
    return text if Fraction(text.replace(",", "")) == value else f"≈ {text}"
