"""Two replicas on one PostgreSQL database behind nginx, configured with deploy/nginx.conf itself.

nginx keeps a browser on one replica with a route cookie it sets; its access log names the
replica (``upstream=``) and the route of every request, which is how these tests know who
served what. (a) A student in Chromium studies on one replica, then reloads with a route that
nginx sends to the other replica: nothing is lost and Study continues with the next item.
(b) 30 protocol-level tabs study at once through nginx: no page fails, both replicas serve
websockets, and every answer a tab saw acknowledged is in the database exactly once, whether
the tabs send their answers one at a time or race (two tabs answering one card at the same
moment: one is recorded, the other refused as stale).

Needs nginx (``$STRIDE_NGINX``, ``nginx`` on the PATH or ``/usr/sbin/nginx``): without it the
tests skip, unless ``STRIDE_REQUIRE_NGINX=1`` (``.ci/run``) makes that a failure. Chromium and
PostgreSQL are required as in the other browser and PostgreSQL tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserType, Page, expect
from sqlalchemy import Engine, create_engine, make_url, select, text

from quiz.benchmarks.protocol import ProtocolClient, Run
from quiz.benchmarks.proxy import (
    ROUTE_COOKIE,
    AccessLogEntry,
    error_log_path,
    find_nginx,
    nginx_proxy,
    read_access_log,
    running_replicas,
    upstream_of,
)
from quiz.benchmarks.server import CHROMIUM_ARGS
from quiz.decks.render import to_markdown
from quiz.exercises.registry import get_family
from quiz.store.models import Card, ReviewLog
from quiz.vocabulary import CARD_KIND_FLASHCARD

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

HOST = "stride.test"
"""The name the browser uses for the proxy (mapped to 127.0.0.1 inside Chromium): a school's
hostname, not localhost, so the websocket is accepted only if nginx forwards the Host."""
EXERCISE_CAPTION = re.compile(r"`([a-z-]+)` seed (\d+), difficulty (\d)")
"""An exercise's caption as Markdown (what a protocol client reads)."""
SHOWN_CAPTION = re.compile(r"([a-z-]+) seed (\d+), difficulty (\d)")
"""The same caption as the browser shows it (the family in a code span)."""
ANSWERED = re.compile(r"(\d+) answered this session")
CLIENTS = 30
ROUNDS = 3


@dataclass(frozen=True)
class Stack:
    proxy_url: str
    replicas: list[str]
    workdir: Path
    database_url: str


@pytest.fixture(scope="session")
def nginx_path() -> str:
    path = find_nginx()
    if path is None:
        message = "nginx not found (apt-get install nginx, or set STRIDE_NGINX)"
        if os.environ.get("STRIDE_REQUIRE_NGINX") == "1":
            pytest.fail(f"nginx tests are required here: {message}")
        pytest.skip(message)
    return path


@pytest.fixture
def shared_database(postgres_admin: Engine) -> Iterator[str]:
    name = f"stride_nginx_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(os.environ["STRIDE_TEST_POSTGRES_URL"]).set(database=name)
    yield url.render_as_string(hide_password=False)
    with postgres_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def stack(nginx_path: str, shared_database: str, tmp_path: Path) -> Iterator[Stack]:
    """Two replicas on ``shared_database`` (local mode, no sign-in) behind nginx."""
    with (
        running_replicas(2, shared_database, tmp_path) as replicas,
        nginx_proxy(replicas, tmp_path / "nginx", nginx=nginx_path) as proxy_url,
    ):
        yield Stack(proxy_url, replicas, tmp_path / "nginx", shared_database)


def assert_no_errors_logged(stack: Stack) -> None:
    """Neither nginx nor a replica logged an error (a replica logs a page's uncaught error)."""
    errors = [
        line
        for line in error_log_path(stack.workdir).read_text().splitlines()
        if re.search(r"\[(error|crit|alert|emerg)\]", line)
    ]
    assert errors == [], "nginx logged errors"
    for number in range(1, len(stack.replicas) + 1):
        log = (stack.workdir.parent / f"replica-{number}.log").read_text(errors="replace")
        assert "Traceback" not in log, f"replica {number} logged an error:\n{log}"


