"""The fonts of the printed records: shipped inside the package with their licences, covering what the API accepts
in the printed fields (Latin-1, Hangul, the symbols of records), and a visible, logged code point for the rest."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import pytest
from document_builders import folded, pages

import batchtrack
from batchtrack.documents import fonts
from batchtrack.documents.layout import RecordPdf, Running, Sizes

SIZES = Sizes(orientation="portrait", margin=12.0, body_pt=9.0, small_pt=7.5, table_line=3.6, table_padding=0.8)
LATIN_1 = [chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x100))]
HANGUL_SYLLABLES = [chr(c) for c in range(0xAC00, 0xD7A4)]
COMPATIBILITY_JAMO = [chr(c) for c in range(0x3131, 0x318F)]
# Units, powers, dashes, quotes, comparisons and marks that records and their printouts use.
SYMBOLS = ("\u00b5 \u03bc \u00d7 \u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b \u2013 \u2014 "
           "\u2018\u2019\u201c\u201d \u2026 \u2265 \u2264 \u2212 \u00b1 \u00b0 \u2103 \u00b7 \u2022 \u2192 "
           "\u2713 \u2717 \u2116 \u20ac")


def _document() -> RecordPdf:
    return RecordPdf(SIZES, Running(title="Fonts", note="test", footer="footer"), document_title="Fonts")


def test_the_fonts_ship_inside_the_package_with_their_licences() -> None:
    package = Path(batchtrack.__file__).resolve().parent
    assert fonts.FONT_DIR.is_relative_to(package), "a wheel install carries the package folder, nothing beside it"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "NanumSquareR.ttf",
                 "NanumSquareB.ttf"):
        assert (fonts.FONT_DIR / name).stat().st_size > 100_000, name
    assert "SIL OPEN FONT LICENSE" in (fonts.FONT_DIR / "OFL-Nanum.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in (fonts.FONT_DIR / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")


def test_latin_1_every_hangul_syllable_and_the_symbols_of_records_are_printable_in_every_style() -> None:
    covered = _document().covered
    wanted = [*LATIN_1, *HANGUL_SYLLABLES, *COMPATIBILITY_JAMO, *SYMBOLS.replace(" ", "")]
    assert [f"U+{ord(c):04X}" for c in wanted if ord(c) not in covered] == []


def test_hangul_latin_and_symbols_print_and_read_back_in_every_style() -> None:
    pdf = _document()
    # One syllable in 23 across the whole block, the first and the last: each drawn from the Hangul face.
    hangul = "".join(HANGUL_SYLLABLES[::23]) + HANGUL_SYLLABLES[-1]
    latin = "".join(c for c in LATIN_1 if not c.isspace())
    for style in ("", "B", "I"):
        pdf.paragraph(f"{hangul} {latin} {SYMBOLS}", style=style)
    text = folded(pdf.document())
    expected = "".join(f"{hangul}{latin}{SYMBOLS}".split())
    assert text.count(expected) == 3


def test_decomposed_hangul_is_printed_as_its_syllables() -> None:
    name = "\ud64d\uae38\ub3d9"  # Hong Gil-dong, as a keyboard on another system may send it: jamo by jamo
    pdf = _document()
    pdf.paragraph(unicodedata.normalize("NFD", name))
    assert name in pages(pdf.document())[0]


def test_a_character_no_font_has_prints_as_its_code_point_and_is_logged_without_the_text(
    caplog: pytest.LogCaptureFixture
) -> None:
    pdf = _document()
    pdf.paragraph("Reaction noted by the patient \U0001f642 and \u0f40, nothing else.")
    with caplog.at_level(logging.WARNING, logger="batchtrack.documents"):
        data = pdf.document()
    assert "patient <U+1F642> and <U+0F40>, nothing else." in pages(data)[0]
    [record] = [r for r in caplog.records if r.name.startswith("batchtrack.documents")]
    assert "U+0F40, U+1F642" in record.getMessage()
    assert "patient" not in record.getMessage()
