"""A completed therapy takes no further collection: scheduling and recording one are refused, with a reason and an
audit entry, and nothing is created."""

from __future__ import annotations

import json

from conftest import api_client
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.collections import gates
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.collection import Collection
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role

from bedside_builders import at_clinic, bag_scan, check_body, infusion_body, wristband
from builders import make_user


def _collections_of(database: Database, coi: str) -> int:
    with database.transaction(write=False) as session:
        therapy_id = session.execute(select(Therapy.id).where(col(Therapy.coi) == coi)).scalar_one()
        return int(session.execute(select(func.count()).select_from(Collection)
                                   .where(col(Collection.therapy_id) == therapy_id)).scalar_one())


def test_a_completed_therapy_refuses_a_new_collection_and_the_recording_of_a_scheduled_one(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    scheduler = api_client(app, make_user(database, Role.INVESTIGATOR, Role.COLLECTOR))
    spare = scheduler.post("/api/v1/collections", json={"therapy_coi": lot.coi})
    assert spare.status_code == 201, spare.text  # while the therapy is open, a further collection may be planned
    nurse = api_client(app, people.nurse)
    for bag in lot.bag_ids:
        checked = nurse.post("/api/v1/bedside/checks",
                             json=check_body(wristband(lot.coi), bag_scan(database, bag), people.doctor))
        infused = nurse.post("/api/v1/bedside/infusions",
                             json=infusion_body(checked.json()["id"], people.nurse, people.doctor))
        assert infused.status_code == 201, infused.text
    assert infused.json()["therapy_state"] == "completed"
    before = _collections_of(database, lot.coi)

    refused = scheduler.post("/api/v1/collections", json={"therapy_coi": lot.coi})
    assert refused.status_code == 409, refused.text
    assert [r["code"] for r in refused.json()["reasons"]] == ["therapy.completed"]
    assert lot.coi in refused.json()["reasons"][0]["message"]
    assert "completed" in refused.json()["reasons"][0]["message"]
    assert _collections_of(database, lot.coi) == before
    with database.transaction(write=False) as session:
        last = audit_service.entries_for(session=session, entity_type="therapy", entity_id=lot.coi)[-1]
    assert last.action == "collection.schedule_refused"
    assert [r["code"] for r in json.loads(last.new_values)["reasons"]] == ["therapy.completed"]

    recorded = scheduler.post(f"/api/v1/collections/{spare.json()['din']}/transitions/collect",
                              json={"volume_ml": 50})
    assert recorded.status_code == 409, recorded.text
    assert "therapy.completed" in [r["code"] for r in recorded.json()["reasons"]]
    assert scheduler.get(f"/api/v1/collections/{spare.json()['din']}").json()["state"] == "scheduled"
    with database.transaction(write=False) as session:
        last = audit_service.entries_for(session=session, entity_type="collection",
                                         entity_id=spare.json()["din"])[-1]
    assert last.action == "collection.transition_refused"


def test_only_an_open_therapy_takes_a_collection() -> None:
    def codes(state: str) -> list[str]:
        return [r.code for r in gates.collection_allowed(gates.SubjectStanding(
            subject_code="S-001", eligible=True, consent_withdrawn=False, therapy_coi="CHW000026000001",
            therapy_state=state))]

    assert codes("open") == []
    assert codes("completed") == ["therapy.completed"]
    assert codes("withdrawn") == codes("cancelled") == ["therapy.closed"]  # any state but open closes it
