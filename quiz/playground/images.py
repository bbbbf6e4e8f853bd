"""Images for the Filters panel: samples drawn in code, and uploads decoded with care.

Every image is a grayscale ``(H, W)`` float64 array in ``[0, 1]`` (0 black, 1 white).

Samples are computed, not downloaded, and are the same on every machine. Uploads are checked
before they are decoded: at most :data:`MAX_UPLOAD_BYTES` bytes, PNG or JPEG only (Pillow is
asked to try those two formats and no other), at most :data:`MAX_SIDE` pixels a side and
:data:`MAX_PIXELS` pixels in all. The size is read from the header (``Image.open`` is lazy), so
a "decompression bomb" — a small file that declares a huge picture — is refused before its
pixels are unpacked. Pillow's own bomb check (``Image.MAX_IMAGE_PIXELS``, about 89 megapixels,
left at its default because it is process-wide) only fires above our limits, and is caught
too. Decoded images are made grayscale (transparent parts over white) and shrunk to at most
:data:`MAX_DISPLAY_SIDE` pixels on the long side.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8192
MAX_PIXELS = 4096 * 4096
"""About 16.8 megapixels: a 12-megapixel phone photo passes, a 24-megapixel one does not."""
MIN_SIDE = 2
MAX_DISPLAY_SIDE = 256
FORMATS = frozenset({"PNG", "JPEG"})
JPEG_FORMATS = frozenset({"JPEG", "MPO"})
"""Pillow reads some camera JPEGs (several pictures in one file) as "MPO": the first is used."""
EXPECTED = "expected a PNG or JPEG image"


class ImageError(ValueError):
    """An upload was refused; ``message`` says what was expected, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- samples ----------------------------------------------------------------------------------


