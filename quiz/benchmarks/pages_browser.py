"""``stride bench pages``: what a student feels in Chromium, page by page.

Three measurements, each in real Chromium (headless, Playwright) against servers started here on
new SQLite files:

1. **First draw of every page.** One database holds the built-in deck, an instructor
   (``teacher``), a few students, three weeks of review history and exercise attempts for each of
   them and for the local user, and two assignments with the students' submissions, so that
   Statistics, Gradebook and Assignments have something to draw. It is served in local mode and
   then in classroom mode (``STRIDE_AUTH=password``, signed in as the instructor, who also has
   People). In one open tab, each page is opened by clicking its sidebar link (the common case;
   all the click rounds come first, in one document), then, in local mode, by ``page.goto`` of
   its URL (each a new document, which loads Streamlit's code, and Plotly's for a page with
   charts, again; in classroom mode only the clicks are timed: a new document there is the
   same, after one more session check by the sign-in gate). A page is *drawn* when
   Streamlit's script run is over (``data-test-script-state`` = ``notRunning``), its title is
   there, every visible Plotly chart has its SVG and every visible table its canvas, and its own
   content is on screen (the card, the form, the metrics …). Timed inside the page: from the
   click event, or from navigation start for ``goto``, to the first DOM mutation after which that
   holds (``…_run_p50_ms``: until the script run was over; the rest is the browser's drawing).
   One round through every page comes first: each page's first run in a fresh server, reported
   apart as ``server_first_ms`` (Home's is the tab's opening: its URL opened in local mode,
   "Sign in" pressed in classroom mode). Then ``--loads`` rounds are timed. Target: p95 < 1 s
   for every page.
2. **Rating → next item visible, exercise items included.** The built-in deck as it ships
   (exercise items not suspended, no daily new-card limit), ``--items`` items walked on the Study
   page: a flashcard is revealed and rated Good, timed from Good until the next item is on screen
   (a flashcard's "Show answer", or an exercise item's prompt, answer box and Check); an exercise
   item is answered (right and wrong in turn), checked, and timed from Continue until the next
   item is on screen. Target: p95 < 300 ms.
3. **Cold start against bare Streamlit.** From launching ``stride run`` (a fresh process on a
   database migrated and seeded already) until the Study page shows its first card in a new
   browser context; and from launching ``streamlit run quiz/benchmarks/bare_app.py`` (same flags,
   same ``.streamlit/config.toml``) until its title and button are on screen. Medians of
   ``--starts`` each, interleaved. Target: ratio ≤ 1.5.

``--json`` prints one flat object of figures (``page_first_draw_p95_ms``, ``page_first_draw`` per
page, ``next_item_p95_ms``, ``next_flashcard_p95_ms``, ``next_exercise_p95_ms``,
``cold_first_card_s``, ``bare_first_paint_s``, ``cold_start_ratio``, …). Progress goes to stderr.
Needs Chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from quiz.benchmarks.load import PASSWORD, create_students, rounded_percentile
from quiz.benchmarks.server import (
    chromium_args,
    find_chromium,
    free_port,
    launched,
    poll_health,
    running_app,
)
from quiz.benchmarks.study_browser import (
    ANSWERED_WHEN_SHOWN,
    ELAPSED,
    EXPECT_ANSWER,
    IDLE,
    STUDY_ENV,
    WATCH,
    cold_start,
    wait_seen,
)
from quiz.config import PROJECT_ROOT
from quiz.exercises.base import Exercise, answer_value, relevant_mistakes
from quiz.exercises.registry import get_family
from quiz.grading import AnswerKind, format_answer
from quiz.runtime import Stride
from quiz.scheduling import Rating, utc_now
from quiz.services.access import COMMAND_LINE, Actor
from quiz.services.accounts import create_user
from quiz.services.assignments import (
    AssignmentSpec,
    ItemSpec,
    create_assignment,
    submit_assignment_answer,
    variant,
)
from quiz.services.practice import (
    AttemptContext,
    exercise_for_item,
    make_exercise,
    submit_item,
    submit_practice,
)
from quiz.services.study import answer_card, next_card
from quiz.store.models import Assignment
from quiz.store.server_secret import session_secret
from quiz.vocabulary import MODE_EXAM, MODE_HOMEWORK, ROLE_INSTRUCTOR

TARGET_PAGE_P95_MS = 1000.0
TARGET_NEXT_ITEM_P95_MS = 300.0
TARGET_COLD_START_RATIO = 1.5
MIN_ITEMS = 3
"""The built-in deck's first exercise item is its third: fewer items would time no exercise."""

