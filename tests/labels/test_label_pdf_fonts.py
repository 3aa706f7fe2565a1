"""A label PDF with a Hangul name shares the Hangul face the printed records parsed, instead of parsing the font file
again for each label: printing many labels costs one parse of each face per process, and each label still embeds
the face and reads back the name."""

from __future__ import annotations

import io

import pytest
from document_builders import font_parses
from pypdf import PdfReader

from batchtrack import labels
from batchtrack.labels import content as label_content


def test_label_pdfs_with_a_hangul_name_parse_the_hangul_face_once_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hangul = label_content.preview_content(hangul=True)
    labels.render_label("final_product", hangul, "pdf")  # warm up: the faces are measured once
    parsed = font_parses(monkeypatch)
    for kind in ("final_product", "bedside_tag", "final_product"):
        pdf = PdfReader(io.BytesIO(labels.render_label(kind, hangul, "pdf")))
        assert "홍길동" in pdf.pages[0].extract_text()
        embedded = {str(font.get_object()["/BaseFont"]) for font in pdf.pages[0]["/Resources"]["/Font"].values()}
        assert any("NanumSquare" in name for name in embedded), embedded
    assert parsed == []


def test_a_label_without_hangul_embeds_no_hangul_face() -> None:
    latin = label_content.preview_content(hangul=False)
    pdf = PdfReader(io.BytesIO(labels.render_label("final_product", latin, "pdf")))
    embedded = {str(font.get_object()["/BaseFont"]) for font in pdf.pages[0]["/Resources"]["/Font"].values()}
    assert not any("NanumSquare" in name for name in embedded), embedded
