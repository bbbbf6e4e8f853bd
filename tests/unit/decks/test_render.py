"""``to_markdown``: display-only conversion of card source text to Markdown + KaTeX.

Checked on every side of every seed card (and of the hand-written notes files): no ``\\[``/``\\]``
left, ``$$`` blocks on their own lines and balanced, bullets turned into ``- `` items, inline
``$...$`` and prose untouched, the exporter's ``\\\\\\\\`` turned into ``\\\\``; plus exact
expectations for the cards that exercise each rule.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quiz.decks import parse_deck_file
from quiz.decks.render import to_markdown

from .test_notes_seed import SEED_CARDS, SEED_FILE, SEED_PAIRS

NOTES_DIR = Path(__file__).resolve().parents[2] / "data" / "notes"

_DISPLAY = re.compile(r"\\\[(.+?)\\\]", re.DOTALL)
_INLINE = re.compile(r"\$[^$\n]+\$")
_SOURCE_BULLET = re.compile(r"^\s*•\s+(.*)$")
# ``\[`` or ``\]`` that is not the tail of a LaTeX line break such as ``\\[4pt]``.
_DELIMITER = re.compile(r"(?<!\\)\\[\[\]]")


def _seed_sides() -> list[object]:
    sides = []
    for number, (_line, front, back) in enumerate(SEED_CARDS, start=1):
        sides.append(pytest.param(front, id=f"card{number}-front"))
        sides.append(pytest.param(back, id=f"card{number}-back"))
    return sides


def _data_file_sides() -> list[object]:
    sides = []
    for path in sorted(NOTES_DIR.glob("*.expected.json")):
        cards = json.loads(path.read_text("utf-8"))["cards"]
        name = path.name.removesuffix(".expected.json")
        for number, card in enumerate(cards, start=1):
            sides.append(pytest.param(card["front"], id=f"{name}-{number}-front"))
            sides.append(pytest.param(card["back"], id=f"{name}-{number}-back"))
    return sides


def _assert_well_formed(markdown: str) -> None:
    """No ``\\[``/``\\]`` delimiter left; ``$$`` only alone on a line, in pairs, around blanks."""
    assert not _DELIMITER.search(markdown)
    lines = markdown.split("\n")
    fences = [i for i, line in enumerate(lines) if line == "$$"]
    assert all("$$" not in line for line in lines if line != "$$")
    assert len(fences) % 2 == 0
    for opening, closing in zip(fences[0::2], fences[1::2], strict=True):
        assert closing - opening >= 2, "an empty $$ block"
        assert all(lines[i].strip() for i in range(opening + 1, closing))
        assert opening == 0 or lines[opening - 1] == ""
        assert closing == len(lines) - 1 or lines[closing + 1] == ""
    assert markdown == markdown.strip()
    assert "\n\n\n" not in markdown


def _assert_inline_maths_and_prose_untouched(source: str, markdown: str) -> None:
    for span in _INLINE.findall(_DISPLAY.sub("", source)):
        assert span in markdown
    for line in source.split("\n"):
        if line.strip() and not _SOURCE_BULLET.match(line) and "\\[" not in line:
            assert line in markdown.split("\n")


def _assert_bullets_are_list_items(source: str, markdown: str) -> None:
    assert "•" not in markdown
    items = [line for line in markdown.split("\n") if line.startswith("- ")]
    bullets = [match for line in source.split("\n") if (match := _SOURCE_BULLET.match(line))]
    assert len(items) == len(bullets)
    for item, bullet in zip(items, bullets, strict=True):
        if "\\[" not in bullet.group(1):
            assert item == "- " + bullet.group(1)


def _assert_display_formulas_kept(source: str, markdown: str) -> None:
    for formula in _DISPLAY.findall(source):
        assert formula.strip().replace("\\\\\\\\", "\\\\") in markdown
    standalone = 0
    for line in source.split("\n"):
        if not _SOURCE_BULLET.match(line) and not _DISPLAY.sub("", line).strip():
            standalone += len(_DISPLAY.findall(line))
    assert markdown.count("$$") == 2 * standalone


@pytest.mark.parametrize("source", _seed_sides() + _data_file_sides())
def test_every_side_follows_the_rendering_rules(source: str) -> None:
    markdown = to_markdown(source)
    _assert_well_formed(markdown)
    _assert_inline_maths_and_prose_untouched(source, markdown)
    _assert_bullets_are_list_items(source, markdown)
    _assert_display_formulas_kept(source, markdown)
    assert to_markdown(markdown) == markdown  # idempotent


def test_source_text_is_unchanged_by_rendering() -> None:
    deck = parse_deck_file(SEED_FILE)
    for card in deck.cards:
        to_markdown(card.front)
        to_markdown(card.back)
    assert [(card.front, card.back) for card in deck.cards] == SEED_PAIRS


def test_crlf_source_renders_like_lf() -> None:
    for front, back in SEED_PAIRS:
        for side in (front, back):
            assert to_markdown(side.replace("\n", "\r\n")) == to_markdown(side)


# --- exact expectations for the cards that exercise each rule ------------------------------------


def test_colour_image_card_back_gives_two_display_blocks_around_prose() -> None:
    assert to_markdown(SEED_PAIRS[4][1]) == "\n".join(
        [
            "$$",
            r"m \times n \times 3",
            "$$",
            "",
            "one layer for each channel, and then filters are of the form",
            "",
            "$$",
            r"W \times H \times 3",
            "$$",
        ]
    )


def test_layer_inputs_card_back_turns_both_bullet_lists_into_lists() -> None:
    markdown = to_markdown(SEED_PAIRS[6][1])
    blocks = markdown.split("\n\n")
    assert blocks[0] == "Inputs:"
    assert [line[:16] for line in blocks[1].split("\n")] == [
        r"- $\mathbf I$: i",
        r"- $\mathbf F$: f",
        r"- $\mathbf B$: b",
        r"- $\mathbf O$: o",
    ]
    assert blocks[2] == "Where:"
    assert blocks[3].split("\n") == [
        r"- $C _ I$ is the number of channels in the input (e.g. RGB)",
        r"- $C _ O$ is the number of channels in the output",
        r"- $H _ I \times W _ I$ are the dimensions of each channel in the input",
        r"- $H _ O \times W _ O$ are the dimensions of each channel in the output",
    ]
    assert blocks[4] == "Then"
    assert blocks[5].startswith("$$\n" + r"\mathbf O[u][y][x] = \mathbf B[u] + ")
    assert blocks[5].endswith(r"\times \mathbf F[u][i][j][k]" + "\n$$")
    assert len(blocks) == 6


def test_aligned_card_quadruple_backslash_becomes_a_latex_line_break() -> None:
    back = SEED_PAIRS[10][1]
    assert "\\\\\\\\" in back  # the source keeps what the exporter wrote
    markdown = to_markdown(back)
    assert "\\\\\\" not in markdown
    assert markdown.count("\\\\") == 1
    assert markdown == "\n".join(
        [
            "$$",
            r"\begin{aligned} \frac{\partial \ell}{\partial w^{l+1, f'}_ {i, j, f} } &= "
            r"\frac{\partial \ell}{\partial z_ {i', j', f'}^{l+1} } \frac{\partial z^{l+1}_ "
            r"{i', j', f'} }{\partial w^{l+1, f'}_ {i, j, f} } \\ &= \sum_ {i', j'} "
            r"\frac{\partial \ell}{\partial z^{l+1}_ {i', j', f'} } \cdot a^\ell_ {i' + i - 1, "
            r"j' + j - 1, f} \end{aligned}",
            "$$",
        ]
    )


def test_two_display_formulas_on_one_line_give_two_blocks() -> None:
    markdown = to_markdown(SEED_PAIRS[11][1])
    assert markdown == "\n".join(
        [
            "$$",
            r"z^{l+1}_ {i', j'} = \max_ {i, j \in \Omega(i', j')} a^l_ {i,j}",
            "$$",
            "",
            "$$",
            r"\frac{\partial z^{l+1}_ {i',j'} }{\partial a^l_ {i, j} } = \mathbb 1\left((i, j) = "
            r"\text{argmax}_ {\tilde i, \tilde j \in \Omega(i', j')} a^l_ {\tilde i, \tilde j}"
            r"\right)",
            "$$",
        ]
    )


def test_max_pool_question_keeps_premise_list_formula_and_question_mark() -> None:
    assert to_markdown(SEED_PAIRS[11][0]) == "\n".join(
        [
            "Suppose:",
            "",
            r"- We are implementing a convolutional layer between layer $l$ and layer $l+1$",
            "- The convolutional is a max pool operation",
            "",
            r"Can you define $z^{l + 1}$ and derive",
            "",
            "$$",
            r"\frac{\partial z^{l+1}_ {i',j'} }{\partial a^l_ {i, j} }",
            "$$",
            "",
            "?",
        ]
    )


def test_one_line_cards_are_left_as_they_are() -> None:
    for index in (1, 2, 3, 5, 7):
        front, back = SEED_PAIRS[index]
        assert to_markdown(front) == front
        assert to_markdown(back) == back
    assert to_markdown(SEED_PAIRS[0][1]) == "$$\n48 \\times 48\n$$"


def test_display_maths_inside_a_bullet_becomes_inline_display_style() -> None:
    source = "\n".join(
        [
            "Then take a step:",
            "",
            r"  • $\hat m_ t = m_ t / (1 - \beta_ 1^t)$",
            r"  • \[\theta_ t = \theta_ {t-1} - \eta \frac{\hat m_ t}"
            r"{\sqrt{\hat v_ t} + \epsilon}\]",
        ]
    )
    assert to_markdown(source) == "\n".join(
        [
            "Then take a step:",
            "",
            r"- $\hat m_ t = m_ t / (1 - \beta_ 1^t)$",
            r"- $\displaystyle \theta_ t = \theta_ {t-1} - \eta \frac{\hat m_ t}"
            r"{\sqrt{\hat v_ t} + \epsilon}$",
        ]
    )


def test_display_maths_inside_a_sentence_becomes_inline_display_style() -> None:
    assert to_markdown(r"so \[a \\\\ b\] holds") == r"so $\displaystyle a \\ b$ holds"


def test_display_formula_spanning_lines_becomes_one_block() -> None:
    source = "It is\n\\[\\begin{aligned} a &= b \\\\\\\\\n c &= d \\end{aligned}\\]\nfor all $x$."
    assert to_markdown(source) == "\n".join(
        ["It is", "", "$$", "\\begin{aligned} a &= b \\\\\n c &= d \\end{aligned}", "$$", "",
         "for all $x$."]
    )  # fmt: skip


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert('stride')</script>",
        'What does <b>this</b> do? <img src="x" onerror="alert(1)">',
        "Compare $a < b$ and <em>c</em> &amp; d",
    ],
)
def test_html_is_left_as_text(html: str) -> None:
    assert to_markdown(html) == html
    assert to_markdown(f"{html}\n\n\\[x\\]") == f"{html}\n\n$$\nx\n$$"


def test_row_break_with_spacing_in_inline_maths_is_not_a_display_opener() -> None:
    source = "Inline $\\begin{aligned} a \\\\[2pt] b \\end{aligned}$ and\n\n\\[x\\]"
    assert to_markdown(source) == (
        "Inline $\\begin{aligned} a \\\\[2pt] b \\end{aligned}$ and\n\n$$\nx\n$$"
    )
