"""Every label of a lot, exported as a user exports it, read back by code that is not batchtrack's.

ZPL is drawn by an independent ZPL interpreter (zpl-renderer-js), the PDF sheet by poppler, and the barcodes are
found and decoded with libdmtx (Data Matrix) and zxing-cpp (Code 128, QR): what each label carries must be
exactly what the export's manifest says, no symbol missing, unread or extra. The recipient's name written in
Hangul, printed as a graphic, is compared by its ink with the name drawn from the font; the PDF's text is read
back with pypdf.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from labels.independent import name_compare, pdf_sheet, zpl_fields, zpl_renderer
from labels.independent.barcode_readers import expected, read_all, two_dimensional
from labels.independent.lot_exports import LABELS, Export, NewLot, PartsOf
from PIL import Image

from batchtrack import labels
from batchtrack.labels import content as label_content
from batchtrack.labels import layouts, manifest
from batchtrack.labels.layouts import dots

# The sheet's barcodes are drawn on a 300 dpi grid (render_pdf.GRID_DPI): rasterised at that resolution, every
# module is whole pixels.
SHEET_DPI = 300
# The recipient of the lots with a Hangul name: 홍길동 ("Hong Gildong").
HANGUL = {"family": "홍", "given": "길동"}


def _entries(manifest_document: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's labels, after checking the lot has one of each of its containers."""
    entries: list[dict[str, Any]] = manifest_document["labels"]
    assert Counter(entry["template_id"] for entry in entries) == Counter(LABELS)
    return entries


@pytest.mark.parametrize("dpi", [203, 300])
def test_every_2d_symbol_of_the_lots_zpl_labels_drawn_by_an_independent_renderer_reads_as_the_manifest(
    zpl_tools: None, new_lot: NewLot, export: Export, tmp_path: Path, dpi: int
) -> None:
    # Only the Data Matrix and QR symbols: the renderer draws Code 128's switch to subset C (>5) wrongly, so the
    # Code 128 fields are read by the ZPL guide's rules in the next test.
    out, document = export(new_lot(), "zpl", dpi)
    assert document["dpi"] == dpi
    entries = _entries(document)
    drawn = zpl_renderer.render([(out / e["file"]).read_bytes() for e in entries], dpi=dpi, workdir=tmp_path / "drawn")
    for entry, image in zip(entries, drawn, strict=True):
        wanted = expected(entry["barcodes"])
        assert two_dimensional(read_all(image, wanted)) == two_dimensional(wanted), entry["file"]


def test_every_code128_field_of_the_lots_zpl_labels_means_the_manifests_data_by_the_zpl_guide(
    new_lot: NewLot, export: Export
) -> None:
    out, document = export(new_lot(), "zpl", 203)
    for entry in _entries(document):
        fields = zpl_fields.code128_fields((out / entry["file"]).read_text(encoding="ascii"))
        meant = Counter(("code128", zpl_fields.code128_text(field)) for field in fields)
        assert meant == expected(entry["barcodes"]) - two_dimensional(expected(entry["barcodes"])), entry["file"]


def test_a_zpl_label_whose_data_matrix_holds_other_data_does_not_read_as_its_manifest(
    zpl_tools: None, tmp_path: Path
) -> None:
    layout = layouts.load_layout("final_product")
    content = label_content.preview_content()
    entry = manifest.entry(file="final_product.zpl", layout=layout, content=content)
    data = entry.barcodes["compound_datamatrix"]["data"]
    zpl = labels.render(layout, content, "zpl", 203).decode("ascii")
    assert zpl.count(data) == 1
    other = data[:-1] + ("1" if data[-1] != "1" else "2")
    original, altered = zpl_renderer.render([zpl.encode("ascii"), zpl.replace(data, other).encode("ascii")], dpi=203,
                                            workdir=tmp_path)
    wanted = expected(entry.barcodes)
    assert two_dimensional(read_all(original, wanted)) == two_dimensional(wanted)
    found = read_all(altered, wanted)
    assert two_dimensional(found) != two_dimensional(wanted)
    assert found[("datamatrix", other)] == 1 and found[("datamatrix", data)] == 0


