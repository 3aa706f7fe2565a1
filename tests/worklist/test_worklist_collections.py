"""A collector's list: the collections scheduled, due at their planned time, until the aspirate is recorded."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import api_client
from fastapi import FastAPI

from batchtrack.collections import schemas as collection_schemas
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role

from builders import collected_bag, enrol_eligible, make_user


def test_a_collector_sees_the_scheduled_collection_until_its_aspirate_is_recorded(
        app: FastAPI, database: Database, settings: Settings) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician)
    planned = utcnow() + timedelta(hours=5)
    with database.transaction() as session:
        din = collection_service.schedule(
            session=session, settings=settings, actor=clinician.principal,
            data=collection_schemas.CollectionCreate(therapy_coi=coi, scheduled_for=planned)).din
    collector = api_client(app, make_user(database, Role.COLLECTOR))
    body = collector.get("/api/v1/me/worklist").json()
    assert [s["kind"] for s in body["sections"]] == ["collection_scheduled", "bag_in_transit"]
    [item] = body["sections"][0]["items"]
    assert item["about"] == din and item["link"] == f"/collections/{din}"
    assert item["title"] == f"Collect aspirate {din} (therapy {coi})"
    assert abs(datetime.fromisoformat(item["due_at"]) - planned) < timedelta(seconds=1)
    assert "4 h 59 min left" in item["due"] or "5 h 0 min left" in item["due"]
    courier = api_client(app, make_user(database, Role.COURIER)).get("/api/v1/me/worklist").json()
    assert "collection_scheduled" not in [s["kind"] for s in courier["sections"]]

    # Once collected the bag moves to the bags in transit; a second therapy's collection still scheduled stays.
    other = enrol_eligible(database, settings, clinician, subject="S-002", mrn="MRN-S-002")
    collected = collected_bag(database, settings, clinician, other)
    with database.transaction() as session:
        collection_service.transition(
            session=session, actor=clinician.principal, din=din, name="collect",
            data=collection_schemas.CollectionTransition(
                started_at=utcnow() - timedelta(minutes=40), occurred_at=utcnow() - timedelta(minutes=10),
                volume_ml=50.0, anticoagulant="heparin", site="posterior iliac crest"))
    body = collector.get("/api/v1/me/worklist").json()
    assert body["sections"][0]["items"] == []
    assert "scheduled" in body["sections"][0]["empty"]
    assert {i["about"] for i in body["sections"][1]["items"]} == {din, collected}
