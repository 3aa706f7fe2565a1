"""Properties of the photo decoder: whatever bytes are uploaded (noise, a cut-off image, a header declaring a huge
image, something that is not an image) the answer is the barcodes read or a refusal, never another exception;
and a code that is drawn is read back."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pytest
import qrcode
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from batchtrack.bedside import photos
from batchtrack.errors import BadRequest
from batchtrack.models.user import Role

from builders import UserHandle

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
REFUSALS = (BadRequest, photos.PhotoTooLarge)
FORMATS = ["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "ICO", "PPM", "PCX"]


def _image_bytes(width: int, height: int, mode: str, fmt: str, seed: int) -> bytes:
    image = Image.frombytes(mode, (width, height), bytes((seed + i * 31) % 256 for i in range(
        width * height * len(Image.new(mode, (1, 1)).getbands()))))
    out = io.BytesIO()
    image.convert("RGB" if fmt in ("JPEG", "PCX") else image.mode).save(out, fmt)
    return out.getvalue()


images = st.builds(_image_bytes, st.integers(1, 24), st.integers(1, 24), st.sampled_from(["L", "RGB", "1"]),
                   st.sampled_from(FORMATS), st.integers(0, 255))


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` (with a valid checksum) and holds almost no pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(
        b"IEND", b"")


def _bmp_declaring(width: int, height: int) -> bytes:
    """A BMP whose header declares `width` x `height` at 24 bits per pixel, with a few bytes of pixels."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + 16, 0, 0, 14 + 40) + info + b"\x00" * 16


def _assert_read_or_refused(data: bytes) -> None:
    try:
        texts = photos.decode_photo(image_bytes=data)
    except REFUSALS as refusal:
        assert 400 <= refusal.status_code < 500 and refusal.message and refusal.code.startswith("photo.")
        return
    assert isinstance(texts, list) and all(isinstance(text, str) and text for text in texts)


@settings(max_examples=150)
@given(st.binary(max_size=2000))
@example(b"")
@example(b"GIF89a")
@example(b"\x89PNG\r\n\x1a\n")
@example(b"BM" + b"\xff" * 60)
@example(b"II*\x00" + b"\xff" * 60)  # a TIFF header and nothing sensible after it
def test_any_bytes_are_read_or_refused(data: bytes) -> None:
    _assert_read_or_refused(data)


@settings(max_examples=60, deadline=None)
@given(images, st.integers(min_value=0, max_value=10_000), st.binary(max_size=40))
def test_a_cut_off_or_damaged_image_is_read_or_refused(image: bytes, cut: int, garbage: bytes) -> None:
    _assert_read_or_refused(image)
    _assert_read_or_refused(image[: cut % max(len(image), 1)])
    middle = len(image) // 2
    _assert_read_or_refused(image[:middle] + garbage + image[middle + len(garbage):])


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=2**31 - 1), st.integers(min_value=1, max_value=2**31 - 1))
@example(100_000, 100_000)
@example(8_000, 5_001)  # just over the pixel limit, far under Pillow's own bomb limit
def test_a_header_declaring_a_huge_image_is_refused_before_decoding(width: int, height: int) -> None:
    for data in (_png_declaring(width, height), _bmp_declaring(width, height)):
        if width * height <= photos.MAX_PHOTO_PIXELS:
            _assert_read_or_refused(data)
            continue
        with pytest.raises(REFUSALS) as refused:
            photos.decode_photo(image_bytes=data)
        assert refused.value.code in ("photo.too_large", "photo.not_an_image")


@settings(max_examples=10, deadline=None)
@given(st.text(alphabet="=&<>/+0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ", min_size=1, max_size=60))
def test_a_drawn_code_is_read_back(text: str) -> None:
    out = io.BytesIO()
    qrcode.make(text, border=4).save(out)
    assert photos.decode_photo(image_bytes=out.getvalue()) == [text]


@pytest.fixture
def nurse_client(as_role: ClientFactory) -> TestClient:
    """A nurse's API client, shared by the generated uploads of one test."""
    return as_role(Role.NURSE)[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=3000), images, images.map(lambda image: image[: len(image) // 2]),
                 st.just(_png_declaring(20_000, 20_000))),
       st.sampled_from(["image/png", "image/jpeg", "application/octet-stream", "text/plain"]))
def test_any_upload_gets_the_codes_read_or_a_refusal_never_a_server_error(nurse_client: TestClient, data: bytes,
                                                                          content_type: str) -> None:
    response = nurse_client.post("/api/v1/bedside/decode", files={"image": ("photo", data, content_type)})
    assert response.status_code in (200, 400, 413), (response.status_code, response.text[:200])
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body["texts"], list)
    else:
        assert body["error"].startswith("photo.") and body["message"]


def test_an_image_wider_than_the_reader_takes_is_refused_as_too_large(nurse_client: TestClient) -> None:
    # Found by fuzzing: 65,536 x 1 pixels is far under the pixel limit, but the barcode reader raised on it.
    out = io.BytesIO()
    Image.new("L", (photos.MAX_PHOTO_SIDE + 1, 1), 255).save(out, "PNG")
    with pytest.raises(photos.PhotoTooLarge):
        photos.decode_photo(image_bytes=out.getvalue())
    response = nurse_client.post("/api/v1/bedside/decode", files={"image": ("photo.png", out.getvalue(), "image/png")})
    assert response.status_code == 413 and response.json()["error"] == "photo.too_large"
