"""Fuzzing the text deck formats (Markdown decks, lecture notes, Anki text and CSV) from *valid*
documents: lines deleted, duplicated, swapped or cut, huge numbers, odd unicode, NUL bytes,
invalid UTF-8, very long lines, truncation. Every damaged file goes through the upload path
(:func:`preview_upload`) and the parser, and gives a deck or a :class:`DeckFormatError` whose
message is not empty and whose line is inside the file -- never another exception, never a hang.

Not repeated here (see ``tests/unit/decks/test_formats_fuzz.py`` and ``test_notes_properties.py``):
random text, random bytes and line soups from nothing, byte edits of the notes seed.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from quiz.decks import DeckFormatError, ParsedDeck
from quiz.decks.anki_html import html_to_markdown, markdown_to_anki_html
from quiz.decks.export import to_anki_text
from quiz.decks.markdown import parse_markdown
from quiz.decks.reader import parse_deck_bytes
from quiz.exercises.constraints import observed_ranges
from quiz.services.deck_browser import preview_upload
from tests.support import BUILTIN_DECK, SEED_DECK

from .mutations import FUZZ, encode, line_count, mutated_bytes, mutated_lines, time_limit

pytestmark = pytest.mark.slow  # fuzzing (hypothesis, many examples)

PER_FILE_SECONDS = 10  # far above what any of these small files needs; a hang fails fast

SMALL_MARKDOWN = """\
---
title: Fuzz deck
description: "Every construct of the format, once."
tags: [cnn, shapes]
# a comment
---

# An introduction that is not imported

## Q: What is a stride? {#stride .basics .shapes}

The step of the window: $s \\geq 1$.

## Q: {#output-size .formulas}

Suppose a $100 \\times 100$ input and a $5 \\times 5$ kernel with stride $2$.

### A

\\[48 \\times 48\\]

- no padding: $\\lfloor (100 - 5) / 2 \\rfloor + 1 = 48$.

## Q: What does max-pooling compute? {id="max pool"}

$$
y_{ij} = \\max_{(a, b) \\in W_{ij}} x_{ab}
$$

```
## not a heading inside a fence
```

## Exercise: conv-output-size {#ex-out difficulty=2 height=28-128 kernel=3,5,7}

Practise the output-size formula.

