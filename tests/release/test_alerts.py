"""Alerts to the clinic: listed, shown on the dashboard until acknowledged, acknowledged once by a clinician or QA."""

from __future__ import annotations

import re

from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user, seed_lot
from deviation_builders import HTML, csrf_of, sign_in
from release_builders import raise_alert

MESSAGE = "Sterility (14 days): growth at day 6 after release; do not infuse, contact QA."


def test_an_alert_is_listed_and_acknowledged_once_by_a_clinician(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    alert_id = raise_alert(database, lot.din, MESSAGE)
    nurse = make_user(database, Role.NURSE)
    listed = api_client(app, make_user(database, Role.COURIER)).get("/api/v1/alerts?open_only=true").json()
    assert [(a["id"], a["lot_din"], a["message"], a["acknowledged_at"]) for a in listed] == [
        (alert_id, lot.din, MESSAGE, None)]

    refused = api_client(app, make_user(database, Role.OPERATOR)).post(f"/api/v1/alerts/{alert_id}/acknowledge")
    assert refused.status_code == 403
    acknowledged = api_client(app, nurse).post(f"/api/v1/alerts/{alert_id}/acknowledge")
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledged_by"] == nurse.principal.full_name
    again = api_client(app, make_user(database, Role.QA)).post(f"/api/v1/alerts/{alert_id}/acknowledge")
    assert again.status_code == 409 and again.json()["error"] == "alert.acknowledged"
    assert api_client(app, nurse).post("/api/v1/alerts/99999/acknowledge").status_code == 404

    assert api_client(app, nurse).get("/api/v1/alerts?open_only=true").json() == []
    assert len(api_client(app, nurse).get("/api/v1/alerts").json()) == 1
    with database.transaction(write=False) as session:
        [entry] = audit_service.entries_for(session=session, entity_type="alert", entity_id=alert_id)
    assert entry.action == "alert.acknowledged" and entry.actor_id == nurse.principal.user_id


def test_the_dashboard_shows_unacknowledged_alerts_until_they_are_acknowledged_on_the_alerts_page(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    alert_id = raise_alert(database, lot.din, MESSAGE)
    investigator = make_user(database, Role.INVESTIGATOR)
    sign_in(client, investigator)
    dashboard = client.get("/", headers=HTML).text
    assert 'id="alerts-banner"' in dashboard and MESSAGE in dashboard and lot.din in dashboard
    assert re.search(r'<a href="/alerts"[^>]*>Alerts</a>', dashboard), "the menu leads to the alerts"
    assert "style=" not in dashboard and "<script" not in dashboard

    page = client.get("/alerts", headers=HTML).text
    assert f'id="acknowledge-{alert_id}"' in page
    done = client.post(f"/alerts/{alert_id}/acknowledge", headers=HTML, follow_redirects=False,
                       data={"csrf_token": csrf_of(client, "/alerts")})
    assert done.status_code == 303
    assert 'id="alerts-banner"' not in client.get("/", headers=HTML).text
    shown = client.get("/alerts?show=all", headers=HTML).text
    assert MESSAGE in shown and investigator.principal.full_name in shown
