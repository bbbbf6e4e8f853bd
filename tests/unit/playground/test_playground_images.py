"""Images: the samples are drawn the same way every time; uploads (PNG and JPEG made here with
Pillow) become small grayscale arrays, and everything else is refused with a clear message."""

from __future__ import annotations

import io
import struct
import time
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from quiz.playground.images import (
    DEFAULT_SAMPLE,
    EXPECTED,
    MAX_DISPLAY_SIDE,
    MAX_PIXELS,
    MAX_SIDE,
    MAX_UPLOAD_BYTES,
    SAMPLES,
    ImageError,
    checkerboard,
    decode_upload,
    sample_image,
)
from tests.unit.playground.strategies import PROPERTY

SAMPLE_SHAPES = {"checkerboard": (64, 64), "circles": (96, 96), "letter": (64, 64),
                 "scene": (128, 128)}  # fmt: skip


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _gradient(width: int, height: int) -> np.ndarray:
    """uint8 gray levels rising left to right, different on every row."""
    cols = np.linspace(0, 255, width)
    rows = np.linspace(0, 40, height)[:, None]
    return np.clip(cols[None, :] * 0.8 + rows, 0, 255).astype(np.uint8)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that *declares* ``width × height`` 8-bit gray pixels but holds one row of data:
    what a decompression bomb looks like before it is unpacked."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * (min(width, 1000) + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(
        b"IEND", b""
    )  # fmt: skip


# --- samples ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_samples_are_deterministic_grayscale_in_range(name: str) -> None:
    image = sample_image(name)
    assert image.shape == SAMPLE_SHAPES[name]
    assert image.dtype == np.float64
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert image.max() > image.min(), "a sample has something to filter"
    assert not image.flags.writeable
    np.testing.assert_array_equal(image, SAMPLES[name].make())  # drawn again: the same
    assert sample_image(name) is image  # and drawn once
    assert f"{image.shape[0]}×{image.shape[1]}" in SAMPLES[name].description


def test_default_sample_exists_and_unknown_names_are_refused() -> None:
    assert DEFAULT_SAMPLE in SAMPLES
    with pytest.raises(KeyError, match="no sample image 'mona-lisa'"):
        sample_image("mona-lisa")


def test_checkerboard_values() -> None:
    board = checkerboard(size=4, square=2)
    np.testing.assert_array_equal(board, [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])


# --- uploads that work ------------------------------------------------------------------------


def test_grayscale_png_is_read_exactly() -> None:
    pixels = _gradient(40, 30)
    image = decode_upload(_encode(Image.fromarray(pixels, mode="L"), "PNG"))
    assert image.shape == (30, 40) and image.dtype == np.float64
    np.testing.assert_allclose(image, pixels / 255.0)


def test_colour_png_becomes_luminance() -> None:
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[:, :3] = (255, 0, 0)  # red
    rgb[:, 3:] = (0, 0, 255)  # blue
    image = decode_upload(_encode(Image.fromarray(rgb, mode="RGB"), "PNG"))
    # ITU-R 601-2 luma, as Pillow's convert("L"): 0.299 R + 0.587 G + 0.114 B
    np.testing.assert_allclose(image[:, :3], round(0.299 * 255) / 255, atol=1 / 255)
    np.testing.assert_allclose(image[:, 3:], round(0.114 * 255) / 255, atol=1 / 255)


def test_transparent_parts_count_as_white() -> None:
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)  # black, fully transparent...
    rgba[:2, :, 3] = 255  # ...except the top half, opaque black
    image = decode_upload(_encode(Image.fromarray(rgba, mode="RGBA"), "PNG"))
    np.testing.assert_allclose(image[:2], 0.0)
    np.testing.assert_allclose(image[2:], 1.0)


def test_sixteen_bit_png_keeps_its_range() -> None:
    pixels = np.array([[0, 65535], [32768, 16384]], dtype=np.uint16)
    image = decode_upload(_encode(Image.fromarray(pixels), "PNG"))
    np.testing.assert_allclose(image, pixels / 65535.0, atol=1e-6)


def test_jpeg_is_read_approximately() -> None:
    pixels = _gradient(64, 48)
    rgb = np.repeat(pixels[:, :, None], 3, axis=2)
    image = decode_upload(_encode(Image.fromarray(rgb, mode="RGB"), "JPEG", quality=95))
    assert image.shape == (48, 64)
    assert np.abs(image - pixels / 255.0).mean() < 0.02


