"""Property tests of the notes parser.

(a) Robustness: any text, any bytes, and random damage to the seed file give either a deck or a
    :class:`DeckFormatError` -- never another exception -- and a deck that comes back only holds
    trimmed, non-empty slices of the input.

(b) Round trip: random decks written in the notes format parse back into exactly their cards
    (and the line of every front).

The round-trip grammar stays inside what the format expresses *unambiguously*. One blank line
separates both the paragraphs within a side and an answer from the next question, so a reader
(human or parser) can only find where a question starts from its wording. The generated decks
therefore assume:

* every question's first paragraph opens with a question word ("What", "Why", "Can", ...), an
  instruction ("Define", "Describe", "Quickly derive", ...) or a premise ("Suppose", as in
  "Suppose:" + bullet lines + a question sentence, or "Suppose we have ... What ...?");
* after a non-premise first paragraph, a question continues only with display maths, bullet lines
  or a lone "?" paragraph (as in "Can you define $z$ and derive" + \\[...\\] + "?"); after a premise
  anything may follow (statements ending with ":", formulas, "Quickly derive ...");
* an answer may hold formulas, bullet lists, "Where:"/"Inputs:" + bullets, "Then", sentences
  starting with a lower-case word or with common answer words ("The", "It", "Note that", "So",
  "Where $x$ is ...", even "Is it ...? Yes."), but no paragraph after its first one starts with a
  premise word (Suppose/Consider/Assume/Imagine): "answer + 'Consider ...' + question" and
  "answer + premise question" are the same text, and the format cannot tell them apart;
* no answer ends with a paragraph ending in ":" (that introduces something, so it cannot be last);
* no sentence is exactly "Proofs" or "Related posts", which end the list of cards.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quiz.decks import DeckFormatError, ParsedDeck, parse_deck_text
from quiz.decks.reader import parse_deck_bytes
from quiz.decks.render import to_markdown

from .test_notes_seed import SEED_FILE
from .test_render import _assert_well_formed

FAST = settings(
    max_examples=250,
    deadline=None,
    database=None,  # keep the example database out of the repository
    suppress_health_check=[HealthCheck.too_slow],
)


def _normalised(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _check_deck_invariants(deck: ParsedDeck, text: str) -> None:
    source = _normalised(text)
    lines = source.split("\n")
    assert deck.title and deck.title == deck.title.strip()
    assert deck.cards
    for card in deck.cards:
        for side in (card.front, card.back):
            assert side and side == side.strip()
            assert side in source
        assert 1 <= card.line <= len(lines)
        assert lines[card.line - 1].strip() == card.front.split("\n")[0].strip()
    numbers = [card.line for card in deck.cards]
    assert numbers == sorted(set(numbers))


# --- (a) robustness ---------------------------------------------------------------------------

_LINE_POOL = [
    "", "", "", " ", "\t", "Flashcards", "Flashcards", "Proofs", "Related posts", "Title",
    "What is a stride?", "Define padding.", "Suppose:", "Consider this.", "  • a bullet",
    "- dash", "1. one", "\\[x\\]", "\\[a\\] \\[b\\]", "?", "Where:", "Then", "inputs:",
    "lower case.", "(aside)", "Is it? Yes.", "$x$ is maths", "\r", "\ufeff", "\u2028", "\x0c",
    "“quoted”", "\\[unclosed", "close\\]",
]  # fmt: skip


@FAST
@given(st.text())
def test_any_text_gives_a_deck_or_a_format_error(text: str) -> None:
    try:
        deck = parse_deck_text(text)
    except DeckFormatError as error:
        assert error.line >= 0 and error.message
    else:
        _check_deck_invariants(deck, text)


@FAST
@given(
    st.lists(st.one_of(st.sampled_from(_LINE_POOL), st.text(max_size=12)), max_size=40),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
@example(["T", "Flashcards", "Q?", "", "", "A", "", "Q2?"], "\n")
@example(["Flashcards", "", "Flashcards", "", "Q?", "", "", "A."], "\n")
def test_line_soup_gives_a_deck_or_a_format_error(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    try:
        deck = parse_deck_text(text)
    except DeckFormatError as error:
        assert error.line >= 0 and error.message
    else:
        _check_deck_invariants(deck, text)
        for card in deck.cards:  # rendering never fails either, whatever the sides hold
            assert isinstance(to_markdown(card.front), str)
            assert isinstance(to_markdown(card.back), str)


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_give_a_deck_or_a_format_error(data: bytes) -> None:
    try:
        parse_deck_bytes(data)
    except DeckFormatError as error:
        assert error.line >= 0 and error.message


_SEED_BYTES = SEED_FILE.read_bytes()


@FAST
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(_SEED_BYTES)),
            st.integers(0, 8),
            st.binary(max_size=4) | st.sampled_from([b"\n", b"\n\n", b"\r\n", b"\xff", b"\x00"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_damaged_seed_gives_a_deck_or_a_format_error(
    edits: list[tuple[int, int, bytes]],
) -> None:
    data = _SEED_BYTES
    for position, deleted, inserted in edits:
        data = data[:position] + inserted + data[position + deleted :]
    try:
        deck = parse_deck_bytes(data)
    except DeckFormatError as error:
        assert error.line >= 0 and error.message
        assert error.line <= data.count(b"\n") + data.count(b"\r") + 1
    else:
        _check_deck_invariants(deck, data.decode("utf-8-sig"))


# --- (b) round trip ---------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "tensor", "filter", "layer", "gradient", "kernel", "stride", "weights", "bias", "input",
        "output", "channel", "loss", "network", "pooling", "padding", "batch", "activation",
        "step", "patch", "of", "the", "a", "with", "and", "size", "$x$", "$W _ f$",
        "$a^l _ {i, j}$", "$C _ I \\times H _ I$", "$100 \\times 100$", "$\\mathbf O$", "“dot",
        "product”", "(e.g.", "RGB)", "zero-padding", "$l+1$", "what’s",
    ]
)  # fmt: skip
_FORMULAS = st.sampled_from(
    [
        "\\[48 \\times 48\\]",
        "\\[z^{l+1} = W a^l + b\\]",
        "\\[\\frac{\\partial \\ell}{\\partial w^{l+1, f'}_ {i, j, f} }\\]",
        "\\[\\begin{aligned} a &= b \\\\\\\\ c &= d \\end{aligned}\\]",
        "\\[m' \\times n' \\times f\\] \\[W \\times H \\times 3\\]",
        "\\[\\mathbf O[u][y][x] = \\sum^{C_ I}_ {i = 1} \\mathbf I[i][x]\\]",
    ]
)
_QUESTION_WORDS = st.sampled_from(
    ["What", "Why", "How", "Which", "When", "Is", "Are", "Can", "Does", "In general, what"]
)
_INSTRUCTIONS = st.sampled_from(
    ["Define", "Describe", "Explain", "State", "Give", "Derive", "Compute", "Compare",
     "Quickly derive", "Briefly explain", "Write down", "Sketch"]
)  # fmt: skip
_ANSWER_OPENERS = st.sampled_from(
    ["The", "It", "This", "So", "Note that", "Each", "Multiply", "Take", "A", "Because", "Here",
     "Typically", "Without", "Where $x$ is", "When $s = 1$,", "Is it", "Yes,", "No:", "Zero:"]
)  # fmt: skip


@st.composite
def _phrase(draw: st.DrawFn, min_words: int = 2) -> str:
    return " ".join(draw(st.lists(_WORDS, min_size=min_words, max_size=9)))


@st.composite
def _bullets(draw: st.DrawFn) -> str:
    items = draw(st.lists(_phrase(), min_size=1, max_size=4))
    return "\n".join(f"  • {item[0].upper()}{item[1:]}" for item in items)


@st.composite
def _question_sentence(draw: st.DrawFn) -> str:
    return f"{draw(_QUESTION_WORDS)} {draw(_phrase())}?"


@st.composite
def _question(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(_question_sentence())
    if kind == 1:
        return f"{draw(_INSTRUCTIONS)} {draw(_phrase())}."
    if kind == 2:  # "Can you define $z$ and derive" + formula + "?"
        opener = draw(st.sampled_from(["Can you define $z$ and derive", "What is", "Derive"]))
        return f"{opener} {draw(_phrase(min_words=0))}".strip() + f"\n\n{draw(_FORMULAS)}\n\n?"
    if kind == 3:  # one paragraph: "Suppose we have ... . What ...?"
        return f"Suppose we have {draw(_phrase())}. {draw(_question_sentence())}"
    parts = ["Suppose:", draw(_bullets())]
    if draw(st.booleans()):
        parts += [f"The {draw(_phrase())} is then given by:", draw(_FORMULAS)]
    if draw(st.booleans()):
        parts.append(draw(_question_sentence()))
    else:
        parts += [f"Quickly derive {draw(_phrase(min_words=0))}".strip(), draw(_FORMULAS), "?"]
    return "\n\n".join(parts)


@st.composite
def _answer_paragraphs(draw: st.DrawFn) -> list[str]:
    """One or two paragraphs of an answer; never one that ends with ':' on its own."""
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return [draw(_FORMULAS)]
    if kind == 1:
        return [draw(_bullets())]
    if kind == 2:
        return [f"{draw(_phrase())}."]  # starts with a lower-case word (or with maths)
    if kind == 3:
        return [f"{draw(_ANSWER_OPENERS)} {draw(_phrase())}."]
    if kind == 4:
        return [f"({draw(_phrase())})"]
    if kind == 5:
        return [draw(st.sampled_from(["Where:", "Inputs:", "Outputs:"])), draw(_bullets())]
    if kind == 6:
        return ["Then", draw(_FORMULAS)]
    if kind == 7:  # a question inside an answer is fine: the real next question comes later
        return [f"Is it {draw(_phrase())}? {draw(st.sampled_from(['Yes.', 'No.']))}"]
    return [f"{draw(_ANSWER_OPENERS)} {draw(_phrase())}:", draw(_FORMULAS | _bullets())]


@st.composite
def _answer(draw: st.DrawFn) -> str:
    paragraphs: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        paragraphs += draw(_answer_paragraphs())
    return "\n\n".join(paragraphs)


@dataclass(frozen=True)
class _Deck:
    title: str
    cards: list[tuple[str, str]]
    ending: str
    trailer: str


@st.composite
def _decks(draw: st.DrawFn) -> _Deck:
    title = f"Notes - Machine Learning MT23, {draw(_phrase())}"
    cards = draw(st.lists(st.tuples(_question(), _answer()), min_size=1, max_size=15))
    ending = draw(st.sampled_from(["proofs-and-related", "proofs", "related", "none"]))
    trailer = "\n\n".join(
        draw(st.lists(_question() | _answer() | st.just("\n") | st.just("Flashcards"), max_size=4))
    )
    return _Deck(title, cards, ending, trailer)


def _render(deck: _Deck) -> tuple[str, list[int]]:
    """The notes file for ``deck`` (``\\n`` line endings) and the line of every front."""
    lines = [deck.title, "", "", "Flashcards", ""]
    fronts = []
    for index, (front, back) in enumerate(deck.cards):
        if index:
            lines.append("")
        fronts.append(len(lines) + 1)
        lines += [*front.split("\n"), "", "", *back.split("\n")]
    if deck.ending == "proofs-and-related":
        lines += ["", "Proofs", "", deck.trailer, "", "", "", "Related posts", "", deck.trailer]
    elif deck.ending == "proofs":
        lines += ["", "Proofs", "", deck.trailer]
    elif deck.ending == "related":
        lines += ["", "Related posts", deck.trailer]
    return "\n".join(lines), fronts


@pytest.mark.slow  # hypothesis, 300 generated decks
@settings(FAST, max_examples=300)
@given(
    _decks(),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.sampled_from(["", "\n", "\n\n\n"]),
)
def test_random_decks_round_trip(deck: _Deck, newline: str, bom: bool, tail: str) -> None:
    text, fronts = _render(deck)
    data = ((text + tail).replace("\n", newline)).encode("utf-8")
    parsed = parse_deck_bytes(b"\xef\xbb\xbf" + data if bom else data)
    # Each side comes back as written, trimmed (an answer that opens with a bullet loses the
    # indentation of its first line only).
    expected = [(front.strip(), back.strip()) for front, back in deck.cards]
    assert parsed.title == deck.title
    assert [(card.front, card.back) for card in parsed.cards] == expected
    assert [card.line for card in parsed.cards] == fronts
    assert parse_deck_text(text).to_dict() == {
        "title": deck.title,
        "cards": [{"front": front, "back": back} for front, back in expected],
    }
    for front, back in deck.cards:
        _assert_well_formed(to_markdown(front))
        _assert_well_formed(to_markdown(back))
