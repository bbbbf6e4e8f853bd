"""``stride bench load``: a few students studying at once in real Chromium against one server.

A smoke test of real browsers under load: a class-sized load is ``stride bench class``, which
speaks Streamlit's protocol instead (20 Chromium renderers on the same 2 cores measured
Chromium, not Stride: p95 5.5 s, while the page runs took ~13 ms). Serves the app in classroom
mode (``STRIDE_AUTH=password``) on a new SQLite file with ``--sessions`` student accounts
(default 4) and generated flashcards (exercise items suspended, no daily new-card limit). One
Chromium opens one browser context per student; each opens Study, signs in on the form shown
instead (``quiz.web.sign_in``), lands on Study and, once all are ready, studies for
``--seconds`` (default 60): "Show answer", then "Good", again and again. A review is
*acknowledged* when the next card is on screen and the progress line counts it; its latency is
timed inside the page, from the click to that moment (as in :mod:`quiz.benchmarks.study_browser`).

Reported: p50/p95 review latency over all sessions, errors (uncaught page errors, steps that
time out, Streamlit exception boxes), and, from the database afterwards, the review-log rows of
each student: ``lost`` = acknowledged reviews with no row, ``extra`` = rows never acknowledged
(a review still in flight when a step timed out). Targets: 0 errors, 0 lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from quiz.benchmarks.server import chromium_args, find_chromium, running_app
from quiz.benchmarks.study_browser import (
    ANSWERED,
    ANSWERED_WHEN_SHOWN,
    ELAPSED,
    EXPECT_ANSWER,
    EXPECT_NEXT_CARD,
    IDLE,
    SEEN,
    STUDY_ENV,
    WATCH,
    prepare_database,
)
from quiz.benchmarks.timing import percentile
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user
from quiz.store.models import ReviewLog, User
from quiz.vocabulary import ROLE_STUDENT

PASSWORD = "load-bench-password-1"
STEP_TIMEOUT_MS = 30_000
SIGN_IN_ATTEMPTS = 5
EXCEPTION = "[data-testid=stException]"
SIGN_IN_REFUSED = "p.error[role=alert]"
"""The sign-in form's message when it comes back (``quiz.web.sign_in_form``)."""
CARDS_PER_SECOND = 5
"""Generated flashcards per second of studying (each gives two reviews: new, then learning)."""


@dataclass
class Session:
    """What one browser context did: acknowledged reviews, their latencies, its errors."""

    username: str
    acknowledged: int = 0
    review_ms: list[float] = field(default_factory=list)
    reveal_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def create_students(session: OrmSession, count: int) -> list[Actor]:
    """``count`` student accounts (``load01`` …) with :data:`PASSWORD`."""
    now = utc_now()
    accounts = [
        create_user(session, COMMAND_LINE, f"load{number:02d}", ROLE_STUDENT, PASSWORD, now)
        for number in range(1, count + 1)
    ]
    return [Actor(account.user_id, account.username, ROLE_STUDENT) for account in accounts]


def recorded_reviews(url: str) -> dict[str, int]:
    """Review-log rows per username."""
    stride = Stride.open(url, load_builtin=False)
    try:
        with stride.transaction() as session:
            rows = session.execute(
                select(User.username, func.count(ReviewLog.id))
                .join(ReviewLog, ReviewLog.user_id == User.id)
                .group_by(User.username)
            ).all()
    finally:
        stride.close()
    return {username: int(count) for username, count in rows}


