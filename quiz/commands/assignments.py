"""``stride assignment …`` and ``stride grades override``: running a term from scripts.

stride assignment list                                   id, mode, opens, due, items, title
stride assignment create FILE [--check]                  from a TOML file (FILE:LINE errors)
stride assignment export ID -o FILE                      the same format, read back by create
stride assignment edit ID [--title T] [--opens ISO] [--due ISO] [--attempts N]
                          [--late-until ISO|none] [--late-penalty P] [--points ITEM=POINTS …]
                          [--scores-at ISO] [--answers-at ISO]
stride assignment extend ID (USERNAME | --section S) --due ISO [--attempts N] [--reason TEXT]
stride assignment release ID [--scores] [--answers]      scores (and answers) shown from now
stride assignment delete ID [--confirm TITLE] [-o ARCHIVE.json]
stride grades override ID USERNAME ITEM POINTS|none --reason TEXT

Each acts as the command-line instructor (:data:`~quiz.services.access.COMMAND_LINE`) through the
same services as the pages, so every rule and every audit line is the same. Bad input is
refused with one clear line on standard error and exit code 2; nothing is written then. Times
are ISO 8601 with a zone (``2026-12-08T23:59:00Z`` or ``…+01:00``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE as CLI_ACTOR
from quiz.services.access import PermissionDenied
from quiz.services.assignment_files import (
    MAX_FILE_BYTES,
    AssignmentFileError,
    dump,
    parse_text,
    spec_problems_at_lines,
)
from quiz.services.assignments import (
    AssignmentNotFoundError,
    AssignmentSpecError,
    assignments_for,
    create_assignment,
    instructor_assignment,
)
from quiz.services.term_admin import (
    UNCHANGED,
    AssignmentEdit,
    TermActionError,
    delete_assignment,
    edit_assignment,
    grant_extension,
    override_score,
    release,
)
from quiz.services.term_rules import when
from quiz.store.models import AssignmentArchive
from quiz.store.private_files import private_text_file
from quiz.text_safety import terminal_text
from quiz.vocabulary import RELEASE_ON_DATE

REFUSED = 2


class _Refused(Exception):
    """Bad input found by the command itself (printed as one line, exit code 2)."""


class _CheckedOnly(Exception):
    """``create --check``: the file is good; leave the database as it was."""


def add_assignment_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``assignment list|create|export|edit|extend|release|delete`` to ``stride``."""
    assignment = commands.add_parser("assignment", help="create, change and run assignments")
    assignment.set_defaults(handler=lambda _args, _extra: assignment.print_help())
    sub = assignment.add_subparsers(title="assignment commands", metavar="COMMAND")

    listing = sub.add_parser("list", help="every assignment: id, mode, opens, due, items, title")
    listing.set_defaults(handler=_list)

    create = sub.add_parser("create", help="create an assignment from a TOML file")
    create.add_argument("file", help="the assignment file (see docs/assignment-files.md)")
    create.add_argument("--check", action="store_true", help="only check the file; create nothing")
    create.set_defaults(handler=_create)

    export = sub.add_parser("export", help="write an assignment as a TOML file")
    export.add_argument("assignment", type=int, help="the assignment's id")
    export.add_argument("-o", "--output", required=True, help="the file to write")
    export.set_defaults(handler=_export)

    edit = sub.add_parser("edit", help="change an assignment (submissions are kept)")
    edit.add_argument("assignment", type=int, help="the assignment's id")
    edit.add_argument("--title")
    edit.add_argument("--opens", help="ISO date and time with a zone")
    edit.add_argument("--due", help="ISO date and time with a zone")
    edit.add_argument("--attempts", type=int, help="attempts per item, 1–20")
    edit.add_argument("--late-until", help="end of the late window (ISO), or 'none'")
    edit.add_argument("--late-penalty", type=float, help="fraction off a late answer, 0–1")
    edit.add_argument(
        "--points",
        action="append",
        default=[],
        metavar="ITEM=POINTS",
        help="new points of item ITEM (its position); repeat for several",
    )
    edit.add_argument("--scores-at", help="show the scores from this time on (ISO; rule on_date)")
    edit.add_argument(
        "--answers-at", help="show answers and worked solutions from this time on (ISO; on_date)"
    )
    edit.set_defaults(handler=_edit)

    extend = sub.add_parser("extend", help="a later due time for one student or one section")
    extend.add_argument("assignment", type=int, help="the assignment's id")
    extend.add_argument("username", nargs="?", help="the student (or use --section)")
    extend.add_argument("--section", help="every student of this section")
    extend.add_argument("--due", required=True, help="the new due time (ISO, with a zone)")
    extend.add_argument("--attempts", type=int, default=0, help="extra attempts per item")
    extend.add_argument("--reason", default="", help="kept in the audit log")
    extend.set_defaults(handler=_extend)

    release = sub.add_parser("release", help="show scores (and answers) to students from now")
    release.add_argument("assignment", type=int, help="the assignment's id")
    release.add_argument("--scores", action="store_true", help="release the scores")
    release.add_argument(
        "--answers", action="store_true", help="release correct answers and worked solutions too"
    )
    release.set_defaults(handler=_release)

    delete = sub.add_parser("delete", help="delete an assignment (its export is kept)")
    delete.add_argument("assignment", type=int, help="the assignment's id")
    delete.add_argument("--confirm", help="the assignment's title, typed exactly")
    delete.add_argument("-o", "--output", help="also write the kept export to this JSON file")
    delete.set_defaults(handler=_delete)


