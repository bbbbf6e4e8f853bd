"""Every exercise family, registered in one place."""

from __future__ import annotations

from quiz.exercises.base import Family
from quiz.exercises.families import conv_output_size
from quiz.exercises.families.network_families import NETWORK_FAMILIES
from quiz.exercises.families.shape_families import SHAPE_FAMILIES
from quiz.exercises.families.value_families import VALUE_FAMILIES

FAMILIES: dict[str, Family] = {
    family.id: family
    for family in (conv_output_size.FAMILY, *SHAPE_FAMILIES, *VALUE_FAMILIES, *NETWORK_FAMILIES)
}


class UnknownFamilyError(KeyError):
    """No family has this id."""

    def __str__(self) -> str:
        return f"unknown exercise family {self.args[0]!r}; known: {', '.join(FAMILIES)}"


def get_family(family_id: str) -> Family:
    try:
        return FAMILIES[family_id]
    except KeyError:
        raise UnknownFamilyError(family_id) from None


def all_families() -> list[Family]:
    return list(FAMILIES.values())
