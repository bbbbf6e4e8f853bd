"""The ``stride`` command.

stride deck parse FILE [--json]     parse a deck file and print its cards (no database)
stride deck check FILE              every problem as FILE:LINE: message (exit 1 if any)
stride deck import FILE [--slug S]  import or update a deck (idempotent)
stride deck list                    the decks in the database
stride deck export DECK --format apkg|csv|md -o FILE   write a deck for Anki or as Markdown
stride db upgrade | current         apply migrations / show the schema revision
stride db backup | restore FILE     online SQLite backup / restore (current data kept)
stride exercise list [--json]       the exercise families
stride exercise generate FAMILY --seed N [--difficulty D] [--json]
stride exercise grade FAMILY --seed N [--difficulty D] --answer TEXT [--json]
stride user add|import|list|reset-password|deactivate|activate   accounts (classroom mode)
stride grades export|regrade ASSIGNMENT   gradebook CSV; grade stored answers again
stride assignment list              the assignments
stride secret rotate [--yes]        new server secret: unanswered assignment variants change
stride run [--dev] [STREAMLIT ARGS...]   migrate, then serve the app (default port 8501)
stride bench [SUITE] [--json]        benchmarks; the default suite is the performance budget
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from quiz.commands.assignments import add_assignment_commands
from quiz.commands.database import add_backup_commands
from quiz.commands.grades import add_grades_commands
from quiz.commands.secret import add_secret_commands
from quiz.commands.serve import add_run_command, run_server
from quiz.commands.users import add_user_commands
from quiz.config import ConfigError, default_database_url
from quiz.decks import DeckFormatError, parse_deck_file
from quiz.decks.export import export_deck
from quiz.decks.problems import check_deck_file, format_problems
from quiz.exercises.base import Exercise, Family, grade_exercise
from quiz.exercises.registry import UnknownFamilyError, all_families, get_family
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.deck_browser import deck_for_export
from quiz.services.decks import find_deck_id, import_deck, list_decks
from quiz.store.db import make_engine
from quiz.store.migrate import current_revision, head_revision, upgrade
from quiz.text_safety import terminal_json, terminal_text


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args, extra = parser.parse_known_args(_default_bench_suite(argv))
    if extra and args.handler not in (run_server, _bench):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args.handler(args, extra) or 0)
    except ConfigError as error:
        print(f"stride: configuration error: {error}", file=sys.stderr)
        return 2


def _default_bench_suite(argv: Sequence[str] | None) -> list[str]:
    """``stride bench [OPTIONS]`` means ``stride bench budget [OPTIONS]`` (else argparse would
    read the first option's value as a suite name)."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["bench"] and (
        len(words) == 1 or (words[1].startswith("-") and words[1] not in ("-h", "--help"))
    ):
        words.insert(1, "budget")
    return words


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stride",
        description="Stride: learn how convolutional neural networks work.",
    )
    parser.set_defaults(handler=lambda _args, _extra: parser.print_help())
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    deck = commands.add_parser("deck", help="parse and import decks")
    deck.set_defaults(handler=lambda _args, _extra: deck.print_help())
    deck_commands = deck.add_subparsers(title="deck commands", metavar="COMMAND")
    parse = deck_commands.add_parser(
        "parse", help="parse a deck file and print its cards, without touching the database"
    )
    parse.add_argument("file", help="the deck file (notes, Markdown, Anki text or .apkg)")
    parse.add_argument("--json", action="store_true", help='print {"title", "cards": [...]}')
    parse.set_defaults(handler=_deck_parse)
    listing = deck_commands.add_parser("list", help="the decks in the database: id, slug, size")
    listing.set_defaults(handler=_deck_list)
    check = deck_commands.add_parser(
        "check", help="print every problem in a deck file as FILE:LINE: message (exit 1 if any)"
    )
    check.add_argument("file", help="the deck file (notes, Markdown, Anki text or .apkg)")
    check.set_defaults(handler=_deck_check)
    load = deck_commands.add_parser(
        "import", help="import or update a deck; re-importing an unchanged file changes nothing"
    )
    load.add_argument("file", help="the deck file")
    load.add_argument("--slug", help="the deck to update (default: derived from the title)")
    load.set_defaults(handler=_deck_import)

    export = deck_commands.add_parser(
        "export", help="write a deck from the database as .apkg, Anki text (csv) or Markdown"
    )
    export.add_argument("deck", help="the deck's slug (see the Decks page) or its numeric id")
    export.add_argument("--format", choices=("apkg", "csv", "md"), required=True)
    export.add_argument("-o", "--output", required=True, help="the file to write")
    export.set_defaults(handler=_deck_export)

    db = commands.add_parser("db", help="database maintenance")
    db.set_defaults(handler=lambda _args, _extra: db.print_help())
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations up to the newest schema")
    upgrade.set_defaults(handler=_db_upgrade)
    current = db_commands.add_parser("current", help="print the database URL and schema revision")
    current.set_defaults(handler=_db_current)
    add_backup_commands(db_commands)

    _add_exercise_commands(commands)
    add_user_commands(commands)
    add_grades_commands(commands)
    add_assignment_commands(commands)
    add_secret_commands(commands)

    add_run_command(commands)

    bench = commands.add_parser("bench", help="benchmarks (numbers, not pass/fail)")
    bench.set_defaults(handler=_bench, module="quiz.benchmarks.budget")
    bench_commands = bench.add_subparsers(title="benchmarks", metavar="SUITE")
    suites = {
        "engine": ("conv/pool engine vs reference loops and PyTorch", "engine.bench"),
        "exercises": (
            "generate + grade throughput per exercise family",
            "quiz.benchmarks.exercises",
        ),
        "practice": (
            "Practice page in Chromium: Submit → feedback latency",
            "quiz.benchmarks.practice_browser",
        ),
        "stats": (
            "Statistics page queries on a 1,000,000-review SQLite log",
            "quiz.benchmarks.stats",
        ),
        "playground": (
            "Playground: one slider move, config to serialised figures, 64x64 input",
            "quiz.benchmarks.playground",
        ),
        "budget": (
            "the performance budget: every figure against its target (the default)",
            "quiz.benchmarks.budget",
        ),
        "store": (
            "next due item / record a review: 200 users x 500 items, 1M reviews",
            "quiz.benchmarks.store_latency",
        ),
        "study": (
            "Study page in Chromium: rating to next card; cold start of stride run",
            "quiz.benchmarks.study_browser",
        ),
        "load": ("smoke test: a few students at once in Chromium", "quiz.benchmarks.load"),
        "render": (
            "the card renderer on hostile text, 10 kB against 100 kB",
            "quiz.benchmarks.render",
        ),
        "class": (
            "a class of 500 at Streamlit's protocol level, against bare Streamlit",
            "quiz.benchmarks.class_bench",
        ),
        "pages": (
            "every page's first draw, rating to next item, cold start vs bare Streamlit (Chromium)",
            "quiz.benchmarks.pages_browser",
        ),
    }
    for name, (summary, module) in suites.items():
        suite = bench_commands.add_parser(name, help=summary, add_help=False)
        suite.set_defaults(handler=_bench, module=module)
    return parser


