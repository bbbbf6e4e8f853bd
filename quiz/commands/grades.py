"""``stride grades``: grade exports (Stride's CSV, Canvas, Moodle), regrading, overrides.

stride grades export ID [ID …] --format csv|canvas|moodle [--identify email|username] -o FILE
                                          grades as Stride's CSV, or for Canvas / Moodle import
stride grades regrade ID                  grade every stored answer again; print what changed
stride grades override …                  see :mod:`quiz.commands.assignments`

The command is run by the server's administrator, so it acts as a system instructor
(:data:`CLI_ACTOR`). The database is the one ``Stride.open()`` finds (``STRIDE_DATABASE_URL`` or
``STRIDE_DATA_DIR``). Titles and names are printed with control characters escaped
(:func:`quiz.text_safety.terminal_text`); the CSV is written only its owner can read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quiz.commands.assignments import add_override_command
from quiz.runtime import Stride
from quiz.services.access import COMMAND_LINE as CLI_ACTOR
from quiz.services.assignments import AssignmentNotFoundError
from quiz.services.grade_exports import FORMATS, MOODLE_IDENTITIES, ExportError, export_grades
from quiz.services.gradebook import gradebook, regrade
from quiz.store.private_files import private_text_file
from quiz.text_safety import terminal_text


def add_grades_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``grades export|regrade`` and ``assignment list`` to the ``stride`` subcommands."""
    grades = commands.add_parser("grades", help="export and regrade assignment grades")
    grades.set_defaults(handler=lambda _args, _extra: grades.print_help())
    sub = grades.add_subparsers(title="grades commands", metavar="COMMAND")
    export = sub.add_parser(
        "export", help="write grades as CSV, or in the layout Canvas or Moodle imports"
    )
    export.add_argument(
        "assignments",
        type=int,
        nargs="+",
        metavar="ID",
        help="the assignment ids (see `stride assignment list`); csv takes one",
    )
    export.add_argument("--format", choices=FORMATS, default="csv", help="the layout (csv)")
    export.add_argument(
        "--identify",
        choices=MOODLE_IDENTITIES,
        help="moodle: the user column (default: email when every student has one)",
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

    add_override_command(sub)


def _grades_export(args: argparse.Namespace, _extra: list[str]) -> int:

    with Stride.open() as stride:
        try:
            with stride.transaction() as session:
                books = [gradebook(session, CLI_ACTOR, number) for number in args.assignments]
            text = export_grades(books, args.format, args.identify)
        except AssignmentNotFoundError as error:
            print(f"stride: {error} See `stride assignment list`.", file=sys.stderr)
            return 2
        except ExportError as error:
            print(f"stride: {terminal_text(str(error))}", file=sys.stderr)
            return 2
    with private_text_file(Path(args.output), newline="") as file:
        file.write(text)
    students = len({row.user_id for book in books for row in book.rows})
    what = (
        f"{len(books[0].items)} item{'s' if len(books[0].items) != 1 else ''}"
        if args.format == "csv"
        else f"{len(books)} assignment{'s' if len(books) != 1 else ''}"
    )
    print(
        f"wrote {students} student{'s' if students != 1 else ''} × {what} "
        f"({args.format}) to {args.output}"
    )
    return 0


def _grades_regrade(args: argparse.Namespace, _extra: list[str]) -> int:

    with Stride.open() as stride:
        try:
            with stride.transaction() as session:
                report = regrade(session, CLI_ACTOR, args.assignment)
        except AssignmentNotFoundError as error:
            print(f"stride: {error} See `stride assignment list`.", file=sys.stderr)
            return 1
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
