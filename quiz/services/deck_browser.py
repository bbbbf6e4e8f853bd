"""Deck browser use cases for the Decks page: summaries, upload preview and import, card search,
editing, per-user suspension, deletion, and rebuilding a deck for export.

Every function takes an open session (the caller owns the transaction) and returns plain frozen
dataclasses, so the page never sees a query or a model.

* Suspension is per user (a learner's choice, like Anki's): a suspended card keeps its schedule but
  leaves that user's study queue and counts (:mod:`quiz.services.study`) until unsuspended.
* Editing a card keeps its row, its key and its review history; deleting one removes the card with
  every user's schedule and review log (exercise attempts are kept, detached from it).
* An upload is checked with :func:`quiz.decks.problems.check_deck_bytes` (every problem, with its
  line) before it is parsed; :func:`import_upload` refuses a file with problems and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session

from quiz.config import StudySettings
from quiz.decks.identity import CONTENT_KEY_PREFIX
from quiz.decks.model import (
    DeckFormatError,
    DeckProblem,
    ExerciseEntry,
    ParsedCard,
    ParsedDeck,
    side_problems,
)
from quiz.decks.problems import check_deck_bytes
from quiz.decks.reader import detect_format, parse_deck_bytes
from quiz.exercises.constraints import params_from_json
from quiz.scheduling import CardState, Scheduler
from quiz.services.access import Actor, require_instructor
from quiz.services.decks import ImportReport, import_deck
from quiz.services.study import LEARNING_STATES, CardNotFoundError, due_counts, schedule_of
from quiz.store.models import Attempt, Card, CardSchedule, CardSuspension, Deck, ReviewLog
from quiz.vocabulary import CARD_KIND_EXERCISE

STATE_NEW = "new"
STATE_LEARNING = "learning"
STATE_REVIEW = "review"
STATE_RELEARNING = "relearning"
STATE_SUSPENDED = "suspended"
STATES = (STATE_NEW, STATE_LEARNING, STATE_REVIEW, STATE_RELEARNING, STATE_SUSPENDED)
"""Card states a search can filter on; ``learning`` also matches relearning cards."""


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeckSummary:
    """One deck as the Decks tab lists it, for one user.

    ``new``/``learning``/``review`` count the deck's active, unsuspended cards by state
    (``learning`` includes relearning); ``suspended`` counts the user's suspended cards; ``due_*``
    are today's study numbers (:func:`quiz.services.study.due_counts`: new cards within the daily
    limit, learning and review cards due today).
    """

    deck_id: int
    slug: str
    title: str
    description: str
    source_format: str
    source_name: str
    cards: int
    new: int
    learning: int
    review: int
    suspended: int
    due_new: int
    due_learning: int
    due_review: int
    next_due: datetime | None

    @property
    def due_today(self) -> int:
        return self.due_new + self.due_learning + self.due_review


@dataclass(frozen=True)
class CardRow:
    """One card found by :func:`search_cards`, with the user's FSRS state for it.

    ``state`` is one of ``new``, ``learning``, ``review``, ``relearning`` or ``suspended``
    (a suspended card's underlying state is in ``schedule_state``). ``stability`` (days),
    ``difficulty`` (1-10) and ``retrievability`` (0-1, at the search's ``now``) are ``None`` for a
    card never reviewed.
    """

    id: int
    deck_id: int
    deck_title: str
    key: str
    kind: str
    front: str
    back: str
    tags: tuple[str, ...]
    state: str
    schedule_state: str
    suspended: bool
    due: datetime | None
    stability: float | None
    difficulty: float | None
    retrievability: float | None
    reps: int
    lapses: int
    exercise_family: str | None = None
    exercise_difficulty: int | None = None

    @property
    def is_exercise(self) -> bool:
        return self.kind == CARD_KIND_EXERCISE


@dataclass(frozen=True)
class UploadPreview:
    """What an uploaded file would import: the parsed deck (``None`` when it has problems), every
    problem found (line order; 1-based lines, 0 for the file as a whole) and the detected format."""

    filename: str
    format: str
    deck: ParsedDeck | None
    problems: tuple[DeckProblem, ...]

    @property
    def ok(self) -> bool:
        return self.deck is not None and not self.problems

    def problem_lines(self) -> list[str]:
        """``FILE:LINE: message`` for every problem, as ``stride deck check`` prints them."""
        return [problem.format(self.filename) for problem in self.problems]


@dataclass(frozen=True)
class DeleteReport:
    card_id: int
    reviews: int
    schedules: int


class UploadRejectedError(ValueError):
    """An upload with problems: nothing was imported. ``problems`` lists them all."""

    def __init__(self, filename: str, problems: Sequence[DeckProblem]) -> None:
        self.filename = filename
        self.problems = tuple(problems)
        count = len(self.problems)
        first = self.problems[0].format(filename) if self.problems else filename
        super().__init__(
            f"{filename} has {count} problem{'s' if count != 1 else ''}; nothing was imported "
            f"(first: {first})"
        )


class CardEditError(ValueError):
    """An edit that cannot be saved (an empty side, say); the message says what was expected."""


# --- decks -------------------------------------------------------------------------------------


def deck_summaries(
    session: Session, actor: Actor, now: datetime, settings: StudySettings
) -> list[DeckSummary]:
    """Every deck (by title) with its card counts for ``user_id`` and what is due today."""
    user_id = actor.user_id
    labelled = (
        select(Card.deck_id, _state_label_sql().label("state"))
        .outerjoin(CardSchedule, _schedule_join(user_id))
        .outerjoin(CardSuspension, _suspension_join(user_id))
        .where(Card.active)
        .subquery()
    )
    state_counts: dict[int, dict[str, int]] = {}
    for deck_id, label, count in session.execute(
        select(labelled.c.deck_id, labelled.c.state, func.count()).group_by(
            labelled.c.deck_id, labelled.c.state
        )
    ):
        state_counts.setdefault(deck_id, {})[label] = count
    decks = {deck.id: deck for deck in session.scalars(select(Deck))}
    summaries = []
    for due in due_counts(session, actor, now, settings):
        deck = decks[due.deck_id]
        counts = state_counts.get(deck.id, {})
        summaries.append(
            DeckSummary(
                deck_id=deck.id,
                slug=deck.slug,
                title=deck.title,
                description=deck.description,
                source_format=deck.source_format,
                source_name=deck.source_name,
                cards=sum(counts.values()),
                new=counts.get(STATE_NEW, 0),
                learning=counts.get(STATE_LEARNING, 0) + counts.get(STATE_RELEARNING, 0),
                review=counts.get(STATE_REVIEW, 0),
                suspended=counts.get(STATE_SUSPENDED, 0),
                due_new=due.new,
                due_learning=due.learning,
                due_review=due.review,
                next_due=due.next_due,
            )
        )
    return summaries


def deck_for_export(session: Session, deck_id: int) -> ParsedDeck:
    """Deck ``deck_id``'s active cards as a :class:`ParsedDeck`, for :mod:`quiz.decks.export`.

    Explicit keys are kept (content keys, ``h:...``, are not: the exporter derives the same ones
    from the text), with tags and exercise entries (family and difficulty; parameter ranges are
    not stored, so they are not exported).
    """
    deck = session.get(Deck, deck_id)
    if deck is None:
        raise LookupError(f"deck {deck_id} does not exist")
    cards = session.scalars(
        select(Card).where(Card.deck_id == deck_id, Card.active).order_by(Card.position, Card.id)
    )
    return ParsedDeck(
        title=deck.title,
        description=deck.description,
        source_format=deck.source_format,
        cards=tuple(
            ParsedCard(
                front=card.front,
                back=card.back,
                key=None if card.key.startswith(CONTENT_KEY_PREFIX) else card.key,
                tags=split_tags(card.tags),
                exercise=_exercise_entry(card),
            )
            for card in cards
        ),
    )


def _exercise_entry(card: Card) -> ExerciseEntry | None:
    """The exercise entry a card stands for, with its parameter ranges (``None``: a flashcard)."""
    if card.kind != CARD_KIND_EXERCISE or not card.exercise_family:
        return None
    params = params_from_json(json.loads(card.exercise_params or "{}"))
    return ExerciseEntry(card.exercise_family, card.exercise_difficulty or 2, params)


# --- upload ------------------------------------------------------------------------------------


def preview_upload(data: bytes, filename: str) -> UploadPreview:
    """Check and parse an uploaded file without touching the database."""
    problems = check_deck_bytes(data, filename)
    deck = None
    if not problems:
        try:
            deck = parse_deck_bytes(data, filename)
        except DeckFormatError as error:  # the checker and the parser should agree; be safe
            problems = [DeckProblem.from_error(error)]
    return UploadPreview(filename, detect_format(data, filename), deck, tuple(sorted(problems)))


def import_upload(
    session: Session, actor: Actor, data: bytes, filename: str, now: datetime
) -> ImportReport:
    """Import an uploaded file (a new deck, or an update of the deck with the same title's slug).

    Instructors only. Raises :class:`UploadRejectedError` (before writing anything) when the file
    has problems.
    """
    require_instructor(actor, "import decks")
    preview = preview_upload(data, filename)
    if preview.deck is None or preview.problems:
        raise UploadRejectedError(filename, preview.problems)
    try:
        return import_deck(session, preview.deck, now, source_name=filename)
    except DeckFormatError as error:  # the preview checks what import_deck does; be safe
        raise UploadRejectedError(filename, [DeckProblem.from_error(error)]) from error


# --- search ------------------------------------------------------------------------------------


def search_cards(
    session: Session,
    actor: Actor,
    now: datetime,
    scheduler: Scheduler,
    *,
    deck_id: int | None = None,
    text: str = "",
    tag: str = "",
    state: str | None = None,
    min_stability: float | None = None,
    max_stability: float | None = None,
    min_difficulty: float | None = None,
    max_difficulty: float | None = None,
    min_retrievability: float | None = None,
    max_retrievability: float | None = None,
    limit: int = 200,
) -> list[CardRow]:
    """Active cards matching every filter given, by deck title then deck order (at most ``limit``).

    ``text`` matches either side, case-insensitively, as a substring; ``tag`` matches one whole tag
    (case-insensitively); ``state`` is one of :data:`STATES`. A range bound on stability,
    difficulty or retrievability leaves out cards without that value (new cards).
    """
    user_id = actor.user_id
    if state is not None and state not in STATES:
        raise ValueError(f"unknown state {state!r}; expected one of {', '.join(STATES)}")
    query = (
        select(Card, Deck.title, CardSchedule, CardSuspension.id)
        .join(Deck, Deck.id == Card.deck_id)
        .outerjoin(CardSchedule, _schedule_join(user_id))
        .outerjoin(CardSuspension, _suspension_join(user_id))
        .where(Card.active)
        .order_by(Deck.title, Deck.id, Card.position, Card.id)
    )
    if deck_id is not None:
        query = query.where(Card.deck_id == deck_id)
    if needle := text.strip():
        pattern = f"%{_escape_like(needle)}%"
        query = query.where(
            or_(Card.front.ilike(pattern, escape="\\"), Card.back.ilike(pattern, escape="\\"))
        )
    if wanted := tag.strip():
        padded = literal(" ") + Card.tags + literal(" ")
        query = query.where(padded.ilike(f"% {_escape_like(wanted)} %", escape="\\"))
    if state is not None:
        query = query.where(_state_condition(state))
    for column, low, high in (
        (CardSchedule.stability, min_stability, max_stability),
        (CardSchedule.difficulty, min_difficulty, max_difficulty),
    ):
        if low is not None:
            query = query.where(column >= low)
        if high is not None:
            query = query.where(column <= high)
    by_retrievability = min_retrievability is not None or max_retrievability is not None
    if not by_retrievability:
        query = query.limit(limit)

    rows = []
    for card, deck_title, schedule_row, suspension_id in session.execute(query):
        row = _card_row(card, deck_title, schedule_row, suspension_id, now, scheduler)
        if by_retrievability and not _within(
            row.retrievability, min_retrievability, max_retrievability
        ):
            continue
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows


def all_tags(session: Session, deck_id: int | None = None) -> list[str]:
    """Every tag used by active cards (of ``deck_id``, or of all decks), sorted."""
    query = select(Card.tags).where(Card.active, Card.tags != "").distinct()
    if deck_id is not None:
        query = query.where(Card.deck_id == deck_id)
    return sorted({tag for tags in session.scalars(query) for tag in split_tags(tags)})


def load_card_row(
    session: Session, actor: Actor, card_id: int, now: datetime, scheduler: Scheduler
) -> CardRow:
    """One card as :func:`search_cards` returns it; :class:`CardNotFoundError` when it is gone."""
    user_id = actor.user_id
    found = session.execute(
        select(Card, Deck.title, CardSchedule, CardSuspension.id)
        .join(Deck, Deck.id == Card.deck_id)
        .outerjoin(CardSchedule, _schedule_join(user_id))
        .outerjoin(CardSuspension, _suspension_join(user_id))
        .where(Card.id == card_id, Card.active)
    ).first()
    if found is None:
        raise CardNotFoundError(f"card {card_id} does not exist or was retired")
    card, deck_title, schedule_row, suspension_id = found
    return _card_row(card, deck_title, schedule_row, suspension_id, now, scheduler)


# --- changes -----------------------------------------------------------------------------------


def update_card(
    session: Session,
    actor: Actor,
    card_id: int,
    front: str,
    back: str,
    tags: Sequence[str] | str,
    now: datetime,
) -> bool:
    """Save new text and tags for ``card_id``; True when anything changed.

    The card keeps its row, key (explicit or content-derived), schedules and review history.
    Raises :class:`CardEditError` for an empty side or one an import would refuse (over
    :data:`~quiz.decks.model.MAX_SIDE_CHARS` characters, lists or quotes nested deeper than
    :data:`~quiz.decks.model.MAX_NESTING`: :func:`~quiz.decks.model.side_problems`), and
    :class:`CardNotFoundError` when the card is gone. Instructors only: cards are shared.
    """
    require_instructor(actor, "edit cards")
    card = session.get(Card, card_id)
    if card is None or not card.active:
        raise CardNotFoundError(f"card {card_id} does not exist or was retired")
    front, back = front.strip(), back.strip()
    for name, side in (("front", front), ("back", back)):
        if not side:
            raise CardEditError(f"the {name} is empty; a card needs text on both sides")
        if "\x00" in side:
            raise CardEditError(f"the {name} holds a NUL character; expected plain text")
        if problems := side_problems(f"the {name}", side, 0):  # the rules of an import
            raise CardEditError(problems[0].message)
    joined = " ".join(normalise_tags(tags))
    if (card.front, card.back, card.tags) == (front, back, joined):
        return False
    card.front, card.back, card.tags = front, back, joined
    card.updated_at = now
    session.flush()
    return True


def suspend(session: Session, actor: Actor, card_ids: Iterable[int], now: datetime) -> int:
    """Suspend ``card_ids`` for ``user_id``; returns how many were not suspended already."""
    user_id = actor.user_id
    ids = _existing_card_ids(session, card_ids)
    already = set(
        session.scalars(
            select(CardSuspension.card_id).where(
                CardSuspension.user_id == user_id, CardSuspension.card_id.in_(ids)
            )
        )
    )
    fresh = [card_id for card_id in ids if card_id not in already]
    session.add_all(
        CardSuspension(user_id=user_id, card_id=card_id, suspended_at=now) for card_id in fresh
    )
    session.flush()
    return len(fresh)


def unsuspend(session: Session, actor: Actor, card_ids: Iterable[int]) -> int:
    """Put ``card_ids`` back into ``user_id``'s study queue; returns how many were suspended."""
    user_id = actor.user_id
    ids = sorted(set(card_ids))
    result = session.execute(
        delete(CardSuspension).where(
            CardSuspension.user_id == user_id, CardSuspension.card_id.in_(ids)
        )
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_card(session: Session, actor: Actor, card_id: int) -> DeleteReport:
    """Delete ``card_id`` with every user's schedule, suspension and review log for it.

    Exercise attempts are grades, so they are kept, detached from the card and its reviews.
    (A card that is still in its deck's file comes back, as new, when the file is imported again.)
    Instructors only.
    """
    require_instructor(actor, "delete cards")
    card = session.get(Card, card_id)
    if card is None:
        raise CardNotFoundError(f"card {card_id} does not exist")
    review_ids = select(ReviewLog.id).where(ReviewLog.card_id == card_id)
    session.execute(
        update(Attempt)
        .where(or_(Attempt.card_id == card_id, Attempt.review_id.in_(review_ids)))
        .values(card_id=None, review_id=None)
    )
    reviews = session.execute(delete(ReviewLog).where(ReviewLog.card_id == card_id))
    schedules = session.execute(delete(CardSchedule).where(CardSchedule.card_id == card_id))
    session.execute(delete(CardSuspension).where(CardSuspension.card_id == card_id))
    session.delete(card)
    session.flush()
    return DeleteReport(
        card_id,
        int(reviews.rowcount or 0),  # type: ignore[attr-defined]
        int(schedules.rowcount or 0),  # type: ignore[attr-defined]
    )


# --- tags --------------------------------------------------------------------------------------


def split_tags(tags: str) -> tuple[str, ...]:
    """``"a b"`` → ``("a", "b")`` (the ``cards.tags`` column holds space-separated tags)."""
    return tuple(tags.split())


def normalise_tags(tags: Sequence[str] | str) -> tuple[str, ...]:
    """Tags from a string (split on whitespace and commas) or a list, without repeats, in order."""
    words = tags.replace(",", " ").split() if isinstance(tags, str) else tags
    seen: dict[str, None] = {}
    for tag in words:
        for part in str(tag).replace(",", " ").split():
            seen.setdefault(part, None)
    return tuple(seen)


# --- helpers -----------------------------------------------------------------------------------


def _schedule_join(user_id: int) -> ColumnElement[bool]:
    return and_(CardSchedule.card_id == Card.id, CardSchedule.user_id == user_id)


def _suspension_join(user_id: int) -> ColumnElement[bool]:
    return and_(CardSuspension.card_id == Card.id, CardSuspension.user_id == user_id)


def _state_label_sql() -> ColumnElement[str]:
    """The state label of a row of ``Card`` outer-joined with its schedule and suspension."""
    return case(
        (CardSuspension.id.is_not(None), STATE_SUSPENDED),
        (CardSchedule.id.is_(None), STATE_NEW),
        (CardSchedule.state == int(CardState.REVIEW), STATE_REVIEW),
        (CardSchedule.state == int(CardState.RELEARNING), STATE_RELEARNING),
        else_=STATE_LEARNING,
    )


def _state_condition(state: str) -> ColumnElement[bool]:
    if state == STATE_SUSPENDED:
        return CardSuspension.id.is_not(None)
    active = CardSuspension.id.is_(None)
    if state == STATE_NEW:
        return and_(active, CardSchedule.id.is_(None))
    if state == STATE_LEARNING:
        return and_(active, CardSchedule.state.in_(LEARNING_STATES))
    if state == STATE_RELEARNING:
        return and_(active, CardSchedule.state == int(CardState.RELEARNING))
    return and_(active, CardSchedule.state == int(CardState.REVIEW))


def _card_row(
    card: Card,
    deck_title: str,
    row: CardSchedule | None,
    suspension_id: int | None,
    now: datetime,
    scheduler: Scheduler,
) -> CardRow:
    schedule = schedule_of(row)
    schedule_state = schedule.state.name.lower()
    suspended = suspension_id is not None
    return CardRow(
        id=card.id,
        deck_id=card.deck_id,
        deck_title=deck_title,
        key=card.key,
        kind=card.kind,
        front=card.front,
        back=card.back,
        tags=split_tags(card.tags),
        state=STATE_SUSPENDED if suspended else schedule_state,
        schedule_state=schedule_state,
        suspended=suspended,
        due=schedule.due,
        stability=schedule.stability,
        difficulty=schedule.difficulty,
        retrievability=scheduler.retrievability(schedule, now),
        reps=schedule.reps,
        lapses=schedule.lapses,
        exercise_family=card.exercise_family,
        exercise_difficulty=card.exercise_difficulty,
    )


def _existing_card_ids(session: Session, card_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(card_ids))
    found = set(session.scalars(select(Card.id).where(Card.id.in_(ids))))
    missing = [card_id for card_id in ids if card_id not in found]
    if missing:
        raise CardNotFoundError(f"no card with id {', '.join(map(str, missing))}")
    return ids


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _within(value: float | None, low: float | None, high: float | None) -> bool:
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)