INSTRUCTOR = "teacher"
STUDENTS = 4
HISTORY_DAYS = 21
REVIEWS_PER_DAY = 6
PRACTICE_FAMILIES = ("conv-output-size", "maxpool-backward", "parameter-count", "conv-forward")
BARE_APP = PROJECT_ROOT / "quiz" / "benchmarks" / "bare_app.py"
BARE_TITLE, BARE_BUTTON = "Bare Streamlit", "Press"
VIEWPORT = {"width": 1100, "height": 900}
STEP_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class PageSpec:
    """A page of the app and what must be on screen for it to count as drawn."""

    name: str
    """Its label in the sidebar."""
    path: str
    """Its URL path ("" for Home)."""
    heading: str
    charts: int = 0
    """At least this many visible Plotly charts (each with its SVG drawn)."""
    frames: int = 0
    """At least this many visible tables (``st.dataframe``, each with its canvas drawn)."""
    show: tuple[str, ...] = ()
    """CSS selectors that must each match in the main area."""
    show_any: tuple[str, ...] = ()
    """CSS selectors of which at least one must match (none given: no condition)."""
    buttons: tuple[str, ...] = ()
    """Buttons (a part of their text) that must be in the main area."""
    classroom_only: bool = False


PAGES = (
    PageSpec("Home", "", "Stride", show=("[data-testid=stMetric]", "[data-testid=stPageLink]")),
    PageSpec(
        "Study",
        "study",
        "Study",
        show=("[data-testid=stProgress]",),
        show_any=(".st-key-study_front", ".st-key-study_exercise", "[data-testid=stAlert]"),
    ),
    PageSpec(
        "Practice", "practice", "Practice", show=(".st-key-practice_prompt",), buttons=("Check",)
    ),
    PageSpec("Assignments", "assignments", "Assignments", frames=1, buttons=("Create",)),
    PageSpec(  # the default tab, Reviews: calendar, reviews per day, true retention
        "Statistics",
        "stats",
        "Statistics",
        charts=3,
        show=("[data-testid=stMetric]", "[data-testid=stTabs]"),
    ),
    PageSpec("Decks", "decks", "Decks", frames=1, show=("[data-testid=stTabs]",)),
    PageSpec("Playground", "playground", "Playground", charts=2),
    PageSpec("Gradebook", "gradebook", "Gradebook", charts=2, frames=3),
    PageSpec("People", "people", "People", frames=1, buttons=("Add student",), classroom_only=True),
)

# --- in the page --------------------------------------------------------------------------------

DRAWN = """(spec) => {
  const state = document.querySelector("[data-test-script-state]")
    ?.getAttribute("data-test-script-state");
  const main = document.querySelector("[data-testid=stMain]");
  if (state !== "notRunning" || !main) return false;
  if (![...main.querySelectorAll("h1")].some((h) => h.textContent.trim() === spec.heading)) {
    return false;
  }
  const visible = (selector) => [...main.querySelectorAll(selector)]
    .filter((element) => element.checkVisibility());
  const charts = visible("[data-testid=stPlotlyChart]");
  if (charts.length < spec.charts || charts.some((c) => !c.querySelector("svg.main-svg"))) {
    return false;
  }
  const frames = visible("[data-testid=stDataFrame]");
  if (frames.length < spec.frames || frames.some((f) => !f.querySelector("canvas"))) return false;
  const buttons = [...main.querySelectorAll("button")].map((b) => b.textContent.trim());
  return spec.show.every((selector) => main.querySelector(selector))
    && (spec.show_any.length === 0 || spec.show_any.some((s) => main.querySelector(s)))
    && spec.buttons.every((label) => buttons.some((text) => text.includes(label)));
}"""
"""Whether the page described by ``spec`` (a :class:`PageSpec` as a dict) is drawn."""

PAGE_WATCH = """(() => {
  const specs = %s;
  const drawn = %s;
  const s = window.__stride = {t0: 0, seen: null, check: null, drawn, running: false, ran: null};
  const spec = specs[location.pathname];
  if (spec) s.check = () => drawn(spec);
  const start = () => { s.t0 = performance.now(); s.seen = null; s.running = false; s.ran = null; };
  document.addEventListener("click", start, true);
  document.addEventListener("keydown", start, true);
  new MutationObserver(() => {
    const state = document.querySelector("[data-test-script-state]")
      ?.getAttribute("data-test-script-state");
    if (state === "running") s.running = true;
    else if (s.running && s.ran === null && state === "notRunning") s.ran = performance.now();
    if (s.seen === null && s.check && s.check()) s.seen = performance.now();
  }).observe(document, {childList: true, subtree: true, characterData: true, attributes: true,
                        attributeFilter: ["data-test-script-state"]});
})();"""
"""The stopwatch, installed before any of the app's scripts in every document of the tab: ``t0``
is navigation start (0) until a click or key restarts it; ``seen`` is set at the first mutation
(of the DOM, or of the script state) after which ``check`` holds, which for a new document is
"the page at this URL is drawn"; ``ran`` when the script run that followed ended (so ``seen -
ran`` is drawing left to the browser after the server's run: charts, tables)."""
TIMES = """() => { const s = window.__stride;
  return [s.seen - s.t0, s.ran === null ? null : s.ran - s.t0]; }"""
