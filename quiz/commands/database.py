"""``stride db backup FILE`` and ``stride db restore FILE`` (SQLite; PostgreSQL gets a hint).

stride db backup FILE     a consistent copy of the live database, taken while the app runs
stride db restore FILE    replace the database with a backup (the current one is saved first)

The rules are in :mod:`quiz.store.backup`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quiz.config import default_database_url
from quiz.scheduling import utc_now
from quiz.store.backup import BackupError, backup_sqlite, require_sqlite, restore_sqlite
from quiz.store.db import make_engine
from quiz.store.migrate import current_revision, known_revisions, upgrade


def add_backup_commands(db_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``backup`` and ``restore`` to the ``stride db`` subcommands."""
    backup = db_commands.add_parser(
        "backup", help="copy the SQLite database to a new file while the app keeps running"
    )
    backup.add_argument("file", type=Path, help="the backup file to create (must not exist)")
    backup.set_defaults(handler=_backup)
    restore = db_commands.add_parser(
        "restore", help="replace the SQLite database with a backup (the current one is kept)"
    )
    restore.add_argument("file", type=Path, help="a file made by `stride db backup`")
    restore.set_defaults(handler=_restore)


def _backup(args: argparse.Namespace, _extra: list[str]) -> int:

    try:
        size = backup_sqlite(require_sqlite(default_database_url()), args.file)
    except BackupError as error:
        print(f"stride db backup: {error}", file=sys.stderr)
        return 1
    print(f"backed up to {args.file} ({size:,} bytes, integrity check ok)")
    return 0


def _restore(args: argparse.Namespace, _extra: list[str]) -> int:

    url = default_database_url()
    try:
        database = require_sqlite(url)
        engine = make_engine(url)
        try:
            saved = restore_sqlite(database, args.file, known_revisions(engine), utc_now())
            upgrade(engine)
            revision = current_revision(engine)
        finally:
            engine.dispose()
    except BackupError as error:
        print(f"stride db restore: {error}", file=sys.stderr)
        return 1
    print(f"restored {args.file} (schema revision {revision}); the previous data is in {saved}")
    return 0
