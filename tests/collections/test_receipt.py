"""Receipt at the lab: the scanned bag must be the expected one; a bag out of time or temperature limits can
only be quarantined or rejected; accepting opens the lot with the same COI."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, bag_scan, collected_bag, enrol_eligible, make_user

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
PASSED = {"bag_intact": True, "seal_intact": True, "label_legible": True, "no_clots": True}


def _bag(database: Database, settings: Settings, subject: str, mrn: str, hours_ago: float = 2.0) -> tuple[str, str]:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician, subject=subject, mrn=mrn)
    return coi, collected_bag(database, settings, clinician, coi, hours_ago=hours_ago)


def _receive(client: TestClient, din: str, expected: str, decision: str = "accept", temperature: float = 20.0,
             reason: str = "") -> object:
    return client.post("/api/v1/receipts", json={
        "scan": bag_scan(din) + "\r", "expected_din": expected, "temperature_c": temperature, "inspection": PASSED,
        "decision": decision, "reason": reason, "station": "RECEIVING-1"})


def test_accepting_a_bag_within_limits_opens_the_lot_with_the_same_coi(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    coi, din = _bag(database, settings, "S-A", "MRN-A")
    client, _ = as_role(Role.OPERATOR)
    response = _receive(client, din, din)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    assert response.json()["collection"]["lot_din"] == din  # type: ignore[attr-defined]
    lot = client.get(f"/api/v1/lots/{din}").json()
    assert lot["therapy_coi"] == coi and lot["state"] == "in_process"


def test_a_bag_from_another_subject_is_refused_and_audited(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    _, expected = _bag(database, settings, "S-A", "MRN-A")
    _, other = _bag(database, settings, "S-B", "MRN-B")
    client, _ = as_role(Role.OPERATOR)
    response = _receive(client, other, expected)
    assert response.status_code == 409  # type: ignore[attr-defined]
    reason = response.json()["reasons"][0]  # type: ignore[attr-defined]
    assert reason["code"] == "receipt.wrong_bag" and other in reason["message"] and expected in reason["message"]
    assert client.get(f"/api/v1/collections/{other}").json()["state"] == "in_transit"
    assert client.get(f"/api/v1/collections/{expected}").json()["state"] == "in_transit"
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="station", entity_id="RECEIVING-1")[-1]
    assert entry.action == "receipt.refused" and expected in json.loads(entry.new_values)["expected"]


def test_a_late_bag_can_only_be_quarantined_or_rejected(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    _, din = _bag(database, settings, "S-A", "MRN-A", hours_ago=30)
    client, _ = as_role(Role.OPERATOR)
    accepted = _receive(client, din, din)
    assert accepted.status_code == 409  # type: ignore[attr-defined]
    assert [r["code"] for r in accepted.json()["reasons"]] == ["receipt.too_late"]  # type: ignore[attr-defined]
    assert _receive(client, din, din, "quarantine").status_code == 409  # type: ignore[attr-defined]
    quarantined = _receive(client, din, din, "quarantine", reason="30 h after collection")
    assert quarantined.status_code == 201  # type: ignore[attr-defined]
    assert quarantined.json()["refusals_at_receipt"][0]["code"] == "receipt.too_late"  # type: ignore[attr-defined]
    assert client.get(f"/api/v1/collections/{din}").json()["state"] == "quarantined"


def test_a_warm_bag_cannot_be_accepted_but_can_be_rejected(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    _, din = _bag(database, settings, "S-A", "MRN-A")
    client, _ = as_role(Role.OPERATOR)
    warm = _receive(client, din, din, temperature=31.0)
    assert [r["code"] for r in warm.json()["reasons"]] == ["receipt.temperature"]  # type: ignore[attr-defined]
    rejected = _receive(client, din, din, "reject", temperature=31.0, reason="31 °C on arrival")
    assert rejected.status_code == 201  # type: ignore[attr-defined]
    assert client.get(f"/api/v1/collections/{din}").json()["state"] == "rejected"
    assert client.get(f"/api/v1/lots/{din}").status_code == 404


def test_a_bag_in_transit_is_not_accepted_outside_the_receiving_station(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    _, din = _bag(database, settings, "S-A", "MRN-A")
    client, _ = as_role(Role.OPERATOR)
    response = client.post(f"/api/v1/collections/{din}/transitions/accept", json={})
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["receipt.required"]
