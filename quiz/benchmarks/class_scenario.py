"""What one student does in ``stride bench class``, at Streamlit's protocol level.

A :class:`StrideStudent` (one :class:`~quiz.benchmarks.protocol.ProtocolClient`, i.e. one
browser tab) signs in over HTTP as a browser does (classroom mode: the form, *sign_in_form*; its
POST, *sign_in*), opens the app with the session cookie (*first_page*), opens Study and then,
with a think time before every action, works as a student does:

* a flashcard: "Show answer" (*reveal*), then Good (80 %) or Again (*rate*);
* a scheduled exercise item: switch a matrix/tensor answer to the text box (*text_mode*), type
  the right answer (60 %) or a wrong but well-formed one, press Check (*answer_item*), then
  Continue (*continue*);
* about one action in ``practice_every``: open Practice (*open_practice*; a problem answered on
  an earlier visit is replaced first, *new_problem*), answer its problem (*practice_submit*), go
  back to Study (*open_study*);
* about one action in ``stats_every``: open Statistics (*open_stats*) and go back to Study.

An answer is *acknowledged* when the page drawn after it shows it taken: the progress line's
count went up (a rating, an exercise item), or a verdict is shown (Practice). The benchmark
compares these counts with the rows in the database afterwards (lost / doubled answers).

A :class:`BareStudent` does the same number of actions with the same think times against the
bare page (:mod:`quiz.benchmarks.bare_app`): each action presses its one button. Every action's
time is from sending the ``BackMsg`` to the end of the run it started (``script_finished``).
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from quiz.benchmarks.http_sign_in import SignInRefused, browser_client
from quiz.benchmarks.http_sign_in import sign_in as http_sign_in
from quiz.benchmarks.protocol import ProtocolClient, ProtocolError, Run
from quiz.exercises.registry import FAMILIES
from quiz.grading import AnswerKind

PASSWORD = "class-bench-password-1"
STUDY_PAGE, PRACTICE_PAGE, STATS_PAGE = "study", "practice", "stats"
FIRST_PAGE_ACTIONS = ("sign_in_form", "sign_in", "first_page")
"""Actions that open a session; reported apart from the studying actions."""
_ANSWERED = re.compile(r"^(\d+) answered this session")
_ITEM = re.compile(r"`([a-z0-9-]+)` seed (\d+), difficulty (\d)")
MAX_ERRORS_KEPT = 50
ANSWER_MODE = "Enter the answer as"
"""The segmented control that switches a matrix answer from the grid to a text box."""


@dataclass(frozen=True)
class Scenario:
    """How a class behaves: its size, ramp, length and think times."""

    students: int = 500
    ramp_s: float = 60.0
    """Students arrive evenly over this many seconds."""
    duration_s: float = 180.0
    """Each student keeps acting until this many seconds after the last one arrived."""
    think_mean_s: float = 10.0
    think_sigma: float = 0.6
    """Think times are log-normal with this mean and shape, clipped to [0.5 s, 6 × mean]."""
    practice_every: int = 8
    stats_every: int = 30
    correct_share: float = 0.6
    seed: int = 1

    def think_time(self, rng: random.Random) -> float:
        mu = math.log(self.think_mean_s) - self.think_sigma**2 / 2
        return min(max(rng.lognormvariate(mu, self.think_sigma), 0.5), 6 * self.think_mean_s)


@dataclass
class Tally:
    """Everything the students of one phase measured, shared by all of them."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    reviews: Counter[str] = field(default_factory=Counter)
    """Acknowledged review-log rows per username (ratings and exercise items)."""
    attempts: Counter[str] = field(default_factory=Counter)
    """Acknowledged exercise attempts per username (exercise items and practice)."""

    def timed(self, action: str, run: Run) -> Run:
        self.seconds[action].append(run.seconds)
        if run.exceptions:
            self.error(action, f"exception on the page: {run.exceptions[0][:200]}")
        elif run.status in ("compile-error", "page-not-found"):
            self.error(action, run.status)
        return run

    def error(self, action: str, message: str) -> None:
        self.errors[action] += 1
        if len(self.examples) < MAX_ERRORS_KEPT:
            self.examples.append(f"{action}: {message}")

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def _answered(run: Run) -> int | None:
    for text in run.texts():
        if found := _ANSWERED.match(text):
            return int(found[1])
    return None


