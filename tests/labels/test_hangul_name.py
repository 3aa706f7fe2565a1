"""The recipient's name as written (Hangul) and romanised on final-product labels and bedside tags, in every format.

DESIGN.md section 11: both forms of the name print, as fixed fields; the date of birth reads yyyy-mm-dd; expiry and
collection times read in the site's zone with the zone named, while every barcode keeps its UTC data.
"""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageChops
from pypdf import PdfReader
from sqlmodel import col, select

from batchtrack import labels
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import isbt
from batchtrack.labels import content as label_content
from batchtrack.labels import content_builder, layouts, render_zpl
from batchtrack.labels import export as label_export
from batchtrack.labels.content import LabelContent, LabelContentError
from batchtrack.labels.content_builder import LabelSource
from batchtrack.labels.layouts import TextElement, dots, text_origin
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot
from capture_printer import CapturingPrinter

Decoder = Callable[[Image.Image], list[str]]
ClientFactory = Callable[..., tuple[TestClient, UserHandle]]

SVG = "{http://www.w3.org/2000/svg}"
HANGUL = re.compile("[\uac00-\ud7a3]")
_GRAPHIC = re.compile(r"\^FO(\d+),(\d+)\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS")
IDENTITY_LABELS = ("final_product", "bedside_tag")


@pytest.fixture
def hangul() -> LabelContent:
    """A final product for 홍길동 (HONG, Gildong), born 1980-03-05, expiring 2026-12-31 06:30 UTC."""
    return label_content.preview_content(hangul=True)


def _name_element(kind: str, field: str = "recipient_name") -> TextElement:
    element = next(e for e in layouts.load_layout(kind).elements if e.id == field)
    assert isinstance(element, TextElement)
    return element


