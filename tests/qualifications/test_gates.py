"""Every gate that needs a qualification refuses a person without it, or whose qualification has expired: 403 with
the reason, nothing written, and the refusal in the audit trail against what was acted on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI
from qualification_builders import LATER, entries_of
from sqlalchemy import func, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.bedside import BedsideCheck, Infusion
from batchtrack.models.user import Role
from batchtrack.processing import service as step_service

from bedside_builders import at_clinic, bag_scan, check_body, infusion_body, wristband
from builders import UserHandle, make_user, qualify
from processing_builders import STATION, open_bench, run_isolation
from quality_builders import body, client_of, lot_in_qc, result_rows
from release_builders import lot_state, ready_lot

Travel = Callable[[timedelta], date]


def _refused(response: Any, code: str, *words: str) -> dict[str, Any]:
    assert response.status_code == 403, response.text
    refusal = response.json()
    assert refusal["error"] == code
    assert [r["code"] for r in refusal["reasons"]] == [code]
    for word in words:
        assert word in refusal["message"], (word, refusal["message"])
    return refusal


def _expired_on(user: UserHandle, database: Database, code: str) -> str:
    from batchtrack.qualifications import service as qualification_service
    with database.transaction(write=False) as session:
        return qualification_service.expiries_of(session=session, user_id=user.principal.user_id)[code].isoformat()


def test_a_step_is_started_and_completed_only_by_a_qualified_operator(
        app: FastAPI, database: Database, settings: Settings, travel: Travel) -> None:
    bench = open_bench(database, settings)
    newcomer = make_user(database, Role.OPERATOR, qualified=False)
    with client_of(app, newcomer) as client:
        start = f"/api/v1/workstations/{STATION}/steps/isolation/start"
        _refused(client.post(start), "qualification.missing", "GMP-ISOLATION", "performing the isolation step")
    with client_of(app, bench.operator) as client:
        assert client.post(start).status_code == 200  # the qualified operator starts it
    with client_of(app, newcomer) as client:
        complete = f"/api/v1/workstations/{STATION}/steps/isolation/complete"
        _refused(client.post(complete, json=newcomer.credentials), "qualification.missing")
    expiry = _expired_on(bench.operator, database, "GMP-ISOLATION")
    travel(LATER)
    with client_of(app, bench.operator) as client:
        _refused(client.post(complete, json=bench.operator.credentials), "qualification.expired",
                 f"expired on {expiry}")
    recorded = entries_of(database)
    assert [(r["entity"], r["refused"], r["activity"]) for r in recorded] == [
        (("lot", bench.lot.din), "qualification.missing", "process/BM-MSC-EXP/isolation/perform")] * 2 + [
        (("lot", bench.lot.din), "qualification.expired", "process/BM-MSC-EXP/isolation/perform")]
    assert recorded[0]["actor_id"] == newcomer.principal.user_id
    with database.transaction(write=False) as session:
        lot = step_service.require_open_lot(session=session, station=STATION)
        assert step_service.get_step(session=session, lot=lot, step_code="isolation").state == "in_progress"


def test_a_step_is_verified_only_by_a_qualified_second_person(
        app: FastAPI, database: Database, settings: Settings, travel: Travel) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench, verify=False)
    newcomer = make_user(database, Role.OPERATOR, qualified=False)
    verify = f"/api/v1/lots/{bench.lot.din}/steps/isolation/verify"
    with client_of(app, newcomer) as client:
        _refused(client.post(verify, json=newcomer.credentials), "qualification.missing",
                 "verifying the isolation step")
    travel(LATER)
    with client_of(app, bench.verifier) as client:
        _refused(client.post(verify, json=bench.verifier.credentials), "qualification.expired")
    assert [r["activity"] for r in entries_of(database)] == ["process/BM-MSC-EXP/isolation/verify"] * 2


def test_a_qc_result_is_entered_only_by_an_analyst_qualified_for_its_method(
        app: FastAPI, database: Database, settings: Settings, travel: Travel) -> None:
    qc = lot_in_qc(database, settings)
    newcomer = make_user(database, Role.QC_ANALYST, qualified=False)
    results = f"/api/v1/lots/{qc.din}/qc/results"
    with client_of(app, newcomer) as client:
        _refused(client.post(results, json=body("viability", qc.samples[0], value=95)), "qualification.missing",
                 "QC-FLOW")
    travel(LATER)
    with client_of(app, qc.analyst) as client:
        _refused(client.post(results, json=body("mycoplasma", qc.samples[0], text="not detected")),
                 "qualification.expired", "QC-MYCO")
    assert [(r["entity"], r["activity"]) for r in entries_of(database)] == [
        (("lot", qc.din), "specification/MSC-FP/viability"), (("lot", qc.din), "specification/MSC-FP/mycoplasma")]
    assert result_rows(database, qc.din) == []


def test_a_lot_is_released_or_rejected_only_by_qa_qualified_for_release(
        app: FastAPI, database: Database, settings: Settings, travel: Travel) -> None:
    lot = ready_lot(database, settings)
    newcomer = make_user(database, Role.QA, qualified=False)
    with client_of(app, newcomer) as client:
        _refused(client.post(f"/api/v1/lots/{lot.din}/release", json=newcomer.credentials),
                 "qualification.missing", "QA-RELEASE", "a release decision")
    travel(LATER)
    with client_of(app, lot.qa) as client:
        _refused(client.post(f"/api/v1/lots/{lot.din}/reject", json={**lot.qa.credentials, "reason": "clotted"}),
                 "qualification.expired", "QA-RELEASE")
    assert [(r["entity"], r["refused"]) for r in entries_of(database)] == [
        (("lot", lot.din), "qualification.missing"), (("lot", lot.din), "qualification.expired")]
    assert lot_state(database, lot.din) == "in_qc"


def test_a_release_pending_sterility_is_co_signed_only_by_clinicians_qualified_to_co_sign(
        app: FastAPI, database: Database, settings: Settings, travel: Travel) -> None:
    lot = ready_lot(database, settings, skip=("sterility",))
    newcomer = make_user(database, Role.MEDICAL_DIRECTOR, qualified=False)
    path = f"/api/v1/lots/{lot.din}/release/co-signatures"
    with client_of(app, newcomer) as client:
        _refused(client.post(path, json={"role": "medical_director", **newcomer.credentials}),
                 "qualification.missing", "REL-COSIGN", "co-signing a release pending sterility")
    with client_of(app, lot.director) as client:
        assert client.post(path, json={"role": "medical_director", **lot.director.credentials}).status_code == 201
    travel(LATER)
    with client_of(app, lot.physician) as client:
        _refused(client.post(path, json={"role": "treating_physician", **lot.physician.credentials}),
                 "qualification.expired", "REL-COSIGN")
    assert [(r["entity"], r["refused"]) for r in entries_of(database)] == [
        (("lot", lot.din), "qualification.missing"), (("lot", lot.din), "qualification.expired")]


def test_a_bedside_check_needs_both_clinicians_qualified(
        app: FastAPI, database: Database, settings: Settings, travel: Travel) -> None:
    lot, people = at_clinic(database, settings)
    scans = (wristband(lot.coi), bag_scan(database, lot.bag_ids[0]))
    newcomer = make_user(database, Role.NURSE, qualified=False)
    with client_of(app, newcomer) as client:
        _refused(client.post("/api/v1/bedside/checks", json=check_body(*scans, people.doctor)),
                 "qualification.missing", "CLIN-BEDSIDE", "a bedside identity check")
    with client_of(app, people.nurse) as client:
        second = _refused(client.post("/api/v1/bedside/checks", json=check_body(*scans, newcomer)),
                          "qualification.missing")
        assert newcomer.principal.full_name in second["message"]
    travel(LATER)
    with client_of(app, people.nurse) as client:
        _refused(client.post("/api/v1/bedside/checks", json=check_body(*scans, people.doctor)),
                 "qualification.expired")
    nurse = people.nurse
    assert [(r["entity"], r["person_id"]) for r in entries_of(database)] == [
        (("user", newcomer.username), newcomer.principal.user_id),
        (("user", nurse.username), newcomer.principal.user_id), (("user", nurse.username), nurse.principal.user_id)]
    with database.transaction(write=False) as session:
        assert session.execute(select(func.count()).select_from(BedsideCheck)).scalar_one() == 0


def test_an_infusion_is_recorded_only_by_two_clinicians_qualified_to_infuse(
        app: FastAPI, database: Database, settings: Settings, travel: Travel) -> None:
    lot, people = at_clinic(database, settings)
    checker = make_user(database, Role.INVESTIGATOR, qualified=False)
    qualify(database, checker.username, "CLIN-BEDSIDE")  # trained for the check, not yet for the infusion
    with client_of(app, people.nurse) as client:
        checked = client.post("/api/v1/bedside/checks", json=check_body(
            wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), checker))
        assert checked.status_code == 200, checked.text
        check_id = checked.json()["id"]
        refused = _refused(client.post("/api/v1/bedside/infusions",
                                       json=infusion_body(check_id, people.nurse, checker)),
                           "qualification.missing", "CLIN-INFUSION", "recording an infusion")
        assert checker.principal.full_name in refused["message"]
    travel(LATER)
    with client_of(app, people.nurse) as client:
        _refused(client.post("/api/v1/bedside/infusions", json=infusion_body(check_id, people.nurse, checker)),
                 "qualification.expired")
    assert [(r["entity"], r["refused"]) for r in entries_of(database)] == [
        (("bedside_check", str(check_id)), "qualification.missing"),
        (("bedside_check", str(check_id)), "qualification.expired")]
    with database.transaction(write=False) as session:
        assert session.execute(select(func.count()).select_from(Infusion)).scalar_one() == 0


def test_the_catalogue_names_each_qualification_with_the_activities_that_need_it(
        app: FastAPI, database: Database) -> None:
    with client_of(app, make_user(database, Role.COURIER)) as client:
        catalogue = {q["code"]: q for q in client.get("/api/v1/qualifications").json()}
    assert "process/BM-MSC-EXP/isolation/perform" in catalogue["GMP-ISOLATION"]["activities"]
    assert catalogue["QC-FLOW"]["activities"][0].startswith("specification/MSC-FP/")
    assert catalogue["QA-RELEASE"] == {"code": "QA-RELEASE", "title": catalogue["QA-RELEASE"]["title"],
                                       "validity_months": 24, "activities": ["release/decision"]}
