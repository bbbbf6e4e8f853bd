"""The study flow in a real Chromium: keyboard shortcuts, KaTeX, and progress kept on reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from quiz.decks import parse_deck_file
from tests.support import SEED_DECK

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
    expect(page.get_by_text("11", exact=True)).to_be_visible()  # New
    expect(page.get_by_text("1", exact=True)).to_be_visible()  # Learning


def test_every_seed_card_renders_its_maths(page: Page, app_url: str, screenshot_dir: Path) -> None:
    cards = parse_deck_file(SEED_DECK).cards
    page.set_viewport_size({"width": 1100, "height": 2000})  # room for the longest card
    page.goto(f"{app_url}/study")
    _wait_for_app(page)
    for number, card in enumerate(cards, start=1):
        expect(_front(page)).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("Show answer"))).to_be_visible()
        page.keyboard.press("Space")
        expect(_back(page)).to_be_visible()
        for side, source in ((_front(page), card.front), (_back(page), card.back)):
            if "$" in source or "\\[" in source:
                expect(side.locator(".katex").first).to_be_visible()
            expect(side.locator(".katex-error")).to_have_count(0)
            text = side.inner_text()
            assert "\\[" not in text and "\\]" not in text and "$$" not in text, text
        first_words = " ".join(card.front.split()[:3])
        assert first_words.replace("$", "")[:8] in _front(page).inner_text().replace("\n", " ")
        page.locator("[data-testid=stMainBlockContainer]").screenshot(
            path=screenshot_dir / f"seed-card-{number:02d}.png"
        )
        expect(page.get_by_role("button", name=re.compile("Good"))).to_be_visible()
        page.keyboard.press("3")
        expect(page.get_by_text(f"{number} answered this session")).to_be_visible()
