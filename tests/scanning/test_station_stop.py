"""At the station page a STOP stays until a person acknowledges it: the next scan is not taken (its Enter does not
clear the STOP), the acknowledgement is recorded in the audit trail with who and when, and only then is the next
scan judged. A scan at a station that expects nothing says what it is, on the page and in the API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import isbt
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role

from builders import UserHandle, bag_scan, make_user, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
KOREAN = {"accept-language": "ko-KR,ko;q=0.9"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(client: TestClient, user: UserHandle) -> str:
    """Sign in through the form; the CSRF token of the session's forms."""
    token = TOKEN.search(client.get("/login", headers=HTML).text)
    assert token
    signed_in = client.post("/login", data={"username": user.username, "password": user.password, "next": "/",
                                            "csrf_token": token.group(1)}, headers=HTML, follow_redirects=False)
    assert signed_in.status_code == 303
    page = TOKEN.search(client.get("/station", headers=HTML).text)
    assert page
    return page.group(1)


def _scan(client: TestClient, csrf: str, raw: str, **setup: str) -> tuple[int, str]:
    response = client.post("/station", data={"csrf_token": csrf, "raw": raw, **setup}, headers=HTML)
    return response.status_code, response.text


def _refusal_seq(page: str) -> str:
    found = re.search(r'name="refusal" value="(\d+)"', page)
    assert found, "the STOP offers no acknowledgement"
    return found.group(1)


def _station_actions(database: Database, station: str) -> list[str]:
    with database.transaction(write=False) as session:
        return [e.action for e in audit_service.entries_for(session=session, entity_type="station",
                                                            entity_id=station)]


def test_a_stop_stays_through_the_next_scan_and_clears_only_when_acknowledged(
    database: Database, settings: Settings, client: TestClient,
) -> None:
    lot_a = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    lot_b = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    operator = make_user(database, Role.OPERATOR)
    csrf = _signed_in(client, operator)
    setup = {"station": "BSC-7", "lot": lot_a.din, "kind": "aspirate_bag"}

    status, page = _scan(client, csrf, bag_scan(lot_b.din), **setup)
    assert status == 200 and "STOP" in page and "scan.wrong_lot" in page
    # The reason in plain words first, its code after it.
    assert page.index(f"belongs to lot {lot_b.din}") < page.index("scan.wrong_lot")
    refusal = _refusal_seq(page)

    # The right bag, scanned before anyone acknowledged: not taken, the STOP shown again.
    status, page = _scan(client, csrf, bag_scan(lot_a.din), **setup)
    assert status == 409
    assert "not taken" in page and "STOP" in page and "PROCEED" not in page and "scan.wrong_lot" in page
    assert _refusal_seq(page) == refusal
    # Reloading the station does not clear it either.
    assert "scan.wrong_lot" in client.get("/station?station=BSC-7", headers=HTML).text
    assert _station_actions(database, "BSC-7") == ["scan.refused"]

    acknowledged = client.post("/station/acknowledge", headers=HTML, data={
        "csrf_token": csrf, "refusal": refusal, **setup})
    assert acknowledged.status_code == 200, acknowledged.text
    assert f"STOP acknowledged by {operator.principal.full_name}" in acknowledged.text
    assert 'name="refusal"' not in acknowledged.text
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="station", entity_id="BSC-7")[-1]
    assert entry.action == "scan.stop_acknowledged" and entry.actor_name == operator.principal.full_name
    recorded = json.loads(entry.new_values)
    assert entry.occurred_at is not None and recorded["refusal_seq"] == int(refusal)
    assert recorded["reasons"] == ["scan.wrong_lot"]

    status, page = _scan(client, csrf, bag_scan(lot_a.din), **setup)
    assert status == 200 and "PROCEED" in page and "STOP" not in page


def test_a_stop_acknowledged_already_or_unknown_is_refused_with_a_reason(
    database: Database, settings: Settings, client: TestClient,
) -> None:
    csrf = _signed_in(client, make_user(database, Role.OPERATOR))
    status, page = _scan(client, csrf, "=W0000", station="BSC-8")
    assert status == 200 and "STOP" in page
    refusal = _refusal_seq(page)
    first = client.post("/station/acknowledge", headers=HTML,
                        data={"csrf_token": csrf, "refusal": refusal, "station": "BSC-8"})
    assert first.status_code == 200
    again = client.post("/station/acknowledge", headers=HTML,
                        data={"csrf_token": csrf, "refusal": refusal, "station": "BSC-8"})
    assert again.status_code == 409 and "station.stop_already_acknowledged" in again.text
    unknown = client.post("/station/acknowledge", headers=HTML,
                          data={"csrf_token": csrf, "refusal": "999999", "station": "BSC-9"})
    assert unknown.status_code == 409 and "station.no_stop" in unknown.text
    malformed = client.post("/station/acknowledge", headers=HTML,
                            data={"csrf_token": csrf, "refusal": "the next scan", "station": "BSC-8"})
    assert malformed.status_code == 422
    assert _station_actions(database, "BSC-8") == ["scan.refused", "scan.stop_acknowledged"]


