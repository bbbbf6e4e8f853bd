"""Practice in a real Chromium: type a wrong answer, read the feedback, then the right one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from quiz.exercises.registry import get_family

pytestmark = pytest.mark.browser


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Practice")).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")


def _answer(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Your answer")
    box.fill(text)
    page.get_by_role("button", name="Check").click()


def test_shape_problem_wrong_then_right(page: Page, app_url: str, screenshot_dir: Path) -> None:
    exercise = get_family("conv-output-size").make(7, 2)
    _open(page, f"{app_url}/practice?family=conv-output-size&seed=7&difficulty=2")
    expect(page.locator(".st-key-practice_prompt .katex").first).to_be_visible()

    _answer(page, "48 by 4x")
    expect(page.get_by_text(re.compile("expected"))).to_be_visible()

    _answer(page, "128 x 62 x 62")  # the +1 forgotten
    expect(page.get_by_text(re.compile(r"Incorrect: score 0%"))).to_be_visible()
    expect(page.get_by_text(re.compile("You left out the"))).to_be_visible()
    page.screenshot(path=screenshot_dir / "practice-wrong.png", full_page=True)

    _answer(page, exercise.answer)
    expect(page.get_by_text("Correct.")).to_be_visible()
    page.get_by_role("button", name="Worked solution").click()
    expect(page.get_by_text(re.compile("Channels: one per filter"))).to_be_visible()
    solution = page.locator(".st-key-practice_solution")
    expect(solution.locator(".katex").first).to_be_visible()
    assert "\\[" not in solution.inner_text()


def test_gradient_problem_typed_as_text(page: Page, app_url: str, screenshot_dir: Path) -> None:
    family = get_family("conv-grad-weight")
    exercise = family.make(5, 1)
    _open(page, f"{app_url}/practice?family=conv-grad-weight&seed=5&difficulty=1")
    expect(page.locator(".st-key-practice_prompt .katex-display").first).to_be_visible()
    page.get_by_role("radio", name="Text").click()
    box = page.get_by_role("textbox", name="Your answer")
    expect(box).to_be_visible()

    box.fill("-4 12\n7 1")  # the flipped answer
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text(re.compile(r"Not quite|Incorrect"))).to_be_visible()
    expect(page.get_by_text(re.compile("flip", re.IGNORECASE)).first).to_be_visible()
    expect(page.locator(".js-plotly-plot:visible").first).to_be_visible()  # per-cell marks
    page.screenshot(path=screenshot_dir / "practice-gradient-wrong.png", full_page=True)

    box.fill(exercise.answer)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("Correct.")).to_be_visible()
    page.get_by_role("button", name="Worked solution").click()
    expect(page.locator(".st-key-practice_solution .js-plotly-plot").first).to_be_visible()
    page.set_viewport_size({"width": 1100, "height": 2400})
    page.screenshot(path=screenshot_dir / "practice-gradient-solution.png", full_page=True)
