"""parse_shape and grade_shape: spellings, rejections, dimension counts, optional channels."""

from __future__ import annotations

import pytest

from quiz.grading import AnswerFormatError, AnswerKind, format_answer, grade_shape, parse_shape

CHW = ("channels", "height", "width")

ACCEPTED = [
    ("48x48", (48, 48)),
    ("48 x 48", (48, 48)),
    ("48X48", (48, 48)),
    ("48 X 48", (48, 48)),
    ("48×48", (48, 48)),
    ("48 × 48", (48, 48)),
    ("48 ✕ 48", (48, 48)),
    ("48*48", (48, 48)),
    ("48 * 48", (48, 48)),
    ("48 by 48", (48, 48)),
    ("48 BY 48", (48, 48)),
    ("48by48", (48, 48)),
    ("(48, 48)", (48, 48)),
    ("(48,48)", (48, 48)),
    ("[48, 48]", (48, 48)),
    ("[48,48]", (48, 48)),
    ("48,48", (48, 48)),
    ("48, 48", (48, 48)),
    ("  48 x 48  ", (48, 48)),
    ("3x48x48", (3, 48, 48)),
    ("48 × 48 × 3", (48, 48, 3)),
    ("3 by 32 by 32", (3, 32, 32)),
    ("(1, 3, 32, 32)", (1, 3, 32, 32)),
    ("torch.Size([1, 3, 32, 32])", (1, 3, 32, 32)),
    ("Size([8, 16])", (8, 16)),
    ("(48,)", (48,)),
    ("[48, 48,]", (48, 48)),
    ("48", (48,)),
    ("(48)", (48,)),
    ("1,500", (1, 500)),
    ("2 x\n3", (2, 3)),
    ("1x2x3x4x5x6x7x8", (1, 2, 3, 4, 5, 6, 7, 8)),
    ("999999999 x 1", (999_999_999, 1)),
]


@pytest.mark.parametrize(("text", "shape"), ACCEPTED)
def test_accepted_spellings(text: str, shape: tuple[int, ...]) -> None:
    assert parse_shape(text) == shape


GENERIC = "expected a shape such as 48 × 48 or (3, 32, 32); got {}"

REJECTED = [
    ("", "expected a shape such as 48 × 48 or (3, 32, 32); the answer is empty"),
    ("  ", "expected a shape such as 48 × 48 or (3, 32, 32); the answer is empty"),
    ("48 by 4x", GENERIC.format("'48 by 4x'")),
    ("48x", GENERIC.format("'48x'")),
    ("x48", GENERIC.format("'x48'")),
    ("48 x x 48", GENERIC.format("'48 x x 48'")),
    ("48,,48", GENERIC.format("'48,,48'")),
    ("48,", GENERIC.format("'48,'")),
    ("(48, 48", GENERIC.format("'(48, 48'")),
    ("(48, 48]", GENERIC.format("'(48, 48]'")),
    ("[[48, 48]]", GENERIC.format("'[[48, 48]]'")),
    ("()", GENERIC.format("'()'")),
    ("48 ÷ 48", GENERIC.format("'48 ÷ 48'")),
    ("48 pixels", GENERIC.format("'48 pixels'")),
    ("48 48", "separate the sizes with ×, x, * or commas, e.g. 48 × 48; got '48 48'"),
    ("0x48", "sizes are positive whole numbers; got 0"),
    ("48 × 0", "sizes are positive whole numbers; got 0"),
    ("-3x4", "sizes are positive whole numbers; got -3"),
    ("−3x4", "sizes are positive whole numbers; got -3"),
    ("0.0x4", "sizes are positive whole numbers; got 0.0"),
    ("48.0x48", "write sizes as plain whole numbers like 48; got 48.0"),
    ("2.5 x 3", "write sizes as plain whole numbers like 48; got 2.5"),
    ("+3x4", "write sizes as plain whole numbers like 48; got +3"),
    ("1e3x4", "write sizes as plain whole numbers like 48; got 1e3"),
    (
        "1,024",
        "a size does not start with 0: got 024 (to write a number like 1024, leave out the comma)",
    ),
    ("3 x 048", "a size does not start with 0: got 048"),
    ("1234567890 x 2", "the size '1234567890' is too large"),
    ("1x2x3x4x5x6x7x8x9", "a shape has at most 8 sizes"),
    ("４８x48", "use the digits 0-9 (found '４') in a shape such as 48 × 48 or (3, 32, 32)"),
    ("48\x07x48", "the answer contains an invisible control character (U+0007); please retype it"),
]


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_rejections_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_shape(text)
    assert caught.value.message == message


