"""Difficulty 3 of the gradient families includes a stride that leaves the input's last row and
column out of every window: their input gradient is 0, and they add nothing to dL/dW."""

from __future__ import annotations

import numpy as np

from engine import conv2d_backward
from quiz.exercises.registry import FAMILIES


def _leftover(params: dict) -> int:  # type: ignore[type-arg]
    return (params["height"] + 2 * params["padding"] - params["kernel"]) % params["stride"]


def test_grad_input_asks_for_rows_no_window_reaches() -> None:
    family, seen = FAMILIES["conv-grad-input"], 0
    for seed in range(200):
        exercise = family.make(seed, 3)
        if exercise.params["stride"] > 1 and _leftover(exercise.params):
            grad = np.asarray(exercise.expected)
            assert not grad[-1].any() and not grad[:, -1].any(), seed
            assert "out of every window" in " ".join(exercise.solution)
            seen += 1
    assert seen >= 5


def test_grad_weight_leaves_those_rows_out() -> None:
    family, seen = FAMILIES["conv-grad-weight"], 0
    for seed in range(200):
        exercise = family.make(seed, 3)
        if exercise.params["stride"] > 1 and _leftover(exercise.params):
            x = np.asarray(exercise.tensors["X"], dtype=float)[None]
            g = np.asarray(exercise.tensors["G"], dtype=float)[None]
            k = exercise.params["kernel"]
            changed = x.copy()
            changed[..., -1, :] += 7  # the row no window reaches: dL/dW must not move
            _, before, _ = conv2d_backward(g, x, np.zeros((1, x.shape[1], k, k)), stride=2)
            _, after, _ = conv2d_backward(g, changed, np.zeros((1, x.shape[1], k, k)), stride=2)
            assert np.array_equal(before, after)
            assert np.allclose(before[0, 0], exercise.expected)
            seen += 1
    assert seen >= 5
