"""Step execution answers a Korean reader in Korean: the refusal of a step started out of order through the API,
and a scan's outcome; the codes and the English (the default, and the audit trail) are unchanged."""

from __future__ import annotations

from conftest import api_client
from fastapi import FastAPI
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry

from processing_builders import STATION, bag_scan, open_bench

BASE = f"/api/v1/workstations/{STATION}"
KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9"}


def test_a_step_started_out_of_order_is_refused_in_korean_with_its_code(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    client = api_client(app, bench.operator)

    korean = client.post(f"{BASE}/steps/passage_1/start", headers=KOREAN)
    english = client.post(f"{BASE}/steps/passage_1/start")

    assert korean.status_code == english.status_code == 409, korean.text
    assert korean.json()["error"] == english.json()["error"] == "gate_refused"
    assert korean.json()["message"] == f"로트 {bench.lot.din}의 계대 1 (P1)을(를) 시작할 수 없습니다"
    assert english.json()["message"] == f"Passage 1 (P1) cannot start for lot {bench.lot.din}"
    assert korean.json()["reasons"] == [{
        "code": "step.out_of_order",
        "message": "계대 1 (P1) 전에 분리 및 P0 접종을(를) 완료하고 확인(2인 확인)받아야 합니다"}]
    assert english.json()["reasons"] == [{
        "code": "step.out_of_order",
        "message": "Isolation and P0 seeding must be completed and verified before Passage 1 (P1)"}]
    with database.transaction(write=False) as session:
        refused = session.execute(select(AuditEntry).where(
            col(AuditEntry.action) == "step.start_refused", col(AuditEntry.entity_id) == bench.lot.din)).scalars()
        recorded = [(entry.new_values or "") + (entry.reason or "") for entry in refused]
    # The trail keeps the English, whoever read the refusal.
    assert len(recorded) == 2
    assert all("must be completed and verified" in text and "완료" not in text for text in recorded)
    assert all("Isolation and P0 seeding" in text and "접종" not in text for text in recorded)


def test_a_scan_s_outcome_is_answered_in_the_reader_s_language(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    client = api_client(app, bench.operator)
    assert client.post(f"{BASE}/steps/isolation/start").status_code == 200

    korean = client.post(f"{BASE}/steps/isolation/scans", json={"scan": bag_scan(bench.lot.din)}, headers=KOREAN)
    english = client.post(f"{BASE}/steps/isolation/scans", json={"scan": bag_scan(bench.lot.din)})

    assert korean.status_code == english.status_code == 200, korean.text
    assert korean.json()["ok"] and korean.json()["kind"] == "vessel"
    assert korean.json()["message"].endswith(f"로트 {bench.lot.din}의 용기입니다. 진행하십시오")
    assert english.json()["message"].endswith(f"belongs to lot {bench.lot.din}: proceed")
