"""Property tests: any text is graded or a format error; canonical answers round-trip; every
accepted spelling of a right answer scores 1."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quiz.grading import (
    INTERNAL_ERROR,
    AnswerFormatError,
    AnswerKind,
    format_answer,
    grade,
    parse_matrix,
    parse_number,
    parse_shape,
    parse_tensor,
)

pytestmark = pytest.mark.slow  # hypothesis, hundreds of generated answers per property

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- (1) arbitrary text never raises

SOUP = [
    *"0123456789 \n\n\t,;[]()-+./eExX×*_:=",
    *("by", "−", "—", "1/0", "nan", "inf", "1e999", "channel 1:", "---", "…", "٣", "²"),
    *("array(", "dtype=int)", "torch.Size(", "\u00a0", "\u200b", "\x00", "\x85"),
]
texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.lists(st.sampled_from(SOUP), max_size=80).map("".join),
    st.lists(st.sampled_from(SOUP), max_size=12).map(lambda parts: "".join(parts) * 300),
)
PARSERS: list[Callable[[str], object]] = [parse_number, parse_shape, parse_matrix, parse_tensor]
EXPECTED = [
    (AnswerKind.NUMBER, 0.75, {}),
    (AnswerKind.SHAPE, (3, 48, 48), {"names": ("channels", "height", "width")}),
    (AnswerKind.SHAPE, (3, 48, 48), {"optional": "leading"}),
    (AnswerKind.MATRIX, np.arange(4.0).reshape(2, 2), {}),
    (AnswerKind.TENSOR, np.arange(8.0).reshape(2, 2, 2), {}),
]


@PROPERTY
@given(texts)
def test_any_text_is_parsed_or_a_format_error(text: str) -> None:
    for parse in PARSERS:
        try:
            parse(text)
        except AnswerFormatError as error:
            assert error.message and isinstance(error.message, str)


@PROPERTY
@given(texts)
def test_grading_any_text_never_raises(text: str) -> None:
    for kind, expected, options in EXPECTED:
        result = grade(kind, expected, text, **options)
        assert 0.0 <= result.score <= 1.0
        assert result.format_error != INTERNAL_ERROR
        if result.format_error is not None:
            assert (result.score, result.correct) == (0.0, False)


# ---------------------------------------------------------------- (2) format_answer round-trips

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
numbers = st.one_of(
    st.integers(-(10**15), 10**15).map(float),
    st.fractions(max_denominator=100).filter(lambda f: abs(f) < 10**12).map(float),
    st.decimals(allow_nan=False, allow_infinity=False, places=3)
    .filter(lambda d: abs(d) < 10**12)
    .map(float),
    finite_floats,
)
small_numbers = st.one_of(
    st.integers(-99, 99).map(float),
    st.fractions(max_denominator=12).filter(lambda f: abs(f) < 100).map(float),
    finite_floats,
)
shapes = st.lists(st.integers(1, 999_999_999), min_size=1, max_size=8).map(tuple)


def arrays(dimensions: int) -> st.SearchStrategy[np.ndarray]:
    shape = hnp.array_shapes(min_dims=dimensions, max_dims=dimensions, max_side=4)
    return hnp.arrays(np.float64, shape, elements=small_numbers)


@PROPERTY
@given(numbers)
def test_numbers_round_trip(value: float) -> None:
    assert parse_number(format_answer(AnswerKind.NUMBER, value)) == value


@PROPERTY
@given(shapes)
def test_shapes_round_trip(shape: tuple[int, ...]) -> None:
    assert parse_shape(format_answer(AnswerKind.SHAPE, shape)) == shape


@PROPERTY
@given(arrays(2))
def test_matrices_round_trip(matrix: np.ndarray) -> None:
    parsed = parse_matrix(format_answer(AnswerKind.MATRIX, matrix))
    assert parsed.shape == matrix.shape
    assert np.array_equal(parsed, matrix)


@PROPERTY
@given(arrays(3))
def test_tensors_round_trip(tensor: np.ndarray) -> None:
    parsed = parse_tensor(format_answer(AnswerKind.TENSOR, tensor))
    assert parsed.shape == tensor.shape
    assert np.array_equal(parsed, tensor)


# ------------------------------------------------- (3) any accepted spelling of a right answer


@st.composite
def spelled_number(draw: st.DrawFn, *, spaces: bool = True) -> tuple[float, str]:
    """A value and one way a student might type it (``spaces``: may put spaces inside)."""
    kind = draw(st.sampled_from(["int", "fraction", "decimal", "float"]))
    if kind == "int":
        value = Fraction(draw(st.integers(-9999, 9999)))
        digits = str(abs(value.numerator))
        body = draw(st.sampled_from([digits, f"{digits}.", f"{digits}.0", f"{digits}e0"]))
    elif kind == "fraction":
        value = draw(st.fractions(max_denominator=50).filter(lambda f: abs(f) < 1000))
        bar = draw(st.sampled_from(["/", " / ", "\u2044"] if spaces else ["/", "\u2044"]))
        body = f"{abs(value.numerator)}{bar}{value.denominator}"
    elif kind == "decimal":
        value = Fraction(draw(st.integers(-99999, 99999)), 1000)
        text = f"{abs(float(value)):.3f}"
        body = draw(st.sampled_from([text, text.rstrip("0"), text.lstrip("0") or "0"]))
    else:
        number = draw(finite_floats.filter(lambda x: abs(x) < 1e300))
        value = Fraction(number)
        body = draw(st.sampled_from([repr(abs(number)), f"{abs(number):.17e}"]))
    signs = ["-", "−", "–"] if value < 0 else ["", "+"]
    sign = draw(st.sampled_from(signs))
    if spaces and sign and draw(st.booleans()):
        sign += " "
    text = sign + body
    if spaces:
        text = draw(st.sampled_from(["", " ", "\n", "\u00a0"])) + text
        text += draw(st.sampled_from(["", " ", "\n", "  \n"]))
    return float(value), text


@PROPERTY
@given(spelled_number())
def test_any_spelling_of_a_right_number_scores_one(case: tuple[float, str]) -> None:
    value, text = case
    result = grade(AnswerKind.NUMBER, value, text)
    assert result.format_error is None, text
    assert result.score == 1.0, text


@st.composite
def spelled_shape(draw: st.DrawFn) -> tuple[tuple[int, ...], str]:
    shape = tuple(draw(st.lists(st.integers(1, 4096), min_size=1, max_size=5)))
    bracket = draw(st.sampled_from(["", "()", "[]", "torch"]))
    separators = ["x", "X", "×", "*", "by", "BY", ","]
    if len(shape) > 1 and bracket == "":
        separators.remove(",")  # "1,024" is refused as a likely thousands separator... sometimes
        separators.append(", ")
    parts = [str(shape[0])]
    for size in shape[1:]:
        separator = draw(st.sampled_from(separators))
        left = draw(st.sampled_from(["", " ", "  "])) if separator not in ("by", "BY") else " "
        right = draw(st.sampled_from(["", " ", "  "])) if separator not in ("by", "BY") else " "
        parts.append(f"{left}{separator}{right}{size}")
    body = "".join(parts)
    if bracket == "()" or bracket == "[]":
        trailing = "," if len(shape) == 1 and draw(st.booleans()) else ""
        body = f"{bracket[0]}{body}{trailing}{bracket[1]}"
    elif bracket == "torch":
        body = f"torch.Size([{body}])"
    return shape, draw(st.sampled_from(["", " ", "\n"])) + body + draw(st.sampled_from(["", " "]))


@PROPERTY
@given(spelled_shape())
def test_any_spelling_of_a_right_shape_scores_one(case: tuple[tuple[int, ...], str]) -> None:
    shape, text = case
    result = grade(AnswerKind.SHAPE, shape, text)
    assert result.format_error is None, text
    assert result.score == 1.0, text


@st.composite
def spelled_matrix(
    draw: st.DrawFn, rows: int, columns: int, *, in_tensor: bool = False
) -> tuple[np.ndarray, str]:
    """A matrix and one way to type it (``in_tensor``: no blank lines, which separate channels)."""
    cells = [[draw(spelled_number(spaces=False)) for _ in range(columns)] for _ in range(rows)]
    matrix = np.array([[value for value, _ in row] for row in cells], dtype=float)
    texts = [[text for _, text in row] for row in cells]
    style = draw(st.sampled_from(["plain", "matlab", "numpy", "numpy-print", "array", "rows"]))
    space = st.sampled_from([" ", "  ", "\t", " \t "])
    if style in ("plain", "matlab"):
        entry = draw(st.sampled_from([" ", ", ", ",", " , ", "\t"]))
        row_breaks = ["\n", "; ", ";", ";\n"]
        if style == "plain" and not in_tensor:
            row_breaks.append("\n\n")
        row_break = draw(st.sampled_from(row_breaks))
        body = row_break.join(entry.join(row) for row in texts)
        if draw(st.booleans()):
            body += row_break.strip(" \n") or ""
        text = f"[{body}]" if style == "matlab" else body
    elif style in ("numpy", "array"):
        entry = draw(st.sampled_from([", ", ","]))
        between = draw(st.sampled_from([", ", ",", ",\n ", ",\n       "]))
        text = "[" + between.join("[" + entry.join(row) + "]" for row in texts) + "]"
        if style == "array":
            dtype = draw(st.sampled_from(["", ", dtype=float32", ", dtype=np.float64"]))
            text = f"{draw(st.sampled_from(['array', 'np.array', 'tensor']))}({text}{dtype})"
    elif style == "numpy-print":
        text = "[" + "\n ".join("[" + draw(space).join(row) + "]" for row in texts) + "]"
    else:
        text = "\n".join("[" + draw(space).join(row) + "]" for row in texts)
    return matrix, text


matrix_sizes = st.tuples(st.integers(1, 4), st.integers(1, 4))


@PROPERTY
@given(matrix_sizes.flatmap(lambda size: spelled_matrix(*size)))
def test_any_spelling_of_a_right_matrix_scores_one(case: tuple[np.ndarray, str]) -> None:
    matrix, text = case
    result = grade(AnswerKind.MATRIX, matrix, text)
    assert result.format_error is None, text
    assert result.score == 1.0, text
    assert result.cell_marks == tuple((True,) * matrix.shape[1] for _ in range(matrix.shape[0]))


@st.composite
def spelled_tensor(draw: st.DrawFn) -> tuple[np.ndarray, str]:
    channels, rows, columns = draw(
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
    )
    style = draw(st.sampled_from(["blank", "dashes", "headings", "numpy"]))
    if style == "numpy":
        cells = [
            [[draw(spelled_number(spaces=False)) for _ in range(columns)] for _ in range(rows)]
            for _ in range(channels)
        ]
        tensor = np.array([[[v for v, _ in row] for row in channel] for channel in cells])
        blocks = [
            "[" + ",\n  ".join("[" + ", ".join(t for _, t in row) + "]" for row in channel) + "]"
            for channel in cells
        ]
        text = "[" + draw(st.sampled_from([", ", ",\n\n ", ","])).join(blocks) + "]"
        if draw(st.booleans()):
            text = f"array({text})"
        return tensor, text
    matrices = [draw(spelled_matrix(rows, columns, in_tensor=True)) for _ in range(channels)]
    tensor = np.array([matrix for matrix, _ in matrices])
    if style == "headings":
        word = draw(st.sampled_from(["channel", "Channel", "c", "ch"]))
        text = "\n".join(f"{word} {k}:\n{body}" for k, (_, body) in enumerate(matrices, start=1))
    else:
        separator = draw(
            st.sampled_from(
                ["\n\n", "\n\n\n", "\n \n"] if style == "blank" else ["\n---\n", "\n\n-----\n\n"]
            )
        )
        text = separator.join(body for _, body in matrices)
    return tensor, text


@PROPERTY
@given(spelled_tensor())
def test_any_spelling_of_a_right_tensor_scores_one(case: tuple[np.ndarray, str]) -> None:
    tensor, text = case
    result = grade(AnswerKind.TENSOR, tensor, text)
    assert result.format_error is None, text
    assert result.score == 1.0, text
