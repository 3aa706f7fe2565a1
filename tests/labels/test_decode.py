"""Every barcode on every label decodes, with an independent reader, to exactly the data in the manifest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from PIL import Image

from batchtrack import labels
from batchtrack.identifiers import coi as coi_ids
from batchtrack.identifiers import din as din_ids
from batchtrack.labels import layouts, manifest
from batchtrack.labels.content import LabelContent

Decoder = Callable[[Image.Image], list[str]]
OpenPng = Callable[[bytes], Image.Image]


def _expected(kind: str, content: LabelContent) -> Counter[str]:
    entry = manifest.entry(file=f"{kind}.png", layout=layouts.load_layout(kind), content=content)
    return Counter(barcode["data"] for barcode in entry.barcodes.values())


@pytest.mark.parametrize("kind", layouts.KINDS)
def test_png_at_300_dpi_decodes_to_exactly_the_manifest(
    kind: str, demo: LabelContent, decode: Decoder, open_png: OpenPng
) -> None:
    image = open_png(labels.render_label(kind, demo, "png", 300))
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert Counter(decode(image)) == _expected(kind, demo)


@pytest.mark.parametrize("kind", layouts.KINDS)
def test_png_on_the_203_dpi_dot_grid_also_decodes(kind: str, decode: Decoder, open_png: OpenPng) -> None:
    content = labels.content.preview_content()
    image = open_png(labels.render_label(kind, content, "png", 203))
    assert Counter(decode(image)) == _expected(kind, content)


@pytest.mark.parametrize("kind", ["bedside_tag", "final_product"])
def test_label_rotated_and_scaled_down_like_a_photo_still_decodes(
    kind: str, demo: LabelContent, decode: Decoder, open_png: OpenPng
) -> None:
    image = open_png(labels.render_label(kind, demo, "png", 300)).convert("L").rotate(90, expand=True)
    photo = image.resize((round(image.width * 0.7), round(image.height * 0.7)), Image.Resampling.BILINEAR)
    assert Counter(decode(photo)) == _expected(kind, demo)


def test_manifest_names_file_template_version_and_symbology(demo: LabelContent) -> None:
    layout = layouts.load_layout("final_product")
    entry = manifest.entry(file="lot-1/final_product.png", layout=layout, content=demo).as_dict()
    assert entry["file"] == "lot-1/final_product.png"
    assert (entry["template_id"], entry["version"]) == ("final_product", 2)
    assert entry["barcodes"]["din_barcode"] == {"symbology": "code128", "data": "=G12341765432170"}
    assert entry["barcodes"]["coi_barcode"] == {"symbology": "code128", "data": f"&/{demo.coi}"}
    assert entry["barcodes"]["expiry_barcode"] == {"symbology": "code128", "data": "&>0263650630"}
    compound = entry["barcodes"]["compound_datamatrix"]
    assert compound["symbology"] == "datamatrix"
    assert compound["data"] == f"=+04000=G12341765432170=<{demo.product_code}&>0263650630&/{demo.coi}"


def test_longest_identifiers_still_fit_and_decode(decode: Decoder, open_png: OpenPng) -> None:
    # A FIN starting with a digit and a COI with a letter serial give the longest Code 128 symbols.
    content = labels.content.preview_content(directed=True)
    worst = LabelContent(
        **{
            **{name: getattr(content, name) for name in content.__dataclass_fields__},
            "din": din_ids.parse("9876526999999"),
            "coi": coi_ids.parse("CH98765269Z8Y7X"),
        }
    )
    for kind in layouts.KINDS:
        image = open_png(labels.render_label(kind, worst, "png", 300))
        assert Counter(decode(image)) == _expected(kind, worst), kind
