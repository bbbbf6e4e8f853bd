"""SQLAlchemy 2 models.

Per-user rows (schedules, review log) carry ``user_id`` from the start, so accounts need no rewrite.
A card's identity is its row ``id``; ``key`` is what an import matches on (an explicit id from the
file, or a hash of the front for formats without ids), so an edited card keeps its history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from quiz.store.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


CARD_KIND_FLASHCARD = "flashcard"
CARD_KIND_EXERCISE = "exercise"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """A learner or instructor. Local mode has one implicit user named ``local``."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="student")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Deck(Base):
    """A named collection of cards, identified on import by ``slug``."""

    __tablename__ = "decks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    source_format: Mapped[str] = mapped_column(String(20))
    source_name: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    cards: Mapped[list[Card]] = relationship(back_populates="deck", order_by="Card.position")


class Card(Base):
    """A reviewable item of a deck: a flashcard, or an exercise entry.

    A flashcard's ``front``/``back`` hold the source text as written (rendered for display). An
    exercise entry (``kind == "exercise"``) names a family and a difficulty; each time it is due
    it comes back as a new generated variant. Items that disappear from a re-imported file are
    retired (``active`` false), not deleted, so their history survives and they come back if the
    file restores them.
    """

    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("deck_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("decks.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    front: Mapped[str] = mapped_column(Text)
    back: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(
        String(20), default=CARD_KIND_FLASHCARD, server_default=CARD_KIND_FLASHCARD
    )
    exercise_family: Mapped[str | None] = mapped_column(String(50))
    exercise_difficulty: Mapped[int | None] = mapped_column(Integer)
    exercise_params: Mapped[str | None] = mapped_column(Text)  # JSON ranges, see constraints.py
    tags: Mapped[str] = mapped_column(Text, default="", server_default="")
    """Space-separated tags, as the deck file gives them (empty: none)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    deck: Mapped[Deck] = relationship(back_populates="cards")


class CardSchedule(Base):
    """One user's FSRS state for one card. No row means the card is new to that user."""

    __tablename__ = "card_schedules"
    __table_args__ = (
        UniqueConstraint("user_id", "card_id"),
        Index("ix_card_schedules_user_due", "user_id", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    state: Mapped[int] = mapped_column(Integer)
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(UTCDateTime())
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)


class ReviewLog(Base):
    """One answer: the rating, when, how long it took, and the schedule before and after.

    The ``*_before`` columns are exactly what undo restores (``state_before`` 0 = the card was new).
    """

    __tablename__ = "review_log"
    __table_args__ = (
        Index("ix_review_log_user_reviewed", "user_id", "reviewed_at"),
        Index("ix_review_log_card", "card_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int | None] = mapped_column(Integer)

    state_before: Mapped[int] = mapped_column(Integer)
    step_before: Mapped[int | None] = mapped_column(Integer)
    stability_before: Mapped[float | None] = mapped_column(Float)
    difficulty_before: Mapped[float | None] = mapped_column(Float)
    due_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_review_before: Mapped[datetime | None] = mapped_column(UTCDateTime())

    state_after: Mapped[int] = mapped_column(Integer)
    step_after: Mapped[int | None] = mapped_column(Integer)
    stability_after: Mapped[float] = mapped_column(Float)
    difficulty_after: Mapped[float] = mapped_column(Float)
    due_after: Mapped[datetime] = mapped_column(UTCDateTime())


class Attempt(Base):
    """One graded answer to a generated exercise (format errors are not attempts).

    ``(family, seed, difficulty)`` regenerates the exercise, so ``raw_answer`` can be regraded.
    ``card_id`` is set when the exercise came from a scheduled item, and ``review_id`` when the
    attempt rated it; ``source`` says where it was answered (``practice`` or ``study``).
    """

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_user_family", "user_id", "family", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id", ondelete="SET NULL"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review_log.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20))
    family: Mapped[str] = mapped_column(String(50))
    seed: Mapped[int] = mapped_column(BigInteger)
    difficulty: Mapped[int] = mapped_column(Integer)
    raw_answer: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool] = mapped_column(Boolean)
    mistake: Mapped[str | None] = mapped_column(String(50))
    used_hint: Mapped[bool] = mapped_column(Boolean, default=False)
    saw_solution: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CardSuspension(Base):
    """A card one user has suspended: it stays in its deck but leaves that user's study queue.

    Like Anki's suspend, it is the learner's choice, so it is per user; the schedule is kept, and
    unsuspending (deleting the row) puts the card back where it was.
    """

    __tablename__ = "card_suspensions"
    __table_args__ = (UniqueConstraint("user_id", "card_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    suspended_at: Mapped[datetime] = mapped_column(UTCDateTime())