@pytest.mark.parametrize(("fmt", "size"), [("PNG", (1000, 500)), ("JPEG", (1200, 900))])
def test_big_pictures_are_shrunk_to_the_display_size(fmt: str, size: tuple[int, int]) -> None:
    width, height = size
    data = _encode(Image.fromarray(_gradient(width, height), mode="L"), fmt)
    image = decode_upload(data)
    assert max(image.shape) == MAX_DISPLAY_SIDE
    ratio = image.shape[1] / image.shape[0]
    assert ratio == pytest.approx(width / height, rel=0.02)
    assert image.min() >= 0.0 and image.max() <= 1.0
    # still a left-to-right gradient
    assert image[:, -10:].mean() > image[:, :10].mean() + 0.5


def test_jpeg_orientation_is_applied() -> None:
    pixels = _gradient(60, 20)  # wide
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    data = _encode(Image.fromarray(pixels, mode="L"), "JPEG", exif=exif, quality=95)
    assert decode_upload(data).shape == (60, 20)  # shown upright: tall


# --- uploads that are refused -----------------------------------------------------------------


def _refused(data: bytes) -> str:
    with pytest.raises(ImageError) as error:
        decode_upload(data)
    message = error.value.message
    assert message.startswith(EXPECTED)
    assert str(error.value) == message
    return message


def test_too_many_bytes() -> None:
    message = _refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_UPLOAD_BYTES)
    assert "at most 5 MB; this file is 5.0 MB" in message


def test_empty_file() -> None:
    assert "the file is empty" in _refused(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"definitely not an image",
        b"\x89PNG\r\n\x1a\n" + b"\xff" * 64,  # a PNG signature and then garbage
        b"\xff\xd8\xff" + b"\x00" * 64,  # a JPEG signature and then garbage
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    ],
)
def test_garbage_and_non_images(data: bytes) -> None:
    assert "this file is not one" in _refused(data)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "WEBP", "TIFF"])
def test_other_image_formats(fmt: str) -> None:
    data = _encode(Image.fromarray(_gradient(8, 8), mode="L"), fmt)
    assert "this file is not one" in _refused(data)


def test_truncated_png() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    data = _encode(Image.fromarray(noise, mode="L"), "PNG")
    assert "truncated or damaged" in _refused(data[: len(data) // 2])


def test_too_small() -> None:
    data = _encode(Image.fromarray(np.zeros((1, 5), dtype=np.uint8), mode="L"), "PNG")
    assert "at least 2×2 pixels; this one is 5×1" in _refused(data)


@pytest.mark.parametrize(
    ("width", "height", "said"),
    [
        (5000, 4000, "this one is 5000×4000 (20.0 megapixels)"),  # too many pixels
        (MAX_SIDE + 1, 4, f"this one is {MAX_SIDE + 1}×4"),  # too long a side
        (30_000, 30_000, "this one is far larger"),  # beyond Pillow's own bomb limit
    ],
)
def test_huge_declared_sizes_are_refused_before_decoding(
    width: int, height: int, said: str
) -> None:
    data = _png_header(width, height)
    assert len(data) < 10_000  # a small file...
    start = time.perf_counter()
    message = _refused(data)  # ...refused from its header, without unpacking the pixels
    assert time.perf_counter() - start < 0.5
    assert f"at most {MAX_PIXELS / 1e6:.1f} megapixels" in message
    assert said in message


def test_pillows_bomb_warning_is_refused_too() -> None:
    data = _png_header(10_000, 10_000)  # 100 MP: Pillow warns (limit ~89 MP) but does not raise
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        message = _refused(data)
    assert "megapixels" in message


def test_the_largest_allowed_picture_is_accepted() -> None:
    side = int(MAX_PIXELS**0.5)
    data = _encode(Image.new("L", (side, side), 128), "PNG")
    image = decode_upload(data)
    assert image.shape == (MAX_DISPLAY_SIDE, MAX_DISPLAY_SIDE)
    np.testing.assert_allclose(image, 128 / 255, atol=1e-3)


@PROPERTY
@given(
    st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a"]),
    st.binary(max_size=300),
)
def test_any_bytes_are_an_image_or_a_clear_refusal(prefix: bytes, body: bytes) -> None:
    try:
        image = decode_upload(prefix + body)
    except ImageError as error:
        assert error.message.startswith(EXPECTED)
        return
    assert image.ndim == 2 and np.isfinite(image).all()


@PROPERTY
@given(st.integers(0, 2000))
def test_damaged_real_pngs_are_an_image_or_a_clear_refusal(cut: int) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (24, 24, 3), dtype=np.uint8)
    data = bytearray(_encode(Image.fromarray(noise, mode="RGB"), "PNG"))
    position = cut % len(data)
    data[position] ^= 0xFF  # flip one byte anywhere (header, chunk lengths, CRCs, pixels)
    try:
        image = decode_upload(bytes(data))
    except ImageError as error:
        assert error.message.startswith(EXPECTED)
        return
    assert image.shape == (24, 24)
