"""The labels page of a lot: each container's label as an image, print and void forms, reconciliation."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, PATIENT_GIVEN, UserHandle, seed_lot
from capture_printer import CapturingPrinter

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
NAME_ON_LABEL = f"{PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}"




def _lot(database: Database, settings: Settings, as_role: ClientFactory) -> tuple[str, TestClient, list[Any]]:
    lot = seed_lot(database, settings)
    operator, _ = as_role(Role.OPERATOR)
    qa, _ = as_role(Role.QA)
    moment = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    assert qa.put(f"/api/v1/lots/{lot.din}/expiry", json={"expires_at": moment.isoformat()}).status_code == 200
    bags = operator.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "final_product", "count": 2}).json()
    return lot.din, operator, bags


def test_the_labels_page_shows_each_containers_label_and_the_named_difference(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, bags = _lot(database, settings, as_role)
    printed = operator.post(f"/api/v1/lots/{din}/labels",
                            json={"kind": "final_product", "format": "zpl", "printer": printer.address}).json()
    outstanding = [label["id"] for label in printed["job"]["labels"]]
    page = operator.get(f"/lots/{din}/labels", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    images = re.findall(r'<img class="label-preview" src="([^"]+)"', html)
    assert len(images) == 3  # the aspirate bag and two product bags
    for bag in bags:
        assert f"http://testserver/lots/{din}/labels/preview/{bag['id']}.svg" in images
    assert 'id="rec-printed">3<' in html and 'id="rec-applied">1<' in html
    assert f"Outstanding: label #{outstanding[0]}, #{outstanding[1]}" in html
    assert "Not balanced" in html
    assert html.count('name="csrf_token"') >= 2 and "style=" not in html and "<script" not in html
    image = operator.get(images[0])
    assert image.status_code == 200 and image.headers["content-type"] == "image/svg+xml"
    assert image.text.lstrip().startswith("<?xml") and "<svg" in image.text


def test_the_preview_withholds_patient_identity_from_the_operator_but_not_the_clinician(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator, bags = _lot(database, settings, as_role)
    url = f"/lots/{din}/labels/preview/{bags[0]['id']}.svg"
    seen_by_operator = operator.get(url).text
    assert NAME_ON_LABEL not in seen_by_operator and PATIENT_FAMILY.upper() not in seen_by_operator
    assert "(withheld)" in seen_by_operator
    assert f"={din}" in seen_by_operator  # the barcodes are the label's own
    assert "withheld from this preview" in operator.get(f"/lots/{din}/labels", headers=HTML).text
    investigator, _ = as_role(Role.INVESTIGATOR)
    assert NAME_ON_LABEL in investigator.get(url).text
    png = investigator.get(f"/lots/{din}/labels/preview/{bags[0]['id']}.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_a_label_that_cannot_be_made_is_explained_on_the_page(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    operator, _ = as_role(Role.OPERATOR)
    operator.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "final_product"})
    html = operator.get(f"/lots/{lot.din}/labels", headers=HTML).text
    assert "This label cannot be made now" in html and "label.content_missing" in html


def test_print_and_void_from_the_page(database: Database, settings: Settings, as_role: ClientFactory) -> None:
    din, operator, _ = _lot(database, settings, as_role)
    # A culture vessel's label carries no patient identity, so the operator may take it as a file.
    vessel = operator.post(f"/api/v1/lots/{din}/containers", json={"kind": "culture_vessel"}).json()[0]
    pdf = operator.post(f"/lots/{din}/labels/print", data={"container_id": vessel["id"], "format": "pdf"},
                        headers=HTML, follow_redirects=False)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;") and pdf.content.startswith(b"%PDF")
    label = next(x for x in operator.get(f"/api/v1/lots/{din}/labels").json() if x["container_id"] == vessel["id"])
    again = operator.post(f"/lots/{din}/labels/print", data={"container_id": vessel["id"], "format": "pdf"},
                          headers=HTML)
    assert again.status_code == 409 and "reprint needs a reason" in again.text
    refused = operator.post(f"/labels/{label['id']}/void", data={"reason": ""}, headers=HTML)
    assert refused.status_code == 400 and "needs a reason" in refused.text
    voided = operator.post(f"/labels/{label['id']}/void", data={"reason": "wrong printer stock"}, headers=HTML,
                           follow_redirects=False)
    assert voided.status_code == 303 and voided.headers["location"].endswith(f"/lots/{din}/labels")
    html = operator.get(f"/lots/{din}/labels", headers=HTML).text
    assert "voided: wrong printer stock" in html and 'id="rec-voided">1<' in html


def test_apply_from_the_page_with_a_scan(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, bags = _lot(database, settings, as_role)
    printed = []
    for bag in bags:  # one print per bag, straight to the printer
        response = operator.post(f"/api/v1/lots/{din}/labels",
                                 json={"container_ids": [bag["id"]], "format": "zpl", "printer": printer.address})
        assert response.status_code == 201, response.text
        printed.append(response.json()["job"]["labels"][0])
    label, other = printed
    compound = label["barcodes"]["compound_datamatrix"]["data"]
    wrong = operator.post(f"/labels/{label['id']}/apply",
                          data={"scan": other["barcodes"]["compound_datamatrix"]["data"]}, headers=HTML)
    assert wrong.status_code == 409 and "label.wrong_container" in wrong.text
    applied = operator.post(f"/labels/{label['id']}/apply", data={"scan": compound}, headers=HTML,
                            follow_redirects=False)
    assert applied.status_code == 303
    assert operator.get(f"/api/v1/labels/{label['id']}").json()["status"] == "applied"


def test_the_lot_page_links_to_its_labels(database: Database, settings: Settings, as_role: ClientFactory) -> None:
    din, operator, _ = _lot(database, settings, as_role)
    assert f'href="http://testserver/lots/{din}/labels"' in operator.get(f"/lots/{din}", headers=HTML).text