def add_override_command(
    grades_commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``grades override`` to the ``stride grades`` subcommands."""
    override = grades_commands.add_parser(
        "override", help="set a student's points on one item, with a reason (audited)"
    )
    override.add_argument("assignment", type=int, help="the assignment's id")
    override.add_argument("username", help="the student")
    override.add_argument("item", type=int, help="the item's position (1, 2, …)")
    override.add_argument("points", help="the points, or 'none' to remove the override")
    override.add_argument("--reason", required=True, help="why (kept in the audit log)")
    override.set_defaults(handler=_override)


# --- running a service -------------------------------------------------------------------------


def _run(work: Callable[[Any], Any], *, write: bool = True) -> Any:
    """``work(session)`` in one transaction; a refusal becomes :class:`_Refused`."""

    with Stride.open() as stride:
        try:
            if write:
                return stride.write(work, attempts=1)
            with stride.transaction() as session:
                return work(session)
        except AssignmentSpecError as error:
            raise _Refused("; ".join(error.problems)) from None
        except (AssignmentNotFoundError, TermActionError, PermissionDenied) as error:
            raise _Refused(str(error)) from None


def _refusing(handler: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    def run(args: argparse.Namespace, _extra: list[str]) -> int:
        try:
            return handler(args)
        except _Refused as error:
            print(f"stride: {terminal_text(str(error))}", file=sys.stderr)
            return REFUSED

    return run


def moment(text: str, what: str) -> datetime:
    """An ISO 8601 date and time with a zone (``Z`` accepted), else :class:`_Refused`."""
    try:
        if not re.search(r"\d[T ]\d{1,2}:\d{2}", text):
            raise ValueError("no time of day")
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _Refused(
            f"{what} {text!r} is not an ISO date and time such as 2026-12-08T23:59:00Z"
        ) from None
    if value.tzinfo is None:
        raise _Refused(f"{what} {text!r} has no time zone: end it with Z or an offset (+01:00)")
    return value


# --- handlers ----------------------------------------------------------------------------------


@_refusing
def _list(_args: argparse.Namespace) -> int:

    summaries = _run(lambda s: assignments_for(s, CLI_ACTOR, utc_now()), write=False)
    if not summaries:
        print("no assignments")
        return 0
    for s in summaries:
        print(
            f"{s.assignment_id:>4}  {s.mode:<8}  opens {when(s.opens_at)}  due {when(s.due_at)}  "
            f"{s.items:>3} items  {s.students or 0:>4} students  {terminal_text(s.title)}"
        )
    return 0


def _read_file(path: str) -> str:

    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _Refused(f"{path}: {size} bytes; an assignment file may have {MAX_FILE_BYTES}")
        return file.read_text(encoding="utf-8")
    except OSError as error:
        raise _Refused(f"{path}: cannot read it ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise _Refused(f"{path}: not UTF-8 text") from None


@_refusing
def _create(args: argparse.Namespace) -> int:

    text = _read_file(args.file)
    now = utc_now()

    def work(session: Any) -> int:
        spec = parse_text(text, session, now)
        assignment_id = create_assignment(session, CLI_ACTOR, spec, now)
        if args.check:
            raise _CheckedOnly  # every check passed: roll the creation back
        return assignment_id

    created: int | None = None
    with Stride.open() as stride:
        try:
            created = stride.write(work, attempts=1)
        except _CheckedOnly:
            pass
        except AssignmentFileError as error:
            for problem in error.problems:
                print(terminal_text(problem.at(args.file)), file=sys.stderr)
            return REFUSED
        except AssignmentSpecError as error:
            for problem in spec_problems_at_lines(error, text).problems:
                print(terminal_text(problem.at(args.file)), file=sys.stderr)
            return REFUSED
    if created is None:
        print(f"{args.file}: ok (nothing created: --check)")
    else:
        print(f"created assignment {created} from {args.file}")
    return 0


@_refusing
def _export(args: argparse.Namespace) -> int:

    text = _run(
        lambda s: dump(s, instructor_assignment(s, CLI_ACTOR, args.assignment, "export")),
        write=False,
    )
    with private_text_file(Path(args.output)) as file:
        file.write(text)
    print(f"wrote assignment {args.assignment} to {args.output}")
    return 0


@_refusing
def _edit(args: argparse.Namespace) -> int:

    late_until: Any = UNCHANGED
    if args.late_until is not None:
        late_until = (
            None if args.late_until.lower() == "none" else moment(args.late_until, "--late-until")
        )
    positions: dict[int, float] = {}
    for pair in args.points:
        position, _, points = pair.partition("=")
        try:
            positions[int(position)] = float(points)
        except ValueError:
            raise _Refused(f"--points {pair!r}: write ITEM=POINTS, e.g. 2=1.5") from None
    now = utc_now()

    def work(session: Any) -> Any:
        assignment = instructor_assignment(session, CLI_ACTOR, args.assignment, "change")
        by_position = {item.position: item.id for item in assignment.items}
        unknown = sorted(set(positions) - set(by_position))
        if unknown:
            listed = ", ".join(str(p) for p in sorted(by_position))
            raise _Refused(
                f"Assignment {args.assignment} has no item {unknown[0]} (its items: {listed})."
            )
        edit = AssignmentEdit(
            title=args.title if args.title is not None else UNCHANGED,
            opens_at=moment(args.opens, "--opens") if args.opens else UNCHANGED,
            due_at=moment(args.due, "--due") if args.due else UNCHANGED,
            max_attempts=args.attempts if args.attempts is not None else UNCHANGED,
            late_until=late_until,
            late_penalty=args.late_penalty if args.late_penalty is not None else UNCHANGED,
            scores_release=RELEASE_ON_DATE if args.scores_at else UNCHANGED,
            scores_release_at=(
                moment(args.scores_at, "--scores-at") if args.scores_at else UNCHANGED
            ),
            answers_release=RELEASE_ON_DATE if args.answers_at else UNCHANGED,
            answers_release_at=(
                moment(args.answers_at, "--answers-at") if args.answers_at else UNCHANGED
            ),
            item_points={by_position[p]: v for p, v in positions.items()},
        )
        return edit_assignment(session, CLI_ACTOR, args.assignment, edit, now)

    report = _run(work)
    for change in report.changes:
        print(terminal_text(change))
    if report.regrade is not None:
        for total in report.regrade.total_changes:
            print(
                f"{terminal_text(total.username)}: total "
                f"{total.old_total:.2f} → {total.new_total:.2f}"
            )
    print(report.summary() if not report.changes else f"assignment {args.assignment} changed")
    return 0


@_refusing
def _extend(args: argparse.Namespace) -> int:

    if (args.username is None) == (args.section is None):
        raise _Refused("name one student, or one section with --section")
    due = moment(args.due, "--due")
    now = utc_now()
    line = _run(
        lambda s: grant_extension(
            s,
            CLI_ACTOR,
            args.assignment,
            due,
            now,
            username=args.username,
            section=args.section,
            extra_attempts=args.attempts,
            reason=args.reason,
        )
    )
    print(f"extension: {terminal_text(line)}")
    return 0


@_refusing
def _release(args: argparse.Namespace) -> int:

    if not args.scores and not args.answers:
        raise _Refused("say what to release: --scores, --answers (answers include scores)")
    now = utc_now()
    print(
        _run(
            lambda s: release(s, CLI_ACTOR, args.assignment, now, scores=True, answers=args.answers)
        )
    )
    return 0


@_refusing
def _delete(args: argparse.Namespace) -> int:

    now = utc_now()

    def work(session: Any) -> tuple[int | None, str | None]:
        archive_id = delete_assignment(
            session, CLI_ACTOR, args.assignment, now, confirm_title=args.confirm
        )
        export = session.get(AssignmentArchive, archive_id).export if archive_id else None
        return archive_id, export

    archive_id, export = _run(work)
    if archive_id is None:
        unused = f"; nothing to archive, so {args.output} was not written" if args.output else ""
        print(f"deleted assignment {args.assignment} (it had no submissions{unused})")
        return 0
    if args.output:
        with private_text_file(Path(args.output)) as file:
            file.write(json.dumps(json.loads(export or "{}"), indent=1, sort_keys=True))
    kept = f"; its export is archive {archive_id}" + (f" and {args.output}" if args.output else "")
    print(f"deleted assignment {args.assignment}{kept}")
    return 0


@_refusing
def _override(args: argparse.Namespace) -> int:
    import math

    points: float | None
    if args.points.lower() == "none":
        points = None
    else:
        try:
            points = float(args.points)
        except ValueError:
            raise _Refused(f"points {args.points!r}: a number, or 'none'") from None
        if not math.isfinite(points):
            raise _Refused(f"points {args.points!r}: a finite number")
    now = utc_now()
    line = _run(
        lambda s: override_score(
            s, CLI_ACTOR, args.assignment, args.username, args.item, points, args.reason, now
        )
    )
    print(terminal_text(line))
    return 0
