"""QA's signed decisions: release, release pending sterility with its two co-signatures, rejection; what refuses
them (wrong password, wrong role, a change since the checklist was read, a decision already recorded)."""

from __future__ import annotations

from conftest import api_client
from fastapi import FastAPI
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import BatchtrackError
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.quality import ReleaseApproval, ReleaseDecision
from batchtrack.models.signature import Signature
from batchtrack.models.user import Role
from batchtrack.release import service as release_service
from batchtrack.web.deps import run_audited

from builders import make_user
from deviation_builders import open_deviation
from release_builders import (
    co_sign,
    codes,
    decisions,
    enter_result,
    lot_state,
    ready_lot,
    refusal,
    without_post_release,
)


def _lot_actions(database: Database, din: str) -> list[str]:
    with database.transaction(write=False) as session:
        return [e.action for e in audit_service.entries_for(session=session, entity_type="lot", entity_id=din)]


def test_release_allowed_when_every_condition_is_met(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings)
    client = api_client(app, lot.qa)
    checklist = client.get(f"/api/v1/lots/{lot.din}/release").json()
    assert checklist["may_release"] is True and checklist["release_refusals"] == []
    assert checklist["specification"] == "MSC-FP v1" and checklist["custody_gaps"] == []

    response = client.post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["decision"] == "released" and decision["specification"] == "MSC-FP v1"
    assert decision["signature"]["printed_name"] == lot.qa.principal.full_name
    assert decision["signature"]["meaning"] == "released" and decision["signature"]["intact"] is True

    assert lot_state(database, lot.din) == "released"
    [row] = decisions(database, lot.din)
    assert row.decision == "released" and row.decided_by == lot.qa.principal.user_id
    with database.transaction(write=False) as session:
        signature = session.get(Signature, row.signature_id)
        assert signature is not None
        assert (signature.meaning, signature.entity_type, signature.entity_id) == ("released", "lot", lot.din)
        assert audit_service.verify(session=session).ok
    actions = _lot_actions(database, lot.din)
    assert actions[-3:] == ["signature.applied", "lot.release", "release.released"]
    # The decision is final: the checklist now says the lot is no longer in QC.
    after = client.get(f"/api/v1/lots/{lot.din}/release").json()
    assert after["decision"]["decision"] == "released"
    assert [r["code"] for r in after["release_refusals"]] == ["lot.wrong_state"]


def test_release_pending_sterility_allowed_only_with_both_co_signatures(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("sterility",))
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    qa = api_client(app, lot.qa)
    body = {**lot.qa.credentials, "pending_sterility": True}
    refused = qa.post(f"/api/v1/lots/{lot.din}/release", json=body)
    assert refused.status_code == 409
    assert sorted(r["code"] for r in refused.json()["reasons"]) == ["release.co_signature_missing"] * 2

    signed = api_client(app, lot.director).post(f"/api/v1/lots/{lot.din}/release/co-signatures",
                                                json={"role": "medical_director", **lot.director.credentials})
    assert signed.status_code == 201, signed.text
    assert [c["role"] for c in signed.json()] == ["medical_director"]
    refused = qa.post(f"/api/v1/lots/{lot.din}/release", json=body)
    assert [r["code"] for r in refused.json()["reasons"]] == ["release.co_signature_missing"]
    assert "treating physician" in refused.json()["reasons"][0]["message"]

    signed = api_client(app, lot.physician).post(
        f"/api/v1/lots/{lot.din}/release/co-signatures",
        json={"role": "treating_physician", **lot.physician.credentials})
    assert signed.status_code == 201
    assert {c["role"]: c["signature"]["meaning"] for c in signed.json()} == {
        "medical_director": "approved", "treating_physician": "approved"}
    # A full release still needs the final sterility result.
    full = qa.post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert [r["code"] for r in full.json()["reasons"]] == ["release.test_not_final"]

    released = qa.post(f"/api/v1/lots/{lot.din}/release", json=body)
    assert released.status_code == 200, released.text
    assert released.json()["decision"] == "released_pending_sterility"
    assert lot_state(database, lot.din) == "released_pending_sterility"
    assert _lot_actions(database, lot.din)[-2:] == ["lot.release_pending_sterility",
                                                    "release.released_pending_sterility"]


