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
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from quiz.store.types import UTCDateTime
from quiz.vocabulary import CARD_KIND_FLASHCARD, RELEASE_IMMEDIATELY, ROLE_STUDENT

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


CLIENT_TOKEN_LENGTH = 64
"""Longest idempotency key a page may send with an answer (see ``quiz.services.idempotency``)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """A student or instructor. Local mode has one implicit user named ``local``.

    ``password_hash`` is an argon2 hash (never the password); ``None`` means the account cannot
    sign in with a password (the local user). ``must_change_password`` is set for one-time
    passwords (roster import, a reset by an instructor): the next sign-in asks for a new one.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=ROLE_STUDENT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    """Lower-case; set by an instructor (or a first single sign-on) and unique when set. Single
    sign-on links a school account to the Stride account with its (verified) address."""
    section: Mapped[str | None] = mapped_column(String(100))
    """The class section (a roster's ``section`` column): extensions can be given per section,
    and the Canvas export fills its Section column from it."""


class UserIdentity(Base):
    """A school account (single sign-on) linked to a Stride account: the identity provider's
    ``iss`` and the ``sub`` it gives the person, which together never change or get reused."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuthSession(Base):
    """A signed-in browser session. Only a SHA-256 of its random token is stored.

    It ends at ``expires_at`` (absolute) or after ``idle_expires_at`` passes without use; signing
    out, a password change and a password reset delete the user's rows.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    idle_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    client: Mapped[str] = mapped_column(String(100), default="")


class SignInThrottle(Base):
    """Sign-in throttling (:mod:`quiz.services.throttle`): failures per account tried from one
    client (``scope="account+client"``), per account, per client address, and the browsers
    known to an account (``"known-device"``).

    ``failures`` counts failures since ``window_started_at``; ``retry_after`` is the wait a
    client's failures set; ``locked_until`` ends a spent budget (only known browsers until then)
    or, for a known browser, when it is forgotten.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ServerSecret(Base):
    """A random key the server keeps to itself, one row per purpose (``name``).

    ``assignment-seeds`` keys the HMAC that seeds each student's assignment variants
    (:func:`quiz.services.assignments.assignment_seed`). It is made once, on first use, by whichever
    replica gets there first, and replaced by ``stride secret rotate``; see
    :mod:`quiz.store.server_secret`.
    """

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary(64))
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
    source_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of the file last imported into the deck, when Stride knows it."""
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
        UniqueConstraint("user_id", "client_token"),
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
    client_token: Mapped[str | None] = mapped_column(String(CLIENT_TOKEN_LENGTH))
    """The page's idempotency key for this answer (a resend finds this row); ``None`` if none."""


class Attempt(Base):
    """One graded answer to a generated exercise (format errors are not attempts).

    ``(family, seed, difficulty)`` regenerates the exercise, so ``raw_answer`` can be regraded.
    ``card_id`` is set when the exercise came from a scheduled item, and ``review_id`` when the
    attempt rated it; ``source`` says where it was answered (``practice`` or ``study``).
    """

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_user_family", "user_id", "family", "created_at"),
        Index("ix_attempts_user_outcome", "user_id", "family", "mistake", "correct", "created_at"),
        Index("ix_attempts_user_source_time", "user_id", "source", "created_at"),
        UniqueConstraint("user_id", "client_token"),
    )

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
    client_token: Mapped[str | None] = mapped_column(String(CLIENT_TOKEN_LENGTH))
    """The page's idempotency key for this answer (a resend finds this row); ``None`` if none."""


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


class Assignment(Base):
    """A set of generated problems an instructor gives students, graded automatically.

    ``mode`` is ``homework`` (a new variant on each attempt, the best score counts, feedback at
    once) or ``exam`` (one variant per student, attempt *k* earns at most ``credit_schedule[k-1]``
    of the item, feedback once ``due_at`` has passed). ``credit_schedule`` is a comma-separated
    list such as ``"1,0.7,0.5"``; attempts past its end keep its last value. Submissions are
    accepted from ``opens_at`` until ``due_at`` and up to ``max_attempts`` per item.
    ``for_all_students`` gives it to every student account, present and future; otherwise only to
    the users in ``assignment_members``.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    instructions: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(20))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_attempts: Mapped[int] = mapped_column(Integer)
    credit_schedule: Mapped[str] = mapped_column(String(200), default="1")
    for_all_students: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    late_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """End of the late window (None: no late answers); an answer after a student's due time
    and up to this time is accepted with ``late_penalty`` taken off its credit."""
    late_penalty: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    """Fraction of a late attempt's credit taken off (0.2: 20 % off)."""
    scores_release: Mapped[str] = mapped_column(
        String(20), default=RELEASE_IMMEDIATELY, server_default=RELEASE_IMMEDIATELY
    )
    scores_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answers_release: Mapped[str] = mapped_column(
        String(20), default=RELEASE_IMMEDIATELY, server_default=RELEASE_IMMEDIATELY
    )
    answers_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[AssignmentItem]] = relationship(
        back_populates="assignment",
        order_by="AssignmentItem.position",
        cascade="all, delete-orphan",
    )


