"""The ``stride`` console script: ``stride run`` straight to the server, the rest to quiz.cli.

``stride run`` must start fast (a cold start is measured from it): importing :mod:`quiz.cli`
loads SQLAlchemy, Alembic and the services (~0.4 s) that the server process loads again, so
this entry point hands ``run`` to the light :mod:`quiz.commands.serve` and imports the full
command line only for the other commands. ``python -m quiz.cli`` works for every command too.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["run"] and not {"-h", "--help"} & set(words[1:]):
        return int(importlib.import_module("quiz.commands.serve").main(words[1:]))
    return int(importlib.import_module("quiz.cli").main(words))


if __name__ == "__main__":
    sys.exit(main())
