"""Labels with the recipient's name and date of birth go only to the printer for roles that may not see them.

DESIGN.md: a GMP operator never sees the recipient's name, date of birth or MRN, yet the final-product label
must carry name and date of birth. The operator's print of such a label goes straight to a Zebra printer;
the clinical roles (investigator, nurse, collector) may take it as a file.
"""

from __future__ import annotations

import base64
import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import content as label_content
from batchtrack.models.label import Label, LabelPrint
from batchtrack.models.user import Role

from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, UserHandle, seed_lot
from capture_printer import CapturingPrinter

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
NAME_ON_LABEL = f"{PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}"
DOB_ON_LABEL = label_content.format_date(PATIENT_DOB)
# Whatever would tell a reader who the recipient is.
IDENTITY = (PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, PATIENT_DOB.isoformat(), DOB_ON_LABEL)
NON_CLINICAL = (Role.QC_ANALYST, Role.QA, Role.COURIER, Role.ADMIN, Role.MEDICAL_DIRECTOR)




def _lot_with_products(
    database: Database, settings: Settings, as_role: ClientFactory, *roles: Role, count: int = 2
) -> tuple[str, TestClient, list[dict[str, Any]]]:
    """A lot with an expiry and `count` final-product bags, and a client for a labeller holding `roles`."""
    lot = seed_lot(database, settings)
    labeller, _ = as_role(*(roles or (Role.OPERATOR,)))
    qa, _ = as_role(Role.QA)
    moment = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    assert qa.put(f"/api/v1/lots/{lot.din}/expiry", json={"expires_at": moment.isoformat()}).status_code == 200
    bags = labeller.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "final_product", "count": count})
    assert bags.status_code == 201, bags.text
    return lot.din, labeller, bags.json()


def _recorded(database: Database) -> tuple[int, int, int, str]:
    """Print jobs, labels, and the length and head of the audit chain."""
    with database.transaction(write=False) as session:
        jobs = session.execute(select(func.count()).select_from(LabelPrint)).scalar_one()
        labels = session.execute(select(func.count()).select_from(Label)).scalar_one()
        chain = audit_service.verify(session=session)
    assert chain.ok, chain.problem
    return int(jobs), int(labels), chain.count, chain.head_hash


def _assert_no_identity(text: str) -> None:
    shown = text.casefold()
    assert not [part for part in IDENTITY if part.casefold() in shown]


def _closed_port() -> int:
    # Bind a port, then release it: nothing listens there, so a connection is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("roles", [(Role.OPERATOR,), (Role.OPERATOR, *NON_CLINICAL)],
                         ids=["operator", "operator-with-every-non-clinical-role"])
def test_an_operator_printing_final_product_labels_without_a_printer_is_refused_and_nothing_is_recorded(
    database: Database, settings: Settings, as_role: ClientFactory, roles: tuple[Role, ...]
) -> None:
    din, operator, bags = _lot_with_products(database, settings, as_role, *roles)
    before = _recorded(database)
    for fmt in ("zpl", "png", "svg", "pdf"):
        for selection in ({"kind": "final_product"}, {"container_ids": [bag["id"] for bag in bags]}):
            response = operator.post(f"/api/v1/lots/{din}/labels", json={**selection, "format": fmt})
            assert response.status_code == 403, (fmt, response.text)
            body = response.json()
            assert body["error"] == "label.identity_to_printer" and "printer" in body["message"]
            _assert_no_identity(response.text)
    assert _recorded(database) == before
    listing = operator.get(f"/api/v1/lots/{din}/labels").json()
    assert [label for label in listing if label["container_kind"] == "final_product"] == []


