"""Deck use cases: import (idempotent, one transaction), built-in decks, listing."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quiz.config import BUILTIN_DECKS_DIR
from quiz.decks import ParsedCard, ParsedDeck, parse_deck_file
from quiz.decks.identity import ExistingCard, plan_sync
from quiz.decks.model import MAX_ID_CHARS, MAX_TITLE_CHARS, ExerciseEntry, length_problem
from quiz.store.models import Card, Deck
from quiz.vocabulary import CARD_KIND_EXERCISE, CARD_KIND_FLASHCARD


@dataclass(frozen=True)
class ImportReport:
    """What an import did to the deck ``slug``."""

    slug: str
    title: str
    added: int
    updated: int
    unchanged: int
    retired: int
    created_deck: bool
    details_changed: bool = False  # the deck's title, description or source

    @property
    def changed(self) -> bool:
        return bool(
            self.added or self.updated or self.retired or self.created_deck or self.details_changed
        )

    def counts(self) -> str:
        """``created: 4 added, 0 updated, 0 unchanged, 0 retired``."""
        verb = "created" if self.created_deck else "updated" if self.changed else "unchanged"
        return (
            f"{verb}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired"
        )

    def summary(self) -> str:
        """``deck "Pooling" (pooling) created: …``: its title, and the slug commands take."""
        return f'deck "{self.title}" ({self.slug}) {self.counts()}'


def slugify(title: str) -> str:
    """A URL- and command-line-friendly deck id: ``"CNNs: Notes"`` → ``"cnns-notes"``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:200] or "deck"


def import_deck(
    session: Session,
    parsed: ParsedDeck,
    now: datetime,
    *,
    slug: str | None = None,
    source_name: str = "",
    source_hash: str | None = None,
) -> ImportReport:
    """Create or update the deck ``slug`` (default: from the title) to hold exactly ``parsed``.

    ``source_hash`` is the SHA-256 of the file ``parsed`` came from, when the caller knows it
    (kept on the deck; :func:`load_builtin_decks` compares it to skip unchanged files).

    Cards are matched by identity (:mod:`quiz.decks.identity`), so unchanged cards are untouched
    and edited ones keep their review history. The caller owns the transaction: on any error
    nothing is written.
    """
    _check_lengths(parsed)
    slug = slug or slugify(parsed.title)
    deck = session.scalar(select(Deck).where(Deck.slug == slug))
    created = deck is None
    if deck is None:
        deck = Deck(
            slug=slug,
            title=parsed.title,
            description=parsed.description,
            source_format=parsed.source_format,
            source_name=source_name,
            created_at=now,
            updated_at=now,
        )
        session.add(deck)
        session.flush()
    old_cards = {c.id: c for c in session.scalars(select(Card).where(Card.deck_id == deck.id))}
    plan = plan_sync(
        [ExistingCard(c.id, c.key, c.front, c.back) for c in old_cards.values()], parsed.cards
    )
    position = {id(card): index for index, card in enumerate(parsed.cards)}

    updated = 0
    for card_id, key, incoming in plan.matched:
        updated += _update_card(old_cards[card_id], key, incoming, position[id(incoming)], now)
    for key, incoming in plan.added:
        card = Card(deck_id=deck.id, created_at=now)
        _update_card(card, key, incoming, position[id(incoming)], now)
        session.add(card)
    retired = [old_cards[card_id] for card_id in plan.retired if old_cards[card_id].active]
    for card in retired:
        card.active = False
        card.updated_at = now

    unchanged = len(plan.matched) - updated
    details = {
        "title": parsed.title,
        "description": parsed.description,
        "source_format": parsed.source_format,
        "source_name": source_name or deck.source_name,
    }
    details_changed = any(getattr(deck, name) != value for name, value in details.items())
    for name, value in details.items():
        setattr(deck, name, value)
    if source_hash is not None:
        deck.source_hash = source_hash
    report = ImportReport(
        slug,
        parsed.title,
        len(plan.added),
        updated,
        unchanged,
        len(retired),
        created,
        details_changed=details_changed and not created,
    )
    if report.changed:
        deck.updated_at = now
    session.flush()
    return report


MAX_KEY_CHARS = 100  # the column; a file's ids are shorter (MAX_ID_CHARS), see quiz.decks.model


def _check_lengths(parsed: ParsedDeck) -> None:
    """Ids and titles that fit the database's columns (checked before anything is written).

    The parsers already refuse longer ones, with the line (:func:`quiz.decks.model.length_problem`),
    so a file whose upload preview is clean imports; this guards decks built in code.
    """
    if too_long := length_problem("the title", parsed.title, MAX_TITLE_CHARS, 1):
        raise too_long.error()
    for card in parsed.cards:
        if card.key is not None and (
            too_long := length_problem("the card id", card.key, MAX_ID_CHARS, card.line)
        ):
            raise too_long.error()


