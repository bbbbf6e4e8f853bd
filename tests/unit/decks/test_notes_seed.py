"""The seed deck (``data/seeds/cnn-notes.txt``) parses into exactly its 12 cards.

The expected strings below were written out by reading the seed file, not by running the parser:
each side is the source text as found in the file, trimmed, with its blank lines kept.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from quiz.decks import ParsedDeck, parse_deck_file, parse_deck_text
from quiz.decks.reader import parse_deck_bytes

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_FILE = REPO_ROOT / "data" / "seeds" / "cnn-notes.txt"

SEED_TITLE = "Notes - Machine Learning MT23, Convolutional neural networks"


def _lines(*lines: str) -> str:
    return "\n".join(lines)


# The premise shared by the first two ``Suppose:`` cards, and the formula they both use.
_CONV_PREMISE = _lines(
    "Suppose:",
    "",
    r"  • We are implementing a convolutional layer between layer $l$ and layer $l+1$",
    r"  • The output of the $l$-th layer is of the shape $m _ l \times n _ l \times F _ l$, "
    r"indexed by $a^l _ {i, j, f}$",
    r"  • We apply $F _ {l+1}$ filters of shape $W _ f \times H _ f \times F _ l$",
    r"  • We have no zero-padding and a stride of $1$ in each direction",
)
_PREACTIVATION = (
    r"\[z^{l+1}_ {i', j', f'} = b^{l+1, f'} + \sum^{W_ {f'} }_ {i=1} \sum^{H_ {f'} }_ {j = 1} "
    r"\sum^{F_ l}_ {f = 1} a^l_{i' + i - 1, j' + j - 1, f} w^{l+1, f'}_ {i, j, f}\]"
)

# (line of the front, front, back) for every card, in file order.
SEED_CARDS: list[tuple[int, str, str]] = [
    (
        6,
        r"Suppose we have a $100 \times 100$ image tensor and a convolutional filter of size "
        r"$5 \times 5$ with a stride of $2$ in both directions. What is the size of the output "
        r"tensor?",
        r"\[48 \times 48\]",
    ),
    (
        11,
        r"What does it mean to take the “dot product” of a $W \times H \times C$ filter tensor "
        r"with a $W \times H \times C$ patch of an image (recall that images are three "
        r"dimensional when considering colour channels)?",
        "Multiply elementwise, then add up.",
    ),
    (
        16,
        "What is the padding parameter of a convolutional filter?",
        "The number of rows or columns of zeroes added around an image so that the filter can "
        "apply to more of the image without running off the edge.",
    ),
    (
        21,
        "What is the stride parameter of a convolutional filter?",
        "The size of the step in each direction.",
    ),
    (
        26,
        r"How would you represent an $m \times n$ colour image as a tensor, and what would "
        r"corresponding convolutional filters look like?",
        _lines(
            r"\[m \times n \times 3\]",
            "",
            "one layer for each channel, and then filters are of the form",
            "",
            r"\[W \times H \times 3\]",
        ),
    ),
    (
        35,
        "What is the max-pool operation in a convolutional neural network?",
        "Take the largest value in a small patch of a tensor.",
    ),
    (
        40,
        r"Describe the inputs and outputs of a layer in a convolutional neural network with an "
        r"arbitrary stride size $s$ and no zero-padding.",
        _lines(
            "Inputs:",
            "",
            r"  • $\mathbf I$: input tensor, $C _ I \times H _ I \times W _ I$ (think of this as "
            r"the activation from the previous layer)",
            r"  • $\mathbf F$: filter tensor, $C _ O \times C _ I \times H _ F \times W _ F$ (for "
            r"each of the output layers, combine the input in this channel at this $y$ and this "
            r"$x$)",
            r"  • $\mathbf B$: bias tensor, $C _ O \times C _ I \times H _ F \times W _ F$",
            r"  • $\mathbf O$: output tensor, $C _ O \times H _ O \times W _ O$ (think of this as "
            r"the pre-activation)",
            "",
            "Where:",
            "",
            r"  • $C _ I$ is the number of channels in the input (e.g. RGB)",
            r"  • $C _ O$ is the number of channels in the output",
            r"  • $H _ I \times W _ I$ are the dimensions of each channel in the input",
            r"  • $H _ O \times W _ O$ are the dimensions of each channel in the output",
            "",
            "Then",
            "",
            r"\[\mathbf O[u][y][x] = \mathbf B[u] + \sum^{C_ I}_ {i = 1} \sum^{H_ F}_ {j = 1} "
            r"\sum^{W_F}_ {k = 1} \mathbf I[i][sx + j][sy + k] \times \mathbf F[u][i][j][k]\]",
        ),
    ),
    (
        61,
        r"In general, what is a convolutional filter $f$ in a convolutional nerual network?",
        r"A tensor of dimension $W _ f \times H _ f \times C _ l$ where $C _ l$ is the number of "
        r"channels in the previous layer.",
    ),
    (
        66,
        r"Suppose the input to a convolutional layer is $m \times n \times c$ and we apply $f$ "
        r"filters of dimension $w \times h \times c$. What’s the dimension of the output?",
        _lines(
            r"\[m' \times n' \times f\]",
            "",
            "(i.e. noting that the third dimension comes from the number of filters, rather than "
            "how the filters are applied)",
        ),
    ),
    (
        73,
        _lines(_CONV_PREMISE, "", r"How can you then write the preactivation of layer $l+1$?"),
        _PREACTIVATION,
    ),
    (
        85,
        _lines(
            _CONV_PREMISE,
            "",
            r"The preactivation of layer $l+1$ is then given by:",
            "",
            _PREACTIVATION,
            "",
            "Quickly derive",
            "",
            r"\[\frac{\partial \ell}{\partial w^{l+1, f'}_ {i, j, f} }\]",
            "",
            "?",
        ),
        r"\[\begin{aligned} \frac{\partial \ell}{\partial w^{l+1, f'}_ {i, j, f} } &= "
        r"\frac{\partial \ell}{\partial z_ {i', j', f'}^{l+1} } \frac{\partial z^{l+1}_ "
        r"{i', j', f'} }{\partial w^{l+1, f'}_ {i, j, f} } \\\\ &= \sum_ {i', j'} "
        r"\frac{\partial \ell}{\partial z^{l+1}_ {i', j', f'} } \cdot a^\ell_ {i' + i - 1, "
        r"j' + j - 1, f} \end{aligned}\]",
    ),
    (
        105,
        _lines(
            "Suppose:",
            "",
            r"  • We are implementing a convolutional layer between layer $l$ and layer $l+1$",
            "  • The convolutional is a max pool operation",
            "",
            r"Can you define $z^{l + 1}$ and derive",
            "",
            r"\[\frac{\partial z^{l+1}_ {i',j'} }{\partial a^l_ {i, j} }\]",
            "",
            "?",
        ),
        r"\[z^{l+1}_ {i', j'} = \max_ {i, j \in \Omega(i', j')} a^l_ {i,j}\] "
        r"\[\frac{\partial z^{l+1}_ {i',j'} }{\partial a^l_ {i, j} } = \mathbb 1\left((i, j) = "
        r"\text{argmax}_ {\tilde i, \tilde j \in \Omega(i', j')} a^l_ {\tilde i, \tilde j}"
        r"\right)\]",
    ),
]

SEED_PAIRS = [(front, back) for _line, front, back in SEED_CARDS]
SEED_JSON = {"title": SEED_TITLE, "cards": [{"front": f, "back": b} for f, b in SEED_PAIRS]}


@pytest.fixture(scope="module")
def seed() -> ParsedDeck:
    return parse_deck_file(SEED_FILE)


def test_expected_strings_are_verbatim_slices_of_the_seed_in_order() -> None:
    """Guards the literals above against typos, independently of the parser."""
    text = SEED_FILE.read_text(encoding="utf-8")
    position = 0
    for line, front, back in SEED_CARDS:
        front_at = text.index(front, position)
        assert text.count("\n", 0, front_at) + 1 == line
        assert text[front_at + len(front) : front_at + len(front) + 3] == "\n\n\n"
        back_at = text.index(back, front_at + len(front))
        assert text[front_at + len(front) : back_at] == "\n\n\n"
        position = back_at + len(back)
        assert text[position : position + 2] == "\n\n"


def test_title(seed: ParsedDeck) -> None:
    assert seed.title == SEED_TITLE
    assert seed.source_format == "notes"


def test_exactly_twelve_cards(seed: ParsedDeck) -> None:
    assert len(seed.cards) == 12


@pytest.mark.parametrize("index", range(12), ids=[f"card{n}" for n in range(1, 13)])
def test_card_front_back_and_line(seed: ParsedDeck, index: int) -> None:
    line, front, back = SEED_CARDS[index]
    card = seed.cards[index]
    assert card.front == front
    assert card.back == back
    assert card.line == line
    assert card.key is None


def test_whole_deck_equals_expected(seed: ParsedDeck) -> None:
    assert seed.to_dict() == SEED_JSON
    assert [card.line for card in seed.cards] == [line for line, _f, _b in SEED_CARDS]


def test_the_three_suppose_colon_cards_keep_premise_and_question_together(
    seed: ParsedDeck,
) -> None:
    suppose = [card for card in seed.cards if card.front.startswith("Suppose:")]
    assert [card.line for card in suppose] == [73, 85, 105]
    for card in suppose:
        assert card.front.endswith("?")
        assert "  • We are implementing a convolutional layer" in card.front
        assert card.back.startswith(r"\[")
        assert "Suppose" not in card.back
    # The answer before the first of them is not swallowed by it (nor it by that answer).
    assert seed.cards[8].back.endswith("rather than how the filters are applied)")


def _same(text: str) -> str:
    return text


def _padded_blank_lines(text: str) -> str:
    return text.replace("\n\n", "\n  \t\n")


@pytest.mark.parametrize(
    ("transform", "expected_side"),
    [
        pytest.param(lambda data: data.replace(b"\n", b"\r\n"), _same, id="crlf"),
        pytest.param(lambda data: data.replace(b"\n", b"\r"), _same, id="old-mac-cr"),
        pytest.param(lambda data: b"\xef\xbb\xbf" + data, _same, id="bom"),
        pytest.param(lambda data: data + b"\n\n\n", _same, id="trailing-blank-lines"),
        pytest.param(lambda data: data.split(b"\nProofs")[0] + b"\n", _same, id="no-end-headings"),
        # Blank lines holding only spaces and tabs still separate paragraphs; inside a side they
        # are kept as found (the source text is not rewritten).
        pytest.param(
            lambda data: data.replace(b"\n\n", b"\n  \t\n"),
            _padded_blank_lines,
            id="whitespace-only-blank-lines",
        ),
    ],
)
def test_harmless_variations_give_the_same_cards(
    transform: Callable[[bytes], bytes], expected_side: Callable[[str], str]
) -> None:
    deck = parse_deck_bytes(transform(SEED_FILE.read_bytes()))
    assert deck.title == SEED_TITLE
    assert [(card.front, card.back) for card in deck.cards] == [
        (expected_side(front), expected_side(back)) for front, back in SEED_PAIRS
    ]
    assert [card.line for card in deck.cards] == [line for line, _f, _b in SEED_CARDS]


def test_parse_deck_text_agrees_with_parse_deck_file(seed: ParsedDeck) -> None:
    assert parse_deck_text(SEED_FILE.read_text(encoding="utf-8")) == seed


def test_cli_json_prints_the_twelve_cards() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quiz.cli", "deck", "parse", str(SEED_FILE), "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout) == SEED_JSON