def test_with_a_printer_the_final_product_labels_reach_only_the_printer(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, bags = _lot_with_products(database, settings, as_role)
    response = operator.post(f"/api/v1/lots/{din}/labels",
                             json={"kind": "final_product", "format": "zpl", "printer": printer.address})
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["sent_to"] == printer.address and result["documents"] == []
    labels = result["job"]["labels"]
    assert [label["container_id"] for label in labels] == [bag["id"] for bag in bags]
    # Each label the printer received names the recipient "LAST, First" with the date of birth.
    [zpl] = printer.wait()
    formats = re.findall(r"\^XA.*?\^XZ", zpl.decode("ascii"), flags=re.DOTALL)
    assert len(formats) == 2
    assert all(NAME_ON_LABEL in printed and DOB_ON_LABEL in printed for printed in formats)
    # Nothing the operator gets back, or can look up afterwards, names the recipient.
    _assert_no_identity(response.text)
    _assert_no_identity(operator.get(f"/api/v1/lots/{din}/labels").text)
    _assert_no_identity(operator.get(f"/api/v1/labels/{labels[0]['id']}").text)
    # A reprint is no way around the printer.
    prints = _recorded(database)
    reprint = {"kind": "final_product", "format": "svg", "reason": "label smudged during handling"}
    refused = operator.post(f"/api/v1/lots/{din}/labels", json=reprint)
    assert refused.status_code == 403 and refused.json()["error"] == "label.identity_to_printer"
    assert _recorded(database) == prints
    again = operator.post(f"/api/v1/lots/{din}/labels", json={**reprint, "format": "zpl", "printer": printer.address})
    assert again.status_code == 201 and again.json()["job"]["is_reprint"] is True
    assert again.json()["documents"] == []
    assert printer.wait(2)[1] == zpl


def test_a_final_product_print_whose_printer_cannot_be_reached_returns_no_label(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, operator, _ = _lot_with_products(database, settings, as_role)
    jobs, labels, _, _ = _recorded(database)
    dead = f"127.0.0.1:{_closed_port()}"
    settings.printers = [*settings.printers, dead]  # configured, but switched off
    response = operator.post(f"/api/v1/lots/{din}/labels", json={
        "kind": "final_product", "format": "zpl", "printer": dead})
    assert response.status_code == 503 and response.json()["error"] == "printer.refused"
    assert "documents" not in response.json()
    _assert_no_identity(response.text)
    assert _recorded(database)[:2] == (jobs, labels)


def test_the_operators_final_product_label_from_the_page_goes_to_the_printer(
    database: Database, settings: Settings, as_role: ClientFactory, printer: CapturingPrinter
) -> None:
    din, operator, bags = _lot_with_products(database, settings, as_role, count=1)
    html = {"accept": "text/html"}
    refused = operator.post(f"/lots/{din}/labels/print", data={"container_id": bags[0]["id"], "format": "pdf"},
                            headers=html)
    assert refused.status_code == 403 and "printer" in refused.text
    assert not refused.content.startswith(b"%PDF")
    _assert_no_identity(refused.text)
    sent = operator.post(f"/lots/{din}/labels/print", headers=html, follow_redirects=False, data={
        "container_id": bags[0]["id"], "format": "zpl", "printer": printer.address})
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"/lots/{din}/labels")
    [zpl] = printer.wait()
    assert NAME_ON_LABEL.encode() in zpl


@pytest.mark.parametrize("roles", [(Role.COLLECTOR,), (Role.INVESTIGATOR, Role.COLLECTOR)],
                         ids=["collector", "investigator-collector"])
def test_a_clinician_takes_the_aspirate_bag_label_with_the_recipients_identity_as_a_file(
    database: Database, settings: Settings, as_role: ClientFactory, roles: tuple[Role, ...]
) -> None:
    din = seed_lot(database, settings).din
    collector, _ = as_role(*roles)
    for fmt in ("zpl", "svg"):
        # The bag was labelled at collection, so each print here is a reprint.
        response = collector.post(f"/api/v1/lots/{din}/labels",
                                  json={"kind": "aspirate_bag", "format": fmt, "reason": "bag label torn at receipt"})
        assert response.status_code == 201, response.text
        result = response.json()
        assert result["sent_to"] is None and len(result["documents"]) == 1
        document = base64.b64decode(result["documents"][0]["content_base64"]).decode()
        assert NAME_ON_LABEL in document and DOB_ON_LABEL in document


@pytest.mark.parametrize("kind", ["culture_vessel", "qc_sample"])
def test_an_operator_takes_labels_without_patient_identity_as_files(
    database: Database, settings: Settings, as_role: ClientFactory, kind: str
) -> None:
    din = seed_lot(database, settings).din
    operator, _ = as_role(Role.OPERATOR)
    containers = operator.post(f"/api/v1/lots/{din}/containers", json={"kind": kind, "count": 2})
    assert containers.status_code == 201, containers.text
    response = operator.post(f"/api/v1/lots/{din}/labels", json={"kind": kind, "format": "svg"})
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["sent_to"] is None and len(result["documents"]) == 2
    for document in result["documents"]:
        svg = base64.b64decode(document["content_base64"]).decode()
        assert svg.lstrip().startswith("<?xml") and f"={din}" in svg
        _assert_no_identity(svg)
