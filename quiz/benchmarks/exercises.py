"""``stride bench exercises``: generate + grade throughput per exercise family.

For every family (difficulty 2 by default) it times, over the same seeds:

* ``generate+grade``: make the exercise and grade its canonical answer (what Practice does);
* ``with mistakes``: make it and grade a wrong answer, which also re-runs the family's mistaken
  computations to name the mistake (the slowest path);
* ``grade only``: the baseline — grading a prepared exercise, no generation.

Target: at least 2,000 generate+grade per second per family. Ratios are to that target.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from quiz.benchmarks.timing import rate
from quiz.exercises.base import (
    Exercise,
    Family,
    answer_value,
    grade_exercise,
    relevant_mistakes,
)
from quiz.exercises.registry import all_families
from quiz.grading import format_answer

TARGET_PER_SECOND = 2000


def measure(count: int, difficulty: int) -> list[dict[str, object]]:
    """One row per family with the three rates (calls per second)."""
    return [_measure_family(family, count, difficulty) for family in all_families()]


def _measure_family(family: Family, count: int, difficulty: int) -> dict[str, object]:
    prepared = [family.make(seed, difficulty) for seed in range(count)]
    wrong = [_wrong_answer(family, exercise) for exercise in prepared]

    def generate_and_grade(i: int) -> object:
        exercise = family.make(i, difficulty)
        return grade_exercise(family, exercise, exercise.answer)

    def with_mistake(i: int) -> object:
        return grade_exercise(family, family.make(i, difficulty), wrong[i])

    def grade_only(i: int) -> object:
        return grade_exercise(family, prepared[i], prepared[i].answer)

    main = rate(generate_and_grade, count)
    return {
        "family": family.id,
        "difficulty": difficulty,
        "generate_grade_per_s": round(main),
        "with_mistakes_per_s": round(rate(with_mistake, count)),
        "grade_only_per_s": round(rate(grade_only, count)),
        "ratio_to_target": round(main / TARGET_PER_SECOND, 2),
        "meets_target": main >= TARGET_PER_SECOND,
    }


def _wrong_answer(family: Family, exercise: Exercise) -> str:
    """The first detectable mistake's answer, as typed (or ``0`` when there is none)."""
    mistakes = relevant_mistakes(family, exercise)
    if not mistakes:
        return "0"
    return format_answer(
        exercise.answer_kind, answer_value(exercise.answer_kind, mistakes[0].answer)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench exercises",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--count", type=int, default=2000, help="seeds per measurement")
    parser.add_argument("--difficulty", type=int, choices=(1, 2, 3), default=2)
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    args = parser.parse_args(argv)
    rows = measure(args.count, args.difficulty)
    if args.json:
        print(json.dumps({"target_per_s": TARGET_PER_SECOND, "rows": rows}, indent=2))
        return 0
    print(
        f"generate + grade, {args.count} seeds, difficulty {args.difficulty}; "
        f"target {TARGET_PER_SECOND}/s per family (best of 3)\n"
    )
    header = f"{'family':<28} {'gen+grade/s':>12} {'w/ mistake/s':>13} {'grade only/s':>13} "
    print(header + f"{'x target':>9}")
    for row in rows:
        flag = "" if row["meets_target"] else "  below target"
        print(
            f"{row['family']:<28} {row['generate_grade_per_s']:>12,} "
            f"{row['with_mistakes_per_s']:>13,} {row['grade_only_per_s']:>13,} "
            f"{row['ratio_to_target']:>9.2f}{flag}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
