"""Backing up and restoring an SQLite database while the app may be running.

Both directions use SQLite's online backup API (``sqlite3.Connection.backup``), which copies the
database page by page under SQLite's own locking, so a backup taken during a burst of reviews is
a consistent snapshot (the WAL included), and a restore is seen whole by the next transaction of
a running server. Copying the file with ``cp`` would not be safe in WAL mode.

* :func:`backup_sqlite` writes the snapshot to a temporary file beside the target, checks it
  (``PRAGMA integrity_check``) and renames it into place, so the target is either absent or a
  complete, verified backup — never half-written. It refuses to overwrite an existing file. The
  backup is readable by its owner only (``0600``), as the database is: it holds password hashes.
* :func:`restore_sqlite` first checks that the source is a Stride database (an SQLite file that
  passes ``integrity_check`` and carries a schema revision this version knows), then saves the
  current database with :func:`backup_sqlite` (nothing is lost if the restore was a mistake),
  then copies the source over the live database.

PostgreSQL has its own tools (``pg_dump`` / ``pg_restore``); :func:`require_sqlite` says so.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from quiz.store.private_files import create_private_file

PAGES_PER_STEP = 1024
"""Pages copied per backup step: small steps let other connections write in between."""


class BackupError(RuntimeError):
    """A backup or restore that was not done; the message says why and what to do."""


def require_sqlite(url: str) -> Path:
    """The SQLite file of ``url``, or :class:`BackupError` naming the tool to use instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        raise BackupError(
            "this is a PostgreSQL database: back it up with "
            "`pg_dump --format=custom --file=stride.dump DBNAME` and restore it with "
            "`pg_restore --clean --if-exists --dbname=DBNAME stride.dump`"
        )
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        raise BackupError(f"cannot back up {parsed.render_as_string(hide_password=True)}")
    path = Path(parsed.database).expanduser()
    if not path.is_file():
        raise BackupError(f"there is no database at {path}")
    return path


def backup_sqlite(database: Path, target: Path) -> int:
    """Copy ``database`` to the new file ``target`` (checked, then renamed into place).

    Returns the size of the backup in bytes. Raises :class:`BackupError` when ``target`` exists,
    its folder does not, or the copy fails its integrity check (then nothing is left behind).
    """
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"there is no folder {target.parent}")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        create_private_file(partial)  # 0600 before SQLite writes to it: the backup is the data
        with closing(_connect(database)) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy, pages=PAGES_PER_STEP)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            _check_integrity(copy, partial)
        os.link(partial, target)  # fails instead of overwriting a file created meanwhile
    except FileExistsError:
        raise BackupError(f"{target} exists already: choose a new file name") from None
    except sqlite3.Error as error:
        raise BackupError(f"the backup failed: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def restore_sqlite(database: Path, source: Path, known_revisions: set[str], now: datetime) -> Path:
    """Replace the contents of ``database`` with the backup ``source``.

    The current contents are first saved beside ``database`` as
    ``<name>.before-restore-<UTC time>``, whose path is returned. The caller migrates the
    restored database afterwards (a backup from an older version has an older schema).
    """
    if not source.is_file():
        raise BackupError(f"there is no file {source}")
    try:
        with closing(_connect(source)) as backup:
            _check_integrity(backup, source)
            revision = _revision(backup, source)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not an SQLite database ({error})") from None
    if revision not in known_revisions:
        raise BackupError(
            f"{source} has schema revision {revision}, which this version of Stride does not "
            "know: restore it with the version that made it"
        )
    saved = database.with_name(f"{database.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
    backup_sqlite(database, saved)
    try:
        with closing(_connect(source)) as backup, closing(_connect(database)) as live:
            backup.backup(live, pages=PAGES_PER_STEP)
    except sqlite3.Error as error:
        raise BackupError(f"the restore failed ({error}); the old data is in {saved}") from None
    return saved


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        raise BackupError(f"{path} fails SQLite's integrity check: {'; '.join(result[:5])}")


def _revision(connection: sqlite3.Connection, path: Path) -> str:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None:
        raise BackupError(
            f"{path} is an SQLite file but not a Stride database (no schema revision)"
        )
    return str(row[0])
