"""Eight processes answering at once, every answer sent twice: each is stored exactly once.

Runs on both backends (``database_url``). ``STRIDE_CONCURRENCY_WRITES`` sets the writes per
process (default 500: 250 reviews and 250 attempts, 1,000 sends).
"""

from __future__ import annotations

import os

import pytest

from quiz.benchmarks.concurrency import run, start_together, start_up

pytestmark = pytest.mark.slow  # 8 writer processes, then 4 starting replicas

PROCESSES = 8
WRITES = int(os.environ.get("STRIDE_CONCURRENCY_WRITES", "500"))


def test_concurrent_double_sends_are_stored_exactly_once(database_url: str) -> None:
    report = run(database_url, PROCESSES, WRITES // 2, WRITES - WRITES // 2)
    assert report.acknowledged == PROCESSES * WRITES
    assert report.duplicates == 0
    assert report.stored == report.acknowledged
    assert report.lost == 0


def test_replicas_starting_together_migrate_and_seed_once(database_url: str) -> None:
    counts = start_together(database_url, 4)
    assert len(set(counts)) == 1 and counts[0] >= 1  # everyone sees the same built-in decks
    assert start_up(database_url) == counts[0]  # and a later start adds nothing
