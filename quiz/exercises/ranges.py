"""What a parameter of a family's problems may be narrowed to: a range or a set of values.

A deck writes them on its exercise entries (``{height=28-224 kernel=3,5}``) and
:mod:`quiz.exercises.constraints` finds variants that meet them; they live here, with the
exercises, so that the decks (which name exercises) depend on the exercises and never the
other way round.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IntRange:
    """An inclusive range of integers, written ``28-224`` in a deck."""

    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


ParameterValues = IntRange | tuple[int, ...]
"""What an exercise parameter may take: a range (``28-224``) or a set of values (``3,5,7``)."""