## Exercise: pool-output-size {difficulty=warm-up}
"""
SMALL_MARKDOWN_LINES = [
    "---", "title: T", "tags:", "  - a", "## Q: x", "## Q:", "### A", "## Exercise: conv-macs",
    "## Exercise: conv-output-size {difficulty=3 height=1-999999999}", "```", "$$", "\\[",
    "## Q: dup {#stride}", "{#", "## Q: a {.t .t}", "## Exercise: nope {difficulty=9}",
]  # fmt: skip

BUILTIN_MARKDOWN = BUILTIN_DECK.read_text(encoding="utf-8")
NOTES = SEED_DECK.read_text(encoding="utf-8")
NOTES_LINES = ["Flashcards", "Proofs", "Related posts", "What is it?", "", "", "  • a bullet"]
ANKI_TEXT = to_anki_text(parse_markdown(BUILTIN_MARKDOWN))
ANKI_LINES = [
    "#separator:tab", "#separator:comma", "#html:true", "#html:false", "#columns:Front\tBack",
    "#guid column:1", "#guid column:99", "#tags column:0", "#deck column:2", "#deck:D",
    "#notetype:Cloze", '"unclosed\tfield', "a\tb", "{{c1::x}}\t",
]  # fmt: skip
CSV = (
    'Front,Back,Tags\n"What is a stride?","The step, in pixels.",basics\n'
    '"Quoted ""word""?","Yes: <b>bold</b>",\nPlain,"Two\nlines",x y\n'
)


def assert_deck_or_clear_error(data: bytes, filename: str) -> ParsedDeck | None:
    """The upload path and the parser agree: a deck, or an error naming a line of the file."""
    with time_limit(PER_FILE_SECONDS, f"reading {filename!r}"):
        preview = preview_upload(data, filename)
        try:
            deck = parse_deck_bytes(data, filename)
        except DeckFormatError as error:
            assert error.message.strip(), "an error without a message"
            assert 0 <= error.line <= line_count(data), (error.line, line_count(data))
            deck = None
    assert preview.ok == (deck is not None), preview.problems
    for problem in preview.problems:
        assert problem.message.strip()
        assert 0 <= problem.line <= line_count(data)
    if deck is not None:
        assert deck.title.strip() and deck.cards
        for card in deck.cards:
            assert card.front.strip() and card.back.strip()
            assert 0 <= card.line <= line_count(data)
    return deck


def test_the_seeds_are_valid() -> None:
    for text, name in (
        (SMALL_MARKDOWN, "small.md"),
        (BUILTIN_MARKDOWN, "cnn.md"),
        (NOTES, "notes.txt"),
        (ANKI_TEXT, "export.txt"),
        (CSV, "export.csv"),
    ):
        assert assert_deck_or_clear_error(encode(text), name) is not None, name


# --- Markdown ----------------------------------------------------------------------------------


@FUZZ
@given(
    st.one_of(
        mutated_lines(SMALL_MARKDOWN, lines_pool=SMALL_MARKDOWN_LINES),
        mutated_lines(BUILTIN_MARKDOWN, lines_pool=SMALL_MARKDOWN_LINES),
    ),
    st.sampled_from(["deck.md", "deck.txt", "deck"]),
)
def test_mutated_markdown_decks(text: str, filename: str) -> None:
    assert_deck_or_clear_error(encode(text), filename)


@FUZZ
@given(mutated_bytes(encode(SMALL_MARKDOWN)), st.sampled_from(["deck.md", "deck.apkg", "deck"]))
def test_damaged_markdown_bytes(data: bytes, filename: str) -> None:
    assert_deck_or_clear_error(data, filename)


# --- lecture notes -----------------------------------------------------------------------------


@FUZZ
@given(mutated_lines(NOTES, lines_pool=NOTES_LINES), st.sampled_from(["notes.txt", "notes"]))
def test_mutated_notes_decks(text: str, filename: str) -> None:
    assert_deck_or_clear_error(encode(text), filename)


# --- Anki text and CSV -------------------------------------------------------------------------


@FUZZ
@given(
    st.one_of(
        mutated_lines(ANKI_TEXT, lines_pool=ANKI_LINES).map(lambda t: (t, "export.txt")),
        mutated_lines(CSV, lines_pool=ANKI_LINES).map(lambda t: (t, "export.csv")),
    )
)
@example(("#html:true\nQ<![ \tA\n", "export.txt"))
def test_mutated_anki_text(case: tuple[str, str]) -> None:
    """BUG: an Anki text field read as HTML that holds ``<![`` followed by a space (or by another
    ``<!``) -- the file ``#html:true\\nQ<![ \\tA\\n`` -- raises ``AssertionError: expected name
    token at '<![ '`` from the standard library's ``_markupbase`` (through
    ``quiz.decks.anki_html.html_to_markdown``) instead of giving a deck or a DeckFormatError; the
    Decks page's upload preview crashes with it. Fix in ``quiz/decks/anki_html.py``."""
    text, filename = case
    assert_deck_or_clear_error(encode(text), filename)


@FUZZ
@given(mutated_bytes(encode(ANKI_TEXT[:3000])), st.sampled_from(["export.txt", "export.csv"]))
def test_damaged_anki_text_bytes(data: bytes, filename: str) -> None:
    assert_deck_or_clear_error(data, filename)


HTML_PIECES = [
    "<b>", "</b>", "<div>", "</div>", "<br>", "<![", "<![ ", "<![CDATA[", "]]>", "<!", "<!--",
    "-->", "<?", "?>", "</", "<a ", '<a href="', "'", '"', ">", "<", "&", "&#", "&#x", ";",
    "<!DOCTYPE", "<script>", "</script>", "{{c1::", "::", "}}", "\\(", "\\)", "[$]", "[/$]", " ",
    "x", "\n",
]  # fmt: skip


