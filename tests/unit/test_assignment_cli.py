"""``stride assignment list|create|export|edit|extend|release|delete``, ``stride grades override``
and ``stride grades export --format csv|canvas|moodle`` (issue 16), through their own parser.

Every refusal is checked the same way (:func:`refused`): exit code 2, nothing on standard output,
one line on standard error (``stride: …``, or ``FILE:LINE: …`` lines for a file) and every row of
every assignment table exactly as it was. The commands' clock is fixed at :data:`NOW`.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from quiz.commands.assignments import add_assignment_commands
from quiz.commands.grades import add_grades_commands
from quiz.exercises.registry import FAMILIES
from quiz.runtime import Stride
from quiz.services.access import Actor
from quiz.services.assignment_files import MAX_FILE_BYTES
from quiz.services.assignments import (
    AssignmentSpec,
    ItemSpec,
    create_assignment,
    open_assignment,
    submit_assignment_answer,
)
from quiz.store.models import (
    Assignment,
    AssignmentArchive,
    AssignmentAudit,
    AssignmentExtension,
    AssignmentItem,
    AssignmentMember,
    Card,
    Deck,
    ScoreOverride,
    Submission,
    User,
)
from quiz.vocabulary import MODE_HOMEWORK, ROLE_STUDENT
from tests.support import NOON, REPO_ROOT

DURING = NOON + timedelta(hours=1)
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
"""What ``utc_now()`` returns to the commands (after the homework opened, before it is due)."""
GOOD_FILE = REPO_ROOT / "tests" / "data" / "assignments" / "homework-3.toml"
TABLES = (
    Assignment,
    AssignmentItem,
    AssignmentMember,
    AssignmentExtension,
    AssignmentAudit,
    AssignmentArchive,
    ScoreOverride,
    Submission,
)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="stride")
    commands = parser.add_subparsers()
    add_grades_commands(commands)
    add_assignment_commands(commands)
    args = parser.parse_args(argv)
    return int(args.handler(args, []) or 0)


def snapshot(stride: Stride) -> dict[str, list[dict[str, Any]]]:
    """Every row of every assignment table, column by column."""
    with stride.transaction() as session:
        return {
            model.__tablename__: [
                {column.key: getattr(row, column.key) for column in model.__table__.columns}
                for row in session.scalars(select(model).order_by(model.id))
            ]
            for model in TABLES
        }


def refused(stride: Stride, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a command that must be refused; its standard error."""
    before = snapshot(stride)
    assert run(*argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert snapshot(stride) == before
    return err


@pytest.fixture
def cli(stride: Stride, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Stride:
    """The commands on this test's database at :data:`NOW`; students ann and bob (section A,
    with e-mail addresses) and zed (section B, none, a hostile display name)."""
    monkeypatch.setenv("STRIDE_DATABASE_URL", database_url)  # what Stride.open() reads
    monkeypatch.setattr("quiz.commands.assignments.utc_now", lambda: NOW)  # the commands' clock
    with stride.transaction() as session:
        for name, display, section, email in (
            ("ann", "Ann", "A", "ann@example.org"),
            ("bob", "Bob", "A", "bob@example.org"),
            ("zed", "=danger", "B", None),
        ):
            session.add(
                User(
                    username=name,
                    display_name=display,
                    role=ROLE_STUDENT,
                    created_at=NOON,
                    section=section,
                    email=email,
                )
            )
    return stride


def _student(session: Any, username: str) -> Actor:
    return Actor.of(session.scalars(select(User).where(User.username == username)).one())


@pytest.fixture
def homework(cli: Stride) -> int:
    """ "Homework 1" for every student (item 1: 2 points, item 2: 1 point), due 2026-12-02
    12:00 UTC; ann answered item 1 right."""
    spec = AssignmentSpec(
        title="Homework 1",
        instructions="",
        mode=MODE_HOMEWORK,
        opens_at=NOON,
        due_at=NOON + timedelta(days=7),
        max_attempts=2,
        items=(ItemSpec("same-padding", 2, points=2.0), ItemSpec("parameter-count", 1)),
    )
    with cli.transaction() as session:
        new_id = create_assignment(session, cli.local_actor, spec, NOON)
        ann = _student(session, "ann")
        item = open_assignment(session, ann, new_id, DURING).items[0]
        submit_assignment_answer(session, ann, new_id, item.item_id, item.exercise.answer, DURING)
    return new_id


@pytest.fixture
def quiz_2(cli: Stride, homework: int) -> int:
    """ "Quiz 2" for ann and bob only (one 1-point item), nobody answered."""
    with cli.transaction() as session:
        ids = [_student(session, name).user_id for name in ("ann", "bob")]
        spec = AssignmentSpec(
            title="Quiz 2",
            instructions="",
            mode=MODE_HOMEWORK,
            opens_at=NOON,
            due_at=NOON + timedelta(days=3),
            max_attempts=1,
            items=(ItemSpec("conv-output-size", 1),),
            student_ids=ids,
        )
        return create_assignment(session, cli.local_actor, spec, NOON)


def the_assignment(stride: Stride, assignment_id: int) -> dict[str, Any]:
    """An assignment's settings, items and members, without its id and creation times."""
    with stride.transaction() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        skip = {"id", "created_at", "updated_at"}
        settings = {
            column.key: getattr(assignment, column.key)
            for column in Assignment.__table__.columns
            if column.key not in skip
        }
        items = [
            (item.position, item.family, item.difficulty, item.params, item.card_id, item.points)
            for item in assignment.items
        ]
        members = sorted(
            session.scalars(
                select(User.username)
                .join(AssignmentMember, AssignmentMember.user_id == User.id)
                .where(AssignmentMember.assignment_id == assignment_id)
            )
        )
        return {"settings": settings, "items": items, "members": members}


def only_assignment_id(stride: Stride) -> int:
    with stride.transaction() as session:
        return session.scalars(select(Assignment.id)).one()


def audit_lines(stride: Stride, assignment_id: int) -> list[tuple[str, str, str, str, str]]:
    with stride.transaction() as session:
        return [
            (a.action, a.subject, a.old, a.new, a.reason)
            for a in session.scalars(
                select(AssignmentAudit)
                .where(AssignmentAudit.assignment_id == assignment_id)
                .order_by(AssignmentAudit.id)
            )
        ]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- assignment list -----------------------------------------------------------------------------


def test_list_without_assignments(cli: Stride, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assignment", "list") == 0
    assert capsys.readouterr().out == "no assignments\n"


# --- assignment create ----------------------------------------------------------------------------


def test_create_from_a_file_with_every_key(cli: Stride, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assignment", "create", str(GOOD_FILE)) == 0
    created = only_assignment_id(cli)
    assert capsys.readouterr() == (f"created assignment {created} from {GOOD_FILE}\n", "")
    with cli.transaction() as session:
        card = session.scalars(
            select(Card)
            .join(Deck, Deck.id == Card.deck_id)
            .where(Deck.slug == "convolutional-neural-networks", Card.key == "ex-im2col")
        ).one()
        card_id, card_family, card_params = card.id, card.exercise_family, card.exercise_params
    assert card_family == "im2col"
    found = the_assignment(cli, created)
    assert found["settings"] == {
        "title": "Homework 3: pooling",
        "instructions": (
            "Read the pooling section first.\nMarkdown with $\\KaTeX$ maths: $y = \\max_i x_i$."
        ),
        "mode": "homework",
        "opens_at": at("2026-12-01T09:00:00+00:00"),
        "due_at": at("2026-12-08T22:59:00+00:00"),  # 23:59 at +01:00
        "max_attempts": 2,
        "credit_schedule": "1,0.5",
        "for_all_students": False,
        "created_by": None,  # the command line has no user row
        "late_until": at("2026-12-11T23:59:00+00:00"),
        "late_penalty": 0.2,
        "scores_release": "after_due",
        "scores_release_at": None,
        "answers_release": "on_date",
        "answers_release_at": at("2026-12-12T09:00:00+00:00"),
    }
    assert found["members"] == ["ann", "zed"]
    assert found["items"] == [
        (1, "pool-output-size", 2, None, None, 1.0),
        (2, "maxpool-backward", 3, None, None, 2.5),
        (3, "conv-forward", 1, None, None, 2.0),
        (4, "conv-forward", 1, None, None, 2.0),
        (5, "conv-forward", 1, None, None, 2.0),
        (6, "im2col", 2, card_params, card_id, 1.5),
    ]
    assert run("assignment", "list") == 0
    assert capsys.readouterr().out == (
        f"{created:>4}  homework  opens 2026-12-01 09:00 UTC  due 2026-12-08 22:59 UTC    "
        "6 items     2 students  Homework 3: pooling\n"
    )


def test_check_creates_nothing(cli: Stride, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(cli)
    assert run("assignment", "create", str(GOOD_FILE), "--check") == 0
    assert capsys.readouterr() == (f"{GOOD_FILE}: ok (nothing created: --check)\n", "")
    assert snapshot(cli) == before
    assert before["assignments"] == []


BAD_FILE = """\
title = ""
mode = "quiz"
due = 2026-12-08T23:59:00
attempts = "3"
students = ["ann", "nobody", "local"]
colour = "red"
items = [
  "conv-output-size:2",
  "nope:2",
  "conv-output-size:4",
  "conv-output-size",
  { family = "conv-forward", difficulty = 2, points = 0 },
  { deck = "convolutional-neural-networks", entry = "ex-nothing" },
  { deck = "no-deck", entry = "ex-im2col" },
  { family = "conv-forward", size = 3 },
]

[late]
penalty = 0.2
extra = 1

[release]
scores = "sometimes"
"""


@pytest.mark.parametrize("check", [False, True], ids=["create", "check"])
def test_a_bad_file_prints_every_problem_at_its_line(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str], check: bool
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_FILE, encoding="utf-8")
    err = refused(cli, capsys, "assignment", "create", str(bad), *(["--check"] if check else []))
    entries = (
        "ex-conv-entry, ex-conv-forward, ex-conv-grad-weight, ex-maxpool-backward, "
        "ex-relu-pool-backward, ex-conv-output-size, ex-same-padding, ex-receptive-field, …"
    )
    assert err.splitlines() == [
        f"{bad}:6: unknown key 'colour'; expected one of title, mode, opens, due, attempts, "
        "credit_schedule, students, instructions, items, late, release",
        f'{bad}:1: "title" is missing or empty: give the assignment a title',
        f'{bad}:2: "mode" must be "homework" or "exam"; got \'quiz\'',
        f'{bad}:3: "due" (2026-12-08T23:59:00) has no time zone: end it with Z (UTC) or an '
        "offset such as +01:00",
        f"{bad}:4: Attempts per problem must be a whole number from 1 to 20; got '3'.",
        f"{bad}:5: no student 'nobody'",
        f"{bad}:5: no student 'local'",  # the local user is an instructor
        f"{bad}:20: unknown key 'extra' in [late]; expected one of until, penalty",
        f'{bad}:19: "late.penalty" needs "late.until" (when the late window ends)',
        f'{bad}:23: "release.scores" must be one of immediately, after_due, on_date, by_hand; '
        "got 'sometimes'",
        f"{bad}:9: item 2: unknown exercise family 'nope'; expected one of {', '.join(FAMILIES)}.",
        f"{bad}:10: item 3: the difficulty must be 1, 2 or 3; got 4.",
        f'{bad}:11: item 4: write "family:difficulty" or "family:difficulty:points"; '
        "got 'conv-output-size'",
        f"{bad}:12: item 5: points must be more than 0 and at most 1000; got 0.",
        f"{bad}:13: item 6: deck 'convolutional-neural-networks' has no exercise entry "
        f"'ex-nothing'; its entries: {entries}",
        f"{bad}:14: item 7: there is no deck 'no-deck' (`stride deck list` shows the slugs)",
        f"{bad}:15: item 8: unknown key 'size'; expected family, difficulty, points, count, "
        "deck, entry",
    ]


SERVICE_PROBLEMS = """\
title = "Checked with the service's rules"
opens = 2026-12-09T00:00:00Z
due = 2026-12-08T23:59:00Z
attempts = 0
students = []
credit_schedule = [1.0, 0.8, 0.9]
items = ["conv-output-size:2"]

[release]
scores = "on_date"
"""


def test_the_services_problems_are_placed_on_their_lines(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service's rules (a valid file, an impossible assignment) are checked with the file's,
    each problem at its line."""
    bad = tmp_path / "rules.toml"
    bad.write_text(SERVICE_PROBLEMS, encoding="utf-8")
    assert refused(cli, capsys, "assignment", "create", str(bad)).splitlines() == [
        f"{bad}:3: The due time (2026-12-08 23:59 UTC) must be after the opening time "
        "(2026-12-09 00:00 UTC).",
        f"{bad}:4: Attempts per problem must be a whole number from 1 to 20; got 0.",
        f"{bad}:6: The credit schedule must not increase from one attempt to the next; "
        "attempt 3 earns 0.9, more than attempt 2's 0.8.",
        f"{bad}:5: The list of students is empty: choose at least one student, or give the "
        "assignment to all students.",
        f"{bad}:10: The scores release is on a date: give that date and time (with a time zone).",
    ]


def test_a_toml_syntax_error_names_its_line(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "syntax.toml"
    bad.write_text(
        'title = "T"\ndue = 2026-12-08T23:59:00Z\nattempts = = 3\nitems = ["conv-output-size:2"]\n',
        encoding="utf-8",
    )
    assert refused(cli, capsys, "assignment", "create", str(bad)) == (
        f"{bad}:3: not valid TOML: Invalid value\n"
    )


@pytest.mark.parametrize("case", ["missing", "not UTF-8", "too large", "a folder"])
def test_an_unreadable_file_is_refused_in_one_line(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    path = tmp_path / "homework.toml"
    if case == "not UTF-8":
        path.write_bytes(b'title = "caf\xe9"\n')
        expected = f"{path}: not UTF-8 text"
    elif case == "too large":
        path.write_text("#" * (MAX_FILE_BYTES + 1), encoding="utf-8")
        expected = f"{path}: {MAX_FILE_BYTES + 1} bytes; an assignment file may have 262144"
    elif case == "a folder":
        path.mkdir()
        expected = f"{path}: cannot read it (Is a directory)"
    else:
        expected = f"{path}: cannot read it (No such file or directory)"
    for check in ([], ["--check"]):
        err = refused(cli, capsys, "assignment", "create", str(path), *check)
        assert err == f"stride: {expected}\n"


# --- problems once found: lines, every problem at once, release times, date-only times ---------


WRONG_LINES = {
    "credit schedule value": (
        'title = "T"\ndue = 2026-12-08T23:59:00Z\ncredit_schedule = [1.5]\n'
        'items = ["conv-output-size:2"]\n',
        "3: Credit schedule value 1.5 (attempt 1) must be more than 0 and at most 1.",
    ),
    "late penalty": (
        'title = "T"\ndue = 2026-12-08T23:59:00Z\nitems = ["conv-output-size:2"]\n\n[late]\n'
        "until = 2026-12-10T00:00:00Z\npenalty = 1.5\n",
        "7: The late penalty must be a fraction from 0 to 1 (0.2 = 20 % off); got 1.5.",
    ),
    "late window before due": (
        'title = "T"\ndue = 2026-12-08T23:59:00Z\nitems = ["conv-output-size:2"]\n\n[late]\n'
        "until = 2026-12-01T00:00:00Z\n",
        "6: The late window must end after the due time (2026-12-08 23:59 UTC); it ends "
        "2026-12-01 00:00 UTC.",
    ),
    "deactivated student": (
        'title = "T"\ndue = 2026-12-08T23:59:00Z\nstudents = ["bob"]\n'
        'items = ["conv-output-size:2"]\n',
        "3: Student {bob} (bob) is deactivated.",
    ),
    "repeated item": (
        'title = "T"\ndue = 2026-12-08T23:59:00Z\nitems = [\n  "conv-output-size:9",\n'
        '  "conv-output-size:9",\n]\n',
        "4: item 1: the difficulty must be 1, 2 or 3; got 9.\n"
        "{path}:5: item 2: the difficulty must be 1, 2 or 3; got 9.",
    ),
    "item not a string or table": (
        'title = "T"\ndue = 2026-12-08T23:59:00Z\nitems = [\n  "conv-output-size:2",\n  42,\n]\n',
        "5: item 2: each item is a string or an inline table",
    ),
}


@pytest.mark.parametrize("case", list(WRONG_LINES))
def test_known_wrong_problem_lines(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    text, expected = WRONG_LINES[case]
    with cli.transaction() as session:
        bob = session.scalars(select(User).where(User.username == "bob")).one()
        bob.active = False
        bob_id = bob.id
    path = tmp_path / "file.toml"
    path.write_text(text, encoding="utf-8")
    err = refused(cli, capsys, "assignment", "create", str(path))
    assert err == f"{path}:" + expected.format(path=path, bob=bob_id) + "\n"


def test_a_release_time_without_zone_is_refused(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "release.toml"
    path.write_text(
        'title = "T"\ndue = 2026-12-08T23:59:00Z\nitems = ["conv-output-size:2"]\n\n'
        '[release]\nscores = "after_due"\nscores_at = 2026-12-12T09:00:00\n',
        encoding="utf-8",
    )
    err = refused(cli, capsys, "assignment", "create", str(path))
    assert err == (
        f'{path}:7: "release.scores_at" (2026-12-12T09:00:00) has no time zone: end it with Z '
        "(UTC) or an offset such as +01:00\n"
    )


def test_every_problem_is_reported_at_once(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "both.toml"
    path.write_text(
        'title = "T"\nmode = "quiz"\ndue = 2026-12-08T23:59:00Z\nattempts = 0\n'
        'items = ["conv-output-size:2"]\n',
        encoding="utf-8",
    )
    assert refused(cli, capsys, "assignment", "create", str(path)).splitlines() == [
        f'{path}:2: "mode" must be "homework" or "exam"; got \'quiz\'',
        f"{path}:4: Attempts per problem must be a whole number from 1 to 20; got 0.",
    ]


# --- assignment export ----------------------------------------------------------------------------

EXPORTED = """\
title = "Homework 3: pooling"
mode = "homework"
opens = 2026-12-01 09:00:00+00:00
due = 2026-12-08 22:59:00+00:00
attempts = 2
credit_schedule = [
    1.0,
    0.5,
]
students = [
    "ann",
    "zed",
]
instructions = \"\"\"
Read the pooling section first.
Markdown with $\\\\KaTeX$ maths: $y = \\\\max_i x_i$.\"\"\"
items = [
    "pool-output-size:2:1",
    "maxpool-backward:3:2.5",
    { family = "conv-forward", difficulty = 1, points = 2.0, count = 3 },
    { deck = "convolutional-neural-networks", entry = "ex-im2col", points = 1.5 },
]

[late]
until = 2026-12-11 23:59:00+00:00
penalty = 0.2

[release]
scores = "after_due"
answers = "on_date"
answers_at = 2026-12-12 09:00:00+00:00
"""


def header(assignment_id: int) -> str:
    return f"# Stride assignment {assignment_id}: stride assignment create FILE reads it back\n"


def test_export_then_create_gives_the_same_assignment(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("assignment", "create", str(GOOD_FILE)) == 0
    first = only_assignment_id(cli)
    exported = tmp_path / "first.toml"
    capsys.readouterr()
    assert run("assignment", "export", str(first), "-o", str(exported)) == 0
    assert capsys.readouterr() == (f"wrote assignment {first} to {exported}\n", "")
    assert exported.read_text(encoding="utf-8") == header(first) + EXPORTED

    assert run("assignment", "create", str(exported)) == 0
    second = first + 1
    assert capsys.readouterr().out == f"created assignment {second} from {exported}\n"
    again = tmp_path / "second.toml"
    assert run("assignment", "export", str(second), "-o", str(again)) == 0
    assert again.read_text(encoding="utf-8") == header(second) + EXPORTED
    assert the_assignment(cli, second) == the_assignment(cli, first)


def test_export_then_create_of_a_homework_for_everyone(
    cli: Stride, homework: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "homework.toml"
    assert run("assignment", "export", str(homework), "-o", str(exported)) == 0
    assert exported.read_text(encoding="utf-8") == header(homework) + (
        'title = "Homework 1"\n'
        'mode = "homework"\n'
        "opens = 2026-11-25 12:00:00+00:00\n"
        "due = 2026-12-02 12:00:00+00:00\n"
        "attempts = 2\n"
        "credit_schedule = [\n    1.0,\n    0.7,\n    0.5,\n]\n"
        'items = [\n    "same-padding:2:2",\n    "parameter-count:1:1",\n]\n'
        "\n[release]\n"
        'scores = "immediately"\n'
        'answers = "immediately"\n'
    )
    assert run("assignment", "create", str(exported)) == 0
    copy = homework + 1
    assert capsys.readouterr().out == (
        f"wrote assignment {homework} to {exported}\ncreated assignment {copy} from {exported}\n"
    )
    again = tmp_path / "copy.toml"
    assert run("assignment", "export", str(copy), "-o", str(again)) == 0
    first_lines = exported.read_text(encoding="utf-8").splitlines()[1:]
    assert again.read_text(encoding="utf-8").splitlines()[1:] == first_lines
    original, copied = the_assignment(cli, homework), the_assignment(cli, copy)
    assert original["settings"].pop("created_by") is not None  # the local user made it
    assert copied["settings"].pop("created_by") is None  # the command line has no user row
    assert copied == original


def test_export_of_an_unknown_assignment(
    cli: Stride, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nothing.toml"
    err = refused(cli, capsys, "assignment", "export", "99", "-o", str(target))
    assert err == "stride: There is no assignment 99.\n"
    assert not target.exists()


# --- assignment edit ---------------------------------------------------------------------------


def test_edit_prints_each_change_and_the_totals_the_regrade_moved(
    cli: Stride, homework: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(
            "assignment",
            "edit",
            str(homework),
            "--title",
            "Homework 1b",
            "--opens",
            "2026-11-24T12:00:00Z",
            "--due",
            "2026-12-03T12:00:00+01:00",
            "--attempts",
            "3",
            "--late-until",
            "2026-12-05T12:00:00Z",
            "--late-penalty",
            "0.25",
            "--points",
            "1=4",
            "--points",
            "2=1.5",
        )
        == 0
    )
    assert capsys.readouterr() == (
        "title: Homework 1 → Homework 1b\n"
        "opens: 2026-11-25 12:00 UTC → 2026-11-24 12:00 UTC\n"
        "due: 2026-12-02 12:00 UTC → 2026-12-03 11:00 UTC\n"
        "attempts: 2 → 3\n"
        "late window ends: — → 2026-12-05 12:00 UTC\n"
        "late penalty: 0 → 0.25\n"
        "item 1 points: 2 → 4\n"
        "item 2 points: 1 → 1.5\n"
        "ann: total 2.00 → 4.00\n"
        f"assignment {homework} changed\n",
        "",
    )
    found = the_assignment(cli, homework)
    settings = found["settings"]
    assert (settings["title"], settings["max_attempts"], settings["late_penalty"]) == (
        "Homework 1b",
        3,
        0.25,
    )
    assert settings["opens_at"] == at("2026-11-24T12:00:00+00:00")
    assert settings["due_at"] == at("2026-12-03T11:00:00+00:00")
    assert settings["late_until"] == at("2026-12-05T12:00:00+00:00")
    assert [item[-1] for item in found["items"]] == [4.0, 1.5]
    lines = audit_lines(cli, homework)
    assert [line[1] for line in lines if line[0] == "edit"] == [
        "title",
        "opens",
        "due",
        "attempts",
        "late window ends",
        "late penalty",
        "item 1 points",
        "item 2 points",
    ]
    assert lines[-1] == (
        "regrade",
        "",
        "",
        "1 student total changed; no answer's score changed (1 submission checked)",
        "",
    )

    assert run("assignment", "edit", str(homework), "--late-until", "none") == 0
    assert capsys.readouterr().out == (
        f"late window ends: 2026-12-05 12:00 UTC → —\nassignment {homework} changed\n"
    )
    assert the_assignment(cli, homework)["settings"]["late_until"] is None
    assert run("assignment", "edit", str(homework), "--attempts", "3", "--points", "1=4") == 0
    assert capsys.readouterr().out == "nothing changed\n"


def test_edit_releases_scores_and_answers_on_dates(
    cli: Stride, homework: int, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("assignment", "edit", str(homework))
    scores_at, answers_at = "2026-12-03T09:00:00Z", "2026-12-04T10:00:00+01:00"
    assert run(*argv, "--scores-at", scores_at, "--answers-at", answers_at) == 0
    assert capsys.readouterr() == (
        "scores release: immediately → on_date\n"
        "scores release date: — → 2026-12-03 09:00 UTC\n"
        "answers release: immediately → on_date\n"
        "answers release date: — → 2026-12-04 09:00 UTC\n"
        f"assignment {homework} changed\n",
        "",
    )
    settings = the_assignment(cli, homework)["settings"]
    assert (settings["scores_release"], settings["answers_release"]) == ("on_date", "on_date")
    assert settings["scores_release_at"] == at("2026-12-03T09:00:00+00:00")
    assert settings["answers_release_at"] == at("2026-12-04T09:00:00+00:00")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--due", "tomorrow"],
            "--due 'tomorrow' is not an ISO date and time such as 2026-12-08T23:59:00Z",
        ),
        (
            ["--opens", "2026-12-10T12:00"],
            "--opens '2026-12-10T12:00' has no time zone: end it with Z or an offset (+01:00)",
        ),
        (
            ["--late-until", "2026-12-10"],
            "--late-until '2026-12-10' is not an ISO date and time such as 2026-12-08T23:59:00Z",
        ),
        (["--points", "3=2"], "Assignment {id} has no item 3 (its items: 1, 2)."),
        (["--points", "1"], "--points '1': write ITEM=POINTS, e.g. 2=1.5"),
        (["--points", "1=0"], "Item 1: points must be more than 0 and at most 1000; got 0.0."),
        (["--attempts", "0"], "Attempts per problem must be a whole number from 1 to 20; got 0."),
        (
            ["--late-until", "2026-12-01T12:00:00Z"],
            "The late window must end after the due time (2026-12-02 12:00 UTC); it ends "
            "2026-12-01 12:00 UTC.",
        ),
        (
            ["--late-penalty", "1.5"],
            "The late penalty must be a fraction from 0 to 1 (0.2 = 20 % off); got 1.5.",
        ),
        (["--title", " "], "The title is empty: give the assignment a title."),
        (
            ["--scores-at", "soon"],
            "--scores-at 'soon' is not an ISO date and time such as 2026-12-08T23:59:00Z",
        ),
        (
            ["--answers-at", "2026-12-10T12:00"],
            "--answers-at '2026-12-10T12:00' has no time zone: end it with Z or an offset (+01:00)",
        ),
    ],
)
def test_edit_refusals(
    cli: Stride,
    homework: int,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    # each refusal also carries a good change, which must not be written either
    argv = ("assignment", "edit", str(homework), "--attempts", "3", *options)
    if "--attempts" in options:
        argv = ("assignment", "edit", str(homework), "--title", "Renamed", *options)
    assert refused(cli, capsys, *argv) == f"stride: {message.format(id=homework)}\n"


def test_edit_of_an_unknown_assignment(cli: Stride, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(cli, capsys, "assignment", "edit", "99", "--attempts", "3") == (
        "stride: There is no assignment 99.\n"
    )


# --- assignment extend ----------------------------------------------------------------------------


def extensions(stride: Stride) -> list[tuple[str | None, str | None, datetime, int]]:
    with stride.transaction() as session:
        names = dict(session.execute(select(User.id, User.username)).all())
        return [
            (names.get(e.user_id) if e.user_id else None, e.section, e.due_at, e.extra_attempts)
            for e in session.scalars(select(AssignmentExtension).order_by(AssignmentExtension.id))
        ]


def test_extend_a_student_and_a_section(
    cli: Stride, homework: int, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("assignment", "extend", str(homework))
    assert (
        run(*argv, "ann", "--due", "2026-12-09T12:00:00Z", "--attempts", "1", "--reason", "ill")
        == 0
    )
    assert capsys.readouterr() == (
        "extension: ann: due 2026-12-09 12:00 UTC, +1 attempt per item\n",
        "",
    )
    assert run(*argv, "--section", "A", "--due", "2026-12-04T13:00:00+01:00") == 0
    assert capsys.readouterr() == ("extension: section A: due 2026-12-04 12:00 UTC\n", "")
    assert extensions(cli) == [
        ("ann", None, at("2026-12-09T12:00:00+00:00"), 1),
        (None, "A", at("2026-12-04T12:00:00+00:00"), 0),
    ]
    assert [line for line in audit_lines(cli, homework) if line[0] == "extension"] == [
        ("extension", "ann", "", "due 2026-12-09 12:00 UTC, +1 attempt per item", "ill"),
        ("extension", "section A", "", "due 2026-12-04 12:00 UTC", ""),
    ]
    # a second extension of the same student replaces the first
    assert run(*argv, "ann", "--due", "2026-12-10T12:00:00Z") == 0
    assert capsys.readouterr().out == "extension: ann: due 2026-12-10 12:00 UTC\n"
    assert extensions(cli)[0] == ("ann", None, at("2026-12-10T12:00:00+00:00"), 0)


@pytest.mark.parametrize(
    ("whom", "due", "message"),
    [
        ([], "2026-12-09T12:00:00Z", "name one student, or one section with --section"),
        (
            ["ann", "--section", "A"],
            "2026-12-09T12:00:00Z",
            "name one student, or one section with --section",
        ),
        (["nobody"], "2026-12-09T12:00:00Z", "There is no student 'nobody'."),
        (["local"], "2026-12-09T12:00:00Z", "There is no student 'local'."),
        (["--section", "C"], "2026-12-09T12:00:00Z", "No student is in section 'C'."),
        (
            ["ann"],
            "2026-12-01T12:00:00Z",
            "The extended due time must be after the assignment's due time "
            "(2026-12-02 12:00 UTC); it is 2026-12-01 12:00 UTC.",
        ),
        (
            ["--section", "A"],
            "2026-12-02T12:00:00Z",
            "The extended due time must be after the assignment's due time "
            "(2026-12-02 12:00 UTC); it is 2026-12-02 12:00 UTC.",
        ),
        (
            ["ann"],
            "2026-12-09 12:00",
            "--due '2026-12-09 12:00' has no time zone: end it with Z or an offset (+01:00)",
        ),
    ],
)
def test_extend_refusals(
    cli: Stride,
    homework: int,
    capsys: pytest.CaptureFixture[str],
    whom: list[str],
    due: str,
    message: str,
) -> None:
    err = refused(cli, capsys, "assignment", "extend", str(homework), *whom, "--due", due)
    assert err == f"stride: {message}\n"


def test_extend_a_student_the_assignment_is_not_given_to(
    cli: Stride, quiz_2: int, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(
        cli, capsys, "assignment", "extend", str(quiz_2), "zed", "--due", "2026-12-09T00:00Z"
    )
    assert err == f"stride: Assignment {quiz_2} is not given to 'zed'.\n"


def test_a_date_with_z_but_no_time_is_not_said_to_lack_a_zone(
    cli: Stride, homework: int, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(cli, capsys, "assignment", "extend", str(homework), "ann", "--due", "2026-12-09Z")
    assert err.startswith("stride: --due '2026-12-09Z' ")
    assert "has no time zone" not in err


# --- assignment release ---------------------------------------------------------------------------


def test_release_scores_then_answers(
    cli: Stride, homework: int, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(cli, capsys, "assignment", "release", str(homework))
    assert err == "stride: say what to release: --scores, --answers (answers include scores)\n"

    assert run("assignment", "release", str(homework), "--scores") == 0
    assert capsys.readouterr() == (
        f"released scores of assignment {homework} at 2026-11-27 09:30 UTC\n",
        "",
    )
    settings = the_assignment(cli, homework)["settings"]
    assert (settings["scores_release"], settings["scores_release_at"]) == ("by_hand", NOW)
    assert (settings["answers_release"], settings["answers_release_at"]) == ("immediately", None)

    assert run("assignment", "release", str(homework), "--answers") == 0
    assert capsys.readouterr().out == (
        f"released scores and answers of assignment {homework} at 2026-11-27 09:30 UTC\n"
    )
    settings = the_assignment(cli, homework)["settings"]
    assert (settings["answers_release"], settings["answers_release_at"]) == ("by_hand", NOW)
    assert [line for line in audit_lines(cli, homework) if line[0] == "release"] == [
        ("release", "scores", "immediately —", "released 2026-11-27 09:30 UTC", ""),
        ("release", "scores", "by_hand 2026-11-27 09:30 UTC", "released 2026-11-27 09:30 UTC", ""),
        ("release", "answers", "immediately —", "released 2026-11-27 09:30 UTC", ""),
    ]
    assert refused(cli, capsys, "assignment", "release", "99", "--scores") == (
        "stride: There is no assignment 99.\n"
    )


# --- assignment delete ----------------------------------------------------------------------------


@pytest.mark.parametrize("confirm", [[], ["--confirm", "homework 1"], ["--confirm", "Homework"]])
def test_delete_with_submissions_needs_the_exact_title(
    cli: Stride,
    homework: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    confirm: list[str],
) -> None:
    archive = tmp_path / "archive.json"
    err = refused(cli, capsys, "assignment", "delete", str(homework), *confirm, "-o", str(archive))
    assert err == (
        f"stride: Assignment {homework} has 1 submission: type its title exactly "
        "('Homework 1') to delete it; an export is kept.\n"
    )
    assert not archive.exists()


def test_delete_with_the_title_keeps_an_archive(
    cli: Stride, homework: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "archive.json"
    argv = ("assignment", "delete", str(homework), "--confirm", "Homework 1", "-o", str(archive))
    assert run(*argv) == 0
    with cli.transaction() as session:
        kept = session.scalars(select(AssignmentArchive)).one()
        kept_id, kept_export = kept.id, kept.export
        assert (kept.assignment_id, kept.title, kept.deleted_by, kept.deleted_at) == (
            homework,
            "Homework 1",
            "stride-cli",
            NOW,
        )
        ann = _student(session, "ann").user_id
    assert capsys.readouterr() == (
        f"deleted assignment {homework}; its export is archive {kept_id} and {archive}\n",
        "",
    )
    written = json.loads(archive.read_text(encoding="utf-8"))
    assert written == json.loads(kept_export)
    assert written["format"] == "stride-assignment-archive/1"
    assert written["assignment"]["title"] == "Homework 1"
    assert [item["family"] for item in written["items"]] == ["same-padding", "parameter-count"]
    assert [
        (s["user_id"], s["item_id"], s["attempt_number"], s["correct"], s["score"])
        for s in written["submissions"]
    ] == [(ann, written["items"][0]["id"], 1, True, 1.0)]
    assert written["totals"] == {"ann": 2.0}  # the students who answered
    left = snapshot(cli)
    assert [left[model.__tablename__] for model in TABLES if model is not AssignmentArchive] == [
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    ]
    assert refused(cli, capsys, "assignment", "delete", str(homework)) == (
        f"stride: There is no assignment {homework}.\n"
    )


def test_delete_without_submissions_at_once(
    cli: Stride, quiz_2: int, homework: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("assignment", "delete", str(quiz_2)) == 0
    assert capsys.readouterr() == (f"deleted assignment {quiz_2} (it had no submissions)\n", "")
    with cli.transaction() as session:
        assert list(session.scalars(select(Assignment.id))) == [homework]
        assert list(session.scalars(select(AssignmentArchive))) == []
        assert list(session.scalars(select(AssignmentMember))) == []


# --- grades override ------------------------------------------------------------------------------


def test_override_then_remove_it(
    cli: Stride, homework: int, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("grades", "override", str(homework), "ann", "1")
    assert run(*argv, "1.5", "--reason", "showed the working") == 0
    assert capsys.readouterr() == ("ann, item 1: 2 (computed) → 1.5 (override)\n", "")
    with cli.transaction() as session:
        override = session.scalars(select(ScoreOverride)).one()
        assert (override.points, override.reason, override.created_at) == (
            1.5,
            "showed the working",
            NOW,
        )
    assert run("grades", "override", str(homework), "zed", "2", "0", "--reason", "copied") == 0
    assert capsys.readouterr().out == "zed, item 2: 0 (computed) → 0 (override)\n"

    assert run(*argv, "None", "--reason", "back to the computed score") == 0
    assert capsys.readouterr().out == "ann, item 1: 1.5 (override) → 2 (computed)\n"
    with cli.transaction() as session:
        assert [o.points for o in session.scalars(select(ScoreOverride))] == [0.0]
    assert [line for line in audit_lines(cli, homework) if line[0] == "override"] == [
        ("override", "ann, item 1", "2 (computed)", "1.5 (override)", "showed the working"),
        ("override", "zed, item 2", "0 (computed)", "0 (override)", "copied"),
        (
            "override",
            "ann, item 1",
            "1.5 (override)",
            "2 (computed)",
            "back to the computed score",
        ),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ann", "1", "2.5", "--reason", "r"],
            "Item 1 is worth 2 points: an override must be from 0 to 2; got 2.5.",
        ),
        (
            ["ann", "1", "-1", "--reason", "r"],
            "Item 1 is worth 2 points: an override must be from 0 to 2; got -1.0.",
        ),
        (
            ["ann", "1", "1", "--reason", ""],
            "Give a reason for the override: it is kept in the audit log.",
        ),
        (
            ["ann", "1", "1", "--reason", "  "],
            "Give a reason for the override: it is kept in the audit log.",
        ),
        (["ann", "1", "none", "--reason", "r"], "ann has no override on item 1."),
        (["ann", "1", "half", "--reason", "r"], "points 'half': a number, or 'none'"),
        (["ann", "1", "inf", "--reason", "r"], "points 'inf': a finite number"),
        (["ann", "3", "1", "--reason", "r"], "Assignment {id} has no item 3 (its items: 1, 2)."),
        (["nobody", "1", "1", "--reason", "r"], "There is no student 'nobody'."),
    ],
)
def test_override_refusals(
    cli: Stride,
    homework: int,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    err = refused(cli, capsys, "grades", "override", str(homework), *args)
    assert err == f"stride: {message.format(id=homework)}\n"


# --- grades export -----------------------------------------------------------------------------


def test_export_for_canvas(
    cli: Stride, homework: int, quiz_2: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "canvas.csv"
    argv = ("grades", "export", str(homework), str(quiz_2), "--format", "canvas")
    assert run(*argv, "-o", str(target)) == 0
    assert capsys.readouterr() == (
        f"wrote 3 students × 2 assignments (canvas) to {target}\n",
        "",
    )
    assert target.read_bytes().decode() == (
        f"Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 ({homework}),Quiz 2 ({quiz_2})\r\n"
        "Points Possible,,,,,3,1\r\n"
        "Ann,,ann,ann@example.org,A,2,0\r\n"
        "Bob,,bob,bob@example.org,A,0,0\r\n"
        "'=danger,,zed,zed,B,0,\r\n"
    )


def test_export_for_moodle(
    cli: Stride, homework: int, quiz_2: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "moodle.csv"
    both = ("grades", "export", str(homework), str(quiz_2), "--format", "moodle")
    by_username = (
        f"Username,Homework 1 ({homework}),Quiz 2 ({quiz_2})\r\nann,2,0\r\nbob,0,0\r\nzed,0,\r\n"
    )
    assert run(*both, "--identify", "username", "-o", str(target)) == 0
    assert capsys.readouterr() == (f"wrote 3 students × 2 assignments (moodle) to {target}\n", "")
    assert target.read_bytes().decode() == by_username
    target.unlink()
    assert run(*both, "-o", str(target)) == 0  # zed has no e-mail address: usernames
    assert target.read_bytes().decode() == by_username
    assert run("grades", "export", str(quiz_2), "--format", "moodle", "-o", str(target)) == 0
    assert target.read_bytes().decode() == (
        f"Email address,Quiz 2 ({quiz_2})\r\nann@example.org,0\r\nbob@example.org,0\r\n"
    )
    assert capsys.readouterr().out == (
        f"wrote 3 students × 2 assignments (moodle) to {target}\n"
        f"wrote 2 students × 1 assignment (moodle) to {target}\n"
    )

    target.unlink()
    err = refused(cli, capsys, *both, "--identify", "email", "-o", str(target))
    assert err == (
        "stride: 1 student has no e-mail address (zed): set them (roster import or the People "
        "page) or identify users by username.\n"
    )
    assert not target.exists()


def test_export_csv_takes_one_assignment(
    cli: Stride, homework: int, quiz_2: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "grades.csv"
    err = refused(
        cli,
        capsys,
        "grades",
        "export",
        str(homework),
        str(quiz_2),
        "--format",
        "csv",
        "-o",
        str(target),
    )
    assert err == (
        "stride: The csv layout holds one assignment (its items as columns); use canvas or "
        "moodle for several.\n"
    )
    assert not target.exists()
    err = refused(
        cli,
        capsys,
        "grades",
        "export",
        str(homework),
        "99",
        "--format",
        "canvas",
        "-o",
        str(target),
    )
    assert err == "stride: There is no assignment 99. See `stride assignment list`.\n"
    assert not target.exists()