EXPECT_PAGE = "(spec) => { const s = window.__stride; s.check = () => s.drawn(spec); }"
DRAWN_STATE = """() => {
  const main = document.querySelector("[data-testid=stMain]");
  const all = (selector) => main ? [...main.querySelectorAll(selector)] : [];
  const describe = (element, inner, drawn) =>
    (element.checkVisibility() ? "visible" : "hidden")
    + (element.querySelector(inner) ? drawn : "");
  return {
    script: document.querySelector("[data-test-script-state]")
      ?.getAttribute("data-test-script-state") ?? null,
    headings: all("h1").map((h) => h.textContent.trim()),
    charts: all("[data-testid=stPlotlyChart]").map((c) => describe(c, "svg.main-svg", "+svg")),
    tables: all("[data-testid=stDataFrame]").map((f) => describe(f, "canvas", "+canvas")),
    buttons: all("button").map((b) => b.textContent.trim()).slice(0, 12),
    exception: document.querySelector("[data-testid=stException]")?.textContent ?? null,
    stopwatch: window.__stride ? [window.__stride.t0, window.__stride.seen] : null,
  };
}"""
EXPECT_NEXT_ITEM = """(want) => { window.__stride.check = () => {
  const progress = document.querySelector("[data-testid=stProgress]");
  if (!progress || !progress.textContent.trim().startsWith(want)) return false;
  const buttons = [...document.querySelectorAll("button")].map((b) => b.textContent.trim());
  const flashcard = !!document.querySelector(".st-key-study_front")
    && !document.querySelector(".st-key-study_back")
    && buttons.some((text) => text.includes("Show answer"));
  const box = "[data-testid=stForm] :is([data-testid=stTextInput], [data-testid=stTextArea], "
    + "[data-testid=stDataFrame])";
  const exercise = !!document.querySelector(".st-key-study_exercise [data-testid=stMarkdown]")
    && !!document.querySelector(box) && buttons.some((text) => text.startsWith("Check"));
  return flashcard || exercise;
}; }"""
"""The next item is on screen: the progress line counts ``want`` answers, and a flashcard's front
with "Show answer" or an exercise item's prompt, answer box and Check button is there (neither
is on the screen being left: a revealed flashcard, or an answered exercise item)."""
EXPECT_GRADE = """() => { window.__stride.check = () =>
  [...document.querySelectorAll("button")].some((b) => b.textContent.includes("Continue"));
}"""
EXERCISE_CAPTION = re.compile(r"([a-z-]+) seed (\d+), difficulty (\d)")


# --- the numbers --------------------------------------------------------------------------------


@dataclass
class Samples:
    """Every measurement of one run, before summarising."""

    draws: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    """``"local/Home"`` → ``{"click": [ms, …], "goto": […], "server_first": [ms]}``, each with
    ``"…_run"``: the milliseconds until the script run was over (the rest is the browser's)."""
    next_items: list[tuple[str, float]] = field(default_factory=list)
    """``("flashcard" | "exercise", ms)`` for each item left."""
    check_ms: list[float] = field(default_factory=list)
    """Check → the grade of an exercise item (for information)."""
    cold_first_card_s: list[float] = field(default_factory=list)
    cold_healthy_s: list[float] = field(default_factory=list)
    bare_first_paint_s: list[float] = field(default_factory=list)
    bare_healthy_s: list[float] = field(default_factory=list)

    def add_draw(self, page: str, how: str, times: tuple[float, float]) -> None:
        """``times``: milliseconds until the page was drawn, and until its script run was over."""
        ways = self.draws.setdefault(page, {})
        ways.setdefault(how, []).append(times[0])
        ways.setdefault(f"{how}_run", []).append(times[1])


def check_sizes(loads: int, items: int, starts: int) -> None:
    """Refuse sizes that would measure nothing (``ValueError`` saying what was expected)."""
    if loads < 1 or starts < 1:
        raise ValueError(f"--loads and --starts must be at least 1 (got {loads} and {starts})")
    if items < MIN_ITEMS:
        raise ValueError(
            f"--items must be at least {MIN_ITEMS} (the built-in deck's first exercise item is "
            f"its third), got {items}"
        )


def _median(values: Sequence[float], digits: int = 2) -> float | None:
    return round(statistics.median(values), digits) if values else None