def checkerboard(size: int = 64, square: int = 8) -> np.ndarray:
    """Black and white squares of ``square`` pixels, white first: sharp edges both ways."""
    rows, cols = np.indices((size, size))
    return (((rows // square) + (cols // square)) % 2 == 0).astype(np.float64)


def circles(size: int = 96, ring: float = 6.0) -> np.ndarray:
    """Concentric white and black rings ``ring`` pixels wide: edges in every direction."""
    rows, cols = np.indices((size, size)) - (size - 1) / 2
    radius = np.hypot(rows, cols)
    return ((radius // ring) % 2 == 0).astype(np.float64)


def _strokes(size: int, segments: list[tuple[float, float, float, float]], width: float):
    """White strokes on black: each segment (r0, c0, r1, c1) in units of ``size``, antialiased."""
    rows, cols = np.indices((size, size)).astype(np.float64)
    image = np.zeros((size, size))
    for r0, c0, r1, c1 in segments:
        a = np.array([r0, c0]) * (size - 1)
        b = np.array([r1, c1]) * (size - 1)
        ab = b - a
        t = ((rows - a[0]) * ab[0] + (cols - a[1]) * ab[1]) / float(ab @ ab)
        t = np.clip(t, 0.0, 1.0)
        distance = np.hypot(rows - (a[0] + t * ab[0]), cols - (a[1] + t * ab[1]))
        image = np.maximum(image, np.clip(width / 2 - distance + 0.5, 0.0, 1.0))
    return image


def letter(size: int = 64) -> np.ndarray:
    """A stroke capital A, white on black like a handwritten-digit picture."""
    segments = [
        (0.12, 0.50, 0.88, 0.18),
        (0.12, 0.50, 0.88, 0.82),
        (0.60, 0.29, 0.60, 0.71),
    ]
    return _strokes(size, segments, width=size / 10)


def scene(size: int = 128) -> np.ndarray:
    """A left-to-right gradient with a bright square, a dark disc and a light triangle."""
    rows, cols = np.indices((size, size)).astype(np.float64) / (size - 1)
    image = 0.2 + 0.45 * cols
    image[(rows > 0.12) & (rows < 0.42) & (cols > 0.1) & (cols < 0.4)] = 0.95
    image[np.hypot(rows - 0.3, cols - 0.72) < 0.17] = 0.05
    triangle = (rows > 0.58) & (rows < 0.9) & (np.abs(cols - 0.45) < (rows - 0.58) * 0.9)
    image[triangle] = 0.8
    return image


@dataclass(frozen=True)
class Sample:
    """A built-in image: ``make()`` draws it."""

    name: str
    title: str
    description: str
    make: Callable[[], np.ndarray]


SAMPLES: dict[str, Sample] = {
    sample.name: sample
    for sample in (
        Sample("checkerboard", "Checkerboard", "64×64 black and white squares", checkerboard),
        Sample("circles", "Concentric circles", "96×96 rings: edges at every angle", circles),
        Sample("letter", "Letter A", "64×64 white strokes on black", letter),
        Sample("scene", "Gradient and shapes", "128×128 gradient, square, disc, triangle", scene),
    )
}
DEFAULT_SAMPLE = "scene"


@functools.lru_cache(maxsize=len(SAMPLES))
def _drawn(name: str) -> np.ndarray:
    image = SAMPLES[name].make()
    image.flags.writeable = False
    return image


def sample_image(name: str) -> np.ndarray:
    """The sample called ``name`` (``KeyError`` if there is none); read-only, drawn once."""
    if name not in SAMPLES:
        raise KeyError(f"no sample image {name!r}; known: {', '.join(SAMPLES)}")
    return _drawn(name)


# --- uploads ----------------------------------------------------------------------------------


def decode_upload(data: bytes) -> np.ndarray:
    """An uploaded PNG or JPEG as a grayscale ``(H, W)`` array in [0, 1], long side <= 256.

    Raises :class:`ImageError` for more than 5 MB, anything that is not a PNG or JPEG, images
    over :data:`MAX_SIDE` pixels a side or :data:`MAX_PIXELS` pixels in all (both checked
    before decoding), under 2 pixels a side, and truncated or damaged files.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(
            f"{EXPECTED} of at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; this file is "
            f"{len(data) / (1024 * 1024):.1f} MB"
        )
    if not data:
        raise ImageError(f"{EXPECTED}; the file is empty")
    try:
        image = Image.open(io.BytesIO(data), formats=sorted(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(_too_large_message(None)) from None
    except Exception:  # Pillow raises many kinds of errors for files it cannot identify
        raise ImageError(f"{EXPECTED}; this file is not one (or it is damaged)") from None
    with image:
        if image.format not in FORMATS | JPEG_FORMATS:  # ``formats=`` ensures it; a guard
            raise ImageError(f"{EXPECTED}; this file is a {image.format or 'different'} image")
        _check_size(*image.size)
        try:
            if image.format in JPEG_FORMATS:
                image.draft("L", (MAX_DISPLAY_SIDE, MAX_DISPLAY_SIDE))  # decode at 1/2..1/8 size
            image.load()
            upright = ImageOps.exif_transpose(image)
            gray = _grayscale(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageError(_too_large_message(image.size)) from None
        except Exception:  # truncated data, broken chunks, bad Huffman tables, ...
            raise ImageError(f"{EXPECTED}; this file is truncated or damaged") from None
    return _shrink(gray)


def _check_size(width: int, height: int) -> None:
    """Refuse pictures too large to decode (from the header) or too small to filter."""
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageError(_too_large_message((width, height)))
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"{EXPECTED} of at least {MIN_SIDE}×{MIN_SIDE} pixels; this one is {width}×{height}"
        )


def _too_large_message(size: tuple[int, int] | None) -> str:
    limit = (
        f"{EXPECTED} of at most {MAX_PIXELS / 1e6:.1f} megapixels (for example "
        f"{math.isqrt(MAX_PIXELS)}×{math.isqrt(MAX_PIXELS)}) and {MAX_SIDE} pixels a side"
    )
    if size is None:
        return f"{limit}; this one is far larger"
    width, height = size
    return f"{limit}; this one is {width}×{height} ({width * height / 1e6:.1f} megapixels)"


def _grayscale(image: Image.Image) -> np.ndarray:
    """Luminance in [0, 1]; transparent pixels count as white; 16-bit images keep their range."""
    mode = image.mode
    if mode.startswith("I;16"):
        return np.asarray(image, dtype=np.float64) / 65535.0
    if mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        return (values - low) / (high - low) if high > low else np.zeros_like(values)
    has_alpha = mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("L"), dtype=np.float64) / 255.0


def _shrink(gray: np.ndarray) -> np.ndarray:
    """At most :data:`MAX_DISPLAY_SIDE` on the long side (Lanczos), at least 2 on the short."""
    height, width = gray.shape
    scale = MAX_DISPLAY_SIDE / max(height, width)
    if scale >= 1:
        return gray
    size = (max(MIN_SIDE, round(width * scale)), max(MIN_SIDE, round(height * scale)))
    small = Image.fromarray(gray.astype(np.float32)).resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(small, dtype=np.float64), 0.0, 1.0)
