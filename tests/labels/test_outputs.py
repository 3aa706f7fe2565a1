"""ZPL, SVG and PDF carry the same data and the same eye-readable identity as the decoded raster."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from pypdf import PdfReader

from batchtrack import labels
from batchtrack.identifiers import din as din_ids
from batchtrack.labels import content as label_content
from batchtrack.labels import layouts, manifest
from batchtrack.labels.content import AUTOLOGOUS_USE, DIRECTED_USE, LabelContent

SVG = "{http://www.w3.org/2000/svg}"
_FIELD = re.compile(r"\^(BC|BX|BQ|A0)[^\^]*(?:\^FB[^\^]*)?(\^FH_)?\^FD(.*?)\^FS")


def _unhex(text: str) -> str:
    """Undo ^FH_ escaping: _XX is one byte, and the bytes are UTF-8 (^CI28)."""
    raw = re.sub(rb"_([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("ascii"))
    return raw.decode("utf-8")


def _zebra_code128(field: str) -> str:
    """^BC mode-N field data as the printer reads it: >: etc. start codes, >5/>6/>7 shifts, >0 for '>'."""
    subset = {">9": "A", ">:": "B", ">;": "C"}[field[:2]]
    out, i = [], 2
    while i < len(field):
        if field[i] == ">":
            code = field[i + 1]
            out.append(">" if code == "0" else "")
            subset = {"5": "C", "6": "B", "7": "A"}.get(code, subset)
            i += 2
        elif subset == "C":
            out.append(field[i : i + 2])
            i += 2
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _zpl_fields(zpl: str) -> tuple[list[str], list[str]]:
    """(barcode data, text lines) as a Zebra printer would encode and print them."""
    barcodes, texts = [], []
    for command, hexed, data in _FIELD.findall(zpl):
        value = _unhex(data) if hexed else data
        if command == "BC":
            barcodes.append(_zebra_code128(value))
        elif command == "BQ":
            assert value.startswith("MA,")
            barcodes.append(value[3:])
        elif command == "BX":
            barcodes.append(value)
        else:
            texts.append(value)
    return barcodes, texts


def _manifest_data(kind: str, content: LabelContent) -> Counter[str]:
    entry = manifest.entry(file="x", layout=layouts.load_layout(kind), content=content)
    return Counter(barcode["data"] for barcode in entry.barcodes.values())


def _identity(content: LabelContent) -> list[str]:
    texts = label_content.text_values(content)
    return [str(texts["recipient_name"]), str(texts["recipient_dob"])]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("kind", layouts.KINDS)
def test_zpl_carries_each_barcodes_data(kind: str, dpi: int, demo: LabelContent) -> None:
    zpl = labels.render_label(kind, demo, "zpl", dpi).decode("ascii")
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert zpl.count("^XA") == zpl.count("^XZ") == 1
    barcodes, _ = _zpl_fields(zpl)
    assert Counter(barcodes) == _manifest_data(kind, demo)
    # The bar width is the X-dimension in whole dots: 2 at 203 dpi, 3 at 300 dpi for 0.25 mm.
    assert set(re.findall(r"\^BY(\d+)", zpl)) <= {"2" if dpi == 203 else "3"}


def test_zpl_escapes_characters_that_would_end_a_field(demo: LabelContent) -> None:
    tricky = LabelContent(
        **{
            **{name: getattr(demo, name) for name in demo.__dataclass_fields__},
            "facility_name": "Lab_2 ^A0 ~JA \\& caf\u00e9",
            "bedside_url": "https://example.org/b?x=1_2~3^4",
        }
    )
    zpl = labels.render_label("final_product", tricky, "zpl").decode("ascii")
    _, texts = _zpl_fields(zpl)
    assert "Lab_2 ^A0 ~JA \\& caf\u00e9" in texts
    assert "~JA" not in zpl and "^A0 ~" not in zpl
    bedside, _ = _zpl_fields(labels.render_label("bedside_tag", tricky, "zpl").decode("ascii"))
    assert "https://example.org/b?x=1_2~3^4" in bedside


def test_final_product_zpl_prints_use_statement_and_recipient(demo: LabelContent) -> None:
    _, texts = _zpl_fields(labels.render_label("final_product", demo, "zpl").decode("ascii"))
    assert demo.use_statement in texts
    for value in _identity(demo):
        assert value in texts


def test_svg_is_well_formed_and_shows_din_with_boxed_check_character(demo: LabelContent) -> None:
    for kind in layouts.KINDS:
        root = ET.fromstring(labels.render_label(kind, demo, "svg"))
        texts = {node.get("id"): node.text for node in root.iter(f"{SVG}text")}
        assert texts["din_text"] == "G1234 17 65 4321"
        assert texts["din_check"] == "A"
        assert f"{texts['din_text']} {texts['din_check']}" == din_ids.eye_readable(demo.din)
        boxes = [r for r in root.iter(f"{SVG}rect") if r.get("stroke") == "#000"]
        assert boxes, "the check character is printed in a box"
        paths = {p.get("id"): p.get("data-content") for p in root.iter(f"{SVG}path")}
        assert Counter(paths.values()) == _manifest_data(kind, demo)


def test_final_product_svg_text_has_use_statement_name_and_birth_date(demo: LabelContent) -> None:
    root = ET.fromstring(labels.render_label("final_product", demo, "svg"))
    texts = [node.text for node in root.iter(f"{SVG}text")]
    expected_use = AUTOLOGOUS_USE if demo.product_code[5] == "1" else DIRECTED_USE
    assert expected_use in texts
    assert (DIRECTED_USE if expected_use == AUTOLOGOUS_USE else AUTOLOGOUS_USE) not in texts
    for value in _identity(demo):
        assert value in texts
    assert "Penicillin and streptomycin used in manufacture" in texts


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_text_has_din_coi_use_statement_and_recipient(demo: LabelContent) -> None:
    text = _pdf_text(labels.render_label("final_product", demo, "pdf"))
    assert "G1234 17 65 4321" in text
    assert str(demo.coi) in text
    assert str(demo.use_statement) in text
    for value in _identity(demo):
        assert value in text


def test_sheet_pdf_holds_several_labels_and_adds_pages() -> None:
    autologous, directed = (label_content.preview_content(directed=d) for d in (False, True))
    items = [(kind, autologous) for kind in layouts.KINDS] + [("final_product", directed)] * 3
    reader = PdfReader(io.BytesIO(labels.render_sheet_pdf(items)))
    assert len(reader.pages) >= 2
    text = _pdf_text(labels.render_sheet_pdf(items))
    assert text.count(str(autologous.coi)) >= len(items)
    assert AUTOLOGOUS_USE in text and DIRECTED_USE in text
