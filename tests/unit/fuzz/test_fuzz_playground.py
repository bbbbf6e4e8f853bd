"""Fuzzing the Playground's inputs: uploaded images and the page's query parameters.

* PNGs crafted chunk by chunk, with correct CRCs so the damage reaches the decoder: any header
  (sizes, bit depth, colour type, interlacing, invalid values), short or long pixel data split
  over several IDAT chunks, palettes, transparency, colour profiles and text chunks that are
  zlib bombs, EXIF orientation, animation chunks, missing IEND;
* JPEGs with EXIF orientation, progressive or not, then damaged byte by byte;
* a query string from another page: valid parameters with values replaced by odd text.

An image gives a grayscale picture (2 to 256 pixels a side, values in [0, 1]) or an
:class:`ImageError` saying what was expected; a query always gives a layer and a filter
choice, with notes for what was replaced. Never another exception, in bounded time.

Not repeated here (``tests/unit/playground/``): random bytes, one-byte flips of a real PNG,
huge declared sizes, arbitrary text as a custom kernel and as query values.
"""

from __future__ import annotations

import io
import resource
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from quiz.playground.filters import FilterChoice, choice_from_query, choice_to_query
from quiz.playground.images import EXPECTED, MAX_DISPLAY_SIDE, ImageError, decode_upload
from quiz.playground.layer import (
    KINDS,
    MAX_OUTPUT_SIDE,
    LayerConfig,
    config_from_query,
    config_to_query,
    output_shape,
    output_size_formula,
)

from .mutations import FUZZ, SLOW_FUZZ, mutated_bytes, run_in_child, time_limit

pytestmark = pytest.mark.slow  # fuzzing (hypothesis, many examples)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ZLIB_BOMB = zlib.compress(bytes(8 * 2**20), 9)  # 8 MB of zeros in about 8 kB


def chunk(kind: bytes, body: bytes, *, crc_ok: bool = True) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFF_FFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc ^ (not crc_ok))


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


EXTRA_CHUNKS = [
    (b"PLTE", bytes(range(48))),
    (b"PLTE", b"\x00\x01"),
    (b"tRNS", b"\x00\x00"),
    (b"tRNS", bytes(300)),
    (b"gAMA", struct.pack(">I", 45455)),
    (b"gAMA", b"\x00"),
    (b"sRGB", b"\x00"),
    (b"cHRM", bytes(32)),
    (b"iCCP", b"profile\x00\x00" + ZLIB_BOMB),
    (b"zTXt", b"Comment\x00\x00" + ZLIB_BOMB),
    (b"iTXt", b"Comment\x00\x01\x00\x00\x00" + ZLIB_BOMB),
    (b"tEXt", b"Comment\x00" + b"x" * 1000),
    (b"eXIf", _exif(6)),
    (b"eXIf", b"MM\x00\x2a" + bytes(12)),
    (b"eXIf", b"garbage"),
    (b"acTL", struct.pack(">II", 2, 0)),
    (b"fcTL", struct.pack(">IIIIIHHBB", 0, 4, 4, 0, 0, 1, 1, 0, 0)),
    (b"pHYs", bytes(9)),
    (b"sBIT", b"\x08"),
    (b"vpAg", bytes(9)),
]


VALID_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
PALETTE = chunk(b"PLTE", bytes(range(48)))
_MOSTLY = st.sampled_from([True, True, True, True, False])  # (sampled_from starts from True)


@st.composite
def crafted_pngs(draw: st.DrawFn) -> bytes:
    """Mostly well-formed headers (so the pixels get decoded), sometimes anything."""
    if draw(_MOSTLY):
        color = draw(st.sampled_from(sorted(VALID_DEPTHS)))
        depth = draw(st.sampled_from(VALID_DEPTHS[color]))
        width, height = draw(st.integers(1, 40)), draw(st.integers(1, 40))
        interlace, method = draw(st.integers(0, 1)), 0
    else:
        width = draw(st.integers(0, 40) | st.sampled_from([4096, 8193, 2**31 - 1, 2**32 - 1]))
        height = draw(st.integers(0, 40) | st.sampled_from([4096, 8193, 2**31 - 1]))
        depth = draw(st.sampled_from([8, 16, 1, 2, 4, 0, 3, 32]))
        color = draw(st.sampled_from([0, 2, 3, 4, 6, 1, 5]))
        interlace, method = draw(st.integers(0, 2)), draw(st.integers(0, 1))
    header = struct.pack(">IIBBBBB", width, height, depth, color, method, method, interlace)
    row = (width * CHANNELS.get(color, 1) * depth + 7) // 8
    if width <= 40 and height <= 40 and 0 < depth <= 16:
        rows = draw(st.integers(0, 2 * height + 2))  # enough for the interlaced passes, or not
        filters = st.integers(0, 5) if draw(st.booleans()) else st.just(0)
        fill = draw(st.sampled_from([0x00, 0x7F, 0xFF]))
        body = b"".join(bytes([draw(filters)]) + bytes([fill]) * row for _ in range(rows))
        pixels = zlib.compress(body)
    else:
        pixels = zlib.compress(draw(st.binary(max_size=256)))
    if not draw(_MOSTLY):
        pixels = pixels[: draw(st.integers(0, len(pixels)))]
    cut = draw(st.integers(0, len(pixels)))
    idat = chunk(b"IDAT", pixels[:cut]) + chunk(b"IDAT", pixels[cut:])
    extras = draw(st.lists(st.sampled_from(EXTRA_CHUNKS), max_size=2 * draw(st.integers(0, 1))))
    before = b"".join(chunk(kind, body) for kind, body in extras)
    if color == 3 and draw(_MOSTLY):
        before = PALETTE + before
    header_chunk = chunk(b"IHDR", header, crc_ok=draw(_MOSTLY) or draw(_MOSTLY))
    end = chunk(b"IEND", b"") if draw(_MOSTLY) else b""
    return SIGNATURE + header_chunk + before + idat + end


