"""PNG raster (Pillow) at a chosen resolution, one bit per pixel, for screens and as the reference image.

Text is drawn in the monospaced label font, or in NanumSquare when it holds Hangul (see hangul_face).
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

from PIL import Image, ImageDraw, ImageFont

from batchtrack.i18n.text import _
from batchtrack.labels import content as label_content
from batchtrack.labels import hangul_face, symbols
from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import BoxElement, Layout, dots, text_origin

DEFAULT_DPI = 300
_MIN_DPI, _MAX_DPI = 150, 1200
# Dark modules (1) become black pixels (0) in an 8-bit image that is then enlarged without smoothing.
_MODULE_PIXELS = bytes.maketrans(b"\x00\x01", b"\xff\x00")

_THRESHOLD = [0] * 128 + [255] * 128

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=1)
def _font_file() -> str | None:
    # The monospaced face python-barcode ships: a declared dependency, so every installation has it.
    candidate = resources.files("barcode") / "fonts" / "DejaVuSansMono.ttf"
    return str(candidate) if candidate.is_file() else None


@lru_cache(maxsize=128)
def _font(pixels: int) -> Font:
    path = _font_file()
    return ImageFont.truetype(path, pixels) if path else ImageFont.load_default(pixels)


@lru_cache(maxsize=32)
def _base(layout: Layout, dpi: int) -> Image.Image:
    """The parts of a label that do not change per label (frames, rules), drawn once per layout and dpi."""
    image = Image.new("1", (dots(layout.width_mm, dpi), dots(layout.height_mm, dpi)), 1)
    draw = ImageDraw.Draw(image)
    for element in layout.elements:
        if isinstance(element, BoxElement):
            for x, y, w, h in element.ink():
                x0, y0 = dots(x, dpi), dots(y, dpi)
                x1, y1 = max(x0 + 1, dots(x + w, dpi)), max(y0 + 1, dots(y + h, dpi))
                draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=0)
    return image


@lru_cache(maxsize=512)
def _text_mask(text: str, pixels: int, bold: bool) -> tuple[Image.Image, int, int]:
    """`text` rendered once as a 1-bit mask, with its offset from the left end of the baseline."""
    # Statements, captions, facility and product names repeat on every label of a run: drawing them once
    # keeps raster output fast.
    font = _font(pixels)
    stroke = max(1, pixels // 30) if bold else 0
    left, top, right, bottom = (int(v) for v in font.getbbox(text, anchor="ls", stroke_width=stroke))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text(
        (-left, -top), text, font=font, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255
    )
    return mask.point(_THRESHOLD, "1"), left, top


def _paste_symbol(image: Image.Image, symbol: symbols.Symbol, at: symbols.Placement) -> None:
    pixels = b"".join(symbol.rows).translate(_MODULE_PIXELS)
    modules = Image.frombytes("L", (symbol.width, symbol.height), pixels)
    height = at.bar_height if symbol.linear else symbol.height * at.module
    enlarged = modules.resize((symbol.width * at.module, height), Image.Resampling.NEAREST)
    image.paste(enlarged.convert("1", dither=Image.Dither.NONE), (at.x, at.y))


def render_image(layout: Layout, content: LabelContent, dpi: int = DEFAULT_DPI) -> Image.Image:
    """One label as a 1-bit Pillow image at `dpi`."""
    if not _MIN_DPI <= dpi <= _MAX_DPI:
        raise symbols.SymbolError(_("raster output is made at {low}-{high} dpi, not {dpi}", low=_MIN_DPI,
                                    high=_MAX_DPI, dpi=dpi), code="label.dpi")
    texts = label_content.bound_texts(layout, content)
    barcodes = label_content.bound_barcodes(layout, content)
    image = _base(layout, dpi).copy()
    draw = ImageDraw.Draw(image)
    for bound in texts:
        element = bound.element
        if element.boxed:
            x0, y0 = dots(element.x, dpi), dots(element.y, dpi)
            x1, y1 = dots(element.x + element.width, dpi), dots(element.y + element.height, dpi)
            draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=0, width=max(1, dots(0.25, dpi)))
        x, baseline = text_origin(element, bound.text, bound.size)
        pixels = max(1, dots(bound.size, dpi))
        if hangul_face.needs_face(bound.text):
            mask, left, top = hangul_face.text_mask(bound.text, pixels, element.bold)
        else:
            mask, left, top = _text_mask(bound.text, pixels, element.bold)
        image.paste(0, (dots(x, dpi) + left, dots(baseline, dpi) + top), mask)
    for barcode, data in barcodes:
        symbol = symbols.make_symbol(barcode.symbology, data)
        _paste_symbol(image, symbol, symbols.place(barcode, symbol, dpi))
    return image


def render_png(layout: Layout, content: LabelContent, dpi: int = DEFAULT_DPI) -> bytes:
    """One label as PNG bytes at `dpi` (default 300), with the resolution recorded in the file."""
    buffer = io.BytesIO()
    render_image(layout, content, dpi).save(buffer, format="PNG", dpi=(dpi, dpi), compress_level=1)
    return buffer.getvalue()
