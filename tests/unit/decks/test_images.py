"""Deck and user text loads no outside image (:mod:`quiz.decks.images`).

``![a](http://host/x.png)`` in a card (or an assignment's instructions, or a name) made the
browser of every viewer fetch that address: tracking, and a leak of who studies what. Now an
image is shown only when Stride serves it itself (:func:`~quiz.decks.images.stride_image`: none
yet); any other image syntax shows as ``!`` and a link to click. Checked on every path that text
takes to the screen: the card renderer (Markdown and notes decks), the Anki HTML and plain-text
converters (text exports and ``.apkg``), and the helpers of ``quiz/ui/text.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.decks import images
from quiz.decks.anki_html import html_to_markdown, plain_to_markdown
from quiz.decks.images import disarm_images, stride_image
from quiz.decks.reader import parse_deck_bytes
from quiz.decks.render import to_markdown
from quiz.ui import text as ui_text

from .test_apkg import BASIC, build_apkg
from .test_render_properties import _live_images

OUTSIDE = "http://tracker.example/pixel.png"


@pytest.mark.parametrize(
    ("source", "markdown"),
    [
        (f"See ![a diagram]({OUTSIDE}).", f"See \\![a diagram]({OUTSIDE})."),
        (f"![]({OUTSIDE})", f"\\![]({OUTSIDE})"),
        (f'![a]({OUTSIDE} "title")', f'\\![a]({OUTSIDE} "title")'),
        (f"![a]\n\n[a]: {OUTSIDE}", f"\\![a]\n\n[a]: {OUTSIDE}"),  # a reference image
        (f"![a][ref]\n\n[ref]: {OUTSIDE}", f"\\![a][ref]\n\n[ref]: {OUTSIDE}"),
        (f"[![inner]({OUTSIDE})](/x)", f"[\\![inner]({OUTSIDE})](/x)"),  # an image in a link
        (f"![a ![b]({OUTSIDE})]({OUTSIDE})", f"\\![a \\![b]({OUTSIDE})]({OUTSIDE})"),
        (f"\\\\![a]({OUTSIDE})", f"\\\\\\![a]({OUTSIDE})"),  # an escaped backslash, then "!["
        (f"\\![a]({OUTSIDE})", f"\\![a]({OUTSIDE})"),  # already escaped: left as it is
        (f"  • ![a]({OUTSIDE})", f"- \\![a]({OUTSIDE})"),  # in a bullet
        (f"$n![a]({OUTSIDE})$", f"$n!{{}}[a]({OUTSIDE})$"),  # in maths: the same formula
        (f"\\[n![a]({OUTSIDE})\\]", f"$$\nn!{{}}[a]({OUTSIDE})\n$$"),
        (f"```\n![a]({OUTSIDE})\n```", f"```\n\\![a]({OUTSIDE})\n```"),  # in code as well
        ("Wow![not an image] no!", "Wow\\![not an image] no!"),
        ("!\\[a](b) and ! [a](b)", "!\\[a](b) and ! [a](b)"),  # no image syntax: unchanged
    ],
)
def test_the_renderer_shows_outside_images_as_links(source: str, markdown: str) -> None:
    rendered = to_markdown(source)
    assert rendered == markdown
    assert _live_images(rendered) == []
    assert to_markdown(rendered) == rendered


@pytest.mark.parametrize(
    ("url", "served"),
    [
        ("/media/cards/conv.png", True),
        ("/media/a-b_c.d~e/f.svg", True),
        ("/media", False),
        ("//tracker.example/media/x.png", False),
        ("/media//tracker.example/x.png", False),
        ("/media/../../x.png", False),
        ("/media/x.png?user=1", False),
        ("/media/x.png#x", False),
        ("/media/&#x2F;x.png", False),
        ("http://tracker.example/media/x.png", False),
        ("data:image/png;base64,iVBORw0KGgo=", False),
        ("javascript:alert(1)", False),
    ],
)
def test_the_allow_list_hook_accepts_only_plain_paths_stride_serves(
    monkeypatch: pytest.MonkeyPatch, url: str, served: bool
) -> None:
    assert not stride_image(url)  # no media store yet: no image at all
    monkeypatch.setattr(images, "MEDIA_PREFIXES", ("/media/",))
    assert stride_image(url) == served
    source = f"![a]({url})"
    assert (to_markdown(source) == source) == served
    assert _live_images(html_to_markdown(source)) == []  # Anki text is text: never an image


def test_an_allowed_image_must_be_written_exactly() -> None:
    def allowed(url: str) -> bool:
        return url.startswith("/media/")

    assert to_markdown("![a](/media/x.png)", allowed=allowed) == "![a](/media/x.png)"
    for source in (
        '![a](/media/x.png "t")',
        "![a][r]",
        "![a](</media/x.png>)",
        "![a\\]](/media/x)",
    ):
        assert _live_images(to_markdown(source, allowed=allowed)) == [], source
    assert disarm_images("![a](/media/x)![b](http://x/y)", allowed=allowed) == (
        "![a](/media/x)\\![b](http://x/y)"
    )


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        (f'<img src="{OUTSIDE}">', "[image: pixel.png]"),  # the name, never the address
        (f"<img src='{OUTSIDE}' alt='x'>caption", "[image: pixel.png]caption"),
        (f'!<img src="{OUTSIDE}">', "\\![image: pixel.png]"),  # "!" then "[image: ...]"
        (f"![a]({OUTSIDE})", f"\\![a]\\({OUTSIDE})"),  # Markdown written as text in the HTML
        (f"![a]<br>[a]: {OUTSIDE}", f"\\![a]\n[a]: {OUTSIDE}"),  # a reference image
        (f"<a href='{OUTSIDE}'>![a]</a>", "\\![a]"),  # links keep their text only
        (f"<b>!</b>[a]<br>[a]: {OUTSIDE}", f"**!**[a]\n[a]: {OUTSIDE}"),
        (f"\\(n![a]({OUTSIDE})\\)", f"$n![a]({OUTSIDE})$"),  # maths is disarmed when shown
    ],
)
def test_anki_html_keeps_no_outside_image(html: str, markdown: str) -> None:
    converted = html_to_markdown(html)
    assert converted == markdown
    assert _live_images(to_markdown(converted)) == []


def test_anki_plain_text_keeps_no_outside_image() -> None:
    assert plain_to_markdown(f"![a]({OUTSIDE}) \\(x![y]\\)") == f"\\![a]({OUTSIDE}) $x![y]$"
    assert _live_images(to_markdown(plain_to_markdown(f"![a]({OUTSIDE})"))) == []


@pytest.mark.parametrize("html", ["true", "false"])
def test_anki_text_exports_keep_no_outside_image(html: str) -> None:
    data = f"#separator:tab\n#html:{html}\nQ ![a]({OUTSIDE})\tA <img src='{OUTSIDE}'>\n"
    (card,) = parse_deck_bytes(data.encode(), "export.txt").cards
    for side in (card.front, card.back):
        assert _live_images(to_markdown(side)) == []
        if html == "true":
            assert OUTSIDE not in side.replace(f"]\\({OUTSIDE})", "")


def test_anki_packages_keep_no_outside_image(tmp_path: Path) -> None:
    notes = [(BASIC, [f"Q <img src='{OUTSIDE}'>", f"![a]({OUTSIDE})!<img src='x.png'>"], [], "g")]
    data = build_apkg(tmp_path / "images.apkg", notes).read_bytes()
    (card,) = parse_deck_bytes(data, "images.apkg").cards
    assert card.front == "Q [image: pixel.png]"
    assert card.back == f"\\![a]\\({OUTSIDE})\\![image: x.png]"


def test_markdown_and_notes_decks_show_outside_images_as_links() -> None:
    markdown_deck = (
        f"---\ntitle: T\n---\n\n## Q: What is this? ![a]({OUTSIDE})\n\n![b]({OUTSIDE})\n"
    )
    notes_deck = f"T\n\nFlashcards\n\nWhat is this?\n\n\n![b]({OUTSIDE})\n"
    for data, name in ((markdown_deck, "deck.md"), (notes_deck, "notes.txt")):
        (card,) = parse_deck_bytes(data.encode(), name).cards
        assert f"![b]({OUTSIDE})" in card.back  # the source stays as written
        for side in (card.front, card.back):
            assert _live_images(to_markdown(side)) == []


def test_the_ui_helpers_render_no_outside_image(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(ui_text.st, "markdown", lambda body, **kwargs: shown.append(body))
    hostile = f"Read this ![a]({OUTSIDE}) and $x$ \\[y\\]"
    ui_text.show_card_text(hostile)
    ui_text.show_user_markdown(hostile)
    assert shown == [f"Read this \\![a]({OUTSIDE}) and $x$ $\\displaystyle y$"] * 2
    escaped = ui_text.escape_markdown(f"Ann ![a]({OUTSIDE}) [b]({OUTSIDE}) <img src={OUTSIDE}>")
    assert _live_images(escaped) == []
    assert "](" not in escaped.replace("\\]\\(", "")  # no link either: the text is literal
