"""NanumSquare, the face a label prints Hangul in (the recipient's name as written), in every output format.

The label font (DejaVu Sans Mono on screen, Courier in PDF, font 0 on a Zebra) prints Latin-1 only. A text holding
anything else is set in NanumSquare, shipped unmodified in `batchtrack/documents/fontfiles` (SIL OFL, see the
README there) and loaded from there. The one font file gives the widths that fit a text to its field, the glyph
outlines the SVG draws, the raster of the PNG and of the ZPL graphic field, and the font the PDF embeds, so every
output prints the same shapes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.pens.recordingPen import RecordingPen
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from batchtrack.documents.fonts import FONT_DIR

FAMILY = "NanumSquare"
_FILES = {False: "NanumSquareR.ttf", True: "NanumSquareB.ttf"}
# What the label font prints: printable Latin-1.
_LATIN1 = re.compile(r"[\x20-\x7e\xa0-\xff]*")
_THRESHOLD = [0] * 128 + [255] * 128
# fontTools reads a lazily loaded font's tables on first use, which is not safe from two threads at once.
_outline_lock = threading.Lock()


def font_path(bold: bool) -> Path:
    """The font file of the regular or bold face."""
    return FONT_DIR / _FILES[bold]


def needs_face(text: str) -> bool:
    """True when `text` holds a character the label font cannot print, so it is set in NanumSquare."""
    return not _LATIN1.fullmatch(text)


@dataclass(frozen=True, slots=True)
class _Metrics:
    """What one face tells about its glyphs: the character map, advance widths and outlines."""

    units_per_em: int
    glyph_of: dict[int, str]
    advance: dict[str, int]
    font: TTFont


@lru_cache(maxsize=2)
def _metrics(bold: bool) -> _Metrics:
    # Read once per process and face: the character map and advances are what every fitted line needs.
    font = TTFont(str(font_path(bold)), lazy=True)
    glyph_of = dict(font.getBestCmap())
    advance = {name: width for name, (width, _) in font["hmtx"].metrics.items()}
    return _Metrics(font["head"].unitsPerEm, glyph_of, advance, font)


def prints(text: str) -> bool:
    """True when NanumSquare has a glyph for every character of `text` and none is a control character."""
    glyph_of = _metrics(False).glyph_of
    return all(ord(c) in glyph_of and not unicodedata.category(c).startswith("C") for c in text)


def advance_em(text: str, bold: bool) -> float:
    """The advance width of `text` in em (a character the face lacks counts as one em)."""
    metrics = _metrics(bold)
    units = 0
    for char in text:
        glyph = metrics.glyph_of.get(ord(char))
        units += metrics.advance[glyph] if glyph is not None else metrics.units_per_em
    return units / metrics.units_per_em


@lru_cache(maxsize=4096)
def _glyph_outline(glyph: str, bold: bool) -> RecordingPen:
    pen = RecordingPen()
    with _outline_lock:
        _metrics(bold).font.getGlyphSet()[glyph].draw(pen)
    return pen


def _mm(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=1024)
def svg_outline(text: str, size: float, bold: bool) -> str:
    """Path data (mm) of `text` set at `size` mm, starting at the left end of the baseline at (0, 0)."""
    metrics = _metrics(bold)
    scale = size / metrics.units_per_em
    out = SVGPathPen(None, ntos=_mm)
    pen_x = 0.0
    for char in text:
        glyph = metrics.glyph_of.get(ord(char), ".notdef")
        # Font units have y up; SVG has y down.
        _glyph_outline(glyph, bold).replay(TransformPen(out, (scale, 0, 0, -scale, pen_x, 0)))
        pen_x += metrics.advance[glyph] * scale
    commands: str = out.getCommands()
    return commands


@lru_cache(maxsize=64)
def _raster_font(pixels: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold)), pixels)


@dataclass(frozen=True, slots=True)
class _Glyph:
    """One character drawn once at one size: its 1-bit mask (None: no ink), offset from the pen, and advance."""

    mask: Image.Image | None
    left: int
    top: int
    advance: float


@lru_cache(maxsize=4096)
def _glyph(char: str, pixels: int, bold: bool) -> _Glyph:
    font = _raster_font(pixels, bold)
    left, top, right, bottom = (int(v) for v in font.getbbox(char, anchor="ls"))
    if right <= left or bottom <= top:
        return _Glyph(None, 0, 0, font.getlength(char))
    mask = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), char, font=font, fill=255, anchor="ls")
    return _Glyph(mask.point(_THRESHOLD, "1"), left, top, font.getlength(char))


@lru_cache(maxsize=512)
def text_mask(text: str, pixels: int, bold: bool) -> tuple[Image.Image, int, int]:
    """`text` drawn at `pixels` as a 1-bit mask (1 = ink), with its offset from the left end of the baseline.

    Each character is drawn once per size and set at its advance (NanumSquare has no kerning): a name is then
    composed from glyphs already drawn, which keeps a ZPL label with a Hangul name above 2,000 labels/s where
    drawing every name afresh gave about 1,100. Whole names are kept too (bounded), for the labels of one print run.
    """
    placed: list[tuple[int, _Glyph]] = []
    pen = 0.0
    for char in text:
        glyph = _glyph(char, pixels, bold)
        placed.append((round(pen), glyph))
        pen += glyph.advance
    inked = [(x, glyph, glyph.mask) for x, glyph in placed if glyph.mask is not None]
    if not inked:
        return Image.new("1", (1, 1), 0), 0, 0
    left = min(x + glyph.left for x, glyph, _ in inked)
    top = min(glyph.top for _, glyph, _ in inked)
    right = max(x + glyph.left + mask.width for x, glyph, mask in inked)
    bottom = max(glyph.top + mask.height for _, glyph, mask in inked)
    composed = Image.new("1", (right - left, bottom - top), 0)
    for x, glyph, mask in inked:
        composed.paste(1, (x + glyph.left - left, glyph.top - top), mask)
    return composed, left, top
