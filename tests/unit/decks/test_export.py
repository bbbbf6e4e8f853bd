"""Exports: Markdown re-imports to identical cards (round trip, also over random decks); the Anki
formats re-import to the same cards, keyed by stable GUIDs; exercises are skipped and counted."""

from __future__ import annotations

import sqlite3
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.decks import parse_deck_file
from quiz.decks.anki_text import parse_anki_text
from quiz.decks.apkg import parse_apkg
from quiz.decks.export import (
    ExportReport,
    deck_slug,
    export_deck,
    stable_anki_id,
    to_anki_text,
    to_markdown_text,
    write_apkg,
)
from quiz.decks.identity import card_keys
from quiz.decks.markdown import parse_markdown
from quiz.decks.model import MAX_ID_CHARS, ExerciseEntry, IntRange, ParsedCard, ParsedDeck
from quiz.exercises.constraints import observed_ranges
from quiz.exercises.registry import FAMILIES

from .test_markdown_deck import GOOD_DIR, REPO_ROOT

EXAMPLE = GOOD_DIR / "cnn-basics.md"
SEED = REPO_ROOT / "data" / "seeds" / "cnn-notes.txt"
FAST = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def without_lines(deck: ParsedDeck) -> ParsedDeck:
    return replace(deck, cards=tuple(replace(card, line=0) for card in deck.cards))


def flashcards(deck: ParsedDeck) -> list[ParsedCard]:
    return [card for card in deck.cards if card.exercise is None]


# -- Markdown ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [EXAMPLE, SEED], ids=["markdown-example", "notes-seed"])
def test_markdown_export_round_trips(path: Path) -> None:
    deck = parse_deck_file(path)
    again = parse_markdown(to_markdown_text(deck))
    assert without_lines(again) == replace(without_lines(deck), source_format="markdown")


def test_markdown_export_is_stable() -> None:
    text = to_markdown_text(parse_deck_file(EXAMPLE))
    assert to_markdown_text(parse_markdown(text)) == text


def test_lines_that_would_start_a_card_are_escaped() -> None:
    card = ParsedCard("Front", "## Not a card\n### A\n```\n## kept in code\n```")
    text = to_markdown_text(ParsedDeck("T", (card,), "markdown"))
    (back,) = (c.back for c in parse_markdown(text).cards)
    assert back == "\\## Not a card\n\\### A\n```\n## kept in code\n```"


_LINE_POOL = [
    "What is $n - k + 1$?",
    "\\[\\left\\lfloor \\frac{n + 2p - k}{s} \\right\\rfloor + 1\\]",
    "$$",
    "y = \\max x",
    "- a bullet with $x_i$",
    "  • a notes bullet",
    "1. numbered",
    "> **Erratum:** fixed.",
    "Is {x} a set? {#not-an-id}",
    "ends with braces {}",
    "{.looks-like-a-tag}",
    "#### a deep heading",
    "Q: not a heading",
    "**bold** and *italic*",
    "",
    "",
]
_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
        blacklist_characters="\\$`~#",
    ),
    max_size=30,
)


@st.composite
def _side(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(st.sampled_from(_LINE_POOL), _TEXT), min_size=1, max_size=6))
    text = "\n".join(lines)
    if text.count("$$") % 2:
        text += "\n$$"
    text = text.strip()
    return text or "x"


_KEYS = st.one_of(
    st.none(),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,12}", fullmatch=True),
    st.text(  # ids are at most MAX_ID_CHARS long: a longer one is a deck error, not a round trip
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=MAX_ID_CHARS,
    ).filter(str.strip),
)
_TAGS = st.lists(st.from_regex(r"[^\s{}\"=]{1,10}", fullmatch=True), max_size=3, unique=True)


@st.composite
def _card(draw: st.DrawFn) -> ParsedCard:
    key = draw(_KEYS)
    tags = tuple(draw(_TAGS))
    if draw(st.integers(0, 4)) == 0:
        family_id = draw(st.sampled_from(sorted(FAMILIES)))
        family = FAMILIES[family_id]
        difficulty = draw(st.integers(1, 3))
        # Ranges must be ones the family can meet (they are validated): a parameter it generates
        # at this difficulty, with all of its values, as a range or as a set.
        ranges = observed_ranges(family_id, difficulty)
        names = (
            draw(st.lists(st.sampled_from(sorted(ranges)), max_size=2, unique=True))
            if ranges
            else []
        )
        params: dict[str, IntRange | tuple[int, ...]] = {}
        for name in names:
            low, high = ranges[name]
            params[name] = (
                IntRange(low, high) if draw(st.booleans()) else tuple(range(low, high + 1))
            )
        back = draw(st.one_of(st.just(family.description), _side()))
        entry = ExerciseEntry(family_id, difficulty, params)
        return ParsedCard(family.title, back, key=key, tags=tags, exercise=entry)
    return ParsedCard(draw(_side()), draw(_side()), key=key, tags=tags)


