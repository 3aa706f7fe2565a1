"""The batch record through the API and the pages: any signed-in role reads it, an unknown lot is a 404."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from batch_record_builders import CORRECTION_REASON, RecordedLot, recorded_lot
from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, UserHandle, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
UNKNOWN_DIN = "W000026999999"
IDENTITY = (PATIENT_FAMILY, PATIENT_FAMILY.upper(), PATIENT_GIVEN, PATIENT_MRN, PATIENT_DOB.isoformat())


@pytest.fixture
def lot(database: Database, settings: Settings) -> RecordedLot:
    return recorded_lot(database, settings)


def test_the_api_returns_the_record_with_corrections_signatures_and_growth(
    lot: RecordedLot, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.QC_ANALYST)
    response = client.get(f"/api/v1/lots/{lot.din}/batch-record")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["header"]["din"] == lot.din and body["header"]["subject_code"] == "S-001"
    assert [s["title"] for s in body["steps"]] == list(lot.titles)
    harvested = next(v for v in body["steps"][2]["values"] if v["name"] == "cells_harvested")
    assert harvested["changed"] is True and harvested["value"] == 8e6 and harvested["original_value"] == 6e6
    assert harvested["corrections"][0]["reason"] == CORRECTION_REASON
    assert [round(p["cumulative_doublings"], 6) for p in body["growth"]] == [3.0, 5.0]
    assert {s["meaning"] for s in body["signatures"]} == {"performed", "reviewed", "approved"}
    assert body["corrected_values"] == 1
    assert not any(word in response.text for word in IDENTITY)


def test_the_api_pdf_is_an_attachment_named_after_the_lot(lot: RecordedLot, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.QA)
    response = client.get(f"/api/v1/lots/{lot.din}/batch-record.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{lot.din}-batch-record.pdf"'
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert lot.titles[0] in text


def test_the_page_shows_the_whole_record_to_an_operator(lot: RecordedLot, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    response = client.get(f"/lots/{lot.din}/batch-record", headers=HTML)
    assert response.status_code == 200, response.text
    page = response.text
    for title in lot.titles:
        assert title in page
    assert "changed since entry" in page
    assert "<del>6 \u00d7 10\u2076</del>" in page and "<ins>8 \u00d7 10\u2076</ins>" in page
    assert CORRECTION_REASON in page
    assert f"Test {lot.verifier.username.title()}" in page and "reviewed" in page
    assert 'class="growth-curve"' in page and page.count("<circle ") == 2
    assert f'href="http://testserver/lots/{lot.din}/batch-record.pdf"' in page
    assert not any(word in page for word in IDENTITY)
    assert "<script" not in page and " style=" not in page


def test_the_page_pdf_link_downloads_the_printout(lot: RecordedLot, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    response = client.get(f"/lots/{lot.din}/batch-record.pdf", headers=HTML)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert lot.din in response.headers["content-disposition"]


def test_a_lot_without_steps_shows_empty_states(database: Database, settings: Settings,
                                               as_role: ClientFactory) -> None:
    seeded = seed_lot(database, settings)
    client, _ = as_role(Role.OPERATOR)
    page = client.get(f"/lots/{seeded.din}/batch-record", headers=HTML)
    assert page.status_code == 200
    assert "No processing step has been started for this lot." in page.text
    assert "No growth data yet" in page.text and "<circle " not in page.text
    assert client.get(f"/api/v1/lots/{seeded.din}/batch-record").json()["steps"] == []
    printout = client.get(f"/api/v1/lots/{seeded.din}/batch-record.pdf")
    assert printout.status_code == 200 and len(PdfReader(io.BytesIO(printout.content)).pages) == 1


@pytest.mark.parametrize("path", ["/api/v1/lots/{din}/batch-record", "/api/v1/lots/{din}/batch-record.pdf",
                                  "/lots/{din}/batch-record", "/lots/{din}/batch-record.pdf"])
def test_an_unknown_lot_is_not_found_and_a_malformed_din_is_refused(path: str, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    headers = HTML if not path.startswith("/api") else {}
    missing = client.get(path.format(din=UNKNOWN_DIN), headers=headers)
    assert missing.status_code == 404
    if path.startswith("/api"):
        assert missing.json()["error"] == "not_found"
    else:
        assert re.search(r"no lot with DIN", missing.text)
    assert client.get(path.format(din="O000026000001"), headers=headers).status_code == 422


def test_the_record_needs_a_signed_in_user(lot: RecordedLot, client: TestClient) -> None:
    assert client.get(f"/api/v1/lots/{lot.din}/batch-record").status_code == 401
    assert client.get(f"/api/v1/lots/{lot.din}/batch-record.pdf").status_code == 401
    redirect = client.get(f"/lots/{lot.din}/batch-record", headers=HTML, follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"].startswith("/login")