def summarise(samples: Samples, *, loads: int, items: int, starts: int) -> dict[str, Any]:
    """The flat dict of figures (``None`` where there were no samples)."""
    per_page: dict[str, dict[str, Any]] = {}
    timed: dict[str, list[float]] = {"click": [], "goto": []}
    worst: tuple[float, str] | None = None
    over: list[str] = []
    for page, ways in samples.draws.items():
        figures: dict[str, Any] = {}
        for how in ("click", "goto"):
            values = ways.get(how, [])
            if not values:
                continue
            timed[how].extend(values)
            p95 = rounded_percentile(values, 95)
            figures[f"{how}_p50_ms"] = rounded_percentile(values, 50)
            figures[f"{how}_p95_ms"] = p95
            figures[f"{how}_run_p50_ms"] = rounded_percentile(ways.get(f"{how}_run", []), 50)
            assert p95 is not None
            if worst is None or p95 > worst[0]:
                worst = (p95, f"{page} ({how})")
            if p95 >= TARGET_PAGE_P95_MS:
                over.append(f"{page} ({how})")
        if ways.get("server_first"):
            figures["server_first_ms"] = round(ways["server_first"][0], 1)
        per_page[page] = figures
    every = timed["click"] + timed["goto"]
    flashcards = [ms for kind, ms in samples.next_items if kind == "flashcard"]
    exercises = [ms for kind, ms in samples.next_items if kind == "exercise"]
    both = [ms for _kind, ms in samples.next_items]
    first_card = _median(samples.cold_first_card_s)
    bare = _median(samples.bare_first_paint_s)
    ratio = round(first_card / bare, 2) if first_card is not None and bare else None
    next_p95 = rounded_percentile(both, 95)
    return {
        "loads": loads,
        "items": items,
        "starts": starts,
        "page_first_draw_p50_ms": rounded_percentile(every, 50),
        "page_first_draw_p95_ms": rounded_percentile(every, 95),
        "page_click_p50_ms": rounded_percentile(timed["click"], 50),
        "page_click_p95_ms": rounded_percentile(timed["click"], 95),
        "page_goto_p50_ms": rounded_percentile(timed["goto"], 50),
        "page_goto_p95_ms": rounded_percentile(timed["goto"], 95),
        "page_first_draw_slowest": worst[1] if worst else None,
        "page_first_draw_slowest_p95_ms": worst[0] if worst else None,
        "pages_over_target": over,
        "page_first_draw": per_page,
        "next_item_p50_ms": rounded_percentile(both, 50),
        "next_item_p95_ms": next_p95,
        "next_item_max_ms": round(max(both), 1) if both else None,
        "next_flashcard_p50_ms": rounded_percentile(flashcards, 50),
        "next_flashcard_p95_ms": rounded_percentile(flashcards, 95),
        "next_exercise_p50_ms": rounded_percentile(exercises, 50),
        "next_exercise_p95_ms": rounded_percentile(exercises, 95),
        "next_flashcards": len(flashcards),
        "next_exercises": len(exercises),
        "exercise_check_p50_ms": rounded_percentile(samples.check_ms, 50),
        "exercise_check_p95_ms": rounded_percentile(samples.check_ms, 95),
        "cold_first_card_s": first_card,
        "cold_first_card_runs_s": list(samples.cold_first_card_s),
        "cold_healthy_s": _median(samples.cold_healthy_s),
        "bare_first_paint_s": bare,
        "bare_first_paint_runs_s": list(samples.bare_first_paint_s),
        "bare_healthy_s": _median(samples.bare_healthy_s),
        "cold_start_ratio": ratio,
        "target_page_first_draw_p95_ms": TARGET_PAGE_P95_MS,
        "target_next_item_p95_ms": TARGET_NEXT_ITEM_P95_MS,
        "target_cold_start_ratio": TARGET_COLD_START_RATIO,
        "page_first_draw_met": bool(per_page) and not over,
        "next_item_met": next_p95 is not None and next_p95 < TARGET_NEXT_ITEM_P95_MS,
        "cold_start_met": ratio is not None and ratio <= TARGET_COLD_START_RATIO,
    }


# --- the data -----------------------------------------------------------------------------------


def wrong_answer(exercise: Exercise) -> str:
    """A gradable wrong answer: the first mistake the family recognises (else the right one)."""
    kind = exercise.answer_kind
    for mistake in relevant_mistakes(get_family(exercise.family), exercise):
        return format_answer(kind, answer_value(kind, mistake.answer))
    return exercise.answer


