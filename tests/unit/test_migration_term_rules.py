"""Migration 0011 (term rules) on a database at 0010 holding an exam and a homework with answers:
existing exams keep showing results once the due time has passed (``after_due``), homework shows
them at once (``immediately``), every old answer is on time; the downgrade takes it all back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, MetaData, Table, func, inspect, select

from quiz.exercises.registry import get_family
from quiz.runtime import Stride
from quiz.services.access import Actor
from quiz.services.assignments import open_assignment
from quiz.store.db import make_engine
from quiz.store.migrate import current_revision, downgrade, upgrade

OPENS = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DUE = OPENS + timedelta(days=7)
DURING = OPENS + timedelta(hours=1)
SEED = 2**30 + 12345
NEW_TABLES = {
    "assignment_extensions",
    "score_overrides",
    "assignment_audit",
    "assignment_format_errors",
    "assignment_archives",
}


def _table(engine: Engine, name: str) -> Table:
    return Table(name, MetaData(), autoload_with=engine)


def _fill_at_0010(engine: Engine) -> tuple[int, str]:
    """A student, an exam (id 1) and a homework (id 2), one item each, one right answer to each
    (written through the tables as they are at 0010). Returns the student's id and the right
    answer. (Assignment and item ids are given; the user's comes from its sequence, which the
    local user created later also takes from.)"""
    right = get_family("same-padding").make(SEED, 2).answer
    users, assignments, items, submissions = (
        _table(engine, n)
        for n in ("users", "assignments", "assignment_items", "assignment_submissions")
    )
    with engine.begin() as connection:
        (user_id,) = connection.execute(
            users.insert(),
            {
                "username": "alice",
                "display_name": "Alice",
                "role": "student",
                "created_at": OPENS,
                "active": True,
                "must_change_password": False,
            },
        ).inserted_primary_key
        for assignment_id, mode in ((1, "exam"), (2, "homework")):
            connection.execute(
                assignments.insert(),
                {
                    "id": assignment_id,
                    "title": f"Old {mode}",
                    "instructions": "",
                    "mode": mode,
                    "opens_at": OPENS,
                    "due_at": DUE,
                    "max_attempts": 3,
                    "credit_schedule": "1,0.7,0.5",
                    "for_all_students": True,
                    "created_by": None,
                    "created_at": OPENS,
                    "updated_at": OPENS,
                },
            )
            connection.execute(
                items.insert(),
                {
                    "id": assignment_id,
                    "assignment_id": assignment_id,
                    "position": 1,
                    "family": "same-padding",
                    "difficulty": 2,
                    "params": None,
                    "card_id": None,
                    "points": 2.0,
                },
            )
            connection.execute(
                submissions.insert(),
                {
                    "assignment_id": assignment_id,
                    "item_id": assignment_id,
                    "user_id": user_id,
                    "attempt_number": 1,
                    "seed": SEED,
                    "raw_answer": right,
                    "score": 1.0,
                    "credit": 1.0,
                    "correct": True,
                    "mistake": None,
                    "duration_ms": 900,
                    "created_at": DURING,
                },
            )
    return user_id, right


def _rows(engine: Engine, sql_table: str, *columns: str) -> list[tuple[Any, ...]]:
    table = _table(engine, sql_table)
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(*(table.c[c] for c in columns)).order_by(table.c[columns[0]])
            )
        ]


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_upgrade_keeps_old_exams_after_due_and_homework_immediate(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0010")
        user_id, right = _fill_at_0010(engine)
        upgrade(engine, "0011")
        assert current_revision(engine) == "0011"
        assert _rows(
            engine,
            "assignments",
            "id",
            "mode",
            "scores_release",
            "scores_release_at",
            "answers_release",
            "answers_release_at",
            "late_until",
            "late_penalty",
        ) == [
            (1, "exam", "after_due", None, "after_due", None, None, 0.0),
            (2, "homework", "immediately", None, "immediately", None, None, 0.0),
        ]
        assert _rows(engine, "assignment_submissions", "assignment_id", "late", "credit") == [
            (1, False, 1.0),
            (2, False, 1.0),
        ]
        assert _rows(engine, "assignment_items", "id", "removed_at") == [(1, None), (2, None)]
        assert _rows(engine, "users", "username", "section") == [("alice", None)]
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES
        for table in NEW_TABLES:
            with engine.connect() as connection:
                assert (
                    connection.scalar(select(func.count()).select_from(_table(engine, table))) == 0
                )
    finally:
        engine.dispose()

    # the services read the old exam as before: results hidden until the due time has passed
    stride = Stride.open(database_url, load_builtin=False)
    try:
        alice = Actor(user_id, "alice", "student")
        with stride.transaction() as session:
            exam_during = open_assignment(session, alice, 1, DURING)
            exam_after = open_assignment(session, alice, 1, DUE + timedelta(seconds=1))
            homework = open_assignment(session, alice, 2, DURING)
        assert (exam_during.scores_visible, exam_during.score) == (False, None)
        assert exam_during.items[0].attempts[0].raw_answer == right
        assert (exam_after.scores_visible, exam_after.answers_visible) == (True, True)
        assert exam_after.score == 2.0
        assert exam_after.items[0].attempts[0].exercise is not None
        assert exam_after.items[0].attempts[0].exercise.answer == right
        assert (homework.scores_visible, homework.answers_visible, homework.score) == (
            True,
            True,
            2.0,
        )
        assert not homework.items[0].attempts[0].late
    finally:
        stride.close()


def test_downgrade_removes_the_term_rules_and_keeps_the_answers(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0010")
        user_id, _ = _fill_at_0010(engine)
        upgrade(engine, "0011")
        extensions, overrides, audit = (
            _table(engine, n)
            for n in ("assignment_extensions", "score_overrides", "assignment_audit")
        )
        with engine.begin() as connection:  # rows in the new tables go with them
            connection.execute(
                extensions.insert(),
                {
                    "assignment_id": 1,
                    "user_id": user_id,
                    "due_at": DUE + timedelta(days=2),
                    "extra_attempts": 1,
                    "created_at": OPENS,
                },
            )
            connection.execute(
                overrides.insert(),
                {
                    "assignment_id": 2,
                    "item_id": 2,
                    "user_id": user_id,
                    "points": 1.5,
                    "reason": "r",
                    "created_at": OPENS,
                },
            )
            connection.execute(
                audit.insert(),
                {
                    "assignment_id": 2,
                    "actor_name": "teacher",
                    "at": OPENS,
                    "action": "override",
                    "subject": "alice, item 1",
                    "old": "2 (computed)",
                    "new": "1.5 (override)",
                    "reason": "r",
                },
            )
        downgrade(engine, "0010")
        assert current_revision(engine) == "0010"
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
        assert not {
            "late_until",
            "late_penalty",
            "scores_release",
            "scores_release_at",
            "answers_release",
            "answers_release_at",
        } & _columns(engine, "assignments")
        assert "removed_at" not in _columns(engine, "assignment_items")
        assert "late" not in _columns(engine, "assignment_submissions")
        assert "section" not in _columns(engine, "users")
        assert _rows(engine, "assignments", "id", "mode") == [(1, "exam"), (2, "homework")]
        assert _rows(engine, "assignment_submissions", "assignment_id", "score") == [
            (1, 1.0),
            (2, 1.0),
        ]
        # and up again: the same rules as the first time
        upgrade(engine, "0011")
        assert _rows(engine, "assignments", "id", "scores_release", "answers_release") == [
            (1, "after_due", "after_due"),
            (2, "immediately", "immediately"),
        ]
    finally:
        engine.dispose()
