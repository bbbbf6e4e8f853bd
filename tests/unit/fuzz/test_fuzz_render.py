"""Fuzzing the renderer (:func:`quiz.decks.render.to_markdown`) as the parsers are fuzzed: real
card sides (the built-in deck, the notes seed, the notes test files, Anki conversions) damaged the
ways files get damaged (:mod:`.mutations`), soups of the pieces that break Markdown and maths, and
very long hostile texts. Every one renders -- a string, never an exception, never a hang (a time
limit fails the test) -- with no live image syntax and no NUL, and the import limits
(:func:`quiz.decks.model.side_problems`) give an answer for it in bounded time too.

The work is counted (not timed) in ``tests/unit/decks/test_render_linear.py``; here the time
limits are far above what linear work needs, to catch a hang.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from quiz.benchmarks.render import ADVERSARIAL
from quiz.decks import parse_deck_file
from quiz.decks.anki_html import html_to_markdown
from quiz.decks.model import side_problems
from quiz.decks.render import to_markdown
from tests.support import BUILTIN_DECK, SEED_DECK

from .mutations import FUZZ, ODD_TEXT, Repeated, mutated_lines, time_limit

pytestmark = pytest.mark.slow  # fuzzing (hypothesis, many examples)

PER_SIDE_SECONDS = 5  # far above what any side needs; a hang fails fast
LONG_CHARS = 200_000  # ten times the longest side an import accepts: texts stored before the limit
LINEAR_SECONDS = 2.0  # CPU seconds; linear rendering needs a small fraction of one for this

NOTES_DIR = Path(__file__).resolve().parents[2] / "data" / "notes"


def _sides() -> list[str]:
    sides: list[str] = []
    for deck in (parse_deck_file(BUILTIN_DECK), parse_deck_file(SEED_DECK)):
        sides += [side for card in deck.cards for side in (card.front, card.back)]
    for path in sorted(NOTES_DIR.glob("*.expected.json")):
        for card in json.loads(path.read_text("utf-8"))["cards"]:
            sides += [card["front"], card["back"]]
    return sides


SIDES = _sides()
RENDER_PIECES = [
    "\\[", "\\]", "\\\\", "\\\\[4pt]", "$", "$$", "\\$", "```", "~~~", "\n```\n", "  • ", "- ",
    "> ", "1. ", "![a](http://h/x.png)", "![", "](", "[a]: http://h/x.png", "`", "\n\n\n", "\r\n",
    "\x00", "{", "}", "<img src=x>", "\\begin{aligned}", "&#33;",
]  # fmt: skip


def assert_renders(text: str) -> str:
    """``text`` renders in bounded time to Markdown with no live image, and the import limits
    decide on it in bounded time."""
    with time_limit(PER_SIDE_SECONDS, f"rendering {len(text)} characters"):
        markdown = to_markdown(text)
        problems = side_problems("the side", text, 1)
    assert isinstance(markdown, str) and "\x00" not in markdown
    assert markdown == markdown.strip()
    index = markdown.find("![")
    while index >= 0:
        backslashes = len(markdown[:index]) - len(markdown[:index].rstrip("\\"))
        assert backslashes % 2 == 1, f"live image syntax at {index}: {markdown[index:][:40]!r}"
        index = markdown.find("![", index + 1)
    assert all(problem.line == 1 and problem.message for problem in problems)
    return markdown


def test_every_real_side_renders() -> None:
    assert len(SIDES) > 100
    for side in SIDES:
        assert_renders(side)


@FUZZ
@given(st.sampled_from(SIDES).flatmap(lambda side: mutated_lines(side, lines_pool=RENDER_PIECES)))
def test_damaged_sides_render(text: str) -> None:
    assert_renders(text)


@FUZZ
@given(
    st.lists(st.sampled_from(RENDER_PIECES + ODD_TEXT[:40]), min_size=1, max_size=40).map("".join)
)
@example("\\[" * 30 + "```\n" + "\\]")
@example("$![a](http://h/x.png)$\\\\![b](u)")
def test_piece_soups_render(text: str) -> None:
    assert_renders(text)


@FUZZ
@given(st.lists(st.sampled_from(RENDER_PIECES), min_size=1, max_size=12).map("".join))
def test_anki_conversions_render(pieces: str) -> None:
    with time_limit(PER_SIDE_SECONDS, "html_to_markdown"):
        converted = html_to_markdown(pieces)
    assert_renders(converted)


@pytest.mark.parametrize("piece", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_long_hostile_sides_render_in_linear_time(piece: str) -> None:
    """BUG (a hang, the whole server waiting): ``to_markdown("\\\\[" * 50_000)`` took 20 s on the
    review's machine (145 s for 100 kB here): ``_DISPLAY_MATHS``, a lazy regular expression, scanned
    to the end of the text from every unclosed ``\\[`` (also inside a code fence, where
    ``stride deck check`` does not look). Cards stored before the import limit may be this long."""
    text = Repeated(piece, LONG_CHARS // len(piece))
    to_markdown("warm \\[x\\]")
    with time_limit(LINEAR_SECONDS, f"to_markdown({text!r})"):
        to_markdown(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("- " * 9_999 + "x", id="chained-list-markers"),
        pytest.param("> " * 9_999 + "x", id="chained-quotes"),
        pytest.param("  • " + "- " * 9_000 + "x", id="a-bullet-then-markers"),
        pytest.param("1. " * 6_666 + "x", id="ordered-markers"),
        pytest.param((">" * 100 + " x\n") * 190, id="deep-quotes-on-every-line"),
        pytest.param("".join("  " * level + "- x\n" for level in range(130)), id="indented-items"),
    ],
)
def test_deep_sides_are_measured_in_linear_time(text: str) -> None:
    """BUG (a hung browser tab): nothing limited nesting, and ``"- " * 3000`` froze a student's
    tab for over a minute. Now every side that fits the length limit is measured at import."""
    assert len(text) <= 20_000
    with time_limit(LINEAR_SECONDS, f"side_problems on {len(text)} characters"):
        (problem,) = side_problems("the side", text, 1)
    assert "levels deep" in problem.message
