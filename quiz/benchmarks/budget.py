"""``stride bench`` (``stride bench budget``): Stride's performance budget, every figure at once.

Runs three suites and prints each figure beside its target:

* ``store`` (:mod:`quiz.benchmarks.store_latency`): 200 students × 500 items and 1,000,000
  review-log rows; "next due item" and "record a review", p50/p95, on SQLite (target p95 < 5 ms)
  and, with ``--postgres-url``, in a scratch database on that PostgreSQL server;
* ``study`` (:mod:`quiz.benchmarks.study_browser`): real Chromium, rating a card → the next card
  on screen, p95 over ``--reviews`` reviews (target < 300 ms); cold start of ``stride run`` to a
  healthy server (target < 5 s);
* ``load`` (:mod:`quiz.benchmarks.load`): a smoke test of a few real browsers under load: 4
  signed-in students (browser contexts in one Chromium) studying for ``--load-seconds`` against
  one server: p95 latency, errors (target 0), and reviews lost (acknowledged on screen but not
  in the database; target 0). A class-sized load is ``stride bench class``.

``--json`` prints one object: the figures (``next_due_p95_ms``, ``review_p95_ms``,
``browser_review_p95_ms``, ``cold_start_s``, ``load_p95_ms``, ``load_errors``, ``load_lost``, their
p50s, ``postgres_*`` or null), ``targets``, ``met`` and each suite's full result in ``details``.
Progress goes to stderr. The exit status is 0 unless ``--check`` is given and a target is missed.
A full run takes several minutes (building the SQLite database alone about one).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUITES = ("store", "study", "load")


@dataclass(frozen=True)
class Figure:
    """One line of the budget: where its value comes from, and its target (if it has one)."""

    key: str
    label: str
    unit: str
    target: float | None = None
    """The figure must stay below this (or, for counts, at or below it); ``None``: reported."""
    at_least: bool = False
    """The target is a floor instead: the figure must reach it."""
    inclusive: bool = False
    """The figure may equal its ceiling (always so for counts, whose unit is "")."""

    def met(self, value: float | None) -> bool | None:
        if self.target is None or value is None:
            return None
        if self.at_least:
            return value >= self.target
        return value <= self.target if self.unit == "" or self.inclusive else value < self.target

    @property
    def sign(self) -> str:
        if self.at_least:
            return "≥"
        return "≤" if self.unit == "" or self.inclusive else "<"


FIGURES = (
    Figure("next_due_p95_ms", "SQLite: next due item, p95", "ms", 5.0),
    Figure("review_p95_ms", "SQLite: record a review, p95", "ms", 5.0),
    Figure("next_due_p50_ms", "SQLite: next due item, p50", "ms"),
    Figure("review_p50_ms", "SQLite: record a review, p50", "ms"),
    Figure("postgres_next_due_p95_ms", "PostgreSQL: next due item, p95", "ms"),
    Figure("postgres_review_p95_ms", "PostgreSQL: record a review, p95", "ms"),
    Figure("postgres_next_due_p50_ms", "PostgreSQL: next due item, p50", "ms"),
    Figure("postgres_review_p50_ms", "PostgreSQL: record a review, p50", "ms"),
    Figure("browser_review_p95_ms", "Chromium: rating → next card, p95", "ms", 300.0),
    Figure("browser_review_p50_ms", "Chromium: rating → next card, p50", "ms"),
    Figure("cold_start_s", "Cold start: `stride run` → healthy", "s", 5.0),
    Figure("cold_first_card_s", "Cold start: → first card on screen", "s"),
    Figure("load_p95_ms", "Load: rating → next card, p95", "ms"),
    Figure("load_p50_ms", "Load: rating → next card, p50", "ms"),
    Figure("load_errors", "Load: errors", "", 0),
    Figure("load_lost", "Load: reviews lost", "", 0),
    Figure("load_extra", "Load: reviews recorded, never acknowledged", ""),
)


def summarise(
    store: Mapping[str, Any] | None,
    postgres: Mapping[str, Any] | None,
    study: Mapping[str, Any] | None,
    load: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The budget's JSON object from each suite's result (``None``: not run)."""

    def pick(result: Mapping[str, Any] | None, key: str) -> Any:
        return None if result is None else result.get(key)

    values: dict[str, Any] = {}
    for name in ("next_due_p50_ms", "next_due_p95_ms", "review_p50_ms", "review_p95_ms"):
        values[name] = pick(store, name)
        values[f"postgres_{name}"] = pick(postgres, name)
    values["browser_review_p50_ms"] = pick(study, "review_p50_ms")
    values["browser_review_p95_ms"] = pick(study, "review_p95_ms")
    values["cold_start_s"] = pick(study, "cold_start_s")
    values["cold_first_card_s"] = pick(study, "cold_first_card_s")
    values["load_p50_ms"] = pick(load, "p50_ms")
    values["load_p95_ms"] = pick(load, "p95_ms")
    values["load_errors"] = pick(load, "errors")
    values["load_lost"] = pick(load, "lost")
    values["load_extra"] = pick(load, "extra")
    values["load_acknowledged"] = pick(load, "acknowledged")
    values["load_recorded"] = pick(load, "recorded")
    values["load_sessions"] = pick(load, "sessions")
    values["load_seconds"] = pick(load, "seconds")
    targets = {f.key: f.target for f in FIGURES if f.target is not None}
    met = {f.key: f.met(values.get(f.key)) for f in FIGURES if f.target is not None}
    return {
        **values,
        "targets": targets,
        "met": met,
        "all_met": all(ok is True for ok in met.values()),
        "details": {
            "store_sqlite": store,
            "store_postgres": postgres,
            "study": study,
            "load": load,
        },
    }