class AssignmentItem(Base):
    """One problem slot of an assignment: a family at a difficulty, worth ``points``.

    ``params`` holds parameter ranges (JSON, :mod:`quiz.exercises.constraints`) copied from a
    deck's exercise entry when the item came from one (``card_id``), so a later edit of the deck
    does not change a problem students have already answered.
    """

    __tablename__ = "assignment_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    family: Mapped[str] = mapped_column(String(50))
    difficulty: Mapped[int] = mapped_column(Integer)
    params: Mapped[str | None] = mapped_column(Text)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id", ondelete="SET NULL"))
    points: Mapped[float] = mapped_column(Float)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set when an instructor removes the item: it leaves the students' view and the totals,
    its submissions are kept, and restoring it (clearing this) brings them back."""

    assignment: Mapped[Assignment] = relationship(back_populates="items")


class AssignmentMember(Base):
    """A student an assignment was given to (when it is not for all students)."""

    __tablename__ = "assignment_members"
    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Submission(Base):
    """One graded answer to an assignment item (format errors are not submissions).

    ``seed`` regenerates the variant the student saw, so ``raw_answer`` can be regraded.
    ``score`` is the grader's 0–1 score; ``credit`` is the fraction of the item's points this
    attempt earns after the mode's rule (the item's credit is the best over its attempts).
    The unique ``(item_id, user_id, attempt_number)`` makes a double submit record one attempt.
    """

    __tablename__ = "assignment_submissions"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id", "attempt_number"),
        Index("ix_assignment_submissions_assignment_user", "assignment_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("assignment_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    attempt_number: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    raw_answer: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    credit: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool] = mapped_column(Boolean)
    mistake: Mapped[str | None] = mapped_column(String(50))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    """Submitted after the student's due time, inside the late window: ``credit`` has the
    assignment's late penalty taken off (and a regrade takes off the penalty then in force)."""


class AssignmentExtension(Base):
    """A later due time (and extra attempts per item) for one student or one section.

    Exactly one of ``user_id`` and ``section`` is set. A student's own extension wins over their
    section's; the assignment's late window and penalty still apply after the extended due time.
    """

    __tablename__ = "assignment_extensions"
    __table_args__ = (
        UniqueConstraint("assignment_id", "user_id"),
        UniqueConstraint("assignment_id", "section"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    section: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScoreOverride(Base):
    """An instructor's score for one student's item, replacing the computed one (with a reason).

    Every change, including removing an override, is also in :class:`AssignmentAudit`."""

    __tablename__ = "score_overrides"
    __table_args__ = (UniqueConstraint("item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("assignment_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssignmentAudit(Base):
    """What an instructor changed in an assignment, and when: edits, extensions, releases,
    overrides (``old`` → ``new``, with the reason), regrades. Append-only; the gradebook shows
    it."""

    __tablename__ = "assignment_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(100))
    """The username at the time (kept when the account is deleted)."""
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200), default="")
    """Whom or what it concerns: a username, a section, an item ("item 3")."""
    old: Mapped[str] = mapped_column(Text, default="")
    new: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")


class FormatError(Base):
    """An assignment answer the grader could not read (no attempt used): counted so that the
    gradebook can point at items whose answer format confuses students. ``answer`` keeps the
    first 200 characters of what was typed."""

    __tablename__ = "assignment_format_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("assignment_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssignmentArchive(Base):
    """What a deleted assignment held, kept as JSON (its settings, items, submissions,
    extensions, overrides and audit log): deleting an assignment with submissions keeps this
    export in the database, so a backup holds it (``stride assignment delete -o`` also writes it
    to a file)."""

    __tablename__ = "assignment_archives"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(Integer)
    """The deleted assignment's id (no foreign key: the row is gone)."""
    title: Mapped[str] = mapped_column(String(500))
    deleted_by: Mapped[str] = mapped_column(String(100))
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    export: Mapped[str] = mapped_column(Text)
