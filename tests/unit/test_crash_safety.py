"""SIGKILL in the middle of a burst of reviews: the SQLite file stays sound and keeps every
review that was acknowledged (printed after its commit) before the kill."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quiz.benchmarks.concurrency import prepare

pytestmark = pytest.mark.slow  # a writer process killed mid-burst

ACKNOWLEDGED_BEFORE_KILL = 150


def test_a_killed_writer_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "stride.db"
    url = f"sqlite:///{path}"
    ((user_id, username),) = prepare(url, 1)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from quiz.benchmarks.concurrency import burst; "
            "burst(sys.argv[1], int(sys.argv[2]), sys.argv[3], 100_000)",
            url,
            str(user_id),
            username,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = []
    deadline = time.monotonic() + 120
    while len(acknowledged) < ACKNOWLEDGED_BEFORE_KILL and time.monotonic() < deadline:
        line = writer.stdout.readline()
        assert line, f"the writer stopped early (exit status {writer.poll()})"
        acknowledged.append(line.split()[1])
    writer.send_signal(signal.SIGKILL)  # mid-burst: it is writing the next review right now
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert len(acknowledged) == ACKNOWLEDGED_BEFORE_KILL

    with sqlite3.connect(path) as connection:  # recovers the WAL left by the killed process
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {
            token
            for (token,) in connection.execute(
                "SELECT client_token FROM review_log WHERE user_id = ?", (user_id,)
            )
        }
        orphans = connection.execute(
            "SELECT count(*) FROM review_log r LEFT JOIN card_schedules s "
            "ON s.card_id = r.card_id AND s.user_id = r.user_id WHERE s.id IS NULL"
        ).fetchone()[0]
    assert set(acknowledged) <= stored
    # The writer went on while the test read its output, so more may be stored than were read,
    # but always a whole prefix of the burst: nothing skipped, nothing half-written.
    assert stored == {f"burst-{number}" for number in range(len(stored))}
    assert orphans == 0
