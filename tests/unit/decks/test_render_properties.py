"""Properties of :func:`quiz.decks.render.to_markdown` on random text (Hypothesis).

* **Display maths as before.** On text without code fences or image syntax the linear scanner
  gives exactly what the old regular-expression renderer gave (kept below, slow but plainly
  correct on short texts, as the reference): the same ``\\[...\\]`` formulas, the same ``$$``
  blocks, bullets, blank lines and trimming.
* **Formulas kept.** Every display formula of the source is in the output, in a ``$$`` block or
  inline in display style, with the exporter's ``\\\\\\\\`` written ``\\\\`` (and at most one
  blank line in a row).
* **Inline maths untouched.** Every ``$...$`` of a line without display maths or image syntax is
  in the output as it was.
* **Code fences untouched.** Every fenced code block is in the output line for line (images
  aside), and no maths or bullet is converted inside one.
* **No outside image.** No ``![`` in the output is live image syntax (every one has a backslash
  before its ``!``), unless Stride serves the image; see ``test_images.py``.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quiz.decks.fences import code_lines
from quiz.decks.images import disarm_images, maths_spans
from quiz.decks.render import display_maths, to_markdown

pytestmark = pytest.mark.slow  # hypothesis, 400 generated documents per property

SETTINGS = settings(max_examples=400, deadline=None, database=None, derandomize=True)

MATHS_PIECES = [
    "\\[", "\\]", "\\\\", "\\\\\\\\", "\\", "[", "]", "$", "$$", "x", " ", "  ", "\n", "\n\n",
    "\r\n", "\t", "•", "  • ", "◦ ", "{", "}", "a b", "\\[4pt]", "\x00",
]  # fmt: skip
FENCE_PIECES = ["```", "~~~", "````", "\n```\n", "\n~~~\n", "\n   ```\n", "\n    ```\n", "```py"]
IMAGE_PIECES = ["![", "!", "[", "](", "http://h/x.png", ")", "]", "\\", "$", "`", "![a][r]"]


def _texts(pieces: list[str], max_size: int = 30) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


# --- the old renderer, as the reference ----------------------------------------------------------

_OLD_DISPLAY_MATHS = re.compile(r"(?<!\\)((?:\\\\)*)\\\[(.+?(?<!\\)(?:\\\\)*)\\\]", re.DOTALL)
_OLD_BULLET = re.compile(r"^\s*[•◦▪‣·]\s+")
_OLD_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


def reference_to_markdown(source: str) -> str:
    """The renderer before it was made linear (quadratic on unclosed ``\\[``; fine here)."""
    formulas: list[str] = []

    def stash(match: re.Match[str]) -> str:
        formulas.append(re.sub(r"\\{4}", r"\\\\", match.group(2).strip()))
        return f"{match.group(1)}\x00{len(formulas) - 1}\x00"

    def inline(text: str) -> str:
        return _OLD_PLACEHOLDER.sub(
            lambda match: "$\\displaystyle " + formulas[int(match.group(1))] + "$", text
        )

    text = _OLD_DISPLAY_MATHS.sub(stash, source.replace("\r\n", "\n").replace("\x00", ""))
    out: list[str] = []
    for line in text.split("\n"):
        if _OLD_BULLET.match(line):
            out.append("- " + inline(_OLD_BULLET.sub("", line)))
            continue
        pieces = _OLD_PLACEHOLDER.split(line)
        if pieces[1::2] and not any(piece.strip() for piece in pieces[0::2]):
            for index in pieces[1::2]:
                out += ["", "$$", formulas[int(index)], "$$", ""]
        else:
            out.append(inline(line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _live_images(markdown: str) -> list[int]:
    """Where ``markdown`` holds ``![`` whose ``!`` has no backslash before it: image syntax."""
    found = []
    for match in re.finditer(r"!\[", markdown):
        backslashes = len(markdown[: match.start()]) - len(markdown[: match.start()].rstrip("\\"))
        if backslashes % 2 == 0:
            found.append(match.start())
    return found


# --- properties --------------------------------------------------------------------------------


@SETTINGS
@given(_texts(MATHS_PIECES))
@example("\\[a\\]\\[b\\]")
@example("\\[\\] x \\]")  # the shortest formula is "\\] x ": at least one character inside
@example("\\\\[a\\]")  # an escaped backslash, then "[": no formula
@example("a \\\\[4pt] b \\[x\\]")
@example("  • \\[x\\] and\n\\[y\n\n\n\\]")
def test_display_maths_bullets_and_blank_lines_as_the_reference_renders_them(text: str) -> None:
    assert to_markdown(text) == reference_to_markdown(text)


@SETTINGS
@given(_texts(MATHS_PIECES + FENCE_PIECES + IMAGE_PIECES))
@example("\\[a\n\n\n\nb\\]")
@example("\\[a \\\\\\\\ b ![c](d)\\]")
def test_every_display_formula_is_kept(text: str) -> None:
    markdown = to_markdown(text)
    lines = text.replace("\r\n", "\n").replace("\x00", "").split("\n")
    runs: list[list[str]] = [[]]  # the runs of lines between code blocks, each scanned alone
    for line, code in zip(lines, code_lines(lines), strict=True):
        if code:
            runs.append([])
        else:
            runs[-1].append(line)
    for run in map("\n".join, runs):
        for _start, opener, inner_end, _end in display_maths(run):
            formula = run[opener + 2 : inner_end].strip().replace("\\\\\\\\", "\\\\")
            kept = re.sub(r"\n{3,}", "\n\n", disarm_images(formula, maths=True))
            assert kept in markdown  # as written, but with one blank line at most in a row


@SETTINGS
@given(_texts(["$", "$$", "x", " ", "\\$", "\\", "{", "}", "a+b", "\n", "•"]))
def test_inline_maths_is_left_as_it_is(text: str) -> None:
    markdown = to_markdown(text)
    for line in text.split("\n"):
        if "\\[" in line or line.lstrip().startswith("•"):
            continue
        for start, end in maths_spans(line):
            assert line[start:end] in markdown


@SETTINGS
@given(_texts(MATHS_PIECES + FENCE_PIECES + IMAGE_PIECES, max_size=40))
@example("```\n\\[x\\]\n  • a\n\n\n\nb\n```")
@example("\\[a\n```\nb\\]\n```")  # display maths does not reach into a code block
def test_code_fences_are_left_as_they_are(text: str) -> None:
    lines = text.replace("\r\n", "\n").replace("\x00", "").split("\n")
    flags = code_lines(lines)
    markdown = to_markdown(text)
    block: list[str] = []
    for line, code in [*zip(lines, flags, strict=True), ("", False)]:
        if code:
            block.append(disarm_images(line))
        elif block:
            assert "\n".join(block).strip() in markdown
            block = []


@SETTINGS
@given(_texts(MATHS_PIECES + FENCE_PIECES + IMAGE_PIECES, max_size=40))
@example("![a](http://h/x.png)")
@example("$![a](http://h/x.png)$ \\\\![b](u) \\![c](u)")
@example("\\[ ![a](http://h/x.png) \\]")
@example("```\n![a](http://h/x.png)\n```")
def test_no_image_syntax_is_left_live(text: str) -> None:
    markdown = to_markdown(text)
    assert _live_images(markdown) == [], markdown
    assert disarm_images(markdown) == markdown  # disarming again changes nothing
