"""One layer whose knobs the student turns: its configuration, output size and engine output.

Shapes (NCHW, PyTorch's layouts). The example input is ``(N, C_in, H, W) = (1, C_in, H, W)``;
a convolution's weight is ``(C_out, C_in, K, K)``, a transposed convolution's
``(C_in, C_out, K, K)``. Per axis (the height; the width likewise), as ``engine.shapes`` computes:

    conv, max-pool    H_out = floor((H + 2P - D(K - 1) - 1) / S) + 1
    avg-pool          H_out = floor((H + 2P - K) / S) + 1           (no dilation in avg_pool2d)
    conv-transpose    H_out = (H - 1)S - 2P + D(K - 1) + output_padding + 1,  output_padding = 0

Pooling follows PyTorch: it keeps the channels (``C_out = C_in``), uses floor mode
(``ceil_mode=False``), counts padding in averages (``count_include_pad=True``) and needs
``P <= K // 2``. Kernel, stride, padding and dilation are the same along both axes.

A configuration that cannot work is still a :class:`LayerConfig` (the page shows it with the
reason); :func:`output_shape` raises the engine's ``ValueError`` for it, whose message is a
plain sentence with the numbers, and :attr:`LayerConfig.error` returns that sentence.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

import engine
from engine import shapes
from quiz.exercises import latex
from quiz.playground.query import last, quote

Kind = Literal["conv", "max-pool", "avg-pool", "conv-transpose"]
KINDS: tuple[Kind, ...] = ("conv", "max-pool", "avg-pool", "conv-transpose")
KIND_TITLES: dict[str, str] = {
    "conv": "Convolution",
    "max-pool": "Max pooling",
    "avg-pool": "Average pooling",
    "conv-transpose": "Transposed convolution",
}
POOL_KINDS: frozenset[str] = frozenset({"max-pool", "avg-pool"})

AVG_POOL_DILATION = (
    "average pooling has no dilation (PyTorch's avg_pool2d takes none): set dilation to 1"
)
MAX_OUTPUT_SIDE = 256
"""The Playground draws outputs up to this many rows and columns (the engine has no limit)."""
EXAMPLE_SEED = 2029
"""Seed of the example input and weights: the same knobs always show the same numbers."""


@dataclass(frozen=True, slots=True)
class Knob:
    """One integer knob: the :class:`LayerConfig` field, its query parameter and its range."""

    field: str
    query: str
    name: str
    minimum: int
    maximum: int
    default: int


KNOBS: tuple[Knob, ...] = (
    Knob("height", "h", "input height", 1, 128, 7),
    Knob("width", "w", "input width", 1, 128, 7),
    Knob("in_channels", "cin", "input channels", 1, 128, 1),
    Knob("out_channels", "cout", "output channels", 1, 128, 1),
    Knob("kernel", "k", "kernel size", 1, 11, 3),
    Knob("stride", "s", "stride", 1, 8, 2),
    Knob("padding", "p", "padding", 0, 10, 1),
    Knob("dilation", "d", "dilation", 1, 6, 1),
)
KNOB: dict[str, Knob] = {knob.field: knob for knob in KNOBS}
KIND_QUERY = "kind"


@dataclass(frozen=True, slots=True)
class LayerConfig:
    """A conv, pooling or transposed-conv layer on a ``C_in × H × W`` input.

    Every knob must be a whole number within its :data:`KNOBS` range (else ``ValueError``).
    For pooling, ``out_channels`` is set to ``in_channels``: pooling keeps the channels.
    """

    kind: Kind = "conv"
    height: int = 7
    width: int = 7
    in_channels: int = 1
    out_channels: int = 1
    kernel: int = 3
    stride: int = 2
    padding: int = 1
    dilation: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"layer type must be one of {', '.join(KINDS)}; got {self.kind!r}")
        for knob in KNOBS:
            value = shapes.check_int(getattr(self, knob.field), knob.name, knob.minimum)
            if value > knob.maximum:
                raise ValueError(
                    f"{knob.name} must be at most {knob.maximum} in the playground; got {value}"
                )
            object.__setattr__(self, knob.field, value)
        if self.kind in POOL_KINDS:
            object.__setattr__(self, "out_channels", self.in_channels)

    @property
    def is_pool(self) -> bool:
        return self.kind in POOL_KINDS

    @property
    def has_weight(self) -> bool:
        return not self.is_pool

    @property
    def error(self) -> str | None:
        """Why this layer cannot run (the engine's sentence), or ``None`` when it can."""
        try:
            height, width = output_shape(self)[-2:]
        except ValueError as error:
            return str(error)
        if max(height, width) > MAX_OUTPUT_SIDE:
            return (
                f"the output would be {height}×{width}; the playground draws outputs up to "
                f"{MAX_OUTPUT_SIDE}×{MAX_OUTPUT_SIDE}: use a smaller input, stride or kernel"
            )
        return None


# --- output size ------------------------------------------------------------------------------


def output_shape(config: LayerConfig) -> tuple[int, int, int, int]:
    """``(N, C_out, H_out, W_out)`` of the layer, from ``engine.shapes`` (N = 1).

    Raises the engine's ``ValueError`` when the configuration cannot work (a kernel larger
    than the padded input, pooling padding above ``K // 2``, ...), and
    :data:`AVG_POOL_DILATION` for a dilated average pooling.
    """
    c = config
    x_shape = (1, c.in_channels, c.height, c.width)
    if c.kind == "conv":
        shape = shapes.conv2d_output_shape(
            x_shape, (c.out_channels, c.in_channels, c.kernel, c.kernel), c.stride, c.padding,
            c.dilation,
        )  # fmt: skip
    elif c.kind == "max-pool":
        shape = shapes.max_pool2d_output_shape(x_shape, c.kernel, c.stride, c.padding, c.dilation)
    elif c.kind == "avg-pool":
        if c.dilation != 1:
            raise ValueError(AVG_POOL_DILATION)
        shape = shapes.avg_pool2d_output_shape(x_shape, c.kernel, c.stride, c.padding)
    else:
        shape = shapes.conv_transpose2d_output_shape(
            x_shape, (c.in_channels, c.out_channels, c.kernel, c.kernel), c.stride, c.padding,
            0, 1, c.dilation,
        )  # fmt: skip
    n, channels, height, width = shape
    return (n, channels, height, width)


@dataclass(frozen=True, slots=True)
class SizeFormula:
    """The output-size formula as KaTeX: in letters, then with this layer's numbers.

    ``height`` and ``width`` end in ``= value``: the arithmetic of the formula, which for an
    invalid layer can come out below 1 (the page shows the engine's reason beside it).
    ``shape`` is the full output shape ``N × C × H × W``, or ``None`` for an invalid layer.
    """

    general: str
    height: str
    width: str
    shape: str | None


def output_size_formula(config: LayerConfig) -> SizeFormula:
    """The formula for ``config.kind`` with H, W, K, S, P, D filled in (see the module doc)."""
    lines = []
    for axis, size in (("H", config.height), ("W", config.width)):
        line = _formula(config, axis, _numbers(config, size))
        if config.kind != "conv-transpose":
            line += f" = {_floor_of(config, size)} + 1"
        lines.append(f"{line} = {_axis_size(config, size)}")
    shape = None
    if config.error is None:
        shape = (
            "N \\times C_{\\text{out}} \\times H_{\\text{out}} \\times W_{\\text{out}} = "
            + latex.shape(output_shape(config))
        )
    general = _formula(config, "H", ("H", "K", "S", "P", "D"))
    return SizeFormula(general, lines[0], lines[1], shape)


def _numbers(config: LayerConfig, size: int) -> tuple[str, str, str, str, str]:
    return (
        str(size),
        str(config.kernel),
        str(config.stride),
        str(config.padding),
        str(config.dilation),
    )


OUTPUT_PADDING = "\\text{output\\_padding}"


def _formula(config: LayerConfig, axis: str, values: tuple[str, str, str, str, str]) -> str:
    """``H_out = ...`` with the five symbols (or numbers) i, K, S, P, D put in."""
    i, k, s, p, d = values
    symbolic = not i.isdigit()
    times = "" if symbolic else "\\cdot "
    lhs = f"{axis}_{{\\text{{out}}}} = "
    if config.kind == "conv-transpose":
        extra = OUTPUT_PADDING if symbolic else "0"
        return f"{lhs}({i} - 1){times}{s} - 2{times}{p} + {d}{times}({k} - 1) + {extra} + 1"
    if config.kind == "avg-pool":
        top = f"{i} + 2{times}{p} - {k}"
    else:
        top = f"{i} + 2{times}{p} - {d}{times}({k} - 1) - 1"
    return f"{lhs}\\left\\lfloor \\frac{{{top}}}{{{s}}} \\right\\rfloor + 1"


def _span(config: LayerConfig, size: int) -> int:
    """The numerator ``i + 2P - D(K - 1) - 1`` of the conv/pool formula."""
    dilation = 1 if config.kind == "avg-pool" else config.dilation
    return size + 2 * config.padding - dilation * (config.kernel - 1) - 1


def _floor_of(config: LayerConfig, size: int) -> str:
    """``\\lfloor 3 \\rfloor`` or ``\\lfloor \\tfrac{5}{2} \\rfloor``: the fraction's value."""
    return f"\\lfloor {latex.number(_span(config, size) / config.stride)} \\rfloor"


def _axis_size(config: LayerConfig, size: int) -> int:
    """The formula's value along one axis (below 1 when no window fits)."""
    c = config
    if c.kind == "conv-transpose":
        return (size - 1) * c.stride - 2 * c.padding + c.dilation * (c.kernel - 1) + 1
    return _span(config, size) // c.stride + 1


# --- example tensors and the engine's output --------------------------------------------------


@functools.lru_cache(maxsize=1)
def _input_block() -> np.ndarray:
    """Digits 0..9 for every (channel, row, column) the knobs allow, drawn once."""
    rng = np.random.default_rng([EXAMPLE_SEED, 0])
    sizes = (KNOB["in_channels"].maximum, KNOB["height"].maximum, KNOB["width"].maximum)
    block = rng.integers(0, 10, size=sizes, dtype=np.int8)
    block.flags.writeable = False
    return block


@functools.lru_cache(maxsize=1)
def _weight_block() -> np.ndarray:
    """Weights in {-1, 0, 1} for every (filter, channel, row, column) the knobs allow."""
    rng = np.random.default_rng([EXAMPLE_SEED, 1])
    channels, kernel = KNOB["in_channels"].maximum, KNOB["kernel"].maximum
    block = rng.integers(-1, 2, size=(channels, channels, kernel, kernel), dtype=np.int8)
    block.flags.writeable = False
    return block


def example_input(config: LayerConfig) -> np.ndarray:
    """The example input, ``(1, C_in, H, W)`` float64 digits 0..9 (seeded, so reproducible).

    Each value depends only on its (channel, row, column): growing H keeps the rows shown.
    """
    c = config
    return _input_block()[None, : c.in_channels, : c.height, : c.width].astype(np.float64)


def example_weight(config: LayerConfig) -> np.ndarray | None:
    """The example weight in {-1, 0, 1}: conv ``(C_out, C_in, K, K)``, transposed conv
    ``(C_in, C_out, K, K)``; ``None`` for pooling (it has no weights)."""
    c = config
    if c.is_pool:
        return None
    first, second = (
        (c.out_channels, c.in_channels) if c.kind == "conv" else (c.in_channels, c.out_channels)
    )
    return _weight_block()[:first, :second, : c.kernel, : c.kernel].astype(np.float64)


@dataclass(frozen=True)
class LayerOutput:
    """The example input, weight and one output channel as the engine computes them.

    ``input`` (1, C_in, H, W); ``weight`` as :func:`example_weight`; ``shape`` the full output
    shape (1, C_out, H_out, W_out); ``plane`` (H_out, W_out) is output channel ``channel``.
    """

    config: LayerConfig
    input: np.ndarray
    weight: np.ndarray | None
    shape: tuple[int, int, int, int]
    channel: int
    plane: np.ndarray


def compute(config: LayerConfig, channel: int = 0) -> LayerOutput:
    """Run the layer through the engine for output channel ``channel`` (0-based).

    Only that channel is computed (a conv filter sees every input channel; a pooling channel
    only its own), so wide layers stay fast; the full shape comes from :func:`output_shape`.
    Raises ``ValueError`` (the engine's sentence) when the layer cannot run.
    """
    shape = output_shape(config)
    if not 0 <= channel < shape[1]:
        raise ValueError(f"output channel {channel} does not exist; the output has {shape[1]}")
    c = config
    x = example_input(c)
    weight = example_weight(c)
    if c.kind == "conv":
        assert weight is not None
        one = weight[channel : channel + 1]
        out = engine.conv2d(x, one, stride=c.stride, padding=c.padding, dilation=c.dilation)
    elif c.kind == "conv-transpose":
        assert weight is not None
        one = weight[:, channel : channel + 1]
        out = engine.conv_transpose2d(
            x, one, stride=c.stride, padding=c.padding, dilation=c.dilation
        )
    elif c.kind == "max-pool":
        out = engine.max_pool2d(
            x[:, channel : channel + 1], c.kernel, c.stride, c.padding, c.dilation
        )
    else:
        out = engine.avg_pool2d(x[:, channel : channel + 1], c.kernel, c.stride, c.padding)
    plane = np.asarray(out)[0, 0]
    return LayerOutput(c, x, weight, shape, channel, plane)


def full_output(config: LayerConfig) -> np.ndarray:
    """Every output channel, ``(1, C_out, H_out, W_out)``, straight from the engine."""
    c = config
    x, weight = example_input(c), example_weight(c)
    if c.kind == "conv":
        return engine.conv2d(x, weight, stride=c.stride, padding=c.padding, dilation=c.dilation)
    if c.kind == "conv-transpose":
        return engine.conv_transpose2d(
            x, weight, stride=c.stride, padding=c.padding, dilation=c.dilation
        )
    if c.kind == "max-pool":
        return np.asarray(engine.max_pool2d(x, c.kernel, c.stride, c.padding, c.dilation))
    if c.dilation != 1:
        raise ValueError(AVG_POOL_DILATION)
    return engine.avg_pool2d(x, c.kernel, c.stride, c.padding)


# --- query parameters -------------------------------------------------------------------------


_WHOLE = re.compile(r"[+-]?\d{1,9}")


def config_to_query(config: LayerConfig) -> dict[str, str]:
    """The page's query parameters for ``config``: ``kind, h, w, cin, cout, k, s, p, d``."""
    query: dict[str, str] = {KIND_QUERY: config.kind}
    for knob in KNOBS:
        query[knob.query] = str(getattr(config, knob.field))
    return query


def config_from_query(query: Mapping[str, object]) -> tuple[LayerConfig, list[str]]:
    """Read a layer from query parameters, never failing: bad values are replaced.

    Each value may be a string or a list of strings (the last one counts). A missing value
    takes the default; a value that is not a whole number takes the default and one outside
    its range is clamped, each with a note saying so (the notes quote the text they reject:
    show them escaped). Average pooling's dilation is forced to 1.
    """
    notes: list[str] = []
    defaults = LayerConfig()
    kind_text = last(query.get(KIND_QUERY))
    kind: str = defaults.kind
    if kind_text is not None:
        if kind_text in KINDS:
            kind = kind_text
        else:
            notes.append(
                f"layer type {quote(kind_text)} is unknown (expected one of "
                f"{', '.join(KINDS)}); showing {defaults.kind}"
            )
    values: dict[str, int] = {}
    for knob in KNOBS:
        text = last(query.get(knob.query))
        values[knob.field] = _knob_value(knob, text, getattr(defaults, knob.field), notes)
    if kind == "avg-pool" and values["dilation"] != 1:
        notes.append("average pooling has no dilation; using dilation 1")
        values["dilation"] = 1
    return LayerConfig(kind, **values), notes  # type: ignore[arg-type]


def _knob_value(knob: Knob, text: str | None, default: int, notes: list[str]) -> int:
    if text is None or text.strip() == "":
        return default
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        notes.append(f"{knob.name} {quote(text)} is not a whole number; using {default}")
        return default
    value = int(text)
    clamped = min(max(value, knob.minimum), knob.maximum)
    if clamped != value:
        notes.append(
            f"{knob.name} {value} is outside {knob.minimum}–{knob.maximum}; using {clamped}"
        )
    return clamped