@st.composite
def _decks(draw: st.DrawFn) -> ParsedDeck:
    cards = draw(st.lists(_card(), min_size=1, max_size=6))
    seen: set[str] = set()
    unique = []
    for card in cards:
        if card.key is not None and card.key in seen:
            card = replace(card, key=None)
        if card.key is not None:
            seen.add(card.key)
        unique.append(card)
    title = draw(st.text(min_size=1, max_size=20).map(lambda t: " ".join(t.split())).filter(bool))
    description = draw(st.text(max_size=20).map(lambda t: " ".join(t.split())))
    tags = tuple(draw(st.lists(st.from_regex(r"[a-z0-9:_-]{1,8}", fullmatch=True), unique=True)))
    return ParsedDeck(title, tuple(unique), "markdown", description, tags)


@pytest.mark.slow  # hypothesis, many generated decks
@FAST
@given(_decks())
def test_random_decks_round_trip_through_markdown(deck: ParsedDeck) -> None:
    text = to_markdown_text(deck)
    assert without_lines(parse_markdown(text)) == deck


# -- Anki plain text and .apkg -----------------------------------------------------------------


def test_anki_text_export_reimports_the_flashcards() -> None:
    deck = parse_deck_file(EXAMPLE)
    text = to_anki_text(deck)
    assert text.startswith(
        "#separator:tab\n#html:true\n#deck:Convolutional neural networks\n"
        "#columns:GUID\tFront\tBack\tTags\n#guid column:1\n#tags column:4\n"
    )
    assert "\\(100 \\times 100\\)" in text and "$" not in text
    again = parse_anki_text(text)
    assert again.title == deck.title
    cards = flashcards(deck)
    assert [card.key for card in again.cards] == card_keys(cards)
    assert [(c.front, c.tags) for c in again.cards] == [(c.front, c.tags) for c in cards]
    assert again.cards[0].back == cards[0].back


def test_notes_deck_exports_with_content_keys() -> None:
    deck = parse_deck_file(SEED)
    again = parse_anki_text(to_anki_text(deck))
    assert [card.key for card in again.cards] == card_keys(deck.cards)
    assert all(key.startswith("h:") for key in card_keys(deck.cards))
    assert len(again.cards) == len(deck.cards)


def test_apkg_export_reimports_like_the_text_export(tmp_path: Path) -> None:
    deck = parse_deck_file(EXAMPLE)
    report = write_apkg(deck, tmp_path / "deck.apkg")
    assert report == ExportReport("apkg", cards=3, skipped_exercises=1)
    from_package = parse_apkg((tmp_path / "deck.apkg").read_bytes())
    from_text = parse_anki_text(to_anki_text(deck))
    assert from_package.title == deck.title
    assert [(c.front, c.back, c.key, c.tags) for c in from_package.cards] == [
        (c.front, c.back, c.key, c.tags) for c in from_text.cards
    ]


def test_apkg_ids_are_stable(tmp_path: Path) -> None:
    deck = parse_deck_file(EXAMPLE)
    ids = []
    for name in ("a.apkg", "b.apkg"):
        write_apkg(deck, tmp_path / name)
        with zipfile.ZipFile(tmp_path / name) as archive:
            assert sorted(archive.namelist()) == ["collection.anki2", "media"]
            (tmp_path / f"{name}.db").write_bytes(archive.read("collection.anki2"))
        with sqlite3.connect(tmp_path / f"{name}.db") as connection:
            models, decks = connection.execute("SELECT models, decks FROM col").fetchone()
            guids = [row[0] for row in connection.execute("SELECT guid FROM notes ORDER BY id")]
        connection.close()
        ids.append((models, decks, guids))
    slug = deck_slug(deck.title)
    assert slug == "convolutional-neural-networks"
    assert str(stable_anki_id("deck", slug)) in ids[0][1]
    assert str(stable_anki_id("note-type", slug)) in ids[0][0]
    assert ids[0][2] == ids[1][2] == card_keys(flashcards(deck))
    assert stable_anki_id("deck", slug) != stable_anki_id("deck", "other")
    assert 1 << 30 <= stable_anki_id("deck", slug) < 1 << 31


@pytest.mark.parametrize(
    ("format", "cards", "skipped", "suffix"),
    [("md", 4, 0, ".md"), ("csv", 3, 1, ".txt"), ("apkg", 3, 1, ".apkg")],
)
def test_export_deck_writes_every_format(
    tmp_path: Path, format: str, cards: int, skipped: int, suffix: str
) -> None:
    deck = parse_deck_file(EXAMPLE)
    path = tmp_path / f"out{suffix}"
    assert export_deck(deck, format, path) == ExportReport(format, cards, skipped)
    again = parse_deck_file(path)
    assert [card.front for card in again.cards] == [card.front for card in deck.cards][:cards]


def test_unknown_export_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown export format 'pdf'"):
        export_deck(parse_deck_file(EXAMPLE), "pdf", tmp_path / "x.pdf")


def test_odd_ids_titles_and_tags_survive_markdown() -> None:
    card = ParsedCard("Q {x}", "A", key='g]"{x}\\ y', tags=("a::b", "ok"))
    deck = ParsedDeck(' "quoted" title ', (card,), "markdown", "two\nlines", ("t",))
    again = parse_markdown(to_markdown_text(deck))
    assert again.cards[0].key == card.key and again.cards[0].front == "Q {x}"
    assert again.title == ' "quoted" title ' and again.description == "two lines"