def test_format_answer_for_shapes() -> None:
    assert format_answer(AnswerKind.SHAPE, (3, 48, 48)) == "3 × 48 × 48"
    assert format_answer("shape", [48]) == "48"
    with pytest.raises(ValueError, match="positive"):
        format_answer(AnswerKind.SHAPE, (3, 0))
    with pytest.raises(ValueError, match="positive"):
        format_answer(AnswerKind.SHAPE, ())


def test_right_shape_in_any_spelling_scores_one() -> None:
    for text in ("3x48x48", "(3, 48, 48)", "3 by 48 by 48", "3*48*48"):
        result = grade_shape((3, 48, 48), text)
        assert (result.score, result.correct, result.format_error) == (1.0, True, None)
        assert result.expected_display == "3 × 48 × 48"


def test_wrong_number_of_sizes_is_a_format_error_phrased_with_the_names() -> None:
    result = grade_shape((3, 48, 48), "48 x 48", names=CHW)
    assert result.format_error == "expected 3 numbers (channels × height × width), got 2"
    assert (result.score, result.correct, result.graded) == (0.0, False, False)
    assert result.expected_display is None  # an unreadable answer never reveals the solution


def test_wrong_number_of_sizes_without_names() -> None:
    assert grade_shape((48, 48), "48").format_error == "expected 2 numbers, got 1"
    assert grade_shape((10,), "2x5").format_error == "expected 1 number, got 2"
    assert grade_shape((10,), "2x5", names=("features",)).format_error == (
        "expected 1 number (features), got 2"
    )


def test_optional_leading_channel_accepts_both_forms() -> None:
    for text in ("3 × 48 × 48", "48 × 48"):
        assert grade_shape((3, 48, 48), text, names=CHW, optional="leading").correct
    result = grade_shape((3, 48, 48), "48 x 48 x 3 x 1", names=CHW, optional="leading")
    assert result.format_error == (
        "expected 3 numbers (channels × height × width) or 2 (height × width), got 4"
    )
    assert grade_shape((3, 48, 48), "7", optional="leading").format_error == (
        "expected 3 or 2 numbers, got 1"
    )


def test_optional_trailing_channel_accepts_both_forms() -> None:
    hwc = ("height", "width", "channels")
    for text in ("48 × 48 × 3", "48x48"):
        assert grade_shape((48, 48, 3), text, names=hwc, optional="trailing").correct
    result = grade_shape((48, 48, 3), "3 x 48", names=hwc, optional="trailing")
    assert (result.correct, result.format_error) == (False, None)
    assert result.feedback == "Incorrect: check the height."
    result = grade_shape((48, 32, 3), "32 x 48", names=hwc, optional="trailing")
    assert result.feedback == (
        "These are the right sizes in the wrong order: give them as height × width."
    )
    assert grade_shape((48, 48, 3), "48 x 46", names=hwc, optional="trailing").feedback == (
        "Incorrect: check the width."
    )


def test_without_optional_the_short_form_is_a_format_error() -> None:
    assert grade_shape((48, 48, 3), "48x48").format_error == "expected 3 numbers, got 2"


def test_wrong_sizes_feedback_names_the_wrong_ones() -> None:
    result = grade_shape((16, 46, 46), "16 x 48 x 48", names=CHW)
    assert (result.score, result.correct, result.format_error) == (0.0, False, None)
    assert result.feedback == "Incorrect: check the height and width."
    assert grade_shape((16, 46, 46), "3 x 48 x 46", names=CHW).feedback == (
        "Incorrect: check the channels and height."
    )
    assert grade_shape((1, 2, 3, 4), "1 x 9 x 9 x 9", names=("n", "c", "h", "w")).feedback == (
        "Incorrect: check the c, h and w."
    )
    assert grade_shape((16, 46, 46), "16 x 48 x 48").feedback == "Incorrect."


def test_sizes_in_the_wrong_order() -> None:
    result = grade_shape((3, 48, 48), "48 x 48 x 3", names=CHW)
    assert result.feedback == (
        "These are the right sizes in the wrong order: give them as channels × height × width."
    )
    assert grade_shape((3, 48, 48), "48 x 48 x 3").feedback == (
        "These are the right sizes in the wrong order."
    )


def test_format_errors_in_shapes_are_reported_not_graded() -> None:
    result = grade_shape((48, 48), "48 by 4x")
    assert result.format_error == "expected a shape such as 48 × 48 or (3, 32, 32); got '48 by 4x'"
    assert not result.graded


@pytest.mark.parametrize(
    ("expected", "options", "error"),
    [
        ((), {}, "positive sizes"),
        ((3, 0), {}, "positive sizes"),
        ((3, 4), {"names": ("h",)}, "do not match"),
        ((3, 4), {"optional": "middle"}, "optional must be"),
        ((3,), {"optional": "leading"}, "2 or more sizes"),
    ],
)
def test_caller_mistakes_raise(expected: tuple[int, ...], options: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        grade_shape(expected, "3x4", **options)
