"""Read a deck file: size and encoding checks, then the parser for its format.

The format is chosen by content first, then by extension (:func:`detect_format`):

1. a zip archive (``PK``...) or a ``.apkg``/``.colpkg`` name: an Anki package;
2. a first line that is an Anki header (``#separator:``, ``#html:``...): an Anki text export;
3. a first line ``---`` (front matter), or a ``.md``/``.markdown`` name: the Markdown format;
4. a ``.csv``/``.tsv`` name: an Anki text export (CSV);
5. a ``Flashcards`` heading line: the notes format;
6. a ``## Q:`` or ``## Exercise:`` heading: the Markdown format;
7. a named file whose every line holds a tab: an Anki text export without headers;
8. anything else is read as notes (whose parser then says what it expected).

Limits: :data:`MAX_DECK_BYTES` per file, :data:`quiz.decks.model.MAX_CARDS` cards per deck, UTF-8
text only (a BOM is allowed); in every format, :data:`quiz.decks.model.MAX_SIDE_CHARS` characters
per side of a card and :data:`quiz.decks.model.MAX_NESTING` levels of lists and block quotes in it
(each parser checks them with :func:`quiz.decks.model.side_problems`); Anki packages have their own
limits (:mod:`quiz.decks.apkg`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quiz.decks import anki_text, apkg, markdown, notes
from quiz.decks.model import MAX_CARDS, DeckFormatError, ParsedDeck

MAX_DECK_BYTES = 20 * 1024 * 1024

NOTES = notes.FORMAT_NAME
MARKDOWN = markdown.FORMAT_NAME
ANKI_TEXT = anki_text.FORMAT_NAME
APKG = apkg.FORMAT_NAME
FORMATS = (NOTES, MARKDOWN, ANKI_TEXT, APKG)

PACKAGE_SUFFIXES = frozenset({".apkg", ".colpkg"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TABLE_SUFFIXES = frozenset({".csv", ".tsv"})


def parse_deck_file(path: str | Path) -> ParsedDeck:
    """Parse the deck at ``path``; raise :class:`DeckFormatError` for anything unreadable."""
    path = Path(path)
    return parse_deck_bytes(read_deck_bytes(path), path.name)


def parse_deck_bytes(data: bytes, filename: str | None = None) -> ParsedDeck:
    """Parse ``data`` (the content of ``filename``, whose extension helps choose the format)."""
    check_size(len(data))
    if detect_format(data, filename) == APKG:
        return _checked(apkg.parse_apkg(data, title=title_hint(filename)))
    return parse_deck_text(decode_deck_bytes(data), filename)


def parse_deck_text(text: str, filename: str | None = None) -> ParsedDeck:
    """Parse deck text, choosing the format by its content (and ``filename``'s extension)."""
    reject_binary(text)
    parse = _TEXT_PARSERS[detect_text_format(text, filename)]
    return _checked(parse(text, title_hint(filename)))


def read_deck_bytes(path: str | Path) -> bytes:
    """The content of ``path``, refusing files over :data:`MAX_DECK_BYTES` before reading them."""
    path = Path(path)
    try:
        size = path.stat().st_size
        check_size(size)
        return path.read_bytes()
    except OSError as error:
        raise DeckFormatError(0, f"cannot read {path}: {error.strerror}") from error


def decode_deck_bytes(data: bytes) -> str:
    """Decode ``data`` as UTF-8 (a BOM is allowed); a clear message for any other encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DeckFormatError(1, "expected UTF-8 text; this file is UTF-16: save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DeckFormatError(
            line, f"expected UTF-8 text; byte 0x{data[error.start]:02x} is not valid UTF-8"
        ) from error


def reject_binary(text: str) -> None:
    """Refuse text holding NUL characters: a binary file (or UTF-16 without a BOM)."""
    if "\x00" in text:
        raise DeckFormatError(0, "expected a text file; this looks like binary data")


def detect_format(data: bytes, filename: str | None = None) -> str:
    """The format of ``data``: one of :data:`FORMATS` (see the module docstring)."""
    if apkg.looks_like_zip(data) or _suffix(filename) in PACKAGE_SUFFIXES:
        return APKG
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return NOTES  # decoding will fail with a message naming the line
    return detect_text_format(text, filename)


def detect_text_format(text: str, filename: str | None = None) -> str:
    """The format of deck ``text`` (one of the text formats; see the module docstring)."""
    suffix = _suffix(filename)
    if anki_text.looks_like_anki_text(text):
        return ANKI_TEXT
    if markdown.has_front_matter(text) or suffix in MARKDOWN_SUFFIXES:
        return MARKDOWN
    if suffix in TABLE_SUFFIXES:
        return ANKI_TEXT
    if notes.looks_like_notes(text):
        return NOTES
    if markdown.looks_like_markdown(text):
        return MARKDOWN
    if filename and anki_text.looks_tabular(text):
        return ANKI_TEXT
    return NOTES


def title_hint(filename: str | None) -> str | None:
    """The title for formats that may not name their deck: the file name without extension."""
    return Path(filename).stem or None if filename else None


def _parse_notes(text: str, _title: str | None) -> ParsedDeck:
    return notes.parse_notes(text)


def _parse_markdown(text: str, _title: str | None) -> ParsedDeck:
    return markdown.parse_markdown(text)


def _parse_anki_text(text: str, title: str | None) -> ParsedDeck:
    return anki_text.parse_anki_text(text, title=title)


_TEXT_PARSERS: dict[str, Callable[[str, str | None], ParsedDeck]] = {
    NOTES: _parse_notes,
    MARKDOWN: _parse_markdown,
    ANKI_TEXT: _parse_anki_text,
}


def _suffix(filename: str | None) -> str:
    return Path(filename).suffix.lower() if filename else ""


def check_size(size: int) -> None:
    """Refuse more than :data:`MAX_DECK_BYTES`."""
    if size > MAX_DECK_BYTES:
        raise DeckFormatError(
            0, f"the file is {size / 1e6:.1f} MB; decks are limited to {MAX_DECK_BYTES // 2**20} MB"
        )


def _checked(deck: ParsedDeck) -> ParsedDeck:
    if len(deck.cards) > MAX_CARDS:
        raise DeckFormatError(deck.cards[MAX_CARDS].line, f"a deck holds at most {MAX_CARDS} cards")
    return deck
