"""Every worked solution has a picture, and a picture's numbers are the exercise's own.

The counting families draw a :class:`~quiz.exercises.pictures.BarsPicture` whose asked bars give
the answer (one bar, their sum, or a ratio of two); batch-norm draws a
:class:`~quiz.exercises.pictures.ValuesPicture` whose output maps are the engine's. Pictures are
built after the generator has drawn its numbers (the variant fingerprints pin that they change
nothing a seed gives).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from engine import batch_norm2d, batch_norm2d_backward, conv2d_parameter_count
from quiz.exercises.base import Exercise
from quiz.exercises.pictures import (
    Bar,
    BarsPicture,
    Panel,
    ValuesPicture,
    count_text,
    log_scale,
    ratio_text,
    size_text,
)
from quiz.exercises.registry import FAMILIES, get_family

SEEDS = range(60)
DIFFICULTIES = (1, 2, 3)

KNOWN_WITHOUT_PICTURE = {
    "conv-output-size": (1, 2, 3),
    "pool-output-size": (1, 2, 3),
    "stack-output-shape": (1, 2, 3),
    "same-padding": (1, 2, 3),
    "parameter-count": (1, 2, 3),
    "receptive-field": (1, 2, 3),
    "conv-transpose-output-size": (1, 2, 3),
    "conv-macs": (1, 2, 3),
    "conv-grad-bias": (2, 3),
}
"""Families (and difficulties) whose worked solutions still have no picture: the shape families
link to the Playground instead, conv-grad-bias draws one only at difficulty 1. A list that may
only shrink: a new family is not on it, so it must draw a picture at every difficulty."""


def _exercises(family_id: str, difficulty: int) -> list[Exercise]:
    return [get_family(family_id).make(seed, difficulty) for seed in SEEDS]


def _bars(exercise: Exercise) -> BarsPicture:
    picture = exercise.picture
    assert isinstance(picture, BarsPicture), (exercise.family, exercise.seed)
    return picture


def _asked(picture: BarsPicture) -> list[float]:
    """The values of every asked part, bar by bar."""
    return [value for bar in picture.bars for name, value in bar.parts if name in bar.asked]


# --- every family has one ------------------------------------------------------------------------


@pytest.mark.parametrize("family_id", sorted(FAMILIES))
def test_every_worked_solution_has_a_picture_at_every_difficulty(family_id: str) -> None:
    exempt = KNOWN_WITHOUT_PICTURE.get(family_id, ())
    for difficulty in DIFFICULTIES:
        missing = [
            seed for seed in range(20) if FAMILIES[family_id].make(seed, difficulty).picture is None
        ]
        if difficulty in exempt:
            assert missing, (
                f"{family_id} d{difficulty} now always draws a picture: take it off "
                "KNOWN_WITHOUT_PICTURE"
            )
        else:
            assert not missing, f"{family_id} d{difficulty}: no picture for seeds {missing}"


def test_the_known_gaps_are_real_families() -> None:
    assert set(KNOWN_WITHOUT_PICTURE) <= set(FAMILIES)


# --- conv-vs-dense -------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_conv_vs_dense_bars_are_the_layers_parameter_counts(difficulty: int) -> None:
    for exercise in _exercises("conv-vs-dense", difficulty):
        picture, params = _bars(exercise), exercise.params
        c_in, c_out, k = params["in_channels"], params["out_channels"], params["kernel"]
        conv = picture.bar("(a) conv, shared filters").value("parameters")
        assert conv == conv2d_parameter_count(c_in, c_out, k, bias=params["bias"])
        dense = picture.bar("(b) fully connected").value("parameters")
        assert dense is not None and conv is not None
        assert picture.series == ("parameters",) and not picture.stacked
        has_local = any(bar.label == "(c) locally connected" for bar in picture.bars)
        assert has_local == (difficulty == 3 or params["ask"] == "local")
        asked = _asked(picture)
        if params["ask"] == "ratio":
            assert len(asked) == 2 and Fraction(int(dense), int(conv)) == Fraction(
                exercise.expected
            ).limit_denominator(10**6)
        else:
            assert asked == [exercise.expected]
        assert picture.log_scale == (dense >= 100 * conv)  # conv is always the smallest


# --- separable-conv ------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_separable_bars_count_what_the_question_asks(difficulty: int) -> None:
    for exercise in _exercises("separable-conv", difficulty):
        picture, ask = _bars(exercise), exercise.params["ask"]
        assert picture.stacked and not picture.log_scale
        assert picture.axis == ("MACs" if ask in ("separable-macs", "mac-ratio") else "parameters")
        standard, separable = picture.bars
        assert len(standard.parts) == 1 and len(separable.parts) == 2  # depthwise + pointwise
        if ask in ("parameter-ratio", "mac-ratio"):
            assert standard.asked and separable.asked
            assert math.isclose(standard.total / separable.total, exercise.expected, rel_tol=1e-12)
        else:
            (asked,) = picture.asked
            assert asked.total == exercise.expected
            assert set(asked.asked) == {name for name, _ in asked.parts}


# --- network-memory ------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_network_memory_bars_add_up_to_the_answer(difficulty: int) -> None:
    for exercise in _exercises("network-memory", difficulty):
        picture, params = _bars(exercise), exercise.params
        question = params["question"]
        names = [layer["name"] for layer in params["layers"]]
        shown = [bar.label for bar in picture.bars if bar.label != "input"]
        assert shown == names, "every layer, in order"
        asked = _asked(picture)
        if question == "memory":
            total = sum(bar.total for bar in picture.bars)
            assert picture.unit == "bytes" and picture.stacked
            if params["unit"] == "KiB":
                assert abs(total / 1024 - exercise.expected) <= 0.005
            else:
                assert total == exercise.expected
            assert any(bar.label == "input" for bar in picture.bars) == params["input_counted"]
        elif question in ("activations_total", "params_total"):
            assert sum(asked) == exercise.expected
        elif question in ("most_activations", "most_params"):
            assert asked and all(value == exercise.expected for value in asked)
            series = "activations" if question == "most_activations" else "parameters"
            assert max(bar.value(series) or 0 for bar in picture.bars) == exercise.expected
        else:  # one named layer
            (bar,) = picture.asked
            assert bar.label == params["layer"] and asked == [exercise.expected]
        batch = params["batch"] if question == "memory" else 1
        activations = f"activations × batch {batch}" if question == "memory" else "activations"
        for bar in picture.bars:  # a layer's activations are the values of its output
            if bar.value(activations) is not None:
                per_value = 4 if question == "memory" else 1  # float32 bytes
                assert bar.value(activations) == batch * per_value * math.prod(bar.shape)


# --- global-pooling ------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_global_pooling_bars_hold_the_answer(difficulty: int) -> None:
    for exercise in _exercises("global-pooling", difficulty):
        picture, ask = _bars(exercise), exercise.params["ask"]
        asked_bars = picture.asked
        if ask == "kernel":
            (bar,) = asked_bars
            assert list(bar.shape[1:]) == list(exercise.expected)
        elif isinstance(exercise.expected, list):  # a shape
            (bar,) = asked_bars
            assert list(bar.shape) == list(exercise.expected)
            assert _asked(picture) == [math.prod(exercise.expected)]
        elif ask == "ratio":
            a, b = _asked(picture)
            assert math.isclose(b / a, exercise.expected, rel_tol=1e-12)
        elif ask == "downsample_params":
            conv, pool = _asked(picture)
            assert conv - pool == exercise.expected and pool == 0
        else:
            assert _asked(picture) == [exercise.expected]
        for bar in picture.bars:  # a bar of values counts its tensor's values
            if bar.shape and bar.value("values") is not None:
                assert bar.value("values") == math.prod(bar.shape), bar


# --- im2col --------------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", (1, 3))
def test_im2col_bars_are_the_products_matrices(difficulty: int) -> None:
    for exercise in _exercises("im2col", difficulty):
        picture, params = _bars(exercise), exercise.params
        n, c, h, w = params["batch"], params["channels"], params["height"], params["width"]
        k, f = params["kernel"], params["filters"]
        rows = c * k * k
        x, cols, weights, output = picture.bars  # input, unfolded, W_mat, product
        ratio = params["ask"] == "ratio"
        assert picture.asked == ((x, cols) if ratio else (cols,))
        per_number = 4 if params["ask"] == "bytes" else 1
        assert picture.unit == ("bytes" if per_number == 4 else "count")
        assert not picture.stacked and picture.log_scale == log_scale(
            bar.total for bar in picture.bars
        )
        positions = cols.shape[-1]
        assert weights.shape == (f, rows) and cols.shape[-2] == rows
        for bar in picture.bars:  # each bar counts its matrix's numbers (or their bytes)
            assert bar.total == per_number * math.prod(bar.shape), bar
        if difficulty == 1:  # one image: the asked bar's shape is the answer
            assert list(cols.shape) == exercise.expected and x.shape == (c, h, w)
            assert output.shape == (f, positions)
        else:  # the batch
            assert x.shape == (n, c, h, w) and cols.shape[0] == n
            assert math.prod(output.shape) == n * f * positions
            if ratio:
                assert Fraction(int(cols.total), int(x.total)) == Fraction(exercise.expected)
            else:
                assert _asked(picture) == [exercise.expected]


# --- batch-norm ----------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_batch_norm_output_maps_are_the_engines(difficulty: int) -> None:
    for exercise in _exercises("batch-norm", difficulty):
        picture, params = exercise.picture, exercise.params
        assert isinstance(picture, ValuesPicture)
        x = np.asarray(exercise.tensors["X"], dtype=float)
        n, c = params["sample"], params["channel"]
        gamma, beta = np.asarray(params["gamma"], float), np.asarray(params["beta"], float)
        if params["backward"]:
            g = np.asarray(exercise.tensors["G"], dtype=float)
            after = batch_norm2d_backward(g, x, gamma, training=True, eps=0.0)[0]
            outputs = picture.rows[-1]
            for sample, panel in enumerate(picture.rows[1]):
                assert np.array_equal(panel.values, g[sample, c])
        else:
            after = batch_norm2d(x, None, None, gamma, beta, training=True, eps=0.0)
            outputs = picture.rows[-1]
            for sample, panel in enumerate(picture.rows[0]):
                assert np.array_equal(panel.values, x[sample, c])
        assert len(outputs) == x.shape[0]
        for sample, panel in enumerate(outputs):
            np.testing.assert_allclose(panel.values, after[sample, c], rtol=1e-12, atol=1e-12)
            assert panel.asked == (sample == n)
        (asked,) = [panel for row in picture.rows for panel in row if panel.asked]
        np.testing.assert_allclose(asked.values, exercise.expected, rtol=1e-12, atol=1e-12)
        facts = dict(picture.facts)
        channel = x[:, c]
        assert facts["μ"] == channel.mean() and facts["σ"] == math.sqrt(channel.var())
        assert facts["γ"] == gamma[c]


# --- the picture records -------------------------------------------------------------------------


def test_bars_check_their_labels_and_scale() -> None:
    bar = Bar("conv", (("parameters", 10),), asked=("parameters",))
    with pytest.raises(ValueError, match="unique"):
        BarsPicture("t", (bar, bar), "parameters")
    with pytest.raises(ValueError, match="linear"):
        BarsPicture("t", (bar,), "parameters", stacked=True, log_scale=True)
    with pytest.raises(ValueError, match="log axis"):
        BarsPicture("t", (Bar("pool", (("parameters", 0),)),), "parameters", log_scale=True)
    with pytest.raises(ValueError, match="does not have"):
        Bar("conv", (("parameters", 1),), asked=("MACs",))
    with pytest.raises(ValueError, match="unique"):
        ValuesPicture(((Panel("X", ((1.0,),)), Panel("X", ((2.0,),))),))


def test_plain_text_numbers() -> None:
    assert count_text(1_179_648) == "1,179,648" and count_text(9221.333333) == "9,221.333"
    assert size_text(512) == "512 bytes" and size_text(3 * 1024 + 512) == "3.5 KiB"
    assert size_text(121 * 1024**2) == "121.0 MiB"
    assert ratio_text(Fraction(13)) == "13" and ratio_text(Fraction(37, 5)) == "7.4"
    assert ratio_text(Fraction(27664, 3)) == "≈ 9,221.333"
    assert log_scale([30, 7020]) and not log_scale([30, 2999]) and not log_scale([0, 10**6])