def rounded_percentile(samples: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile in 0.1 ms, or ``None`` without samples (JSON has no NaN)."""
    return round(percentile(samples, q), 1) if samples else None


def error_kinds(messages: Iterable[str]) -> dict[str, int]:
    """How many errors of each kind (the text before the first colon: ``sign-in``, ``study``,
    ``page error``, ``set-up failed``)."""
    return dict(Counter(message.split(":", 1)[0] for message in messages))


def reconcile(acknowledged: Mapping[str, int], recorded: Mapping[str, int]) -> dict[str, int]:
    """Acknowledged reviews against stored rows, per user: lost (acknowledged, not stored) and
    extra (stored, never acknowledged), summed over users."""
    names = set(acknowledged) | set(recorded)
    lost = sum(max(0, acknowledged.get(n, 0) - recorded.get(n, 0)) for n in names)
    extra = sum(max(0, recorded.get(n, 0) - acknowledged.get(n, 0)) for n in names)
    return {
        "acknowledged": sum(acknowledged.values()),
        "recorded": sum(recorded.get(n, 0) for n in acknowledged),
        "lost": lost,
        "extra": extra,
    }


async def _sign_in_and_open_study(page: Any, url: str, username: str, errors: list[str]) -> None:
    """Open Study signed out, which shows the sign-in form, and sign in: the form continues to
    Study. After an error the student opens Study again (signed in by then, or the form again)."""
    study = page.get_by_role("button", name="Show answer")
    form = page.get_by_role("heading", name="Sign in to Stride")
    for _attempt in range(SIGN_IN_ATTEMPTS):
        await page.goto(f"{url}/study")
        await form.or_(study).or_(page.locator(EXCEPTION)).first.wait_for()
        if await form.count():
            await page.get_by_label("Username").fill(username)
            await page.get_by_label("Password", exact=True).fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            refused = page.locator(SIGN_IN_REFUSED)
            await study.or_(page.locator(EXCEPTION)).or_(refused).first.wait_for()
            if await refused.count():
                errors.append(f"sign-in: refused: {await refused.first.inner_text()}")
                continue
        if await study.count():
            break
        errors.append(f"sign-in: exception on the page: {await _exception_text(page)}")
    else:
        raise RuntimeError(f"not signed in after {SIGN_IN_ATTEMPTS} attempts")
    await page.locator(".st-key-study_front").wait_for()
    await study.wait_for()


async def _exception_text(page: Any) -> str:
    text = await page.locator(EXCEPTION).first.inner_text()
    lines = [line for line in text.splitlines() if line.strip()]
    return " | ".join(lines[:2])[:300]


async def _study(
    browser: Any,
    url: str,
    username: str,
    signing_in: asyncio.Semaphore,
    ready: asyncio.Queue[str],
    start: asyncio.Event,
    clock: dict[str, float],
) -> Session:
    outcome = Session(username)
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.on("pageerror", lambda error: outcome.errors.append(f"page error: {error}"))
    try:
        async with signing_in:
            await _sign_in_and_open_study(page, url, username, outcome.errors)
        await page.evaluate(WATCH)
        shown = int(await (await page.wait_for_function(ANSWERED_WHEN_SHOWN)).json_value())
    except Exception as error:  # counted, reported
        first_line = str(error).splitlines()[0] if str(error) else ""
        outcome.errors.append(f"set-up failed: {type(error).__name__}: {first_line}")
        await ready.put(username)
        await context.close()
        return outcome
    await ready.put(username)
    await start.wait()
    while time.monotonic() < clock["deadline"]:
        step = "study: Show answer"
        try:
            await page.evaluate(EXPECT_ANSWER)
            await page.get_by_role("button", name="Show answer").click()
            await page.wait_for_function(SEEN)
            reveal = float(await page.evaluate(ELAPSED))
            await page.wait_for_function(IDLE)
            step = "study: rate Good"
            await page.evaluate(EXPECT_NEXT_CARD, f"{shown + 1} answered this session")
            await page.get_by_role("button", name="Good", exact=False).first.click()
            await page.wait_for_function(SEEN)
            outcome.review_ms.append(float(await page.evaluate(ELAPSED)))
            outcome.reveal_ms.append(reveal)
            outcome.acknowledged += 1
            shown += 1
            step = "study: wait for the run to end"
            await page.wait_for_function(IDLE)
        except Exception as error:  # a timeout or a closed page: counted
            first_line = str(error).splitlines()[0] if str(error) else ""
            outcome.errors.append(f"{step}: {type(error).__name__}: {first_line[:200]}")
            if len(outcome.errors) > 20:
                break
            try:
                shown = max(shown, int(await page.evaluate(ANSWERED)))
            except Exception:  # the page is gone
                break
        if await page.locator(EXCEPTION).count():
            outcome.errors.append(f"study: exception on the page: {await _exception_text(page)}")
            break
    await context.close()
    return outcome


async def _drive(url: str, usernames: Sequence[str], seconds: float) -> tuple[list[Session], float]:
    from playwright.async_api import async_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("stride bench load needs Chromium: apt-get install chromium")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=chromium_args())
        signing_in = asyncio.Semaphore(4)
        ready: asyncio.Queue[str] = asyncio.Queue()
        start = asyncio.Event()
        clock = {"deadline": float("inf")}
        tasks = [
            asyncio.create_task(_study(browser, url, name, signing_in, ready, start, clock))
            for name in usernames
        ]
        for _ in usernames:
            await ready.get()
        began = time.monotonic()
        clock["deadline"] = began + seconds
        start.set()
        sessions = await asyncio.gather(*tasks)
        elapsed = time.monotonic() - began
        await browser.close()
    return list(sessions), elapsed


def measure(sessions: int, seconds: float, *, log: str | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="stride-bench-load-") as data:
        url, students = prepare_database(
            data,
            flashcards=int(seconds * CARDS_PER_SECOND) + 20,
            add_learners=lambda session: create_students(session, sessions),
        )
        env = {**STUDY_ENV, "STRIDE_AUTH": "password"}
        with running_app(data, env=env, log=log) as app_url:
            outcomes, elapsed = asyncio.run(
                _drive(app_url, [student.username for student in students], seconds)
            )
            time.sleep(1)  # let a last in-flight write land before counting
        recorded = recorded_reviews(url)
    review_ms = [ms for outcome in outcomes for ms in outcome.review_ms]
    reveal_ms = [ms for outcome in outcomes for ms in outcome.reveal_ms]
    counts = reconcile({o.username: o.acknowledged for o in outcomes}, recorded)
    errors = [f"{o.username}: {message}" for o in outcomes for message in o.errors]
    return {
        "sessions": sessions,
        "seconds": round(elapsed, 1),  # until the last session stopped (steps in flight end)
        "reviews_per_s": round(counts["acknowledged"] / elapsed, 1) if elapsed else 0.0,
        "p50_ms": rounded_percentile(review_ms, 50),
        "p95_ms": rounded_percentile(review_ms, 95),
        "max_ms": round(max(review_ms), 1) if review_ms else None,
        "reveal_p50_ms": rounded_percentile(reveal_ms, 50),
        "reveal_p95_ms": rounded_percentile(reveal_ms, 95),
        "errors": len(errors),
        "errors_by_kind": error_kinds(o for outcome in outcomes for o in outcome.errors),
        **counts,
        "per_session": {o.username: o.acknowledged for o in outcomes},
        "error_samples": errors[:10],
        "target_errors": 0,
        "target_lost": 0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sessions", type=int, default=4, help="browser contexts (students)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they study")
    parser.add_argument("--log", type=Path, help="write the server's output to this file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.seconds <= 0:
        parser.error("--sessions and --seconds must be positive")
    result = measure(args.sessions, args.seconds, log=str(args.log) if args.log else None)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(format_result(result))
    return 0


def format_result(result: Mapping[str, Any]) -> str:
    lines = [
        f"{result['sessions']} sessions studying for {result['seconds']} s: "
        f"{result['acknowledged']} reviews acknowledged ({result['reviews_per_s']}/s), "
        f"{result['recorded']} recorded, {result['lost']} lost, {result['extra']} extra",
        f"  Good → next card  p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms;"
        f"  Show answer p50 {result['reveal_p50_ms']} ms  p95 {result['reveal_p95_ms']} ms",
        f"  errors: {result['errors']}",
    ]
    lines += [f"    {message}" for message in result["error_samples"]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
