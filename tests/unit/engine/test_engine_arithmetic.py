"""The fifteen relationships of Dumoulin & Visin, "A guide to convolution arithmetic for deep
learning" (2016), as tables: each row is checked through the shape function, through the shape
of an actual forward pass on random data and, for the transposed ones, through the adjoint:
the transpose of a convolution is its input-gradient, and it equals the paper's "equivalent
direct convolution" of the stretched, padded input with the flipped kernel.

Notation: i input size, k kernel, s stride, p padding, d dilation, o output size; primes
belong to the transposed convolution, whose input i' is the original convolution's output.
"""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import shapes


def conv_out(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output size two ways: the formula, and the shape of a real forward pass."""
    by_formula = shapes.conv_output_size(i, k, s, p, d)
    rng = np.random.default_rng(i * 1000 + k * 100 + s * 10 + p)
    x = rng.standard_normal((1, 2, i, i + 1))  # non-square, to catch a swapped axis
    w = rng.standard_normal((3, 2, k, k))
    out = engine.conv2d(x, w, stride=s, padding=p, dilation=d)
    assert out.shape[2] == by_formula
    assert out.shape[3] == shapes.conv_output_size(i + 1, k, s, p, d)
    return by_formula


def transposed_out(i_prime: int, k: int, s: int = 1, p: int = 0, a: int = 0) -> int:
    """Output size of the transpose of conv(k, s, p) on an input of size i', two ways."""
    by_formula = shapes.conv_transpose_output_size(i_prime, k, s, p, output_padding=a)
    x = np.random.default_rng(i_prime).standard_normal((1, 3, i_prime, i_prime))
    w = np.random.default_rng(k).standard_normal((3, 2, k, k))
    out = engine.conv_transpose2d(x, w, stride=s, padding=p, output_padding=a)
    assert out.shape == (1, 2, by_formula, by_formula)
    return by_formula


def equivalent_direct_convolution(x: np.ndarray, w: np.ndarray, s: int, p: int, a: int):
    """The paper's construction: insert s - 1 zeros between input units (the stretched input
    ĩ'), pad with p' = k - p - 1 zeros (plus a on the bottom and right), then convolve with
    unit stride and the kernel flipped in both axes (channels swapped)."""
    n, c, h, w_ = x.shape
    k = w.shape[2]
    stretched = np.zeros((n, c, (h - 1) * s + 1, (w_ - 1) * s + 1))
    stretched[:, :, ::s, ::s] = x
    q = k - p - 1
    padded = np.pad(stretched, ((0, 0), (0, 0), (q, q + a), (q, q + a)))
    flipped = w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
    return engine.conv2d(padded, flipped)


def check_transpose(i: int, k: int, s: int, p: int) -> int:
    """conv(k, s, p) on size i, then its transpose on the output: back to size i, equal to the
    input-gradient and to the equivalent direct convolution. Returns o'."""
    rng = np.random.default_rng(i + 10 * k + 100 * s + 1000 * p)
    x = rng.integers(-3, 4, size=(2, 2, i, i)).astype(float)
    w = rng.integers(-3, 4, size=(3, 2, k, k)).astype(float)
    y = engine.conv2d(x, w, stride=s, padding=p)
    a = (i + 2 * p - k) % s
    g = rng.integers(-3, 4, size=y.shape).astype(float)
    back = engine.conv_transpose2d(g, w, stride=s, padding=p, output_padding=a)
    assert back.shape == x.shape
    grad_x, _, _ = engine.conv2d_backward(g, x, w, stride=s, padding=p)
    assert np.array_equal(back, grad_x)
    if k - p - 1 >= 0:
        assert np.array_equal(back, equivalent_direct_convolution(g, w, s, p, a))
    assert (y * g).sum() == (x * back).sum()  # <Cx, g> == <x, Cᵀg>, exactly
    return transposed_out(y.shape[2], k, s, p, a)


# --- convolution (relationships 1-6) -----------------------------------------------------------


@pytest.mark.parametrize(("i", "k"), [(4, 3), (5, 5), (7, 2), (1, 1)])
def test_relationship_1_no_padding_unit_strides(i: int, k: int) -> None:
    assert conv_out(i, k) == (i - k) + 1


@pytest.mark.parametrize(("i", "k", "p"), [(5, 4, 2), (3, 3, 1), (6, 2, 3)])
def test_relationship_2_zero_padding_unit_strides(i: int, k: int, p: int) -> None:
    assert conv_out(i, k, p=p) == (i - k) + 2 * p + 1


@pytest.mark.parametrize(("i", "n"), [(5, 1), (6, 2), (2, 3)])
def test_relationship_3_half_padding(i: int, n: int) -> None:
    k = 2 * n + 1
    assert shapes.same_padding(k) == (n, n)
    assert conv_out(i, k, p=k // 2) == i
    out = engine.conv2d(np.ones((1, 1, i, i)), np.ones((1, 1, k, k)), padding="same")
    assert out.shape == (1, 1, i, i)


@pytest.mark.parametrize(("i", "k"), [(5, 3), (2, 4), (4, 1)])
def test_relationship_4_full_padding(i: int, k: int) -> None:
    assert conv_out(i, k, p=k - 1) == i + (k - 1)


@pytest.mark.parametrize(("i", "k", "s"), [(5, 3, 2), (6, 3, 2), (10, 4, 3), (4, 4, 5)])
def test_relationship_5_no_padding_non_unit_strides(i: int, k: int, s: int) -> None:
    assert conv_out(i, k, s) == (i - k) // s + 1


@pytest.mark.parametrize(("i", "k", "s", "p"), [(5, 3, 2, 1), (6, 3, 2, 1), (7, 5, 3, 2)])
def test_relationship_6_padding_and_strides(i: int, k: int, s: int, p: int) -> None:
    assert conv_out(i, k, s, p) == (i + 2 * p - k) // s + 1


def test_relationship_6_different_inputs_can_share_an_output_size() -> None:
    assert conv_out(5, 3, 2, 1) == conv_out(6, 3, 2, 1) == 3


# --- pooling (relationship 7) ------------------------------------------------------------------


@pytest.mark.parametrize(("i", "k", "s"), [(5, 3, 1), (6, 2, 2), (7, 3, 2), (4, 4, 3)])
def test_relationship_7_pooling(i: int, k: int, s: int) -> None:
    expected = (i - k) // s + 1
    assert shapes.pool_output_size(i, k, s) == expected
    x = np.random.default_rng(i).standard_normal((2, 3, i, i))
    assert engine.max_pool2d(x, k, s).shape == (2, 3, expected, expected)
    assert engine.avg_pool2d(x, k, s).shape == (2, 3, expected, expected)


# --- transposed convolution (relationships 8-14) ----------------------------------------------


@pytest.mark.parametrize(("i", "k"), [(4, 3), (5, 2), (3, 3)])
def test_relationship_8_no_padding_unit_strides_transposed(i: int, k: int) -> None:
    i_prime = conv_out(i, k)
    assert check_transpose(i, k, 1, 0) == i_prime + (k - 1) == i


@pytest.mark.parametrize(("i", "k", "p"), [(5, 4, 2), (5, 3, 1), (4, 2, 1)])
def test_relationship_9_zero_padding_unit_strides_transposed(i: int, k: int, p: int) -> None:
    i_prime = conv_out(i, k, p=p)
    assert check_transpose(i, k, 1, p) == i_prime + (k - 1) - 2 * p == i


@pytest.mark.parametrize(("i", "n"), [(5, 1), (4, 2)])
def test_relationship_10_half_padding_transposed(i: int, n: int) -> None:
    k = 2 * n + 1
    i_prime = conv_out(i, k, p=n)
    assert check_transpose(i, k, 1, n) == i_prime == i


@pytest.mark.parametrize(("i", "k"), [(5, 3), (3, 2)])
def test_relationship_11_full_padding_transposed(i: int, k: int) -> None:
    i_prime = conv_out(i, k, p=k - 1)
    assert check_transpose(i, k, 1, k - 1) == i_prime - (k - 1) == i


@pytest.mark.parametrize(("i", "k", "s"), [(5, 3, 2), (7, 3, 2), (7, 1, 3)])
def test_relationship_12_no_padding_non_unit_strides_transposed(i: int, k: int, s: int) -> None:
    assert (i - k) % s == 0
    i_prime = conv_out(i, k, s)
    assert check_transpose(i, k, s, 0) == s * (i_prime - 1) + k == i


@pytest.mark.parametrize(("i", "k", "s", "p"), [(5, 3, 2, 1), (8, 4, 3, 1)])
def test_relationship_13_padding_and_strides_transposed(i: int, k: int, s: int, p: int) -> None:
    assert (i + 2 * p - k) % s == 0
    i_prime = conv_out(i, k, s, p)
    assert check_transpose(i, k, s, p) == s * (i_prime - 1) + k - 2 * p == i


@pytest.mark.parametrize(("i", "k", "s", "p"), [(6, 3, 2, 1), (7, 4, 3, 1), (9, 3, 4, 0)])
def test_relationship_14_padding_and_strides_transposed_odd(i: int, k: int, s: int, p: int) -> None:
    a = (i + 2 * p - k) % s
    assert a != 0  # the case relationship 13 leaves out
    i_prime = conv_out(i, k, s, p)
    assert check_transpose(i, k, s, p) == s * (i_prime - 1) + a + k - 2 * p == i
    # without output_padding the transpose would give back the smaller of the s candidates
    assert shapes.conv_transpose_output_size(i_prime, k, s, p) == i - a


# --- dilation (relationship 15) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("i", "k", "s", "p", "d"), [(7, 3, 1, 0, 2), (10, 3, 2, 1, 3), (9, 2, 1, 2, 4)]
)
def test_relationship_15_dilated_convolution(i: int, k: int, s: int, p: int, d: int) -> None:
    k_hat = k + (k - 1) * (d - 1)
    assert shapes.effective_kernel_size(k, d) == k_hat
    assert conv_out(i, k, s, p, d) == (i + 2 * p - k - (k - 1) * (d - 1)) // s + 1


def test_the_paper_figures() -> None:
    """The sizes drawn in the paper's figures."""
    assert conv_out(4, 3) == 2  # no padding, unit strides
    assert conv_out(5, 4, p=2) == 6  # arbitrary padding
    assert conv_out(5, 3, p=1) == 5  # half padding
    assert conv_out(5, 3, p=2) == 7  # full padding
    assert conv_out(5, 3, 2) == 2  # no padding, strides
    assert conv_out(5, 3, 2, 1) == 3 == conv_out(6, 3, 2, 1)  # padding, strides (odd)
    assert shapes.pool_output_size(5, 3, 1) == 3  # numerical max/avg pooling
    assert transposed_out(2, 3, 2) == 5  # stretched 2×2 input, ĩ' = 3
    assert transposed_out(3, 3, 2, 1) == 5
    assert transposed_out(3, 3, 2, 1, a=1) == 6
    assert conv_out(7, 3, d=2) == 3  # dilation
