"""Files only their owner can read (issue 14, item 11): the database and its side files, the data
directory, backups (and the copy a restore saves), grade exports — whatever the umask."""

from __future__ import annotations

import argparse
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from quiz.commands.grades import add_grades_commands
from quiz.runtime import Stride
from quiz.services.assignments import AssignmentSpec, ItemSpec, create_assignment
from quiz.store.backup import backup_sqlite, restore_sqlite
from quiz.store.db import make_engine
from quiz.store.migrate import known_revisions
from quiz.vocabulary import MODE_HOMEWORK
from tests.support import NOON

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The umask of a careless shell (``0000``): files must be private without its help."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_a_new_database_its_side_files_and_its_folder_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "stride"
    database = folder / "stride.db"
    stride = Stride.open(f"sqlite:///{database}")
    try:
        with stride.transaction() as session:  # a write: the WAL and shared-memory files exist
            session.execute(text("CREATE TABLE probe (x INTEGER)"))
        side_files = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
        assert all(path.exists() for path in side_files)
        assert {path.name: mode(path) for path in (database, *side_files)} == {
            "stride.db": 0o600,
            "stride.db-wal": 0o600,
            "stride.db-shm": 0o600,
        }
        assert mode(folder) == 0o700
    finally:
        stride.close()


def test_the_default_data_directory_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "fresh-data-dir"
    monkeypatch.setenv("STRIDE_DATA_DIR", str(folder))
    stride = Stride.open()
    stride.close()
    assert mode(folder) == 0o700
    assert mode(folder / "stride.db") == 0o600


def test_an_existing_world_readable_database_is_closed_to_others(tmp_path: Path) -> None:
    database = tmp_path / "stride.db"
    sqlite3.connect(database).close()
    os.chmod(database, 0o666)  # as created before this rule, under a 0000 umask
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o660  # the owner's and the group's rights are left as set
    assert mode(tmp_path) == stat.S_IMODE(tmp_path.stat().st_mode)  # a parent is not changed


def test_backups_and_the_copy_a_restore_keeps_are_private(tmp_path: Path, sqlite_url: str) -> None:
    stride = Stride.open(sqlite_url)
    stride.close()
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    backup_sqlite(database, backup)
    assert mode(backup) == 0o600
    engine = make_engine(sqlite_url)
    try:
        saved = restore_sqlite(
            database, backup, known_revisions(engine), datetime(2026, 12, 6, tzinfo=UTC)
        )
    finally:
        engine.dispose()
    assert mode(saved) == 0o600


def test_stride_grades_export_is_private(
    stride: Stride, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_DATABASE_URL", database_url)
    spec = AssignmentSpec(
        title="Homework",
        instructions="",
        mode=MODE_HOMEWORK,
        opens_at=NOON,
        due_at=NOON.replace(year=NOON.year + 1),
        max_attempts=1,
        items=(ItemSpec("same-padding", 2),),
    )
    with stride.transaction() as session:
        assignment = create_assignment(session, stride.local_actor, spec, NOON)
    parser = argparse.ArgumentParser(prog="stride")
    add_grades_commands(parser.add_subparsers())
    for target in (tmp_path / "grades.csv", tmp_path / "old-grades.csv"):
        if target.name.startswith("old"):
            target.write_text("stale")
            os.chmod(target, 0o644)  # an existing export is rewritten private too
        args = parser.parse_args(["grades", "export", str(assignment), "-o", str(target)])
        assert args.handler(args, []) == 0
        assert mode(target) == 0o600
        assert target.read_text(encoding="utf-8").startswith("username,")
