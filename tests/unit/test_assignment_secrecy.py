"""Assignment variants cannot be computed or reproduced without the server secret (issue 14, 2).

A student once computed a classmate's exam seed offline (``sha256`` of public ids) and read the
worked solution in Practice. Now: the seed is an HMAC under a secret kept in the database (made
once, shared by replicas, rotated by a command), assignment seeds and Practice seeds never meet,
and rotating the secret keeps every answered variant.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from quiz.decks import parse_deck_file
from quiz.exercises.constraints import TRIES, make_constrained, satisfies
from quiz.exercises.registry import get_family
from quiz.runtime import Stride
from quiz.services.access import Actor
from quiz.services.assignments import (
    ASSIGNMENT_SEED_BIT,
    AssignmentSpec,
    ItemSpec,
    assignment_seed,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
    variant,
)
from quiz.services.decks import import_deck
from quiz.services.practice import PRACTICE_SEEDS, PracticeSeedError, fresh_seed, make_exercise
from quiz.store.db import make_engine, make_session_factory, writing
from quiz.store.migrate import upgrade
from quiz.store.models import Assignment, Card, ServerSecret, Submission, User
from quiz.store.server_secret import (
    ensure_server_secret,
    rotate_server_secret,
    session_secret,
)
from quiz.vocabulary import (
    CARD_KIND_EXERCISE,
    MODE_EXAM,
    MODE_HOMEWORK,
    RELEASE_AFTER_DUE,
    ROLE_STUDENT,
)
from tests.support import NOON, REPO_ROOT

DURING = NOON + timedelta(hours=1)
KEY = bytes(range(32))


def _unkeyed(assignment_id: int, user_id: int, item_id: int, attempt: str) -> int:
    """The old, public formula a student could compute offline."""
    digest = hashlib.sha256(f"assignment:{assignment_id}:{user_id}:{item_id}:{attempt}".encode())
    return int.from_bytes(digest.digest()[:4], "big") & (2**31 - 1)


def _student(stride: Stride, username: str) -> Actor:
    with stride.transaction() as session:
        user = User(username=username, role=ROLE_STUDENT, created_at=NOON)
        session.add(user)
        session.flush()
        return Actor.of(user)


def _assignment(stride: Stride, mode: str, *items: ItemSpec) -> int:
    spec = AssignmentSpec(
        title="Midterm",
        instructions="",
        mode=mode,
        opens_at=NOON,
        due_at=NOON + timedelta(days=1),
        max_attempts=3,
        items=items or (ItemSpec("conv-forward", 2), ItemSpec("conv-output-size", 3)),
        answers_release=RELEASE_AFTER_DUE,  # the solutions show once the due time has passed
        scores_release=RELEASE_AFTER_DUE,
    )
    with stride.transaction() as session:
        return create_assignment(session, stride.local_actor, spec, NOON)


def _secret_rows(stride: Stride) -> list[bytes]:
    with stride.transaction() as session:
        return [bytes(v) for v in session.scalars(select(ServerSecret.value))]


# --- the keyed seed ---------------------------------------------------------------------------


def test_the_seed_depends_on_the_secret_and_is_stable_for_one() -> None:
    other = b"\xff" * 32
    seeds = [assignment_seed(KEY, 1, 2, 3, attempt) for attempt in (None, 1, 2)]
    assert seeds == [assignment_seed(KEY, 1, 2, 3, attempt) for attempt in (None, 1, 2)]
    assert all(
        assignment_seed(KEY, 1, 2, 3, a) != assignment_seed(other, 1, 2, 3, a) for a in (None, 1)
    )
    assert len(set(seeds)) == 3


def test_the_seed_is_not_the_public_formula_any_more() -> None:
    """The break: ``sha256("assignment:a:u:i:exam")`` was the exam seed."""
    for ids in [(1, 2, 3), (7, 40, 12), (100, 5, 999)]:
        assert assignment_seed(KEY, *ids, None) != _unkeyed(*ids, "exam")
        assert assignment_seed(KEY, *ids, 1) != _unkeyed(*ids, "1")


def test_every_assignment_seed_is_outside_practice_seeds() -> None:
    for n in range(2000):
        seed = assignment_seed(KEY, n, n * 7 + 1, n % 13, None if n % 2 else n % 5 + 1)
        assert ASSIGNMENT_SEED_BIT <= seed < 2**31  # fits Submission.seed's 31 bits
        assert seed not in PRACTICE_SEEDS


def test_a_seed_without_a_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        assignment_seed(b"", 1, 2, 3, None)


def test_constrained_variants_keep_the_assignment_bit() -> None:
    """Meeting an item's parameter ranges tries derived seeds: near the top of the range they
    used to wrap around into small seeds, which Practice shows."""
    family = get_family("conv-output-size")
    constraints = {"kernel": (7,), "stride": (2,)}  # few variants meet both: seeds are derived
    tops = range(2**31 - 40, 2**31)
    wrapped = [make_constrained(family, seed, 2, constraints).seed for seed in tops]
    assert any(seed not in range(ASSIGNMENT_SEED_BIT, 2**31) for seed in wrapped)  # the old way
    for seed in tops:
        exercise = make_constrained(family, seed, 2, constraints, seed_bits=30)
        assert ASSIGNMENT_SEED_BIT <= exercise.seed < 2**31
        assert satisfies(exercise.params, constraints)


def test_constrained_variants_elsewhere_are_unchanged() -> None:
    """Study items keep their variants: the default derivation is the old one."""
    family = get_family("conv-output-size")
    constraints = {"kernel": (7,), "stride": (2,)}
    for seed in (5, 2**31 - 1, 123_456_789, 2**30 - 2):
        derived = ((seed + k * 1_000_003) & 0x7FFFFFFF for k in range(TRIES))
        expected = next(s for s in derived if satisfies(family.make(s, 2).params, constraints))
        assert make_constrained(family, seed, 2, constraints).seed == expected


# --- the secret in the database ---------------------------------------------------------------


def test_the_secret_is_made_once_and_shared(database_url: str) -> None:
    first = Stride.open(database_url)
    second = Stride.open(database_url)  # another replica on the same database
    try:
        with first.transaction() as one, second.transaction() as two:
            assert session_secret(one) == session_secret(two)
            assert len(session_secret(one)) == 32
            again = ensure_server_secret(one, NOON)  # idempotent: the stored one comes back
            assert again == session_secret(one)
        assert _secret_rows(first) == [session_secret(one)]
    finally:
        first.close()
        second.close()


def test_replicas_racing_to_make_the_secret_end_with_one(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)  # the schema, but no secret yet
    sessions = make_session_factory(engine)
    start = threading.Barrier(4)
    found: list[bytes] = []
    errors: list[BaseException] = []

    def replica() -> None:
        try:
            start.wait()
            with sessions.begin() as session:
                # A writer says so first (Stride.write does): on SQLite a transaction that read
                # and then tries to write while another holds the write lock fails at once with
                # "database is locked" instead of waiting; BEGIN IMMEDIATE waits its turn.
                writing(session)
                found.append(ensure_server_secret(session, NOON))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with sessions.begin() as session:
            rows = session.scalars(select(ServerSecret)).all()
        assert len(rows) == 1 and found == [bytes(rows[0].value)] * 4
    finally:
        engine.dispose()


def test_a_session_not_made_by_stride_reads_the_stored_secret(stride: Stride) -> None:
    with stride.transaction() as session:
        expected = session_secret(session)
    with make_session_factory(stride.engine).begin() as plain:
        assert session_secret(plain) == expected


def test_the_secret_is_read_once_per_process(stride: Stride) -> None:
    """Every session of a Stride carries the secret it read at start-up: no query per page."""
    with stride.transaction() as session:
        held = session_secret(session)
        session.execute(
            ServerSecret.__table__.update().values(value=b"x" * 32)  # changed behind its back
        )
    with stride.transaction() as session:
        assert session_secret(session) == held


# --- what the secret protects -----------------------------------------------------------------


def test_practice_cannot_show_an_exam_variant(stride: Stride) -> None:
    """The exact variant a student answers, and its solution, are out of Practice's reach."""
    alice = _student(stride, "alice")
    assignment_id = _assignment(stride, MODE_EXAM)
    with stride.transaction() as session:
        view = open_assignment(session, alice, assignment_id, DURING)
        secret = session_secret(session)
    for item in view.items:
        exam = item.exercise
        assert exam.seed >= ASSIGNMENT_SEED_BIT
        with pytest.raises(PracticeSeedError, match="practice seeds are 0 … 1073741823"):
            make_exercise(exam.family, exam.seed, exam.difficulty)
        # the public formula's seed, which a student could compute, is not the variant's
        assert exam.seed != _unkeyed(assignment_id, alice.user_id, item.item_id, "exam")
        # the variant is the keyed one, and only the secret gives it
        with stride.transaction() as session:
            row = session.get(Assignment, assignment_id).items[item.position - 1]  # type: ignore[union-attr]
            assert variant(row, MODE_EXAM, alice.user_id, 1, secret).prompt == exam.prompt
            assert variant(row, MODE_EXAM, alice.user_id, 1, b"k" * 32).seed != exam.seed
    assert all(fresh_seed() in PRACTICE_SEEDS for _ in range(1000))


