"""The format-independent result of parsing a deck file, and the error every parser raises."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExerciseEntry:
    """A deck item that is a generated exercise: a family id from the registry and a difficulty."""

    family: str
    difficulty: int = 2


@dataclass(frozen=True)
class ParsedCard:
    """One flashcard as found in a source file.

    ``front`` and ``back`` are the source text exactly as written (trimmed), not Markdown;
    :func:`quiz.decks.render.to_markdown` converts them for display. ``line`` is the 1-based line
    of the front in the source file, used in messages. ``key`` is an explicit stable id when the
    format has one (``None`` for the notes format, whose cards are matched by content).
    ``exercise`` is set for exercise entries (then ``front``/``back`` are its title and blurb).
    """

    front: str
    back: str
    line: int = 0
    key: str | None = None
    tags: tuple[str, ...] = ()
    exercise: ExerciseEntry | None = None

    def to_dict(self) -> dict[str, str]:
        """The public JSON shape: ``{"front": ..., "back": ...}``."""
        return {"front": self.front, "back": self.back}


@dataclass(frozen=True)
class ParsedDeck:
    """A deck parsed from one file: a title, its cards in file order, and the format's name."""

    title: str
    cards: tuple[ParsedCard, ...]
    source_format: str
    description: str = ""
    tags: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """The public JSON shape printed by ``stride deck parse --json``."""
        return {"title": self.title, "cards": [card.to_dict() for card in self.cards]}


class DeckFormatError(ValueError):
    """A deck file that does not follow its format.

    ``line`` is 1-based (0 when the problem is the file as a whole); ``str(error)`` reads
    ``"line 12: expected ..."`` so it can be shown as it is, or prefixed with the file name.
    """

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)
