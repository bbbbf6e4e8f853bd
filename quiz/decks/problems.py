"""Every problem in a deck file, for ``stride deck check``.

The parsers stop at the first problem (:class:`~quiz.decks.model.DeckFormatError`); checking goes
on after a bad card where the format allows it (Markdown, Anki text, the notes of an Anki package)
and returns all of them, in line order. A file is valid exactly when the list is empty, and then
:func:`quiz.decks.reader.parse_deck_bytes` succeeds; otherwise its error is the first problem.
"""

from __future__ import annotations

from pathlib import Path

from quiz.decks import anki_text, apkg, markdown, reader
from quiz.decks.model import DeckFormatError, DeckProblem


def check_deck_file(path: str | Path) -> list[DeckProblem]:
    """Every problem in the deck at ``path`` (empty: it imports cleanly)."""
    path = Path(path)
    try:
        data = reader.read_deck_bytes(path)
    except DeckFormatError as error:
        return [DeckProblem.from_error(error)]
    return check_deck_bytes(data, path.name)


def check_deck_bytes(data: bytes, filename: str | None = None) -> list[DeckProblem]:
    """Every problem in ``data``, the content of ``filename`` (whose extension helps choose)."""
    title = reader.title_hint(filename)
    try:
        reader.check_size(len(data))
        if reader.detect_format(data, filename) == reader.APKG:
            return _or_parse(apkg.check_apkg(data, title=title), data, filename)
        text = reader.decode_deck_bytes(data)
        reader.reject_binary(text)
        kind = reader.detect_text_format(text, filename)
        if kind == reader.MARKDOWN:
            return _or_parse(markdown.check_markdown(text), data, filename)
        if kind == reader.ANKI_TEXT:
            return _or_parse(anki_text.check_anki_text(text, title=title), data, filename)
        reader.parse_deck_bytes(data, filename)
    except DeckFormatError as error:
        return [DeckProblem.from_error(error)]
    return []


def format_problems(problems: list[DeckProblem], filename: str) -> str:
    """One ``FILE:LINE: message`` line per problem, as ``stride deck check`` prints them."""
    return "".join(problem.format(filename) + "\n" for problem in problems)


def _or_parse(problems: list[DeckProblem], data: bytes, filename: str | None) -> list[DeckProblem]:
    """``problems``, or when there are none, what the full read finds (the size and card limits)."""
    if not problems:
        reader.parse_deck_bytes(data, filename)
    return problems
