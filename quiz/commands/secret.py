"""``stride secret rotate``: replace the server secret that keys assignment-variant seeds.

stride secret rotate [--yes]   a new random secret (asks first; ``--yes`` for scripts)

The secret (:mod:`quiz.store.server_secret`) makes each student's assignment variants
unpredictable. Rotate it if it may have leaked (a copied database or backup). Every unanswered
variant of every assignment changes; answered ones do not (each submission stores its variant's
seed). Running servers keep the secret they read at start-up, so restart them all afterwards.
"""

from __future__ import annotations

import argparse
import sys

from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.store.server_secret import rotate_server_secret

WARNING = (
    "Rotating the server secret gives every student a new variant of every problem they have "
    "not answered yet, in every assignment, open ones included. Answered problems keep their "
    "variants (each answer stores its seed), so grades do not change. A student with an "
    "assignment open must reload it, and an answer sent from a page opened before the rotation "
    "is graded against the new variant. Restart every running Stride server afterwards: each "
    "keeps the secret it read when it started."
)


def add_secret_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``secret rotate`` to the ``stride`` subcommands."""
    secret = commands.add_parser("secret", help="the server secret behind assignment variants")
    secret.set_defaults(handler=lambda _args, _extra: secret.print_help())
    sub = secret.add_subparsers(title="secret commands", metavar="COMMAND")
    rotate = sub.add_parser(
        "rotate",
        help="replace the secret: unanswered assignment variants change (answered ones stay)",
        description=WARNING,
    )
    rotate.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (for scripts)"
    )
    rotate.set_defaults(handler=_rotate)


def _rotate(args: argparse.Namespace, _extra: list[str]) -> int:
    print(f"warning: {WARNING}", file=sys.stderr)
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "stride secret rotate: not rotated; confirm with --yes when not at a terminal",
                file=sys.stderr,
            )
            return 1
        answer = input("Rotate the server secret now? Type 'rotate' to confirm: ")
        if answer.strip().lower() != "rotate":
            print("stride secret rotate: not rotated", file=sys.stderr)
            return 1

    with Stride.open() as stride, stride.transaction() as session:
        rotate_server_secret(session, utc_now())
    print(
        "rotated the server secret: unanswered assignment variants have changed; "
        "restart every running Stride server now"
    )
    return 0
