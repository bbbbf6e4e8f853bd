"""Phone width in a real Chromium: Study, Practice and the Playground at 390 px wide.

Nothing may run off the screen: the document does not scroll sideways, and no element of the
main area reaches past the viewport's edges or past the edge of a box that scrolls sideways (a
display formula too wide for its line did, before the Playground's formulas wrapped). On the
Playground, Play and Pause sit on their own row, clear of the slider's label. Each page is
screenshotted whole, at that width, into build/screenshots/phone-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}  # an iPhone 12-15's CSS viewport
TIMEOUT = 30_000

OVERFLOW = """() => {
    const width = window.innerWidth;
    const main = document.querySelector('[data-testid=stMain]');
    const describe = (element) => {
        const box = element.getBoundingClientRect();
        const id = element.getAttribute('data-testid');
        const key = [...element.classList].find((name) => name.startsWith('st-key-'));
        const text = (element.textContent || '').trim().slice(0, 50);
        return `${element.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : ''}`
            + `${key ? '.' + key : ''} ${Math.round(box.left)}..${Math.round(box.right)}: ${text}`;
    };
    const offenders = [];
    for (const element of main.querySelectorAll('*')) {
        if (element.closest('.katex-mathml')) continue;  // MathML for screen readers, not drawn
        const style = getComputedStyle(element);
        if (style.visibility === 'hidden' || style.display === 'none') continue;
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        const drawn = /^(img|svg|canvas|input|textarea|button|video)$/i.test(element.tagName);
        if (!drawn && !element.textContent.replace(/[\\s\\u200b]/g, '')) continue;  // struts
        let left = box.left, right = box.right, sideways = false;
        for (let parent = element.parentElement; parent && parent !== main;
             parent = parent.parentElement) {
            const overflow = getComputedStyle(parent).overflowX;
            if (overflow === 'visible') continue;
            const clip = parent.getBoundingClientRect();
            if ((overflow === 'auto' || overflow === 'scroll')
                && (right > clip.right + 1 || left < clip.left - 1)) sideways = true;
            left = Math.max(left, clip.left);
            right = Math.min(right, clip.right);
        }
        const outside = right > left && (right > width + 1 || left < -1);
        if (sideways) offenders.push('past a box that scrolls sideways: ' + describe(element));
        else if (outside) offenders.push(describe(element));
    }
    return {scrollWidth: document.documentElement.scrollWidth, width, offenders};
}"""


SETTLED = """() => document.querySelector('[data-testid=stApp]').dataset.testScriptState
    === 'notRunning' && !document.querySelector(
        '[data-stale=true], [data-testid=stSkeleton], [data-testid=stSkeletonElement]')"""
"""The page's run is over, nothing is faded, and every element is drawn (a widget's code is
loaded the first time one is shown: until then a grey placeholder stands in for it)."""


def _settle(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function(SETTLED, timeout=TIMEOUT)


def _fits(page: Page, name: str, screenshot_dir: Path) -> None:
    """Nothing runs off the 390-px screen; then the whole page is screenshotted at that width."""
    found: dict[str, Any] = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["width"], f"{name} scrolls sideways: {found}"
    assert found["offenders"] == [], f"{name}: runs off the screen: {found['offenders']}"
    height = page.evaluate(
        "() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight"
    )
    page.set_viewport_size({"width": PHONE["width"], "height": height + 120})
    page.screenshot(path=screenshot_dir / f"phone-{name}.png")
    page.set_viewport_size(PHONE)


def _boxes(page: Page, selector: str) -> list[dict[str, Any]]:
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].map((element) => {
            const box = element.getBoundingClientRect();
            return {text: element.textContent, left: box.left, right: box.right,
                    top: box.top, bottom: box.bottom};
        })""",
        selector,
    )


def _apart(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


def test_study_practice_and_playground_fit_a_phone(
    page: Page, app_url: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/study")
    _settle(page, "Study")
    page.get_by_role("button", name=re.compile("Show answer")).click()
    expect(page.get_by_role("button", name=re.compile("Good · "))).to_be_visible()
    _settle(page, "Study")
    _fits(page, "study", screenshot_dir)  # the answer and the four rating buttons

    page.goto(f"{app_url}/practice?family=conv-grad-weight&seed=5&difficulty=1")
    _settle(page, "Practice")
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()  # the answer grid
    _fits(page, "practice", screenshot_dir)

    # The widest formulas the knobs allow: a transposed convolution's, every number at its
    # largest (the output is then too large to draw: the page says so instead).
    page.goto(f"{app_url}/playground?kind=conv-transpose&h=128&w=128&k=11&s=8&p=10&d=6")
    _settle(page, "Playground")
    expect(page.locator(".katex").first).to_be_visible()
    _fits(page, "playground-transposed", screenshot_dir)

    page.goto(f"{app_url}/playground?kind=conv&h=7&w=7&k=3&s=2&p=1&d=1")
    _settle(page, "Playground")
    animation = ".st-key-pg_animation .js-plotly-plot"
    expect(page.locator(f"{animation} .slider-grip-rect")).to_have_count(1, timeout=TIMEOUT)
    buttons = _boxes(page, f"{animation} .updatemenu-button")
    labels = _boxes(page, f"{animation} text.slider-label")
    label = next(box for box in labels if box["text"].startswith("Output "))  # the current one
    assert len(buttons) == 2 and all(_apart(button, label) for button in buttons), (buttons, label)
    _fits(page, "playground", screenshot_dir)
