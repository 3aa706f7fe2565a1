"""QC results through the API: the sample named by scanning its label, every result evaluated on entry, an
out-of-specification result opening a deviation, preliminary and final results, corrections, and the alert to
the clinic when a sterility test turns positive after release."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.lots import service as lot_service
from batchtrack.models.deviation import Deviation
from batchtrack.models.quality import Alert
from batchtrack.models.user import Role
from batchtrack.quality import results, standing

from builders import UserHandle, make_user, seed_lot
from deviation_builders import entries, lot_state, set_lot_state
from processing_builders import add_instrument, bag_scan
from quality_builders import (
    CONFORMING,
    QcLot,
    backdate_weights,
    body,
    client_of,
    enter,
    enter_conforming,
    lot_in_qc,
    lot_qc,
    qc_sample_of_another_lot,
    record_weight,
    result_rows,
    standing_of,
)

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _post(app: FastAPI, qc: QcLot, payload: dict[str, object], user: UserHandle | None = None) -> dict[str, object]:
    with client_of(app, user or qc.analyst) as client:
        response = client.post(f"/api/v1/lots/{qc.din}/qc/results", json=payload)
    return {"status": response.status_code, **response.json()}


def _deviations(database: Database, din: str) -> list[Deviation]:
    with database.transaction(write=False) as session:
        return deviation_service.of_lot(session=session, lot=lot_service.get_by_din(session=session, din=din))


def _alerts(database: Database) -> list[Alert]:
    with database.transaction(write=False) as session:
        return list(session.execute(select(Alert).order_by(col(Alert.id))).scalars())


def test_endotoxin_is_judged_against_k_over_m_for_a_70_kg_recipient_and_100_ml(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings, weight_kg=70, volume_ml=100)
    shown = client_of(app, qc.analyst).get(f"/api/v1/lots/{qc.din}/qc").json()
    endotoxin = next(t for t in shown["tests"] if t["code"] == "endotoxin")
    assert endotoxin["limit"].startswith("<= 3.5 EU/mL")
    assert shown["context"]["weight_kg"] == 70 and shown["context"]["volume_ml"] == 100

    at_limit = _post(app, qc, body("endotoxin", qc.samples[0], value=3.5))
    assert at_limit["status"] == 201, at_limit
    result = at_limit["result"]
    assert isinstance(result, dict)
    assert result["conforms"] is True and result["limit_text"].startswith("<= 3.5 EU/mL")
    assert "70 kg" in result["limit_text"] and "100 mL" in result["limit_text"]
    assert result["method"] == "Kinetic chromogenic LAL" and result["unit"] == "EU/mL"
    assert at_limit["deviation_number"] is None

    with client_of(app, qc.analyst) as client:
        corrected = client.post(f"/api/v1/lots/{qc.din}/qc/results/{result['id']}/corrections",
                                json={"value": 3.6, "reason": "the reader's value was 3.6, not 3.5"})
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["result"]["conforms"] is False
    assert corrected.json()["deviation_number"] is not None
    assert lot_state(database, qc.din) == ("on_hold", "in_qc")


def test_every_test_of_the_default_specification_is_recorded_and_judged_on_entry(
    database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    enter_conforming(database, qc)
    shown = lot_qc(database, qc.din)
    assert shown.specification is not None and (shown.specification.code, shown.specification.version) == (
        "MSC-FP", 1)
    assert {t.code for t in shown.tests} == set(CONFORMING)
    for test in shown.tests:
        assert test.in_force is not None and test.in_force.conforms is True, test.code
        assert test.in_force.status == "final" and test.in_force.sample is not None
    # 1e6 cells/kg x 62.5 kg +/- 10 %, and K/M for 62.5 kg and 50 mL.
    assert standing_of(shown, "viable_cell_dose").limit.startswith("5.625e+07 to 6.875e+07 cells")
    assert standing_of(shown, "endotoxin").limit.startswith("<= 6.25 EU/mL")
    assert standing_of(shown, "residual_penicillin").in_force.result_text == "below LOQ"  # type: ignore[union-attr]
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=qc.din)
        standings = standing.standings(session=session, lot=lot)
    assert all(s.status == "final" and s.conforms for s in standings)
    assert lot_state(database, qc.din) == ("in_qc", None)
    assert [e.action for e in entries(database, "lot", qc.din)].count("qc.result_entered") == len(CONFORMING)


def test_an_out_of_specification_result_opens_a_deviation_and_holds_the_lot(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    low = _post(app, qc, body("viability", qc.samples[0], value=65))
    assert low["status"] == 201 and low["deviation_number"]
    assert "OUT OF SPECIFICATION" in str(low["message"])
    assert lot_state(database, qc.din) == ("on_hold", "in_qc")
    [deviation] = _deviations(database, qc.din)
    assert deviation.number == low["deviation_number"] and deviation.origin == "out_of_limit"
    assert "Viability" in deviation.description and "65 %" in deviation.description
    assert ">= 70 %" in deviation.description
    # Testing goes on while the lot is held.
    assert _post(app, qc, body("cd73", qc.samples[1], value=98))["status"] == 201
    assert standing_of(lot_qc(database, qc.din), "viability").in_force.conforms is False  # type: ignore[union-attr]


def test_a_sample_of_another_lot_is_refused_naming_both_lots_and_audited(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    other_din, other_sample = qc_sample_of_another_lot(database, settings)
    refused = _post(app, qc, body("gram_stain", other_sample, text="no organisms seen"))
    assert refused["status"] == 409 and refused["error"] == "identity_mismatch"
    reasons = refused["reasons"]
    assert isinstance(reasons, list) and reasons[0]["code"] == "scan.wrong_lot"
    assert other_din in reasons[0]["message"] and qc.din in reasons[0]["message"]
    assert result_rows(database, qc.din) == []
    audited = entries(database, "lot", qc.din)[-1]
    assert audited.action == "qc.sample_refused" and other_din in audited.new_values
    assert "scan.wrong_lot" in audited.new_values

    # The lot's own aspirate bag is not a QC sample either; a scan that is no label is not read.
    wrong_kind = _post(app, qc, body("gram_stain", bag_scan(qc.din), text="no organisms seen"))
    assert wrong_kind["status"] == 409 and "scan.wrong_container_kind" in str(wrong_kind["reasons"])
    unreadable = _post(app, qc, body("gram_stain", "hello", text="no organisms seen"))
    assert unreadable["status"] == 400 and unreadable["error"] == "scan.unreadable"
    assert result_rows(database, qc.din) == []


def test_sterility_has_preliminary_results_then_a_final_one(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    for day in (3, 7):
        recorded = _post(app, qc, body("sterility", qc.samples[0], text="no growth", status="preliminary", day=day))
        assert recorded["status"] == 201, recorded
    shown = standing_of(lot_qc(database, qc.din), "sterility")
    assert shown.in_force is not None and (shown.in_force.status, shown.in_force.day) == ("preliminary", 7)
    too_early = _post(app, qc, body("sterility", qc.samples[0], text="no growth", day=7))
    assert too_early["status"] == 400 and too_early["error"] == "result.final_too_early"
    final = _post(app, qc, body("sterility", qc.samples[0], text="no growth", day=14))
    assert final["status"] == 201
    shown = standing_of(lot_qc(database, qc.din), "sterility")
    assert shown.in_force is not None and shown.in_force.status == "final" and shown.in_force.conforms
    assert [(h.status, h.day) for h in shown.history] == [("preliminary", 3), ("preliminary", 7), ("final", 14)]
    late = _post(app, qc, body("sterility", qc.samples[0], text="no growth", status="preliminary", day=10))
    assert late["status"] == 409 and late["error"] == "result.final_exists"
    # Tests not read over days take no preliminary result.
    viability = _post(app, qc, body("viability", qc.samples[0], value=90, status="preliminary", day=1))
    assert viability["status"] == 400 and "result.preliminary_not_allowed" in str(viability["reasons"])


def test_a_second_final_result_is_refused_a_change_is_a_correction(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    assert _post(app, qc, body("gram_stain", qc.samples[0], text="no organisms seen"))["status"] == 201
    again = _post(app, qc, body("gram_stain", qc.samples[1], text="no organisms seen"))
    assert again["status"] == 409 and again["error"] == "result.final_exists"
    assert "correction" in str(again["reasons"])
    assert entries(database, "lot", qc.din)[-1].action == "qc.result_refused"
    assert len(result_rows(database, qc.din)) == 1


def test_a_correction_needs_a_reason_and_keeps_the_old_result(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    first = enter(database, qc, "viability", value=39)  # a transcription error: 93 was read
    assert first.deviation_number is not None  # out of specification: a deviation opened
    url = f"/api/v1/lots/{qc.din}/qc/results/{first.result.id}/corrections"
    with client_of(app, qc.analyst) as client:
        no_reason = client.post(url, json={"value": 93})
        assert no_reason.status_code == 400 and no_reason.json()["error"] == "reason_required"
        corrected = client.post(url, json={"value": 93, "reason": "digits transposed when typing"})
        assert corrected.status_code == 201, corrected.text
        assert corrected.json()["deviation_number"] is None  # conforming: the deviation stays for QA to close
        twice = client.post(url, json={"value": 92, "reason": "again"})
        assert twice.status_code == 409 and twice.json()["error"] == "result.already_corrected"
    rows = result_rows(database, qc.din)
    assert [(r.value, r.replaces_id, r.reason) for r in rows] == [
        (39, None, ""), (93, first.result.id, "digits transposed when typing")]
    viability = standing_of(lot_qc(database, qc.din), "viability")
    assert viability.in_force is not None and viability.in_force.value == 93 and viability.in_force.conforms
    assert viability.history[0].replaced_by_id == viability.history[1].id
    correction = [e for e in entries(database, "lot", qc.din) if e.action == "value.corrected"]
    assert len(correction) == 1 and correction[0].reason == "digits transposed when typing"
    assert '"value":39' in correction[0].old_values and '"value":93' in correction[0].new_values


def test_a_positive_sterility_after_release_raises_an_alert_and_a_deviation(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    enter_conforming(database, qc, skip=("sterility",))
    enter(database, qc, "sterility", text="no growth", status="preliminary", day=2)
    set_lot_state(database, qc.din, "released_pending_sterility")  # the release itself is QA's decision
    release_test = _post(app, qc, body("gram_stain", qc.samples[1], text="organisms seen"))
    assert release_test["status"] == 409 and release_test["error"] == "qc.lot_released"

    positive = _post(app, qc, body("sterility", qc.samples[0], text="growth", status="preliminary", day=5))
    assert positive["status"] == 201 and positive["deviation_number"] and positive["alert_id"]
    [alert] = _alerts(database)
    assert alert.kind == "post_release_sterility_positive"
    assert qc.din in alert.message and qc.coi in alert.message and "released pending sterility" in alert.message
    [deviation] = _deviations(database, qc.din)
    assert alert.deviation_id == deviation.id and deviation.number == positive["deviation_number"]
    assert lot_state(database, qc.din) == ("on_hold", "released_pending_sterility")
    shown = client_of(app, qc.qa).get(f"/api/v1/lots/{qc.din}/qc").json()
    assert shown["alerts"][0]["deviation_number"] == deviation.number

    # The final reading confirms the same finding: no second deviation or alert.
    final = _post(app, qc, body("sterility", qc.samples[0], text="growth", day=14))
    assert final["status"] == 201 and final["deviation_number"] is None and final["alert_id"] is None
    assert len(_alerts(database)) == 1 and len(_deviations(database, qc.din)) == 1
    assert "alert.raised" in [e.action for e in entries(database, "lot", qc.din)]


def test_a_positive_sterility_after_infusion_alerts_the_clinic(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    set_lot_state(database, qc.din, "infused")
    positive = _post(app, qc, body("sterility", qc.samples[0], text="growth", day=14))
    assert positive["status"] == 201 and positive["alert_id"]
    assert "was infused" in _alerts(database)[0].message
    assert lot_state(database, qc.din) == ("infused", None)  # a final state is not held


def test_a_result_without_a_recent_weight_is_kept_unjudged_until_corrected(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    backdate_weights(database, "S-001", 30)  # the last visit is outside the protocol's 14-day window
    with database.transaction(write=False) as session:
        context = results.recipient_context(session=session, lot=lot_service.get_by_din(session=session, din=qc.din))
    assert context.weight_kg is None and context.volume_ml == 50 and context.prescribed_cells_per_kg == 1e6
    assert context.dose_tolerance_percent == 10
    unjudged = _post(app, qc, body("endotoxin", qc.samples[0], value=0.5))
    assert unjudged["status"] == 201 and unjudged["deviation_number"] is None
    result = unjudged["result"]
    assert isinstance(result, dict) and result["conforms"] is None
    assert "not judged" in result["limit_text"] and "weight" in result["limit_text"]
    assert lot_state(database, qc.din) == ("in_qc", None)

    record_weight(database, "S-001", 64)
    with client_of(app, qc.analyst) as client:
        judged = client.post(f"/api/v1/lots/{qc.din}/qc/results/{result['id']}/corrections",
                             json={"value": 0.5, "reason": "judged with the weight of today's visit"})
    assert judged.status_code == 201 and judged.json()["result"]["conforms"] is True
    assert "64 kg" in judged.json()["result"]["limit_text"]


def test_an_instrument_must_be_known_in_service_and_calibrated(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    add_instrument(database, "cell_counter", "CNT-0099", due_in_days=-1)
    overdue = _post(app, qc, body("viability", qc.samples[0], value=92, instrument="CNT-0099"))
    assert overdue["status"] == 409 and "equipment.calibration_overdue" in str(overdue["reasons"])
    unknown = _post(app, qc, body("viability", qc.samples[0], value=92, instrument="NOPE-1"))
    assert unknown["status"] == 404 and unknown["error"] == "equipment.unknown"
    recorded = _post(app, qc, body("viability", qc.samples[0], value=92, instrument="cnt-0001"))
    assert recorded["status"] == 201
    assert isinstance(recorded["result"], dict) and recorded["result"]["instrument"] == "CNT-0001"
    assert [e.action for e in entries(database, "lot", qc.din)][-3:] == [
        "qc.result_refused", "qc.result_refused", "qc.result_entered"]


def test_a_lot_with_no_specification_bound_takes_no_result(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    din, sample = qc_sample_of_another_lot(database, settings, subject="S-001")
    analyst = make_user(database, Role.QC_ANALYST)
    with client_of(app, analyst) as client:
        refused = client.post(f"/api/v1/lots/{din}/qc/results", json=body("gram_stain", sample,
                                                                            text="no organisms seen"))
        assert refused.status_code == 409 and refused.json()["error"] == "qc.no_specification"
        shown = client.get(f"/api/v1/lots/{din}/qc")
    assert shown.status_code == 200 and shown.json()["specification"] is None and shown.json()["tests"] == []
    assert entries(database, "lot", din)[-1].action == "qc.result_refused"


def test_a_word_or_number_the_test_does_not_take_is_refused_and_nothing_recorded(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    for payload, code in (
        (body("gram_stain", qc.samples[0], text="maybe"), "result.unknown_word"),
        (body("endotoxin", qc.samples[0]), "result.value_missing"),
        (body("viability", qc.samples[0], value=-3), "result.negative"),
        (body("viability", qc.samples[0], value=90, day=2), "result.day_unexpected"),
        (body("karyotype", qc.samples[0], text="normal"), "qc.unknown_test"),
    ):
        refused = _post(app, qc, payload)
        assert refused["status"] == 400 and refused["error"] == code, refused
    assert result_rows(database, qc.din) == []


def test_only_a_qc_analyst_records_or_corrects_results(
    app: FastAPI, database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    qc = lot_in_qc(database, settings)
    recorded = enter(database, qc, "gram_stain", text="no organisms seen")
    for role in (Role.QA, Role.OPERATOR, Role.ADMIN, Role.INVESTIGATOR):
        client, _ = as_role(role)
        entry = client.post(f"/api/v1/lots/{qc.din}/qc/results",
                            json=body("cd34", qc.samples[0], value=0.5))
        assert entry.status_code == 403, role
        correction = client.post(f"/api/v1/lots/{qc.din}/qc/results/{recorded.result.id}/corrections",
                                 json={"result_text": "organisms seen", "reason": "misread"})
        assert correction.status_code == 403, role
        assert client.get(f"/api/v1/lots/{qc.din}/qc").status_code == 200
    assert len(result_rows(database, qc.din)) == 1


def test_a_result_of_an_unknown_lot_or_result_is_not_found(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    with client_of(app, qc.analyst) as client:
        assert client.get("/api/v1/lots/W000026999999/qc").status_code == 404
        missing = client.post(f"/api/v1/lots/{qc.din}/qc/results/999/corrections",
                              json={"value": 1, "reason": "x"})
        assert missing.status_code == 404 and missing.json()["error"] == "result.unknown"
    other = seed_lot(database, settings, subject="S-003", mrn="MRN-S-003")
    recorded = enter(database, qc, "cd34", value=0.5)
    with client_of(app, qc.analyst) as client:
        elsewhere = client.post(f"/api/v1/lots/{other.din}/qc/results/{recorded.result.id}/corrections",
                                json={"value": 0.4, "reason": "x"})
    assert elsewhere.status_code == 404
