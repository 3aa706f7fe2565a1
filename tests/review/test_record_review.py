"""A lot's record reviewed by exception and signed by QA: the release gate needs it, and a current one."""

from __future__ import annotations

from conftest import api_client
from fastapi import FastAPI
from sqlalchemy import text
from tampering import guards_off

from batchtrack.audit import verdict
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.quality import results
from batchtrack.quality import schemas as quality_schemas

from builders import UserHandle, make_user
from quality_builders import result_rows
from release_builders import ReadyLot, lot_state, ready_lot


def _signing(user: UserHandle) -> dict[str, str]:
    return {"username": user.username, "password": user.password}


def _correct_viability(database: Database, lot: ReadyLot) -> None:
    """The analyst corrects the viability result (same value, a transcription fixed): a correction in the trail."""
    row = next(r for r in result_rows(database, lot.din) if r.test_code == "viability")
    with database.transaction() as session:
        results.correct_result(session=session, actor=lot.analyst.principal, din=lot.din, result_id=row.id or 0,
                               data=quality_schemas.QcResultCorrection(value=row.value,
                                                                       reason="instrument printout re-read"))


def test_a_release_without_a_record_review_is_refused_with_that_reason(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    with api_client(app, lot.qa) as qa:
        checklist = qa.get(f"/api/v1/lots/{lot.din}/release").json()
        refused = qa.post(f"/api/v1/lots/{lot.din}/release", json=_signing(lot.qa))
    assert [r["code"] for r in checklist["release_refusals"]] == ["release.record_review_missing"]
    assert refused.status_code == 409
    assert [r["code"] for r in refused.json()["reasons"]] == ["release.record_review_missing"]
    assert lot_state(database, lot.din) == "in_qc"


def test_qa_signs_the_review_and_then_the_lot_is_released(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    reviewer = make_user(database, Role.QA)
    with api_client(app, reviewer) as qa:
        before = qa.get(f"/api/v1/lots/{lot.din}/record-review").json()
        signed = qa.post(f"/api/v1/lots/{lot.din}/record-review",
                         json={**_signing(reviewer), "comment": "no exception needs action"})
    assert before["reviews"] == [] and before["current"] is False and before["reviewed_through_seq"] is None
    assert signed.status_code == 201, signed.text
    review = signed.json()
    assert review["current"] is True and review["reviewed_through_seq"] == before["last_seq"]
    assert review["reviews"][0]["signature"]["meaning"] == "reviewed"
    assert review["reviews"][0]["signature"]["intact"] is True
    assert review["reviews"][0]["comment"] == "no exception needs action"
    with api_client(app, lot.qa) as qa:
        released = qa.post(f"/api/v1/lots/{lot.din}/release", json=_signing(lot.qa))
    assert released.status_code == 200, released.text
    assert lot_state(database, lot.din) == "released"
    # The review's signature is rebuilt from its row by the full verification like every other signature.
    found = verdict.verify_all(database, folders=settings.checkpoint_folders)
    assert [f for f in found.findings if "lot_record_review" in f.subject] == []


def test_a_correction_after_the_review_makes_it_out_of_date_until_qa_reviews_again(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    _correct_viability(database, lot)
    with api_client(app, lot.qa) as qa:
        refused = qa.post(f"/api/v1/lots/{lot.din}/release", json=_signing(lot.qa))
        summary = qa.get(f"/api/v1/lots/{lot.din}/record-review").json()
        assert refused.status_code == 409
        assert [r["code"] for r in refused.json()["reasons"]] == ["release.record_review_outdated"]
        assert summary["current"] is False
        assert [(x["kind"], x["entry"]["action"]) for x in summary["outdating"]] == [("correction", "value.corrected")]
        assert "correction" in [x["kind"] for x in summary["exceptions"]]
        again = qa.post(f"/api/v1/lots/{lot.din}/record-review", json=_signing(lot.qa))
        assert again.status_code == 201 and again.json()["current"] is True
        assert qa.post(f"/api/v1/lots/{lot.din}/release", json=_signing(lot.qa)).status_code == 200


def test_the_review_signs_what_the_page_showed_not_what_came_after(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    with api_client(app, lot.qa) as qa:
        shown = qa.get(f"/api/v1/lots/{lot.din}/record-review").json()["last_seq"]
        _correct_viability(database, lot)
        signed = qa.post(f"/api/v1/lots/{lot.din}/record-review",
                         json={**_signing(lot.qa), "reviewed_through_seq": shown}).json()
        assert signed["reviewed_through_seq"] == shown and signed["current"] is False
        assert [x["entry"]["action"] for x in signed["outdating"]] == ["value.corrected"]
        beyond = qa.post(f"/api/v1/lots/{lot.din}/record-review",
                         json={**_signing(lot.qa), "reviewed_through_seq": signed["last_seq"] + 1000})
        assert beyond.status_code == 400 and beyond.json()["error"] == "record_review.beyond_trail"


def test_only_qa_signs_a_record_review_and_a_wrong_password_signs_nothing(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    with api_client(app, lot.director) as director:
        assert director.get(f"/api/v1/lots/{lot.din}/record-review").status_code == 200
        forbidden = director.post(f"/api/v1/lots/{lot.din}/record-review", json=_signing(lot.director))
        assert forbidden.status_code == 403
    with api_client(app, lot.qa) as qa:
        wrong = qa.post(f"/api/v1/lots/{lot.din}/record-review",
                        json={"username": lot.qa.username, "password": "not-the-password"})
        assert wrong.status_code in (401, 403)
        summary = qa.get(f"/api/v1/lots/{lot.din}/record-review").json()
    assert summary["reviews"] == []
    # The refused signature is itself an exception of the lot's record, listed for the next review.
    assert [x["entry"]["action"] for x in summary["exceptions"] if x["kind"] == "refusal"] == ["signature.refused"]


def test_a_review_edited_behind_the_applications_back_shows_its_signature_broken(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    _correct_viability(database, lot)
    with api_client(app, lot.qa) as qa:
        signed = qa.post(f"/api/v1/lots/{lot.din}/record-review", json=_signing(lot.qa)).json()
    assert signed["reviews"][0]["signature"]["intact"] is True and signed["reviews"][0]["exceptions"]
    # Someone with database access drops the correction from what the review says it covered.
    with database.transaction() as session:
        guards_off(session, "lot_record_review")
        session.execute(text("UPDATE lot_record_review SET exception_seqs = '[]' WHERE id = :id"),
                        {"id": signed["reviews"][0]["id"]})
    with api_client(app, lot.qa) as qa:
        after = qa.get(f"/api/v1/lots/{lot.din}/record-review").json()
    assert after["reviews"][0]["signature"]["intact"] is False
    findings = verdict.verify_all(database, folders=settings.checkpoint_folders).findings
    # The full verification names the broken signature, and nothing else.
    assert [(f.check.value, f.subject.split(" on ", 1)[1]) for f in findings] == [
        ("signature", f"lot record review {lot.din}")], findings