def test_release_pending_sterility_needs_final_negative_in_process_sterility_and_gram_stain(
    database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("sterility", "sterility_in_process", "gram_stain"))
    enter_result(database, lot.din, lot.analyst, "gram_stain", text="no organisms seen", status="preliminary")
    co_sign(database, lot.din, lot.director, "medical_director")
    co_sign(database, lot.din, lot.physician, "treating_physician")
    error = refusal(database, lot.din, lot.qa, pending=True)
    assert codes(error) == ["release.pending_prerequisite", "release.pending_prerequisite",
                            "release.test_missing", "release.test_not_final"]
    enter_result(database, lot.din, lot.analyst, "gram_stain", text="no organisms seen")
    enter_result(database, lot.din, lot.analyst, "sterility_in_process", text="growth")
    error = refusal(database, lot.din, lot.qa, pending=True)
    assert codes(error) == ["release.pending_prerequisite", "release.test_failed"]
    assert "in-process sterility" in " ".join(r.message for r in error.reasons)


def test_release_pending_sterility_refused_where_the_specification_marks_no_test_post_release(
    database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("sterility",), spec_text=without_post_release())
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    co_sign(database, lot.din, lot.director, "medical_director")
    co_sign(database, lot.din, lot.physician, "treating_physician")
    error = refusal(database, lot.din, lot.qa, pending=True)
    assert codes(error) == ["release.pending_not_allowed", "release.test_not_final"]


