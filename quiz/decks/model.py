"""The format-independent result of parsing a deck file, and the error every parser raises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from quiz.decks.nesting import nesting_depth
from quiz.decks.render import to_markdown
from quiz.exercises.ranges import IntRange, ParameterValues

MAX_CARDS = 20_000
"""The most cards (and exercise entries) one deck file may hold."""
MAX_TITLE_CHARS = 500
"""The longest deck title, in characters (what the database stores)."""
MAX_ID_CHARS = 90
"""The longest card id (the database stores 100 characters: room for a ``#2`` on a repeat)."""
MAX_SIDE_CHARS = 20_000
"""The longest side of a card (its question or its answer, as stored), in characters. The longest
side of the built-in decks has under 2,000; a side this long is a mistake (or an attack), and the
limit bounds what every page showing a card has to render."""
MAX_NESTING = 10
"""How deeply lists and block quotes may nest in a side of a card (as rendered): a browser takes
minutes to draw thousands of levels, and real cards use two or three."""


@dataclass(frozen=True)
class ExerciseEntry:
    """A deck item that is a generated exercise: a family id from the registry and a difficulty.

    ``params`` narrows the family's generated problems, by parameter name: an :class:`IntRange`
    or a tuple of allowed values, in the order written (empty: the family's own choices).
    """

    family: str
    difficulty: int = 2
    params: Mapping[str, ParameterValues] = field(default_factory=dict, hash=False)

    def params_dict(self) -> dict[str, object]:
        """``params`` as JSON: ``{"height": {"min": 28, "max": 224}, "k": {"any_of": [3, 5]}}``
        (read back by :func:`quiz.exercises.constraints.params_from_json`)."""
        return {
            name: {"min": value.low, "max": value.high}
            if isinstance(value, IntRange)
            else {"any_of": list(value)}
            for name, value in self.params.items()
        }


@dataclass(frozen=True)
class ParsedCard:
    """One flashcard as found in a source file.

    ``front`` and ``back`` are the source text exactly as written (trimmed), not Markdown;
    :func:`quiz.decks.render.to_markdown` converts them for display. ``line`` is the 1-based line
    of the front in the source file (an Anki package's note number), used in messages. ``key`` is
    an explicit stable id when the format has one (``None`` for the notes format, whose cards are
    matched by content).
    ``exercise`` is set for exercise entries (then ``front``/``back`` are its title and blurb).
    """

    front: str
    back: str
    line: int = 0
    key: str | None = None
    tags: tuple[str, ...] = ()
    exercise: ExerciseEntry | None = None

    def to_dict(self) -> dict[str, object]:
        """The public JSON shape: ``{"front": ..., "back": ...}``.

        ``key``, ``tags`` and ``exercise`` are added only when the card has them, so decks in
        formats without them (the notes format) keep exactly this shape.
        """
        result: dict[str, object] = {"front": self.front, "back": self.back}
        if self.key is not None:
            result["key"] = self.key
        if self.tags:
            result["tags"] = list(self.tags)
        if self.exercise is not None:
            exercise: dict[str, object] = {
                "family": self.exercise.family,
                "difficulty": self.exercise.difficulty,
            }
            if self.exercise.params:
                exercise["params"] = self.exercise.params_dict()
            result["exercise"] = exercise
        return result


@dataclass(frozen=True)
class ParsedDeck:
    """A deck parsed from one file: a title, its cards in file order, and the format's name."""

    title: str
    cards: tuple[ParsedCard, ...]
    source_format: str
    description: str = ""
    tags: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """The public JSON shape printed by ``stride deck parse --json``.

        ``description`` and ``tags`` are added only when the deck has them.
        """
        result: dict[str, object] = {"title": self.title}
        if self.description:
            result["description"] = self.description
        if self.tags:
            result["tags"] = list(self.tags)
        result["cards"] = [card.to_dict() for card in self.cards]
        return result


def length_problem(what: str, text: str, limit: int, line: int) -> DeckProblem | None:
    """The problem when ``text`` (``what``: "the title", "the id"...) is longer than ``limit``
    characters, reported on ``line``; ``None`` when it fits. Every parser checks the title and
    the card ids with it, so that a deck that parses also fits the database."""
    if len(text) <= limit:
        return None
    return DeckProblem(line, f"{what} has {len(text):,} characters; at most {limit:,} are allowed")


def side_problems(what: str, text: str, line: int) -> list[DeckProblem]:
    """The problems of one side of a card (``what``: "the answer of card 'Stride?'"...), reported
    on ``line``: more than :data:`MAX_SIDE_CHARS` characters, or lists and block quotes nested
    deeper than :data:`MAX_NESTING` once rendered (:func:`quiz.decks.render.to_markdown`). Every
    parser checks both sides of every card with it."""
    if too_long := length_problem(what, text, MAX_SIDE_CHARS, line):
        return [too_long]
    depth = nesting_depth(to_markdown(text))
    if depth <= MAX_NESTING:
        return []
    return [
        DeckProblem(
            line,
            f"{what} nests lists or block quotes {depth:,} levels deep; at most {MAX_NESTING} "
            "are allowed",
        )
    ]


def card_name(front: str, key: str | None = None) -> str:
    """How messages name a card: ``card 'its-id'``, else ``card 'the start of its question…'``
    (control characters escaped)."""
    if key:
        return f"card {key!r}"
    first = front.strip().split("\n", 1)[0]
    return f"card {first[:40] + ('…' if len(first) > 40 else '')!r}"


class DeckFormatError(ValueError):
    """A deck file that does not follow its format.

    ``line`` is 1-based (0 when the problem is the file as a whole); ``str(error)`` reads
    ``"line 12: expected ..."`` so it can be shown as it is, or prefixed with the file name.
    """

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True, order=True)
class DeckProblem:
    """One problem found in a deck file: a 1-based line (0: the file as a whole) and a message."""

    line: int
    message: str

    def format(self, filename: str) -> str:
        """``FILE:LINE: message``, the shape ``stride deck check`` prints."""
        return f"{filename}:{self.line}: {self.message}"

    def error(self) -> DeckFormatError:
        """This problem as the exception the parsers raise."""
        return DeckFormatError(self.line, self.message)

    @classmethod
    def from_error(cls, error: DeckFormatError) -> DeckProblem:
        """The problem a :class:`DeckFormatError` reports."""
        return cls(error.line, error.message)
