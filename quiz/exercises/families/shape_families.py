"""Shape-arithmetic families (output sizes, padding, parameters, receptive fields, MACs)."""

from __future__ import annotations

from quiz.exercises.base import Family

SHAPE_FAMILIES: tuple[Family, ...] = ()
