"""``stride bench pages`` at the smallest sizes, in a real Chromium: every figure comes back
(so the benchmark cannot rot unnoticed when a page or the Study flow changes)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from quiz.benchmarks import pages_browser

pytestmark = pytest.mark.browser

FIGURES_MS = (
    "page_first_draw_p50_ms",
    "page_first_draw_p95_ms",
    "page_click_p50_ms",
    "page_click_p95_ms",
    "page_goto_p50_ms",
    "page_goto_p95_ms",
    "page_first_draw_slowest_p95_ms",
    "next_item_p50_ms",
    "next_item_p95_ms",
    "next_item_max_ms",
    "next_flashcard_p50_ms",
    "next_flashcard_p95_ms",
    "next_exercise_p50_ms",
    "next_exercise_p95_ms",
    "exercise_check_p50_ms",
    "exercise_check_p95_ms",
)
FIGURES_S = (
    "cold_first_card_s",
    "cold_healthy_s",
    "bare_first_paint_s",
    "bare_healthy_s",
    "cold_start_ratio",
)


def test_every_figure_is_measured_at_the_smallest_sizes(chromium_path: str) -> None:
    started = time.monotonic()
    # In a thread of its own: a Playwright test run earlier in this worker (pytest-playwright's
    # fixtures) keeps an event loop running in this thread, where the sync API will not start.
    with ThreadPoolExecutor(max_workers=1) as thread:
        result = thread.submit(pages_browser.measure, loads=1, items=4, starts=1).result()
    elapsed = time.monotonic() - started

    for key in FIGURES_MS:
        assert isinstance(result[key], float) and 0 < result[key] < 60_000, (key, result[key])
    for key in FIGURES_S:
        assert isinstance(result[key], float) and 0 < result[key] < 120, (key, result[key])
    assert result["next_flashcards"] == 3 and result["next_exercises"] == 1  # F, F, E, F
    pages = result["page_first_draw"]
    expected = {f"local/{spec.name}" for spec in pages_browser.PAGES if not spec.classroom_only}
    expected |= {f"classroom/{spec.name}" for spec in pages_browser.PAGES}
    assert set(pages) == expected
    for name, figures in pages.items():
        ways = ("click", "goto") if name.startswith("local/") else ("click",)
        wanted = {
            f"{how}_{figure}" for how in ways for figure in ("p50_ms", "p95_ms", "run_p50_ms")
        }
        assert wanted | {"server_first_ms"} == set(figures), name
        assert all(value > 0 for value in figures.values()), (name, figures)
    for flag in ("page_first_draw_met", "next_item_met", "cold_start_met"):
        assert isinstance(result[flag], bool)
    json.dumps(result, allow_nan=False)
    print(f"\nstride bench pages --loads 1 --items 4 --starts 1: {elapsed:.0f} s")
