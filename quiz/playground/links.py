"""From a practice problem to the Playground: the query parameters that show its layer.

Each family that is about one layer keeps that layer's numbers in ``Exercise.params``; this
module reads them per family. The Playground's knobs are square (one kernel size, stride,
padding and dilation for both axes), have ranges (:data:`~quiz.playground.layer.KNOBS`), use
``output_padding = 0``, ``ceil_mode = False``, ``count_include_pad = True`` and no groups, so an
exercise outside that (or with no single layer: stacks, receptive fields, parameter counts)
gets ``None``. The link shows the same layer with the Playground's own example numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from quiz.exercises.base import Exercise
from quiz.playground.layer import LayerConfig, config_to_query

Params = Mapping[str, Any]


def playground_params(exercise: Exercise) -> dict[str, str] | None:
    """Query parameters (``kind, h, w, cin, cout, k, s, p, d``) for ``exercise``'s layer, or
    ``None`` when the Playground cannot show it as one layer with these exact settings."""
    read = _READERS.get(exercise.family)
    if read is None:
        return None
    try:
        settings = read(exercise.params)
        if settings is None:
            return None
        config = LayerConfig(**settings)
    except (KeyError, TypeError, ValueError):
        return None
    if config.error is not None:
        return None
    return config_to_query(config)


def _square(value: Any) -> int | None:
    """An int, or the common value of an (h, w) pair; ``None`` when the two differ."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or value[0] != value[1]:
            return None
        return int(value[0])
    return int(value)


def _all_square(**values: Any) -> dict[str, int] | None:
    squared = {name: _square(value) for name, value in values.items()}
    if any(value is None for value in squared.values()):
        return None
    return squared  # type: ignore[return-value]


def _layer(kind: str, p: Params, knobs: dict[str, int], **channels: Any) -> dict[str, Any]:
    """The Playground knobs of a ``kind`` layer on the exercise's input: its size, ``channels``
    (``in_channels``/``out_channels`` where the layer has them), dilation and square ``knobs``."""
    return {
        "kind": kind,
        "height": p["height"],
        "width": p["width"],
        **channels,
        "dilation": p.get("dilation", 1),
        **knobs,
    }


def _conv_output_size(p: Params) -> dict[str, Any] | None:
    knobs = _all_square(kernel=p["kernel"], stride=p["stride"], padding=p["padding"])
    if knobs is None:
        return None
    return _layer(
        "conv", p, knobs, in_channels=p.get("channels", 1), out_channels=p.get("filters", 1)
    )


def _pool_output_size(p: Params) -> dict[str, Any] | None:
    if p.get("ceil_mode", False):
        return None
    stride = p["kernel"] if p.get("stride") is None else p["stride"]
    knobs = _all_square(kernel=p["kernel"], stride=stride, padding=p["padding"])
    if knobs is None:
        return None
    kind = "max-pool" if p.get("op", "max") == "max" else "avg-pool"
    return _layer(kind, p, knobs, in_channels=p.get("channels", 1))


def _conv_transpose_output_size(p: Params) -> dict[str, Any] | None:
    if any(int(v) != 0 for v in p.get("output_padding", (0, 0))):
        return None
    knobs = _all_square(kernel=p["kernel"], stride=p["stride"], padding=p["padding"])
    if knobs is None:
        return None
    return _layer("conv-transpose", p, knobs)


def _conv_macs(p: Params) -> dict[str, Any] | None:
    if int(p.get("groups", 1)) != 1:
        return None
    return {
        "kind": "conv",
        "height": p["height"],
        "width": p["width"],
        "in_channels": p["in_channels"],
        "out_channels": p["out_channels"],
        "kernel": p["kernel"],
        "stride": p["stride"],
        "padding": p["padding"],
    }


def _conv_layer(p: Params) -> dict[str, Any]:
    """conv-entry, conv-forward and the two conv gradients: the forward layer they are about."""
    return {
        "kind": "conv",
        "height": p["height"],
        "width": p["width"],
        "in_channels": p.get("channels", 1),
        "out_channels": p.get("filters", 1),
        "kernel": p["kernel"],
        "stride": p["stride"],
        "padding": p["padding"],
    }


def _pool_layer(kind: str) -> Callable[[Params], dict[str, Any] | None]:
    def read(p: Params) -> dict[str, Any] | None:
        if not p.get("count_include_pad", True):
            return None
        return {
            "kind": kind,
            "height": p["height"],
            "width": p["width"],
            "kernel": p["kernel"],
            "stride": p["stride"],
            "padding": p["padding"],
        }

    return read


def _same_padding(p: Params) -> dict[str, Any] | None:
    """A square input of the exercise's size with the 'same' padding, when it is symmetric."""
    total = int(p["dilation"]) * (int(p["kernel"]) - 1)
    if total % 2:
        return None
    return {
        "kind": "conv",
        "height": p["size"],
        "width": p["size"],
        "kernel": p["kernel"],
        "stride": 1,
        "padding": total // 2,
        "dilation": p["dilation"],
    }


_READERS: dict[str, Callable[[Params], dict[str, Any] | None]] = {
    "conv-output-size": _conv_output_size,
    "pool-output-size": _pool_output_size,
    "conv-transpose-output-size": _conv_transpose_output_size,
    "conv-macs": _conv_macs,
    "same-padding": _same_padding,
    "conv-entry": _conv_layer,
    "conv-forward": _conv_layer,
    "conv-grad-weight": _conv_layer,
    "conv-grad-input": _conv_layer,
    "maxpool-backward": _pool_layer("max-pool"),
    "avgpool-backward": _pool_layer("avg-pool"),
}
MAPPED_FAMILIES: frozenset[str] = frozenset(_READERS)
