"""Eight processes answering at once, every answer sent twice: each is stored exactly once.

Runs on both backends (``database_url``). ``STRIDE_CONCURRENCY_WRITES`` sets the writes per
process (default 500: 250 reviews and 250 attempts, 1,000 sends).
"""

from __future__ import annotations

import os

from quiz.benchmarks.concurrency import run

PROCESSES = 8
WRITES = int(os.environ.get("STRIDE_CONCURRENCY_WRITES", "500"))


def test_concurrent_double_sends_are_stored_exactly_once(database_url: str) -> None:
    report = run(database_url, PROCESSES, WRITES // 2, WRITES - WRITES // 2)
    assert report.acknowledged == PROCESSES * WRITES
    assert report.duplicates == 0
    assert report.stored == report.acknowledged
    assert report.lost == 0
