"""Every question states the conventions its answer depends on.

A convention is a choice two textbooks make differently: rounding a size down or up (PyTorch's
``floor`` against Caffe's ``ceil`` pooling), padding counted per side or in total, convolution
or cross-correlation, height before width, whether there is a bias, ``count_include_pad``, the
value of padded cells in max pooling, whether a batch is summed. Each family already knows the
answer a student would get under the other convention: it is one of its mistakes. So whenever
such a mistake gives a *different* answer for a generated question (otherwise the convention
does not matter there), the question's text must say which convention holds. A student who
follows the other textbook is then told the rule before answering, not marked wrong after.

Index bases are checked apart: a question that names a row and a column says where they count
from.
"""

from __future__ import annotations

import re

import pytest

from quiz.exercises.base import Exercise, relevant_mistakes
from quiz.exercises.families.tensors import INDEX_BASE
from quiz.exercises.registry import FAMILIES
from quiz.grading import AnswerKind
from tests.support import sweep_seeds

SEEDS = sweep_seeds(40)  # STRIDE_SWEEP_SEEDS=N draws fewer (make check)

ROUNDING = re.compile(r"round(?:s|ed|ing)? \**down|ceil_mode")
PADDING_SIDES = re.compile(
    r"on each side|per side|on one side|on both sides|at the top and at the bottom|in total"
    r"|\*\*(?:top|bottom|left|right)\*\*"
)
CORRELATION = re.compile(r"cross-correlation")
HEIGHT_FIRST = re.compile(r"height × width")
BIAS = re.compile(r"bias")
PADDED_AVERAGE = re.compile(r"count_include_pad")
PADDED_MAXIMUM = re.compile(r"-\\infty")
BATCH = re.compile(r"batch")
OUTPUT_PADDING = re.compile(r"output padding")

CONVENTIONS: dict[str, tuple[str, re.Pattern[str]]] = {
    "ceil_instead_of_floor": ("how sizes round", ROUNDING),
    "floor_with_ceil_mode": ("how sizes round", ROUNDING),
    "ceil_rule_ignored": ("how sizes round", ROUNDING),
    "padding_once": ("padding per side or in total", PADDING_SIDES),
    "total_instead_of_per_side": ("padding per side or in total", PADDING_SIDES),
    "per_side_instead_of_total": ("padding per side or in total", PADDING_SIDES),
    "kernel_flipped": ("cross-correlation, not convolution", CORRELATION),
    "kernel_not_flipped": ("cross-correlation, not convolution", CORRELATION),
    "bias_forgotten": ("whether there is a bias", BIAS),
    "bias_counted_when_off": ("whether there is a bias", BIAS),
    "divided_by_wrong_count": ("count_include_pad", PADDED_AVERAGE),
    "padding_as_zero": ("padded cells of max pooling", PADDED_MAXIMUM),
    "batch_not_summed": ("the batch", BATCH),
    "batch_averaged": ("the batch", BATCH),
    "output_padding_ignored": ("output padding", OUTPUT_PADDING),
}
SHAPE_CONVENTIONS = {"height_width_swapped": ("height before width", HEIGHT_FIRST)}
"""Only for shape answers: a matrix answer's orientation is fixed by the matrices shown."""


def _unstated(exercise: Exercise) -> list[str]:
    family = FAMILIES[exercise.family]
    table = dict(CONVENTIONS)
    if exercise.answer_kind == AnswerKind.SHAPE:
        table.update(SHAPE_CONVENTIONS)
    missing = []
    for mistake in relevant_mistakes(family, exercise):
        if mistake.tag in table:
            name, pattern = table[mistake.tag]
            if not pattern.search(exercise.prompt):
                missing.append(f"{name} (it decides between the answer and {mistake.tag})")
    return missing


@pytest.mark.parametrize("family_id", sorted(FAMILIES))
def test_every_convention_the_answer_depends_on_is_stated(family_id: str) -> None:
    family = FAMILIES[family_id]
    problems = {}
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            exercise = family.make(seed, difficulty)
            if missing := _unstated(exercise):
                problems[(seed, difficulty)] = missing
    assert not problems, f"{family_id}: questions that leave a convention open: {problems}"


def test_the_conventions_matter_somewhere() -> None:
    """The table is not dead: most conventions decide some generated question's answer."""
    seen = set()
    for family in FAMILIES.values():
        for difficulty in (1, 2, 3):
            for seed in SEEDS:
                seen |= {m.tag for m in relevant_mistakes(family, family.make(seed, difficulty))}
    assert len(seen & (CONVENTIONS.keys() | SHAPE_CONVENTIONS.keys())) >= 12


INDEXED = re.compile(r"row \d+, column \d+|row \$\d+\$|column \$\d+\$", re.IGNORECASE)


@pytest.mark.parametrize("family_id", sorted(FAMILIES))
def test_a_question_naming_a_row_says_where_rows_count_from(family_id: str) -> None:
    family = FAMILIES[family_id]
    for difficulty in (1, 2, 3):
        for seed in range(10):
            prompt = family.make(seed, difficulty).prompt
            if INDEXED.search(prompt):
                assert INDEX_BASE in prompt, (family_id, seed, difficulty, prompt)
