"""Parameter ranges on exercise entries, as in ``## Exercise: conv-output-size {height=28-224}``.

A constraint names an integer parameter of the family's generated problems (a key of
``Exercise.params``; for a list such as ``kernel = [kh, kw]`` every element must fit) and gives a
range (``IntRange``) or a set of allowed values. A constrained variant is found by trying the
family's variants for seeds derived from the item's seed until one fits, so every family honours
constraints without code of its own. What a family can produce is learnt by sampling it (the
variants for seeds ``0`` to ``SAMPLES - 1`` at each difficulty, computed once per family and
difficulty): a constraint on an unknown parameter, outside everything the family generates, or
that none of the sampled variants at that difficulty meets, is a validation error. Checking an
entry therefore costs no generation beyond those samples, however many entries a deck holds; and
since a variant that validation saw is always among the ones tried, an accepted entry always has
a variant.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from typing import Any

from quiz.exercises.base import DIFFICULTIES, Exercise, Family
from quiz.exercises.ranges import IntRange, ParameterValues
from quiz.exercises.registry import get_family

SAMPLES = 200  # variants sampled per difficulty to learn a family's parameter ranges
TRIES = 2000  # derived seeds tried to find a variant that meets the constraints
_SEED_STEP = 1_000_003


class NoVariantError(ValueError):
    """No variant of the family meets the constraints."""


def integer_params(params: Mapping[str, Any]) -> dict[str, list[int]]:
    """The parameters a deck can constrain, as lists: whole numbers ≥ 0, or lists of them.

    (A deck writes ranges as ``28-224``, so a value below zero cannot be written: a parameter
    that is negative in this exercise, such as a bias drawn from -3..3, is left out.)
    """
    found: dict[str, list[int]] = {}
    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            found[name] = list(values)
    return {name: values for name, values in found.items() if min(values) >= 0}


def satisfies(params: Mapping[str, Any], constraints: Mapping[str, ParameterValues]) -> bool:
    """Whether every constrained parameter of ``params`` is within its range or set."""
    return _meets(integer_params(params), constraints)


def make_constrained(
    family: Family,
    seed: int,
    difficulty: int,
    constraints: Mapping[str, ParameterValues],
    *,
    seed_bits: int = 31,
) -> Exercise:
    """The first variant that meets ``constraints``: for :data:`TRIES` seeds derived from
    ``seed``, then for the seeds validation samples (``0`` to ``SAMPLES - 1``), so an entry that
    :func:`unmet` accepted always gets one.

    A derived seed changes only the low ``seed_bits`` bits of ``seed`` and keeps the bits above
    them (up to bit 30): with ``seed_bits=30`` an assignment's seeds keep their bit 30, so its
    variants stay out of Practice's seeds (:mod:`quiz.services.assignments`)."""
    tries = TRIES if constraints else 1
    low = (1 << seed_bits) - 1
    high = seed & 0x7FFFFFFF & ~low
    derived = (high | ((seed + attempt * _SEED_STEP) & low) for attempt in range(tries))
    for candidate in itertools.chain(derived, range(SAMPLES if constraints else 0)):
        exercise = family.make(candidate, difficulty)
        if satisfies(exercise.params, constraints):
            return exercise
    raise NoVariantError(_no_variant(family.id, difficulty, constraints))


@functools.cache
def _sampled(family_id: str, difficulty: int) -> tuple[dict[str, list[int]], ...]:
    """The integer parameters of the family's variants for seeds ``0`` to ``SAMPLES - 1``."""
    family = get_family(family_id)
    return tuple(integer_params(family.make(seed, difficulty).params) for seed in range(SAMPLES))


@functools.cache
def observed_ranges(family_id: str, difficulty: int | None = None) -> dict[str, tuple[int, int]]:
    """The smallest and largest value of every integer parameter the family generates."""
    ranges: dict[str, tuple[int, int]] = {}
    for level in DIFFICULTIES if difficulty is None else (difficulty,):
        for params in _sampled(family_id, level):
            for name, values in params.items():
                low, high = ranges.get(name, (min(values), max(values)))
                ranges[name] = (min(low, *values), max(high, *values))
    return ranges


def unmet(
    family_id: str, difficulty: int, constraints: Mapping[str, ParameterValues]
) -> str | None:
    """Why no variant at ``difficulty`` can meet ``constraints`` (``None`` when one can).

    Decided on the :data:`SAMPLES` variants sampled once per family and difficulty: the
    constraints are met when one of them meets them. No variant is generated per call.
    """
    if any(_meets(params, constraints) for params in _sampled(family_id, difficulty)):
        return None
    level = observed_ranges(family_id, difficulty)
    generated = "; ".join(
        f"{name} {level[name][0]}-{level[name][1]}" for name in constraints if name in level
    )
    return (
        f"{_no_variant(family_id, difficulty, constraints)} (none of {SAMPLES} sampled variants "
        f"does); at this difficulty it generates {generated or 'none of these parameters'}"
    )


def params_from_json(data: Mapping[str, Any]) -> dict[str, ParameterValues]:
    """Parameter ranges from their stored JSON (``ExerciseEntry.params_dict``)."""
    return {
        name: IntRange(int(value["min"]), int(value["max"]))
        if "min" in value
        else tuple(int(v) for v in value["any_of"])
        for name, value in data.items()
    }


def _meets(values: Mapping[str, list[int]], constraints: Mapping[str, ParameterValues]) -> bool:
    """Whether the integer parameters ``values`` (:func:`integer_params`) meet ``constraints``."""
    return all(
        name in values and all(_allowed(v, allowed) for v in values[name])
        for name, allowed in constraints.items()
    )


def _no_variant(family_id: str, difficulty: int, constraints: Mapping[str, ParameterValues]) -> str:
    return f"no {family_id} problem at difficulty {difficulty} has " + ", ".join(
        f"{name} in {_describe(allowed)}" for name, allowed in constraints.items()
    )


def _allowed(value: int, allowed: ParameterValues) -> bool:
    if isinstance(allowed, IntRange):
        return allowed.low <= value <= allowed.high
    return value in allowed


def _describe(allowed: ParameterValues) -> str:
    return (
        str(allowed) if isinstance(allowed, IntRange) else "{" + ",".join(map(str, allowed)) + "}"
    )