@FUZZ
@given(st.lists(st.sampled_from(HTML_PIECES), min_size=1, max_size=12).map("".join))
@example("<![ ")
@example("a<![<![")
def test_any_html_field_converts(field: str) -> None:
    """BUG: ``html_to_markdown("<![ ")`` (also ``"<![<!"``, ``"a<![<!["``) raises
    ``AssertionError: expected name token at '<![ '`` from ``html.parser``/``_markupbase``; the
    converter should turn any field into Markdown (e.g. keep such a ``<![`` as text)."""
    with time_limit(PER_FILE_SECONDS, "html_to_markdown"):
        markdown = html_to_markdown(field)
    assert isinstance(markdown, str)


# --- time bounds -------------------------------------------------------------------------------

LONG_FIELD_CHARS = 200_000  # a 200 kB field or line: a 20 MB upload may hold a hundred of them
LINEAR_SECONDS = 2.0  # CPU seconds; linear-time parsing needs a fraction of one for this


@pytest.mark.parametrize(
    "piece",
    [
        "<b>x</b> ",
        "{{c1::",
        "&#",
        pytest.param("<a ", id="unclosed-start-tag"),
        pytest.param("<!--", id="unclosed-comment"),
        pytest.param("</", id="unclosed-end-tag"),
        pytest.param('<a b="', id="unclosed-quoted-value"),
        pytest.param('<a "b="', id="quotes-in-attribute-names"),
        pytest.param("<a b='<3' c=\"", id="mixed-quotes"),
        pytest.param("<![", id="unclosed-marked-section"),
        pytest.param("<!-- <b> --", id="unclosed-comments-with-tags"),
        pytest.param("<b></b><div>", id="empty-emphasis-then-blocks"),
        pytest.param("<i></i><p>", id="empty-italics-then-paragraphs"),
    ],
)
def test_long_html_fields_are_read_in_linear_time(piece: str) -> None:
    """BUG (a hang) for the unclosed-* cases: ``html_to_markdown`` is quadratic in fields of
    unclosed markup, through the standard library's ``HTMLParser`` (Python 3.11.7 here):
    ``"<a " * 13_333`` (40 kB) takes about 15 s and 80 kB about 60 s; ``"<!--" * 40_000``
    (160 kB) about 11 s; ``"</" * 200_000`` about 25 s. One such field in an Anki text upload
    (``#html:true``, or any ``<br>`` in the file) or in an .apkg note stalls the upload preview
    for minutes to hours. Fix in ``quiz/decks/anki_html.py`` (escape each ``<`` that does not
    open a well-formed tag before feeding the parser, and/or cap a field's length).

    BUG (a hang) for the empty-* cases: every ``<b></b>`` left an empty piece in the converter's
    output, and every following block tag walked back over all of them: ``"<b></b><div>" *
    20_000`` (240 kB) took 15 s, twice that 66 s."""
    field = piece * (LONG_FIELD_CHARS // len(piece))
    html_to_markdown("<b>warm</b>")
    with time_limit(LINEAR_SECONDS, f"html_to_markdown({piece!r} * {len(field) // len(piece)})"):
        html_to_markdown(field)


@pytest.mark.parametrize(
    ("prefix", "piece", "filename"),
    [
        ("---\ntitle: T\n---\n\n## Q: ", "$x$ {#a} \\[ ", "long.md"),
        ("T\n\n\nFlashcards\n\nWhat is ", "a • $x$ ", "long.txt"),
        ("#separator:tab\n", "a;b,c|d ", "long.txt"),
        ("Front,Back\n", '"a""b",', "long.csv"),
        # A lazy key before \s* rescanned the line from every space: quadratic (100 kB: 50 s).
        ("---\ntitle: T\ndescription", " ", "long.md"),
        ("#separator:tab\n#deck", " ", "long.txt"),
        # Each paragraph looked for a "?" in all the paragraphs after it: quadratic.
        ("T\n\n\nFlashcards\n\nWhat?\n\n\nA.\n\n", "Xa b\n\n", "long.txt"),
    ],
)
def test_very_long_lines_are_read_in_linear_time(prefix: str, piece: str, filename: str) -> None:
    data = encode(prefix + piece * (LONG_FIELD_CHARS // len(piece)) + "?\n\n\nAnswer.\n")
    with time_limit(LINEAR_SECONDS, f"reading a {len(data)} byte line"):
        try:
            parse_deck_bytes(data, filename)
        except DeckFormatError as error:
            assert error.message


@pytest.mark.parametrize(
    "field",
    [
        pytest.param("\\(" + "<a" * (LONG_FIELD_CHARS // 2) + "\\)", id="inline-formula"),
        pytest.param("\\[" + "<" * LONG_FIELD_CHARS + "\\]", id="display-formula"),
    ],
)
def test_long_formulas_with_unclosed_tags_are_read_in_linear_time(field: str) -> None:
    """BUG (a hang): tags were removed from a formula with ``<[^>]*>``, which scans to the end of
    the formula from every ``<`` that no ``>`` closes: quadratic."""
    with time_limit(LINEAR_SECONDS, f"html_to_markdown of a {len(field)} character formula"):
        html_to_markdown(field)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("# a" + " " * LONG_FIELD_CHARS + "x", id="heading-then-spaces"),
        pytest.param("# a" + "\t " * (LONG_FIELD_CHARS // 2) + "#x", id="heading-then-blanks"),
        pytest.param("**a" * (LONG_FIELD_CHARS // 3), id="unclosed-bold"),
        pytest.param("- a\n" * (LONG_FIELD_CHARS // 4), id="many-items"),
    ],
)
def test_long_sides_are_exported_in_linear_time(text: str) -> None:
    """BUG (a hang): the exporter read headings with ``^\\s{0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$``,
    cubic on a heading followed by spaces (4,000 of them: over 3 minutes), on every download of a
    deck as Anki text or as a package."""
    with time_limit(LINEAR_SECONDS, f"markdown_to_anki_html of {len(text)} characters"):
        markdown_to_anki_html(text)


_RANGES = [(3, 3), (3, 4), (3, 5), (4, 4), (4, 5), (5, 5)]
_UNMEETABLE = "## Exercise: conv-grad-input {{difficulty=1 channels=2-2 height={}-{} width={}-{}}}"


def test_exercise_constraints_are_checked_in_bounded_time() -> None:
    """BUG (a hang): each exercise entry whose parameter ranges no variant meets costs seconds
    (``quiz.exercises.constraints.make_constrained`` tries 2000 seeds, then the problem message
    samples again), and nothing bounds the total: this 1.9 kB deck of 24 distinct entries such as
    ``## Exercise: conv-grad-input {difficulty=1 channels=2-2 height=3-3 width=3-3}`` (every range
    is inside the family's schema, only not at difficulty 1) takes about 70 s in
    ``preview_upload`` here; a 1 MB upload of them would take days. Fix in
    ``quiz/decks/markdown.py``/``quiz/exercises/constraints.py``: decide constraints from the
    sampled ranges per difficulty (no retries), or cache ``unmet`` and bound the work per file."""
    entries = [_UNMEETABLE.format(*height, *width) for height in _RANGES for width in _RANGES[:4]]
    data = encode("---\ntitle: Slow\n---\n\n" + "\n\n".join(entries) + "\n")
    observed_ranges("conv-grad-input"), observed_ranges("conv-grad-input", 1)  # cached samples
    with time_limit(LINEAR_SECONDS, f"previewing {len(entries)} exercise entries"):
        preview = preview_upload(data, "slow.md")
    assert len(preview.problems) == len(entries)
