"""Helpers shared by tests: build notes-format text from (question, answer) pairs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_DECK = REPO_ROOT / "data" / "seeds" / "cnn-notes.txt"
BUILTIN_DECK = REPO_ROOT / "data" / "decks" / "cnn.md"
# A fixed moment for deterministic scheduling tests (a Wednesday, noon UTC).
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def notes_text(title: str, cards: Sequence[tuple[str, str]]) -> str:
    """A notes file: title, ``Flashcards``, then question, 2 blank lines, answer, 1 blank line."""
    body = "\n\n".join(f"{front}\n\n\n{back}" for front, back in cards)
    return f"{title}\n\n\nFlashcards\n\n{body}\n\nProofs\n\n\n\n\nRelated posts"


def named_mistake(family: Any, exercise: Any, raw: str) -> str | None:
    """The mistake the grader names for ``raw``, which must be a readable, wrong answer to
    ``exercise`` (a family's :class:`~quiz.exercises.base.Family` and one of its exercises)."""
    from quiz.exercises.base import grade_exercise

    result = grade_exercise(family, exercise, raw)
    assert result.format_error is None and not result.correct, (raw, result)
    return result.mistake