def _has_verdict(run: Run) -> bool:
    """Practice shows a graded answer: "Correct.", "Incorrect: …" or "Not quite: …"."""
    return any(text.startswith(("Correct.", "Incorrect", "Not quite")) for text in run.texts())


def right_answer(family_id: str, seed: int, difficulty: int) -> tuple[str, AnswerKind]:
    """The canonical answer of an exercise and its kind (regenerated from its identity)."""
    exercise = FAMILIES[family_id].make(seed, difficulty)
    return exercise.answer, exercise.answer_kind


def wrong_answer(kind: AnswerKind, right: str) -> str:
    """A well-formed answer of the same kind that is (almost surely) wrong."""
    if kind in (AnswerKind.MATRIX, AnswerKind.TENSOR):
        return "\n".join(
            " ".join("0" if token != "0" else "1" for token in line.split()) if line else line
            for line in right.splitlines()
        )
    if kind == AnswerKind.SHAPE:
        *leading, last = right.split("×")
        return "×".join([*leading, f" {int(last) + 1}"])
    return "1" if right.strip() != "1" else "2"


class Student:
    """The protocol-level session of one student and its timing loop."""

    def __init__(
        self, url: str, username: str, scenario: Scenario, tally: Tally, deadline: float
    ) -> None:
        self.client = ProtocolClient(url)
        self.base_url = url
        self.username = username
        self.scenario = scenario
        self.tally = tally
        self.deadline = deadline
        self.rng = random.Random(f"{scenario.seed}:{username}")

    async def think(self) -> bool:
        """Wait a think time; False once the class is over."""
        pause = self.scenario.think_time(self.rng)
        if time.monotonic() + pause >= self.deadline:
            return False
        await asyncio.sleep(pause)
        return True

    async def act(self, action: str, step: object) -> Run:
        run = await step  # type: ignore[misc]
        return self.tally.timed(action, run)


class BareStudent(Student):
    """The same class against the bare page: every action presses its button."""

    async def run(self) -> None:
        try:
            await self.act("first_page", self.client.open(""))
            while await self.think():
                await self.act("press", self.client.click("Press"))
        except (ProtocolError, TimeoutError, OSError) as error:
            self.tally.error("session", f"{type(error).__name__}: {error}")
        finally:
            await self.client.close()


