"""``stride db backup`` / ``restore``: consistent online copies, nothing half-written or lost."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quiz.config import StudySettings
from quiz.runtime import Stride
from quiz.scheduling import Rating
from quiz.services.study import answer_card, next_card
from quiz.store.backup import BackupError, backup_sqlite, require_sqlite, restore_sqlite
from quiz.store.migrate import known_revisions
from quiz.store.models import ReviewLog
from tests.support import NOON

RESTORED_AT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def review_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM review_log").fetchone()[0])


def answer_some(stride: Stride, count: int) -> None:
    for _ in range(count):
        with stride.transaction() as session:
            card = next_card(session, stride.local_actor, NOON, stride.settings)
            assert card is not None
            answer_card(
                session, stride.local_actor, card.card_id, Rating.EASY, NOON, stride.scheduler
            )


@pytest.fixture
def database(stride: Stride, sqlite_url: str) -> Path:
    return require_sqlite(sqlite_url)


@pytest.fixture
def stride(sqlite_url: str, settings: StudySettings) -> Iterator[Stride]:
    """Backups are of SQLite files: these tests run on SQLite only."""
    app = Stride.open(sqlite_url, settings)
    yield app
    app.close()


def test_a_backup_is_a_checked_copy(stride: Stride, database: Path, tmp_path: Path) -> None:
    answer_some(stride, 3)
    target = tmp_path / "backup.db"
    assert backup_sqlite(database, target) == target.stat().st_size
    assert review_count(target) == 3
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_a_backup_during_writes_is_consistent(
    stride: Stride, database: Path, tmp_path: Path
) -> None:
    """Reviews keep coming while backups are taken: each backup holds a whole prefix of them."""
    done = threading.Event()

    def writer() -> None:
        answer_some(stride, 15)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    counts = []
    for number in range(5):
        target = tmp_path / f"during-{number}.db"
        backup_sqlite(database, target)
        with sqlite3.connect(target) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # every logged review has its schedule row: no transaction was cut in half
            orphans = copy.execute(
                "SELECT count(*) FROM review_log r LEFT JOIN card_schedules s "
                "ON s.card_id = r.card_id AND s.user_id = r.user_id WHERE s.id IS NULL"
            ).fetchone()[0]
            assert orphans == 0
        counts.append(review_count(target))
    thread.join()
    assert done.is_set()
    assert counts == sorted(counts) and counts[-1] <= 15
    assert review_count(database) == 15


def test_a_backup_never_overwrites(stride: Stride, database: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken.db"
    target.write_text("precious")
    with pytest.raises(BackupError, match="exists already"):
        backup_sqlite(database, target)
    assert target.read_text() == "precious"
    with pytest.raises(BackupError, match="no folder"):
        backup_sqlite(database, tmp_path / "missing" / "b.db")


def test_restore_brings_back_the_backup_and_keeps_the_present(
    stride: Stride, database: Path, tmp_path: Path
) -> None:
    answer_some(stride, 2)
    backup = tmp_path / "two.db"
    backup_sqlite(database, backup)
    answer_some(stride, 3)
    saved = restore_sqlite(database, backup, known_revisions(stride.engine), RESTORED_AT)
    assert saved.name == "stride.db.before-restore-20261206T093000Z"
    assert review_count(saved) == 5, "the data replaced by the restore is kept"
    with stride.transaction() as session:  # the running app sees the restored data at once
        assert session.scalar(select(func.count()).select_from(ReviewLog)) == 2
    answer_some(stride, 1)
    assert review_count(database) == 3


def test_restore_refuses_what_is_not_a_stride_backup(
    stride: Stride, database: Path, tmp_path: Path
) -> None:
    answer_some(stride, 1)
    revisions = known_revisions(stride.engine)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    future = tmp_path / "future.db"
    backup_sqlite(database, future)
    with sqlite3.connect(future) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    cases = {
        tmp_path / "absent.db": "there is no file",
        garbage: "not an SQLite database",
        other: "not a Stride database",
        future: "revision 9999",
    }
    for source, message in cases.items():
        with pytest.raises(BackupError, match=message):
            restore_sqlite(database, source, revisions, RESTORED_AT)
    assert review_count(database) == 1
    assert not list(tmp_path.glob("*before-restore*"))


def test_postgresql_gets_the_pg_dump_hint() -> None:
    with pytest.raises(BackupError, match="pg_dump"):
        require_sqlite("postgresql+psycopg://stride@db/stride")
    with pytest.raises(BackupError, match="no database"):
        require_sqlite("sqlite:////nonexistent/stride.db")


def test_the_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from quiz.cli import main

    monkeypatch.setenv("STRIDE_DATABASE_URL", f"sqlite:///{tmp_path / 'live.db'}")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "backup", str(tmp_path / "b.db")]) == 0
    assert "integrity check ok" in capsys.readouterr().out
    assert main(["db", "backup", str(tmp_path / "b.db")]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["db", "restore", str(tmp_path / "b.db")]) == 0
    assert "previous data is in" in capsys.readouterr().out
    assert main(["db", "restore", str(tmp_path / "nothing.db")]) == 1
    assert "there is no file" in capsys.readouterr().err
