"""Write a deck in another format: Markdown, Anki plain text, or an Anki package.

* :func:`to_markdown_text` writes the Markdown format (:mod:`quiz.decks.markdown`); parsing it back
  gives the same cards (front, back, key, tags, exercise entry; only ``line`` differs), the same
  title, description and tags. Two things cannot be written as they are: a line of a side that
  would start a card (``## ...`` or ``### A``) gets a backslash in front, and tags holding a
  space, a quote, ``=`` or a brace get ``_`` in their place.
* :func:`to_anki_text` writes Anki's "Notes in Plain Text" with headers (``#separator:tab``,
  ``#html:true``, ``#deck:``, ``#columns:``, ``#guid column:``, ``#tags column:``); fields are
  HTML with MathJax maths (:func:`quiz.decks.anki_html.markdown_to_anki_html`). The file opens in
  a spreadsheet too, so no cell starts as a formula (:mod:`quiz.text_safety`): a field whose HTML
  starts with ``=``, ``+``, ``-``, ``@``... has that character written as a character reference
  (``&#61;``: Anki shows ``=``, and importing the file back gives the same card), and a GUID or
  tags cell starting with one gets a leading ``'``.
* :func:`write_apkg` writes an ``.apkg`` through ``genanki``: one "Front/Back" note type and one
  deck whose ids are derived from the deck title (so re-exports update the same deck in Anki).

Anki has no generated exercises: exercise entries are skipped by the Anki formats and counted in
the :class:`ExportReport`. Each note's GUID is the card's key — its explicit id, else the content
key of :func:`quiz.decks.identity.card_keys` — so importing the export again (here or in Anki)
matches the same cards.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quiz.decks import exercise_entries, markdown
from quiz.decks.anki_html import markdown_to_anki_html
from quiz.decks.fences import closes_fence, fence_opening
from quiz.decks.identity import card_keys
from quiz.decks.model import IntRange, ParsedCard, ParsedDeck
from quiz.text_safety import spreadsheet_cell, spreadsheet_html_cell

EXPORT_FORMATS = ("apkg", "csv", "md")
NOTE_TYPE_NAME = "Stride Front/Back"
CARD_CSS = ".card { font-family: sans-serif; font-size: 20px; text-align: left; }"

_STARTS_ITEM = re.compile(r"^(##(?:\s|$)|###\s+A:?\s*$)")
_SIMPLE_ID = re.compile(r'^[^\s{}"]+$')
_TAG_UNSAFE = re.compile(r'[\s{}"=]')


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: ``cards`` notes or cards, ``skipped_exercises`` left out."""

    format: str
    cards: int
    skipped_exercises: int = 0


def export_deck(deck: ParsedDeck, format: str, path: str | Path) -> ExportReport:
    """Write ``deck`` to ``path`` as ``format`` (one of :data:`EXPORT_FORMATS`)."""
    path = Path(path)
    if format == "apkg":
        return write_apkg(deck, path)
    if format == "csv":
        path.write_text(to_anki_text(deck), encoding="utf-8")
        flash, skipped = _split_exercises(deck.cards)
        return ExportReport("csv", len(flash), len(skipped))
    if format == "md":
        path.write_text(to_markdown_text(deck), encoding="utf-8")
        return ExportReport("md", len(deck.cards))
    raise ValueError(f"unknown export format {format!r}; expected one of {EXPORT_FORMATS}")


# -- Markdown ------------------------------------------------------------------------------------


def to_markdown_text(deck: ParsedDeck) -> str:
    """The deck in the Markdown format; :func:`quiz.decks.markdown.parse_markdown` reads it back."""
    out = ["---", f"title: {_front_matter_value(deck.title)}"]
    if deck.description:
        out.append(f"description: {_front_matter_value(deck.description)}")
    if deck.tags:
        out.append("tags: [" + ", ".join(_safe_tag(tag) for tag in deck.tags) + "]")
    out += ["---", ""]
    for card in deck.cards:
        out += _markdown_item(card)
    return "\n".join(out).rstrip("\n") + "\n"


def _markdown_item(card: ParsedCard) -> list[str]:
    attributes = _attributes(card)
    if card.exercise is not None:
        heading = f"## Exercise: {card.exercise.family}{attributes}"
        family = exercise_entries.family_or_none(card.exercise.family)
        body = "" if family is not None and card.back == family.description else card.back
        return [heading, ""] + ([_escape_side(body), ""] if body else [])
    front, back = _escape_side(card.front), _escape_side(card.back)
    if "\n" not in front and _reads_back(front, attributes):
        return [f"## Q: {front}{attributes}", "", back, ""]
    return [f"## Q:{attributes}", "", front, "", "### A", "", back, ""]


def _reads_back(front: str, attributes: str) -> bool:
    """True when the heading ``## Q: front {attributes}`` parses into exactly these two."""
    wanted = markdown.split_attributes(attributes.strip())[1]
    return markdown.split_attributes(front + attributes) == (front, wanted)


