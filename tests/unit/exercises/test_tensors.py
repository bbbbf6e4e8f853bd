"""The helpers shared by the value-and-gradient families (``quiz.exercises.families.tensors``)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import reference
from quiz.exercises import latex
from quiz.exercises.families import tensors as t
from quiz.exercises.families.value_families import VALUE_FAMILIES
from quiz.exercises.pictures import WindowPicture


def test_integers_stay_in_range_and_can_avoid_zero() -> None:
    rng = np.random.default_rng(0)
    values = t.integers(rng, (50, 50))
    assert values.dtype == float and values.min() == -3 and values.max() == 3
    nonzero = t.integers(rng, (50, 50), nonzero=True)
    assert 0 not in nonzero and set(np.unique(nonzero)) == {-3, -2, -1, 1, 2, 3}


def test_distinct_values_never_repeat() -> None:
    rng = np.random.default_rng(1)
    values = t.distinct(rng, (1, 5, 5), -14, 14, nonzero=True)
    assert values.shape == (1, 5, 5) and len(np.unique(values)) == 25 and 0 not in values
    with pytest.raises(ValueError, match="distinct values"):
        t.distinct(rng, (4, 4), 0, 9)


def test_as_list_keeps_whole_numbers_as_ints() -> None:
    assert t.as_list(np.array([[1.0, -2.0]])) == [[1, -2]]
    assert t.as_list(np.array([0.5, 1.0])) == [0.5, 1.0]


def test_exact_snaps_float_noise_to_the_fraction() -> None:
    noisy = np.array([1 / 9 + 1 / 12 + 1 / 6 - 1 / 6, 0.027777777777777762])
    snapped = t.exact(noisy)
    assert snapped[0] == 7 / 36 and snapped[1] == 1 / 36
    with pytest.raises(ValueError):
        t.exact(np.array([1 / 11]))


def test_flip_transpose_pad_spread() -> None:
    k = np.array([[1, 2], [3, 4]])
    assert t.flip(k).tolist() == [[4, 3], [2, 1]]
    assert t.transpose(k).tolist() == [[1, 3], [2, 4]]
    assert t.pad(k, 1).tolist() == [[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0], [0, 0, 0, 0]]
    assert t.spread(k, 2).tolist() == [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    assert t.spread(k, 1).tolist() == k.tolist()


@pytest.mark.parametrize(("stride", "dilation"), [(1, 1), (2, 1), (1, 2), (2, 2)])
def test_correlate_matches_the_reference_loops(stride: int, dilation: int) -> None:
    rng = np.random.default_rng(stride * 10 + dilation)
    x, k = t.integers(rng, (7, 6)), t.integers(rng, (2, 3))
    expected = reference.conv2d(x[None], k[None, None], stride=stride, dilation=dilation)[0]
    assert np.array_equal(t.correlate(x, k, stride, dilation), expected)


def test_pooling_windows_cells_and_maxima() -> None:
    pooling = t.Pooling(height=3, width=3, kernel=3, stride=2, padding=1)
    assert pooling.out == (2, 2) and pooling.overlaps()
    assert pooling.cells(0, 0) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert pooling.cells(1, 1) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert pooling.span(0, 1) == "rows 0–1, columns 1–2"
    assert t.Pooling(4, 4, 2, 2, 1).span(0, 0) == "row 0, column 0"
    x = np.array([[-5, -6, 2], [-7, -8, -9], [1, -3, -4]])
    assert [at for _, _, at in pooling.argmaxes(x)] == [(0, 0), (0, 2), (2, 0), (2, 1)]
    assert t.Pooling.from_params(pooling.to_params()) == pooling
    assert "zero padding $1$" in pooling.describe()


def test_scatter_adds_or_overwrites() -> None:
    targets = [(1.0, [(0, 0), (0, 1)]), (2.0, [(0, 1)])]
    assert t.scatter((1, 2), targets).tolist() == [[1.0, 3.0]]
    assert t.scatter((1, 2), targets, accumulate=False).tolist() == [[1.0, 2.0]]


def test_latex_helpers() -> None:
    assert t.products([(2, 1), (-1, 3)]) == "2 \\cdot 1 + (-1) \\cdot 3"
    assert t.products([]) == "0" and t.additions([]) == "0"
    assert t.additions([2, -1]) == "2 + (-1)"
    assert t.cell(1, 2) == "row 1, column 2"
    values = np.array([[1, 2 / 9, -0.5], [3, 0, -1 / 3]])
    assert t.matrix(values) == latex.matrix(values)
    assert t.number(-2 / 9) == latex.number(-2 / 9) == "-\\tfrac{2}{9}"
    three = np.arange(8).reshape(2, 2, 2)
    assert t.channels(three, "X") == latex.tensor(three, "X")
    assert t.channels(three[:1], "X") == f"X = {latex.matrix(three[0])}"


def test_conv_layer_shapes() -> None:
    layer = t.ConvLayer(channels=2, filters=3, height=5, width=4, kernel=3, stride=2, padding=1)
    assert layer.out == (3, 2)
    assert layer.input_shape == (2, 5, 4) and layer.weight_shape == (3, 2, 3, 3)
    assert layer.output_shape == (3, 3, 2)
    assert t.ConvLayer.from_params(layer.to_params()) == layer
    assert layer.settings() == "stride $2$ and zero padding $1$"


@pytest.mark.parametrize("family", VALUE_FAMILIES, ids=lambda family: family.id)
def test_tensors_can_be_drawn_and_pictures_name_them(family: object) -> None:
    """Every tensor is shown as heatmaps with the prompt (so at least 2-D, and nothing the
    prompt does not show); a picture names tensors that exist and draws a 2-D output."""
    for difficulty in (1, 2, 3):
        for seed in range(20):
            exercise = family.make(seed, difficulty)  # type: ignore[attr-defined]
            assert exercise.tensors and all(np.ndim(v) >= 2 for v in exercise.tensors.values())
            picture = exercise.picture
            if not isinstance(picture, WindowPicture):  # none, or not a sliding window
                continue
            assert picture.input in exercise.tensors
            assert picture.kernel is None or picture.kernel in exercise.tensors
            assert np.asarray(picture.output).ndim == 2


@pytest.mark.parametrize("family", VALUE_FAMILIES, ids=lambda family: family.id)
def test_every_picture_window_lies_inside_the_padded_input(family: object) -> None:
    """The drawing outlines taps (s·row + d·i, s·col + d·j) on the padded first plane."""
    for difficulty in (1, 2, 3):
        for seed in range(20):
            exercise = family.make(seed, difficulty)  # type: ignore[attr-defined]
            picture = exercise.picture
            if not isinstance(picture, WindowPicture):  # none, or not a sliding window
                continue
            source = np.asarray(exercise.tensors[picture.input])
            (ph, pw), (h, w) = picture.padding, source.shape[-2:]
            height, width = h + 2 * ph, w + 2 * pw
            if picture.kernel is None:
                kh, kw = picture.window
            else:
                kh, kw = np.asarray(exercise.tensors[picture.kernel]).shape[-2:]
            rows, cols = np.asarray(picture.output).shape
            (sh, sw), (dh, dw) = picture.stride, picture.dilation
            assert (rows - 1) * sh + (kh - 1) * dh < height, (seed, difficulty)
            assert (cols - 1) * sw + (kw - 1) * dw < width, (seed, difficulty)
