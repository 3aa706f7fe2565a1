"""Step execution through the API: the gates of every processing step (DESIGN.md section 4)."""

from __future__ import annotations

from conftest import api_client
from fastapi import FastAPI
from sqlmodel import col, func, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.material import MaterialStatus, MaterialUse
from batchtrack.models.processing import StepValue, StepVessel

from processing_builders import (
    INSTRUMENTS,
    STATION,
    add_instrument,
    add_material,
    bag_scan,
    open_bench,
    run_isolation,
    vessel_scan,
)

BASE = f"/api/v1/workstations/{STATION}"


def _refusals(database: Database, action: str, din: str) -> list[AuditEntry]:
    with database.transaction(write=False) as session:
        return list(session.execute(select(AuditEntry).where(
            col(AuditEntry.action) == action, col(AuditEntry.entity_id) == din)).scalars())


def _count(database: Database, model: type) -> int:
    with database.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_vessel_of_another_lot_scanned_during_a_step_is_refused_naming_both_lots_and_audited(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    lot_a = open_bench(database, settings, subject="S-001")
    lot_b = open_bench(database, settings, subject="S-002", station="BSC-2", with_stock=False)
    client = api_client(app, lot_a.operator)
    assert client.post(f"{BASE}/steps/isolation/start").status_code == 200
    vessels_before = _count(database, StepVessel)

    response = client.post(f"{BASE}/steps/isolation/scans", json={"scan": bag_scan(lot_b.lot.din)})

    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "identity_mismatch"
    text = " ".join(r["message"] for r in body["reasons"])
    assert lot_a.lot.din in text and lot_b.lot.din in text
    assert _count(database, StepVessel) == vessels_before
    refusal = _refusals(database, "step.scan_refused", lot_a.lot.din)
    assert len(refusal) == 1 and refusal[0].actor_id == lot_a.operator.principal.user_id
    # The lot's own bag is accepted at the same step.
    ok = client.post(f"{BASE}/steps/isolation/scans", json={"scan": bag_scan(lot_a.lot.din)})
    assert ok.status_code == 200 and ok.json()["ok"] is True


def test_an_expired_material_is_refused(app: FastAPI, database: Database, settings: Settings) -> None:
    bench = open_bench(database, settings)
    expired = add_material(database, "medium", "MT2699001", expires_in_days=-1)
    client = api_client(app, bench.operator)
    client.post(f"{BASE}/steps/isolation/start")

    response = client.post(f"{BASE}/steps/isolation/scans", json={"scan": expired})

    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["material.expired"]
    assert _count(database, MaterialUse) == 0
    assert len(_refusals(database, "step.scan_refused", bench.lot.din)) == 1


def test_an_unreleased_material_is_refused(app: FastAPI, database: Database, settings: Settings) -> None:
    bench = open_bench(database, settings)
    quarantined = add_material(database, "medium", "MT2699002", status=MaterialStatus.QUARANTINE)
    rejected = add_material(database, "pen_strep", "MT2699003", status=MaterialStatus.REJECTED)
    client = api_client(app, bench.operator)
    client.post(f"{BASE}/steps/isolation/start")

    for code in (quarantined, rejected):
        response = client.post(f"{BASE}/steps/isolation/scans", json={"scan": code})
        assert response.status_code == 409
        assert [r["code"] for r in response.json()["reasons"]] == ["material.not_released"]
    assert _count(database, MaterialUse) == 0


def test_a_material_the_step_does_not_use_is_refused(app: FastAPI, database: Database, settings: Settings) -> None:
    bench = open_bench(database, settings)
    client = api_client(app, bench.operator)
    client.post(f"{BASE}/steps/isolation/start")
    response = client.post(f"{BASE}/steps/isolation/scans", json={"scan": bench.stock["albumin"]})
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["material.not_for_step"]


def test_an_instrument_overdue_for_calibration_is_refused(app: FastAPI, database: Database,
                                                          settings: Settings) -> None:
    bench = open_bench(database, settings)
    overdue = add_instrument(database, "incubator", "INC-0099", due_in_days=-0.01)
    client = api_client(app, bench.operator)
    client.post(f"{BASE}/steps/isolation/start")

    response = client.post(f"{BASE}/steps/isolation/scans", json={"scan": overdue})

    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["equipment.calibration_overdue"]
    good = client.post(f"{BASE}/steps/isolation/scans", json={"scan": INSTRUMENTS["incubator"]})
    assert good.status_code == 200


def test_one_lot_per_workstation(app: FastAPI, database: Database, settings: Settings) -> None:
    bench = open_bench(database, settings)
    other = open_bench(database, settings, subject="S-002", station="BSC-2", with_stock=False)
    client = api_client(app, bench.operator)

    response = client.post(f"{BASE}/lot", json={"scan": bag_scan(other.lot.din)})

    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["station.other_lot_open"]
    assert client.get(BASE).json()["lot_din"] == bench.lot.din


def test_steps_follow_the_process_order(app: FastAPI, database: Database, settings: Settings) -> None:
    bench = open_bench(database, settings)
    client = api_client(app, bench.operator)
    response = client.post(f"{BASE}/steps/passage_1/start")
    assert response.status_code == 409
    assert "step.out_of_order" in [r["code"] for r in response.json()["reasons"]]


def test_a_step_is_not_completed_until_everything_it_needs_is_recorded(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    client = api_client(app, bench.operator)
    client.post(f"{BASE}/steps/isolation/start")

    response = client.post(f"{BASE}/steps/isolation/complete", json=bench.operator.credentials)

    assert response.status_code == 409
    codes = {r["code"] for r in response.json()["reasons"]}
    assert {"step.values_missing", "step.vessel_missing", "step.no_new_vessels", "step.materials_missing",
            "step.equipment_missing"} <= codes


def test_second_person_verification_by_the_performer_is_refused(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench, verify=False)
    din = bench.lot.din

    own = api_client(app, bench.operator).post(f"/api/v1/lots/{din}/steps/isolation/verify",
                                               json=bench.operator.credentials)
    assert own.status_code == 409
    assert "step.four_eyes" in [r["code"] for r in own.json()["reasons"]]
    assert len(_refusals(database, "step.verify_refused", din)) == 1

    other = api_client(app, bench.verifier).post(f"/api/v1/lots/{din}/steps/isolation/verify",
                                                 json=bench.verifier.credentials)
    assert other.status_code == 200, other.text
    isolation = next(s for s in other.json() if s["code"] == "isolation")
    assert isolation["state"] == "verified"


def test_a_correction_without_a_reason_is_refused_and_a_correction_keeps_the_old_value(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    client = api_client(app, bench.operator)
    url = f"/api/v1/lots/{bench.lot.din}/steps/isolation/corrections"

    refused = client.post(url, json={"name": "viability", "value": 94.0, "reason": "   "})
    assert refused.status_code == 400
    assert refused.json()["error"] == "reason_required"

    corrected = client.post(url, json={"name": "viability", "value": 94.0, "reason": "transcription error"})
    assert corrected.status_code == 201, corrected.text
    viability = next(v for s in corrected.json() if s["code"] == "isolation" for v in s["values"]
                     if v["name"] == "viability")
    assert viability["value"] == 94.0 and viability["corrected"] is True
    with database.transaction(write=False) as session:
        rows = session.execute(select(StepValue).where(col(StepValue.name) == "viability")
                               .order_by(col(StepValue.id))).scalars().all()
    assert [r.value for r in rows] == [96.0, 94.0]
    assert rows[1].replaces_id == rows[0].id and rows[1].reason == "transcription error"


def test_a_value_recorded_twice_is_refused_as_it_would_overwrite(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    client = api_client(app, bench.operator)
    client.post(f"{BASE}/steps/isolation/start")
    assert client.post(f"{BASE}/steps/isolation/values", json={"name": "viability", "value": 95}).status_code == 201
    again = client.post(f"{BASE}/steps/isolation/values", json={"name": "viability", "value": 91})
    assert again.status_code == 409 and again.json()["error"] == "value.already_recorded"


def test_impossible_values_and_bad_input_are_refused_with_reasons(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    client = api_client(app, bench.operator)
    client.post(f"{BASE}/steps/isolation/start")
    assert client.post(f"{BASE}/steps/isolation/values",
                       json={"name": "viability", "value": 140}).status_code == 400
    assert client.post(f"{BASE}/steps/isolation/values",
                       json={"name": "no_such_value", "value": 1}).status_code == 400
    assert client.post(f"{BASE}/steps/isolation/values", json={"name": "viability", "value": "NaN"}).status_code == 422
    assert client.post(f"{BASE}/steps/isolation/scans", json={"scan": "\x00\x00"}).status_code in (404, 409)
    assert client.post(f"{BASE}/steps/nope/start").status_code == 404
    assert client.post("/api/v1/workstations/bad%20name!/close").status_code == 422


def test_vessels_taken_in_are_consumed_when_the_step_completes(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench)
    client = api_client(app, bench.operator)
    containers = client.get(f"/api/v1/lots/{bench.lot.din}/containers").json()
    bag = next(c for c in containers if c["kind"] == "aspirate_bag")
    vessels = [c for c in containers if c["kind"] == "culture_vessel"]
    assert bag["status"] == "consumed"
    assert len(vessels) == 2 and all(v["status"] == "in_use" for v in vessels)
    client.post(f"{BASE}/steps/passage_1/start")
    used = client.post(f"{BASE}/steps/passage_1/scans", json={"scan": bag_scan(bench.lot.din)})
    assert used.status_code == 409
    assert "scan.container_status" in [r["code"] for r in used.json()["reasons"]]
    ok = client.post(f"{BASE}/steps/passage_1/scans",
                     json={"scan": vessel_scan(bench.lot.din, vessels[0]["sample_flag"])})
    assert ok.status_code == 200, ok.text