def _attributes(card: ParsedCard) -> str:
    parts: list[str] = []
    if card.key is not None:
        if _SIMPLE_ID.match(card.key):
            parts.append("#" + card.key)
        else:
            parts.append('id="' + card.key.replace("\\", "\\\\").replace('"', '\\"') + '"')
    parts += ["." + _safe_tag(tag) for tag in card.tags]
    if card.exercise is not None:
        parts.append(f"difficulty={card.exercise.difficulty}")
        for name, values in card.exercise.params.items():
            text = str(values) if isinstance(values, IntRange) else ",".join(map(str, values))
            parts.append(f"{name}={text}")
    return " {" + " ".join(parts) + "}" if parts else ""


def _escape_side(text: str) -> str:
    """Put a backslash before lines that would start a card (outside code blocks)."""
    lines = text.split("\n")
    fence = ""
    for index, line in enumerate(lines):
        if fence:
            if closes_fence(line, fence):
                fence = ""
        elif opener := fence_opening(line):
            fence = opener
        elif _STARTS_ITEM.match(line):
            lines[index] = "\\" + line
    return "\n".join(lines)


def _front_matter_value(value: str) -> str:
    value = " ".join(value.split("\n"))
    quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'"
    if value and value == value.strip() and not quoted:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _safe_tag(tag: str) -> str:
    return _TAG_UNSAFE.sub("_", tag) or "_"


# -- Anki plain text -----------------------------------------------------------------------------


def to_anki_text(deck: ParsedDeck) -> str:
    """The flashcards as Anki "Notes in Plain Text" (tab-separated, HTML fields, headers)."""
    flash, _skipped = _split_exercises(deck.cards)
    lines = [
        "#separator:tab",
        "#html:true",
        f"#deck:{' '.join(deck.title.split())}",
        "#columns:GUID\tFront\tBack\tTags",
        "#guid column:1",
        "#tags column:4",
    ]
    for card, guid in zip(flash, anki_guids(flash), strict=True):
        fields = [
            spreadsheet_cell(guid),
            spreadsheet_html_cell(markdown_to_anki_html(card.front)),
            spreadsheet_html_cell(markdown_to_anki_html(card.back)),
            spreadsheet_cell(" ".join(_anki_tag(tag) for tag in card.tags)),
        ]
        lines.append("\t".join(_quoted(field) for field in fields))
    return "\n".join(lines) + "\n"


def _quoted(field: str) -> str:
    if any(char in field for char in '\t\n\r"') or field.startswith("#"):
        return '"' + field.replace('"', '""') + '"'
    return field


def _anki_tag(tag: str) -> str:
    return "_".join(tag.split()) or "_"


def anki_guids(cards: Sequence[ParsedCard]) -> list[str]:
    """The GUID of each card in Anki: its key (explicit, else content-derived; see identity)."""
    return card_keys(cards)


# -- .apkg through genanki ------------------------------------------------------------------------


def write_apkg(deck: ParsedDeck, path: str | Path) -> ExportReport:
    """Write the flashcards of ``deck`` to ``path`` as an Anki package (maths as MathJax)."""
    import genanki  # deferred: only this export needs it

    flash, skipped = _split_exercises(deck.cards)
    slug = deck_slug(deck.title)
    note_type = genanki.Model(
        stable_anki_id("note-type", slug),
        NOTE_TYPE_NAME,
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Front}}",
                "afmt": '{{FrontSide}}<hr id="answer">{{Back}}',
            }
        ],
        css=CARD_CSS,
    )
    anki_deck = genanki.Deck(
        stable_anki_id("deck", slug),
        deck.title,
        description=markdown_to_anki_html(deck.description),
    )
    for card, guid in zip(flash, anki_guids(flash), strict=True):
        anki_deck.add_note(
            genanki.Note(
                model=note_type,
                fields=[markdown_to_anki_html(card.front), markdown_to_anki_html(card.back)],
                tags=[_anki_tag(tag) for tag in card.tags],
                guid=guid,
            )
        )
    _write_package(genanki.Package(anki_deck), Path(path))
    return ExportReport("apkg", len(flash), len(skipped))


def _write_package(package: Any, path: Path) -> None:
    """Write ``package`` as genanki's ``write_to_file`` does, keeping its database in a folder
    that is removed afterwards (``write_to_file`` leaves a temporary file behind)."""
    with tempfile.TemporaryDirectory(prefix="stride-export-") as folder:
        database = Path(folder) / "collection.anki2"
        with closing(sqlite3.connect(database)) as connection:
            now = time.time()
            ids = iter(range(int(now * 1000), 2**62))
            package.write_to_db(connection.cursor(), now, ids)
            connection.commit()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(database, "collection.anki2")
            archive.writestr("media", json.dumps({}))


def deck_slug(title: str) -> str:
    """``"Convolutional neural networks"`` → ``"convolutional-neural-networks"``."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "deck"


def stable_anki_id(kind: str, slug: str) -> int:
    """A note-type or deck id for Anki derived from ``slug``: the same on every export."""
    digest = hashlib.sha256(f"stride:{kind}:{slug}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def _split_exercises(
    cards: Sequence[ParsedCard],
) -> tuple[list[ParsedCard], list[ParsedCard]]:
    flash = [card for card in cards if card.exercise is None]
    return flash, [card for card in cards if card.exercise is not None]