def test_a_stop_in_korean_reads_again_in_korean_when_the_next_scan_is_not_taken(
    database: Database, settings: Settings, client: TestClient,
) -> None:
    lot_a = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    lot_b = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    csrf = _signed_in(client, make_user(database, Role.OPERATOR))
    setup = {"csrf_token": csrf, "station": "BSC-KO", "lot": lot_a.din}
    client.post("/station", data={**setup, "raw": bag_scan(lot_b.din)}, headers={**HTML, **KOREAN})
    again = client.post("/station", data={**setup, "raw": bag_scan(lot_a.din)}, headers={**HTML, **KOREAN})
    assert again.status_code == 409
    assert f"로트 {lot_b.din}에 속하지만, 로트 {lot_a.din}이(가) 필요합니다" in again.text
    assert "belongs to" not in again.text


def _complete(database: Database, coi: str) -> None:
    # What recording the infusion of the therapy's last bag does to it (batchtrack.bedside.infusions).
    with database.transaction() as session:
        therapy = session.execute(select(Therapy).where(Therapy.coi == coi)).scalar_one()
        therapy.state = "completed"
        session.add(therapy)
        audit_service.record(session=session, actor=SYSTEM, action="therapy.completed", entity_type="therapy",
                             entity_id=coi, old={"state": "open"}, new={"state": "completed"})


def test_a_completed_therapys_coi_scanned_where_nothing_is_expected_is_identified_never_proceed(
    database: Database, settings: Settings, as_role: ClientFactory, client: TestClient,
) -> None:
    lot = seed_lot(database, settings)
    _complete(database, lot.coi)
    api, _ = as_role(Role.OPERATOR)
    raw = isbt.coi_structure(coi_id.parse(lot.coi))
    body = api.post("/api/v1/scans", json={"raw": raw, "station": "HAND-1"}).json()
    assert body["ok"] is True and body["verdict"] == "identified", body
    assert body["identified"]["code"] == "scan.identified.therapy"
    today = datetime.now(settings.zone).strftime("%Y-%m-%d %Z")  # in the site's zone, with the zone named
    assert body["identified"]["message"] == f"therapy {lot.coi}, completed on {today}: its product was infused"
    korean = api.post("/api/v1/scans", json={"raw": raw, "station": "HAND-1"}, headers=KOREAN).json()
    assert korean["identified"]["code"] == "scan.identified.therapy" and "완료" in korean["identified"]["message"]

    csrf = _signed_in(client, make_user(database, Role.OPERATOR))
    status, page = _scan(client, csrf, raw, station="DESK-1")
    assert status == 200 and "PROCEED" not in page and "IDENTIFIED" in page
    assert f"therapy {lot.coi}, completed on" in page


def test_a_bag_scanned_where_nothing_is_expected_names_its_lot_and_where_a_lot_is_expected_proceeds(
    database: Database, settings: Settings, as_role: ClientFactory,
) -> None:
    lot = seed_lot(database, settings)
    api, _ = as_role(Role.OPERATOR)
    anywhere = api.post("/api/v1/scans", json={"raw": bag_scan(lot.din), "station": "HAND-2"}).json()
    assert anywhere["verdict"] == "identified" and anywhere["identified"]["code"] == "scan.identified.container"
    assert anywhere["identified"]["message"].endswith(f"of lot {lot.din}, in process")
    expected = api.post("/api/v1/scans", json={"raw": bag_scan(lot.din), "station": "HAND-2",
                                               "expect": {"lot_din": lot.din}}).json()
    assert expected["ok"] is True and expected["verdict"] == "proceed" and expected["identified"] is None
    wrong = api.post("/api/v1/scans", json={"raw": "=W0000", "station": "HAND-2"}).json()
    assert wrong["ok"] is False and wrong["verdict"] == "stop" and wrong["identified"] is None


def test_a_handheld_reads_the_pending_stop_and_acknowledges_it_through_the_api(
    database: Database, settings: Settings, as_role: ClientFactory,
) -> None:
    api, user = as_role(Role.NURSE)
    assert api.get("/api/v1/scans/stations/WARD-3/stop").json() == {
        "station": "WARD-3", "pending": False, "refusal_seq": None, "occurred_at": None, "scanned_by": None,
        "reasons": [], "raw_escaped": None}
    api.post("/api/v1/scans", json={"raw": "=W0000", "station": "WARD-3"})
    pending = api.get("/api/v1/scans/stations/WARD-3/stop", headers=KOREAN).json()
    assert pending["pending"] is True and pending["scanned_by"] == user.principal.full_name
    assert pending["reasons"] and all(r["code"].startswith("din.") for r in pending["reasons"])
    done = api.post("/api/v1/scans/stations/WARD-3/stop/acknowledgement",
                    json={"refusal_seq": pending["refusal_seq"]})
    assert done.status_code == 201, done.text
    assert done.json()["acknowledged_by"] == user.principal.full_name
    assert done.json()["still_pending"]["pending"] is False
    again = api.post("/api/v1/scans/stations/WARD-3/stop/acknowledgement",
                     json={"refusal_seq": pending["refusal_seq"]})
    assert again.status_code == 409
    assert [r["code"] for r in again.json()["reasons"]] == ["station.stop_already_acknowledged"]
    assert api.post("/api/v1/scans/stations/WARD-3/stop/acknowledgement",
                    json={"refusal_seq": "first"}).status_code == 422
    assert _station_actions(database, "WARD-3") == ["scan.refused", "scan.stop_acknowledged"]
