"""``stride run``: become the Stride web server (``streamlit run asgi.py``).

Kept light on purpose (it imports only :mod:`quiz.config`): :mod:`quiz.launcher` runs it without
loading the database layers, which the server loads itself as it starts (see ``asgi.py``), so a
cold start does not pay for them twice (~0.4 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from quiz.config import PROJECT_ROOT, AuthSettings, ConfigError, StudySettings

APP_FILE = PROJECT_ROOT / "asgi.py"
DEV_OPTIONS = (
    "--client.showErrorDetails",
    "full",
    "--server.fileWatcherType",
    "auto",
    "--server.runOnSave",
    "true",
)
"""``stride run --dev``: tracebacks in the browser, watch the source and rerun on save
(production shows none and turns both off: ``.streamlit/config.toml``)."""
LOOPBACK = "127.0.0.1"
"""Where local mode listens unless told otherwise: one person, on this machine."""


def add_run_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``stride run`` (its handler takes the arguments streamlit should get too)."""
    run = commands.add_parser(
        "run",
        help="serve the app; it migrates and loads the built-in decks as it starts "
        "(extra arguments go to streamlit)",
    )
    run.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    run.add_argument(
        "--address",
        help="address to listen on (default: 127.0.0.1 in local mode, every interface in "
        "classroom mode; 0.0.0.0 for every IPv4 interface)",
    )
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
    StudySettings.from_env()  # a bad setting stops here, with its name
    auth = AuthSettings.from_env()
    address = listen_address(args.address, auth, extra)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_FILE),
        "--server.port",
        str(args.port),
        *(("--server.address", address) if address else ()),
        "--browser.gatherUsageStats",
        "false",
        *(DEV_OPTIONS if args.dev else ()),
        *extra,
    ]
    print(f"Stride: {_serving(address, args.port)}", flush=True)
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


def listen_address(address: str | None, auth: AuthSettings, extra: Sequence[str]) -> str | None:
    """The ``--server.address`` to give streamlit, or None to leave it to streamlit.

    ``--address`` wins. Else, if streamlit is told otherwise (``--server.address`` among the
    extra arguments, ``STREAMLIT_SERVER_ADDRESS``, or ``server.address`` in a config file),
    nothing is added. Else local mode listens on :data:`LOOPBACK` only — no one else on the
    network reaches a server with no sign-in — and classroom mode on every interface, as a
    class must reach it and every page is behind the sign-in."""
    if address:
        return address
    told = any(word.split("=")[0] == "--server.address" for word in extra)
    if told or os.environ.get("STREAMLIT_SERVER_ADDRESS") or _configured_address():
        return None
    return None if auth.classroom else LOOPBACK


def _configured_address() -> bool:
    """Whether a ``.streamlit/config.toml`` (the project's or the user's) sets
    ``server.address``."""
    for folder in (PROJECT_ROOT, Path.home()):
        path = folder / ".streamlit" / "config.toml"
        try:
            server = tomllib.loads(path.read_text(encoding="utf-8")).get("server", {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(server, dict) and server.get("address"):
            return True
    return False


def _serving(address: str | None, port: int) -> str:
    """Where the server listens, for its first line of output."""
    if address == LOOPBACK:
        return f"serving on http://localhost:{port} (this machine only)"
    if address is not None:
        return f"serving on http://{address}:{port}"
    return (
        f"serving on port {port} of every interface, unless streamlit's server.address "
        f"says otherwise (http://localhost:{port} here)"
    )


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
