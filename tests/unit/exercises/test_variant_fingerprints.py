"""A stored seed keeps regenerating the same problem: every family's variants are pinned.

Assignment submissions and Study attempts store ``(family, seed, difficulty)``, not the problem:
regrading and the gradebook regenerate it (:func:`quiz.services.assignments.regenerate`). A
generator that draws differently therefore changes, silently, the problem behind every stored
answer — a regrade would mark students against a variant they never saw. This test pins a
fingerprint (SHA-256 of the numbers: ``params``, ``tensors``, the expected answer; not the
wording, which may improve freely) of seeds from the Practice range and from the assignment
range (bit 30 set) for every family and difficulty.

When a change is meant (a new family, or a generator fix that is worth re-drawing the variants
of assignments in progress), regenerate the file with
``.venv/bin/python -m tests.unit.exercises.test_variant_fingerprints`` and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from quiz.exercises.registry import FAMILIES

FINGERPRINTS = Path(__file__).resolve().parents[2] / "data" / "variant_fingerprints.json"
SEEDS = (*range(12), *(2**30 + n for n in (0, 1, 7, 123_456)))


def fingerprint(family_id: str, difficulty: int) -> str:
    digest = hashlib.sha256()
    for seed in SEEDS:
        exercise = FAMILIES[family_id].make(seed, difficulty)
        numbers = {
            "params": exercise.params,
            "tensors": exercise.tensors,
            "expected": exercise.expected,
        }
        digest.update(json.dumps(numbers, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def current() -> dict[str, str]:
    return {
        f"{family_id} d{d}": fingerprint(family_id, d)
        for family_id in sorted(FAMILIES)
        for d in (1, 2, 3)
    }


@pytest.mark.parametrize("family_id", sorted(FAMILIES))
def test_stored_seeds_regenerate_the_same_problems(family_id: str) -> None:
    pinned = json.loads(FINGERPRINTS.read_text(encoding="utf-8"))
    for difficulty in (1, 2, 3):
        key = f"{family_id} d{difficulty}"
        assert key in pinned, f"{key}: a new family; pin its variants (see this module's docstring)"
        assert fingerprint(family_id, difficulty) == pinned[key], (
            f"{key}: the generator now draws other problems for the same seeds, so stored "
            "assignment answers would be regraded against variants their students never saw. "
            "If that is meant, regenerate the fingerprints (see this module's docstring)."
        )


if __name__ == "__main__":
    FINGERPRINTS.write_text(
        json.dumps(current(), indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"pinned {len(current())} family × difficulty fingerprints in {FINGERPRINTS}")
