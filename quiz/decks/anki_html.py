"""Anki fields to Markdown + KaTeX (import), and Markdown to Anki HTML + MathJax (export).

Import, :func:`html_to_markdown` (a field of an ``#html:true`` text export or an ``.apkg``):

* maths first: MathJax ``\\(...\\)`` becomes ``$...$``; ``\\[...\\]`` stays display maths
  (:mod:`quiz.decks.render` turns it into ``$$``); Anki's LaTeX ``[$]...[/$]`` becomes ``$...$``,
  ``[$$]...[/$$]`` and ``[latex]...[/latex]`` become ``\\[...\\]``. Tags inside a formula are
  dropped, entities decoded, and ``<``/``>`` written ``\\lt``/``\\gt``;
* ``<br>``, ``<div>`` and ``<p>`` become line breaks, ``<b>``/``<strong>`` ``**bold**``,
  ``<i>``/``<em>`` ``*italic*``, ``<ul>``/``<ol>`` + ``<li>`` Markdown lists, ``<img>``
  ``[image: name]`` (the picture itself is not imported), ``<a>`` its text (never its address);
  no image syntax comes out either: a ``![`` the text makes is written ``\\![``
  (:func:`quiz.decks.images.disarm_images`), so no field can make a browser fetch an address;
* ``<script>``, ``<style>``, ``<iframe>`` and other active elements are removed with their
  content; every other tag is stripped, its text kept;
* text is escaped for Markdown: ``*``, ``_``, `````, ``~``, ``$`` and ``\\`` get a backslash,
  ``<``/``>``/``&`` stay entities, so no HTML can come out of a field, only text.
* markup is read only where it is complete (:func:`_well_formed`): a ``<`` that does not open a
  whole tag (up to its ``>``), comment (``<!-- ... -->``) or declaration (``<!...>``, ``<?...>``)
  is text. Comments and declarations are removed. This also keeps the parser linear: Python's
  ``HTMLParser`` rescans to the end of the field for every unclosed ``<a ``, ``<!--`` or ``</``.

:func:`plain_to_markdown` converts only the maths of a plain-text (``#html:false``) field.
:func:`markdown_to_anki_html` goes the other way for export.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

from quiz.decks.images import disarm_images

# Private-use characters mark stashed formulas; they are removed from the input first.
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


@dataclass(frozen=True)
class _Delimiters:
    """A kind of formula: what opens it and what closes it (``one_line``: no newline inside)."""

    kind: str
    opener: re.Pattern[str]
    closer: re.Pattern[str]
    one_line: bool = False


def _delimiters(kind: str, opener: str, closer: str, *, one_line: bool = False) -> _Delimiters:
    return _Delimiters(
        kind, re.compile(opener, re.IGNORECASE), re.compile(closer, re.IGNORECASE), one_line
    )


# Anki's maths: MathJax \( \) and \[ \], and its LaTeX generator's [$] [$$] [latex].
_ANKI_MATHS = (
    _delimiters("inline", r"\\\(", r"\\\)"),
    _delimiters("display", r"\\\[", r"\\\]"),
    _delimiters("inline", r"\[\$\]", r"\[/\$\]"),
    _delimiters("display", r"\[\$\$\]", r"\[/\$\$\]"),
    _delimiters("display", r"\[latex\]", r"\[/latex\]"),
)

_CLOZE = (_delimiters("cloze", r"\{\{c\d+::", r"\}\}"),)


def _spans(text: str, delimiters: tuple[_Delimiters, ...]) -> list[tuple[int, int, int, int, str]]:
    """Formulas in ``text``: ``(start, inner start, inner end, end, kind)``, left to right.

    Each opener is closed by the first matching closer after it, as a lazy regular expression
    would do, but in linear time (a lazy ``\\(.*?\\)`` is quadratic on many unclosed ``\\(``).
    """
    closers = [[(m.start(), m.end()) for m in d.closer.finditer(text)] for d in delimiters]
    closer_starts = [[start for start, _end in found] for found in closers]
    newlines = [m.start() for m in re.finditer("\n", text)]
    openers = sorted(
        (m.start(), index, m.end())
        for index, d in enumerate(delimiters)
        for m in d.opener.finditer(text)
    )
    spans: list[tuple[int, int, int, int, str]] = []
    cursor = 0
    for start, index, inner in openers:
        if start < cursor:
            continue
        found = bisect_left(closer_starts[index], inner)
        if found == len(closers[index]):
            continue
        close_start, close_end = closers[index][found]
        if delimiters[index].one_line:
            newline = bisect_left(newlines, inner)
            if newline < len(newlines) and newlines[newline] < close_start:
                continue
        spans.append((start, inner, close_start, close_end, delimiters[index].kind))
        cursor = close_end
    return spans


def _replace_spans(
    text: str,
    delimiters: tuple[_Delimiters, ...],
    replace: Callable[[str, str], str],
) -> str:
    """``text`` with each formula replaced by ``replace(kind, inner text)``."""
    pieces: list[str] = []
    cursor = 0
    for start, inner, inner_end, end, kind in _spans(text, delimiters):
        pieces += [text[cursor:start], replace(kind, text[inner:inner_end])]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


_TAG = re.compile(r"<[^<>]*+>")  # stops at the next "<": linear, as a tag holds no "<"
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)

# Elements removed together with everything inside them.
_DROPPED = frozenset(
    """
    script style iframe frame frameset object embed applet noscript template svg math head title
    textarea select audio video canvas
    """.split()
)
_LINE_BLOCKS = frozenset(
    "div li tr dt dd pre table section article header footer nav aside figure".split()
)
_PARAGRAPH_BLOCKS = frozenset("p h1 h2 h3 h4 h5 h6 blockquote ul ol dl hr".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_MARKERS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~$])")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_IMAGE_NAME = re.compile(r"[^\w.\- ]+")
_MAX_NESTING = 8  # deeper emphasis, quotes and list indents are flattened (linear time)


def html_to_markdown(field: str) -> str:
    """Markdown + KaTeX for an Anki HTML field (see the module docstring)."""
    formulas: list[str] = []
    text = _stash_maths(_strip_private(field), formulas, is_html=True)
    converter = _Converter()
    converter.feed(_well_formed(text))
    converter.close()
    return _restore_maths(converter.markdown(), formulas)


def plain_to_markdown(field: str) -> str:
    """A plain-text field (no HTML) with Anki's maths delimiters converted for KaTeX."""
    formulas: list[str] = []
    text = disarm_images(_stash_maths(_strip_private(field), formulas, is_html=False))
    return _restore_maths(text, formulas).strip()


def looks_like_html(text: str) -> bool:
    """True when ``text`` holds HTML tags or entities that Anki writes (``<br>``, ``&nbsp;``...)."""
    return bool(_LOOKS_LIKE_HTML.search(text))


_LOOKS_LIKE_HTML = re.compile(
    r"</?(?:br|div|p|b|i|u|em|strong|span|img|ul|ol|li|sup|sub|font|a|script|style|table|tr|td|h\d)"
    r"\b[^<>]*>|&(?:nbsp|amp|lt|gt|quot|#\d+);",
    re.IGNORECASE,
)


def has_cloze(field: str) -> bool:
    """True when ``field`` holds a cloze deletion (``{{c1::answer}}``, ``{{c1::answer::hint}}``)."""
    return bool(_spans(field, _CLOZE))


def cloze_sides(text: str, extra: str, *, is_html: bool = True) -> tuple[str, str]:
    """A cloze note as one card: deletions shown as ``[...]`` (or ``[hint]``) on the front and in
    bold on the back, the ``extra`` field after it. Both sides are still in the field's format."""
    bold = ("<b>", "</b>") if is_html else ("**", "**")

    def hidden(_kind: str, inner: str) -> str:
        hint = inner.split("::", 1)[1] if "::" in inner else ""
        return "[" + (hint or "...") + "]"

    def shown(_kind: str, inner: str) -> str:
        return bold[0] + inner.split("::", 1)[0] + bold[1]

    back = _replace_spans(text, _CLOZE, shown)
    if extra.strip():
        back += ("<br><br>" if is_html else "\n\n") + extra
    return _replace_spans(text, _CLOZE, hidden), back


def _strip_private(text: str) -> str:
    return text.replace(_OPEN, "").replace(_CLOSE, "").replace("\x00", "")


def _stash_maths(text: str, formulas: list[str], *, is_html: bool) -> str:
    """Replace every formula by a placeholder; ``formulas`` gets ``$...$`` or ``\\[...\\]``."""

    def stash(kind: str, raw: str) -> str:
        formula = _clean_formula(raw, is_html=is_html)
        if not formula:
            return ""
        if kind == "inline":
            formulas.append("$" + " ".join(formula.split()) + "$")
        else:
            formulas.append("\\[" + re.sub(r"\n\s*\n", "\n", formula) + "\\]")
        return f"{_OPEN}{len(formulas) - 1}{_CLOSE}"

    return _replace_spans(text, _ANKI_MATHS, stash)


def _clean_formula(raw: str, *, is_html: bool) -> str:
    if is_html:
        raw = html.unescape(_TAG.sub("", _BR.sub(" ", raw)))
    raw = _UNESCAPED_DOLLAR.sub(r"\\$", raw.replace("\xa0", " "))
    return raw.replace("<", "\\lt ").replace(">", "\\gt ").strip()


def _restore_maths(text: str, formulas: list[str]) -> str:
    return _PLACEHOLDER.sub(lambda match: formulas[int(match.group(1))], text)


# A whole start tag: the grammar of ``html.parser.locatestarttagend_tolerant`` (so the parser
# ends the tag at the same ``>``) without a ``<`` in the names or bare values and without a ``<``
# that could open markup (``<`` + a letter, ``/``, ``!`` or ``?``) in quoted values. A match
# attempt therefore never passes the next ``<`` that opens markup, and with possessive
# quantifiers it never backtracks: the scan of the whole field is linear.
_START_TAG = re.compile(
    r"""
    <[a-zA-Z][^\t\n\r\f />\x00<]*+                                   # the tag name
    (?:[\s/]*+
      (?:(?<=['"\s/])[^\s/><][^\s/=><]*+                              # an attribute name
        (?:\s*+=++\s*+
          (?:'(?:[^'<]|<(?![a-zA-Z/!?]))*+'                             # its value
            |"(?:[^"<]|<(?![a-zA-Z/!?]))*+"
            |(?!['"])[^>\s<]*+)
          \s*+)?+
        (?:\s|/(?!>))*+
      )*+
    )?+
    \s*+/?>
    """,
    re.VERBOSE,
)
_END_TAG = re.compile(r"</[a-zA-Z][^<>]*+>")  # the parser ends it at the first ``>``
# Declarations (``<!DOCTYPE ...>``, ``<![CDATA[...>``), processing instructions and bogus end tags
# (``</>``, ``</ x>``): the converter has no use for them, so they are removed.
_IGNORED_MARKUP = re.compile(r"<(?:[!?]|/(?![a-zA-Z]))[^<>]*+>")
_LT = "&lt;"


def _well_formed(text: str) -> str:
    """``text`` with every ``<`` that does not open whole markup written ``&lt;`` (it is text),
    and comments and declarations removed; tags are kept as they are.

    Whole markup is a start tag (:data:`_START_TAG`), an end tag, a comment ``<!-- ... -->``
    (anything inside; ``<!-->`` is empty) or a declaration ``<!...>``/``<?...>`` without ``<``
    inside. Linear time: each ``<`` is looked at once, the end of a comment is found by one
    forward search shared by all of them.
    """
    pieces: list[str] = []
    comment_ends = _Finder(text, "-->")
    cursor = 0
    start = text.find("<")
    while start >= 0:
        pieces.append(text[cursor:start])
        if text.startswith("<!--", start):
            end = comment_ends.find(start + 2)
            if end >= 0:
                cursor = end + 3
            else:
                pieces.append(_LT)
                cursor = start + 1
        elif match := _START_TAG.match(text, start) or _END_TAG.match(text, start):
            pieces.append(match.group())
            cursor = match.end()
        elif match := _IGNORED_MARKUP.match(text, start):
            cursor = match.end()
        else:
            pieces.append(_LT)
            cursor = start + 1
        start = text.find("<", cursor)
    pieces.append(text[cursor:])
    return "".join(pieces)


class _Finder:
    """``text.find(needle, start)`` for non-decreasing ``start``: linear time over all calls."""

    def __init__(self, text: str, needle: str) -> None:
        self._text, self._needle = text, needle
        self._found = -2  # the last answer (-1: none left; -2: not searched yet)

    def find(self, start: int) -> int:
        if self._found != -1 and self._found < start:
            self._found = self._text.find(self._needle, start)
        return self._found


def _escape_text(text: str) -> str:
    """Markdown-escape a run of plain text (placeholders pass through unchanged)."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("](", "]\\(")


class _Converter(HTMLParser):
    """Walks the HTML once, writing Markdown into :attr:`out`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._dropping: list[str] = []
        self._marks: list[tuple[str, int]] = []
        self._lists: list[list[int]] = []  # one [counter] per open list; counter < 0: bullets
        self._quotes: list[int] = []  # where each open <blockquote> starts in ``out``
        self._pre = 0

    # -- output helpers ---------------------------------------------------------------------

    def _ends_with(self) -> str:
        for piece in reversed(self.out):
            if piece:
                return piece[-1]
        return "\n"

    def _trailing_newlines(self) -> int:
        """How many newlines end the output (2 means "2 or more"; -1: nothing written yet)."""
        count = 0
        for piece in reversed(self.out):
            stripped = piece.rstrip("\n")
            count += len(piece) - len(stripped)
            if stripped or count >= 2:
                return min(count, 2)
        return -1

    def _break(self, count: int) -> None:
        """Make the output end with at least ``count`` newlines (nothing at its start)."""
        have = self._trailing_newlines()
        if 0 <= have < count:
            self.out.append("\n" * (count - have))

    # -- HTMLParser callbacks -----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropping or tag in _DROPPED:
            if tag in _DROPPED:
                self._dropping.append(tag)
            return
        if tag == "br":
            self.out.append("\n")
        elif tag == "img":
            self.out.append(_image(dict(attrs).get("src") or ""))
        elif tag in _MARKERS:
            if len(self._marks) < _MAX_NESTING:
                self._marks.append((tag, len(self.out)))
        elif tag in ("ul", "ol"):
            self._break(1)
            self._lists.append([0 if tag == "ol" else -1])
        elif tag == "li":
            self._break(1)
            indent = "  " * min(max(len(self._lists) - 1, 0), _MAX_NESTING)
            if self._lists and self._lists[-1][0] >= 0:
                self._lists[-1][0] += 1
                self.out.append(f"{indent}{self._lists[-1][0]}. ")
            else:
                self.out.append(f"{indent}- ")
        elif tag == "hr":
            self._break(2)
            self.out.append("---")
            self._break(2)
        elif tag in _PARAGRAPH_BLOCKS:
            self._break(2)
            if tag in _HEADINGS and len(self._marks) < _MAX_NESTING:
                self._marks.append(("b", len(self.out)))
            elif tag == "blockquote" and len(self._quotes) < _MAX_NESTING:
                self._quotes.append(len(self.out))
        elif tag in _LINE_BLOCKS:
            self._break(1)
            if tag == "pre":
                self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if self._dropping:
            if tag == self._dropping[-1]:
                self._dropping.pop()
            return
        if tag in _MARKERS:
            self._close_mark(tag)
        elif tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self._break(1 if self._lists else 2)
        elif tag in _PARAGRAPH_BLOCKS:
            if tag in _HEADINGS:
                self._close_mark("b")
            elif tag == "blockquote" and self._quotes:
                self._quote(self._quotes.pop())
            self._break(2)
        elif tag in _LINE_BLOCKS:
            self._break(1)
            if tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._dropping:
            return
        if not self._pre:
            data = re.sub(r"[ \t\r\n\f\xa0]+", " ", data)
            if self._ends_with() == "\n" or self._ends_with() == " ":
                data = data.lstrip(" ")
        if data:
            self.out.append(_escape_text(data))

    # -- emphasis -----------------------------------------------------------------------------

    def _close_mark(self, tag: str) -> None:
        marker = _MARKERS[tag]
        for index in range(len(self._marks) - 1, -1, -1):
            if _MARKERS[self._marks[index][0]] == marker:
                start = self._marks[index][1]
                del self._marks[index:]
                self._wrap(start, marker)
                return

    def _wrap(self, start: int, marker: str) -> None:
        inner = "".join(self.out[start:])
        core = inner.strip()
        del self.out[start:]
        if not core or "\n" in core:
            if inner:  # no empty pieces: _ends_with and _trailing_newlines would walk over them
                self.out.append(inner)
            return
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()) :]
        self.out.append(f"{lead}{marker}{core}{marker}{trail}")

    def _quote(self, start: int) -> None:
        inner = "".join(self.out[start:]).strip("\n")
        del self.out[start:]
        if inner.strip():
            lines = [line.rstrip() for line in inner.split("\n")]
            self.out.append("\n".join(f"> {line}" if line else ">" for line in lines))

    def markdown(self) -> str:
        text = "".join(self.out)
        lines = [line.rstrip() for line in text.split("\n")]
        lines = [("\\" + line) if line.startswith("#") else line for line in lines]
        return disarm_images(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())


