"""The study flow in a real Chromium: keyboard shortcuts, KaTeX, and progress kept on reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from quiz.decks import parse_deck_file
from quiz.exercises.registry import get_family
from tests.support import BUILTIN_DECK

pytestmark = pytest.mark.browser


def _wait_for_app(page: Page) -> None:
    expect(page.get_by_role("heading", name=re.compile("Study|Stride"))).to_be_visible(
        timeout=30_000
    )
    page.wait_for_load_state("networkidle")


def _front(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".st-key-study_front")


def _back(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".st-key-study_back")


def test_reveal_rate_with_the_keyboard_and_reload(
    page: Page, app_url: str, screenshot_dir: Path
) -> None:
    page.goto(f"{app_url}/study")
    _wait_for_app(page)
    expect(_front(page)).to_contain_text("image tensor")
    expect(_front(page).locator(".katex").first).to_be_visible()
    # Space is the button's shortcut: press it once the button (and so its shortcut) is there,
    # as a person who sees it does (on a busy machine the card can be drawn a moment before).
    expect(page.get_by_role("button", name="Show answer")).to_be_enabled()

    page.keyboard.press("Space")
    expect(_back(page)).to_be_visible()
    expect(_back(page).locator(".katex-display")).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile("Good · 10m"))).to_be_visible()
    page.screenshot(path=screenshot_dir / "study-answer.png", full_page=True)

    page.keyboard.press("3")  # Good
    expect(_front(page)).to_contain_text("dot product")
    expect(page.get_by_text("1 answered this session")).to_be_visible()

    page.reload()
    _wait_for_app(page)
    # The first card is now learning (due in 10 minutes), so the next new card is shown.
    expect(_front(page)).to_contain_text("dot product")
    page.goto(app_url)
    _wait_for_app(page)
    metrics = page.locator("[data-testid=stMetricValue]")
    expect(metrics.nth(0)).to_have_text("19")  # New: the daily limit of 20, one introduced
    expect(metrics.nth(1)).to_have_text("1")  # Learning


EXERCISE_CAPTION = re.compile(r"([a-z0-9-]+) seed (\d+), difficulty (\d)")


@pytest.mark.parametrize("app_env", [{"STRIDE_NEW_CARDS_PER_DAY": "1000"}])
def test_every_builtin_card_renders_its_maths(
    page: Page, app_url: str, screenshot_dir: Path
) -> None:
    """Study the whole built-in deck: each card's maths renders; each exercise can be solved."""
    items = parse_deck_file(BUILTIN_DECK).cards
    page.set_viewport_size({"width": 1100, "height": 2000})  # room for the longest card
    page.goto(f"{app_url}/study")
    _wait_for_app(page)
    for number, item in enumerate(items, start=1):
        if item.exercise is not None:
            _solve_exercise_item(page)
        else:
            _check_flashcard(page, item.front, item.back)
            page.locator("[data-testid=stMainBlockContainer]").screenshot(
                path=screenshot_dir / f"builtin-card-{number:02d}.png"
            )
            expect(page.get_by_role("button", name=re.compile("Good"))).to_be_visible()
            page.keyboard.press("3")
        expect(page.get_by_text(f"{number} answered this session")).to_be_visible()


def _check_flashcard(page: Page, front: str, back: str) -> None:
    expect(_front(page)).to_be_visible()
    # Clicked here (the keyboard shortcut has its own test), so a slow machine cannot drop it.
    page.get_by_role("button", name=re.compile("Show answer")).click()
    expect(_back(page)).to_be_visible()
    for side, source in ((_front(page), front), (_back(page), back)):
        if "$" in source or "\\[" in source:
            expect(side.locator(".katex").first).to_be_visible()
        expect(side.locator(".katex-error")).to_have_count(0)
        text = side.inner_text()
        assert "\\[" not in text and "\\]" not in text and "$$" not in text, text


def _solve_exercise_item(page: Page) -> None:
    caption = page.get_by_text(EXERCISE_CAPTION)
    expect(caption).to_be_visible()
    found = EXERCISE_CAPTION.search(caption.inner_text())
    assert found is not None
    exercise = get_family(found[1]).make(int(found[2]), int(found[3]))
    expect(page.locator(".st-key-study_exercise .katex").first).to_be_visible()
    if exercise.answer_kind in ("matrix", "tensor"):
        page.get_by_role("radio", name="Text").click()
    page.get_by_role("textbox", name="Your answer").fill(exercise.answer)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("Correct.")).to_be_visible()
    page.get_by_role("button", name=re.compile("Continue")).click()
