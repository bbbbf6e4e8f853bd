"""Classic 3×3 kernels, custom kernels, and the feature maps they make of an image.

A grayscale image ``(H, W)`` goes through the engine as a ``(1, 1, H, W)`` tensor:

    conv        F = conv2d(image, kernel, padding=1)              (H, W): the size is kept
    ReLU        R = max(F, 0)                                     (optional)
    pooling     max_pool2d(·, 2) or avg_pool2d(·, 2)              (floor(H/2), floor(W/2))

``conv2d`` is a cross-correlation, as in PyTorch (the kernel is not flipped):
``F[y][x] = Σ_i Σ_j image_pad[y + i][x + j] · kernel[i][j]``. So Sobel x
(``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]``) is positive where the image gets brighter to the
right, and Sobel y where it gets brighter downwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

import engine
from quiz.grading import AnswerFormatError, parse_matrix
from quiz.playground.images import DEFAULT_SAMPLE, SAMPLES
from quiz.playground.query import last, quote

POOLS: tuple[str, ...] = ("none", "max", "avg")
POOL_TITLES = {"none": "None", "max": "Max", "avg": "Average"}
"""The pooling choices as the Filters tab names them (its label says 2×2; short, so the three
fit on one line of a phone)."""
CUSTOM = "custom"
KERNEL_EXPECTED = (
    "expected a 3×3 matrix of numbers: three rows of three, e.g. 1 0 -1; 2 0 -2; 1 0 -1"
)
MAX_KERNEL_ENTRY = 1000.0
"""Custom kernel entries are at most this in size, so feature maps stay finite and readable."""


@dataclass(frozen=True)
class Kernel:
    """A named 3×3 kernel and what it does, in one line."""

    name: str
    title: str
    values: np.ndarray
    description: str


def _kernel(name: str, title: str, rows: list[list[float]], scale: float, text: str) -> Kernel:
    values = np.array(rows, dtype=np.float64) * scale
    values.flags.writeable = False
    return Kernel(name, title, values, text)


KERNELS: dict[str, Kernel] = {
    kernel.name: kernel
    for kernel in (
        _kernel(
            "identity",
            "Identity",
            [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
            1,
            "Copies each pixel: the output is the input.",
        ),
        _kernel(
            "box-blur",
            "Box blur",
            [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
            1 / 9,
            "Averages each pixel with its 8 neighbours: smooths, and keeps flat areas' values.",
        ),
        _kernel(
            "gaussian",
            "Gaussian blur",
            [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
            1 / 16,
            "A weighted average, heavier in the middle: a softer blur than the box.",
        ),
        _kernel(
            "sharpen",
            "Sharpen",
            [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
            1,
            "Adds the difference from the neighbours back in: edges stand out more.",
        ),
        _kernel(
            "sobel-x",
            "Sobel x",
            [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
            1,
            "Horizontal change: positive where it gets brighter to the right (vertical edges).",
        ),
        _kernel(
            "sobel-y",
            "Sobel y",
            [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
            1,
            "Vertical change: positive where it gets brighter downwards (horizontal edges).",
        ),
        _kernel(
            "laplacian",
            "Laplacian",
            [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
            1,
            "Neighbours minus the centre: zero on flat areas and ramps, large on edges and dots.",
        ),
    )
}


class KernelFormatError(ValueError):
    """A custom kernel could not be read; ``message`` says what was expected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_kernel(text: str) -> np.ndarray:
    """Read a custom 3×3 kernel typed as a matrix, ``(3, 3)`` float64.

    Any spelling :func:`quiz.grading.parse_matrix` reads works: rows on lines or split by
    ``;``, entries by spaces or commas, fractions such as ``1/9``, numpy or MATLAB brackets.
    Raises :class:`KernelFormatError` (:data:`KERNEL_EXPECTED` plus what was wrong), also for
    an entry larger than :data:`MAX_KERNEL_ENTRY` in size.
    """
    try:
        values = parse_matrix(text)
    except AnswerFormatError as error:
        raise KernelFormatError(f"{KERNEL_EXPECTED} ({error.message})") from None
    if values.shape != (3, 3):
        rows, cols = values.shape
        raise KernelFormatError(f"{KERNEL_EXPECTED}; got {rows}×{cols}")
    too_big = np.argwhere(~(np.abs(values) <= MAX_KERNEL_ENTRY))
    if len(too_big):
        row, col = (int(v) for v in too_big[0])
        raise KernelFormatError(
            f"{KERNEL_EXPECTED}, each between {-MAX_KERNEL_ENTRY:g} and {MAX_KERNEL_ENTRY:g}; "
            f"row {row}, column {col} (from 0) is {values[row, col]:g}"
        )
    return values