class StrideStudent(Student):
    """A student studying in Stride (see the module docstring)."""

    def __init__(self, *args: object, classroom: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.classroom = classroom
        self.actions = 0

    async def run(self) -> None:
        try:
            await self.sign_in()
            await self.act("open_study", self.client.open(STUDY_PAGE))
            while await self.think():
                await self.step()
        except (ProtocolError, SignInRefused, TimeoutError, OSError, httpx.HTTPError) as error:
            self.tally.error("session", f"{type(error).__name__}: {error}")
        finally:
            await self.client.close()

    async def sign_in(self) -> None:
        """Classroom: the gate's form, then its POST (HTTP, as a browser), then the first page
        over the websocket with the session cookie. Local: just the first page."""
        if self.classroom:
            async with browser_client(self.client.timeout) as http:
                signed_in = await http_sign_in(http, self.base_url, self.username, PASSWORD)
            self.tally.seconds["sign_in_form"].append(signed_in.form_seconds)
            self.tally.seconds["sign_in"].append(signed_in.post_seconds)
            self.client.headers["Cookie"] = signed_in.cookie_header
        first = await self.act("first_page", self.client.open(""))
        if self.classroom and not first.has_text(f"Signed in as **{self.username}**"):
            raise ProtocolError(f"not signed in on the first page: {first.text()[:200]}")

    async def step(self) -> None:
        self.actions += 1
        if self.actions % self.scenario.practice_every == 0:
            await self.practice()
        elif self.actions % self.scenario.stats_every == 0:
            await self.act("open_stats", self.client.open(STATS_PAGE))
            if await self.think():
                await self.act("open_study", self.client.open(STUDY_PAGE))
        else:
            await self.study()

    async def study(self) -> None:
        client = self.client
        if client.has("button", "Show answer"):
            await self.act("reveal", client.click("Show answer"))
        elif client.has("button", lambda label: label.startswith("Good ·")):
            await self.rate()
        elif client.has("button", "Check") and self._item_on_screen():  # Practice has one too
            await self.answer_item()
        elif client.has("button", "Continue"):
            await self.act("continue", client.click("Continue"))
        else:  # all done for now, or an unexpected page: practise instead
            await self.practice()

    async def rate(self) -> None:
        before = _answered(self.client.page)
        label = "Good ·" if self.rng.random() < 0.8 else "Again ·"
        run = await self.act("rate", self.client.click(lambda text: text.startswith(label)))
        self._acknowledge(before, run, attempts=0)

    def _item_on_screen(self) -> re.Match[str] | None:
        """The caption of the Study page's exercise item (family, seed, difficulty), if any."""
        return next(filter(None, map(_ITEM.search, self.client.page.texts())), None)

    async def answer_item(self) -> None:
        found = self._item_on_screen()
        if found is None:
            raise ProtocolError("an exercise item without its family, seed and difficulty")
        family, seed, difficulty = found.groups()
        answer = await self._answer_text(family, int(seed), int(difficulty))
        before = _answered(self.client.page)
        run = await self.act("answer_item", self.client.submit({"Your answer": answer}, "Check"))
        self._acknowledge(before, run, attempts=1)

    async def practice(self) -> None:
        client = self.client
        opened = await self.act("open_practice", client.open(PRACTICE_PAGE))
        if _has_verdict(opened):  # back to a problem answered before: a new one first
            await self.act("new_problem", client.click("New problem"))
        if not await self.think():
            return
        query = parse_qs(client.query_string)
        try:
            family, seed = query["family"][0], int(query["seed"][0])
            difficulty = int(query["difficulty"][0])
        except (KeyError, ValueError):
            self.tally.error("open_practice", f"no problem in the URL: {client.query_string!r}")
            return
        answer = await self._answer_text(family, seed, difficulty)
        run = await self.act("practice_submit", client.submit({"Your answer": answer}, "Check"))
        if _has_verdict(run):
            self.tally.attempts[self.username] += 1
        else:
            self.tally.error("practice_submit", f"no verdict: {run.text()[:200]}")
        if await self.think():
            await self.act("open_study", client.open(STUDY_PAGE))

    async def _answer_text(self, family: str, seed: int, difficulty: int) -> str:
        """The answer to type; matrix/tensor answers switch the input to its text box first."""
        right, kind = right_answer(family, seed, difficulty)
        if kind in (AnswerKind.MATRIX, AnswerKind.TENSOR) and not self.client.has(
            "text_area", "Your answer"
        ):
            await self.act("text_mode", self.client.choose(ANSWER_MODE, ["Text"]))
        correct = self.rng.random() < self.scenario.correct_share
        return right if correct else wrong_answer(kind, right)

    def _acknowledge(self, before: int | None, run: Run, *, attempts: int) -> None:
        after = _answered(run)
        if before is not None and after == before + 1:
            self.tally.reviews[self.username] += 1
            self.tally.attempts[self.username] += attempts
        elif not run.exceptions:
            page = run.text()[:300]
            self.tally.error("acknowledge", f"answer count {before} → {after}: {page!r}")