def log_entries(stack: Stack, until: Any = None, timeout: float = 15) -> list[AccessLogEntry]:
    """nginx's access log, read again until ``until(entries)`` holds (websockets are logged
    when they close, a moment after the client closed them)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = read_access_log(stack.workdir)
        if until is None or until(entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


def route_to(stack: Stack, replica: str) -> str:
    """A route cookie value that nginx sends to ``replica`` (tried on /_stcore/health)."""
    for _ in range(200):
        route = uuid.uuid4().hex
        request = urllib.request.Request(
            f"{stack.proxy_url}/_stcore/health", headers={"Cookie": f"{ROUTE_COOKIE}={route}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            cookies = response.headers.get_all("Set-Cookie") or []
            assert not [c for c in cookies if c.startswith(f"{ROUTE_COOKIE}=")], "a new route"
        served = log_entries(stack, lambda entries, r=route: any(e.route == r for e in entries))
        if [e.upstream for e in served if e.route == route] == [upstream_of(replica)]:
            return route
    raise AssertionError(f"no route found to {replica}")


def served_by(entries: list[AccessLogEntry], route: str) -> set[str]:
    return {entry.upstream for entry in entries if entry.route == route}


def reviewed_positions(database_url: str) -> list[int]:
    """The deck position of the card of every review, in the order they were stored."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = select(Card.position).join(ReviewLog, ReviewLog.card_id == Card.id)
            return list(connection.scalars(query.order_by(ReviewLog.id)))
    finally:
        engine.dispose()


# (a) A browser reloads onto the other replica ---------------------------------------------------


def front(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".st-key-study_front")


def wait_for_study(page: Page) -> None:
    expect(page.get_by_role("heading", name="Study")).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")


def rate_good(page: Page) -> None:
    page.get_by_role("button", name=re.compile("Show answer")).click()
    page.get_by_role("button", name=re.compile("^Good")).click()


def solve_exercise(page: Page) -> None:
    caption = page.get_by_text(SHOWN_CAPTION)
    found = SHOWN_CAPTION.search(caption.inner_text())
    assert found is not None
    exercise = get_family(found[1]).make(int(found[2]), int(found[3]))
    page.get_by_role("textbox", name="Your answer").fill(exercise.answer)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("Correct.")).to_be_visible()
    page.get_by_role("button", name=re.compile("Continue")).click()


def route_cookie(page: Page) -> dict[str, Any]:
    cookies = [c for c in page.context.cookies() if c["name"] == ROUTE_COOKIE]
    assert len(cookies) == 1, cookies
    return dict(cookies[0])


def test_a_reload_onto_the_other_replica_loses_nothing(
    browser_type: BrowserType,
    browser_type_launch_args: dict[str, Any],
    stack: Stack,
    screenshot_dir: Path,
) -> None:
    port = stack.proxy_url.rsplit(":", 1)[1]
    url = f"http://{HOST}:{port}"
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    try:
        page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
        page.goto(f"{url}/study")
        wait_for_study(page)
        cookie = route_cookie(page)
        assert (cookie["domain"], cookie["path"]) == (HOST, "/")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
        first_route = cookie["value"]
        (first,) = served_by(log_entries(stack), first_route)  # the page and its assets

        expect(front(page)).to_contain_text("image tensor")
        rate_good(page)
        expect(front(page)).to_contain_text("dot product")
        rate_good(page)
        expect(page.get_by_text(SHOWN_CAPTION)).to_contain_text("One entry of a convolution")
        expect(page.get_by_text("2 answered this session")).to_be_visible()
        assert reviewed_positions(stack.database_url) == [0, 1]

        # The browser now carries a route that nginx hashes to the other replica.
        (other,) = {upstream_of(replica) for replica in stack.replicas} - {first}
        second_route = route_to(stack, f"http://{other}")
        page.context.add_cookies(  # replaces it: same name, host and path
            [{"name": ROUTE_COOKIE, "value": second_route, "url": url, "httpOnly": True}]
        )
        assert route_cookie(page)["value"] == second_route
        page.reload()
        wait_for_study(page)
        # A new session on the other replica: both answers are behind it, the next item is on.
        expect(page.get_by_text("0 answered this session · 18 new · 2 learning")).to_be_visible()
        expect(page.get_by_text(SHOWN_CAPTION)).to_contain_text("One entry of a convolution")
        solve_exercise(page)
        expect(front(page)).to_contain_text("padding")
        expect(page.get_by_text("1 answered this session · 17 new")).to_be_visible()
        page.screenshot(path=screenshot_dir / "nginx-reload-other-replica.png", full_page=True)
        assert reviewed_positions(stack.database_url) == [0, 1, 2]
        page.context.close()  # closes the websocket, which nginx then logs
    finally:
        browser.close()

    def both_websockets(entries: list[AccessLogEntry]) -> bool:
        routes = {e.route for e in entries if e.is_websocket}
        return {first_route, second_route} <= routes

    entries = log_entries(stack, both_websockets)
    assert served_by(entries, first_route) == {first}
    assert served_by(entries, second_route) == {other}
    for route, replica in ((first_route, first), (second_route, other)):
        sockets = [e for e in entries if e.route == route and e.is_websocket]
        assert [e.upstream for e in sockets] == [replica], (route, sockets)
        pages = [e for e in entries if e.route == route and e.path == "/study"]
        assert [e.upstream for e in pages] == [replica], (route, pages)
    assert_no_errors_logged(stack)


