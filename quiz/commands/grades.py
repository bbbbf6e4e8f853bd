"""``stride grades`` and ``stride assignment``: gradebook export, regrading, listing assignments.

stride grades export ASSIGNMENT -o FILE   write the gradebook as CSV (ASSIGNMENT: numeric id)
stride grades regrade ASSIGNMENT          grade every stored answer again; print what changed
stride assignment list                    id, title, mode, opens, due, items, students

The command is run by the server's administrator, so it acts as a system instructor
(:data:`CLI_ACTOR`). The database is the one ``Stride.open()`` finds (``STRIDE_DATABASE_URL`` or
``STRIDE_DATA_DIR``). Titles and names are printed with control characters escaped
(:func:`quiz.text_safety.terminal_text`); the CSV is written only its owner can read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quiz.services.access import COMMAND_LINE as CLI_ACTOR
from quiz.store.private_files import private_text_file
from quiz.text_safety import terminal_text


def add_grades_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``grades export|regrade`` and ``assignment list`` to the ``stride`` subcommands."""
    grades = commands.add_parser("grades", help="export and regrade assignment grades")
    grades.set_defaults(handler=lambda _args, _extra: grades.print_help())
    sub = grades.add_subparsers(title="grades commands", metavar="COMMAND")
    export = sub.add_parser("export", help="write an assignment's gradebook as CSV")
    export.add_argument(
        "assignment", type=int, help="the assignment's id (see `stride assignment list`)"
    )
    export.add_argument("-o", "--output", required=True, help="the CSV file to write")
    export.set_defaults(handler=_grades_export)
    again = sub.add_parser(
        "regrade", help="grade every stored answer of an assignment again and fix changed scores"
    )
    again.add_argument(
        "assignment", type=int, help="the assignment's id (see `stride assignment list`)"
    )
    again.set_defaults(handler=_grades_regrade)

    assignment = commands.add_parser("assignment", help="list assignments")
    assignment.set_defaults(handler=lambda _args, _extra: assignment.print_help())
    assignment_commands = assignment.add_subparsers(title="assignment commands", metavar="COMMAND")
    listing = assignment_commands.add_parser(
        "list", help="every assignment: id, title, mode, opens, due, items, students"
    )
    listing.set_defaults(handler=_assignment_list)


def _grades_export(args: argparse.Namespace, _extra: list[str]) -> int:
    from quiz.runtime import Stride
    from quiz.services.assignments import AssignmentNotFoundError
    from quiz.services.gradebook import gradebook, grades_csv

    stride = Stride.open()
    try:
        with stride.transaction() as session:
            book = gradebook(session, CLI_ACTOR, args.assignment)
    except AssignmentNotFoundError as error:
        print(f"stride: {error} See `stride assignment list`.", file=sys.stderr)
        return 1
    finally:
        stride.close()
    with private_text_file(Path(args.output), newline="") as file:
        file.write(grades_csv(book))
    students, items = len(book.rows), len(book.items)
    print(
        f"wrote {students} student{'s' if students != 1 else ''} × "
        f"{items} item{'s' if items != 1 else ''} to {args.output}"
    )
    return 0


def _grades_regrade(args: argparse.Namespace, _extra: list[str]) -> int:
    from quiz.runtime import Stride
    from quiz.services.assignments import AssignmentNotFoundError
    from quiz.services.gradebook import regrade

    stride = Stride.open()
    try:
        with stride.transaction() as session:
            report = regrade(session, CLI_ACTOR, args.assignment)
    except AssignmentNotFoundError as error:
        print(f"stride: {error} See `stride assignment list`.", file=sys.stderr)
        return 1
    finally:
        stride.close()
    for change in report.changes:
        print(
            f"{terminal_text(change.username)}: item {change.position}, "
            f"attempt {change.attempt_number}: "
            f"score {change.old_score:.2f} → {change.new_score:.2f}"
        )
    for total in report.total_changes:
        name = terminal_text(total.username)
        print(f"{name}: total {total.old_total:.2f} → {total.new_total:.2f}")
    print(report.summary())
    return 0


def _assignment_list(_args: argparse.Namespace, _extra: list[str]) -> int:
    from quiz.runtime import Stride
    from quiz.scheduling import utc_now
    from quiz.services.assignments import assignments_for, when

    stride = Stride.open()
    try:
        with stride.transaction() as session:
            summaries = assignments_for(session, CLI_ACTOR, utc_now())
    finally:
        stride.close()
    if not summaries:
        print("no assignments")
        return 0
    for s in summaries:
        print(
            f"{s.assignment_id:>4}  {s.mode:<8}  opens {when(s.opens_at)}  due {when(s.due_at)}  "
            f"{s.items:>3} items  {s.students or 0:>4} students  {terminal_text(s.title)}"
        )
    return 0
