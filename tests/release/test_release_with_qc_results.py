"""The release with results entered by QC through its own service: a full release, and a release pending
sterility whose positive final sterility alerts the clinic, shows on the dashboard and the certificate."""

from __future__ import annotations

from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.container import ContainerKind
from batchtrack.quality import results, specification

from deviation_builders import HTML, sign_in
from processing_builders import vessel_scan
from quality_builders import CONFORMING, result
from release_builders import ReadyLot, co_sign, lot_state, ready_lot

EVERY_TEST = tuple(test.code for test in specification.shipped_default().tests)


def _sample_scan(database: Database, din: str) -> str:
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        sample = next(c for c in lot_service.containers_of(session=session, lot=lot)
                      if c.kind == ContainerKind.QC_SAMPLE)
    return vessel_scan(din, sample.sample_flag)


def _enter(database: Database, lot: ReadyLot, code: str, *, text: str | None = None,
           status: str = "final") -> results.Recorded:
    value, word = CONFORMING[code]
    with database.transaction() as session:
        return results.enter_result(
            session=session, actor=lot.analyst.principal, din=lot.din,
            data=result(code, _sample_scan(database, lot.din), value=value, text=word if text is None else text,
                        status=status, day=5 if status == "preliminary" else None))


def test_a_lot_whose_results_qc_entered_is_released(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings, skip=EVERY_TEST)
    for code in EVERY_TEST:
        recorded = _enter(database, lot, code)
        assert recorded.result.conforms is True, (code, recorded.message)
    response = api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert response.status_code == 200, response.text
    assert lot_state(database, lot.din) == "released"


def test_a_positive_sterility_after_a_release_pending_sterility_alerts_the_clinic(
    app: FastAPI, client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=EVERY_TEST)
    for code in EVERY_TEST:
        if code != "sterility":
            _enter(database, lot, code)
    _enter(database, lot, "sterility", status="preliminary")
    co_sign(database, lot.din, lot.director, "medical_director")
    co_sign(database, lot.din, lot.physician, "treating_physician")
    released = api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/release",
                                            json={**lot.qa.credentials, "pending_sterility": True})
    assert released.status_code == 200, released.text

    recorded = _enter(database, lot, "sterility", text="growth")
    assert recorded.alert is not None and recorded.deviation is not None
    alerts = api_client(app, lot.physician).get("/api/v1/alerts?open_only=true").json()
    assert [(a["lot_din"], a["deviation_number"]) for a in alerts] == [(lot.din, recorded.deviation.number)]

    sign_in(client, lot.physician)
    dashboard = client.get("/", headers=HTML).text
    assert 'id="alerts-banner"' in dashboard and recorded.alert.message in dashboard

    acknowledged = api_client(app, lot.physician).post(f"/api/v1/alerts/{alerts[0]['id']}/acknowledge")
    assert acknowledged.status_code == 200
    assert 'id="alerts-banner"' not in client.get("/", headers=HTML).text

    certificate = api_client(app, lot.qa).get(f"/api/v1/lots/{lot.din}/certificate").json()
    sterility = next(t for t in certificate["tests"] if t["code"] == "sterility")
    assert sterility["conforms"] is False and sterility["after_decision"] is True
    assert certificate["decision"]["decision"] == "released_pending_sterility"