def add_history(
    session: Session, stride: Stride, learner: Actor, now: datetime, rng: random.Random
) -> None:
    """``HISTORY_DAYS`` days of studying (flashcards and exercise items), a practice problem a
    day (every other one wrong), through the services, at the times they would have happened."""
    for day in range(HISTORY_DAYS, -1, -1):
        start = now - timedelta(days=day, hours=2)
        for step in range(REVIEWS_PER_DAY):
            at = start + timedelta(minutes=12 * step)
            card = next_card(session, learner, at, stride.settings)
            if card is None:
                break
            rating = rng.choices(list(Rating), weights=(1, 2, 6, 1))[0]
            seconds = AttemptContext(duration_ms=rng.randint(3_000, 30_000))
            if card.is_exercise:
                exercise = exercise_for_item(learner, card)
                raw = exercise.answer if rating >= Rating.GOOD else wrong_answer(exercise)
                submit_item(session, learner, card, exercise, raw, seconds, at, stride.scheduler)
            else:
                answer_card(
                    session,
                    learner,
                    card.card_id,
                    rating,
                    at,
                    stride.scheduler,
                    duration_ms=seconds.duration_ms,
                )
        family = PRACTICE_FAMILIES[day % len(PRACTICE_FAMILIES)]
        exercise = make_exercise(family, rng.randrange(1_000_000), 2)
        raw = exercise.answer if day % 2 else wrong_answer(exercise)
        practice = AttemptContext(duration_ms=rng.randint(10_000, 90_000))
        submit_practice(session, learner, exercise, raw, practice, start + timedelta(hours=1))


def add_assignments(
    session: Session, instructor: Actor, students: Sequence[Actor], now: datetime
) -> None:
    """An open homework and an exam due within a day, which every student has answered: some
    problems right at once, the others wrong (a recognised mistake) and then right."""
    homework = AssignmentSpec(
        title="Week 1: output sizes and pooling",
        instructions="Three problems; three attempts each.",
        mode=MODE_HOMEWORK,
        opens_at=now - timedelta(days=7),
        due_at=now + timedelta(days=7),
        max_attempts=3,
        items=[ItemSpec(family) for family in PRACTICE_FAMILIES[:3]],
    )
    exam = AssignmentSpec(
        title="Quiz 1: gradients",
        instructions="Two problems, two attempts; later attempts earn less.",
        mode=MODE_EXAM,
        opens_at=now - timedelta(days=1),
        due_at=now + timedelta(hours=20),
        max_attempts=2,
        items=[ItemSpec("conv-grad-bias"), ItemSpec("conv-forward")],
    )
    for spec in (homework, exam):
        assignment_id = create_assignment(session, instructor, spec, spec.opens_at)
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        for number, student in enumerate(students):
            at = spec.opens_at + timedelta(hours=2 + number)
            for item in assignment.items:
                secret = session_secret(session)
                first = variant(item, assignment.mode, student.user_id, 1, secret)
                right_at_once = (number + item.position) % 3 == 0
                raw = first.answer if right_at_once else wrong_answer(first)
                submit_assignment_answer(session, student, assignment_id, item.id, raw, at)
                if not right_at_once:
                    second = variant(item, assignment.mode, student.user_id, 2, secret)
                    later = at + timedelta(minutes=10)
                    submit_assignment_answer(
                        session, student, assignment_id, item.id, second.answer, later
                    )


def prepare_pages_database(data_dir: str, template: Path | None = None) -> str:
    """The database the pages are drawn from (see the module docstring); its URL.

    ``template``: an SQLite file migrated and holding the built-in deck already, copied first
    (parsing the built-in deck takes seconds)."""
    path = Path(data_dir) / "stride.db"
    if template is not None:
        with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as copy:
            source.backup(copy)
    url = f"sqlite:///{path}"
    stride = Stride.open(url, load_builtin=template is None)
    try:
        now = utc_now()
        with stride.transaction() as session:
            teacher = create_user(session, COMMAND_LINE, INSTRUCTOR, ROLE_INSTRUCTOR, PASSWORD, now)
            instructor = Actor(teacher.user_id, teacher.username, ROLE_INSTRUCTOR)
            students = create_students(session, STUDENTS)
            for number, learner in enumerate([stride.local_actor, instructor, *students]):
                add_history(session, stride, learner, now, random.Random(number))
            add_assignments(session, instructor, students, now)
    finally:
        stride.close()
    return url


# --- the browser --------------------------------------------------------------------------------


_clock = {"started": time.monotonic()}


def _progress(message: str) -> None:
    elapsed = time.monotonic() - _clock["started"]
    print(f"[stride bench pages {elapsed:5.0f} s] {message}", file=sys.stderr, flush=True)


def _spec_dict(spec: PageSpec) -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in asdict(spec).items()
    }


def page_watch_script(pages: Sequence[PageSpec]) -> str:
    """:data:`PAGE_WATCH` for these pages (keyed by their URL paths)."""
    specs = {f"/{spec.path}": _spec_dict(spec) for spec in pages}
    return PAGE_WATCH % (json.dumps(specs), DRAWN)


