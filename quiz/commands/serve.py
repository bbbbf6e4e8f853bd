"""``stride run``: become the Stride web server (``streamlit run asgi.py``).

Kept light on purpose (it imports only :mod:`quiz.config`): :mod:`quiz.launcher` runs it without
loading the database layers, which the server loads itself as it starts (see ``asgi.py``), so a
cold start does not pay for them twice (~0.4 s).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from quiz.config import PROJECT_ROOT, AuthSettings, ConfigError, StudySettings

APP_FILE = PROJECT_ROOT / "asgi.py"
DEV_OPTIONS = ("--server.fileWatcherType", "auto", "--server.runOnSave", "true")
"""``stride run --dev``: watch the source and rerun on save (production turns both off)."""


def add_run_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``stride run`` (its handler takes the arguments streamlit should get too)."""
    run = commands.add_parser(
        "run",
        help="serve the app; it migrates and loads the built-in decks as it starts "
        "(extra arguments go to streamlit)",
    )
    run.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    run.add_argument(
        "--dev",
        action="store_true",
        help="for editing the code: watch the files and rerun pages on save (slower)",
    )
    run.set_defaults(handler=run_server)
    return run


def run_server(args: argparse.Namespace, extra: list[str]) -> int:
    """Replace this process with the server. It migrates and loads the built-in decks itself,
    as it starts: doing it here first, in another process, delayed the first page by ~0.6 s."""
    StudySettings.from_env(), AuthSettings.from_env()  # a bad setting stops here, with its name
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
        *(DEV_OPTIONS if args.dev else ()),
        *extra,
    ]
    print(f"Stride: serving on http://localhost:{args.port}", flush=True)
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


def main(argv: Sequence[str]) -> int:
    """``stride run [OPTIONS] [STREAMLIT ARGS...]`` on its own (see :mod:`quiz.launcher`)."""
    parser = argparse.ArgumentParser(prog="stride")
    add_run_command(parser.add_subparsers())
    args, extra = parser.parse_known_args(["run", *argv])
    try:
        return run_server(args, extra)
    except ConfigError as error:
        print(f"stride: configuration error: {error}", file=sys.stderr)
        return 2
