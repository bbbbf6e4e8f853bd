"""The built-in CNN deck (``data/decks/cnn.md``).

* It is a valid Markdown deck: at least 30 flashcards, each with a readable, unique id and tags,
  and exactly one exercise entry for every registered exercise family.
* Every side renders to Markdown + KaTeX with no ``\\[``/``\\]`` left and balanced ``$``.
* Each of the 12 cards of the notes (``data/seeds/cnn-notes.txt``) has its own counterpart, with
  nearly the same front and, apart from marked clarifications (``> **Clarification:**``), the
  notes' back, except the two cards the notes got wrong, which are corrected and say so in an
  erratum. Each stays close enough to its notes card that a database made from the notes keeps
  every card's history when it imports the deck (``quiz.decks.identity``): that is why a notes
  card's additions are short, and why the first card's clarification is in its question.
* The three corrections are checked with the engine: the bias has shape ``C_O``, the input is
  indexed ``I[i][s·y + j][s·x + k]`` (the notes' ``I[i][sx + j][sy + k]`` is wrong), and the
  weight gradient sums over every output position ``i', j'``.
* The clarifications of the notes cards (no padding, index bases, ``Ω``, ``m'`` and ``n'``) are
  checked with the engine too, and every notes card with indices says which base they use.
* The worked numbers of the new cards are the engine's numbers.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import shapes
from quiz.decks import ParsedCard, ParsedDeck, parse_deck_file
from quiz.decks.identity import ExistingCard, card_keys, plan_sync
from quiz.decks.render import to_markdown
from quiz.exercises.registry import FAMILIES

REPO_ROOT = Path(__file__).resolve().parents[3]
DECK_FILE = REPO_ROOT / "data" / "decks" / "cnn.md"
NOTES_FILE = REPO_ROOT / "data" / "seeds" / "cnn-notes.txt"

CORRECTED_KEY = "conv-layer-inputs-outputs"
GRADIENT_KEY = "conv-weight-gradient"
CORRECTED_KEYS = {CORRECTED_KEY, GRADIENT_KEY}
ERRATUM = "> **Erratum:**"
NOTES_INDEX = r"\mathbf I[i][sx + j][sy + k]"
CORRECT_INDEX = r"\mathbf I[i][s \cdot y + j][s \cdot x + k]"

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DELIMITER = re.compile(r"(?<!\\)\\[\[\]]")  # \[ or \] that is not the tail of a \\ line break
_DOLLAR = re.compile(r"(?<!\\)\$")


@pytest.fixture(scope="module")
def deck() -> ParsedDeck:
    return parse_deck_file(DECK_FILE)


@pytest.fixture(scope="module")
def flashcards(deck: ParsedDeck) -> list[ParsedCard]:
    return [card for card in deck.cards if card.exercise is None]


@pytest.fixture(scope="module")
def by_key(flashcards: list[ParsedCard]) -> dict[str, ParsedCard]:
    return {card.key: card for card in flashcards if card.key is not None}


def _normalise(text: str) -> str:
    """Bullets written either way (``  • item`` or ``- item``) and any wrapping compare equal."""
    text = re.sub(r"(?m)^\s*[•-]\s+", "- ", text)
    return " ".join(text.split())


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _normalise(a), _normalise(b), autojunk=False).ratio()


def _quotes(text: str) -> list[str]:
    """The block quotes of ``text`` (clarifications and errata), each on one line."""
    blocks = re.split(r"\n\s*\n", text)
    return [
        " ".join(line.removeprefix(">").strip() for line in block.strip().splitlines())
        for block in blocks
        if block.strip().startswith(">")
    ]


def _without_quotes(text: str) -> str:
    """``text`` without its block quotes: what is left of the notes' own words."""
    return "\n".join(line for line in text.splitlines() if not line.startswith(">")).strip()


def _clarification(card: ParsedCard, side: str = "back") -> str:
    text = card.front if side == "front" else card.back
    quotes = [quote for quote in _quotes(text) if quote.startswith("**Clarification:**")]
    assert len(quotes) == 1, (card.key, quotes)
    return quotes[0]


# --- the deck as a whole ----------------------------------------------------------------------


def test_the_deck_is_a_markdown_deck_with_title_description_and_tags(deck: ParsedDeck) -> None:
    assert deck.source_format == "markdown"
    assert deck.title == "Convolutional neural networks"
    assert deck.description
    assert "cnn" in deck.tags


def test_at_least_30_flashcards_each_with_a_readable_unique_id_and_tags(
    deck: ParsedDeck, flashcards: list[ParsedCard]
) -> None:
    assert len(flashcards) >= 30
    keys = [card.key for card in deck.cards]
    assert None not in keys, "every card and exercise entry needs an {#id}"
    assert len(set(keys)) == len(keys), [k for k, n in Counter(keys).items() if n > 1]
    for card in flashcards:
        assert card.key is not None and _ID.match(card.key), card.key
        assert card.tags, f"card {card.key} has no tags"


def test_one_exercise_entry_for_every_family(deck: ParsedDeck) -> None:
    entries = [card for card in deck.cards if card.exercise is not None]
    assert Counter(card.exercise.family for card in entries) == Counter(list(FAMILIES))  # type: ignore[union-attr]
    for card in entries:
        assert card.exercise is not None
        assert card.exercise.difficulty == 2
        assert not card.exercise.params
        assert card.key == f"ex-{card.exercise.family}"
        assert card.back and card.back != FAMILIES[card.exercise.family].description


def test_every_side_renders_without_bracket_delimiters_and_with_balanced_dollars(
    deck: ParsedDeck,
) -> None:
    for card in deck.cards:
        for side in (card.front, card.back):
            rendered = to_markdown(side)
            assert not _DELIMITER.search(rendered), (card.key, rendered)
            assert len(_DOLLAR.findall(rendered)) % 2 == 0, (card.key, rendered)
            for line in rendered.splitlines():
                if "$$" in line:
                    assert line.strip() == "$$", (card.key, line)


# --- faithful to the notes, except where they are wrong ---------------------------------------


def _pairs(notes: list[ParsedCard], cards: list[ParsedCard]) -> list[tuple[ParsedCard, ParsedCard]]:
    """Each notes card with the deck card most like it (front and back together)."""
    return [
        (
            note,
            max(
                cards,
                key=lambda card: _ratio(note.front, card.front) + _ratio(note.back, card.back),
            ),
        )
        for note in notes
    ]


