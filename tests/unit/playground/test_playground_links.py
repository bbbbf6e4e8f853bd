"""From a practice problem to the Playground: the link's parameters describe the exercise's own
layer (checked against the exercise's tensors and answers, not against links.py's reading of
its parameters), read back into the same layer, and are left out when the Playground cannot
show that layer exactly."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from quiz.exercises.base import Exercise
from quiz.exercises.registry import FAMILIES
from quiz.playground.layer import LayerConfig, config_from_query, config_to_query, output_shape
from quiz.playground.links import MAPPED_FAMILIES, playground_params

SEEDS = range(40)
DIFFICULTIES = (1, 2, 3)
UNMAPPED = sorted(set(FAMILIES) - MAPPED_FAMILIES)


def _exercises(family: str) -> list[Exercise]:
    return [FAMILIES[family].make(seed, d) for seed in SEEDS for d in DIFFICULTIES]


def _linked(family: str) -> list[tuple[Exercise, LayerConfig]]:
    """Every generated exercise of ``family`` that gets a link, with the layer it opens."""
    pairs = []
    for exercise in _exercises(family):
        query = playground_params(exercise)
        if query is None:
            continue
        config, notes = config_from_query(query)
        assert notes == [], (exercise.seed, exercise.difficulty, notes)
        assert config_to_query(config) == query  # the round trip gives the same layer
        assert config.error is None
        pairs.append((exercise, config))
    return pairs


def _spatial(exercise: Exercise) -> tuple[int, int]:
    """(H_out, W_out) from a shape answer written in the exercise's layout."""
    shape = list(exercise.expected)
    layout = exercise.params.get("layout", "HW")
    if layout == "CHW":
        return shape[1], shape[2]
    return shape[0], shape[1]


# --- what each family's link must show ----------------------------------------------------------


def _check_conv_output_size(exercise: Exercise, config: LayerConfig) -> None:
    p = exercise.params
    assert config.kind == "conv"
    assert (config.height, config.width) == (p["height"], p["width"])
    assert (config.kernel,) * 2 == tuple(p["kernel"])
    assert (config.stride,) * 2 == tuple(p["stride"])
    assert (config.padding,) * 2 == tuple(p["padding"])
    assert config.dilation == p["dilation"]
    assert (config.in_channels, config.out_channels) == (p["channels"], p["filters"])
    assert output_shape(config)[-2:] == _spatial(exercise)


def _check_pool_output_size(exercise: Exercise, config: LayerConfig) -> None:
    p = exercise.params
    assert config.kind == ("max-pool" if p["op"] == "max" else "avg-pool")
    assert not p["ceil_mode"]
    strides = p["kernel"] if p["stride"] is None else p["stride"]
    assert (config.kernel, config.kernel, config.stride, config.stride) == (
        *p["kernel"], *strides
    )  # fmt: skip
    assert (config.padding,) * 2 == tuple(p["padding"])
    assert config.in_channels == config.out_channels == p["channels"]
    assert output_shape(config)[-2:] == _spatial(exercise)


def _check_conv_transpose(exercise: Exercise, config: LayerConfig) -> None:
    p = exercise.params
    assert config.kind == "conv-transpose"
    assert tuple(p["output_padding"]) == (0, 0)
    assert (config.kernel, config.stride, config.padding) == (
        p["kernel"][0], p["stride"][0], p["padding"][0]
    )  # fmt: skip
    assert config.dilation == p["dilation"]
    assert output_shape(config)[-2:] == tuple(exercise.expected)


def _check_conv_macs(exercise: Exercise, config: LayerConfig) -> None:
    p = exercise.params
    assert config.kind == "conv" and p["groups"] == 1
    _, c_out, h_out, w_out = output_shape(config)
    k = config.kernel
    assert c_out * h_out * w_out * config.in_channels * k * k == exercise.expected


def _check_same_padding(exercise: Exercise, config: LayerConfig) -> None:
    p = exercise.params
    assert (config.kind, config.stride, config.kernel, config.dilation) == (
        "conv", 1, p["kernel"], p["dilation"]
    )  # fmt: skip
    assert config.height == config.width == p["size"]
    assert output_shape(config)[-2:] == (p["size"], p["size"])  # "same": the size is kept


