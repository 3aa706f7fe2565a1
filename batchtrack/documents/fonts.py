"""The typefaces of the printed records, shipped inside the package (see fontfiles/README.txt).

DejaVu Sans prints Latin-1 and the symbols records use (micro sign, multiplication sign, superscript digits,
dashes, comparison signs, check mark); NanumSquare is its fallback for Hangul (syllables, compatibility jamo) and
KS X 1001 Hanja. A character neither has is printed as its code point
(`<U+1F600>`), so the printout still says what was recorded, and the document logs it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import TTFFont

FONT_DIR = Path(__file__).resolve().parent / "fontfiles"
FAMILY = "batchtrack-text"
FALLBACK_FAMILY = "batchtrack-hangul"
_TEXT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
_FALLBACK_FILES = {"": "NanumSquareR.ttf", "B": "NanumSquareB.ttf"}
# Characters that are layout, not glyphs: a line break is kept as one; a tab is written as a space.
_LINE_BREAK = "\n"
_WHITESPACE = str.maketrans({"\t": " ", "\r": None, "\u2028": "\n", "\u2029": "\n"})


def register(pdf: FPDF) -> frozenset[int]:
    """Add the shipped typefaces to `pdf`, Hangul as the fallback; return the code points every style prints."""
    for style, name in _TEXT_FILES.items():
        pdf.add_font(FAMILY, style, str(FONT_DIR / name))
    for style, name in _FALLBACK_FILES.items():
        pdf.add_font(FALLBACK_FAMILY, style, str(FONT_DIR / name))
    # Not exact: italic text borrows the upright Hangul face rather than losing its Hangul.
    pdf.set_fallback_fonts([FALLBACK_FAMILY], exact_match=False)
    fallback = _code_points(pdf, FALLBACK_FAMILY, _FALLBACK_FILES)
    # What bold or italic text cannot print is not printable anywhere: the same text may be shown in any style.
    return frozenset.intersection(*(_code_points(pdf, FAMILY, [style]) | fallback for style in _TEXT_FILES))


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
