"""What every exercise family shares: the :class:`Exercise` record, :class:`Mistake`, and grading.

A family is a module with ``FAMILY = Family(...)``: an id, a title, an answer kind, the mistakes it
detects, and two functions — ``generate(seed, difficulty) -> Exercise`` and
``mistakes(exercise) -> list[Mistake]``. Grading is the same for every family
(:func:`grade_exercise`): parse and compare the answer with the engine's (``quiz.grading``); if it
is wrong, re-run each *mistaken* computation the family knows and, when the student's answer matches
one, say which mistake it was (STACK/WeBWorK-style feedback).

An exercise is fully described by ``(family, seed, difficulty)``: all randomness comes from
``numpy.random.default_rng([seed, difficulty])``, so it can be regenerated to regrade an answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from quiz.exercises.pictures import Picture as Picture  # the window families import it here
from quiz.exercises.pictures import SolutionPicture
from quiz.exercises.pictures import WindowPicture as WindowPicture
from quiz.grading import AnswerKind, Grade, format_answer, grade

DIFFICULTIES = (1, 2, 3)
DIFFICULTY_NAMES = {1: "warm-up", 2: "standard", 3: "challenge"}


@dataclass(frozen=True)
class Exercise:
    """One generated problem.

    ``prompt`` and every ``solution`` step are Markdown + KaTeX. ``params`` are the numbers that
    define the problem (JSON values); ``tensors`` are the small integer arrays it shows, by name
    (nested lists, NCHW order: e.g. ``"X"`` of shape (C, H, W), ``"W"`` of shape (C_out, C_in, kH,
    kW)). ``expected`` is the engine's answer (a number, a shape tuple, or nested lists for a
    matrix/tensor); ``grading`` holds extra options for :func:`quiz.grading.grade`. ``picture``
    is what the worked solution draws (:mod:`quiz.exercises.pictures`), built from these numbers.
    """

    family: str
    seed: int
    difficulty: int
    prompt: str
    answer_kind: AnswerKind
    expected: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    tensors: Mapping[str, Any] = field(default_factory=dict)
    solution: tuple[str, ...] = ()
    hint: str = ""
    grading: Mapping[str, Any] = field(default_factory=dict)
    picture: SolutionPicture | None = None

    @property
    def answer(self) -> str:
        """The canonical answer as a student would type it."""
        return format_answer(self.answer_kind, answer_value(self.answer_kind, self.expected))

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``stride exercise generate --json``."""
        return {
            "family": self.family,
            "seed": self.seed,
            "difficulty": self.difficulty,
            "prompt": self.prompt,
            "params": {**self.params, **({"tensors": dict(self.tensors)} if self.tensors else {})},
            "answer": self.answer,
            "answer_kind": str(self.answer_kind),
            "solution": list(self.solution),
        }


@dataclass(frozen=True)
class Mistake:
    """A specific wrong way to solve an exercise: what it gives, and what to tell the student."""

    tag: str
    message: str
    answer: Any


@dataclass(frozen=True)
class Family:
    """An exercise family: how to generate its problems and which mistakes it recognises.

    ``mistake_tags`` maps every tag :attr:`mistakes` can return to a short description (listed by
    ``stride exercise list``). ``reference`` recomputes the expected answer independently of the
    fast engine, through the plain loops of ``engine.reference`` (the tests compare the two).
    """

    id: str
    title: str
    answer_kind: AnswerKind
    description: str
    generate: Callable[[int, int], Exercise]
    mistakes: Callable[[Exercise], list[Mistake]]
    mistake_tags: Mapping[str, str]
    reference: Callable[[Exercise], Any]

    def make(self, seed: int, difficulty: int = 2) -> Exercise:
        """Generate after checking ``difficulty``."""
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"difficulty must be 1, 2 or 3; got {difficulty}")
        return self.generate(seed, difficulty)


