"""Filters: each classic kernel on pictures whose answer is known, the custom-kernel parser on
any text, the feature-map pipeline against the engine's oracle, and the panel's query."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine import reference
from quiz.playground.filters import (
    CUSTOM,
    DEFAULT_CUSTOM,
    KERNEL_EXPECTED,
    KERNELS,
    MAX_CUSTOM_CHARS,
    MAX_KERNEL_ENTRY,
    POOLS,
    UPLOAD,
    FilterChoice,
    KernelFormatError,
    choice_from_query,
    choice_to_query,
    feature_maps,
    kernel_to_text,
    parse_kernel,
)
from quiz.playground.images import SAMPLES
from tests.unit.playground.strategies import PROPERTY

INNER = (slice(1, -1), slice(1, -1))
"""Cells whose 3×3 window lies inside the image (no zero padding under it)."""


def _conv(image: np.ndarray, name: str) -> np.ndarray:
    return feature_maps(image, KERNELS[name].values)[0].values


def _vertical_edge(size: int = 8) -> np.ndarray:
    """Dark (0) on the left half, bright (1) on the right half."""
    image = np.zeros((size, size))
    image[:, size // 2 :] = 1.0
    return image


# --- the classic kernels ----------------------------------------------------------------------


def test_every_classic_kernel_is_3_by_3_read_only_and_described() -> None:
    assert list(KERNELS) == [
        "identity", "box-blur", "gaussian", "sharpen", "sobel-x", "sobel-y", "laplacian",
    ]  # fmt: skip
    for kernel in KERNELS.values():
        assert kernel.values.shape == (3, 3)
        assert not kernel.values.flags.writeable
        assert kernel.title and kernel.description


def test_identity_copies_the_image() -> None:
    image = np.random.default_rng(1).random((6, 9))
    np.testing.assert_allclose(_conv(image, "identity"), image)


@pytest.mark.parametrize("name", ["box-blur", "gaussian", "sharpen"])
def test_averaging_and_sharpening_keep_flat_areas(name: str) -> None:
    flat = np.full((7, 7), 0.4)
    np.testing.assert_allclose(_conv(flat, name)[INNER], 0.4)
    assert KERNELS[name].values.sum() == pytest.approx(1.0)


def test_box_blur_averages_the_nine_neighbours() -> None:
    image = np.zeros((5, 5))
    image[2, 2] = 9.0  # one bright dot spreads into its 3×3 neighbourhood as 1s
    expected = np.zeros((5, 5))
    expected[1:4, 1:4] = 1.0
    np.testing.assert_allclose(_conv(image, "box-blur"), expected)


def test_gaussian_weights_the_centre_most() -> None:
    image = np.zeros((5, 5))
    image[2, 2] = 16.0
    out = _conv(image, "gaussian")
    np.testing.assert_allclose(out[1:4, 1:4], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert out.sum() == pytest.approx(16.0)


def test_sharpen_pushes_an_edge_apart() -> None:
    out = _conv(_vertical_edge(), "sharpen")
    # the dark side of the edge goes below 0, the bright side above 1; flat parts stay put
    np.testing.assert_allclose(out[INNER][:, 2], -1.0)
    np.testing.assert_allclose(out[INNER][:, 3], 2.0)
    np.testing.assert_allclose(out[INNER][:, [0, 1, 4, 5]], [[0, 0, 1, 1]] * 6)


def test_sobel_x_finds_a_vertical_edge_and_sobel_y_does_not() -> None:
    image = _vertical_edge()  # columns 0-3 dark, 4-7 bright
    sobel_x = _conv(image, "sobel-x")[INNER]  # rows 1-6, columns 1-6
    # brighter to the right: positive exactly on the two columns beside the edge, 1 + 2 + 1
    np.testing.assert_allclose(sobel_x[:, [2, 3]], 4.0)
    np.testing.assert_allclose(sobel_x[:, [0, 1, 4, 5]], 0.0)
    np.testing.assert_allclose(_conv(image, "sobel-y")[INNER], 0.0)
    # a mirrored edge (bright to dark) gives the negative response
    np.testing.assert_allclose(_conv(1 - image, "sobel-x")[INNER][:, [2, 3]], -4.0)


def test_sobel_y_finds_a_horizontal_edge() -> None:
    image = _vertical_edge().T  # rows 0-3 dark, 4-7 bright: brighter downwards
    np.testing.assert_allclose(_conv(image, "sobel-y")[INNER][[2, 3], :], 4.0)
    np.testing.assert_allclose(_conv(image, "sobel-x")[INNER], 0.0)


def test_laplacian_is_zero_on_ramps_and_large_on_a_dot() -> None:
    ramp = np.add.outer(np.arange(6.0), 2 * np.arange(7.0))  # linear in both directions
    np.testing.assert_allclose(_conv(ramp, "laplacian")[INNER], 0.0, atol=1e-12)
    dot = np.zeros((5, 5))
    dot[2, 2] = 1.0
    np.testing.assert_allclose(
        _conv(dot, "laplacian")[1:4, 1:4], [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    )


def test_the_convolution_is_a_cross_correlation_as_in_pytorch() -> None:
    image = np.zeros((5, 5))
    image[2, 2] = 1.0
    kernel = np.arange(9.0).reshape(3, 3)
    out = feature_maps(image, kernel)[0].values
    # a dot reads the kernel back rotated by 180° (cross-correlation does not flip it)
    np.testing.assert_allclose(out[1:4, 1:4], kernel[::-1, ::-1])


# --- the pipeline -----------------------------------------------------------------------------

images = arrays(
    np.float64,
    st.tuples(st.integers(2, 9), st.integers(2, 9)),
    elements=st.floats(-2, 2, allow_nan=False, width=32),
)
kernels = arrays(np.float64, (3, 3), elements=st.floats(-3, 3, allow_nan=False, width=32))


@PROPERTY
@given(images, kernels, st.booleans(), st.sampled_from(POOLS))
def test_feature_maps_are_the_oracles(
    image: np.ndarray, kernel: np.ndarray, relu: bool, pool: str
) -> None:
    maps = feature_maps(image, kernel, relu=relu, pool=pool)
    conv = reference.conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]
    expected = [("Convolution", conv)]
    current = conv
    if relu:
        current = np.maximum(current, 0)
        expected.append(("ReLU", current))
    height, width = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    blocks = current[:height, :width].reshape(height // 2, 2, width // 2, 2)
    if pool == "max":
        expected.append(("2×2 max pool", blocks.max(axis=(1, 3))))
    elif pool == "avg":
        expected.append(("2×2 average pool", blocks.mean(axis=(1, 3))))
    assert [m.title for m in maps] == [title for title, _ in expected]
    for got, (_, want) in zip(maps, expected, strict=True):
        np.testing.assert_allclose(got.values, want, rtol=1e-12, atol=1e-12)
    assert maps[0].values.shape == image.shape  # padding 1 keeps the size


def test_feature_maps_refuse_what_they_cannot_draw() -> None:
    kernel = KERNELS["identity"].values
    with pytest.raises(ValueError, match="grayscale image of shape"):
        feature_maps(np.zeros((4, 4, 3)), kernel)
    with pytest.raises(ValueError, match="3×3 kernel"):
        feature_maps(np.zeros((4, 4)), np.ones((5, 5)))
    with pytest.raises(ValueError, match="pooling must be one of"):
        feature_maps(np.zeros((4, 4)), kernel, pool="min")


# --- the custom kernel ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1 0 -1; 2 0 -2; 1 0 -1",
        "1 0 -1\n2 0 -2\n1 0 -1",
        "1, 0, -1; 2, 0, -2; 1, 0, -1",
        "[[1, 0, -1], [2, 0, -2], [1, 0, -1]]",
        "[1 0 -1; 2 0 -2; 1 0 -1]",
        "  1 0 −1 ; 2 0 -2 ; 1 0 -1  ",
    ],
)
def test_custom_kernel_spellings(text: str) -> None:
    np.testing.assert_array_equal(parse_kernel(text), [[1, 0, -1], [2, 0, -2], [1, 0, -1]])


def test_custom_kernel_fractions() -> None:
    np.testing.assert_allclose(parse_kernel("1/9 1/9 1/9; 1/9 1/9 1/9; 1/9 1/9 1/9"), 1 / 9)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "the answer is empty"),
        ("1 2; 3 4", "got 2×2"),
        ("1 2 3; 4 5 6", "got 2×3"),
        ("1 2 3; 4 5; 7 8 9", "row 2 has 2 entries"),
        ("a b c; 1 2 3; 4 5 6", "'a'"),
        ("1 0 0; 0 5000 0; 0 0 1", "row 1, column 1 (from 0) is 5000"),
        ("1 0 0; 0 1e400 0; 0 0 1", ""),
    ],
)
def test_bad_custom_kernels_say_what_was_expected(text: str, detail: str) -> None:
    with pytest.raises(KernelFormatError) as error:
        parse_kernel(text)
    assert error.value.message.startswith(KERNEL_EXPECTED)
    assert detail in error.value.message
    assert str(error.value) == error.value.message


def _kernel_or_format_error(text: str) -> None:
    try:
        values = parse_kernel(text)
    except KernelFormatError as error:
        assert error.message.startswith(KERNEL_EXPECTED)
        return
    assert values.shape == (3, 3) and values.dtype == np.float64
    assert np.isfinite(values).all() and (np.abs(values) <= MAX_KERNEL_ENTRY).all()


@PROPERTY
@given(st.text(max_size=MAX_CUSTOM_CHARS))
def test_any_text_is_a_kernel_or_a_clear_format_error(text: str) -> None:
    _kernel_or_format_error(text)


_matrix_text = st.lists(
    st.lists(
        st.one_of(
            st.integers(-20, 20).map(str),
            st.floats(-50, 50, allow_nan=False).map(repr),
            st.tuples(st.integers(-9, 9), st.integers(1, 9)).map(lambda f: f"{f[0]}/{f[1]}"),
            st.sampled_from(["x", "", "1..2", "--1", "[", "]", ",", "nan", "inf"]),
        ),
        min_size=1,
        max_size=4,
    ),
    min_size=1,
    max_size=4,
).map(lambda rows: "\n".join(" ".join(row) for row in rows))


@PROPERTY
@given(_matrix_text)
def test_near_miss_matrices_are_a_kernel_or_a_clear_format_error(text: str) -> None:
    _kernel_or_format_error(text)


@PROPERTY
@given(arrays(np.float64, (3, 3), elements=st.floats(-MAX_KERNEL_ENTRY, MAX_KERNEL_ENTRY)))
def test_kernel_text_reads_back_exactly(values: np.ndarray) -> None:
    text = kernel_to_text(values)
    assert "\n" not in text
    np.testing.assert_array_equal(parse_kernel(text), values)


# --- the panel's query parameters -------------------------------------------------------------


def test_filter_choice_round_trips_through_the_query() -> None:
    for choice in (
        FilterChoice(),
        FilterChoice("checkerboard", "laplacian", relu=True, pool="max"),
        FilterChoice("letter", CUSTOM, "1 2 1; 0 0 0; -1 -2 -1", relu=False, pool="avg"),
    ):
        query = choice_to_query(choice)
        assert ("m" in query) == (choice.kernel == CUSTOM)
        back, notes = choice_from_query(query)
        assert notes == []
        assert back == choice


def test_bad_filter_query_values_take_defaults_with_notes() -> None:
    choice, notes = choice_from_query(
        {"img": "../etc/passwd", "f": ["sobel-x", "blur"], "relu": "yes", "pool": "MAX",
         "m": "1" * (MAX_CUSTOM_CHARS + 1)}
    )  # fmt: skip
    assert choice == FilterChoice()
    assert notes == [
        "image “../etc/passwd” is unknown; using scene",
        "kernel “blur” is unknown; using sobel-x",
        "pooling “MAX” is unknown; using none",
        "relu “yes” should be 1 or 0; using 0",
        f"the custom kernel is longer than {MAX_CUSTOM_CHARS} characters; ignored",
    ]
    assert choice.custom == DEFAULT_CUSTOM


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from(["img", "f", "m", "relu", "pool", "x"]),
        st.one_of(st.text(max_size=30), st.lists(st.text(max_size=5), max_size=3)),
    )
)
def test_any_filter_query_gives_a_choice(query: dict[str, object]) -> None:
    choice, notes = choice_from_query(query)
    assert choice.image in (*SAMPLES, UPLOAD)
    assert choice.kernel in (*KERNELS, CUSTOM)
    assert choice.pool in POOLS
    assert len(choice.custom) <= MAX_CUSTOM_CHARS
    assert all(isinstance(note, str) and note for note in notes)
