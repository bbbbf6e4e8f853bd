"""Read a deck file: size and encoding checks, then the parser for its format."""

from __future__ import annotations

from pathlib import Path

from quiz.decks import notes
from quiz.decks.model import DeckFormatError, ParsedDeck

MAX_DECK_BYTES = 20 * 1024 * 1024


def parse_deck_file(path: str | Path) -> ParsedDeck:
    """Parse the deck at ``path``; raise :class:`DeckFormatError` for anything unreadable."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise DeckFormatError(0, f"cannot read {path}: {error.strerror}") from error
    if size > MAX_DECK_BYTES:
        raise DeckFormatError(
            0, f"the file is {size / 1e6:.1f} MB; decks are limited to {MAX_DECK_BYTES // 2**20} MB"
        )
    return parse_deck_bytes(path.read_bytes())


def parse_deck_bytes(data: bytes) -> ParsedDeck:
    """Decode ``data`` as UTF-8 (a BOM is allowed) and parse it."""
    if len(data) > MAX_DECK_BYTES:
        raise DeckFormatError(0, f"decks are limited to {MAX_DECK_BYTES // 2**20} MB")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DeckFormatError(1, "expected UTF-8 text; this file is UTF-16: save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DeckFormatError(
            line, f"expected UTF-8 text; byte 0x{data[error.start]:02x} is not valid UTF-8"
        ) from error
    return parse_deck_text(text)


def parse_deck_text(text: str) -> ParsedDeck:
    """Parse deck text, choosing the format by its content."""
    if "\x00" in text:
        raise DeckFormatError(0, "expected a text file; this looks like binary data")
    return notes.parse_notes(text)
