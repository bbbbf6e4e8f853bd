"""The built-in CNN deck (``data/decks/cnn.md``).

* It is a valid Markdown deck: at least 30 flashcards, each with a readable, unique id and tags,
  and exactly one exercise entry for every registered exercise family.
* Every side renders to Markdown + KaTeX with no ``\\[``/``\\]`` left and balanced ``$``.
* Each of the 12 cards of the notes (``data/seeds/cnn-notes.txt``) has its own counterpart, with
  nearly the same front and a similar back, except the one card the notes got wrong, which is
  corrected and says so in an erratum.
* The two corrections are checked with the engine: the bias has shape ``C_O`` and the input is
  indexed ``I[i][s·y + j][s·x + k]`` (the notes' ``I[i][sx + j][sy + k]`` is wrong).
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
from quiz.decks.render import to_markdown
from quiz.exercises.registry import FAMILIES

REPO_ROOT = Path(__file__).resolve().parents[3]
DECK_FILE = REPO_ROOT / "data" / "decks" / "cnn.md"
NOTES_FILE = REPO_ROOT / "data" / "seeds" / "cnn-notes.txt"

CORRECTED_KEY = "conv-layer-inputs-outputs"
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


def test_each_notes_card_has_its_own_counterpart(flashcards: list[ParsedCard]) -> None:
    notes = list(parse_deck_file(NOTES_FILE).cards)
    assert len(notes) == 12
    pairs = _pairs(notes, flashcards)
    matched = [card.key for _, card in pairs]
    assert len(set(matched)) == 12, f"two notes cards share a counterpart: {matched}"
    for note, card in pairs:
        assert _ratio(note.front, card.front) >= 0.8, (card.key, card.front)
        assert "notes" in card.tags, card.key
        if card.key == CORRECTED_KEY:
            assert ERRATUM in card.back
        else:
            assert _ratio(note.back, card.back) >= 0.5, (card.key, card.back)
            assert "Erratum" not in card.back, card.key
    assert {card.key for card in flashcards if "notes" in card.tags} == set(matched)
    assert CORRECTED_KEY in matched


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
    assert by_key["conv-output-size-example"].back == r"\[48 \times 48\]"


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
    _has(by_key["parameter-count-groups"], r"= 18\,560$", r"$73\,856$", "= 320$")
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


def test_cross_correlation_card(by_key: dict[str, ParsedCard]) -> None:
    image = np.arange(9.0).reshape(1, 1, 3, 3)
    kernel = _matrix([[1, 0], [0, 0]])
    np.testing.assert_array_equal(engine.conv2d(image, kernel), _matrix([[0, 1], [3, 4]]))
    flipped = engine.conv2d(image, kernel[..., ::-1, ::-1])
    np.testing.assert_array_equal(flipped, _matrix([[4, 5], [7, 8]]))
    _has(
        by_key["cross-correlation-vs-convolution"],
        r"gives $\begin{pmatrix} 0 & 1 \\ 3 & 4 \end{pmatrix}$",
        r"convolution $\begin{pmatrix} 4 & 5 \\ 7 & 8 \end{pmatrix}$",
    )
