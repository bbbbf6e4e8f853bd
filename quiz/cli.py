"""The ``stride`` command.

stride deck parse FILE [--json]     parse a deck file and print its cards (no database)
stride deck import FILE [--slug S]  import or update a deck (idempotent)
stride db upgrade | current         apply migrations / show the schema revision
stride run [STREAMLIT ARGS...]      migrate, then serve the app (default port 8501)
stride bench engine [--json]        benchmark the conv/pool engine
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from quiz.config import PROJECT_ROOT, ConfigError, default_database_url
from quiz.decks import DeckFormatError, parse_deck_file

APP_FILE = PROJECT_ROOT / "app.py"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.handler is not _run:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args.handler(args, extra) or 0)
    except ConfigError as error:
        print(f"stride: configuration error: {error}", file=sys.stderr)
        return 2


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
    parse.add_argument("file", help="the deck file (lecture-notes text format)")
    parse.add_argument("--json", action="store_true", help='print {"title", "cards": [...]}')
    parse.set_defaults(handler=_deck_parse)
    load = deck_commands.add_parser(
        "import", help="import or update a deck; re-importing an unchanged file changes nothing"
    )
    load.add_argument("file", help="the deck file")
    load.add_argument("--slug", help="the deck to update (default: derived from the title)")
    load.set_defaults(handler=_deck_import)

    db = commands.add_parser("db", help="database maintenance")
    db.set_defaults(handler=lambda _args, _extra: db.print_help())
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations up to the newest schema")
    upgrade.set_defaults(handler=_db_upgrade)
    current = db_commands.add_parser("current", help="print the database URL and schema revision")
    current.set_defaults(handler=_db_current)

    run = commands.add_parser(
        "run",
        help="migrate, load built-in decks and serve the app (extra arguments go to streamlit)",
    )
    run.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    run.set_defaults(handler=_run)

    bench = commands.add_parser("bench", help="benchmarks (numbers, not pass/fail)")
    bench.set_defaults(handler=lambda _args, _extra: bench.print_help())
    bench_commands = bench.add_subparsers(title="benchmarks", metavar="SUITE")
    engine = bench_commands.add_parser(
        "engine", help="conv/pool engine vs reference loops and PyTorch", add_help=False
    )
    engine.set_defaults(handler=_bench_engine)
    return parser


def _deck_parse(args: argparse.Namespace, _extra: list[str]) -> int:
    try:
        deck = parse_deck_file(args.file)
    except DeckFormatError as error:
        print(f"{args.file}:{error.line}: {error.message}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(deck.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"{deck.title} ({len(deck.cards)} cards, {deck.source_format} format)")
    for number, card in enumerate(deck.cards, start=1):
        print(f"\n[{number}] line {card.line}\nQ: {card.front}\nA: {card.back}")
    return 0


def _deck_import(args: argparse.Namespace, _extra: list[str]) -> int:
    from quiz.runtime import Stride
    from quiz.scheduling import utc_now
    from quiz.services.decks import import_deck

    try:
        deck = parse_deck_file(args.file)
    except DeckFormatError as error:
        print(f"{args.file}:{error.line}: {error.message}", file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return 1
    stride = Stride.open()
    try:
        with stride.transaction() as session:
            name = os.path.basename(args.file)
            report = import_deck(session, deck, utc_now(), slug=args.slug, source_name=name)
    finally:
        stride.close()
    print(report.summary())
    return 0


def _db_upgrade(_args: argparse.Namespace, _extra: list[str]) -> int:
    from quiz.store.db import make_engine
    from quiz.store.migrate import current_revision, upgrade

    engine = make_engine(default_database_url())
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def _db_current(_args: argparse.Namespace, _extra: list[str]) -> int:
    from sqlalchemy.engine import make_url

    from quiz.store.db import make_engine
    from quiz.store.migrate import current_revision, head_revision

    url = default_database_url()
    engine = make_engine(url)
    print(f"url: {make_url(url).render_as_string(hide_password=True)}")
    print(f"revision: {current_revision(engine) or '(empty)'} (newest: {head_revision(engine)})")
    engine.dispose()
    return 0


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    from quiz.runtime import Stride

    Stride.open().close()  # migrate and load built-in decks before the first page asks
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_FILE),
        "--server.port",
        str(args.port),
        "--browser.gatherUsageStats",
        "false",
        *extra,
    ]
    print(f"Stride: serving on http://localhost:{args.port}", flush=True)
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


def _bench_engine(_args: argparse.Namespace, extra: list[str]) -> int:
    from engine import bench

    return int(bench.main(extra))


if __name__ == "__main__":
    sys.exit(main())
