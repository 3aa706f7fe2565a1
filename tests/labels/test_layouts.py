"""Layouts are versioned data: every kind loads, versions coexist, and bad layouts are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from batchtrack.labels import content as label_content
from batchtrack.labels import layouts, symbols
from batchtrack.labels.layouts import LayoutInvalidError, LayoutNotFoundError
from batchtrack.resources import resource_dir


@pytest.fixture
def labels_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped layouts folder."""
    root = tmp_path / "labels"
    shutil.copytree(resource_dir("labels"), root)
    return root


def _raw(kind: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((resource_dir("labels") / kind / "v1.json").read_text(encoding="utf-8"))
    return raw


@pytest.mark.parametrize("kind", layouts.KINDS)
def test_every_kind_ships_a_v1_layout(kind: str) -> None:
    layout = layouts.load_layout(kind)
    assert layout.template_id == kind
    assert 1 in layouts.list_versions(kind)
    assert layout.barcodes, "every label carries at least one barcode"


def test_unknown_kind_is_a_clear_not_found() -> None:
    with pytest.raises(LayoutNotFoundError) as error:
        layouts.load_layout("wristband")
    assert error.value.code == "label.kind_unknown"
    assert error.value.status_code == 404


def test_unknown_version_names_the_installed_ones() -> None:
    with pytest.raises(LayoutNotFoundError) as error:
        layouts.load_layout("final_product", 99)
    assert error.value.code == "label.version_unknown"
    assert "v1" in error.value.message


def test_a_new_version_loads_alongside_v1(labels_copy: Path) -> None:
    raw = _raw("final_product")
    raw["version"] = 2
    raw["description"] = "Larger recipient name."
    for element in raw["elements"]:
        if element["id"] == "recipient_name":
            element["size"] = 4.2
    (labels_copy / "final_product" / "v2.json").write_text(json.dumps(raw), encoding="utf-8")

    assert layouts.list_versions("final_product", root=labels_copy) == [1, 2]
    newest = layouts.load_layout("final_product", root=labels_copy)
    first = layouts.load_layout("final_product", 1, root=labels_copy)
    assert (newest.version, first.version) == (2, 1)
    sizes = {
        layout.version: e.size
        for layout in (newest, first)
        for e in layout.elements
        if e.id == "recipient_name" and isinstance(e, layouts.TextElement)
    }
    assert sizes == {1: 3.8, 2: 4.2}


def test_a_file_whose_version_disagrees_with_its_name_is_refused(labels_copy: Path) -> None:
    raw = _raw("qc_sample")
    (labels_copy / "qc_sample" / "v3.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(LayoutInvalidError):
        layouts.load_layout("qc_sample", 3, root=labels_copy)


def _write_variant(root: Path, kind: str, change: dict[str, Any], element_id: str) -> None:
    raw = _raw(kind)
    raw["version"] = 2
    for element in raw["elements"]:
        if element["id"] == element_id:
            element.update(change)
    (root / kind / "v2.json").write_text(json.dumps(raw), encoding="utf-8")


@pytest.mark.parametrize(
    ("element_id", "change", "reason"),
    [
        ("din_barcode", {"module": 0.2}, "below 0.25"),
        ("expiry_barcode", {"height": 12.5}, "touches a line of box 'rule_3'"),
        ("din_barcode", {"symbology": "qr"}, "QR"),
        ("din_text", {"x": 30}, "overlap"),
        ("facility_name", {"width": 120}, "beyond"),
        ("din_text", {"colour": "red"}, "Extra inputs"),
    ],
)
def test_a_layout_breaking_a_labelling_rule_is_refused(
    labels_copy: Path, element_id: str, change: dict[str, Any], reason: str
) -> None:
    _write_variant(labels_copy, "final_product", change, element_id)
    with pytest.raises(LayoutInvalidError) as error:
        layouts.load_layout("final_product", root=labels_copy)
    assert reason in error.value.message


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("kind", layouts.KINDS)
def test_x_dimension_is_at_least_a_quarter_millimetre(kind: str, dpi: int) -> None:
    layout = layouts.load_layout(kind)
    content = label_content.preview_content()
    for element, data in label_content.bound_barcodes(layout, content):
        placement = symbols.place(element, symbols.make_symbol(element.symbology, data), dpi)
        assert placement.module == layouts.module_dots(element.module, dpi)
        assert placement.module_mm >= 0.25, (element.id, placement.module, dpi)
    # The printer's own dot counts: 2 dots at 203 dpi and 3 dots at 300 dpi for 0.25 mm.
    assert layouts.module_dots(0.25, 203) == 2
    assert layouts.module_dots(0.25, 300) == 3


def test_installed_kinds_are_the_five_label_kinds() -> None:
    assert layouts.list_kinds() == sorted(layouts.KINDS)


def test_a_caption_too_long_for_its_field_is_a_layout_fault(labels_copy: Path) -> None:
    _write_variant(labels_copy, "final_product", {"text": "Chain of identity " * 4}, "coi_caption")
    with pytest.raises(LayoutInvalidError) as error:
        layouts.load_layout("final_product", root=labels_copy)
    assert "does not fit" in error.value.message