def assert_picture_or_clear_refusal(data: bytes) -> np.ndarray | None:
    with time_limit(10, f"decoding a {len(data)} byte upload"):
        try:
            image = decode_upload(data)
        except ImageError as error:
            assert error.message.startswith(EXPECTED), error.message
            return None
    assert image.ndim == 2 and image.dtype == np.float64
    assert min(image.shape) >= 2 and max(image.shape) <= MAX_DISPLAY_SIDE
    assert np.isfinite(image).all() and image.min() >= 0.0 and image.max() <= 1.0
    return image


@SLOW_FUZZ
@given(crafted_pngs())
def test_crafted_pngs(data: bytes) -> None:
    assert_picture_or_clear_refusal(data)


def _jpeg(orientation: int, progressive: bool, mode: str) -> bytes:
    rows = np.linspace(0, 255, 24 * 17).reshape(24, 17).astype(np.uint8)
    picture = Image.fromarray(rows).convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=_exif(orientation), progressive=progressive, quality=80)
    return buffer.getvalue()


JPEGS = [_jpeg(6, False, "RGB"), _jpeg(3, True, "L"), _jpeg(8, True, "CMYK")]


@SLOW_FUZZ
@given(st.sampled_from(JPEGS).flatmap(lambda jpeg: mutated_bytes(jpeg, max_edits=3)))
def test_damaged_jpegs(data: bytes) -> None:
    assert_picture_or_clear_refusal(data)


def _largest_png_peak_memory(_: object) -> int:
    """Peak resident memory growth (bytes) while decoding the largest picture the Playground
    accepts: 4096 × 4096 16-bit RGBA, about 130 kB as a PNG of one colour."""
    compressor = zlib.compressobj(1)
    line = b"\x00" + bytes(4096 * 8)
    pixels = b"".join(compressor.compress(line) for _ in range(4096)) + compressor.flush()
    header = struct.pack(">IIBBBBB", 4096, 4096, 16, 6, 0, 0, 0)
    data = SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    image = decode_upload(data)
    assert image.shape == (MAX_DISPLAY_SIDE, MAX_DISPLAY_SIDE)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024


def test_the_largest_accepted_picture_has_bounded_memory() -> None:
    """About 480 MB today (16-bit RGBA decoded in full, composited over white, converted to
    float64 before it is shrunk) for a 130 kB upload; this guards against it growing."""
    outcome, peak = run_in_child(_largest_png_peak_memory, None, seconds=30)
    assert outcome == "returned", peak
    assert int(peak) < 768 * 2**20, f"{int(peak) / 2**20:.0f} MB"


# --- query parameters ---------------------------------------------------------------------------

ODD_VALUES = st.one_of(
    st.sampled_from(
        [
            "", " ", "0", "-0", "+3", "007", "3.0", "1e3", "9" * 12, "9" * 5000, "-9" * 3, "٣",
            "３", "²", "\x00", "\u200b3", " 3 ", "3\n", "nan", "true", "1", "conv", "CONV",
            "avg-pool", "scene", "upload", "custom", "max", "1/9", "1 0 -1; 2 0 -2; 1 0 -1",
            "<b>x</b>", "x" * 300,
        ]
    ),
    st.text(max_size=8),
)  # fmt: skip


@st.composite
def damaged_queries(draw: st.DrawFn) -> dict[str, object]:
    config = LayerConfig(
        draw(st.sampled_from(KINDS)),
        *(draw(st.integers(1, 9)) for _ in range(4)),
        kernel=draw(st.integers(1, 3)),
    )
    choice = FilterChoice(kernel=draw(st.sampled_from(["custom", "sobel-x", "box-blur"])))
    query: dict[str, object] = {**config_to_query(config), **choice_to_query(choice), "tab": "x"}
    for name in draw(st.lists(st.sampled_from(sorted(query)), max_size=4)):
        value = draw(ODD_VALUES)
        query[name] = draw(st.sampled_from([value, [value], [str(query[name]), value], []]))
    return query


@FUZZ
@given(damaged_queries())
def test_damaged_queries_give_a_layer_and_a_choice(query: dict[str, object]) -> None:
    config, notes = config_from_query(query)
    choice, more = choice_from_query(query)
    assert all(isinstance(note, str) and note.strip() for note in [*notes, *more])
    assert isinstance(config, LayerConfig) and isinstance(choice, FilterChoice)
    formula = output_size_formula(config)
    assert formula.general and formula.height and formula.width
    if config.error is None:
        assert max(output_shape(config)[-2:]) <= MAX_OUTPUT_SIDE
    again, again_notes = config_from_query(config_to_query(config))
    assert (again, again_notes) == (config, [])
