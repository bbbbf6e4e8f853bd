"""The Playground's and the Statistics page's Plotly figures, drawn by a real Chromium.

AppTest sees the figures' data; only a browser shows that plotly.js draws them, that the
animation plays (pressing Play moves the window while the heatmaps stay drawn), and that each
Statistics tab, once clicked, draws its own figures and only those, with its name in the URL.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from quiz.runtime import Stride
from quiz.scheduling import Rating, utc_now
from quiz.services.study import answer_card, next_card
from tests.unit.test_stats_store import History

pytestmark = pytest.mark.browser

HEATMAP_LAYERS = ".js-plotly-plot .heatmaplayer image, .js-plotly-plot .hm image"
STATS_TABS = {
    "Reviews": ("stats_calendar", "stats_reviews"),  # no Review-state card yet: no retention
    "Cards": (
        "stats_forecast",
        "stats_states",
        "stats_stability",
        "stats_difficulty",
        "stats_retrievability",
    ),
    "Exercises": ("stats_family_attempts", "stats_family_accuracy", "stats_family_mastery"),
}
"""The charts each Statistics tab draws for the history written below, by widget key."""


def wait_for_page(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")


def text_outside_maths(page: Page) -> str:
    """The main area's text without KaTeX's output (whose MathML keeps the TeX source)."""
    return page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid=stMain]').cloneNode(true);
            main.querySelectorAll('.katex, script, style').forEach((node) => node.remove());
            return main.textContent;
        }"""
    )


def test_the_playground_animation_plays(page: Page, app_url: str, screenshot_dir: Path) -> None:
    page.goto(f"{app_url}/playground?kind=conv&h=7&w=7&k=3&s=2&p=1&d=1")
    wait_for_page(page, "Playground")
    main = page.get_by_role("main")
    animation = main.locator(".st-key-pg_animation .js-plotly-plot")
    expect(animation).to_be_visible(timeout=30_000)
    expect(main.locator(".st-key-pg_output .js-plotly-plot")).to_be_visible()
    expect(main.locator(".katex").first).to_be_visible()  # the formula, rendered
    assert "\\frac" not in text_outside_maths(page) and "$" not in text_outside_maths(page)
    images = animation.locator("g.hm image, .heatmaplayer image")
    expect(images.first).to_be_attached()
    grip = animation.locator(".slider-grip-rect")
    expect(grip).to_have_count(1)
    start = grip.bounding_box()

    animation.get_by_text("▶ Play").click()
    page.wait_for_timeout(1500)  # several frames at the page's frame duration
    expect(images.first).to_be_attached()  # still drawn while playing (frames redraw)
    moved = grip.bounding_box()
    assert start is not None and moved is not None
    assert moved["x"] > start["x"], "the slider's grip did not move: the animation did not play"
    page.screenshot(path=screenshot_dir / "playground-playing.png", full_page=True)
    animation.get_by_text("Pause").click()


def test_the_statistics_page_draws_its_figures(
    page: Page, app_url: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    stride = Stride.open(f"sqlite:///{tmp_path / 'data' / 'stride.db'}")  # the server's database
    with stride.transaction() as session:  # a little history, so the figures have data
        for _ in range(3):  # the third item is an exercise item: its family gets a mastery
            card = next_card(session, stride.local_actor, utc_now(), stride.settings)
            assert card is not None
            answer_card(
                session, stride.local_actor, card.card_id, Rating.GOOD, utc_now(), stride.scheduler
            )
        history = History.start(session)
        user = stride.local_actor.user_id
        history.attempt(user, "same-padding", utc_now(), correct=False, mistake="off_by_one")
        history.attempt(user, "same-padding", utc_now(), correct=True)
        history.done()
    stride.close()
    page.goto(f"{app_url}/stats")
    wait_for_page(page, "Statistics")
    main = page.get_by_role("main")
    expect(main.locator("[data-testid=stMetric]")).to_have_count(4)
    expect(main.get_by_role("tab")).to_have_count(len(STATS_TABS))
    for name, keys in STATS_TABS.items():
        tab = main.get_by_role("tab", name=name)
        if name != "Reviews":
            tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        if name == "Reviews":  # the default tab leaves the URL clean
            assert "stats_section" not in page.url
        else:
            expect(page).to_have_url(re.compile(rf"/stats\?stats_section={name}$"))
        for key in keys:  # each chart of the tab drawn by plotly.js
            expect(main.locator(f".st-key-{key} .js-plotly-plot svg.main-svg").first).to_be_visible(
                timeout=30_000
            )
        expect(main.locator(".js-plotly-plot")).to_have_count(len(keys))  # and no other tab's
        expect(main.locator("[data-testid=stDataFrame]")).to_have_count(int(name == "Exercises"))
        expect(main.locator("[data-testid=stException]")).to_have_count(0)
        page.screenshot(path=screenshot_dir / f"statistics-{name.lower()}.png", full_page=True)

    page.goto(f"{app_url}/stats?stats_section=Cards")  # a link to a tab opens it
    wait_for_page(page, "Statistics")
    expect(main.get_by_role("tab", name="Cards")).to_have_attribute("aria-selected", "true")
    expect(main.locator(".st-key-stats_forecast .js-plotly-plot svg.main-svg").first).to_be_visible(
        timeout=30_000
    )
    expect(main.locator(".js-plotly-plot")).to_have_count(len(STATS_TABS["Cards"]))