def wait_drawn(page: Any, spec: PageSpec, how: str) -> tuple[float, float]:
    """Wait for the stopwatch to stop; its milliseconds, and those until the script run was over.
    On a timeout, say what the page showed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function("() => window.__stride.seen !== null")
    except PlaywrightTimeoutError:
        state = json.dumps(page.evaluate(DRAWN_STATE))[:800]
        raise RuntimeError(
            f"{spec.name} ({how}) was not drawn in time; the page showed {state}"
        ) from None
    drawn, ran = page.evaluate(TIMES)
    return float(drawn), float(ran if ran is not None else drawn)


def click_page(page: Any, url: str, spec: PageSpec) -> tuple[float, float]:
    """Click the page's sidebar link; milliseconds from the click until it is drawn, and until
    the script run was over."""
    page.evaluate(EXPECT_PAGE, _spec_dict(spec))
    page.locator(f'[data-testid=stSidebarNav] a[href="{url}/{spec.path}"]').click()
    return wait_drawn(page, spec, "click")


def goto_page(page: Any, url: str, spec: PageSpec) -> tuple[float, float]:
    """Open the page's URL in the tab; milliseconds from navigation start until it is drawn, and
    until the script run was over."""
    page.goto(f"{url}/{spec.path}")
    return wait_drawn(page, spec, "goto")


def sign_in(page: Any, url: str, username: str) -> None:
    """Open the app signed out (the sign-in form, ``quiz.web.sign_in``) and sign in; the form
    continues to Home, a new document whose stopwatch starts with the form's POST."""
    page.goto(url)
    page.get_by_role("heading", name="Sign in to Stride").wait_for()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    signed_in = page.get_by_text(f"Signed in as {username}")
    refused = page.locator("p.error[role=alert]")  # the form again, with its message
    signed_in.or_(refused).first.wait_for()
    if refused.count():
        raise RuntimeError(f"sign-in refused: {refused.first.inner_text()}")


def draw_pages(
    browser: Any,
    data_dir: str,
    loads: int,
    samples: Samples,
    *,
    classroom: bool,
    log: str | None = None,
) -> None:
    """Time every page's first draw in one tab (see the module docstring, part 1)."""
    mode = "classroom" if classroom else "local"
    pages = [spec for spec in PAGES if classroom or not spec.classroom_only]
    order = [*pages[1:], pages[0]]  # start from Home, end each round on it
    env = {"STRIDE_AUTH": "password"} if classroom else {}
    with running_app(data_dir, env=env, log=log) as url:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(page_watch_script(pages))
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        home = f"{mode}/{pages[0].name}"
        if classroom:  # Home's first run follows "Sign in"
            sign_in(page, url, INSTRUCTOR)
            samples.add_draw(home, "server_first", wait_drawn(page, pages[0], "sign-in"))
        else:  # Home's first run is the tab's opening
            samples.add_draw(home, "server_first", goto_page(page, url, pages[0]))
        for spec in order[:-1]:  # each page's first run in this server: reported apart
            samples.add_draw(f"{mode}/{spec.name}", "server_first", click_page(page, url, spec))
        click_page(page, url, pages[0])
        # All the clicks first, in the one document a student keeps open (it has loaded Plotly's
        # and the tables' code by now); then the URL opens, each a new document.
        ways = (
            [("click", click_page)] if classroom else [("click", click_page), ("goto", goto_page)]
        )
        for how, visit in ways:
            for load in range(loads):
                _progress(f"{mode}: {how} round {load + 1} of {loads}")
                for spec in order:
                    samples.add_draw(f"{mode}/{spec.name}", how, visit(page, url, spec))
        context.close()


def exercise_on_screen(page: Any) -> Exercise:
    """The exercise item's variant, from its caption (family, seed, difficulty)."""
    caption = page.get_by_text(EXERCISE_CAPTION).first.inner_text()
    found = EXERCISE_CAPTION.search(caption)
    if found is None:
        raise RuntimeError(f"no exercise caption on the Study page: {caption!r}")
    return get_family(found[1]).make(int(found[2]), int(found[3]))


def flashcard_step(page: Any, answered: int) -> float:
    """Show the answer, rate Good; milliseconds from Good until the next item is on screen."""
    page.evaluate(EXPECT_ANSWER)
    page.get_by_role("button", name="Show answer").click()
    wait_seen(page, "the answer side after Show answer")
    page.wait_for_function(IDLE)
    want = f"{answered + 1} answered this session"
    page.evaluate(EXPECT_NEXT_ITEM, want)
    page.get_by_role("button", name="Good", exact=False).first.click()
    wait_seen(page, f"the next item with {want!r} after Good")
    elapsed = float(page.evaluate(ELAPSED))
    page.wait_for_function(IDLE)
    return elapsed


