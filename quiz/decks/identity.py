"""Stable card identity across re-imports.

A card keeps its database row (and so its review history) when its file is imported again:

1. cards are matched on ``key`` — the explicit id from the file when the format has one, else a
   hash of the front text (whitespace-insensitive); fronts that repeat in a file also hash their
   back, and exact repeats get ``#2``, ``#3``;
2. a card whose key no longer matches (it was edited, or a deck without ids gained them) is
   matched to the most similar unmatched old card: fronts nearly equal (:data:`FRONT_THRESHOLD`)
   with backs still alike (:data:`BACK_THRESHOLD`), or both sides alike on average
   (:data:`AVERAGE_THRESHOLD`). A card with an explicit id only adopts an old card that had none,
   so a notes deck rewritten with ids keeps its history;
3. old cards left unmatched are retired (kept with their history, hidden from study).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from quiz.decks.model import ParsedCard

FRONT_THRESHOLD = 0.8
BACK_THRESHOLD = 0.5
AVERAGE_THRESHOLD = 0.7


@dataclass(frozen=True)
class ExistingCard:
    """What matching needs to know of a card already in the database."""

    id: int
    key: str
    front: str
    back: str


@dataclass(frozen=True)
class SyncPlan:
    """How to turn the old cards of a deck into the new ones.

    ``matched`` pairs an old card's id with the incoming card (and its key) that replaces it;
    ``added`` are new cards; ``retired`` are ids of old cards with no counterpart.
    """

    matched: tuple[tuple[int, str, ParsedCard], ...]
    added: tuple[tuple[str, ParsedCard], ...]
    retired: tuple[int, ...]


CONTENT_KEY_PREFIX = "h:"


def content_key(front: str) -> str:
    """``"h:"`` + the first 16 hex digits of SHA-256 over the front with whitespace collapsed."""
    normalised = " ".join(front.split())
    return CONTENT_KEY_PREFIX + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


def card_keys(cards: Sequence[ParsedCard]) -> list[str]:
    """The key of every incoming card, in order (see the module docstring)."""
    fronts = Counter(content_key(card.front) for card in cards if card.key is None)
    seen: Counter[str] = Counter()
    keys = []
    for card in cards:
        base = card.key or content_key(card.front)
        if card.key is None and fronts[base] > 1:
            base += ":" + content_key(card.back)[2:10]
        seen[base] += 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def plan_sync(existing: Sequence[ExistingCard], incoming: Sequence[ParsedCard]) -> SyncPlan:
    """Match ``incoming`` cards to ``existing`` ones (see the module docstring)."""
    keys = card_keys(incoming)
    by_key = {card.key: card for card in existing}
    matched: dict[int, tuple[int, str, ParsedCard]] = {}
    for index, (key, card) in enumerate(zip(keys, incoming, strict=True)):
        if key in by_key:
            matched[index] = (by_key.pop(key).id, key, card)

    unmatched_new = [i for i in range(len(incoming)) if i not in matched]
    for index, old in _similar_pairs(list(by_key.values()), incoming, unmatched_new):
        matched[index] = (old.id, keys[index], incoming[index])
        del by_key[old.key]

    added = tuple((keys[i], card) for i, card in enumerate(incoming) if i not in matched)
    return SyncPlan(
        matched=tuple(matched[i] for i in sorted(matched)),
        added=added,
        retired=tuple(card.id for card in by_key.values()),
    )


def _similar_pairs(
    old_cards: list[ExistingCard], incoming: Sequence[ParsedCard], candidates: list[int]
) -> list[tuple[int, ExistingCard]]:
    """Greedy best-first pairing of edited cards with old cards, above the thresholds."""
    scored = []
    for index in candidates:
        for old in old_cards:
            if incoming[index].key is not None and not old.key.startswith(CONTENT_KEY_PREFIX):
                continue  # an explicit id only adopts a card that had no id of its own
            front = _similarity(old.front, incoming[index].front)
            back = _similarity(old.back, incoming[index].back)
            average = (front + back) / 2
            if (
                front >= FRONT_THRESHOLD and back >= BACK_THRESHOLD
            ) or average >= AVERAGE_THRESHOLD:
                scored.append((average, index, old))
    pairs: list[tuple[int, ExistingCard]] = []
    used_new: set[int] = set()
    used_old: set[int] = set()
    for _score, index, old in sorted(scored, key=lambda item: -item[0]):
        if index not in used_new and old.id not in used_old:
            pairs.append((index, old))
            used_new.add(index)
            used_old.add(old.id)
    return pairs


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()
