"""Files only their owner can read: the database, its backups, grade exports (issue 14, item 11).

The SQLite database holds password hashes, session tokens and every grade; so do its backups and
the gradebook CSV. Whatever the process's umask, Stride creates them ``0600`` (owner read and
write) and a data directory it creates ``0700``:

* :func:`private_dir` creates a missing folder ``0700`` (an existing one is left as its owner
  set it: it may be a shared parent such as the working directory);
* :func:`private_sqlite_file` creates the database file empty and ``0600`` *before* SQLite opens
  it, because SQLite gives the files it adds later (``-wal``, ``-shm``, ``-journal``) the
  database file's mode; a database that exists already loses any permission for "others"
  (it was created ``0644`` before this rule), and so do its side files;
* :func:`private_text_file` opens an export for writing as ``0600`` (an existing regular file of
  this user is truncated and made ``0600`` too; ``/dev/stdout`` or a pipe is left as it is).

On systems without POSIX modes (Windows) these only create the files.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(folder: Path) -> None:
    """Create ``folder`` (and its parents) if missing; the folder itself ``0700``."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:  # made meanwhile by another process
        return
    os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask


def private_sqlite_file(database: Path) -> None:
    """Make ``database`` (an SQLite file path) private before SQLite opens it: create it empty
    and ``0600`` when missing (an empty file is an empty SQLite database); else take away any
    permission for others from it and its side files."""
    private_dir(database.parent)
    if _create_private(database):
        return
    for path in (database, *(database.with_name(database.name + s) for s in SQLITE_SIDE_FILES)):
        _remove_others_permissions(path)


def private_text_file(
    path: Path, *, encoding: str = "utf-8", newline: str | None = None
) -> IO[str]:
    """``path`` opened for writing text (created or truncated), readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        found = os.fstat(descriptor)
        if stat.S_ISREG(found.st_mode) and found.st_uid == _user_id():  # not /dev/stdout
            _fchmod(descriptor, PRIVATE_FILE_MODE)
        return open(descriptor, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(descriptor)
        raise


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and ``0600``; False when it exists already (nothing changed)."""
    return _create_private(path)


def _create_private(path: Path) -> bool:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    try:
        _fchmod(descriptor, PRIVATE_FILE_MODE)  # the umask may have taken more away
    finally:
        os.close(descriptor)
    return True


def _user_id() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


def _fchmod(descriptor: int, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, mode)


def _remove_others_permissions(path: Path) -> None:
    """``chmod o-rwx path`` when it exists and this user may (a file of another user is left)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & stat.S_IRWXO:
            os.chmod(path, mode & ~stat.S_IRWXO)
    except (FileNotFoundError, PermissionError):
        pass