def _check_conv_tensors(exercise: Exercise, config: LayerConfig) -> None:
    """conv-entry, conv-forward and the conv gradients: the shapes of X, W and dOut."""
    x = np.asarray(exercise.tensors["X"])
    assert config.kind == "conv"
    assert (config.in_channels, config.height, config.width) == x.shape
    if "W" in exercise.tensors:
        w = np.asarray(exercise.tensors["W"])
        assert (config.out_channels, config.in_channels, config.kernel, config.kernel) == w.shape
    assert (config.stride, config.padding, config.dilation) == (
        exercise.params["stride"], exercise.params["padding"], 1
    )  # fmt: skip
    _, c_out, h_out, w_out = output_shape(config)
    if "G" in exercise.tensors:  # the upstream gradient has the output's shape
        assert np.asarray(exercise.tensors["G"]).shape == (c_out, h_out, w_out)
    if exercise.family == "conv-forward":
        assert np.squeeze(np.asarray(exercise.expected)).shape == np.squeeze(
            np.zeros((c_out, h_out, w_out))
        ).shape  # fmt: skip


def _check_pool_tensors(kind: str) -> Callable[[Exercise, LayerConfig], None]:
    def check(exercise: Exercise, config: LayerConfig) -> None:
        x = np.asarray(exercise.tensors["X"])
        assert config.kind == kind
        assert (config.in_channels, config.height, config.width) == x.shape
        p = exercise.params
        assert (config.kernel, config.stride, config.padding) == (
            p["kernel"], p["stride"], p["padding"]
        )  # fmt: skip
        assert np.asarray(exercise.tensors["G"]).shape == output_shape(config)[1:]

    return check


CHECKS: dict[str, Callable[[Exercise, LayerConfig], None]] = {
    "conv-output-size": _check_conv_output_size,
    "pool-output-size": _check_pool_output_size,
    "conv-transpose-output-size": _check_conv_transpose,
    "conv-macs": _check_conv_macs,
    "same-padding": _check_same_padding,
    "conv-entry": _check_conv_tensors,
    "conv-forward": _check_conv_tensors,
    "conv-grad-weight": _check_conv_tensors,
    "conv-grad-input": _check_conv_tensors,
    "maxpool-backward": _check_pool_tensors("max-pool"),
    "avgpool-backward": _check_pool_tensors("avg-pool"),
}


def test_every_mapped_family_has_a_check() -> None:
    assert set(CHECKS) == MAPPED_FAMILIES
    assert set(FAMILIES) >= MAPPED_FAMILIES


@pytest.mark.parametrize("family", sorted(CHECKS))
def test_links_show_the_exercises_own_layer(family: str) -> None:
    pairs = _linked(family)
    assert len(pairs) >= len(SEEDS), f"most {family} exercises get a link"
    kinds = set()
    for exercise, config in pairs:
        CHECKS[family](exercise, config)
        kinds.add(config.kind)
    if family == "pool-output-size":
        assert kinds == {"max-pool", "avg-pool"}


@pytest.mark.parametrize("family", sorted(CHECKS))
def test_links_survive_a_json_round_trip_of_the_params(family: str) -> None:
    """Stored exercises come back from the database as JSON: tuples become lists."""
    for exercise in _exercises(family)[:30]:
        stored = replace(exercise, params=json.loads(json.dumps(exercise.params)))
        assert playground_params(stored) == playground_params(exercise)


@pytest.mark.parametrize("family", UNMAPPED)
def test_exercises_about_several_layers_or_none_get_no_link(family: str) -> None:
    assert all(playground_params(exercise) is None for exercise in _exercises(family)[:30])


@pytest.mark.parametrize(
    ("family", "change"),
    [
        ("conv-output-size", {"kernel": [3, 5]}),  # not square
        ("conv-output-size", {"stride": [1, 2]}),
        ("conv-output-size", {"height": 500}),  # beyond the knobs' range
        ("conv-output-size", {"padding": "same"}),  # not a number at all
        ("pool-output-size", {"ceil_mode": True}),
        ("conv-transpose-output-size", {"output_padding": [1, 1]}),
        ("conv-macs", {"groups": 2}),
        ("avgpool-backward", {"count_include_pad": False}),
        ("same-padding", {"kernel": 4, "dilation": 1}),  # 3 zeros: not symmetric
        ("conv-forward", {"kernel": 9, "height": 3, "width": 3, "padding": 0}),  # invalid layer
        ("conv-entry", {}),  # params missing altogether: see below
    ],
)
def test_layers_the_playground_cannot_show_exactly_get_no_link(
    family: str, change: dict[str, Any]
) -> None:
    exercise = next(e for e in _exercises(family) if playground_params(e) is not None)
    params = {**exercise.params, **change} if change else {}
    assert playground_params(replace(exercise, params=params)) is None


def test_an_unknown_family_gets_no_link() -> None:
    exercise = FAMILIES["conv-forward"].make(1, 1)
    assert playground_params(replace(exercise, family="conv-3d")) is None
