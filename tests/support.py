"""Helpers shared by tests: build notes-format text from (question, answer) pairs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_DECK = REPO_ROOT / "data" / "seeds" / "cnn-notes.txt"
BUILTIN_DECK = REPO_ROOT / "data" / "decks" / "cnn.md"
# A fixed moment for deterministic scheduling tests (a Wednesday, noon UTC).
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def sweep_seeds(full: int) -> range:
    """The seeds a family sweep draws: ``range(full)``, or fewer when ``STRIDE_SWEEP_SEEDS`` is
    set (``make check`` sets it low for a fast loop; ``make test`` and CI leave it unset)."""
    wanted = os.environ.get("STRIDE_SWEEP_SEEDS", "").strip()
    if not wanted:
        return range(full)
    try:
        count = int(wanted)
    except ValueError:
        raise ValueError(f"STRIDE_SWEEP_SEEDS must be a whole number; got {wanted!r}") from None
    if count < 1:
        raise ValueError(f"STRIDE_SWEEP_SEEDS must be at least 1; got {count}")
    return range(min(count, full))


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