def exercise_step(page: Any, answered: int, *, right: bool) -> tuple[float, float]:
    """Answer the exercise item and Check it, then Continue; the milliseconds from Check to the
    grade, and from Continue until the next item is on screen."""
    exercise = exercise_on_screen(page)
    if exercise.answer_kind in (AnswerKind.MATRIX, AnswerKind.TENSOR):
        page.get_by_role("radio", name="Text").click()
    box = page.get_by_role("textbox", name="Your answer")
    box.wait_for()
    page.wait_for_function(IDLE)
    box.fill(exercise.answer if right else wrong_answer(exercise))
    page.evaluate(EXPECT_GRADE)
    page.get_by_role("button", name="Check").click()
    wait_seen(page, "the grade after Check")
    check = float(page.evaluate(ELAPSED))
    page.wait_for_function(IDLE)
    want = f"{answered + 1} answered this session"
    page.evaluate(EXPECT_NEXT_ITEM, want)
    page.get_by_role("button", name="Continue").click()
    wait_seen(page, f"the next item with {want!r} after Continue")
    elapsed = float(page.evaluate(ELAPSED))
    page.wait_for_function(IDLE)
    return check, elapsed


def warm_up(context: Any, url: str) -> None:
    """Submit one Practice answer in another tab, so the walk does not time the server's first
    grading, heatmap and write (the pages' first runs are measured in part 1)."""
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(f"{url}/practice?family=conv-output-size&seed=7&difficulty=2")
    page.get_by_role("textbox", name="Your answer").fill("1 x 1 x 1")
    page.get_by_role("button", name="Check").click()
    page.get_by_text(re.compile("Incorrect|Not quite")).first.wait_for()
    page.close()


def walk_study(
    browser: Any, data_dir: str, items: int, samples: Samples, log: str | None = None
) -> None:
    """Walk ``items`` items of the Study page (see the module docstring, part 2)."""
    with running_app(data_dir, env=STUDY_ENV, log=log) as url:
        context = browser.new_context(viewport=VIEWPORT)
        warm_up(context, url)
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(f"{url}/study")
        page.locator(".st-key-study_front, .st-key-study_exercise").first.wait_for()
        page.wait_for_function(IDLE)
        page.evaluate(WATCH)
        answered = int(page.wait_for_function(ANSWERED_WHEN_SHOWN).json_value())
        exercises = 0
        for number in range(items):
            if number % 10 == 0:
                _progress(f"study: item {number + 1} of {items}")
            if page.locator(".st-key-study_exercise").count():
                check, elapsed = exercise_step(page, answered, right=exercises % 2 == 0)
                exercises += 1
                samples.check_ms.append(check)
                samples.next_items.append(("exercise", elapsed))
            else:
                samples.next_items.append(("flashcard", flashcard_step(page, answered)))
            answered += 1
        context.close()


def bare_cold_start(page: Any, timeout: float = 60) -> dict[str, float]:
    """Launch bare Streamlit (:mod:`quiz.benchmarks.bare_app`) as ``stride run`` launches the app
    (same flags, from the project root); seconds until healthy and until its title and button
    are on screen in ``page``."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(BARE_APP.relative_to(PROJECT_ROOT)),
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
    ]
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    with launched(command) as process:
        healthy = poll_health(url, process, start + timeout) - start
        page.goto(url)
        page.get_by_role("heading", name=BARE_TITLE).wait_for(timeout=timeout * 1000)
        page.get_by_role("button", name=BARE_BUTTON).wait_for(timeout=timeout * 1000)
        return {
            "healthy_s": round(healthy, 2),
            "first_paint_s": round(time.perf_counter() - start, 2),
        }


def cold_starts(browser: Any, data_dir: str, starts: int, samples: Samples) -> None:
    """``starts`` cold starts of ``stride run`` and of bare Streamlit, in turn, each seen by a
    new browser context (nothing cached)."""
    for number in range(starts):
        _progress(f"cold start {number + 1} of {starts}: stride run, then bare Streamlit")
        context = browser.new_context(viewport=VIEWPORT)
        stride = cold_start(data_dir, context.new_page())
        context.close()
        samples.cold_first_card_s.append(stride["first_card_s"])
        samples.cold_healthy_s.append(stride["healthy_s"])
        context = browser.new_context(viewport=VIEWPORT)
        bare = bare_cold_start(context.new_page())
        context.close()
        samples.bare_first_paint_s.append(bare["first_paint_s"])
        samples.bare_healthy_s.append(bare["healthy_s"])


def measure(
    loads: int = 10, items: int = 40, starts: int = 3, *, log_dir: str | None = None
) -> dict[str, Any]:
    """Run the three measurements (see the module docstring); the flat dict of figures.
    ``log_dir``: keep the servers' output there (``pages-local.log`` …)."""
    from playwright.sync_api import sync_playwright

    check_sizes(loads, items, starts)
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("stride bench pages needs Chromium: apt-get install chromium")

    def log(name: str) -> str | None:
        return str(Path(log_dir) / f"{name}.log") if log_dir else None

    samples = Samples()
    _clock["started"] = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="stride-bench-pages-") as work, sync_playwright() as p:
        study, pages = Path(work) / "study", Path(work) / "pages"
        study.mkdir()
        pages.mkdir()
        _progress("preparing the databases (a class with history, assignments, submissions)")
        Stride.open(f"sqlite:///{study / 'stride.db'}").close()  # migrated, built-in deck
        prepare_pages_database(str(pages), template=study / "stride.db")
        browser = p.chromium.launch(executable_path=chromium, args=chromium_args())
        try:
            cold_starts(browser, str(study), starts, samples)
            _progress(f"study: {items} items, Good / Continue → next item")
            walk_study(browser, str(study), items, samples, log("study"))
            _progress(f"pages: local mode, {loads} rounds of clicks and URL opens")
            draw_pages(browser, str(pages), loads, samples, classroom=False, log=log("pages-local"))
            _progress(f"pages: classroom mode (as {INSTRUCTOR!r}), {loads} rounds of clicks")
            draw_pages(
                browser, str(pages), loads, samples, classroom=True, log=log("pages-classroom")
            )
        finally:
            browser.close()
    return summarise(samples, loads=loads, items=items, starts=starts)