def test_a_constrained_deck_item_stays_outside_practice(stride: Stride) -> None:
    with stride.transaction() as session:
        deck = parse_deck_file(REPO_ROOT / "tests" / "data" / "decks" / "good" / "cnn-basics.md")
        import_deck(session, deck, NOON)
        card_id = session.scalar(
            select(Card.id).where(
                Card.kind == CARD_KIND_EXERCISE, Card.exercise_params.is_not(None)
            )
        )
    assignment_id = _assignment(stride, MODE_HOMEWORK, ItemSpec(None, None, card_id=card_id))
    students = [_student(stride, f"s{n}") for n in range(30)]
    for student in students:
        with stride.transaction() as session:
            (item,) = open_assignment(session, student, assignment_id, DURING).items
        assert item.exercise.seed not in PRACTICE_SEEDS


def test_rotation_changes_unanswered_variants_and_keeps_answered_ones(stride: Stride) -> None:
    alice = _student(stride, "alice")
    assignment_id = _assignment(stride, MODE_EXAM)
    with stride.transaction() as session:
        before = open_assignment(session, alice, assignment_id, DURING)
        answered = before.items[0]
        submit_assignment_answer(
            session, alice, assignment_id, answered.item_id, answered.exercise.answer, DURING
        )
        old = session_secret(session)
    with stride.transaction() as session:
        new = rotate_server_secret(session, DURING)
    assert new != old and _secret_rows(stride) == [new]
    after_due = NOON + timedelta(days=2)
    with make_session_factory(stride.engine).begin() as session:  # a process started afterwards
        assert session_secret(session) == new
        during = open_assignment(session, alice, assignment_id, DURING)
        closed = open_assignment(session, alice, assignment_id, after_due)
        assert session.scalar(select(Submission.seed)) == answered.exercise.seed
    assert during.items[1].exercise.seed != before.items[1].exercise.seed  # not answered: new
    assert during.items[1].exercise.seed >= ASSIGNMENT_SEED_BIT
    (attempt,) = closed.items[0].attempts  # answered: the same variant, graded the same
    assert attempt.exercise is not None and attempt.exercise.prompt == answered.exercise.prompt
    assert attempt.correct and closed.score == 1.0
