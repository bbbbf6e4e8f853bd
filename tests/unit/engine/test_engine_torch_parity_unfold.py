"""unfold / fold match PyTorch's ``F.unfold`` / ``F.fold``: same arguments, layout and numbers.

Runs only where torch is installed (the optional ``bench`` extra); the values are copies and
sums of copies, so float64 must agree to rounding and float32 stays float32.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from tests.torch_parity import parity_settings, same

torch = pytest.importorskip("torch")
F = torch.nn.functional

SETTINGS = parity_settings(60)

PAIRS = st.tuples(st.integers(1, 3), st.integers(1, 3))


@SETTINGS
@given(
    st.integers(1, 3),
    st.tuples(st.integers(1, 7), st.integers(1, 7)),
    PAIRS,
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
    PAIRS,
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_unfold_and_fold_match_pytorch(
    channels, size, kernel, dilation, padding, stride, unbatched, seed
) -> None:
    rng = np.random.default_rng(seed)
    shape = (channels, *size) if unbatched else (2, channels, *size)
    x = rng.standard_normal(shape)
    kw_ = {"kernel_size": kernel, "dilation": dilation, "padding": padding, "stride": stride}
    try:
        theirs = F.unfold(torch.tensor(x), **kw_)
    except RuntimeError:  # the kernel does not fit: the engine refuses too
        with pytest.raises(ValueError):
            engine.unfold(x, **kw_)
        return
    ours = engine.unfold(x, **kw_)
    assert same(ours, theirs)
    assert ours.shape == engine.unfold_output_shape(x.shape, **kw_)
    y = rng.standard_normal(ours.shape)
    assert same(engine.fold(y, size, **kw_), F.fold(torch.tensor(y), size, **kw_))


@SETTINGS
@given(
    st.integers(1, 3),
    st.tuples(st.integers(3, 7), st.integers(3, 7)),
    PAIRS,
    st.tuples(st.integers(0, 1), st.integers(0, 1)),
    PAIRS,
    st.integers(0, 2**32 - 1),
)
def test_fold_is_the_gradient_of_unfold_as_in_pytorch(
    channels, size, kernel, padding, stride, seed
) -> None:
    """autograd's backward of ``F.unfold`` is ``F.fold``: the engine's fold gives the same."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, channels, *size))
    kw_ = {"kernel_size": kernel, "padding": padding, "stride": stride}
    tensor = torch.tensor(x, requires_grad=True)
    out = F.unfold(tensor, **kw_)
    g = rng.standard_normal(tuple(out.shape))
    (grad,) = torch.autograd.grad(out, [tensor], torch.tensor(g))
    assert same(engine.fold(g, size, **kw_), grad)


def test_float32_matches_pytorch_float32() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 12, 12)).astype(np.float32)
    ours = engine.unfold(x, 3, padding=1, stride=2)
    assert same(ours, F.unfold(torch.tensor(x), 3, padding=1, stride=2))
    assert same(
        engine.fold(ours, 12, 3, padding=1, stride=2),
        F.fold(torch.tensor(ours), 12, 3, padding=1, stride=2),
    )


def test_conv2d_through_unfold_matches_pytorch_conv2d() -> None:
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 2))
    cols = engine.unfold(x, (3, 2), dilation=(1, 2), padding=(1, 0), stride=(2, 1))
    theirs = F.conv2d(
        torch.tensor(x), torch.tensor(w), dilation=(1, 2), padding=(1, 0), stride=(2, 1)
    )
    assert same((w.reshape(4, -1) @ cols).reshape(tuple(theirs.shape)), theirs, rtol=1e-10)