def kernel_to_text(values: np.ndarray) -> str:
    """A kernel as one line :func:`parse_kernel` reads back exactly: ``1,0,-1;2,0,-2;1,0,-1``."""
    return ";".join(",".join(_plain(v) for v in row) for row in np.asarray(values, dtype=float))


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class FeatureMap:
    """One stage's result: a title for the chart and the ``(H, W)`` values."""

    title: str
    values: np.ndarray


def feature_maps(
    image: np.ndarray, kernel: np.ndarray, *, relu: bool = False, pool: str = "none"
) -> list[FeatureMap]:
    """Convolve a grayscale ``(H, W)`` image with a ``(3, 3)`` kernel (padding 1, so the map is
    ``(H, W)`` too), then optionally ReLU and 2×2 pooling (stride 2: ``(H // 2, W // 2)``).

    Returns the maps in order: the convolution, then ReLU's, then the pooled one. Pooling needs
    an image of at least 2×2 (else the engine's ``ValueError``).
    """
    if pool not in POOLS:
        raise ValueError(f"pooling must be one of {', '.join(POOLS)}; got {pool!r}")
    picture = np.asarray(image, dtype=np.float64)
    weights = np.asarray(kernel, dtype=np.float64)
    if picture.ndim != 2:
        raise ValueError(f"expected a grayscale image of shape (H, W); got {picture.shape}")
    if weights.shape != (3, 3):
        raise ValueError(f"expected a 3×3 kernel; got shape {weights.shape}")
    x = picture[None, None]
    current = engine.conv2d(x, weights[None, None], padding=1)
    maps = [FeatureMap("Convolution", current[0, 0])]
    if relu:
        current = engine.relu(current)
        maps.append(FeatureMap("ReLU", current[0, 0]))
    if pool == "max":
        current = np.asarray(engine.max_pool2d(current, 2))
        maps.append(FeatureMap("2×2 max pool", current[0, 0]))
    elif pool == "avg":
        current = engine.avg_pool2d(current, 2)
        maps.append(FeatureMap("2×2 average pool", current[0, 0]))
    return maps


# --- the Filters panel's settings and query parameters ---------------------------------------

UPLOAD = "upload"
DEFAULT_CUSTOM = "0 -1 0; -1 5 -1; 0 -1 0"
MAX_CUSTOM_CHARS = 200


@dataclass(frozen=True)
class FilterChoice:
    """What the Filters panel shows: ``image`` is a sample's name or :data:`UPLOAD`;
    ``kernel`` a :data:`KERNELS` name or :data:`CUSTOM` (then ``custom`` is the typed text)."""

    image: str = DEFAULT_SAMPLE
    kernel: str = "sobel-x"
    custom: str = DEFAULT_CUSTOM
    relu: bool = False
    pool: str = "none"


def choice_to_query(choice: FilterChoice) -> dict[str, str]:
    """Query parameters ``img, f, relu, pool`` (and ``m``, the custom kernel's text)."""
    query = {
        "img": choice.image,
        "f": choice.kernel,
        "relu": "1" if choice.relu else "0",
        "pool": choice.pool,
    }
    if choice.kernel == CUSTOM:
        query["m"] = choice.custom
    return query


def choice_from_query(query: Mapping[str, object]) -> tuple[FilterChoice, list[str]]:
    """Read the Filters panel's settings, never failing: unknown values take the default
    with a note (notes quote the rejected text: show them escaped)."""
    notes: list[str] = []
    default = FilterChoice()
    image = _pick(query, "img", (*SAMPLES, UPLOAD), default.image, "image", notes)
    kernel = _pick(query, "f", (*KERNELS, CUSTOM), default.kernel, "kernel", notes)
    pool = _pick(query, "pool", POOLS, default.pool, "pooling", notes)
    relu_text = last(query.get("relu"))
    relu = default.relu
    if relu_text is not None:
        if relu_text in ("1", "0", "true", "false"):
            relu = relu_text in ("1", "true")
        else:
            notes.append(f"relu {quote(relu_text)} should be 1 or 0; using {int(default.relu)}")
    custom = last(query.get("m"))
    if custom is None or not custom.strip():
        custom = default.custom
    elif len(custom) > MAX_CUSTOM_CHARS:
        notes.append(f"the custom kernel is longer than {MAX_CUSTOM_CHARS} characters; ignored")
        custom = default.custom
    return FilterChoice(image, kernel, custom, relu, pool), notes


def _pick(
    query: Mapping[str, object],
    name: str,
    allowed: tuple[str, ...],
    default: str,
    what: str,
    notes: list[str],
) -> str:
    text = last(query.get(name))
    if text is None or text == "":
        return default
    if text in allowed:
        return text
    notes.append(f"{what} {quote(text)} is unknown; using {default}")
    return default