def _graphics(zpl: str) -> list[tuple[int, int, int, Image.Image]]:
    """Each ^GFA field as (x, y, bytes per row, its dots as an image where ink is 1)."""
    found = []
    for x, y, total, total_again, row_bytes, data in _GRAPHIC.findall(zpl):
        raw = bytes.fromhex(data)
        assert int(total) == int(total_again) == len(raw) and len(raw) % int(row_bytes) == 0
        image = Image.frombytes("1", (int(row_bytes) * 8, len(raw) // int(row_bytes)), raw)
        found.append((int(x), int(y), int(row_bytes), image))
    return found


@pytest.mark.parametrize("kind", IDENTITY_LABELS)
@pytest.mark.parametrize("fmt", labels.FORMATS)
def test_a_label_with_a_hangul_name_renders_in_every_format(kind: str, fmt: labels.Format,
                                                            hangul: LabelContent) -> None:
    data = labels.render_label(kind, hangul, fmt)
    assert data.startswith({"zpl": b"^XA", "png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[fmt])


@pytest.mark.parametrize("kind", IDENTITY_LABELS)
def test_the_pdf_reads_back_the_hangul_name_the_romanised_name_and_the_iso_birth_date(
    kind: str, hangul: LabelContent
) -> None:
    pdf = PdfReader(io.BytesIO(labels.render_label(kind, hangul, "pdf")))
    text = pdf.pages[0].extract_text()
    assert "홍길동" in text and "HONG, Gildong" in text and "1980-03-05" in text
    fonts = {str(font["/BaseFont"]) for font in _fonts(pdf)}
    assert any("NanumSquare" in name for name in fonts), fonts  # embedded, not left to the printer


def _fonts(pdf: PdfReader) -> list[dict[str, object]]:
    resources = pdf.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    return [resources[name].get_object() for name in resources]  # type: ignore[index,union-attr]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("kind", IDENTITY_LABELS)
def test_the_zpl_draws_the_hangul_name_as_a_graphic_field_where_the_name_is(
    kind: str, dpi: int, hangul: LabelContent
) -> None:
    zpl = labels.render_label(kind, hangul, "zpl", dpi)
    assert zpl.isascii()  # no raw Hangul bytes anywhere: the name travels as dots
    text = zpl.decode("ascii")
    assert "^A0" in text and "_ED_" not in text and "_EA_" not in text  # nor as UTF-8 hex in a text field
    [(x, y, _, image)] = _graphics(text)
    element = _name_element(kind)
    left, top = dots(element.x, dpi), dots(element.y, dpi)
    assert left <= x < left + dots(element.width, dpi) and top <= y < top + dots(element.height, dpi)
    assert y + image.height <= top + dots(element.height, dpi) + 1
    assert image.getbbox() is not None  # ink
    # The romanised name, the date of birth and the expiry are text in the printer's font.
    for value in ("HONG, Gildong", "1980-03-05", "2026-12-31 15:30 KST"):
        assert f"^FD{value}^FS" in text


def test_the_zpl_graphic_prints_the_very_dots_of_the_png_at_the_same_resolution(hangul: LabelContent) -> None:
    zpl = labels.render_label("final_product", hangul, "zpl", 300).decode("ascii")
    png = Image.open(io.BytesIO(labels.render_label("final_product", hangul, "png", 300)))
    [(x, y, row_bytes, graphic)] = _graphics(zpl)
    on_png = ImageChops.invert(png.convert("L").crop((x, y, x + row_bytes * 8, y + graphic.height)))
    assert on_png.convert("1").tobytes() == graphic.tobytes()


def test_another_name_is_another_graphic(hangul: LabelContent) -> None:
    other = dataclasses.replace(hangul, recipient_name="홍길순")
    [(*_, one)] = _graphics(labels.render_label("final_product", hangul, "zpl").decode("ascii"))
    [(*_, two)] = _graphics(labels.render_label("final_product", other, "zpl").decode("ascii"))
    assert one.tobytes() != two.tobytes()


def test_the_svg_draws_the_hangul_name_as_outlines_and_keeps_it_as_text(hangul: LabelContent) -> None:
    root = ET.fromstring(labels.render_label("final_product", hangul, "svg"))
    group = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "recipient_name")
    assert group.get("aria-label") == "홍길동"
    [outline] = group.iter(f"{SVG}path")
    assert outline.get("fill") == "#000" and len(outline.get("d", "")) > 200
    [hidden] = group.iter(f"{SVG}text")
    assert hidden.text == "홍길동" and hidden.get("fill") == "none"
    texts = {node.get("id"): node.text for node in root.iter(f"{SVG}text") if node.get("id")}
    assert texts["recipient_name_latin"] == "HONG, Gildong" and texts["recipient_dob"] == "1980-03-05"
    element = _name_element("final_product")
    x, baseline = text_origin(element, "홍길동", element.size)
    placed = re.fullmatch(r"translate\(([0-9.]+) ([0-9.]+)\)", group.get("transform", ""))
    assert placed is not None
    assert (float(placed[1]), float(placed[2])) == pytest.approx((x, baseline), abs=1e-3)


def test_the_png_prints_the_hangul_name_and_every_barcode_still_decodes(
    hangul: LabelContent, decode: Decoder
) -> None:
    layout = layouts.load_layout("final_product")
    image = Image.open(io.BytesIO(labels.render(layout, hangul, "png")))
    element = _name_element("final_product")
    box = tuple(dots(v, 300) for v in (element.x, element.y, element.x + element.width, element.y + element.height))
    assert ImageChops.invert(image.convert("L").crop(box)).getbbox() is not None
    latin = dataclasses.replace(hangul, recipient_name="HONG, Gildong")
    latin_image = Image.open(io.BytesIO(labels.render(layout, latin, "png")))
    assert image.crop(box).tobytes() != latin_image.crop(box).tobytes()
    expected = [data for _, data in label_content.bound_barcodes(layout, hangul)]
    assert sorted(decode(image)) == sorted(expected)


def test_expiry_and_collection_read_in_the_sites_zone_while_the_barcodes_keep_utc(hangul: LabelContent) -> None:
    content = dataclasses.replace(hangul, expires_at=datetime(2026, 12, 8, 3, 2, tzinfo=UTC))
    values = label_content.text_values(content)
    assert values["expiry"] == "2026-12-08 12:02 KST"
    assert values["collected"] == "2026-12-01 09:15 KST"
    data = label_content.encoded_barcodes(layouts.load_layout("final_product"), content)["expiry_barcode"][1]
    assert data == isbt.expiry_datetime_structure(datetime(2026, 12, 8, 3, 2, tzinfo=UTC))
    in_utc = dataclasses.replace(content, display_zone="UTC")
    assert label_content.text_values(in_utc)["expiry"] == "2026-12-08 03:02 UTC"
    assert label_content.encoded_barcodes(layouts.load_layout("final_product"), in_utc)["expiry_barcode"][1] == data
    root = ET.fromstring(labels.render_label("bedside_tag", content, "svg"))
    assert {node.get("id"): node.text for node in root.iter(f"{SVG}text")}["expiry_text"] == "2026-12-08 12:02 KST"


@pytest.mark.parametrize("kind", IDENTITY_LABELS)
def test_a_name_without_a_romanised_form_prints_without_it(kind: str, hangul: LabelContent) -> None:
    content = dataclasses.replace(hangul, recipient_name_latin="")
    assert content.recipient_name_latin is None
    texts = {bound.element.id: bound.text for bound in label_content.bound_texts(layouts.load_layout(kind), content)}
    assert texts["recipient_name"] == "홍길동" and "recipient_name_latin" not in texts
    assert labels.render_label(kind, content, "zpl").count(b"^GFA") == 1


def test_a_name_no_shipped_font_prints_is_refused_with_a_reason(hangul: LabelContent) -> None:
    with pytest.raises(LabelContentError) as refused:
        dataclasses.replace(hangul, recipient_name="홍길동\U0001f600")
    assert refused.value.status_code == 400 and refused.value.code == "label.content"
    assert "no label font prints" in refused.value.message
    with pytest.raises(LabelContentError):
        dataclasses.replace(hangul, recipient_name_latin="홍 Gildong")  # the romanised name is Latin


def test_a_name_typed_as_decomposed_jamo_prints_as_syllables(hangul: LabelContent) -> None:
    content = dataclasses.replace(hangul, recipient_name=unicodedata.normalize("NFD", "홍길동"))
    assert content.recipient_name == "홍길동"


def _source(**names: str) -> LabelSource:
    return LabelSource(
        container_id=7, container_kind="final_product", din="G123417654321", product_code="S12341", division="00",
        sample_flag="00", lot_product_code="S1234100", expires_at=datetime(2026, 12, 8, 3, 2, tzinfo=UTC),
        collected_at=None, coi="CHG123426000001", donor_kind="autologous", recipient_dob=date(1980, 3, 5),
        **{"recipient_family": "홍", "recipient_given": "길동", "recipient_family_latin": "Hong",
           "recipient_given_latin": "Gildong", **names},
    )


@pytest.fixture
def seoul() -> Settings:
    """Settings of a site that shows times in Seoul."""
    return Settings(environment="test", database_url="sqlite://", facility_fin="W0000",
                    facility_name="Test Cell Therapy Facility", secret_key="test-secret-" + "x" * 32,
                    display_timezone="Asia/Seoul")


def test_the_content_builder_fills_both_names_from_the_recipient(seoul: Settings) -> None:
    content = content_builder.assemble(_source(), settings=seoul)
    assert (content.recipient_name, content.recipient_name_latin) == ("홍길동", "HONG, Gildong")
    assert content.display_zone == "Asia/Seoul"
    bare = content_builder.assemble(_source(recipient_family_latin="", recipient_given_latin=""),
                                    settings=seoul)
    assert bare.recipient_name_latin is None
    latin = content_builder.assemble(_source(recipient_family="van der Berg", recipient_given="Anna",
                                             recipient_family_latin="", recipient_given_latin=""),
                                     settings=seoul)
    assert latin.recipient_name == "VAN DER BERG, Anna"
    assert label_content.text_values(content)["expiry"] == "2026-12-08 12:02 KST"


def test_masking_withholds_the_name_the_romanised_name_and_the_birth_date(seoul: Settings) -> None:
    layout, content = content_builder.for_screen(_source(), settings=seoul, sees_identity=False)
    assert content.recipient_name is None and content.recipient_name_latin is None and content.recipient_dob is None
    svg = labels.render(layout, content, "svg").decode("utf-8")
    assert not HANGUL.search(svg) and "HONG" not in svg and "1980" not in svg
    assert svg.count("(withheld)") == 3



def _hangul_lot(database: Database, settings: Settings, as_role: ClientFactory) -> tuple[str, TestClient, list[Any]]:
    """A lot whose recipient is 홍길동 (HONG, Gildong), with an expiry and two final-product bags."""
    lot = seed_lot(database, settings)
    with database.transaction() as session:
        therapy = session.execute(select(Therapy).where(col(Therapy.coi) == lot.coi)).scalar_one()
        recipient = session.get(Recipient, therapy.recipient_id)
        assert recipient is not None
        recipient.family_name, recipient.given_name = "홍", "길동"
        recipient.family_name_latin, recipient.given_name_latin = "Hong", "Gildong"
        session.add(recipient)
    operator, _ = as_role(Role.OPERATOR)
    qa, _ = as_role(Role.QA)
    expiry = datetime(2030, 12, 8, 3, 2, tzinfo=UTC)
    assert qa.put(f"/api/v1/lots/{lot.din}/expiry", json={"expires_at": expiry.isoformat()}).status_code == 200
    bags = operator.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "final_product", "count": 2})
    assert bags.status_code == 201, bags.text
    return lot.din, operator, bags.json()


@pytest.fixture
def seoul_site(settings: Settings) -> Settings:
    """The test installation, showing times in Seoul."""
    settings.display_timezone = "Asia/Seoul"
    return settings


def test_final_product_labels_reach_the_printer_with_the_hangul_name_as_a_graphic_and_seoul_time(
    database: Database, seoul_site: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, bags = _hangul_lot(database, seoul_site, as_role)
    response = operator.post(f"/api/v1/lots/{din}/labels",
                             json={"kind": "final_product", "format": "zpl", "printer": printer.address})
    assert response.status_code == 201, response.text
    [zpl] = printer.wait()
    assert zpl.isascii()
    formats = re.findall(r"\^XA.*?\^XZ", zpl.decode("ascii"), flags=re.DOTALL)
    assert len(formats) == len(bags) == 2
    expected = render_zpl.graphic_field("홍길동", dots(_name_element("final_product").size, 203), True)[0]
    for printed in formats:
        assert expected in printed
        assert "^FDHONG, Gildong^FS" in printed and "^FD2030-12-08 12:02 KST^FS" in printed
    # The operator, who may not see identity, gets neither name back.
    assert "HONG" not in response.text and not HANGUL.search(response.text)
    preview = operator.get(f"/lots/{din}/labels/preview/{bags[0]['id']}.svg").text
    assert "HONG" not in preview and not HANGUL.search(preview) and "(withheld)" in preview


def test_a_clinician_sees_both_names_on_the_preview_and_in_the_pdf(
    database: Database, seoul_site: Settings, as_role: ClientFactory
) -> None:
    din, _, bags = _hangul_lot(database, seoul_site, as_role)
    investigator, _ = as_role(Role.INVESTIGATOR)
    preview = investigator.get(f"/lots/{din}/labels/preview/{bags[0]['id']}.svg")
    assert preview.status_code == 200
    root = ET.fromstring(preview.content)
    assert next(g for g in root.iter(f"{SVG}g") if g.get("id") == "recipient_name").get("aria-label") == "홍길동"
    assert {n.get("id"): n.text for n in root.iter(f"{SVG}text")}["recipient_name_latin"] == "HONG, Gildong"
    with database.transaction(write=False) as session:
        files, manifest = label_export.export_lot(session=session, settings=seoul_site, din=din, fmt="pdf")
    assert [entry["container_kind"] for entry in manifest["labels"]].count("final_product") == 2
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(files[0].data)).pages)
    # Two product bags and the aspirate bag (whose layout has no romanised name) print the name as written.
    assert text.count("홍길동") == 3 and text.count("HONG, Gildong") == 2
    assert "2030-12-08 12:02 KST" in text


