"""Convert card source text to Markdown that Streamlit renders with KaTeX.

The source text stays as it was written; this conversion is done for display only:

* ``\\[ ... \\]`` display maths becomes a ``$$`` block on its own lines (a display formula in the
  middle of a sentence or a bullet becomes inline ``$\\displaystyle ...$`` instead). ``\\[``
  opens only when its backslash is not itself escaped (in ``a \\\\[4pt]``, a line break with
  spacing inside ``aligned``, the ``[`` belongs to ``\\\\``), and it is closed by the first such
  ``\\]`` after it (with something in between); a ``\\[`` that is never closed stays as it is;
* inside maths, the ``\\\\\\\\`` line breaks that some exporters write become ``\\\\``;
* bullet lines (``  • item``) become Markdown list items;
* fenced code blocks (:mod:`quiz.decks.fences`) are left as they are: no maths, no bullets and no
  blank-line changes inside them, and display maths neither starts nor ends in one;
* images are disarmed everywhere, code included (:func:`quiz.decks.images.disarm_images`):
  ``![alt](url)`` shows as ``!`` and a link to click, unless Stride serves ``url`` itself;
* runs of blank lines become one, and the result is trimmed.

Linear time, whatever the text: every step is a scan from a cursor that only moves forward (or a
pattern that cannot backtrack), so each character is examined a bounded number of times. ``work``
(:class:`~quiz.decks.images.Work`) counts the characters examined, for the tests that show it;
:mod:`quiz.benchmarks.render` times it on adversarial text.
"""

from __future__ import annotations

import re

from quiz.decks.fences import code_lines
from quiz.decks.images import ImagePolicy, Work, disarm_images

_BULLETS = "•◦▪‣·"
_STASH = "\x00"  # formulas are stashed as \x00<index>\x00 (NUL is removed from the source first)
_BACKSLASHES = re.compile(r"\\+")  # one maximal run per match: linear


def to_markdown(
    source: str, *, allowed: ImagePolicy | None = None, work: Work | None = None
) -> str:
    """Return Markdown + KaTeX for card ``source`` text (see the module docstring).

    ``allowed`` decides which image addresses may stay (default
    :func:`quiz.decks.images.stride_image`); ``work`` counts the characters examined.
    """
    text = source.replace("\r\n", "\n").replace(_STASH, "")
    lines = text.split("\n")
    _count(work, 3 * len(source) + len(lines))
    flags = code_lines(lines)
    _count(work, 4 * len(text))  # a fence check copies and strips a line at most twice
    out: list[tuple[str, bool]] = []  # (line, in a code block)
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and flags[end] == flags[start]:
            end += 1
        if flags[start]:
            out += [
                (disarm_images(line, allowed=allowed, work=work), True) for line in lines[start:end]
            ]
        else:
            out += [(line, False) for line in _prose(lines[start:end], allowed, work)]
        start = end
    return _assemble(out, work)


def display_maths(text: str, work: Work | None = None) -> list[tuple[int, int, int, int]]:
    """Every display formula of ``text``, left to right: ``(start, opener, inner_end, end)``, where
    ``text[opener:opener + 2]`` is its ``\\[``, ``text[opener + 2:inner_end]`` the formula,
    ``text[inner_end:end]`` its ``\\]``, and ``text[start:opener]`` the escaped backslashes
    (``\\\\`` pairs) just before the ``\\[``, which are not part of it.

    A ``\\[`` or ``\\]`` is the end of an odd run of backslashes; the closer is the first one whose
    run starts at least one character after the opener. Linear: one pass collects the runs, then
    each opener takes the next closer from a pointer that only moves forward.
    """
    openers: list[tuple[int, int]] = []  # (run start, run end) of each \[
    closers: list[tuple[int, int]] = []  # (run start, run end) of each \]
    for run in _BACKSLASHES.finditer(text):
        start, end = run.span()
        if (end - start) % 2 and end < len(text) and text[end] in "[]":
            (openers if text[end] == "[" else closers).append((start, end))
    _count(work, len(text))
    formulas: list[tuple[int, int, int, int]] = []
    cursor = 0
    closer = 0
    for start, end in openers:
        if start < cursor:
            continue  # inside the previous formula
        inner = end + 1
        while closer < len(closers) and closers[closer][0] <= inner:
            closer += 1
        if closer == len(closers):
            break  # no closer after this opener, so none after any later one either
        close_end = closers[closer][1]
        formulas.append((start, end - 1, close_end - 1, close_end + 1))
        cursor = close_end + 1
    _count(work, len(openers) + len(closers))
    return formulas


def _prose(lines: list[str], allowed: ImagePolicy | None, work: Work | None) -> list[str]:
    """Convert lines outside code blocks: display maths, bullets and images."""
    text = "\n".join(lines)
    formulas: list[str] = []
    pieces: list[str] = []
    cursor = 0
    for _start, opener, inner_end, end in display_maths(text, work):
        formula = text[opener + 2 : inner_end].strip().replace("\\\\\\\\", "\\\\")
        formulas.append(disarm_images(formula, maths=True, allowed=allowed, work=work))
        pieces += [text[cursor:opener], f"{_STASH}{len(formulas) - 1}{_STASH}"]
        cursor = end
        _count(work, 3 * (inner_end - opener))
    pieces.append(text[cursor:])
    stashed = "".join(pieces)
    _count(work, 3 * len(text))
    out: list[str] = []
    for line in stashed.split("\n"):
        out.extend(_convert_line(line, formulas, allowed, work))
    return "\n".join(out).split("\n")  # a formula may span lines


def _convert_line(
    line: str, formulas: list[str], allowed: ImagePolicy | None, work: Work | None
) -> list[str]:
    """Convert one line whose display formulas were replaced by ``\\x00<index>\\x00``."""
    bullet = _bullet_text(line)
    pieces = (line if bullet is None else bullet).split(_STASH)
    _count(work, 3 * len(line))
    texts, indices = pieces[0::2], [formulas[int(index)] for index in pieces[1::2]]
    if bullet is None and indices and not any(text.strip() for text in texts):
        blocks: list[str] = []
        for formula in indices:
            blocks += ["", "$$", formula, "$$", ""]
        return blocks
    rendered = [disarm_images(texts[0], allowed=allowed, work=work)]
    for formula, text in zip(indices, texts[1:], strict=True):
        rendered += [
            "$\\displaystyle ",
            formula,
            "$",
            disarm_images(text, allowed=allowed, work=work),
        ]
    return [("" if bullet is None else "- ") + "".join(rendered)]


def _bullet_text(line: str) -> str | None:
    """The text of a bullet line (``  • item``: ``item``), or ``None`` for any other line."""
    body = line.lstrip()
    if len(body) >= 2 and body[0] in _BULLETS and body[1].isspace():
        return body[1:].lstrip()
    return None


def _assemble(lines: list[tuple[str, bool]], work: Work | None) -> str:
    """Join the lines, keeping at most one blank line in a row outside code blocks; trim."""
    kept: list[str] = []
    blank = False
    for line, code in lines:
        if not code and not line:
            if blank:
                continue
            blank = True
        else:
            blank = False
        kept.append(line)
    text = "\n".join(kept)
    _count(work, 2 * len(text))
    return text.strip()


def _count(work: Work | None, chars: int) -> None:
    if work is not None:
        work.add(chars)
