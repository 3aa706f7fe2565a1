"""Collection is refused, with a clear reason, for a subject who is not eligible, withdrew consent, or is
hypersensitive to penicillin or streptomycin; a bag leaves only with its label verified by scan."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, eligible_answers, enrol_eligible

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _schedule(client: TestClient, coi: str) -> object:
    return client.post("/api/v1/collections", json={"therapy_coi": coi})


def test_an_eligible_consenting_subject_can_be_scheduled(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, investigator = as_role(Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, investigator)
    response = client.post("/api/v1/collections", json={"therapy_coi": coi})
    assert response.status_code == 201 and response.json()["state"] == "scheduled"


def test_a_subject_reassessed_as_not_eligible_is_refused_at_collection(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, investigator = as_role(Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, investigator)
    answers = {**eligible_answers(), "EXC-JUDGEMENT": True}
    client.post("/api/v1/recipients/S-001/eligibility", json={
        "answers": answers, "prescribed_cells_per_kg": 1e6, **investigator.credentials})
    response = client.post("/api/v1/collections", json={"therapy_coi": coi})
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["subject.not_eligible"]
    with database.transaction(write=False) as session:
        last = audit_service.entries_for(session=session, entity_type="therapy", entity_id=coi)[-1]
    assert last.action == "collection.schedule_refused"


def test_a_withdrawn_consent_refuses_scheduling_and_recording(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, investigator = as_role(Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, investigator)
    din = client.post("/api/v1/collections", json={"therapy_coi": coi}).json()["din"]
    client.post("/api/v1/recipients/S-001/consent-withdrawal", json={"reason": "withdrew"})
    scheduled = client.post("/api/v1/collections", json={"therapy_coi": coi})
    assert scheduled.status_code == 409
    assert [r["code"] for r in scheduled.json()["reasons"]] == ["subject.consent_withdrawn"]
    recorded = client.post(f"/api/v1/collections/{din}/transitions/collect", json={"volume_ml": 50})
    assert recorded.status_code == 409
    assert "subject.consent_withdrawn" in [r["code"] for r in recorded.json()["reasons"]]
    assert client.get(f"/api/v1/collections/{din}").json()["state"] == "scheduled"


def test_a_pen_strep_hypersensitivity_recorded_later_refuses_collection(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, investigator = as_role(Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, investigator)
    client.post("/api/v1/recipients/S-001/allergies", json={"substance": "streptomycin", "reaction": "rash"})
    response = client.post("/api/v1/collections", json={"therapy_coi": coi})
    assert response.status_code == 409
    reasons = response.json()["reasons"]
    assert [r["code"] for r in reasons] == ["subject.pen_strep_hypersensitivity"]
    assert "streptomycin" in reasons[0]["message"]


def test_a_bag_cannot_leave_before_its_label_is_applied_and_scan_verified(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, investigator = as_role(Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, investigator)
    din = client.post("/api/v1/collections", json={"therapy_coi": coi}).json()["din"]
    assert client.post(f"/api/v1/collections/{din}/transitions/collect", json={"volume_ml": 50}).status_code == 200
    refused = client.post(f"/api/v1/collections/{din}/transitions/dispatch", json={})
    assert refused.status_code == 409
    assert [r["code"] for r in refused.json()["reasons"]] == ["collection.labels_unverified"]