def test_the_labels_page_and_its_refusals_speak_korean_to_a_korean_reader(
    database: Database, seoul_site: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, bags = _hangul_lot(database, seoul_site, as_role)
    printed = operator.post(f"/api/v1/lots/{din}/labels",
                            json={"kind": "final_product", "format": "zpl", "printer": printer.address}).json()
    korean = {"accept": "text/html", "accept-language": "ko-KR,ko;q=0.9"}
    page = operator.get(f"/lots/{din}/labels", headers=korean).text
    assert "로트 <a href=" in page and "의 라벨" in page and "수량 대조" in page and "수량 불일치" in page
    assert "미처리: 라벨 #" in page and "Outstanding: label" not in page
    assert "완제품" in page and "Reconciliation" not in page
    english = operator.get(f"/lots/{din}/labels", headers={"accept": "text/html", "accept-language": "en"}).text
    assert "Reconciliation" in english and "Outstanding: label #" in english
    label_id = printed["job"]["labels"][0]["id"]
    refused = operator.post(f"/api/v1/labels/{label_id}/void", json={"reason": ""}, headers={"accept-language": "ko"})
    assert refused.status_code == 400 and refused.json()["message"] == "라벨을 폐기하려면 사유가 필요합니다"
    reconciliation = operator.get(f"/api/v1/lots/{din}/labels/reconciliation", headers={"accept-language": "ko"})
    body = reconciliation.json()
    assert body["named_difference"].startswith("미처리: 라벨 #")
    assert {reason["code"] for reason in body["reasons"]} == {"labels.unbalanced"}
    assert "출력" in body["reasons"][0]["message"] and len(bags) == 2
