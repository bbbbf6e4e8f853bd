"""Two app replicas on one PostgreSQL database, the same learner in a tab on each.

The second tab answers a card the first tab has already answered: the replica refuses it with a
notice and the review is recorded once; each tab then sees the other's progress.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, func, make_url, select, text

from quiz.benchmarks.server import running_app
from quiz.runtime import Stride
from quiz.store.models import ReviewLog

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture
def shared_database(postgres_admin: Engine) -> Iterator[str]:
    name = f"stride_replicas_{os.getpid()}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(os.environ["STRIDE_TEST_POSTGRES_URL"]).set(database=name)
    yield url.render_as_string(hide_password=False)
    with postgres_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def open_study(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{url}/study")
    expect(page.get_by_role("heading", name="Study")).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")
    return page


def front(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".st-key-study_front")


def rate_good(page: Page) -> None:
    page.get_by_role("button", name=re.compile("Show answer")).click()
    page.get_by_role("button", name=re.compile("^Good")).click()


def reviews(url: str) -> int:
    stride = Stride.open(url, load_builtin=False)
    with stride.transaction() as session:
        count = session.scalar(select(func.count()).select_from(ReviewLog)) or 0
    stride.close()
    return count


def test_one_learner_in_two_tabs_on_two_replicas(
    browser: Browser,
    chromium_path: str,
    shared_database: str,
    tmp_path: Path,
    screenshot_dir: Path,
) -> None:
    env = {"STRIDE_DATABASE_URL": shared_database}
    with (
        running_app(str(tmp_path / "one"), env=env, log=str(tmp_path / "one.log")) as first_url,
        running_app(str(tmp_path / "two"), env=env, log=str(tmp_path / "two.log")) as second_url,
    ):
        first, second = open_study(browser, first_url), open_study(browser, second_url)
        for page in (first, second):
            expect(front(page)).to_contain_text("image tensor")

        rate_good(first)
        expect(front(first)).to_contain_text("dot product")
        rate_good(second)  # the same card, already answered on the other replica
        expect(second.get_by_text(re.compile("already answered"))).to_be_visible()
        expect(front(second)).to_contain_text("dot product")
        second.screenshot(path=screenshot_dir / "replicas-second-tab.png", full_page=True)
        assert reviews(shared_database) == 1

        rate_good(second)
        # The count moves only once the answer is stored (the front alone may not change at all:
        # the next item can be an exercise, which has no card front).
        expect(second.get_by_text(re.compile(r"^1 answered this session"))).to_be_visible()
        assert reviews(shared_database) == 2
        first.reload()  # a new session on the other replica: both answers are behind it
        expect(first.get_by_text("0 answered this session · 18 new · 2 learning")).to_be_visible(
            timeout=30_000
        )