def test_co_signatures_are_one_per_role_by_the_right_role_and_two_different_people(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    url = f"/api/v1/lots/{lot.din}/release/co-signatures"
    as_physician = api_client(app, lot.physician)
    wrong_role = as_physician.post(url, json={"role": "medical_director", **lot.physician.credentials})
    assert wrong_role.status_code == 403 and [r["code"] for r in wrong_role.json()["reasons"]] == ["actor.role"]
    assert api_client(app, lot.qa).post(url, json={"role": "medical_director", **lot.qa.credentials}
                                        ).status_code == 403
    wrong_password = as_physician.post(url, json={"role": "treating_physician", "username": lot.physician.username,
                                                  "password": "not-it"})
    assert wrong_password.status_code == 403 and wrong_password.json()["error"] == "signature.password"

    both = make_user(database, Role.MEDICAL_DIRECTOR, Role.INVESTIGATOR)
    co_sign(database, lot.din, both, "medical_director")
    same = api_client(app, both).post(url, json={"role": "treating_physician", **both.credentials})
    assert same.status_code == 409
    assert [r["code"] for r in same.json()["reasons"]] == ["release.co_signer_same_person"]

    assert as_physician.post(url, json={"role": "treating_physician", **lot.physician.credentials}
                             ).status_code == 201
    again = as_physician.post(url, json={"role": "treating_physician", **lot.physician.credentials})
    assert again.status_code == 409
    assert [r["code"] for r in again.json()["reasons"]] == ["release.co_signature_exists"]
    with database.transaction(write=False) as session:
        signed = session.execute(select(ReleaseApproval.role, ReleaseApproval.signed_by)).all()
    assert sorted(signed) == sorted([("medical_director", both.principal.user_id),
                                     ("treating_physician", lot.physician.principal.user_id)])


def test_release_refused_with_a_wrong_password_and_nothing_changes(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    response = api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/release",
                                            json={"username": lot.qa.username, "password": "Guess-1234"})
    assert response.status_code == 403 and response.json()["error"] == "signature.password"
    assert lot_state(database, lot.din) == "in_qc" and decisions(database, lot.din) == []
    assert _lot_actions(database, lot.din)[-1] == "signature.refused"


def test_release_and_rejection_refused_to_anyone_but_qa(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    for user in (lot.analyst, lot.director, lot.physician, lot.bench.operator, make_user(database, Role.ADMIN)):
        client = api_client(app, user)
        released = client.post(f"/api/v1/lots/{lot.din}/release", json=user.credentials)
        assert released.status_code == 403 and released.json()["error"] == "role"
        rejected = client.post(f"/api/v1/lots/{lot.din}/reject", json={**user.credentials, "reason": "x"})
        assert rejected.status_code == 403
    # The service refuses on its own too, whoever calls it.
    error = refusal(database, lot.din, lot.analyst)
    assert error.status_code == 403 and codes(error) == ["actor.role"]
    assert lot_state(database, lot.din) == "in_qc" and decisions(database, lot.din) == []


def test_a_deviation_opened_after_the_checklist_was_read_is_caught_when_qa_signs(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    client = api_client(app, lot.qa)
    assert client.get(f"/api/v1/lots/{lot.din}/release").json()["may_release"] is True
    open_deviation(database, lot.din, lot.analyst, description="Endotoxin run control out of range.")
    response = client.post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert response.status_code == 409
    # The deviation is also an exception recorded after QA's review of the record: the review is out of date.
    assert sorted(r["code"] for r in response.json()["reasons"]) == [
        "lot.wrong_state", "release.open_deviation", "release.record_review_outdated"]
    assert lot_state(database, lot.din) == "on_hold" and decisions(database, lot.din) == []


def test_a_result_corrected_after_the_checklist_was_read_is_caught_when_qa_signs(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    client = api_client(app, lot.qa)
    assert client.get(f"/api/v1/lots/{lot.din}/release").json()["may_release"] is True
    enter_result(database, lot.din, lot.analyst, "cd45", value=7.5)
    response = client.post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["release.test_failed"]


def test_a_decision_already_recorded_is_refused_cleanly_by_the_database(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    # A decision row that slipped past the lock (the lot still reads in QC): the unique lot_id refuses a second.
    with database.transaction() as session:
        other = make_user(database, Role.QA)
        lot_row = lot_service.get_by_din(session=session, din=lot.din)
        signature = Signature(signer_id=other.principal.user_id or 0, printed_name="Other QA", meaning="released",
                              signed_at=lot_row.updated_at, entity_type="lot", entity_id=lot.din, content_hash="0")
        session.add(signature)
        session.flush()
        session.add(ReleaseDecision(lot_id=lot_row.id or 0, decision="released", signature_id=signature.id or 0,
                                    decided_by=other.principal.user_id or 0))
    response = api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "release.already_decided"
    assert lot_state(database, lot.din) == "in_qc" and len(decisions(database, lot.din)) == 1
    with database.transaction(write=False) as session:
        refused = session.execute(select(AuditEntry).where(col(AuditEntry.action) == "release.refused")).scalars()
        assert [e.entity_id for e in refused] == [lot.din]


def test_qa_rejects_a_lot_with_a_signed_reason(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings, skip=("viability",))
    enter_result(database, lot.din, lot.analyst, "viability", value=41.0)
    client = api_client(app, lot.qa)
    no_reason = client.post(f"/api/v1/lots/{lot.din}/reject", json={**lot.qa.credentials, "reason": ""})
    assert no_reason.status_code == 422
    response = client.post(f"/api/v1/lots/{lot.din}/reject",
                           json={**lot.qa.credentials, "reason": "Viability 41 % below the 70 % limit."})
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["decision"] == "rejected" and decision["signature"]["meaning"] == "rejected"
    assert decision["reason"] == "Viability 41 % below the 70 % limit."
    assert lot_state(database, lot.din) == "rejected"
    again = client.post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert again.status_code == 409 and "lot.wrong_state" in [r["code"] for r in again.json()["reasons"]]
    # An empty reason is refused by the service as well.
    try:
        run_audited(database, lambda session: release_service.reject(
            session=session, actor=lot.qa.principal, din=lot.din,
            username=lot.qa.username, password=lot.qa.password, reason=" "), settings=settings)
    except BatchtrackError as exc:
        assert codes(exc) == ["lot.wrong_state", "release.reason_required"]
    else:
        raise AssertionError("an empty rejection reason was accepted")
