"""Smoke tests of the performance-budget benchmark at tiny sizes (the browser suites need a
server and Chromium; their bookkeeping is tested here without them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from quiz.benchmarks import budget, store_latency
from quiz.benchmarks.load import error_kinds, reconcile
from quiz.runtime import Stride
from quiz.store.models import Card, CardSchedule, ReviewLog


def test_the_seed_matches_schedules_to_the_review_log(database_url: str) -> None:
    stride = Stride.open(database_url, store_latency.SETTINGS)
    try:
        with stride.transaction() as session:  # the built-in deck's cards count as items
            builtin = session.scalar(select(func.count()).select_from(Card)) or 0
        items = builtin + 40
        users = store_latency.seed(stride, users=3, items=items, reviews=900)
        with stride.transaction() as session:
            assert len(users) == 3
            assert session.scalar(select(func.count()).select_from(Card)) == items
            assert session.scalar(select(func.count()).select_from(ReviewLog)) == 900
            assert session.scalar(select(func.count()).select_from(CardSchedule)) == 3 * items
            mismatched = session.scalar(
                text(
                    """
                    SELECT count(*) FROM card_schedules s
                    JOIN (SELECT user_id, card_id, count(*) AS n, max(reviewed_at) AS last
                          FROM review_log GROUP BY user_id, card_id) r
                      ON r.user_id = s.user_id AND r.card_id = s.card_id
                    WHERE s.reps != r.n OR s.last_review != r.last
                    """
                )
            )
            assert mismatched == 0
            newest = session.scalar(select(func.max(ReviewLog.reviewed_at)))
            assert newest is not None and newest <= store_latency.NOW
    finally:
        stride.close()


def test_store_latency_reuses_its_database_and_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    argv = ["--users", "2", "--items", "60", "--reviews", "240", "--samples", "5", "--db", str(db)]
    assert store_latency.main([*argv, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["build_s"] > 0 and first["samples"] >= 1
    assert first["rows"]["card_schedules"] == 120
    for key in ("next_due_p50_ms", "next_due_p95_ms", "review_p50_ms", "review_p95_ms"):
        assert first[key] > 0
    assert store_latency.main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["build_s"] == 0  # reused


def test_the_budget_object_has_every_figure_and_verdict() -> None:
    store = {"next_due_p50_ms": 1.0, "next_due_p95_ms": 2.0, "review_p50_ms": 3, "review_p95_ms": 6}
    study = {"review_p50_ms": 120.0, "review_p95_ms": 250.0, "cold_start_s": 4.0}
    load = {"p50_ms": 200.0, "p95_ms": 900.0, "errors": 2, "lost": 0, "extra": 1}
    result = budget.summarise(store, None, study, load)
    for key in (
        "next_due_p95_ms",
        "review_p95_ms",
        "browser_review_p95_ms",
        "cold_start_s",
        "load_p95_ms",
        "load_errors",
        "load_lost",
        "postgres_next_due_p95_ms",
        "targets",
    ):
        assert key in result
    assert result["postgres_review_p95_ms"] is None
    assert result["met"] == {
        "next_due_p95_ms": True,
        "review_p95_ms": False,
        "browser_review_p95_ms": True,
        "cold_start_s": True,
        "load_errors": False,
        "load_lost": True,
    }
    assert not result["all_met"]
    json.dumps(result, allow_nan=False)
    table = budget.format_table(result)
    assert "MISSED" in table and "PostgreSQL" not in table


def test_load_reconciles_acknowledged_reviews_with_stored_rows() -> None:
    counts = reconcile({"a": 5, "b": 3, "c": 0}, {"a": 5, "b": 2, "c": 1, "teacher": 9})
    assert counts == {"acknowledged": 8, "recorded": 8, "lost": 1, "extra": 10}
    assert error_kinds(["sign-in: locked", "study: rate Good: timeout", "sign-in: x"]) == {
        "sign-in": 2,
        "study": 1,
    }