def _add_exercise_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exercise = commands.add_parser("exercise", help="list, generate and grade exercises")
    exercise.set_defaults(handler=lambda _args, _extra: exercise.print_help())
    sub = exercise.add_subparsers(title="exercise commands", metavar="COMMAND")
    listing = sub.add_parser("list", help="the exercise families: ids, titles, answer kinds")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler=_exercise_list)
    for name, handler, summary in (
        ("generate", _exercise_generate, "generate the exercise (FAMILY, seed, difficulty)"),
        ("grade", _exercise_grade, "grade an answer to the exercise (FAMILY, seed, difficulty)"),
    ):
        command = sub.add_parser(name, help=summary)
        command.add_argument("family", help="a family id (see `stride exercise list`)")
        command.add_argument("--seed", type=int, required=True, help="the variant's seed")
        command.add_argument(
            "--difficulty",
            type=int,
            choices=(1, 2, 3),
            default=2,
            help="1 warm-up, 2 standard (default), 3 challenge",
        )
        if name == "grade":
            command.add_argument("--answer", required=True, help="the answer as a student types it")
        command.add_argument("--json", action="store_true", help="print JSON")
        command.set_defaults(handler=handler)


def _exercise_list(args: argparse.Namespace, _extra: list[str]) -> int:

    families = [
        {
            "id": f.id,
            "title": f.title,
            "answer_kind": str(f.answer_kind),
            "description": f.description,
            "mistakes": dict(f.mistake_tags),
        }
        for f in all_families()
    ]
    if args.json:
        print(json.dumps(families, ensure_ascii=False, indent=2))
        return 0
    width = max(len(f["id"]) for f in families)
    for family in families:
        print(f"{family['id']:<{width}}  {family['answer_kind']:<6}  {family['title']}")
    return 0


def _load_exercise(args: argparse.Namespace) -> tuple[Family, Exercise] | None:

    try:
        family = get_family(args.family)
    except UnknownFamilyError as error:
        print(f"stride: {error}", file=sys.stderr)
        return None
    return family, family.make(args.seed, args.difficulty)


