"""Reading barcodes from a photo, for clinics without a scanner: the decoded text goes through the same
scan pipeline as a scanner's."""

from __future__ import annotations

import io
import warnings

import zxingcpp
from PIL import Image, UnidentifiedImageError

from batchtrack.errors import BadRequest, BatchtrackError
from batchtrack.i18n.text import _
from batchtrack.identifiers import isbt

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
MAX_PHOTO_SIDE = 65_535  # the barcode reader refuses a wider or taller image
FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"})


class PhotoTooLarge(BatchtrackError):
    """The uploaded photo is larger than the server decodes."""

    status_code = 413
    default_code = "photo.too_large"


def _open(image_bytes: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(image_bytes))
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError, OSError,
            ValueError) as exc:
        raise BadRequest(_("the upload is not an image we can read (take the photo as JPEG or PNG)"),
                         code="photo.not_an_image") from exc
    if image.format not in FORMATS:
        raise BadRequest(_("{format} images are not read here: take the photo as JPEG or PNG",
                           format=image.format or _("this")), code="photo.format")
    # Checked from the header, before the pixels are decoded into memory.
    if image.width * image.height > MAX_PHOTO_PIXELS:
        raise PhotoTooLarge(_("the photo has {megapixels} megapixels; at most {limit} are read: take it at a lower "
                              "resolution", megapixels=format(image.width * image.height / 1e6, ".0f"),
                              limit=MAX_PHOTO_PIXELS // 1_000_000))
    if max(image.width, image.height) > MAX_PHOTO_SIDE:
        raise PhotoTooLarge(_("the photo is {width} x {height} pixels; a side may be at most {limit}: take it at a "
                              "lower resolution", width=image.width, height=image.height, limit=MAX_PHOTO_SIDE))
    return image


def decode_photo(*, image_bytes: bytes) -> list[str]:
    """Every barcode zxing-cpp finds in the photo, as text, in the order found (duplicates once)."""
    if not image_bytes:
        raise BadRequest(_("no photo was uploaded"), code="photo.empty")
    if len(image_bytes) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge(_("the photo is {size} MB; at most {limit} MB are read: take it at a lower resolution",
                              size=format(len(image_bytes) / 1024 / 1024, ".1f"),
                              limit=MAX_PHOTO_BYTES // 1024 // 1024))
    image = _open(image_bytes)
    try:
        grey = image.convert("L")
    except (OSError, ValueError) as exc:
        raise BadRequest(_("the image is damaged or truncated: take the photo again"), code="photo.damaged") from exc
    texts: list[str] = []
    for result in zxingcpp.read_barcodes(grey):
        if result.text and result.text not in texts:
            texts.append(result.text)
    return texts


def best_for_wristband(texts: list[str]) -> str | None:
    """Of a photo's barcodes, the one a wristband scan means: a COI identifier, else the first one read."""
    return next((t for t in texts if t.startswith(isbt.DI_COI)), texts[0] if texts else None)


def best_for_bag(texts: list[str]) -> str | None:
    """Of a photo's barcodes, the one that names a bag: the label's 2-D compound message, else the first read."""
    return next((t for t in texts if t.startswith(isbt.DI_COMPOUND)), texts[0] if texts else None)
