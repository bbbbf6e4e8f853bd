"""The animation's frames: each window reads exactly the input cells its output uses, the
weighted window gives the engine's output, and big outputs are sampled down to the cap."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given

from quiz.playground.frames import (
    MAX_FRAMES,
    Role,
    animation,
    sample_positions,
    window_inputs,
)
from quiz.playground.layer import LayerConfig
from tests.unit.playground.strategies import PROPERTY, valid_layer_configs


def _used_inputs(config: LayerConfig) -> dict[tuple[int, int], set[tuple[int, int]]]:
    """By definition: for each output cell, the input cells it depends on."""
    c, taps = config, range(config.kernel)
    used: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)
    for r in range(c.height):
        for q in range(c.width):
            for i in taps:
                for j in taps:
                    if c.kind == "conv-transpose":
                        # O[s·r - p + d·i][s·q - p + d·j] += I[r][q] · F[i][j]
                        y = c.stride * r - c.padding + c.dilation * i
                        x = c.stride * q - c.padding + c.dilation * j
                        used[(y, x)].add((r, q))
                        continue
                    # O[y][x] reads I[s·y - p + d·i][s·x - p + d·j]
                    y, rest_y = divmod(r + c.padding - c.dilation * i, c.stride)
                    x, rest_x = divmod(q + c.padding - c.dilation * j, c.stride)
                    if rest_y == 0 and rest_x == 0:
                        used[(y, x)].add((r, q))
    return used


@PROPERTY
@given(valid_layer_configs(channels=1))
def test_each_window_reads_exactly_the_input_cells_its_output_uses(config: LayerConfig) -> None:
    anim = animation(config, limit=10**6)
    assert len(anim.positions) == anim.total == anim.output.size  # no sampling
    used = _used_inputs(config)
    for frame, (y, x) in enumerate(anim.positions):
        assert window_inputs(anim, frame) == used.get((int(y), int(x)), set())


@PROPERTY
@given(valid_layer_configs(channels=1))
def test_the_window_and_the_kernel_give_the_engines_output(config: LayerConfig) -> None:
    anim = animation(config, limit=10**6)
    k = config.kernel
    for frame, (y, x) in enumerate(anim.positions):
        cells = anim.windows[frame]
        values = anim.grid[cells[:, 0], cells[:, 1]]
        if config.kind == "max-pool":
            got = values.max()
        elif config.kind == "avg-pool":
            got = values.sum() / (k * k)  # count_include_pad=True, as PyTorch's default
        else:
            assert anim.kernel is not None
            got = float(values @ anim.kernel.ravel())
        assert got == pytest.approx(anim.output[y, x], abs=1e-9)


def test_frames_go_row_by_row_over_every_output() -> None:
    anim = animation(LayerConfig("conv", 5, 6, kernel=3, stride=2, padding=1))
    assert anim.output.shape == (3, 3)
    assert [tuple(p) for p in anim.positions] == [(r, c) for r in range(3) for c in range(3)]
    assert anim.windows.shape == (9, 9, 2)
    np.testing.assert_array_equal(anim.windows[4][[0, -1]], [[2, 2], [4, 4]])  # stride 2
    assert anim.caption() == "All 9 window positions, row by row."


def test_dilation_spreads_the_taps() -> None:
    anim = animation(LayerConfig("conv", 7, 7, kernel=3, stride=1, padding=0, dilation=2))
    assert sorted({int(r) for r, _ in anim.windows[0]}) == [0, 2, 4]


def test_padding_cells_are_marked_and_max_pool_pads_with_minus_infinity() -> None:
    anim = animation(LayerConfig("max-pool", 4, 5, kernel=3, stride=2, padding=1))
    assert anim.grid.shape == (6, 7)
    assert (anim.roles == Role.PADDING).sum() == 6 * 7 - 4 * 5
    assert np.isneginf(anim.grid[anim.roles == Role.PADDING]).all()
    assert (anim.source[anim.roles == Role.PADDING] == -1).all()
    np.testing.assert_array_equal(anim.source[1, 1], [0, 0])
    conv = animation(LayerConfig("conv", 4, 5, kernel=3, stride=2, padding=1))
    assert (conv.grid[conv.roles == Role.PADDING] == 0).all()


def test_transposed_convolution_is_drawn_on_the_stride_dilated_input() -> None:
    config = LayerConfig("conv-transpose", 3, 4, kernel=3, stride=2, padding=1)
    anim = animation(config)
    assert anim.view == "stride-dilated"
    # 2 zeros... : (3 - 1)·2 + 1 = 5 rows, (4 - 1)·2 + 1 = 7 columns, then Q = 2 - 1 = 1 around
    assert anim.grid.shape == (7, 9)
    assert (anim.roles == Role.INPUT).sum() == 12
    assert (anim.roles == Role.INSERTED).sum() == 5 * 7 - 12
    assert anim.output.shape == (5, 7)
    assert anim.kernel is not None
    assert "rotated by 180°" in anim.caption()
    cropped = animation(LayerConfig("conv-transpose", 4, 4, kernel=2, stride=3, padding=3))
    assert cropped.grid.shape == (10 - 4, 10 - 4)  # Q = 1 - 3 = -2: two cells cut off each side
    assert "2 cell(s) cropped off each side" in cropped.caption()


def test_big_outputs_are_sampled_evenly_to_the_cap() -> None:
    anim = animation(LayerConfig("conv", 64, 64, kernel=3, stride=1, padding=1))
    assert anim.total == 64 * 64
    assert len(anim.positions) == MAX_FRAMES == 400
    assert anim.sampled
    flat = anim.positions[:, 0] * 64 + anim.positions[:, 1]
    assert flat[0] == 0 and flat[-1] == 64 * 64 - 1
    assert (np.diff(flat) > 0).all()
    gaps = np.diff(flat)
    assert gaps.max() - gaps.min() <= 1  # evenly spread
    assert f"Showing 400 of {64 * 64} window positions" in anim.caption()


def test_sample_positions_keeps_small_outputs_whole() -> None:
    np.testing.assert_array_equal(sample_positions(7), np.arange(7))
    assert len(sample_positions(401)) == 400
    assert len(sample_positions(10_000, limit=25)) == 25


def test_many_channels_are_explained() -> None:
    conv = animation(LayerConfig("conv", 5, 5, in_channels=3, out_channels=2))
    assert "the same cells in all 3 input channels" in conv.caption()
    pool = animation(LayerConfig("max-pool", 6, 6, in_channels=3, kernel=2, padding=0), channel=2)
    assert pool.channel == 2 and pool.output_channel == 2
    assert "Input channel 2 is drawn" in pool.caption()  # from 0, as everywhere
