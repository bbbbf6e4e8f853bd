"""The renderer does linear work on any text: counted, not timed.

A card holding ``"\\["`` 25,000 times once took 20 s to show (``_DISPLAY_MATHS``, a lazy regular
expression, scanned to the end of the card from every unclosed ``\\[``), the whole server waiting
on the GIL. Here the work of :func:`quiz.decks.render.to_markdown` on each adversarial text of
:data:`quiz.benchmarks.render.ADVERSARIAL` is counted at 10 kB and at 100 kB, two ways:

* the characters its scanners examine (:class:`quiz.decks.images.Work`: each ``str`` method
  counts the characters it goes over, each loop its steps): at most a fixed number per character
  of input, the same at both sizes;
* the Python lines it executes (``sys.settrace``), which catches a loop inside a loop whatever
  the instrumentation says: ten times the text, at most about ten times the lines.

Work that hides inside one C call (a backtracking regular expression) is caught by the time
limits of ``tests/unit/fuzz/test_fuzz_render.py`` instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from quiz.benchmarks.render import ADVERSARIAL, adversarial_text
from quiz.decks.images import Work, disarm_images
from quiz.decks.nesting import nesting_depth
from quiz.decks.render import to_markdown

SMALL, LARGE = 10_000, 100_000
MAX_WORK_PER_CHAR = 25  # characters examined per input character (about 10 to 22 today)
GROWTH = 1.1  # ten times the text: at most ten times the work per character, and 10 % more

# Hostile texts for the other linear scanners on the rendering path.
NESTING = {
    "chained list markers": "- ",
    "chained quotes": "> ",
    "ordered markers": "1. ",
    "indented items": "  - x\n",
    "quotes on every line": ">>>> x\n",
    "thematic break candidates": "- - -",
}
IMAGES = {"bangs": "![", "maths": "$![$", "escapes": "\\\\![", "allowed-looking": "![a](/media/x)"}


def _work(text: str) -> int:
    work = Work()
    to_markdown(text, work=work)
    return work.chars


def _python_lines(function: Callable[[str], object], text: str) -> int:
    """How many Python lines ``function(text)`` executes (calls and returns included)."""
    count = 0

    def tracer(_frame: object, _event: str, _arg: object) -> Callable[..., object]:
        nonlocal count
        count += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        function(text)
    finally:
        sys.settrace(previous)
    return count


@pytest.mark.parametrize("piece", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_the_scanner_examines_each_character_a_bounded_number_of_times(piece: str) -> None:
    small, large = adversarial_text(piece, SMALL), adversarial_text(piece, LARGE)
    small_work, large_work = _work(small), _work(large)
    assert small_work <= MAX_WORK_PER_CHAR * len(small), small_work / len(small)
    assert large_work <= MAX_WORK_PER_CHAR * len(large), large_work / len(large)
    assert large_work / len(large) <= GROWTH * small_work / len(small)


@pytest.mark.parametrize("piece", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_the_renderer_runs_a_linear_number_of_python_lines(piece: str) -> None:
    small, large = adversarial_text(piece, SMALL // 2), adversarial_text(piece, LARGE // 2)
    small_lines = _python_lines(to_markdown, small)
    large_lines = _python_lines(to_markdown, large)
    assert large_lines / len(large) <= GROWTH * small_lines / len(small) + 0.01


@pytest.mark.parametrize("piece", list(NESTING.values()), ids=list(NESTING))
def test_measuring_nesting_is_linear(piece: str) -> None:
    small, large = adversarial_text(piece, SMALL // 2), adversarial_text(piece, LARGE // 2)
    small_lines = _python_lines(nesting_depth, small)
    large_lines = _python_lines(nesting_depth, large)
    assert large_lines / len(large) <= GROWTH * small_lines / len(small) + 0.01


@pytest.mark.parametrize("piece", list(IMAGES.values()), ids=list(IMAGES))
def test_disarming_images_is_linear(piece: str) -> None:
    counts = []
    for size in (SMALL, LARGE):
        work = Work()
        disarm_images(adversarial_text(piece, size), work=work)
        counts.append(work.chars)
        assert work.chars <= 10 * size
    assert counts[1] <= 10 * GROWTH * counts[0]
