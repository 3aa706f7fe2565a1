"""Scan verification through the API, on a real database: swapped labels are refused and audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.models.user import Role
from batchtrack.scanning import judging as scan_judging
from batchtrack.scanning import service as scan_service

from builders import UserHandle, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _product_label(client: TestClient, lot_din: str, coi: str) -> str:
    bag = client.post(f"/api/v1/lots/{lot_din}/containers", json={"kind": "final_product"}).json()[0]
    din = din_id.parse(lot_din)
    code = isbt.product_code(bag["product_code"][:5], bag["product_code"][5], bag["division"])
    return isbt.compound_message([isbt.din_structure(din), isbt.product_structure(code),
                                  isbt.coi_structure(coi_id.parse(coi))])


def test_a_container_of_lot_a_at_a_station_expecting_lot_b_is_refused_naming_both(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot_a = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    lot_b = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    client, _ = as_role(Role.OPERATOR)
    label_a = _product_label(client, lot_a.din, lot_a.coi)
    response = client.post("/api/v1/scans", json={"raw": label_a + "\r\n", "station": "BSC-2",
                                                   "expect": {"lot_din": lot_b.din}})
    assert response.status_code == 200
    verdict = response.json()
    assert verdict["ok"] is False
    wrong_lot = [r for r in verdict["reasons"] if r["code"] == "scan.wrong_lot"]
    assert wrong_lot and lot_a.din in wrong_lot[0]["message"] and lot_b.din in wrong_lot[0]["message"]
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="station", entity_id="BSC-2")[-1]
    assert entry.action == "scan.refused"
    recorded = json.loads(entry.new_values)
    assert recorded["raw_escaped"].endswith("\\r\\n") and recorded["station"] == "BSC-2"
    assert recorded["expected"] == {"lot_din": lot_b.din}


def test_the_right_container_at_the_right_station_proceeds(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.OPERATOR)
    label = _product_label(client, lot.din, lot.coi)
    verdict = client.post("/api/v1/scans", json={"raw": label, "station": "BSC-1", "expect": {
        "lot_din": lot.din, "container_kinds": ["final_product"]}}).json()
    assert verdict["ok"] is True, verdict
    assert verdict["resolved"]["type"] == "container" and verdict["resolved"]["lot_din"] == lot.din


def test_a_label_whose_coi_disagrees_with_its_container_is_refused(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot_a = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    lot_b = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    client, _ = as_role(Role.OPERATOR)
    client.post(f"/api/v1/lots/{lot_a.din}/containers", json={"kind": "final_product"})
    din = din_id.parse(lot_a.din)
    forged = isbt.compound_message([
        isbt.din_structure(din), isbt.product_structure(isbt.product_code("Y0001", "1", "A0")),
        isbt.coi_structure(coi_id.parse(lot_b.coi))])
    verdict = client.post("/api/v1/scans", json={"raw": forged, "station": "S"}).json()
    assert verdict["ok"] is False
    assert "scan.label_coi_mismatch" in {r["code"] for r in verdict["reasons"]}


def test_garbage_gets_a_refusal_with_a_reason_never_a_server_error(
    database: Database, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.OPERATOR)
    for raw in ["", "\x00\x00", "=" * 5000, "ㅈ0000", "=W000026000001", "=+03000=W00002600000170", "é" * 90_000]:
        response = client.post("/api/v1/scans", json={"raw": raw, "station": "S"})
        assert response.status_code == 200, raw[:20]
        body = response.json()
        assert body["ok"] is False and body["reasons"] and all(r["message"] for r in body["reasons"])


def test_a_refusal_that_cannot_be_recorded_is_not_answered_as_a_verdict(
    database: Database, as_role: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A refusal is answered only once it is in the audit trail: when writing it fails, the station gets an error
    # (and scans again), never a red verdict that left no record.
    client, _ = as_role(Role.OPERATOR)

    def audit_trail_unwritable(**_kwargs: object) -> None:
        raise OperationalError("INSERT INTO audit_entry ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr(scan_service, "record_refusal_alone", audit_trail_unwritable)
    response = client.post("/api/v1/scans", json={"raw": "=W00001", "station": "BSC-9"})
    assert response.status_code >= 500 and "ok" not in response.json()
    with database.transaction(write=False) as session:
        assert audit_service.entries_for(session=session, entity_type="station", entity_id="BSC-9") == []


def test_a_refusal_arriving_as_the_process_ends_gets_an_error_not_a_hang(
    as_role: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = as_role(Role.OPERATOR)
    stopped = ThreadPoolExecutor(max_workers=1)
    stopped.shutdown()
    monkeypatch.setattr(scan_judging, "_recorders", stopped)
    response = client.post("/api/v1/scans", json={"raw": "=W00001", "station": "BSC-9"})
    assert response.status_code >= 500
