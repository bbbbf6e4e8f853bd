"""Fuzzing every reader: random text, line soups, random bytes and damaged packages give a deck or
a :class:`DeckFormatError` -- never another exception -- and ``check`` agrees with ``parse``: no
problems exactly when the parse succeeds, and then its first problem is the parse's error.
HTML soups never come out of the Anki converter as HTML."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import genanki
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quiz.decks import DeckFormatError
from quiz.decks.anki_html import html_to_markdown
from quiz.decks.anki_text import check_anki_text, parse_anki_text
from quiz.decks.markdown import check_markdown, parse_markdown
from quiz.decks.model import DeckProblem, ParsedDeck
from quiz.decks.problems import check_deck_bytes
from quiz.decks.reader import parse_deck_bytes

pytestmark = pytest.mark.slow  # fuzzing (hypothesis, many examples)

FAST = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FILENAMES = [None, "deck.md", "deck.csv", "deck.txt", "deck.apkg", "deck"]


def _consistent(
    parse: Callable[[str], ParsedDeck], check: Callable[[str], list[DeckProblem]], text: str
) -> ParsedDeck | None:
    problems = check(text)
    assert all(problem.line >= 0 and problem.message for problem in problems)
    try:
        deck = parse(text)
    except DeckFormatError as error:
        assert problems and problems[0] == DeckProblem(error.line, error.message)
        return None
    assert problems == []
    assert deck.title and deck.cards
    for card in deck.cards:
        assert card.front and card.back
    keys = [card.key for card in deck.cards if card.key is not None]
    assert len(keys) == len(set(keys))
    return deck


def _bytes_consistent(data: bytes, filename: str | None) -> None:
    problems = check_deck_bytes(data, filename)
    try:
        parse_deck_bytes(data, filename)
    except DeckFormatError as error:
        assert problems and problems[0] == DeckProblem(error.line, error.message)
    else:
        assert problems == []


# -- text ----------------------------------------------------------------------------------------


@FAST
@given(st.text())
def test_any_text_into_the_markdown_and_anki_readers(text: str) -> None:
    _consistent(parse_markdown, check_markdown, text)
    _consistent(parse_anki_text, check_anki_text, text)


_MARKDOWN_LINES = [
    "---", "---", "title: T", "title:", "tags: [a, b]", "tags:", "  - c", "description: d",
    "author: x", "# comment", "## Q: a {#k}", "## Q: b {.t #k2}", "## Q:", "## Q: c {#k}",
    "## Q: {bad", "## Q: d {#x y}", "### A", "### A:", "```", "~~~", "$$", "\\[", "\\]",
    "## Exercise: conv-output-size {difficulty=2 height=1-5 kernel=3,5}",
    "## Exercise: conv-output-size {difficulty=7 kernel=5-3 x=y}", "## Exercise: nope",
    "## Exercise:", "## Other heading", "##", "text", "- bullet $x$", "", "", "\r", "\ufeff",
    "## Exercise: conv-output-size {difficulty=² k=1²}",
]  # fmt: skip


@FAST
@given(st.lists(st.one_of(st.sampled_from(_MARKDOWN_LINES), st.text(max_size=10)), max_size=30))
@example(["---", "title: T", "---", "## Q: a {#k}", "b", "## Q: c", "### A", "d"])
def test_markdown_line_soup(lines: list[str]) -> None:
    text = "\n".join(lines)
    deck = _consistent(parse_markdown, check_markdown, text)
    if deck is not None:
        source = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for card in deck.cards:
            assert source[card.line - 1].startswith("##")


_ANKI_LINES = [
    "#separator:tab", "#separator:comma", "#separator:x y", "#html:true", "#html:false",
    "#html:maybe", "#columns:Front\tBack\tTags", "#guid column:1", "#tags column:3",
    "#deck column:9", "#tags column:²", "#deck:D", "#tags:a b", "#notetype:Basic", "#comment",
    "a\tb", "a\tb\tt",
    '"a\tb', 'x"\tb', '"x""y"\tz', '"q"x\ty', "a;b", "a,b", "<b>x</b>\t<script>y</script>",
    "\t", "", "\r", "{{c1::a::h}} {{c2::b}}\tx", "{{c1::x\ty", "}}\t{{c3::",
]  # fmt: skip


@FAST
@given(st.lists(st.one_of(st.sampled_from(_ANKI_LINES), st.text(max_size=10)), max_size=30))
def test_anki_text_line_soup(lines: list[str]) -> None:
    deck = _consistent(parse_anki_text, check_anki_text, "\n".join(lines))
    if deck is not None:
        for card in deck.cards:
            assert "<script" not in card.front + card.back


_HTML_PIECES = [
    "<b>", "</b>", "<i>", "</i>", "<div>", "</div>", "<br>", "<br/>", "<p>", "</p>", "<ul>",
    "<li>", "</ul>", "<ol>", "</ol>", "<script>", "</script>", "<style>", "</style>",
    "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>", "</a>", "<svg onload=x>",
    "</svg>", "<iframe>", "<!-- c -->", "<![CDATA[x]]>", "<?pi?>", "<", ">", "&lt;", "&gt;",
    "&amp;", "&nbsp;", "&#60;", "&#x3c;script", "\\(", "\\)", "\\[", "\\]", "[$]", "[/$]",
    "[$$]", "[/$$]", "[latex]", "[/latex]", "{{c1::", "}}", "*", "_", "$", "#", "\n", " ",
    "text", "<blockquote>", "</blockquote>", "<h1>", "</h1>", "<pre>", "</pre>", "<hr>",
    "<scr", "ipt>", "\ue000", "\ue0011\ue001",
]  # fmt: skip


@settings(FAST, max_examples=300)
@given(st.lists(st.one_of(st.sampled_from(_HTML_PIECES), st.text(max_size=6)), max_size=40))
def test_html_soup_never_comes_out_as_html(pieces: list[str]) -> None:
    markdown = html_to_markdown("".join(pieces))
    assert "<" not in markdown
    assert markdown == markdown.strip()


# -- bytes and packages -------------------------------------------------------------------------


@FAST
@given(st.binary(max_size=300), st.sampled_from(FILENAMES))
def test_any_bytes_with_any_name(data: bytes, filename: str | None) -> None:
    _bytes_consistent(data, filename)


@FAST
@given(st.binary(max_size=300))
def test_anything_that_starts_like_a_zip(data: bytes) -> None:
    _bytes_consistent(b"PK\x03\x04" + data, "deck.apkg")
    _bytes_consistent(b"PK\x05\x06" + data, None)


def _package() -> bytes:
    model = genanki.Model(
        1_607_392_319,
        "Basic",
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}],
    )
    deck = genanki.Deck(2_059_400_110, "Fuzz")
    for index in range(3):
        deck.add_note(genanki.Note(model=model, fields=[f"Q{index}", f"A{index}"], guid=str(index)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.apkg"
        genanki.Package(deck).write_to_file(str(path), timestamp=1_700_000_000)
        return path.read_bytes()


PACKAGE = _package()


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, len(PACKAGE) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    st.integers(0, len(PACKAGE)),
)
def test_damaged_packages(changes: list[tuple[int, int]], length: int) -> None:
    data = bytearray(PACKAGE)
    for position, value in changes:
        data[position] = value
    _bytes_consistent(bytes(data), "deck.apkg")
    _bytes_consistent(bytes(data[:length]), "deck.apkg")