def _params_json(entry: ExerciseEntry | None) -> str | None:
    """An exercise entry's parameter ranges as stored (``None`` when it has none)."""
    if entry is None or not entry.params:
        return None
    return json.dumps(entry.params_dict(), sort_keys=True)


def _update_card(card: Card, key: str, incoming: ParsedCard, position: int, now: datetime) -> bool:
    """Bring ``card`` in line with ``incoming``; True when its content (or activity) changed."""
    entry = incoming.exercise
    content = {
        "front": incoming.front,
        "back": incoming.back,
        "active": True,
        "kind": CARD_KIND_EXERCISE if entry else CARD_KIND_FLASHCARD,
        "exercise_family": entry.family if entry else None,
        "exercise_difficulty": entry.difficulty if entry else None,
        "exercise_params": _params_json(entry),
        "tags": " ".join(incoming.tags),
    }
    changed = any(getattr(card, name) != value for name, value in content.items())
    card.key, card.position = key, position
    if changed:
        for name, value in content.items():
            setattr(card, name, value)
        card.updated_at = now
    return changed


# Decks that a built-in deck replaces: its slug → the slug it had before. The notes seed was
# first loaded as a deck of its own; the Markdown deck that replaced it takes its cards over
# (matched by content, see quiz.decks.identity), so their review history is kept.
REPLACED_DECKS = {
    "convolutional-neural-networks": "notes-machine-learning-mt23-convolutional-neural-networks",
}
BUILTIN_PATTERNS = ("*.md", "*.txt")


def load_builtin_decks(
    session: Session, now: datetime, directory: Path = BUILTIN_DECKS_DIR
) -> list[ImportReport]:
    """Bring every built-in deck (``data/decks/*.md``, ``*.txt``) in line with its file.

    A file whose SHA-256 is the ``source_hash`` of the deck imported from it is skipped without
    being parsed (parsing samples each exercise entry's ranges: seconds, at every start of every
    replica); a new or changed file is parsed and imported, updating its deck in place (cards
    matched by identity keep their review history; see :func:`import_deck`). Reports the
    imports that ran."""
    reports = []
    paths = sorted(path for pattern in BUILTIN_PATTERNS for path in directory.glob(pattern))
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        current = select(Deck.id).where(Deck.source_name == path.name, Deck.source_hash == digest)
        if session.scalar(current) is not None:
            continue
        parsed = parse_deck_file(path)
        slug = slugify(parsed.title)
        _take_over_replaced_deck(session, slug)
        reports.append(
            import_deck(session, parsed, now, slug=slug, source_name=path.name, source_hash=digest)
        )
    return reports


def _take_over_replaced_deck(session: Session, slug: str) -> None:
    """Rename the deck that ``slug`` replaces, if present, so the import updates it in place."""
    previous = REPLACED_DECKS.get(slug)
    if previous is None:
        return
    deck = session.scalar(select(Deck).where(Deck.slug == previous))
    if deck is not None:
        deck.slug = slug
        session.flush()


@dataclass(frozen=True)
class DeckInfo:
    id: int
    slug: str
    title: str
    card_count: int


def find_deck_id(session: Session, slug_or_id: str) -> int | None:
    """The id of the deck whose slug (or numeric id) is ``slug_or_id``, if it exists."""
    deck_id = session.scalar(select(Deck.id).where(Deck.slug == slug_or_id))
    if deck_id is None and slug_or_id.isdigit():
        deck_id = session.scalar(select(Deck.id).where(Deck.id == int(slug_or_id)))
    return deck_id


def list_decks(session: Session) -> list[DeckInfo]:
    """Every deck with its number of active cards, by title."""
    rows = session.execute(
        select(Deck.id, Deck.slug, Deck.title, func.count(Card.id))
        .outerjoin(Card, (Card.deck_id == Deck.id) & Card.active)
        .group_by(Deck.id, Deck.slug, Deck.title)
        .order_by(Deck.title)
    )
    return [DeckInfo(*row) for row in rows]


@dataclass(frozen=True)
class ExerciseEntryInfo:
    """An exercise entry of a deck, as offered when building an assignment."""

    card_id: int
    deck_title: str
    title: str
    family: str
    difficulty: int


def list_exercise_entries(session: Session) -> list[ExerciseEntryInfo]:
    """Every active exercise entry of every deck, by deck title then position."""
    rows = session.execute(
        select(Card.id, Deck.title, Card.front, Card.exercise_family, Card.exercise_difficulty)
        .join(Deck, Deck.id == Card.deck_id)
        .where(Card.active, Card.kind == CARD_KIND_EXERCISE)
        .order_by(Deck.title, Card.position)
    )
    entries = []
    for card_id, deck, front, family, difficulty in rows:
        assert family is not None and difficulty is not None  # import sets both on an exercise
        entries.append(
            ExerciseEntryInfo(card_id, deck, front.splitlines()[0][:80], family, difficulty)
        )
    return entries
