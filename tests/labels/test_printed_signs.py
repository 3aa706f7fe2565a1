"""The signs numbers for people are printed with (degree, micro and multiplication signs) reach the label in every
output: the storage temperature's "°C" and a text holding "µg/mL" and "\u00d7" read back from the PDF (pypdf), stand in
the SVG's text and in the ZPL's field data (UTF-8, ^CI28, which the printer's font 0 prints). A superscript digit,
which font 0 does not print, is refused rather than printed as a wrong character."""

from __future__ import annotations

import dataclasses
import io
import re
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

from batchtrack import labels
from batchtrack.labels import content as label_content
from batchtrack.labels.content import LabelContent, LabelContentError

SIGNS = "0.1 \u00b5g/mL \u00d7 2, 2-8 \u00b0C"
STORAGE = "Store at 2-8 \u00b0C. Do not freeze."
_ZPL_TEXT = re.compile(r"\^FH_\^FD(.*?)\^FS", re.DOTALL)
_HEX = re.compile(r"(?:_[0-9A-F]{2})+")


@pytest.fixture
def signed() -> LabelContent:
    content = label_content.preview_content()
    assert content.storage_temperature == STORAGE
    return dataclasses.replace(content, facility_name=SIGNS)


def _zpl_texts(zpl: str) -> list[str]:
    """The text fields of a ZPL label, their ^FH hexadecimal (UTF-8 bytes) decoded."""
    assert "^CI28" in zpl and zpl.index("^CI28") < zpl.index("^FD")  # field data is UTF-8
    return [_HEX.sub(lambda run: bytes.fromhex(run.group().replace("_", "")).decode("utf-8"), data)
            for data in _ZPL_TEXT.findall(zpl)]


@pytest.mark.parametrize("kind", ["final_product", "aspirate_bag"])
def test_the_signs_read_back_from_the_label_pdf(kind: str, signed: LabelContent) -> None:
    text = " ".join(PdfReader(io.BytesIO(labels.render_label(kind, signed, "pdf"))).pages[0].extract_text().split())
    assert STORAGE in text and SIGNS in text


@pytest.mark.parametrize("kind", ["final_product", "aspirate_bag"])
def test_the_signs_are_the_svg_labels_text(kind: str, signed: LabelContent) -> None:
    svg = ET.fromstring(labels.render_label(kind, signed, "svg"))
    texts = ["".join(element.itertext()) for element in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert STORAGE in texts and SIGNS in texts


@pytest.mark.parametrize("dpi", [203, 300])
def test_the_signs_are_the_zpl_labels_field_data(dpi: int, signed: LabelContent) -> None:
    zpl = labels.render_label("final_product", signed, "zpl", dpi).decode("ascii")
    texts = _zpl_texts(zpl)
    assert STORAGE in texts and SIGNS in texts


def test_a_superscript_digit_the_printer_font_lacks_is_refused(signed: LabelContent) -> None:
    with pytest.raises(LabelContentError):
        dataclasses.replace(signed, facility_name="6 \u00d7 10\u2077 cells")