def format_table(budget: Mapping[str, Any], figures: Sequence[Figure] = FIGURES) -> str:
    """The figures as an aligned table: value, target, met/missed."""
    rows = [("figure", "value", "target", "")]
    for figure in figures:
        value = budget.get(figure.key)
        if value is None and figure.key.startswith("postgres_"):
            continue
        shown = "—" if value is None else f"{value:g} {figure.unit}".strip()
        target = ""
        if figure.target is not None:
            target = f"{figure.sign} {figure.target:g} {figure.unit}".strip()
        verdict = {True: "met", False: "MISSED", None: ""}[figure.met(value)]
        rows.append((figure.label, shown, target, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        f"{label:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  {verdict}".rstrip()
        for label, value, target, verdict in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _progress(message: str) -> None:
    print(f"[stride bench] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from quiz.benchmarks import load, store_latency, study_browser

    sizes = {
        "users": args.users,
        "items": args.items,
        "reviews": args.log_rows,
        "samples": args.samples,
    }
    results: dict[str, dict[str, Any] | None] = {}
    failures: dict[str, str] = {}

    def attempt(name: str, message: str, work: Callable[[], dict[str, Any]]) -> None:
        _progress(message)
        try:
            results[name] = work()
        except Exception as error:  # one broken suite must not hide the others' figures
            failures[name] = f"{type(error).__name__}: {error}"
            _progress(f"{name} failed: {failures[name]}")

    started = time.perf_counter()
    if "store" in args.suites:
        attempt(
            "store",
            f"store: SQLite, {args.users} users × {args.items} items, {args.log_rows:,} rows",
            lambda: store_latency.run_sqlite(args.db, **sizes),
        )
        if args.postgres_url:
            attempt(
                "postgres",
                "store: PostgreSQL (a scratch database, dropped after)",
                lambda: store_latency.run_postgres(args.postgres_url, **sizes),
            )
    if "study" in args.suites:
        attempt(
            "study",
            f"study: Chromium, {args.reviews} reviews and {args.starts} cold starts",
            lambda: study_browser.measure(args.reviews, args.starts),
        )
    if "load" in args.suites:
        attempt(
            "load",
            f"load: {args.load_sessions} sessions for {args.load_seconds:g} s",
            lambda: load.measure(args.load_sessions, args.load_seconds),
        )
    budget = summarise(*(results.get(name) for name in ("store", "postgres", "study", "load")))
    budget["failures"] = failures
    budget["elapsed_s"] = round(time.perf_counter() - started, 1)
    return budget


def _suites(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SUITES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {','.join(SUITES)}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench budget",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--postgres-url", help="also time the store on this PostgreSQL server (scratch database)"
    )
    parser.add_argument("--reviews", type=int, default=50, help="timed reviews in Chromium")
    parser.add_argument("--starts", type=int, default=3, help="cold starts (median reported)")
    parser.add_argument("--load-seconds", type=float, default=60, help="load: how long")
    parser.add_argument("--load-sessions", type=int, default=4, help="load: browser contexts")
    parser.add_argument("--users", type=int, default=200, help="store: students")
    parser.add_argument("--items", type=int, default=500, help="store: items")
    parser.add_argument("--log-rows", type=int, default=1_000_000, help="store: review-log rows")
    parser.add_argument("--samples", type=int, default=1000, help="store: timed rounds")
    parser.add_argument("--db", type=Path, help="store: SQLite file to build once and reuse")
    parser.add_argument(
        "--suites", type=_suites, default=SUITES, help="which to run (default: store,study,load)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    numbers = (args.reviews, args.starts, args.load_sessions, args.users, args.items)
    if min(*numbers, args.log_rows, args.samples) < 1 or args.load_seconds <= 0:
        parser.error("sizes, counts and --load-seconds must be positive")
    budget = run(args)
    if args.json:
        print(json.dumps(budget, indent=2))
    else:
        print(format_table(budget))
        for name, failure in budget["failures"].items():
            print(f"{name}: FAILED: {failure}")
        print(f"\n({budget['elapsed_s']} s; `stride bench budget --json` for the details)")
    return 1 if args.check and (budget["failures"] or not budget["all_met"]) else 0


if __name__ == "__main__":
    sys.exit(main())
