"""The fonts are read and measured once per process and shared by every document, and a server makes one record at
a time: many records printed at once cost one parse of each font, not one per record in flight, and no record
changes what another embeds."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from document_builders import folded, font_parses
from fpdf import fonts as fpdf_fonts
from pypdf import PdfReader

from batchtrack.documents import fonts
from batchtrack.documents.layout import RecordPdf, Running, Sizes, one_at_a_time

SIZES = Sizes(orientation="portrait", margin=12.0, body_pt=9.0, small_pt=7.5, table_line=3.6, table_padding=0.8)


def _record(text: str) -> bytes:
    pdf = RecordPdf(SIZES, Running(title="Shared fonts", note="test", footer="footer"), document_title="Fonts")
    pdf.paragraph(text)
    pdf.paragraph(text, style="B")
    return pdf.document()


def _embedded_glyphs(data: bytes) -> dict[str, int]:
    """Each embedded font's name and how many glyphs its subset has."""
    from io import BytesIO

    from fontTools.ttLib import TTFont

    glyphs: dict[str, int] = {}
    for page in PdfReader(BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            stream = descendant["/FontDescriptor"]["/FontFile2"].get_data()
            glyphs[str(descendant["/BaseFont"])] = len(TTFont(BytesIO(stream)).getGlyphOrder())
    return glyphs


def test_each_font_file_is_parsed_once_however_many_records_are_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    _record("warm up: every face measured 환자")
    parsed = font_parses(monkeypatch)
    for number in range(3):
        assert "환자" in folded(_record(f"record {number} 환자 홍길동"))
    assert parsed == []


def test_a_record_embeds_only_its_own_glyphs_and_the_next_one_still_has_the_whole_font() -> None:
    # fpdf2 cuts a font down to the glyphs a document used when it writes it: were the parsed font itself shared,
    # the first record written would leave the next with only the first's glyphs.
    first = _record("aaaa 가")
    second = _record("Zebra quartz 쀍 뷁 홍길동")
    assert "Zebraquartz쀍뷁홍길동" in folded(second)
    small, larger = _embedded_glyphs(first), _embedded_glyphs(second)
    assert sum(small.values()) < sum(larger.values())
    assert all(count < 60 for count in larger.values()), larger  # subsets, not the whole fonts


def test_records_printed_on_many_threads_each_read_back_their_own_text() -> None:
    syllables, symbols = "\uac00\ub098\ub2e4\ub77c\ub9c8\ubc14\uc0ac", ("\u03b1\u03b2\u03b3", "\u00b5\u00d7")
    texts = [f"record {number}: {syllables[number % 7]} {symbols[number % 2]}" for number in range(12)]
    with ThreadPoolExecutor(6) as pool:
        printed = list(pool.map(_record, texts))
    for text, data in zip(texts, printed, strict=True):
        assert "".join(text.split()) in folded(data)


def test_a_font_keeps_per_document_only_what_fpdf2_changes_while_a_document_is_written() -> None:
    # Written against fpdf2 2.8: a release that adds state to a font must be looked at before it is shared.
    shared = set(fpdf_fonts.TTFFont.__slots__) - fonts.PER_DOCUMENT_SLOTS
    assert shared == {"type", "name", "desc", "glyph_ids", "sp", "ss", "up", "ut", "ttffile", "fontkey", "emphasis",
                      "scale", "cmap", "color_font", "unicode_range", "palette_index", "is_compressed", "is_cff",
                      "is_cid_keyed", "is_symbol", "cff_ros", "collection_font_number"}
    one = RecordPdf(SIZES, Running(title="a", note="b", footer="c"), document_title="a")
    two = RecordPdf(SIZES, Running(title="a", note="b", footer="c"), document_title="a")
    for key, font in one.fonts.items():
        other = two.fonts[key]
        assert isinstance(font, fpdf_fonts.TTFFont) and isinstance(other, fpdf_fonts.TTFFont)
        assert font.cmap is other.cmap
        assert font.subset is not other.subset and font.ttfont is not other.ttfont and font.cw is not other.cw


def test_records_are_made_one_at_a_time_in_a_process() -> None:
    inside = 0
    most = 0
    lock = threading.Lock()

    @one_at_a_time
    def render(number: int) -> bytes:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)
        with lock:
            inside -= 1
        return bytes([number])

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(render, range(16))) == [bytes([n]) for n in range(16)]
    assert most == 1



def _embedded_fonts(data: bytes) -> list[str]:
    """The name of every font the PDF file embeds, referred to by a page or not (fpdf2 writes their dictionaries
    uncompressed), without the subset prefix."""
    composite = re.findall(rb"<<\s*/BaseFont /([^\s/>]+)\s*/DescendantFonts", data)
    return sorted(name.decode().split("+", 1)[-1] for name in composite)


def test_a_record_embeds_only_the_faces_it_prints_in() -> None:
    # fpdf2 embeds every font a document holds; cutting each down is most of the time a record takes to be written.
    latin = _record("A record in Latin letters only")
    assert _embedded_fonts(latin) == ["DejaVuSansBold", "DejaVuSansBook"]
    hangul = _record("환자 김수아")
    assert "환자김수아" in folded(hangul)
    assert _embedded_fonts(hangul) == ["DejaVuSansBold", "DejaVuSansBook", "NanumSquare", "NanumSquareBold"]