def test_a_code128_field_is_read_by_the_zpl_guides_invocation_codes() -> None:
    assert zpl_fields.code128_text(">:=G>512341765432170") == "=G12341765432170"
    assert zpl_fields.code128_text(">:&>0>50263650630") == "&>0263650630"
    assert zpl_fields.code128_text(">:&><>50263650630") == "&^0263650630"
    assert zpl_fields.code128_text(">;1234>6AB") == "1234AB"
    with pytest.raises(zpl_fields.FieldError):
        zpl_fields.code128_text(">:AB>8CD")  # FNC1 is no text


@pytest.mark.parametrize("dpi", [None, 203], ids=["default-300", "203"])
def test_every_barcode_of_the_lots_png_labels_reads_as_the_manifest(
    readers: None, new_lot: NewLot, export: Export, dpi: int | None
) -> None:
    out, document = export(new_lot(), "png", dpi)
    for entry in _entries(document):
        image = Image.open(io.BytesIO((out / entry["file"]).read_bytes()))
        assert image.info["dpi"] == pytest.approx((dpi or 300,) * 2, abs=0.01)
        assert read_all(image, expected(entry["barcodes"])) == expected(entry["barcodes"]), entry["file"]


@pytest.mark.parametrize("names", [{}, HANGUL], ids=["latin-name", "hangul-name"])
def test_every_barcode_and_text_of_the_lots_pdf_sheet_reads_as_its_labels(
    pdf_tools: None, new_lot: NewLot, export: Export, parts_of: PartsOf, tmp_path: Path, names: dict[str, str]
) -> None:
    din = new_lot(**names)
    out, document = export(din, "pdf")
    entries = _entries(document)
    [sheet] = {entry["file"] for entry in entries}
    parts = parts_of(din)
    placed = pdf_sheet.slots([(parts[e["container_id"]][0].width_mm, parts[e["container_id"]][0].height_mm)
                              for e in entries])
    pages = pdf_sheet.rasterise(out / sheet, dpi=SHEET_DPI, workdir=tmp_path / "pages")
    assert len(pages) == placed[-1].page + 1
    runs = pdf_sheet.text_runs(out / sheet)
    for entry, slot in zip(entries, placed, strict=True):
        wanted = expected(entry["barcodes"])
        assert read_all(slot.crop(pages[slot.page], SHEET_DPI), wanted) == wanted, entry["container_id"]
        layout, content = parts[entry["container_id"]]
        shown = Counter(run.text for run in runs if slot.holds(run.page, run.x, run.y))
        assert shown == Counter(bound.text for bound in label_content.bound_texts(layout, content)), layout.template_id
    assert all(any(slot.holds(run.page, run.x, run.y) for slot in placed) for run in runs)


@pytest.mark.parametrize("dpi", [203, 300])
def test_the_hangul_name_drawn_by_an_independent_renderer_is_the_name_and_one_syllable_off_is_not(
    zpl_tools: None, new_lot: NewLot, export: Export, parts_of: PartsOf, tmp_path: Path, dpi: int
) -> None:
    din = new_lot(**HANGUL)
    zpl_out, zpl_document = export(din, "zpl", dpi)
    png_out, png_document = export(din, "png", dpi)
    parts = parts_of(din)
    named = [e for e in _entries(zpl_document) if parts[e["container_id"]][1].recipient_name is not None]
    assert {e["template_id"] for e in named} == {"aspirate_bag", "final_product"}
    drawn = zpl_renderer.render([(zpl_out / e["file"]).read_bytes() for e in named], dpi=dpi, workdir=tmp_path)
    ours = {e["container_id"]: png_out / e["file"] for e in png_document["labels"]}
    for entry, image in zip(named, drawn, strict=True):
        wanted = expected(entry["barcodes"])
        assert two_dimensional(read_all(image, wanted)) == two_dimensional(wanted), entry["file"]
        layout, content = parts[entry["container_id"]]
        [name] = [b for b in label_content.bound_texts(layout, content) if b.element.content == "recipient_name"]
        assert name.text == "홍길동"
        pixels = max(1, dots(name.size, dpi))
        right = name_compare.drawn(name.text, pixels=pixels, bold=name.element.bold)
        wrong = name_compare.drawn(name_compare.one_syllable_off(name.text), pixels=pixels, bold=name.element.bold)
        png = Image.open(io.BytesIO(ours[entry["container_id"]].read_bytes()))
        for printed in (image, png):
            field = name_compare.field(printed, name.element, dpi)
            scores = [name_compare.difference(field, candidate, len(name.text)) for candidate in (right, wrong)]
            assert scores[0] < name_compare.THRESHOLD <= scores[1], (entry["file"], scores)
