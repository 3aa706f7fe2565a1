"""Granting and revoking a qualification: the trainer's signed act (QA, or a holder flagged as trainer), QA's signed
revocation with a reason; each audited, each signature rebuilt intact from the stored rows."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from httpx2 import Response
from qualification_builders import entries_of
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from batchtrack.auth import signatures, signed_records
from batchtrack.db import Database
from batchtrack.models.signature import Signature
from batchtrack.models.user import Role
from batchtrack.qualifications import service as qualification_service

from bedside_builders import check_body
from builders import UserHandle, make_user
from quality_builders import client_of


def _grant(app: FastAPI, trainer: UserHandle, holder: UserHandle, code: str, **fields: object) -> Response:
    with client_of(app, trainer) as client:
        return client.post(f"/api/v1/users/{holder.username}/qualifications",
                           json={"qualification": code, **trainer.credentials, **fields})


def _intact(database: Database, signature_id: int) -> bool:
    with database.transaction(write=False) as session:
        signature = session.get(Signature, signature_id)
        assert signature is not None
        builder = signed_records.builder_for(signature.entity_type, signature.meaning)
        assert builder is not None
        content = builder(session=session, signatures=[signature])[signature_id]
        assert content is not None
        return signatures.intact(session=session, signature=signature, content=content)


def _holds(database: Database, user: UserHandle) -> dict[str, str]:
    with database.transaction(write=False) as session:
        return {code: day.isoformat()
                for code, day in qualification_service.expiries_of(session=session,
                                                                   user_id=user.principal.user_id).items()}


def test_qa_grants_a_qualification_with_a_signature_that_stays_intact_and_an_audit_entry(
        app: FastAPI, database: Database) -> None:
    qa, nurse = make_user(database, Role.QA), make_user(database, Role.NURSE, qualified=False)
    expires = (qualification_service.today() + timedelta(days=90)).isoformat()
    granted = _grant(app, qa, nurse, "clin-bedside", expires_on=expires, note="course CT-12, assessed")
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    assert (grant["holder"], grant["qualification"], grant["expires_on"], grant["trainer"]) == (
        nurse.username, "CLIN-BEDSIDE", expires, qa.username)
    assert _holds(database, nurse) == {"CLIN-BEDSIDE": expires}
    assert _intact(database, grant["signature_id"])
    [entry] = [e for e in entries_of(database, qualification_service.GRANTED) if e["holder"] == nurse.username]
    assert entry["entity"] == ("user", nurse.username) and entry["actor_id"] == qa.principal.user_id
    assert (entry["signature_id"], entry["reason"]) == (grant["signature_id"], "course CT-12, assessed")


def test_without_an_expiry_a_grant_lasts_the_qualifications_validity(app: FastAPI, database: Database) -> None:
    qa, analyst = make_user(database, Role.QA), make_user(database, Role.QC_ANALYST, qualified=False)
    grant = _grant(app, qa, analyst, "QC-FLOW").json()
    today = qualification_service.today()
    assert grant["expires_on"] in {today.replace(year=today.year + 1).isoformat(),
                                   f"{today.year + 1}-02-28"}  # 29 February moves to 28 February


def test_a_flagged_trainer_grants_their_qualification_but_no_other_and_never_the_trainer_flag(
        app: FastAPI, database: Database) -> None:
    qa = make_user(database, Role.QA)
    lead, newcomer = make_user(database, Role.OPERATOR, qualified=False), make_user(database, Role.OPERATOR,
                                                                                    qualified=False)
    assert _grant(app, qa, lead, "GMP-CULTURE", may_train=True).status_code == 201
    assert _grant(app, lead, newcomer, "GMP-CULTURE").status_code == 201
    other = _grant(app, lead, newcomer, "GMP-CRYO")
    assert (other.status_code, other.json()["error"]) == (403, "qualification.not_trainer")
    flag = _grant(app, lead, newcomer, "GMP-CULTURE", may_train=True)
    assert (flag.status_code, flag.json()["error"]) == (403, "qualification.trainer_flag")
    untrained = _grant(app, newcomer, lead, "GMP-CULTURE")
    assert untrained.json()["error"] == "qualification.not_trainer"
    assert [r["refused"] for r in entries_of(database, "qualification.grant_refused")] == [
        "qualification.not_trainer", "qualification.trainer_flag", "qualification.not_trainer"]
    assert _holds(database, newcomer).keys() == {"GMP-CULTURE"}


def test_nobody_grants_themselves_and_a_wrong_password_grants_nothing(app: FastAPI, database: Database) -> None:
    qa = make_user(database, Role.QA, qualified=False)
    own = _grant(app, qa, qa, "QA-RELEASE")
    assert (own.status_code, own.json()["error"]) == (403, "qualification.self_grant")
    other_qa = make_user(database, Role.QA)
    with client_of(app, other_qa) as client:
        wrong = client.post(f"/api/v1/users/{qa.username}/qualifications",
                            json={"qualification": "QA-RELEASE", "username": other_qa.username, "password": "nope"})
    assert wrong.status_code == 403 and wrong.json()["error"].startswith("signature")
    assert _holds(database, qa) == {}


def test_an_expiry_in_the_past_or_beyond_the_validity_is_refused_with_the_latest_allowed(
        app: FastAPI, database: Database) -> None:
    qa, nurse = make_user(database, Role.QA), make_user(database, Role.NURSE, qualified=False)
    today = qualification_service.today()
    past = _grant(app, qa, nurse, "CLIN-INFUSION", expires_on=today.isoformat())
    assert (past.status_code, past.json()["error"]) == (400, "qualification.expiry_past")
    late = _grant(app, qa, nurse, "CLIN-INFUSION", expires_on=(today + timedelta(days=800)).isoformat())
    assert late.json()["error"] == "qualification.expiry_too_late"
    unknown = _grant(app, qa, nurse, "CLIN-JUGGLING")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "qualification.unknown")


def test_qa_revokes_a_grant_in_force_with_a_reason_and_the_gate_then_refuses(
        app: FastAPI, database: Database) -> None:
    qa, nurse = make_user(database, Role.QA), make_user(database, Role.NURSE)
    assert "CLIN-BEDSIDE" in _holds(database, nurse)
    nurse_id = nurse.principal.user_id or 0
    with database.transaction(write=False) as session:
        held = qualification_service.held_by(session=session, user_ids=[nurse_id])[nurse_id]
    grant_id = held["CLIN-BEDSIDE"].grant_id
    with client_of(app, qa) as client:
        url = f"/api/v1/users/{nurse.username}/qualifications/{grant_id}/revoke"
        revoked = client.post(url, json={**qa.credentials, "reason": "failed the annual reassessment"})
        assert revoked.status_code == 200, revoked.text
        again = client.post(url, json={**qa.credentials, "reason": "twice"})
        assert (again.status_code, again.json()["error"]) == (409, "qualification.not_current")
        assert client.post(url, json={**qa.credentials, "reason": ""}).status_code == 422
    assert _intact(database, revoked.json()["signature_id"])
    [entry] = entries_of(database, qualification_service.REVOKED)
    assert entry["reason"] == "failed the annual reassessment" and entry["grant"] == grant_id
    assert "CLIN-BEDSIDE" not in _holds(database, nurse)
    doctor = make_user(database, Role.INVESTIGATOR)
    with client_of(app, nurse) as client:
        refused = client.post("/api/v1/bedside/checks", json=check_body("x", "y", doctor))
    assert (refused.status_code, refused.json()["error"]) == (403, "qualification.missing")
    # Retrained: a new grant, in force again.
    assert _grant(app, qa, nurse, "CLIN-BEDSIDE").status_code == 201
    assert "CLIN-BEDSIDE" in _holds(database, nurse)


def test_only_qa_revokes(app: FastAPI, database: Database) -> None:
    operator = make_user(database, Role.OPERATOR)
    with client_of(app, operator) as client:
        refused = client.post(f"/api/v1/users/{operator.username}/qualifications/1/revoke",
                              json={**operator.credentials, "reason": "x"})
    assert (refused.status_code, refused.json()["error"]) == (403, "role")


def test_grant_and_revocation_rows_cannot_be_changed_in_the_database(database: Database) -> None:
    make_user(database, Role.NURSE)
    for statement in ("UPDATE qualification_grant SET expires_on = '2099-01-01'", "DELETE FROM qualification_grant"):
        try:
            with database.transaction() as session:
                session.execute(text(statement))
        except DBAPIError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was not refused")
    with database.transaction(write=False) as session:
        assert session.execute(select(col(Signature.id)).where(col(Signature.entity_type) == "qualification")).first()