def rng_for(seed: int, difficulty: int) -> np.random.Generator:
    """The one source of randomness for an exercise (stable across numpy versions' seeding)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(seed) >> 32, difficulty])


def pick(rng: np.random.Generator, options: Sequence[Any]) -> Any:
    """One of ``options``, drawn with ``rng`` (uniformly; repeat an option to weight it)."""
    return options[int(rng.integers(len(options)))]


def grade_exercise(family: Family, exercise: Exercise, raw: str) -> Grade:
    """Grade ``raw`` against ``exercise``; name the mistake when a wrong answer matches one.

    A matrix or tensor of the wrong size is a format error (not an attempt), unless it is the
    answer of a mistake the family knows (padding left out gives a smaller output): that one is
    graded wrong, with the mistake's explanation."""
    expected = answer_value(exercise.answer_kind, exercise.expected)
    result = grade(exercise.answer_kind, expected, raw, **exercise.grading)
    if result.format_error is not None:
        return _sized_mistake(family, exercise, raw) or result
    if result.correct:
        return replace(result, feedback=result.feedback or "Correct.")
    matched = _matching_mistakes(family, exercise, raw, same_shape=True)
    if matched:
        return replace(result, mistake=matched[0].tag, feedback=_explain(matched))
    return result


def _matching_mistakes(
    family: Family, exercise: Exercise, raw: str, *, same_shape: bool
) -> list[Mistake]:
    """The family's mistakes whose answer ``raw`` is (of the expected shape, or of another),
    in the family's order, one per distinct explanation."""
    expected = answer_value(exercise.answer_kind, exercise.expected)
    found: dict[str, Mistake] = {}
    for mistake in relevant_mistakes(family, exercise):
        wrong = answer_value(exercise.answer_kind, mistake.answer)
        if (np.shape(wrong) == np.shape(expected)) != same_shape:
            continue
        if grade(exercise.answer_kind, wrong, raw, **exercise.grading).correct:
            found.setdefault(mistake.message, mistake)
    return list(found.values())


def _explain(matched: list[Mistake]) -> str:
    """One mistake's explanation; when several slips give this very answer, each of them
    ("either … or …"), since the grader cannot tell which one the student made."""
    if len(matched) == 1:
        return matched[0].message
    return "Two or more slips give exactly this answer; it was one of them.\n\n" + "\n\n".join(
        f"- **{'Either' if number == 0 else 'Or'}:** {mistake.message}"
        for number, mistake in enumerate(matched)
    )


def _sized_mistake(family: Family, exercise: Exercise, raw: str) -> Grade | None:
    """The graded (wrong) result of an unreadable-as-sized answer that is a known mistake's
    answer of another shape; None otherwise."""
    if exercise.answer_kind not in (AnswerKind.MATRIX, AnswerKind.TENSOR):
        return None
    matched = _matching_mistakes(family, exercise, raw, same_shape=False)
    if not matched:
        return None
    expected = answer_value(exercise.answer_kind, exercise.expected)
    return Grade(
        0.0,
        False,
        feedback=_explain(matched),
        mistake=matched[0].tag,
        expected_display=format_answer(exercise.answer_kind, expected),
    )


def relevant_mistakes(family: Family, exercise: Exercise) -> list[Mistake]:
    """The family's mistakes whose answers differ from the right answer (others teach nothing)."""
    expected = answer_value(exercise.answer_kind, exercise.expected)
    canonical = format_answer(exercise.answer_kind, expected)
    relevant = []
    for mistake in family.mistakes(exercise):
        wrong = answer_value(exercise.answer_kind, mistake.answer)
        if mistake.answer is None or _same_shape_and_value(wrong, expected):
            continue
        if format_answer(exercise.answer_kind, wrong) == canonical:
            continue
        relevant.append(mistake)
    return relevant


def answer_value(kind: AnswerKind, value: Any) -> Any:
    """An answer in its stored (JSON) form as the value ``quiz.grading`` compares."""
    if kind in (AnswerKind.MATRIX, AnswerKind.TENSOR):
        return np.asarray(value, dtype=float)
    if kind == AnswerKind.SHAPE:
        return tuple(int(v) for v in value)
    return value


def _same_shape_and_value(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))
    if isinstance(a, tuple) or isinstance(b, tuple):
        return tuple(a) == tuple(b)
    return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-12))