def _image(src: str) -> str:
    name = re.split(r"[/\\]", src.strip())[-1]
    name = _IMAGE_NAME.sub("", html.unescape(name))[:80].strip()
    return f"[image: {name}]" if name else "[image]"


# -- export: Markdown to Anki HTML ------------------------------------------------------------

_MD_MATHS = (
    _delimiters("display", r"\$\$", r"\$\$"),
    _delimiters("display", r"(?<!\\)\\\[", r"(?<!\\)\\\]"),
    _delimiters("inline", r"(?<![\\$])\$(?=[^\s$])", r"(?<=[^\s\\$])\$(?!\$)", one_line=True),
)
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# Spans are bounded so that many unclosed markers cost linear time, not quadratic.
_BOLD = re.compile(r"\*\*(?=\S)(.{1,300}?)(?<=\S)\*\*|__(?=\S)(.{1,300}?)(?<=\S)__")
_ITALIC = re.compile(
    r"(?<![\w*])\*(?=\S)(.{1,300}?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.{1,300}?)(?<=\S)_(?!\w)"
)
_CODE = re.compile(r"`([^`\n]{1,300})`")
_BULLET = re.compile(r"^\s*(?:[-*+•◦▪‣·])\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_QUOTE = re.compile(r"^\s*&gt;\s?")


def markdown_to_anki_html(text: str) -> str:
    """Anki HTML for Markdown + KaTeX card text: maths as MathJax ``\\(...\\)``/``\\[...\\]``.

    Handles what deck text uses: paragraphs and line breaks, ``**bold**``, ``*italic*``,
    ``code``, bullet and numbered lists, ``>`` quotes, headings (bold lines) and backslash
    escapes; every ``<``, ``>`` and ``&`` of the text is escaped, so the result holds only the
    tags written here.
    """
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"{_OPEN}{len(stash) - 1}{_CLOSE}"

    def formula(kind: str, body: str) -> str:
        body = html.escape(body.strip(), quote=False)
        return keep(f"\\({body}\\)" if kind == "inline" else f"\\[{body}\\]")

    source = _strip_private(text.replace("\r\n", "\n").replace("\r", "\n"))
    source = _replace_spans(source, _MD_MATHS, formula)
    source = _MD_ESCAPE.sub(lambda match: keep(html.escape(match.group(1))), source)
    source = html.escape(source, quote=False)
    source = _CODE.sub(lambda match: keep(f"<code>{match.group(1)}</code>"), source)
    source = _BOLD.sub(lambda match: f"<b>{match.group(1) or match.group(2)}</b>", source)
    source = _ITALIC.sub(lambda match: f"<i>{match.group(1) or match.group(2)}</i>", source)
    return _restore_maths(_blocks(source.strip().split("\n")), stash)


def _blocks(lines: list[str]) -> str:
    """Join lines with ``<br>``, turning runs of list items and quotes into HTML blocks."""
    parts: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        for pattern, open_tag, close_tag, item in (
            (_BULLET, "<ul>", "</ul>", True),
            (_NUMBERED, "<ol>", "</ol>", True),
            (_QUOTE, "<blockquote>", "</blockquote>", False),
        ):
            if pattern.match(line):
                run = []
                while index < len(lines) and pattern.match(lines[index]):
                    run.append(pattern.sub("", lines[index], count=1))
                    index += 1
                inner = "".join(f"<li>{x}</li>" for x in run) if item else "<br>".join(run)
                parts.append(("block", open_tag + inner + close_tag))
                break
        else:
            heading = _heading(line)
            parts.append(("line", line if heading is None else f"<b>{heading}</b>"))
            index += 1
    pieces: list[str] = []  # joined once at the end: adding to one string could be quadratic
    written = False
    previous = ("", "")
    for kind, fragment in parts:
        after_line = previous[0] == "line"
        if written and after_line and (kind == "line" or not previous[1]):
            pieces.append("<br>")  # a line break, or a blank line before a list or quote
        pieces.append(fragment)
        written = written or bool(fragment)
        previous = (kind, fragment)
    return "".join(pieces)


def _heading(line: str) -> str | None:
    """The text of an ATX heading line (``## Title ##``: ``Title``), or ``None``.

    A scanner, not a regular expression: ``^\\s{0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$`` takes cubic time
    on a heading followed by a long run of spaces (4,000 of them: minutes)."""
    lead = 0
    while lead < len(line) and lead < 4 and line[lead].isspace():
        lead += 1
    hashes = lead
    while hashes < len(line) and hashes - lead < 7 and line[hashes] == "#":
        hashes += 1
    if lead > 3 or not 1 <= hashes - lead <= 6 or hashes == len(line):
        return None
    if not line[hashes].isspace():
        return None
    return line[hashes:].strip().rstrip("#").rstrip()