@pytest.mark.slow  # imports and matches whole decks
def test_each_notes_card_has_its_own_counterpart(flashcards: list[ParsedCard]) -> None:
    notes = list(parse_deck_file(NOTES_FILE).cards)
    assert len(notes) == 12
    pairs = _pairs(notes, flashcards)
    matched = [card.key for _, card in pairs]
    assert len(set(matched)) == 12, f"two notes cards share a counterpart: {matched}"
    for note, card in pairs:
        assert _ratio(note.front, _without_quotes(card.front)) >= 0.8, (card.key, card.front)
        assert "notes" in card.tags, card.key
        # whatever the deck adds to a notes card is a marked clarification or erratum
        for quote in _quotes(card.front):
            assert quote.startswith("**Clarification:**"), (card.key, quote)
        for quote in _quotes(card.back):
            assert quote.startswith(("**Clarification:**", "**Erratum:**")), (card.key, quote)
        if card.key in CORRECTED_KEYS:
            assert ERRATUM in card.back, card.key
            assert "erratum" in card.tags, card.key
            assert _ratio(note.back, _without_quotes(card.back)) >= 0.8, (card.key, card.back)
        else:
            # the notes' answer, word for word, and nothing else outside the clarification
            assert _normalise(_without_quotes(card.back)) == _normalise(note.back), card.key
            assert "Erratum" not in card.back, card.key
            assert "erratum" not in card.tags, card.key
    assert {card.key for card in flashcards if "notes" in card.tags} == set(matched)
    assert set(matched) >= CORRECTED_KEYS


@pytest.mark.slow  # imports and matches whole decks
def test_a_database_of_the_notes_deck_keeps_every_card_s_history(
    flashcards: list[ParsedCard],
) -> None:
    """The clarifications and errata leave each notes card similar enough to the notes' card for
    an import to adopt it (``quiz.decks.identity``): none is retired, none goes to another card."""
    notes = list(parse_deck_file(NOTES_FILE).cards)
    old = [
        ExistingCard(number, key, note.front, note.back)
        for number, (key, note) in enumerate(zip(card_keys(notes), notes, strict=True))
    ]
    plan = plan_sync(old, parse_deck_file(DECK_FILE).cards)
    assert plan.retired == ()
    adopted = {number: key for number, key, _ in plan.matched}
    expected = {number: card.key for number, (_, card) in enumerate(_pairs(notes, flashcards))}
    assert adopted == expected


def test_the_introduction_counts_three_errata_and_states_index_bases_and_layouts() -> None:
    intro = " ".join(DECK_FILE.read_text(encoding="utf-8").partition("\n## ")[0].split())
    assert "except for three errors, which carry an erratum" in intro
    assert "two in the card on a layer's inputs and outputs" in intro
    assert "one in the card deriving the weight gradient" in intro
    assert "clarification" in intro
    assert "Indices in the new cards count from 0, as in PyTorch." in intro
    assert "The notes' formulas count from 1" in intro
    assert r"channel-last, as $W \times H \times C$" in intro
    assert r"$C \times H \times W$" in intro


@pytest.mark.parametrize(
    "key, base",
    [
        (CORRECTED_KEY, "counted from $0$ and the other indices, the input's rows and columns too, "
         "from $1$"),
        ("conv-preactivation", "every index counts from $1$, as in the notes"),
        (GRADIENT_KEY, "every index counts from $1$, as in the notes"),
        ("max-pool-derivative", "indices from $1$ as in the notes"),
    ],
)  # fmt: skip
def test_every_notes_card_with_indices_says_which_base_they_use(
    by_key: dict[str, ParsedCard], key: str, base: str
) -> None:
    assert base in _clarification(by_key[key]), key
    indexed = {
        card.key
        for card in by_key.values()
        if "notes" in card.tags and re.search(r"_ ?\{ ?i|\[[a-z]\]\[", card.front + card.back)
    }
    assert indexed == {CORRECTED_KEY, "conv-preactivation", GRADIENT_KEY, "max-pool-derivative"}


def test_the_corrected_card_states_the_corrections_and_keeps_the_errors_in_its_erratum(
    by_key: dict[str, ParsedCard],
) -> None:
    back = by_key[CORRECTED_KEY].back
    body, _, erratum = back.partition(ERRATUM)
    assert erratum, "the corrected card needs a visible erratum"
    # the card itself: one bias per output channel, rows from y and columns from x
    assert r"$\mathbf B$: bias tensor, $C _ O$ " in body
    assert r"bias tensor, $C _ O \times" not in body
    assert CORRECT_INDEX in body and NOTES_INDEX not in body
    assert r"\mathbf B[u] + \sum" in body
    # the erratum: what the notes said, and why it is wrong
    erratum = " ".join(line.removeprefix(">").strip() for line in erratum.splitlines())
    assert r"$C _ O \times C _ I \times H _ F \times W _ F$" in erratum
    assert NOTES_INDEX in erratum and CORRECT_INDEX in erratum
    assert "bias has shape $C _ O$" in erratum


# --- the corrections, checked with the engine -------------------------------------------------


def _layer_loops(
    image: np.ndarray, filters: np.ndarray, bias: np.ndarray, s: int, *, notes_index: bool
) -> np.ndarray:
    """``O[u][y][x] = B[u] + Σ_i Σ_j Σ_k I[i][s·y + j][s·x + k] · F[u][i][j][k]`` as plain loops
    (0-based); with ``notes_index`` the input is read as the notes wrote it:
    ``I[i][s·x + j][s·y + k]``.
    """
    c_o, c_i, h_f, w_f = filters.shape
    h_o = (image.shape[1] - h_f) // s + 1
    w_o = (image.shape[2] - w_f) // s + 1
    out = np.zeros((c_o, h_o, w_o))
    for u in range(c_o):
        for y in range(h_o):
            for x in range(w_o):
                total = bias[u]
                for i in range(c_i):
                    for j in range(h_f):
                        for k in range(w_f):
                            row, col = (
                                (s * x + j, s * y + k) if notes_index else (s * y + j, s * x + k)
                            )
                            total += image[i][row][col] * filters[u][i][j][k]
                out[u][y][x] = total
    return out


def test_the_bias_has_one_entry_per_output_channel() -> None:
    rng = np.random.default_rng(7)
    image = rng.standard_normal((2, 5, 6))
    filters = rng.standard_normal((3, 2, 3, 3))
    bias = rng.standard_normal(3)
    out = engine.conv2d(image, filters, bias)
    np.testing.assert_allclose(out, _layer_loops(image, filters, bias, 1, notes_index=False))
    np.testing.assert_allclose(out, engine.conv2d(image, filters) + bias[:, None, None])
    with pytest.raises(ValueError) as caught:
        engine.conv2d(image, filters, rng.standard_normal((3, 2, 3, 3)))
    message = str(caught.value)
    assert "bias" in message and "(3,)" in message, message


