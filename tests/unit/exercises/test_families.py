"""Every registered family, many seeds × every difficulty (the issue's self-test per question).

For each generated exercise: the canonical answer grades 1.0; it agrees with an independent
computation through ``engine.reference``; every mistake the family detects gives a different
answer that grades below 1 and is named with its message; the prompt's maths is balanced;
generation is deterministic and JSON-serialisable; a malformed answer is a format error.

``STRIDE_SWEEP_SEEDS=N`` draws at most N seeds per sweep (``make check``); unset, the full counts.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from quiz.exercises.base import DIFFICULTIES, answer_value, grade_exercise, relevant_mistakes
from quiz.exercises.registry import FAMILIES, all_families, get_family
from quiz.grading import format_answer
from tests.support import sweep_seeds

SEEDS = sweep_seeds(500)
REFERENCE_SEEDS = sweep_seeds(40)  # the plain-loop oracle is slow by design
RENDER_SEEDS = sweep_seeds(60)

CASES = [(family.id, difficulty) for family in all_families() for difficulty in DIFFICULTIES]


def _ids(case: tuple[str, int]) -> str:
    return f"{case[0]}-d{case[1]}"


def _maths_is_balanced(markdown: str) -> bool:
    without_display = re.sub(r"\$\$.*?\$\$", "", markdown, flags=re.DOTALL)
    dollars = re.sub(r"\\\$", "", without_display).count("$")
    return dollars % 2 == 0 and "\\[" not in markdown and "\\(" not in markdown


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_canonical_answer_and_every_mistake(case: tuple[str, int]) -> None:
    family = get_family(case[0])
    seen_mistakes: set[str] = set()
    for seed in SEEDS:
        exercise = family.make(seed, case[1])
        grade = grade_exercise(family, exercise, exercise.answer)
        assert grade.correct and grade.score == 1.0, (seed, exercise.answer, grade)
        for mistake in relevant_mistakes(family, exercise):
            assert mistake.tag in family.mistake_tags, mistake.tag
            wrong = format_answer(
                exercise.answer_kind, answer_value(exercise.answer_kind, mistake.answer)
            )
            result = grade_exercise(family, exercise, wrong)
            assert result.format_error is None, (seed, mistake.tag, wrong, result)
            assert result.score < 1 and not result.correct, (seed, mistake.tag, wrong)
            assert result.mistake is not None, (seed, mistake.tag, wrong)
            assert result.feedback, (seed, mistake.tag)
            seen_mistakes.add(result.mistake)
    assert seen_mistakes, f"{family.id} d{case[1]}: no mistake was ever detected"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_engine_agrees_with_the_reference_loops(case: tuple[str, int]) -> None:
    family = get_family(case[0])
    for seed in REFERENCE_SEEDS:
        exercise = family.make(seed, case[1])
        expected = np.asarray(family.reference(exercise), dtype=float)
        assert np.allclose(
            np.asarray(exercise.expected, dtype=float), expected, rtol=1e-10, atol=1e-12
        ), seed


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_prompts_render_and_generation_is_deterministic(case: tuple[str, int]) -> None:
    family = get_family(case[0])
    for seed in RENDER_SEEDS:
        exercise = family.make(seed, case[1])
        assert exercise == family.make(seed, case[1])
        assert (exercise.family, exercise.seed, exercise.difficulty) == (family.id, seed, case[1])
        for text in (exercise.prompt, exercise.hint, *exercise.solution):
            assert _maths_is_balanced(text), (seed, text)
        as_json = json.loads(json.dumps(exercise.to_dict()))
        assert set(as_json) == {
            "family",
            "seed",
            "difficulty",
            "prompt",
            "params",
            "answer",
            "answer_kind",
            "solution",
        }
        assert as_json["answer"] == exercise.answer


@pytest.mark.parametrize("family_id", list(FAMILIES))
def test_malformed_answers_are_format_errors(family_id: str) -> None:
    family = get_family(family_id)
    exercise = family.make(1, 2)
    for raw in ("", "   ", "48 by 4x", "banana", "1/0"):
        result = grade_exercise(family, exercise, raw)
        assert result.format_error, (raw, result)
        assert result.score == 0 and result.mistake is None


@pytest.mark.parametrize("family_id", list(FAMILIES))
def test_bad_difficulty_is_refused(family_id: str) -> None:
    with pytest.raises(ValueError, match="difficulty must be 1, 2 or 3"):
        get_family(family_id).make(1, 4)
