"""``stride bench study``: rating a card → the next card on screen, and cold start, in Chromium.

Rating: serves the app (as ``stride run`` does: ``streamlit run app.py``) on a new SQLite file
holding the built-in deck and generated flashcards (the exercise items are suspended, so every
item is a flashcard; the daily new-card limit is lifted), opens the Study page and, for each of
``--reviews`` cards, presses "Show answer", then "Good". Each step is timed inside the page, as a
user would feel it: from the click event until the new state is in the document (a
MutationObserver) — for "Good", until the progress line counts the answer, the answer side is
gone and the next card's "Show answer" is there. Before each click it waits, as a reader does,
for the page's script run to end (a click during a run can be lost). Target: p95 under 300 ms
over 50 reviews.

Cold start: the time from launching ``stride run`` (a fresh process, on a database migrated and
seeded already) until ``/_stcore/health`` answers ``ok``; and, for information, until the Study
page shows its first card in a new browser tab. Target: under 5 s (the median of ``--starts``).
Needs Chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.benchmarks.server import (
    chromium_args,
    find_chromium,
    free_port,
    launched,
    poll_health,
    running_app,
)
from quiz.benchmarks.store_latency import generated_deck
from quiz.benchmarks.timing import percentile
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import Actor
from quiz.services.deck_browser import suspend
from quiz.services.decks import import_deck
from quiz.store.models import Card
from quiz.vocabulary import CARD_KIND_EXERCISE

TARGET_REVIEW_P95_MS = 300.0
TARGET_COLD_START_S = 5.0
WARMUP_REVIEWS = 3
STUDY_ENV = {"STRIDE_NEW_CARDS_PER_DAY": "9999"}
"""Server settings for studying many cards in a row (no daily limit on new cards)."""

# The page-side stopwatch: ``t0`` at the click (or key) event, ``seen`` at the first DOM
# mutation after which ``check()`` holds. Set ``check`` before each click.
WATCH = """() => {
  const s = window.__stride = {t0: null, seen: null, check: null};
  const start = () => { s.t0 = performance.now(); s.seen = null; };
  document.addEventListener("click", start, true);
  document.addEventListener("keydown", start, true);
  new MutationObserver(() => {
    if (s.t0 !== null && s.seen === null && s.check && s.check()) s.seen = performance.now();
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""
EXPECT_ANSWER = """() => { window.__stride.check = () =>
  !!document.querySelector(".st-key-study_back")
  && [...document.querySelectorAll("button")].some((b) => b.textContent.startsWith("Good"));
}"""
EXPECT_NEXT_CARD = """(want) => { window.__stride.check = () => {
  const progress = document.querySelector("[data-testid=stProgress]");
  return !!progress && progress.textContent.trim().startsWith(want)
    && !document.querySelector(".st-key-study_back")
    && !!document.querySelector(".st-key-study_front")
    && [...document.querySelectorAll("button")].some((b) => b.textContent.includes("Show answer"));
}; }"""
ANSWERED = """() => {
  const progress = document.querySelector("[data-testid=stProgress]");
  const found = progress && progress.textContent.trim().match(/^(\\d+) answered/);
  return found ? Number(found[1]) : -1;
}"""
ANSWERED_WHEN_SHOWN = f"""() => {{
  const answered = ({ANSWERED})();
  return answered >= 0 ? String(answered) : null;
}}"""
"""The progress line's count as a string (so 0 is truthy for ``wait_for_function``)."""
SEEN = "() => window.__stride.seen !== null"
IDLE = """() => document.querySelector('[data-test-script-state]')
  ?.getAttribute('data-test-script-state') === 'notRunning'"""
"""The app's script run is over. A click while a run is still going can be lost (seen with
Streamlit 1.67), so the benchmark, like a reader, waits for it before the next click."""
ELAPSED = "() => window.__stride.seen - window.__stride.t0"


def prepare_database(
    data_dir: str,
    flashcards: int,
    add_learners: Callable[[Session], list[Actor]] | None = None,
) -> tuple[str, list[Actor]]:
    """Migrate ``data_dir/stride.db``, load the built-in decks and ``flashcards`` generated
    ones, and suspend every exercise item for the learners: the local user, or those that
    ``add_learners`` creates. Return the database URL and the learners."""
    url = f"sqlite:///{Path(data_dir) / 'stride.db'}"
    stride = Stride.open(url)
    try:
        now = utc_now()
        with stride.transaction() as session:
            import_deck(session, generated_deck(flashcards), now, slug="stride-bench-study")
            learners = add_learners(session) if add_learners else [stride.local_actor]
            exercises = list(
                session.scalars(select(Card.id).where(Card.kind == CARD_KIND_EXERCISE))
            )
            for learner in learners:
                suspend(session, learner, exercises, now)
    finally:
        stride.close()
    return url, learners


def stride_command() -> list[str]:
    """The ``stride`` console script of this environment (or ``python -m quiz.cli``)."""
    script = Path(sys.executable).with_name("stride")
    return [str(script)] if script.exists() else [sys.executable, "-m", "quiz.cli"]


def cold_start(data_dir: str, page: Any | None = None, timeout: float = 60) -> dict[str, float]:
    """Launch ``stride run`` on ``data_dir``; seconds until healthy (and until the first card)."""
    port = free_port()
    environment = {**os.environ, "STRIDE_DATA_DIR": data_dir}
    environment.pop("STRIDE_DATABASE_URL", None)
    command = [
        *stride_command(),
        "run",
        "--port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
    ]
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    with launched(command, env=environment) as process:
        healthy = poll_health(url, process, start + timeout) - start
        result = {"healthy_s": round(healthy, 2)}
        if page is not None:
            page.goto(f"{url}/study")
            page.locator(".st-key-study_front").wait_for(timeout=timeout * 1000)
            result["first_card_s"] = round(time.perf_counter() - start, 2)
        return result


def review_once(page: Any, answered: int, *, keyboard: bool = False) -> tuple[float, float]:
    """Show the answer, rate Good; the in-page milliseconds of each step."""
    page.evaluate(EXPECT_ANSWER)
    if keyboard:
        page.keyboard.press("Space")
    else:
        page.get_by_role("button", name="Show answer").click()
    wait_seen(page, "the answer side after Show answer")
    reveal = float(page.evaluate(ELAPSED))
    page.wait_for_function(IDLE)  # a reader reads the answer first: rate once the run is over
    want = f"{answered + 1} answered this session"
    page.evaluate(EXPECT_NEXT_CARD, want)
    if keyboard:
        page.keyboard.press("3")
    else:
        page.get_by_role("button", name="Good", exact=False).first.click()
    wait_seen(page, f"the next card with {want!r} after Good")
    review = float(page.evaluate(ELAPSED))
    page.wait_for_function(IDLE)
    return reveal, review


def wait_seen(page: Any, what: str) -> None:
    """Wait for the stopwatch to stop; on a timeout, say what the page showed instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(SEEN)
    except PlaywrightTimeoutError:
        state = page_state(page)
        raise RuntimeError(f"timed out waiting for {what}; the page showed {state}") from None


PAGE_STATE = """() => ({
  progress: document.querySelector("[data-testid=stProgress]")?.textContent ?? null,
  front: !!document.querySelector(".st-key-study_front"),
  back: !!document.querySelector(".st-key-study_back"),
  buttons: [...document.querySelectorAll("button")].map((b) => b.textContent.trim()),
  script: document.querySelector("[data-test-script-state]")
    ?.getAttribute("data-test-script-state") ?? null,
  exception: document.querySelector("[data-testid=stException]")?.textContent ?? null,
  stopwatch: window.__stride ? [window.__stride.t0, window.__stride.seen] : null,
})"""


def page_state(page: Any) -> str:
    """What the Study page shows, in one line (for error messages)."""
    return json.dumps(page.evaluate(PAGE_STATE))[:600]


def measure(reviews: int, starts: int, *, keyboard: bool = False) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("stride bench study needs Chromium: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="stride-bench-study-") as data, sync_playwright() as p:
        prepare_database(data, flashcards=reviews + WARMUP_REVIEWS)
        browser = p.chromium.launch(executable_path=chromium, args=chromium_args())
        starts_result = []
        for _ in range(starts):
            context = browser.new_context(viewport={"width": 1100, "height": 900})
            starts_result.append(cold_start(data, context.new_page()))
            context.close()
        with running_app(data, env=STUDY_ENV) as url:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(f"{url}/study")
            page.locator(".st-key-study_front").wait_for()
            page.get_by_role("button", name="Show answer").wait_for()
            page.evaluate(WATCH)
            shown = int(page.wait_for_function(ANSWERED_WHEN_SHOWN).json_value())
            reveal_ms, review_ms = [], []
            for number in range(WARMUP_REVIEWS + reviews):
                reveal, review = review_once(page, shown + number, keyboard=keyboard)
                if number >= WARMUP_REVIEWS:
                    reveal_ms.append(reveal)
                    review_ms.append(review)
        browser.close()
    healthy = [start["healthy_s"] for start in starts_result]
    first_card = [start["first_card_s"] for start in starts_result]
    return {
        "reviews": reviews,
        "input": "keyboard" if keyboard else "click",
        "review_p50_ms": round(percentile(review_ms, 50), 1),
        "review_p95_ms": round(percentile(review_ms, 95), 1),
        "review_max_ms": round(max(review_ms), 1),
        "reveal_p50_ms": round(percentile(reveal_ms, 50), 1),
        "reveal_p95_ms": round(percentile(reveal_ms, 95), 1),
        "cold_start_s": round(statistics.median(healthy), 2),
        "cold_start_runs_s": healthy,
        "cold_first_card_s": round(statistics.median(first_card), 2),
        "target_review_p95_ms": TARGET_REVIEW_P95_MS,
        "target_cold_start_s": TARGET_COLD_START_S,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench study",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--reviews", type=int, default=50, help="timed reviews")
    parser.add_argument("--starts", type=int, default=3, help="cold starts (median reported)")
    parser.add_argument("--keyboard", action="store_true", help="press Space and 3, not click")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.reviews < 1 or args.starts < 1:
        parser.error("--reviews and --starts must be positive")
    result = measure(args.reviews, args.starts, keyboard=args.keyboard)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Study in Chromium, {result['reviews']} reviews ({result['input']})")
    print(
        f"  Good → next card  p50 {result['review_p50_ms']:.0f} ms  "
        f"p95 {result['review_p95_ms']:.0f} ms  (target p95 < {TARGET_REVIEW_P95_MS:.0f} ms)"
    )
    print(
        f"  Show answer       p50 {result['reveal_p50_ms']:.0f} ms  "
        f"p95 {result['reveal_p95_ms']:.0f} ms"
    )
    print(
        f"  cold start of `stride run` to healthy: {result['cold_start_s']} s (median of "
        f"{result['cold_start_runs_s']}; target < {TARGET_COLD_START_S:g} s); first card on "
        f"screen {result['cold_first_card_s']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