# --- the command --------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def format_result(result: Mapping[str, Any]) -> str:
    """The figures as text: one line per page, then the study walk and the cold starts."""
    lines = [
        f"First draw of every page ({result['loads']} rounds; p50 / p95; "
        f"target p95 < {TARGET_PAGE_P95_MS:.0f} ms)",
        f"  {'page':<24} {'click':>19} {'URL opened':>19} {'server first':>13}",
    ]
    for page, figures in result["page_first_draw"].items():
        click = f"{_ms(figures.get('click_p50_ms'))} / {_ms(figures.get('click_p95_ms'))}"
        goto = f"{_ms(figures.get('goto_p50_ms'))} / {_ms(figures.get('goto_p95_ms'))}"
        if "goto_p95_ms" not in figures:
            goto = "—"
        first = _ms(figures.get("server_first_ms"))
        lines.append(f"  {page:<24} {click:>19} {goto:>19} {first:>13}")
    lines += [
        f"  all pages: p50 {_ms(result['page_first_draw_p50_ms'])}, "
        f"p95 {_ms(result['page_first_draw_p95_ms'])}; slowest "
        f"{result['page_first_draw_slowest']} ({_ms(result['page_first_draw_slowest_p95_ms'])})",
        f"  over target: {', '.join(result['pages_over_target']) or 'none'}",
        "",
        f"Study, {result['items']} items: rating → next item on screen "
        f"(target p95 < {TARGET_NEXT_ITEM_P95_MS:.0f} ms)",
        f"  all         p50 {_ms(result['next_item_p50_ms'])}  "
        f"p95 {_ms(result['next_item_p95_ms'])}  max {_ms(result['next_item_max_ms'])}",
        f"  flashcards  p50 {_ms(result['next_flashcard_p50_ms'])}  "
        f"p95 {_ms(result['next_flashcard_p95_ms'])}  ({result['next_flashcards']}, Good → next)",
        f"  exercises   p50 {_ms(result['next_exercise_p50_ms'])}  "
        f"p95 {_ms(result['next_exercise_p95_ms'])}  ({result['next_exercises']}, "
        "Continue → next)",
        f"  (Check → grade p50 {_ms(result['exercise_check_p50_ms'])}, "
        f"p95 {_ms(result['exercise_check_p95_ms'])})",
        "",
        f"Cold start (median of {result['starts']}): stride run → first card "
        f"{result['cold_first_card_s']} s {result['cold_first_card_runs_s']}; bare Streamlit → "
        f"first paint {result['bare_first_paint_s']} s {result['bare_first_paint_runs_s']}; "
        f"ratio {result['cold_start_ratio']} (target ≤ {TARGET_COLD_START_RATIO:g})",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stride bench pages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--loads", type=int, default=10, help="timed rounds through the pages")
    parser.add_argument("--items", type=int, default=40, help="Study items walked")
    parser.add_argument("--starts", type=int, default=3, help="cold starts of each server")
    parser.add_argument("--log-dir", type=Path, help="keep the servers' output in this folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        check_sizes(args.loads, args.items, args.starts)
    except ValueError as error:
        parser.error(str(error))
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)
    result = measure(
        args.loads, args.items, args.starts, log_dir=str(args.log_dir) if args.log_dir else None
    )
    print(json.dumps(result, indent=2) if args.json else format_result(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
