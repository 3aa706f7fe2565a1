"""Clinics without a scanner photograph the label: the server reads every barcode, and the text verifies the bag."""

from __future__ import annotations

import io

import pytest
from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import export
from batchtrack.scanning import parser

from bedside_builders import at_clinic, bag_scan, check_body, wristband


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _upload(client: TestClient, data: bytes, content_type: str = "image/png") -> dict[str, object]:
    response = client.post("/api/v1/bedside/decode", files={"image": ("photo.png", data, content_type)})
    return {"status": response.status_code, **response.json()}


@pytest.mark.parametrize("angle", [90, 7])
def test_a_photo_of_the_bag_label_rotated_and_scaled_verifies_the_bag(
    app: FastAPI, database: Database, settings: Settings, angle: int
) -> None:
    lot, people = at_clinic(database, settings)
    with database.transaction(write=False) as session:
        png = export.preview_image(session=session, settings=settings, din=lot.din, container_id=lot.bag_ids[1],
                                   viewer=people.nurse.principal, fmt="png")
    label = Image.open(io.BytesIO(png)).convert("L")
    turned = label.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    photo = turned.resize((round(turned.width * 0.6), round(turned.height * 0.6)), Image.Resampling.BILINEAR)

    nurse = api_client(app, people.nurse)
    decoded = _upload(nurse, _png(photo))
    assert decoded["status"] == 200, decoded
    texts = decoded["texts"]
    assert isinstance(texts, list)
    compound = next(t for t in texts if t.startswith("=+"))
    assert compound == bag_scan(database, lot.bag_ids[1])
    assert parser.identity_of(parser.parse_scan(compound)).division == "B0"  # type: ignore[arg-type]
    assert f"&/{lot.coi}" in texts

    checked = nurse.post("/api/v1/bedside/checks", json=check_body(wristband(lot.coi), compound, people.doctor))
    assert checked.status_code == 200, checked.json()
    assert checked.json()["container_id"] == lot.bag_ids[1]


def test_what_is_not_a_readable_photo_is_refused_with_a_reason(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    _lot, people = at_clinic(database, settings)
    nurse = api_client(app, people.nurse)
    not_an_image = _upload(nurse, b"%PDF-1.7 not a photo", "application/pdf")
    assert (not_an_image["status"], not_an_image["error"]) == (400, "photo.not_an_image")
    huge = _png(Image.new("1", (8000, 6000), 1))  # 48 megapixels, a small file
    assert len(huge) < 1_000_000
    too_many_pixels = _upload(nurse, huge)
    assert (too_many_pixels["status"], too_many_pixels["error"]) == (413, "photo.too_large")
    assert "megapixels" in str(too_many_pixels["message"])
    too_big = _upload(nurse, b"\x89PNG" + b"\x00" * (10 * 1024 * 1024 + 1))
    assert (too_big["status"], too_big["error"]) == (413, "photo.too_large")
    oversized = _upload(nurse, b"\x00" * (11 * 1024 * 1024))  # refused from its length, before it is read
    assert (oversized["status"], oversized["error"]) == (413, "photo.too_large")
    blank = _upload(nurse, _png(Image.new("L", (400, 300), 255)))
    assert (blank["status"], blank["texts"]) == (200, [])
    empty = nurse.post("/api/v1/bedside/decode", files={"image": ("photo.png", b"", "image/png")})
    assert empty.status_code == 400 and empty.json()["message"]
    no_file = nurse.post("/api/v1/bedside/decode", json={"image": "x"})
    assert no_file.status_code == 400 and no_file.json()["error"] == "photo.missing"
    assert api_client(app, people.courier).post(
        "/api/v1/bedside/decode", files={"image": ("p.png", _png(Image.new("L", (10, 10))), "image/png")}
    ).status_code == 403
