"""A deck's exercise entries checked against the registered families.

``## Exercise: conv-output-size {difficulty=2 height=28-224}`` names a family and narrows its
parameters; the Markdown parser (:mod:`quiz.decks.markdown`) reads that syntax and asks this
module what it means: whether the family exists, which parameters it has and their ranges, and
whether any variant meets the narrowing. The decks depend on the exercises this way only (a deck
names exercises; the exercises never read decks): see ``docs/architecture.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

from quiz.decks.model import DeckProblem
from quiz.exercises.base import Family
from quiz.exercises.constraints import observed_ranges, unmet
from quiz.exercises.ranges import IntRange, ParameterValues
from quiz.exercises.registry import FAMILIES


def family_ids() -> list[str]:
    """Every registered family id, in the registry's order (for "known: …" messages)."""
    return list(FAMILIES)


def family_or_none(family_id: str) -> Family | None:
    """The registered exercise family ``family_id``, or ``None``."""
    return FAMILIES.get(family_id)


def parameter_ranges(family_id: str) -> Mapping[str, tuple[int, int]]:
    """The family's declared ``parameter_ranges``, else what it generates (learnt by sampling)."""
    declared = getattr(FAMILIES.get(family_id), "parameter_ranges", None)
    return declared if declared is not None else observed_ranges(family_id)


def within_ranges(
    family_id: str,
    name: str,
    values: ParameterValues,
    ranges: Mapping[str, tuple[int, int]] | None,
    line: int,
    problems: list[DeckProblem],
) -> bool:
    """Whether parameter ``name`` narrowed to ``values`` fits the family's ``ranges`` (from
    :func:`parameter_ranges`; ``None``: nothing to check); if not, a problem at ``line``."""
    if ranges is None:
        return True
    if name not in ranges:
        known = ", ".join(ranges) or "none"
        problems.append(
            DeckProblem(
                line, f"exercise family {family_id!r} has no parameter {name!r}; known: {known}"
            )
        )
        return False
    low, high = ranges[name]
    extremes = (values.low, values.high) if isinstance(values, IntRange) else values
    outside = [value for value in extremes if not low <= value <= high]
    if outside:
        problems.append(
            DeckProblem(
                line,
                f"{name}: {outside[0]} is out of range for {family_id!r}; "
                f"expected values from {low} to {high}",
            )
        )
        return False
    return True


def unmet_reason(
    family_id: str, difficulty: int, params: Mapping[str, ParameterValues]
) -> str | None:
    """Why no variant at ``difficulty`` meets ``params`` (families that generate only; ``None``
    for an unknown family: that is reported on its own)."""
    if not isinstance(FAMILIES.get(family_id), Family):
        return None
    return unmet(family_id, difficulty, params)