# (b) 30 protocol-level tabs at once -------------------------------------------------------------


@dataclass
class Tab:
    """One simulated tab's work: what it was told was recorded, and every run it saw."""

    route: str
    acknowledged: set[tuple[int, int]] = field(default_factory=set)
    """``(card id, answer)`` of every answer whose run showed the session's count go up. A
    resend of an answer (same card, same review count or variant) is the same answer."""
    runs: list[Run] = field(default_factory=list)


def answered(client: ProtocolClient) -> int | None:
    """The page's "N answered this session" (None: no progress bar, e.g. an error page)."""
    for element in client.elements:
        if element.kind == "progress" and (found := ANSWERED.search(element.label)):
            return int(found[1])
    return None


def card_fronts(database_url: str, timeout: float = 60) -> dict[str, int]:
    """Each card's id by the text that names it on the Study page: a flashcard's front as the
    page draws it (Markdown), an exercise item's front as its caption quotes it.

    Read once the replicas have loaded the built-in decks: a page's HTML no longer waits for a
    new process to open the database (its warm-up does that in the background), so the cards
    may appear a moment after the first pages were answered; they appear all at once (one
    transaction)."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                rows = connection.execute(select(Card.id, Card.front, Card.kind)).all()
            if rows or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        engine.dispose()
    return {
        (to_markdown(front) if kind == CARD_KIND_FLASHCARD else front): card_id
        for card_id, front, kind in rows
    }


def card_on_screen(client: ProtocolClient, fronts: dict[str, int]) -> int:
    """The card the Study page shows (widget keys do not name it: they are per slot)."""
    for element in client.elements:
        if element.kind != "markdown":
            continue
        if element.label in fronts:
            return fronts[element.label]
        if found := re.match(r"Exercise · (.*) · `", element.label):
            return fronts[found[1]]
    raise AssertionError(f"no card on screen: {[e.label for e in client.elements]}")


async def study(proxy_url: str, route: str, answering: Any, fronts: dict[str, int]) -> Tab:
    """Open Study and answer up to ROUNDS items; ``answering`` (an async context manager)
    is held while an answer is sent."""
    tab = Tab(route)
    client = ProtocolClient(proxy_url, headers={"Cookie": f"{ROUTE_COOKIE}={route}"})
    try:
        tab.runs.append(await client.open("study"))
        for round_number in range(ROUNDS):
            if round_number:
                # A whole page run: the client forgets elements that the study fragment's own
                # runs no longer draw (it keeps them, unlike a browser).
                tab.runs.append(await client.rerun())
            before = answered(client)
            if before is None:
                break
            if client.has("button", "Show answer"):
                tab.runs.append(await client.click("Show answer"))
                good = client.find("button", lambda label: label.startswith("Good"))
                answer = (card_on_screen(client, fronts), before)
                async with answering:
                    tab.runs.append(await client.click(good.label))
            elif client.has("text_input", "Your answer"):  # an exercise with a one-line answer
                labels = (element.label for element in client.elements)
                found = next(filter(None, map(EXERCISE_CAPTION.search, labels)))
                exercise = get_family(found[1]).make(int(found[2]), int(found[3]))
                answer = (card_on_screen(client, fronts), before)
                async with answering:
                    tab.runs.append(await client.submit({"Your answer": exercise.answer}, "Check"))
                if client.has("button", "Continue"):  # graded and rated: on to the next item
                    tab.runs.append(await client.click("Continue"))
            else:
                break  # all done, or an exercise answered in a grid
            after = answered(client)
            if after == before + 1:
                tab.acknowledged.add(answer)
            elif after != before:  # an error page, or a count gone wrong
                break
    finally:
        await client.close()
    return tab


def new_route(proxy_url: str) -> str:
    """Open the page as a browser does first, and keep the route cookie nginx sets."""
    with urllib.request.urlopen(f"{proxy_url}/study", timeout=30) as response:
        response.read()
        cookies: SimpleCookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    assert ROUTE_COOKIE in cookies, "nginx set no route cookie"
    assert cookies[ROUTE_COOKIE]["httponly"], "the route cookie is not HttpOnly"
    return cookies[ROUTE_COOKIE].value


async def study_together(
    proxy_url: str, routes: list[str], in_turn: bool, fronts: dict[str, int]
) -> list[Tab]:
    answering = asyncio.Lock() if in_turn else contextlib.nullcontext()
    tabs = [study(proxy_url, route, answering, fronts) for route in routes]
    return list(await asyncio.gather(*tabs))


@pytest.mark.parametrize(
    "in_turn",
    [True, False],
    ids=["answers-in-turn", "answers-at-once"],
)
def test_b_thirty_tabs_through_nginx_record_each_answer_once(stack: Stack, in_turn: bool) -> None:
    """30 tabs open Study, reveal and answer at once, all on the same (local) learner's cards.

    ``answers-in-turn``: everything is concurrent but the answers themselves, sent one at a
    time (a tab still answers cards another tab answered since it showed them: refused as
    stale). ``answers-at-once``: the answers race too (this found answers to one card stored
    twice, and a schedule insert that collided without a retry).
    """
    routes = [new_route(stack.proxy_url) for _ in range(CLIENTS)]
    assert len(set(routes)) == CLIENTS

    started = time.monotonic()
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        work = study_together(stack.proxy_url, routes, in_turn, card_fronts(stack.database_url))
        tabs = thread.submit(asyncio.run, work).result()
    seconds = time.monotonic() - started

    def all_websockets(entries: list[AccessLogEntry]) -> bool:
        return len({e.route for e in entries if e.is_websocket} & set(routes)) == CLIENTS

    entries = log_entries(stack, all_websockets)
    sockets = [e for e in entries if e.is_websocket and e.route in set(routes)]
    assert len(sockets) == CLIENTS
    assert {e.upstream for e in sockets} == {upstream_of(r) for r in stack.replicas}
    for route in routes:  # the page and the websocket of each tab on one replica
        assert len(served_by(entries, route)) == 1, route

    acknowledged = Counter(card for tab in tabs for card, _ in tab.acknowledged)
    engine = create_engine(stack.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(ReviewLog.card_id, ReviewLog.last_review_before))
            stored = [tuple(row) for row in rows]
    finally:
        engine.dispose()
    assert Counter(card for card, _ in stored) == acknowledged
    # No card was answered twice from the same schedule (two replicas racing both accepted).
    assert [key for key, count in Counter(stored).items() if count > 1] == []

    failures = [f"{tab.route}: {e}" for tab in tabs for run in tab.runs for e in run.exceptions]
    assert failures == []
    assert all(tab.runs[0].status == "ok" for tab in tabs)
    assert sum(acknowledged.values()) >= ROUNDS, f"only {acknowledged} answered in {seconds:.0f}s"
    assert_no_errors_logged(stack)
