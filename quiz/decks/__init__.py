"""Deck formats: parsers that turn files into :class:`ParsedDeck`, and rendering for display."""

from quiz.decks.model import DeckFormatError, ParsedCard, ParsedDeck
from quiz.decks.reader import parse_deck_file, parse_deck_text

__all__ = ["DeckFormatError", "ParsedCard", "ParsedDeck", "parse_deck_file", "parse_deck_text"]
