"""Images in deck and user text: only those Stride serves itself are shown.

An image in Markdown (``![alt](https://host/x.png)``) makes the browser of everyone who sees the
text fetch that address as the page is drawn: a tracking pixel, and a leak of who studies what,
from where and when. So text that Stride renders keeps an image only when it is written exactly
``![alt](url)`` and :func:`stride_image` accepts ``url``: a plain path under one of
:data:`MEDIA_PREFIXES`, which Stride serves itself. There are none yet (the media store will add
``/media/``), so today no image is shown at all.

Every other ``![`` loses its image meaning, whatever follows it (inline ``![alt](url)``,
reference ``![alt][ref]`` and ``![ref]``, nested images):

* outside maths, the ``!`` gets a backslash: ``\\![alt](url)`` shows ``!`` and an ordinary link,
  which the viewer has to click (Streamlit opens it in a new tab);
* inside maths (``$...$``, ``$$...$$`` on one line, or a whole formula), an empty group goes
  between ``!`` and ``[``: ``!{}[`` is the same formula.

Either form stops the image in any context, so the result does not depend on this module and the
browser's Markdown parser agreeing about where code or maths starts and ends: every ``![`` is
treated, in code too (where ``![`` then shows with a backslash; code rarely holds one). A ``!``
that already has a backslash (an odd run of backslashes before it) is left alone, so the
treatment is idempotent.

HTML ``<img>`` is not handled here: Streamlit shows HTML in Markdown as text (Stride never lets
it render HTML), and Anki HTML is converted to ``[image: name]``
(:mod:`quiz.decks.anki_html`). KaTeX's ``\\includegraphics`` and ``\\href`` need its ``trust``
option, which Streamlit does not set.

Linear time: each line is scanned a fixed number of times (``str.find`` from a cursor that only
moves forward, and possessive patterns that never backtrack).
"""

from __future__ import annotations

import re
from collections.abc import Callable

MEDIA_PREFIXES: tuple[str, ...] = ()
"""Paths under which Stride itself serves images (none yet; the media store adds ``"/media/"``)."""

ImagePolicy = Callable[[str], bool]
"""Whether an image address may be shown: ``policy(url) -> bool``."""

# An image exactly as the allow-list accepts it: alt text without brackets, backslashes or line
# breaks, and a plain path (no scheme, no entity, no escape, no space, no title).
_SIMPLE_IMAGE = re.compile(r"!\[[^\[\]\\\n]*+\]\(([A-Za-z0-9._~/-]++)\)")
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._~/-]*+")


class Work:
    """Characters examined by the scanners of :mod:`quiz.decks.render` and this module, for the
    tests that show they are linear (``str`` methods count the characters they go over)."""

    __slots__ = ("chars",)

    def __init__(self) -> None:
        self.chars = 0

    def add(self, count: int) -> None:
        self.chars += count


def stride_image(url: str) -> bool:
    """True when ``url`` is an image Stride serves itself: a plain path under one of
    :data:`MEDIA_PREFIXES` (no scheme or host, no ``//`` or ``..``). Always false today."""
    return (
        any(url.startswith(prefix) for prefix in MEDIA_PREFIXES)
        and _SAFE_PATH.fullmatch(url) is not None
        and "//" not in url
        and ".." not in url
    )


def disarm_images(
    text: str,
    *,
    maths: bool = False,
    allowed: ImagePolicy | None = None,
    work: Work | None = None,
) -> str:
    """``text`` with every image that Stride does not serve turned into text (see the module
    docstring). ``maths``: ``text`` is one formula (else ``$...$`` spans are found line by line);
    ``allowed`` decides which addresses may stay (default :func:`stride_image`)."""
    if "![" not in text:
        if work is not None:
            work.add(len(text))
        return text
    allowed = allowed or stride_image
    return "\n".join(_disarm_line(line, maths, allowed, work) for line in text.split("\n"))


def _disarm_line(line: str, maths: bool, allowed: ImagePolicy, work: Work | None) -> str:
    start = line.find("![")
    if work is not None:
        work.add(2 * len(line) + 1)  # the split that made this line, and the search for "!["
    if start < 0:
        return line
    spans = [(0, len(line))] if maths else maths_spans(line, work)
    pieces: list[str] = []
    cursor = 0
    span = 0
    while start >= 0:
        backslashes = 0
        while start - backslashes > 0 and line[start - backslashes - 1] == "\\":
            backslashes += 1
        if work is not None:
            work.add(backslashes + 1)
        if backslashes % 2:  # the "!" is escaped already
            start = line.find("![", start + 1)
            continue
        while span < len(spans) and spans[span][1] <= start:
            span += 1
        in_maths = span < len(spans) and spans[span][0] < start
        image = _SIMPLE_IMAGE.match(line, start)
        if work is not None:
            work.add(image.end() - start if image else 2)
        if image is not None and allowed(image.group(1)):
            start = line.find("![", image.end())
            continue
        pieces.append(line[cursor:start])
        pieces.append("!{}" if in_maths else "\\!")
        cursor = start + 1
        start = line.find("![", start + 1)
    pieces.append(line[cursor:])
    return "".join(pieces)


def maths_spans(line: str, work: Work | None = None) -> list[tuple[int, int]]:
    """The inline maths of one line: ``(start, end)`` of each ``$...$`` (or ``$$...$$``), left to
    right. As in Markdown maths, a run of ``$`` closes at the next run of the same length; a
    ``$`` after an odd run of backslashes is escaped (text)."""
    runs: list[tuple[int, int]] = []  # (start, length) of each unescaped run of "$"
    position = line.find("$")
    while position >= 0:
        end = position
        while end < len(line) and line[end] == "$":
            end += 1
        backslashes = 0
        while position - backslashes > 0 and line[position - backslashes - 1] == "\\":
            backslashes += 1
        if work is not None:
            work.add(end - position + backslashes)
        start = position + backslashes % 2  # an escaped "$" is text; the rest of the run counts
        if end > start:
            runs.append((start, end - start))
        position = line.find("$", end)
    if work is not None:
        work.add(len(line))
    following: list[int | None] = [None] * len(runs)  # the next run of the same length
    last: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        following[index] = last.get(runs[index][1])
        last[runs[index][1]] = index
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        closer = following[index]
        if closer is None:
            index += 1
            continue
        spans.append((runs[index][0], runs[closer][0] + runs[closer][1]))
        index = closer + 1
    return spans