@pytest.mark.parametrize("height, width", [(5, 9), (9, 5)])
def test_the_corrected_index_matches_the_engine_on_a_non_square_input(
    height: int, width: int
) -> None:
    rng = np.random.default_rng(height * 10 + width)
    image = rng.standard_normal((2, height, width))
    filters = rng.standard_normal((3, 2, 3, 3))
    bias = rng.standard_normal(3)
    expected = engine.conv2d(image, filters, bias, stride=2)
    assert expected.shape == (3, (height - 3) // 2 + 1, (width - 3) // 2 + 1)
    np.testing.assert_allclose(_layer_loops(image, filters, bias, 2, notes_index=False), expected)
    # the notes' I[i][s·x + j][s·y + k] runs off the input (a 5×9 input: row 2·3 + 2 of 5)
    with pytest.raises(IndexError):
        _layer_loops(image, filters, bias, 2, notes_index=True)


def test_the_notes_index_transposes_the_output_of_a_square_input() -> None:
    rng = np.random.default_rng(3)
    image = rng.standard_normal((2, 7, 7))
    filters = rng.standard_normal((2, 2, 3, 3))
    bias = rng.standard_normal(2)
    expected = engine.conv2d(image, filters, bias, stride=2)
    notes = _layer_loops(image, filters, bias, 2, notes_index=True)
    assert not np.allclose(notes, expected)
    np.testing.assert_allclose(notes, expected.transpose(0, 2, 1))


def test_the_seed_example_100_by_100_with_a_5_by_5_filter_at_stride_2(
    by_key: dict[str, ParsedCard],
) -> None:
    assert shapes.conv_output_size(100, 5, 2) == 48
    assert engine.conv2d(np.zeros((1, 100, 100)), np.zeros((1, 1, 5, 5)), stride=2).shape == (
        1,
        48,
        48,
    )
    card = by_key["conv-output-size-example"]
    assert "in both directions, and no padding. What is" in card.front
    assert card.back == r"\[48 \times 48\]"  # the notes' answer, kept short: see the test above
    # the clarification: no padding, and (100 - 5)/2 + 1 = 48.5 rounded down
    clarification = _clarification(card, "front")
    assert 'did not say "and no padding"' in clarification
    assert "only placed where it fits entirely inside the image" in clarification
    assert "would stick out past the edge does not count" in clarification
    assert (100 - 5) / 2 + 1 == 48.5 and (100 - 5) // 2 + 1 == 48
    assert shapes.conv_output_size(100, 5, 2, padding=1) != 48
    starts = [2 * y for y in range(48)]
    assert starts[-1] == 94 and starts[-1] + 5 - 1 == 98  # index 99 is never read
    grad_x, _, _ = engine.conv2d_backward(
        np.ones((1, 1, 48, 48)), np.zeros((1, 1, 100, 100)), np.ones((1, 1, 5, 5)), stride=2
    )
    assert not grad_x[0, 0, 99, :].any() and not grad_x[0, 0, :, 99].any()
    assert grad_x[0, 0, 98, :99].all() and grad_x[0, 0, :99, 98].all()


# --- the weight-gradient card: the sum over i', j' ---------------------------------------------

NOTES_FIRST_LINE = (
    "&= \\frac{\\partial \\ell}{\\partial z_ {i', j', f'}^{l+1} } "
    "\\frac{\\partial z^{l+1}_ {i', j', f'} }{\\partial w^{l+1, f'}_ {i, j, f} }"
)


def test_the_weight_gradient_card_sums_in_both_lines_and_keeps_the_error_in_its_erratum(
    by_key: dict[str, ParsedCard],
) -> None:
    back = by_key[GRADIENT_KEY].back
    body, _, erratum = back.partition(ERRATUM)
    assert erratum, "the corrected card needs a visible erratum"
    lines = body.split(r"\\")
    assert len(lines) == 2
    assert all(r"&= \sum_ {i', j'} \frac{\partial \ell}" in line for line in lines)
    notes_back = list(parse_deck_file(NOTES_FILE).cards)[10].back
    assert NOTES_FIRST_LINE in " ".join(notes_back.split())  # what the notes wrote
    assert NOTES_FIRST_LINE.replace("&= ", "&= \\sum_ {i', j'} ") in " ".join(body.split())
    erratum = " ".join(line.removeprefix(">").strip() for line in erratum.splitlines())
    assert r"the notes' first line had no $\sum_ {i', j'}$" in erratum
    assert "free on the right but not on the left" in erratum
    assert "the second line is right" in erratum
    assert r"$a^\ell$ for $a^l$" in erratum  # the notes' other slip, silently fixed before


def _notes_layer(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The notes' ``z_{i',j',f'} = b^{f'} + Σ_{i=1}^{W_f} Σ_{j=1}^{H_f} Σ_{f=1}^{F_l}
    a_{i'+i-1, j'+j-1, f} w^{f'}_{i,j,f}`` as plain loops, every index from 1 (``a`` is
    ``m × n × F_l``, ``w`` is ``F_{l+1} × W_f × H_f × F_l``).
    """
    m, n, f_l = a.shape
    f_next, w_f, h_f, _ = w.shape
    z = np.zeros((m - w_f + 1, n - h_f + 1, f_next))
    for i_ in range(1, m - w_f + 2):  # i' from 1 to m_l - W_f + 1
        for j_ in range(1, n - h_f + 2):  # j' from 1 to n_l - H_f + 1
            for f_ in range(1, f_next + 1):
                total = b[f_ - 1]
                for i in range(1, w_f + 1):
                    for j in range(1, h_f + 1):
                        for f in range(1, f_l + 1):
                            total += (
                                a[i_ + i - 2, j_ + j - 2, f - 1] * w[f_ - 1, i - 1, j - 1, f - 1]
                            )
                z[i_ - 1, j_ - 1, f_ - 1] = total
    return z


def test_the_notes_preactivation_with_indices_from_1_is_the_engines_convolution(
    by_key: dict[str, ParsedCard],
) -> None:
    rng = np.random.default_rng(21)
    a = rng.standard_normal((6, 5, 2))  # m_l × n_l × F_l, channel-last as in the notes
    w = rng.standard_normal((3, 3, 2, 2))  # F_{l+1} filters of W_f × H_f × F_l
    b = rng.standard_normal(3)
    z = _notes_layer(a, w, b)
    assert z.shape == (6 - 3 + 1, 5 - 2 + 1, 3)  # i' up to m_l - W_f + 1, j' up to n_l - H_f + 1
    expected = engine.conv2d(a.transpose(2, 0, 1), w.transpose(0, 3, 1, 2), b)
    np.testing.assert_allclose(z, expected.transpose(1, 2, 0))
    assert (
        r"$i'$ runs from $1$ to $m _ l - W _ f + 1$, $j'$ from $1$ to $n _ l - H _ f + 1$"
        in _clarification(by_key["conv-preactivation"])
    )


def test_the_weight_gradient_needs_the_sum_over_every_output_position() -> None:
    rng = np.random.default_rng(22)
    m, n, f_l, f_next, w_f, h_f = 5, 6, 2, 3, 2, 3
    a = rng.standard_normal((m, n, f_l))
    w = rng.standard_normal((f_next, w_f, h_f, f_l))
    upstream = rng.standard_normal((m - w_f + 1, n - h_f + 1, f_next))  # ∂ℓ/∂z, channel-last
    # the second line: Σ_{i',j'} ∂ℓ/∂z_{i',j',f'} · a_{i'+i-1, j'+j-1, f}, indices from 1
    terms = np.zeros((m - w_f + 1, n - h_f + 1, f_next, w_f, h_f, f_l))
    for i_ in range(1, m - w_f + 2):
        for j_ in range(1, n - h_f + 2):
            patch = a[i_ - 1 : i_ - 1 + w_f, j_ - 1 : j_ - 1 + h_f, :]
            terms[i_ - 1, j_ - 1] = upstream[i_ - 1, j_ - 1, :, None, None, None] * patch
    summed = terms.sum(axis=(0, 1))
    _, grad_w, _ = engine.conv2d_backward(
        upstream.transpose(2, 0, 1)[None],
        a.transpose(2, 0, 1)[None],
        w.transpose(0, 3, 1, 2),
    )
    np.testing.assert_allclose(summed, grad_w.transpose(0, 2, 3, 1))
    # the notes' first line, one (i', j') term without the sum, is not the gradient
    for i_ in range(terms.shape[0]):
        for j_ in range(terms.shape[1]):
            assert not np.allclose(terms[i_, j_], summed)
    # and a weight of filter f' gets nothing from the other output channels
    only_f0 = upstream.copy()
    only_f0[:, :, 1:] = 0
    _, grad_f0, _ = engine.conv2d_backward(
        only_f0.transpose(2, 0, 1)[None], a.transpose(2, 0, 1)[None], w.transpose(0, 3, 1, 2)
    )
    assert not grad_f0[1:].any()
    np.testing.assert_allclose(grad_f0[0], grad_w[0])


# --- the other clarifications of the notes cards -----------------------------------------------


def test_the_padding_card_says_p_zeros_on_each_side(by_key: dict[str, ParsedCard]) -> None:
    assert np.pad(np.zeros((100, 100)), 2).shape == (104, 104)
    assert shapes.conv_output_size(100, 1, padding=2) == 104
    clarification = _clarification(by_key["padding"])
    assert "adds $p$ zeros on each side" in clarification
    assert "grow by $2p$" in clarification
    assert r"a $100 \times 100$ image becomes $104 \times 104$" in clarification


def test_the_max_pool_card_gives_window_stride_channels_and_no_parameters(
    by_key: dict[str, ParsedCard],
) -> None:
    image = np.random.default_rng(23).standard_normal((3, 7, 8))
    out = engine.max_pool2d(image, 2)  # stride defaults to the window
    assert out.shape == (3, 3, 4)  # halves the height and the width, rounding down; 3 channels
    np.testing.assert_array_equal(out, engine.max_pool2d(image, 2, stride=2))
    for channel in range(3):  # each channel on its own
        np.testing.assert_array_equal(
            out[channel], engine.max_pool2d(image[channel : channel + 1], 2)[0]
        )
    clarification = _clarification(by_key["max-pool"])
    for words in ("$k \\times k$ window", "stride $s$", "PyTorch's default $s = k$",
                  "each channel separately", "no parameters"):  # fmt: skip
        assert words in clarification, words


def _omega(i_: int, j_: int, k: int, s: int) -> list[tuple[int, int]]:
    """``Ω(i', j')`` as the max-pool card defines it, indices from 1."""
    return [(s * (i_ - 1) + u, s * (j_ - 1) + v) for u in range(1, k + 1) for v in range(1, k + 1)]


@pytest.mark.parametrize("k, s", [(2, 2), (3, 2), (2, 1)])
def test_the_max_pool_window_omega_and_its_derivative(
    by_key: dict[str, ParsedCard], k: int, s: int
) -> None:
    rng = np.random.default_rng(k * 10 + s)
    a = rng.integers(0, 4, size=(7, 8)).astype(float)  # small integers: ties happen
    z = engine.max_pool2d(a[None], k, stride=s)[0]
    for i_ in range(1, z.shape[0] + 1):
        for j_ in range(1, z.shape[1] + 1):
            window = _omega(i_, j_, k, s)
            assert z[i_ - 1, j_ - 1] == max(a[i - 1, j - 1] for i, j in window)
            # ∂z_{i',j'}/∂a_{i,j}: 1 at the window's (first, row-major) maximum, 0 elsewhere
            argmax = window[int(np.argmax([a[i - 1, j - 1] for i, j in window]))]
            one_hot = np.zeros_like(z)
            one_hot[i_ - 1, j_ - 1] = 1
            expected = np.zeros_like(a)
            expected[argmax[0] - 1, argmax[1] - 1] = 1
            grad = engine.max_pool2d_backward(one_hot[None], a[None], k, stride=s)[0]
            np.testing.assert_array_equal(grad, expected)
    card = by_key["max-pool-derivative"]
    assert "The convolutional is" not in card.front
    assert "- The layer is a max pool operation\n" in card.front
    clarification = _clarification(card)
    assert 'the notes\' premise read "The convolutional is a max pool operation"' in clarification
    assert r"$(s(i' - 1) + u, \; s(j' - 1) + v)$ for $u, v = 1, \dots, k$" in clarification
    assert "first in row-major order" in clarification


def test_m_prime_and_n_prime_are_the_output_size_formula(by_key: dict[str, ParsedCard]) -> None:
    rng = np.random.default_rng(24)
    for m, n, w, h, s, p in [(9, 7, 3, 2, 1, 0), (9, 7, 3, 2, 2, 1), (10, 11, 5, 4, 3, 2)]:
        image = rng.standard_normal((3, m, n))  # channel-first for the engine: c × m × n
        out = engine.conv2d(image, rng.standard_normal((4, 3, w, h)), stride=s, padding=p)
        assert out.shape == (4, (m + 2 * p - w) // s + 1, (n + 2 * p - h) // s + 1)
        if s == 1 and p == 0:
            assert out.shape[1:] == (m - w + 1, n - h + 1)
    clarification = _clarification(by_key["conv-output-channels"])
    assert r"$m' = \lfloor (m + 2p - w)/s \rfloor + 1$" in clarification
    assert r"$n' = \lfloor (n + 2p - h)/s \rfloor + 1$" in clarification
    assert r"$m' = m - w + 1$ and $n' = n - h + 1$" in clarification


# --- the new cards' worked numbers ------------------------------------------------------------


def _has(card: ParsedCard, *snippets: str) -> None:
    text = " ".join(card.back.split())
    for snippet in snippets:
        assert snippet in text, (card.key, snippet)


def _matrix(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=float)[None, None]


def test_output_size_cards(by_key: dict[str, ParsedCard]) -> None:
    assert shapes.conv_output_size(32, 3, stride=2, padding=1) == 16
    _has(by_key["conv-output-size-formula"], r"\lfloor 31/2 \rfloor + 1 = 16")
    assert shapes.conv_output_size(100, 5, stride=2, padding=2) == 50
    _has(by_key["conv-output-size-padded"], r"\lfloor 99/2 \rfloor + 1 = 50")
    assert 95 / 2 + 1 == 48.5 and shapes.conv_output_size(100, 5, stride=2) == 48
    _has(
        by_key["conv-output-size-padded"],
        r"$\lfloor 95/2 \rfloor + 1 = 48$ ($95/2 + 1 = 48.5$, rounded down)",
    )
    assert shapes.conv_output_size(7, 3, 2) == shapes.conv_output_size(8, 3, 2) == 3
    _has(by_key["stride-floor"], r"\lfloor 5/2 \rfloor + 1 = 3")


def test_dilation_cards(by_key: dict[str, ParsedCard]) -> None:
    assert shapes.effective_kernel_size(3, 2) == 5 and shapes.effective_kernel_size(3, 3) == 7
    _has(by_key["dilation-effective-kernel"], "k_{\\text{eff}} = d(k - 1) + 1")
    assert shapes.conv_output_size(32, 3, dilation=2) == 28
    assert shapes.conv_output_size(32, 3, padding=2, dilation=2) == 32
    _has(by_key["dilation-output-size"], "$32 - 5 + 1 = 28$", "$32 + 4 - 5 + 1 = 32$")


def test_same_padding_cards(by_key: dict[str, ParsedCard]) -> None:
    assert [shapes.same_padding(k) for k in (3, 5, 7)] == [(1, 1), (2, 2), (3, 3)]
    _has(by_key["same-padding-odd"], r"$k = 7 \to p = 3$")
    assert shapes.same_padding(4) == (1, 2)
    assert shapes.same_padding(2, dilation=3) == (1, 2)
    assert shapes.same_padding(3, dilation=2) == (2, 2)
    _has(by_key["same-padding-even"], "$k = 4$: $1$ before, $2$ after")
    # the extra zero is at the bottom and on the right
    image = np.random.default_rng(4).standard_normal((1, 6, 6))
    kernel = np.random.default_rng(5).standard_normal((1, 1, 4, 4))
    padded = np.pad(image, ((0, 0), (1, 2), (1, 2)))
    np.testing.assert_allclose(
        engine.conv2d(image, kernel, padding="same"), engine.conv2d(padded, kernel)
    )


def test_receptive_field_cards(by_key: dict[str, ParsedCard]) -> None:
    assert shapes.receptive_field([(3, 1), (3, 1), (2, 2), (3, 1)]) == (10, 2)
    _has(by_key["receptive-field-formula"], r"$r = 1 + 2 + 2 + 1 + 2 \cdot 2 = 10$")
    assert shapes.receptive_field([(3, 1)] * 3) == (7, 1)
    assert 2 * shapes.conv2d_parameter_count(64, 64, 3, bias=False) == 73_728
    assert shapes.conv2d_parameter_count(64, 64, 5, bias=False) == 102_400
    _has(by_key["receptive-field-stacked-3x3"], r"$73\,728$ against $102\,400$")
    assert shapes.receptive_field([(3, 2), (3, 2)]) == (7, 4)
    assert shapes.receptive_field([(3, 1), (3, 1)]) == (5, 1)
    _has(by_key["receptive-field-strided"], r"= 7$, jump $2 \cdot 2 = 4$")
    assert shapes.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)]) == (15, 1)
    for depth in range(1, 6):
        layers = [(3, 1, 2**layer) for layer in range(depth)]
        assert shapes.receptive_field(layers)[0] == 2 ** (depth + 1) - 1
    _has(by_key["receptive-field-dilated"], "$r = 1 + 2 + 4 + 8 = 15$")


def test_parameter_and_cost_cards(by_key: dict[str, ParsedCard]) -> None:
    assert shapes.conv2d_parameter_count(3, 64, 3) == 1792
    _has(by_key["parameter-count-formula"], "= 1792$")
    assert shapes.conv2d_parameter_count(64, 128, 3, groups=4) == 18_560
    assert shapes.conv2d_parameter_count(64, 128, 3) == 73_856
    assert shapes.conv2d_parameter_count(32, 32, 3, groups=32) == 320
    assert shapes.conv2d_parameter_count(32, 64, 3, groups=32) == 640  # depth multiplier 2
    _has(by_key["parameter-count-groups"], r"= 18\,560$", r"$73\,856$", "= 320$", "= 640$")
    _has(
        by_key["parameter-count-groups"], r"$C_{\text{out}} = K \cdot C_{\text{in}}$",
        "depth multiplier $K$",
    )  # fmt: skip
    assert shapes.conv2d_parameter_count(3, 64, 3, bias=False) == 1792 - 64
    _has(by_key["parameter-count-formula"], "`bias=True`, PyTorch's default")
    assert shapes.conv2d_macs((1, 3, 32, 32), 16, 3, padding=1) == 442_368
    _has(by_key["conv-macs"], r"= 442\,368$")
    assert shapes.conv2d_parameter_count(256, 64, 1) == 16_448
    _has(by_key["one-by-one-conv"], r"= 16\,448$")
    direct = shapes.conv2d_parameter_count(256, 256, 3, bias=False)
    bottleneck = sum(
        shapes.conv2d_parameter_count(c_in, c_out, k, bias=False)
        for c_in, c_out, k in [(256, 64, 1), (64, 64, 3), (64, 256, 1)]
    )
    assert (direct, bottleneck, round(direct / bottleneck, 1)) == (589_824, 69_632, 8.5)
    macs_direct = shapes.conv2d_macs((1, 256, 56, 56), 256, 3, padding="same")
    macs_bottleneck = (
        shapes.conv2d_macs((1, 256, 56, 56), 64, 1)
        + shapes.conv2d_macs((1, 64, 56, 56), 64, 3, padding="same")
        + shapes.conv2d_macs((1, 64, 56, 56), 256, 1)
    )
    assert macs_direct * bottleneck == macs_bottleneck * direct
    _has(by_key["one-by-one-bottleneck"], r"= 589\,824$", r"= 69\,632$", "$8.5$ times fewer")


def test_conv_against_dense_and_locally_connected_cards(by_key: dict[str, ParsedCard]) -> None:
    conv = shapes.conv2d_parameter_count(3, 16, 3)
    n_in, n_out = 3 * 32 * 32, 16 * 32 * 32
    assert shapes.conv2d_output_shape((3, 32, 32), (16, 3, 3, 3), padding=1) == (16, 32, 32)
    dense = n_in * n_out + n_out
    local = 32 * 32 * conv  # its own filters and biases at every output position
    assert (conv, dense, dense / conv) == (448, 50_348_032, 112_384)
    assert (local, dense / local, local // conv) == (458_752, 109.75, 1024)
    _has(by_key["conv-vs-dense-parameters"], "= 448$", r"= 50\,348\,032\]", r"$112\,384$")
    _has(by_key["local-connectivity-and-sharing"], r"= 458\,752$", "$109.75$", "$1024$ times")


def test_depthwise_separable_cards(by_key: dict[str, ParsedCard]) -> None:
    standard = shapes.conv2d_parameter_count(64, 128, 3, bias=False)
    depthwise = shapes.conv2d_parameter_count(64, 64, 3, groups=64, bias=False)
    pointwise = shapes.conv2d_parameter_count(64, 128, 1, bias=False)
    assert (standard, depthwise, pointwise) == (73_728, 576, 8_192)
    assert (depthwise + pointwise) * 1152 == standard * 137  # 1/128 + 1/9 = 137/1152
    assert round(standard / (depthwise + pointwise), 1) == 8.4
    macs = shapes.conv2d_macs((1, 64, 56, 56), 64, 3, padding="same", groups=64) + (
        shapes.conv2d_macs((1, 64, 56, 56), 128, 1)
    )
    assert (macs, shapes.conv2d_macs((1, 64, 56, 56), 128, 3, padding="same")) == (
        27_496_448,
        231_211_008,
    )
    _has(by_key["separable-conv-cost"], r"= 73\,728$", r"= 8\,768$", r"$27\,496\,448$")
    doubled = shapes.conv2d_parameter_count(32, 64, 3, groups=32, bias=False)
    assert doubled + shapes.conv2d_parameter_count(64, 64, 1, bias=False) == 4_672
    single = shapes.conv2d_parameter_count(32, 32, 3, groups=32, bias=False)
    assert single + shapes.conv2d_parameter_count(32, 64, 1, bias=False) == 2_336
    _has(by_key["separable-conv-depth-multiplier"], r"= 4\,672$", r"$2\,336$")


def test_network_memory_cards(by_key: dict[str, ParsedCard]) -> None:
    conv1 = shapes.conv2d_output_shape((3, 32, 32), (16, 3, 3, 3), padding=1)
    pool1 = shapes.max_pool2d_output_shape(conv1, 2, 2)
    conv2 = shapes.conv2d_output_shape(pool1, (32, 16, 3, 3), padding=1)
    pool2 = shapes.max_pool2d_output_shape(conv2, 2, 2)
    sizes = [int(np.prod(shape)) for shape in (conv1, pool1, conv2, pool2)] + [10]
    assert sizes == [16_384, 4096, 8192, 2048, 10] and sum(sizes) == 30_730
    parameters = [
        shapes.conv2d_parameter_count(3, 16, 3),
        shapes.conv2d_parameter_count(16, 32, 3),
        2048 * 10 + 10,  # the fully connected layer: a kernel over its whole input
    ]
    assert parameters == [448, 4640, 20_490] and sum(parameters) == 25_578
    assert 4 * (8 * 30_730 + 25_578) == 1_085_672
    assert round(1_085_672 / 2**20, 2) == 1.04
    assert (round(100 * 16_384 / 30_730), round(100 * 20_490 / 25_578)) == (53, 80)
    _has(
        by_key["network-memory-walkthrough"], r"$16\,384$", "= 448$", "= 4640$",
        r"= 20\,490$", r"$30\,730$", r"$25\,578$", r"= 1\,085\,672$",
    )  # fmt: skip
    vgg_convs = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256)]
    vgg_convs += [(256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
    fc = [(25_088, 4096), (4096, 4096), (4096, 1000)]
    total = sum(shapes.conv2d_parameter_count(a, b, 3) for a, b in vgg_convs)
    total += sum(a * b + b for a, b in fc)
    assert (64 * 224 * 224, 25_088 * 4096 + 4096, total) == (3_211_264, 102_764_544, 138_357_544)
    assert round(102_764_544 / total, 2) == 0.74  # about three quarters
    _has(by_key["network-memory-where"], r"$138\,357\,544$", r"102\,764\,544$")


def test_global_pooling_and_fc_as_conv_cards(by_key: dict[str, ParsedCard]) -> None:
    x = np.zeros((1, 512, 7, 7))
    assert engine.avg_pool2d(x, 7, 7).shape == (1, 512, 1, 1)  # GAP: one window per map
    gap = shapes.conv2d_parameter_count(512, 1000, 1)  # nn.Linear(512, 1000) as a 1x1 conv
    flat = shapes.conv2d_parameter_count(512, 1000, 7)  # nn.Linear(25088, 1000) as a 7x7 conv
    assert (gap, flat, round(flat / gap, 1)) == (513_000, 25_089_000, 48.9)
    _has(by_key["global-average-pooling-head"], r"513\,000$", r"= 25\,089\,000$", "$48.9$")
    features = shapes.conv_output_size(384, 32, 32)  # total stride 32 as one 32x32 window
    assert features == 12
    assert shapes.conv2d_output_shape((512, 12, 12), (4096, 512, 7, 7)) == (4096, 6, 6)
    _has(by_key["fc-as-conv"], r"$512 \times 12 \times 12$", r"$4096 \times 6 \times 6$")


def test_relu_then_max_pool_gradient_cards(by_key: dict[str, ParsedCard]) -> None:
    def through(z: list[list[float]], upstream: float) -> np.ndarray:
        x = _matrix(z)
        a = engine.relu(x)
        grad_a = engine.max_pool2d_backward(np.full((1, 1, 1, 1), upstream), a, 2, 2)
        return engine.relu_backward(grad_a, x)[0, 0]

    assert through([[-1, 3], [2, -4]], 5).tolist() == [[0, 5], [0, 0]]
    _has(by_key["relu-max-pool-gradient"], r"\begin{pmatrix} 0 & 5 \\ 0 & 0 \end{pmatrix}")
    assert not through([[-2, -6], [-3, -5]], 4).any()
    unmasked = engine.max_pool2d_backward(np.full((1, 1, 1, 1), 4.0), np.zeros((1, 1, 2, 2)), 2, 2)
    assert unmasked[0, 0].tolist() == [[4, 0], [0, 0]]  # the tie goes to the first cell
    _has(by_key["relu-pool-dead-window"], "top-left cell", "ReLU's derivative at $0$")


def test_channels_and_bias_cards(by_key: dict[str, ParsedCard]) -> None:
    assert shapes.conv2d_output_shape((3, 32, 32), (16, 3, 5, 5)) == (16, 28, 28)
    assert shapes.conv2d_parameter_count(3, 16, 5) == 1216
    _has(by_key["channels-filters"], r"$28 \times 28 \times 16$", "= 1216$")
    _has(by_key["bias-shape"], "$(16, 3, 5, 5)$", "$(16,)$")


def test_pooling_shape_cards(by_key: dict[str, ParsedCard]) -> None:
    assert shapes.pool_output_size(32, 2) == 16 and shapes.pool_output_size(7, 2) == 3
    assert engine.max_pool2d(np.zeros((64, 7, 7)), 2).shape == (64, 3, 3)
    _has(by_key["pool-output-size"], r"$3 \times 3 \times 64$")
    assert shapes.pool_output_size(7, 2, ceil_mode=True) == 4
    assert shapes.pool_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    _has(by_key["pool-ceil-mode"], "the output has size $3$")


def test_pooling_gradient_cards(by_key: dict[str, ParsedCard]) -> None:
    five = _matrix([[5]])
    grad = engine.max_pool2d_backward(five, _matrix([[1, 3], [2, 0]]), 2)
    np.testing.assert_array_equal(grad, _matrix([[0, 5], [0, 0]]))
    _has(by_key["max-pool-gradient-example"], r"$\begin{pmatrix} 0 & 5 \\ 0 & 0 \end{pmatrix}$")
    tie = engine.max_pool2d_backward(five, _matrix([[1, 3], [3, 0]]), 2)
    np.testing.assert_array_equal(tie, _matrix([[0, 5], [0, 0]]))
    image = _matrix([[1, 2, 1], [0, 9, 3], [4, 1, 2]])
    upstream = _matrix([[1, 2], [3, 4]])
    overlap = engine.max_pool2d_backward(upstream, image, 2, stride=1)
    np.testing.assert_array_equal(overlap, _matrix([[0, 0, 0], [0, 10, 0], [0, 0, 0]]))
    _has(by_key["max-pool-ties-overlap"], "$1 + 2 + 3 + 4 = 10$")
    mean = engine.avg_pool2d_backward(_matrix([[8]]), np.zeros((1, 1, 2, 2)), 2)
    np.testing.assert_array_equal(mean, np.full((1, 1, 2, 2), 2.0))
    spread = engine.avg_pool2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), 2, stride=1)
    np.testing.assert_allclose(
        spread, _matrix([[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]])
    )
    _has(
        by_key["avg-pool-gradient"],
        r"\begin{pmatrix} 0.25 & 0.5 & 0.25 \\ 0.5 & 1 & 0.5 \\ 0.25 & 0.5 & 0.25 \end{pmatrix}",
    )
    # count_include_pad: a 2 × 2 input, 2 × 2 windows, stride 2, padding 1: one real input each
    image, eights = np.ones((1, 1, 2, 2)), np.full((1, 1, 2, 2), 8.0)
    assert engine.avg_pool2d(image, 2, 2, 1).shape == (1, 1, 2, 2)
    np.testing.assert_array_equal(engine.avg_pool2d(image, 2, 2, 1), np.full((1, 1, 2, 2), 0.25))
    np.testing.assert_array_equal(engine.avg_pool2d_backward(eights, image, 2, 2, 1), eights / 4)
    np.testing.assert_array_equal(
        engine.avg_pool2d_backward(eights, image, 2, 2, 1, count_include_pad=False), eights
    )
    _has(
        by_key["avg-pool-gradient"], "$8/4 = 2$ by default, and $8$ with `count_include_pad=False`"
    )


def test_convolution_gradient_cards(by_key: dict[str, ParsedCard]) -> None:
    kernel = _matrix([[1, 2], [3, 4]])
    upstream = _matrix([[1, 0], [0, -1]])
    image = np.random.default_rng(11).standard_normal((1, 1, 3, 3))
    grad_x, _, _ = engine.conv2d_backward(upstream, image, kernel)
    np.testing.assert_array_equal(grad_x, _matrix([[1, 2, 0], [3, 3, -2], [0, -3, -4]]))
    # a full convolution: pad by k - 1, cross-correlate with the kernel rotated by 180°
    full = engine.conv2d(
        np.pad(upstream, ((0, 0), (0, 0), (1, 1), (1, 1))), kernel[..., ::-1, ::-1]
    )
    np.testing.assert_array_equal(grad_x, full)
    _has(
        by_key["conv-grad-input"],
        r"\begin{pmatrix} 1 & 2 & 0 \\ 3 & 3 & -2 \\ 0 & -3 & -4 \end{pmatrix}",
    )

    image = _matrix([[1, 2, 0], [0, 1, 3], [2, 1, 1]])
    upstream = _matrix([[1, 0], [0, 1]])
    _, grad_w, grad_b = engine.conv2d_backward(upstream, image, np.zeros((1, 1, 2, 2)))
    np.testing.assert_array_equal(grad_w, _matrix([[2, 5], [1, 2]]))
    np.testing.assert_array_equal(grad_w, engine.conv2d(image, upstream))  # valid cross-correlation
    _has(by_key["conv-grad-weight"], r"\begin{pmatrix} 2 & 5 \\ 1 & 2 \end{pmatrix}")

    _, _, grad_b = engine.conv2d_backward(_matrix([[1, 2], [3, 4]]), np.zeros((1, 1, 3, 3)), kernel)
    np.testing.assert_array_equal(grad_b, [10.0])
    _has(by_key["conv-grad-bias"], "gives $10$")


def test_transposed_convolution_cards(by_key: dict[str, ParsedCard]) -> None:
    assert shapes.conv_transpose_output_size(16, 4, stride=2, padding=1) == 32
    assert shapes.conv_output_size(32, 4, stride=2, padding=1) == 16
    _has(by_key["transposed-conv-output-size"], r"$15 \cdot 2 - 2 + 3 + 1 = 32$")
    # output_padding a < s picks each of the s sizes the convolution turns back into i
    for a in range(2):
        size = shapes.conv_transpose_output_size(16, 4, stride=2, padding=1, output_padding=a)
        assert size == 32 + a and shapes.conv_output_size(size, 4, stride=2, padding=1) == 16
    assert shapes.conv_output_size(34, 4, stride=2, padding=1) == 17
    with pytest.raises(ValueError):
        shapes.conv_transpose_output_size(16, 4, stride=2, padding=1, output_padding=2)
    assert shapes.conv_transpose_output_size(4, 3, stride=1, dilation=3, output_padding=2) == 12
    _has(by_key["transposed-conv-output-size"], "With $a = 1$ it gives $33$")
    assert shapes.conv_output_size(7, 3, 2, 1) == shapes.conv_output_size(8, 3, 2, 1) == 4
    assert shapes.conv_transpose_output_size(4, 3, 2, 1) == 7
    assert shapes.conv_transpose_output_size(4, 3, 2, 1, output_padding=1) == 8
    _has(by_key["transposed-conv-not-inverse"], "`output_padding=1`")
    # it is the input-gradient of the convolution, not its inverse
    rng = np.random.default_rng(12)
    image = rng.standard_normal((1, 2, 8, 8))
    weight = rng.standard_normal((3, 2, 3, 3))
    out = engine.conv2d(image, weight, stride=2, padding=1)
    upstream = rng.standard_normal(out.shape)
    grad_x, _, _ = engine.conv2d_backward(upstream, image, weight, stride=2, padding=1)
    np.testing.assert_allclose(
        engine.conv_transpose2d(upstream, weight, stride=2, padding=1, output_padding=1), grad_x
    )
    back = engine.conv_transpose2d(out, weight, stride=2, padding=1, output_padding=1)
    assert back.shape == image.shape and not np.allclose(back, image)


def _correlate(image: np.ndarray, kernel: np.ndarray, *, flip: bool) -> np.ndarray:
    """The card's two formulas as loops, every index from 0: ``Σ I[y + j][x + k] K[j][k]``, or
    with ``flip`` ``Σ I[y + h - 1 - j][x + w - 1 - k] K[j][k]``."""
    h, w = kernel.shape
    out = np.zeros((image.shape[0] - h + 1, image.shape[1] - w + 1))
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            for j in range(h):
                for k in range(w):
                    row, col = (y + h - 1 - j, x + w - 1 - k) if flip else (y + j, x + k)
                    out[y, x] += image[row, col] * kernel[j, k]
    return out


def test_cross_correlation_card(by_key: dict[str, ParsedCard]) -> None:
    image = np.arange(9.0).reshape(1, 1, 3, 3)
    kernel = _matrix([[1, 0], [0, 0]])
    np.testing.assert_array_equal(engine.conv2d(image, kernel), _matrix([[0, 1], [3, 4]]))
    flipped = engine.conv2d(image, kernel[..., ::-1, ::-1])
    np.testing.assert_array_equal(flipped, _matrix([[4, 5], [7, 8]]))
    # the card's formulas, 0-based, give the card's example
    np.testing.assert_array_equal(
        _correlate(image[0, 0], kernel[0, 0], flip=False), [[0, 1], [3, 4]]
    )
    np.testing.assert_array_equal(
        _correlate(image[0, 0], kernel[0, 0], flip=True), [[4, 5], [7, 8]]
    )
    rng = np.random.default_rng(25)
    big, odd = rng.standard_normal((5, 6)), rng.standard_normal((2, 3))
    np.testing.assert_allclose(
        _correlate(big, odd, flip=True), engine.conv2d(big[None], odd[None, None, ::-1, ::-1])[0]
    )
    _has(
        by_key["cross-correlation-vs-convolution"],
        r"O[y][x] = \sum_{j = 0}^{h - 1} \sum_{k = 0}^{w - 1} I[y + j][x + k] \, K[j][k]",
        r"I[y + h - 1 - j][x + w - 1 - k] \, K[j][k]",
    )
    _has(
        by_key["cross-correlation-vs-convolution"],
        r"gives $\begin{pmatrix} 0 & 1 \\ 3 & 4 \end{pmatrix}$",
        r"convolution $\begin{pmatrix} 4 & 5 \\ 7 & 8 \end{pmatrix}$",
    )


def test_batch_norm_cards(by_key: dict[str, ParsedCard]) -> None:
    x = np.array([[[[7.0, 1.0]]], [[[1.0, -1.0]]]])  # one channel, two samples of 1 × 2
    normalised = engine.batch_norm2d(x, training=True, eps=0.0)
    assert np.allclose(normalised.ravel(), [5 / 3, -1 / 3, -1 / 3, -1])
    assert np.allclose(engine.batch_norm2d(x + 10, training=True, eps=0.0), normalised)
    assert shapes.conv2d_parameter_count(3, 64, 3) == 1792
    assert shapes.conv2d_parameter_count(3, 64, 3, bias=False) == 1792 - 64
    _has(by_key["batch-norm-computation"], r"$\mu = 8/4 = 2$", r"$64$ of its $1\,792$")
    mean, var = np.zeros(1), np.ones(1)
    out = engine.batch_norm2d(x, mean, var, training=True)  # momentum 0.1, eps 1e-5
    assert round(float(out.ravel()[0]), 3) == 1.667
    assert np.allclose([mean[0], var[0]], [0.2, 2.1])  # unbiased 36/3 = 12 in the running var
    assert round(float(engine.batch_norm2d(x, mean, var).ravel()[0]), 3) == 4.692
    _has(by_key["batch-norm-train-eval"], r"$0.9 \cdot 1 + 0.1 \cdot 12 = 2.1$", r"\approx 4.692")


def test_im2col_cards(by_key: dict[str, ParsedCard]) -> None:
    image = np.arange(3 * 32 * 32, dtype=float).reshape(1, 3, 32, 32)
    weight = np.ones((16, 3, 3, 3))
    cols = engine.unfold(image, 3, padding=1, stride=2)
    assert cols.shape == (1, 27, 256)
    product = weight.reshape(16, -1) @ cols[0]
    assert product.shape == (16, 256)
    conv = engine.conv2d(image, weight, stride=2, padding=1)
    assert conv.shape == (1, 16, 16, 16) and np.allclose(product.reshape(1, 16, 16, 16), conv)
    _has(
        by_key["im2col-shapes"],
        r"\lfloor (32 + 2 - 3)/2 \rfloor + 1 = 16",
        r"is $27 \times 256$",
        r"$16 \times 27$",
        r"$16 \times 256$",
    )
    unfolded = engine.unfold(np.zeros((1, 64, 56, 56), dtype=np.float32), 3, padding=1)
    assert unfolded.shape == (1, 576, 3136) and unfolded.size == 1_806_336
    assert unfolded.size == 9 * 64 * 56 * 56 == 9 * 200_704
    assert unfolded.nbytes == 7_225_344 and 64 * 56 * 56 * 4 == 802_816
    assert round(unfolded.nbytes / 2**20, 1) == 6.9 and 32 * unfolded.nbytes / 2**20 == 220.5
    _has(
        by_key["im2col-memory"],
        r"$576 \times 3\,136 = 1\,806\,336$",
        r"$200\,704$",
        r"$7\,225\,344$ bytes (about $6.9$ MiB)",
        r"$802\,816$",
        r"$220.5$ MiB",
    )


def test_transposed_convolution_value_cards(by_key: dict[str, ParsedCard]) -> None:
    x = _matrix([[1, 0], [0, 2]])
    k = _matrix([[1, 2], [3, 4]])
    assert np.array_equal(engine.conv_transpose2d(x, k)[0, 0], [[1, 2, 0], [3, 6, 4], [0, 6, 8]])
    strided = engine.conv_transpose2d(x, k, stride=2)[0, 0]
    assert np.array_equal(strided, [[1, 2, 0, 0], [3, 4, 0, 0], [0, 0, 2, 4], [0, 0, 6, 8]])
    assert np.array_equal(
        engine.conv_transpose2d(x, k, stride=2, padding=1)[0, 0], [[4, 0], [0, 2]]
    )
    _has(
        by_key["transposed-conv-scatter"],
        r"O = \begin{pmatrix} 1 & 2 & 0 \\ 3 & 6 & 4 \\ 0 & 6 & 8 \end{pmatrix}",
        r"$\begin{pmatrix} 4 & 0 \\ 0 & 2 \end{pmatrix}$",
    )
    ones = engine.conv_transpose2d(
        np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=2, padding=1
    )
    assert ones.shape == (1, 1, 7, 7)
    assert np.array_equal(ones[0, 0, 0], [1, 2, 1, 2, 1, 2, 1])
    assert np.array_equal(ones[0, 0, 1], [2, 4, 2, 4, 2, 4, 2])
    even = engine.conv_transpose2d(
        np.ones((1, 1, 6, 6)), np.ones((1, 1, 4, 4)), stride=2, padding=1
    )
    assert np.all(even[0, 0, 2:-2, 2:-2] == 4)  # k = 4, s = 2: every inner cell covered 4 times
    _has(
        by_key["transposed-conv-checkerboard"],
        r"$1, 2, 1, 2, 1, 2, 1$ and $2, 4, 2, 4, 2, 4, 2$",
        r"exactly $4$ copies",
    )
