"""The typefaces of the printed records, shipped inside the package (see fontfiles/README.txt).

DejaVu Sans prints Latin-1 and the symbols records use (micro sign, multiplication sign, superscript digits,
dashes, comparison signs, check mark); NanumSquare is its fallback for Hangul (syllables, compatibility jamo) and
KS X 1001 Hanja. A character neither has is printed as its code point
(`<U+1F600>`), so the printout still says what was recorded, and the document logs it.

Each typeface is read and measured once per process (its character map and advance widths, which take most of a
document's time and memory when parsed afresh), then shared by every document: a document gets its own copy of
what changes while it is written (the glyphs it uses, the characters it missed) and its own unparsed copy of the
font file, which fpdf2 cuts down to those glyphs and embeds when the document is written. A server printing many
records at once parses each font file once, not once for each record in flight.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import PDFResourceType
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).resolve().parent / "fontfiles"
FAMILY = "batchtrack-text"
FALLBACK_FAMILY = "batchtrack-hangul"
_TEXT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
_FALLBACK_FILES = {"": "NanumSquareR.ttf", "B": "NanumSquareB.ttf"}
# Characters that are layout, not glyphs: a line break is kept as one; a tab is written as a space.
_LINE_BREAK = "\n"
_WHITESPACE = str.maketrans({"\t": " ", "\r": None, "\u2028": "\n", "\u2029": "\n"})


# What a document changes in a font while it is written; everything else fpdf2 (2.8) keeps on a font is read only
# once the font is parsed, and is shared between documents (tests/documents/test_fonts.py checks the list).
PER_DOCUMENT_SLOTS = frozenset({"i", "cw", "missing_glyphs", "subset", "biggest_size_pt", "_hbfont", "ttfont"})


@dataclass(frozen=True, slots=True)
class _Face:
    """One typeface, parsed once: the font file's bytes, the font as fpdf2 measured it (without its tables), and
    its glyph names in order."""

    data: bytes
    measured: TTFFont
    # A font without glyph names of its own (NanumSquare's `post` table has none) has them made up from its
    # character map, which is about half the time of cutting the font down for a document: made once here.
    glyph_order: tuple[str, ...]


_faces: dict[tuple[str, str], _Face] = {}
_faces_lock = threading.Lock()
_covered: list[frozenset[int]] = []


def _face(family: str, style: str, name: str) -> _Face:
    with _faces_lock:
        face = _faces.get((family, style))
        if face is None:
            path = FONT_DIR / name
            scratch = FPDF()
            scratch.add_font(family, style, str(path))
            measured = scratch.fonts[f"{family.lower()}{style}"]
            assert isinstance(measured, TTFFont)
            glyph_order = tuple(measured.ttfont.getGlyphOrder())
            measured.ttfont.close()
            del measured.ttfont  # parsed tables: each document reads its own copy of the file when written
            face = _faces[(family, style)] = _Face(path.read_bytes(), measured, glyph_order)
        return face


def _font_for(pdf: FPDF, face: _Face) -> TTFFont:
    """A font of `pdf` sharing what `face` measured, with what a document changes its own."""
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:
        if slot not in PER_DOCUMENT_SLOTS and hasattr(face.measured, slot):
            setattr(font, slot, getattr(face.measured, slot))
    font.i = len(pdf.fonts) + 1
    font.cw = face.measured.cw.copy()  # a default dictionary: reading a character it lacks adds the character
    font.missing_glyphs = []
    font.subset = SubsetMap(font)
    font.biggest_size_pt = 0
    font._hbfont = None
    font.ttfont = ttLib.TTFont(BytesIO(face.data), recalcTimestamp=False, lazy=True)
    font.ttfont.setGlyphOrder(list(face.glyph_order))
    return font


def register(pdf: FPDF) -> frozenset[int]:
    """Add the shipped typefaces to `pdf`, Hangul as the fallback; return the code points every style prints."""
    for family, files in ((FAMILY, _TEXT_FILES), (FALLBACK_FAMILY, _FALLBACK_FILES)):
        for style, name in files.items():
            pdf.fonts[f"{family.lower()}{style}"] = _font_for(pdf, _face(family, style, name))
    # Not exact: italic text borrows the upright Hangul face rather than losing its Hangul.
    pdf.set_fallback_fonts([FALLBACK_FAMILY], exact_match=False)
    if not _covered:
        fallback = _code_points(pdf, FALLBACK_FAMILY, _FALLBACK_FILES)
        # What bold or italic text cannot print is not printable anywhere: the same text may be shown in any style.
        _covered.append(frozenset.intersection(*(_code_points(pdf, FAMILY, [style]) | fallback
                                                 for style in _TEXT_FILES)))
    return _covered[0]


def add_hangul(pdf: FPDF, style: str) -> str:
    """Add the Hangul face in `style` ("" or "B") to `pdf` unless it has it, sharing the parsed face; return its
    family. For documents that set their own text font and need Hangul only where a text holds it (labels)."""
    key = f"{FALLBACK_FAMILY.lower()}{style}"
    if key not in pdf.fonts:  # fpdf2 embeds every font a document holds, used or not: added on first use only
        pdf.fonts[key] = _font_for(pdf, _face(FALLBACK_FAMILY, style, _FALLBACK_FILES[style]))
    return FALLBACK_FAMILY


def drop_unused(pdf: FPDF) -> int:
    """Take out of `pdf` the faces no page sets (call it just before the document is written); return how many.

    fpdf2 embeds every font a document holds, used or not, and cutting a font down to its glyphs is most of the
    time a printed record takes to be written: a record without Hangul, or without italics, should not pay for
    those faces. A face is dropped only if no page's resources name it, so nothing written refers to it.
    """
    catalog = pdf._resource_catalog  # fpdf2 (2.8) keeps here which fonts each page sets
    used = {index for (_page, kind), indices in catalog.resources_per_page.items()
            if kind is PDFResourceType.FONT for index in indices}
    unused = [key for key, font in pdf.fonts.items() if isinstance(font, TTFFont) and font.i not in used]
    for key in unused:
        del pdf.fonts[key]
    return len(unused)


def select(pdf: FPDF, style: str, size: float) -> None:
    """Write what follows in the text face, in `style` and `size`: call it before each line written by `cell()`.

    fpdf2 (2.8) loses track of the font the page really has in two cases: after a line that starts with a
    character only the fallback has (Hangul), it keeps the fallback as the current font; and a measuring
    (`dry_run`) multi_cell marks the font as already set on the page though nothing was written. The next line
    would then be drawn in the wrong face (bold, or one without Latin accents). Selecting the face again and
    marking it unset makes fpdf2 write it out before the line.
    """
    pdf.set_font(FAMILY, style, size)
    pdf.current_font_is_set_on_page = False


def _code_points(pdf: FPDF, family: str, styles: Iterable[str]) -> frozenset[int]:
    points: set[int] = set()
    for style in styles:
        font = pdf.fonts[f"{family.lower()}{style}"]
        assert isinstance(font, TTFFont)
        points.update(font.cmap)
    return frozenset(points)


def normalized(value: object) -> str:
    """The text as it is printed: composed (NFC, so decomposed Hangul prints as syllables), tabs as spaces."""
    return unicodedata.normalize("NFC", str(value).replace("\r\n", "\n")).translate(_WHITESPACE)


def unprintable(text: str, covered: frozenset[int]) -> set[int]:
    """The code points of `text` (already normalized) that no shipped font prints."""
    return {ord(c) for c in text if c != _LINE_BREAK and ord(c) not in covered}


def printable(text: str, covered: frozenset[int]) -> str:
    """`text` (already normalized) with each character no font prints written as its code point, `<U+XXXX>`."""
    return "".join(c if c == _LINE_BREAK or ord(c) in covered else f"<U+{ord(c):04X}>" for c in text)