def _exercise_generate(args: argparse.Namespace, _extra: list[str]) -> int:
    loaded = _load_exercise(args)
    if loaded is None:
        return 2
    _family, exercise = loaded
    if args.json:
        print(json.dumps(exercise.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(exercise.prompt)
    print(f"\nanswer ({exercise.answer_kind}): {exercise.answer}")
    for number, step in enumerate(exercise.solution, start=1):
        print(f"  {number}. {step}")
    return 0


def _exercise_grade(args: argparse.Namespace, _extra: list[str]) -> int:

    loaded = _load_exercise(args)
    if loaded is None:
        return 2
    family, exercise = loaded
    grade = grade_exercise(family, exercise, args.answer)
    result = {
        "score": grade.score,
        "correct": grade.correct,
        "format_error": grade.format_error,
        "feedback": grade.feedback,
        "mistake": grade.mistake,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    elif grade.format_error:
        print(f"format error: {grade.format_error}")
    else:
        print(f"score {grade.score:.2f}{' (correct)' if grade.correct else ''}")
        if grade.mistake:
            print(f"mistake: {grade.mistake}")
        if grade.feedback:
            print(grade.feedback)
    return 0


def _deck_parse(args: argparse.Namespace, _extra: list[str]) -> int:
    try:
        deck = parse_deck_file(args.file)
    except DeckFormatError as error:
        print(terminal_text(f"{args.file}:{error.line}: {error.message}"), file=sys.stderr)
        return 1
    if args.json:
        print(terminal_json(deck.to_dict()))
        return 0
    print(f"{terminal_text(deck.title)} ({len(deck.cards)} cards, {deck.source_format} format)")
    for number, card in enumerate(deck.cards, start=1):
        front, back = terminal_text(card.front, block=True), terminal_text(card.back, block=True)
        print(f"\n[{number}] line {card.line}\nQ: {front}\nA: {back}")
    return 0


def _deck_check(args: argparse.Namespace, _extra: list[str]) -> int:

    problems = check_deck_file(args.file)
    if problems:
        sys.stdout.write(terminal_text(format_problems(problems, args.file), block=True))
        count = len(problems)
        print(
            f"{count} problem{'s' if count != 1 else ''}; nothing would be imported",
            file=sys.stderr,
        )
        return 1
    deck = parse_deck_file(args.file)
    print(f"{args.file}: OK, {len(deck.cards)} cards ({deck.source_format} format)")
    return 0


def _deck_import(args: argparse.Namespace, _extra: list[str]) -> int:

    try:
        deck = parse_deck_file(args.file)
    except DeckFormatError as error:
        print(terminal_text(f"{args.file}:{error.line}: {error.message}"), file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return 1
    with Stride.open() as stride, stride.transaction() as session:
        name = os.path.basename(args.file)
        report = import_deck(session, deck, utc_now(), slug=args.slug, source_name=name)
    print(terminal_text(report.summary()))
    return 0


def _deck_export(args: argparse.Namespace, _extra: list[str]) -> int:

    with Stride.open() as stride, stride.transaction() as session:
        deck_id = find_deck_id(session, args.deck)
        if deck_id is None:
            print(f"stride: no deck {args.deck!r}; see `stride deck list`", file=sys.stderr)
            return 1
        deck = deck_for_export(session, deck_id)
    report = export_deck(deck, args.format, args.output)
    skipped = f" ({report.skipped_exercises} exercise entries left out: Anki cannot grade them)"
    print(
        f"wrote {report.cards} cards to {args.output}{skipped if report.skipped_exercises else ''}"
    )
    return 0


def _deck_list(_args: argparse.Namespace, _extra: list[str]) -> int:

    with Stride.open() as stride, stride.transaction() as session:
        decks = list_decks(session)
    for deck in decks:
        slug, title = terminal_text(deck.slug), terminal_text(deck.title)
        print(f"{deck.id:>4}  {slug:<50}  {deck.card_count:>5} items  {title}")
    return 0


def _db_upgrade(_args: argparse.Namespace, _extra: list[str]) -> int:

    engine = make_engine(default_database_url())
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def _db_current(_args: argparse.Namespace, _extra: list[str]) -> int:
    from sqlalchemy.engine import make_url

    url = default_database_url()
    engine = make_engine(url)
    print(f"url: {make_url(url).render_as_string(hide_password=True)}")
    print(f"revision: {current_revision(engine) or '(empty)'} (newest: {head_revision(engine)})")
    engine.dispose()
    return 0


def _bench(args: argparse.Namespace, extra: list[str]) -> int:
    """Run a benchmark module's ``main(argv)`` with the remaining arguments."""
    import importlib

    return int(importlib.import_module(args.module).main(extra))


if __name__ == "__main__":
    sys.exit(main())
