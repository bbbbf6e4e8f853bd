"""``stride grades export|regrade`` and ``stride assignment list``, through their own parser."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from quiz.commands.assignments import add_assignment_commands
from quiz.commands.grades import CLI_ACTOR, add_grades_commands
from quiz.runtime import Stride
from quiz.services.access import Actor
from quiz.services.assignments import (
    AssignmentSpec,
    ItemSpec,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
)
from quiz.store.models import Submission, User
from quiz.vocabulary import MODE_HOMEWORK, ROLE_STUDENT
from tests.support import NOON

DURING = NOON + timedelta(hours=1)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="stride")
    commands = parser.add_subparsers()
    add_grades_commands(commands)
    add_assignment_commands(commands)
    args = parser.parse_args(argv)
    return int(args.handler(args, []) or 0)


@pytest.fixture
def assignment_id(stride: Stride, database_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """A homework for two students, one of whom (=danger, a hostile display name) answered."""
    monkeypatch.setenv("STRIDE_DATABASE_URL", database_url)  # what Stride.open() reads
    spec = AssignmentSpec(
        title="Homework 1",
        instructions="",
        mode=MODE_HOMEWORK,
        opens_at=NOON,
        due_at=NOON + timedelta(days=7),
        max_attempts=2,
        items=(ItemSpec("same-padding", 2, points=2.0), ItemSpec("parameter-count", 1)),
    )
    with stride.transaction() as session:
        for name, display in (("ann", "Ann"), ("zed", "=danger")):
            session.add(
                User(username=name, display_name=display, role=ROLE_STUDENT, created_at=NOON)
            )
        session.flush()
        new_id = create_assignment(session, stride.local_actor, spec, NOON)
        ann = Actor.of(session.scalars(select(User).where(User.username == "ann")).one())
        item = open_assignment(session, ann, new_id, DURING).items[0]
        submit_assignment_answer(session, ann, new_id, item.item_id, item.exercise.answer, DURING)
    return new_id


def test_cli_actor_is_a_system_instructor() -> None:
    assert Actor(user_id=0, username="stride-cli", role="instructor") == CLI_ACTOR
    assert CLI_ACTOR.is_instructor


def test_export_writes_the_csv(
    assignment_id: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "grades.csv"
    assert run("grades", "export", str(assignment_id), "-o", str(target)) == 0
    assert capsys.readouterr().out == f"wrote 2 students × 2 items (csv) to {target}\n"
    assert target.read_bytes().decode() == (
        "username,display_name,item 1 (2 pts),item 2 (1 pt),total,max\r\n"
        "ann,Ann,2,,2,3\r\n"
        "zed,'=danger,,,0,3\r\n"
    )


def test_export_of_an_unknown_assignment_fails_clearly(
    assignment_id: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "grades.csv"
    assert run("grades", "export", str(assignment_id + 1), "-o", str(target)) == 2
    assert capsys.readouterr().err == (
        f"stride: There is no assignment {assignment_id + 1}. See `stride assignment list`.\n"
    )
    assert not target.exists()
    with pytest.raises(SystemExit):
        run("grades", "export", "first", "-o", str(target))  # not a number: argparse refuses


def test_regrade_prints_changes_and_a_summary(
    stride: Stride, assignment_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("grades", "regrade", str(assignment_id)) == 0
    assert capsys.readouterr().out == "no scores changed (1 submission checked)\n"
    with stride.transaction() as session:
        session.execute(update(Submission).values(score=0.25, credit=0.25, correct=False))
    assert run("grades", "regrade", str(assignment_id)) == 0
    assert capsys.readouterr().out == (
        "ann: item 1, attempt 1: score 0.25 → 1.00\n"
        "ann: total 0.50 → 2.00\n"
        "1 of 1 submission changed score; 1 student total changed\n"
    )


def test_assignment_list(assignment_id: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assignment", "list") == 0
    line = capsys.readouterr().out
    assert line.split() == [
        str(assignment_id),
        "homework",
        "opens",
        "2026-11-25",
        "12:00",
        "UTC",
        "due",
        "2026-12-02",
        "12:00",
        "UTC",
        "2",
        "items",
        "2",
        "students",
        "Homework",
        "1",
    ]
