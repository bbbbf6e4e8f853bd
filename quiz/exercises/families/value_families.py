"""Value and gradient families on small integer tensors (conv sums, their gradients, pooling)."""

from __future__ import annotations

from quiz.exercises.base import Family

VALUE_FAMILIES: tuple[Family, ...] = ()
