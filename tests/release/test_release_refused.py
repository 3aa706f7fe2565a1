"""QA release is refused while any condition of DESIGN.md section 4 is unmet, with every reason listed at once."""

from __future__ import annotations

from datetime import timedelta

from conftest import api_client
from fastapi import FastAPI

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.enrolment import service as enrolment_service
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.container import ContainerKind
from batchtrack.models.user import Role
from batchtrack.release import service as release_service

from builders import make_user
from deviation_builders import open_deviation
from release_builders import (
    ReadyLot,
    codes,
    decisions,
    enter_result,
    lot_state,
    ready_lot,
    record_allergy,
    refusal,
)


def _print_sample_label(database: Database, settings: Settings, lot: ReadyLot) -> None:
    """Print a QC sample's label and leave it on the bench: printed, never applied, voided or destroyed."""
    din = lot.din
    with database.transaction() as session:
        row = lot_service.get_by_din(session=session, din=din)
        sample = next(c for c in lot_service.containers_of(session=session, lot=row)
                      if c.kind == ContainerKind.QC_SAMPLE)
        assert sample.id is not None
        label_service.print_labels(session=session, settings=settings, actor=lot.bench.operator.principal,
                                   din=din, data=label_schemas.PrintRequest(container_ids=[sample.id], format="png"))


def _expire(database: Database, din: str) -> None:
    qa = make_user(database, Role.QA)
    with database.transaction() as session:
        lot_service.set_expiry(session=session, actor=qa.principal, din=din, data=lot_schemas.ExpirySet(
            expires_at=utcnow() - timedelta(minutes=5), reason="shelf life recalculated from the harvest time"))


def test_release_refused_when_a_test_has_no_result(database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings, skip=("mycoplasma",))
    error = refusal(database, lot.din, lot.qa)
    assert error.status_code == 409
    assert codes(error) == ["release.test_missing"]
    assert "Mycoplasma: no result" in error.reasons[0].message
    assert lot_state(database, lot.din) == "in_qc" and decisions(database, lot.din) == []


def test_release_refused_when_a_test_failed(database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings, skip=("viability",))
    enter_result(database, lot.din, lot.analyst, "viability", value=52.0)
    error = refusal(database, lot.din, lot.qa)
    assert codes(error) == ["release.test_failed"]
    assert error.reasons[0].message.startswith("Viability")


def test_release_refused_when_sterility_is_only_preliminary_and_the_co_signatures_are_missing(
    database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("sterility",))
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    assert codes(refusal(database, lot.din, lot.qa)) == ["release.test_not_final"]
    pending = refusal(database, lot.din, lot.qa, pending=True)
    assert codes(pending) == ["release.co_signature_missing", "release.co_signature_missing"]
    messages = " ".join(r.message for r in pending.reasons)
    assert "medical director" in messages and "treating physician" in messages


def test_release_refused_while_a_deviation_is_open(database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings)
    open_deviation(database, lot.din, lot.analyst, description="Sample tube received unsealed.")
    error = refusal(database, lot.din, lot.qa)
    # The deviation holds the lot, so both say why.
    assert codes(error) == ["lot.wrong_state", "release.open_deviation"]


def test_release_refused_when_a_printed_label_is_not_accounted_for_or_an_applied_one_unverified(
    database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    _print_sample_label(database, settings, lot)
    assert codes(refusal(database, lot.din, lot.qa)) == ["release.labels_unreconciled"]
    with database.transaction() as session:
        applied = next(label for label, _job, _container in label_service.labels_of_lot(
            session=session, lot=lot_service.get_by_din(session=session, din=lot.din)) if label.status == "applied")
        applied.verified_at = None  # as if the label had been stuck on without its verifying scan
        session.add(applied)
    error = refusal(database, lot.din, lot.qa)
    assert codes(error) == ["release.labels_unreconciled", "release.labels_unverified"]


def test_release_refused_to_a_qa_person_who_performed_a_step_of_the_lot(
    database: Database, settings: Settings
) -> None:
    both = make_user(database, Role.OPERATOR, Role.QA)
    lot = ready_lot(database, settings, sampler=both)  # registering the QC samples is a processing step
    error = refusal(database, lot.din, both)
    assert codes(error) == ["release.four_eyes"]
    # Another QA person may release it.
    with database.transaction() as session:
        release_service.release(session=session, actor=lot.qa.principal, din=lot.din,
                                username=lot.qa.username, password=lot.qa.password,
                                pending_sterility=False)
    assert lot_state(database, lot.din) == "released"


def test_release_refused_when_the_lot_has_expired(database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings)
    _expire(database, lot.din)
    assert codes(refusal(database, lot.din, lot.qa)) == ["lot.expired"]


def test_release_refused_when_a_pen_strep_hypersensitivity_is_recorded_after_eligibility(
    database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    record_allergy(database, lot.subject, "Benzylpenicillin")
    error = refusal(database, lot.din, lot.qa)
    assert codes(error) == ["release.pen_strep_hypersensitivity"]
    assert "Benzylpenicillin" in error.reasons[0].message


def test_release_refused_when_the_recipient_withdrew_consent(database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings)
    clinician = make_user(database, Role.INVESTIGATOR)
    with database.transaction() as session:
        enrolment_service.withdraw_consent(session=session, actor=clinician.principal, subject_code=lot.subject,
                                           reason="the subject asked to leave the study")
    assert codes(refusal(database, lot.din, lot.qa)) == ["release.consent_withdrawn"]


def test_release_refused_when_the_aspirate_bag_has_no_recorded_custody(
    database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, custody=False)
    error = refusal(database, lot.din, lot.qa)
    assert codes(error) == ["release.custody_gap"]
    assert "no custody hand-over" in error.reasons[0].message


def test_every_unmet_condition_is_listed_together_and_the_refusal_is_audited(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    both = make_user(database, Role.OPERATOR, Role.QA)
    lot = ready_lot(database, settings, skip=("mycoplasma", "viability", "sterility"), sampler=both,
                    custody=False)
    enter_result(database, lot.din, lot.analyst, "viability", value=40.0)
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    _print_sample_label(database, settings, lot)
    record_allergy(database, lot.subject, "streptomycin")
    _expire(database, lot.din)
    open_deviation(database, lot.din, lot.analyst, description="Result sheet missing a page.")

    response = api_client(app, both).post(f"/api/v1/lots/{lot.din}/release", json=both.credentials)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "release.refused"
    assert sorted(r["code"] for r in body["reasons"]) == sorted([
        "lot.wrong_state", "release.test_missing", "release.test_failed", "release.test_not_final",
        "release.open_deviation", "release.labels_unreconciled", "release.custody_gap", "release.four_eyes",
        "release.pen_strep_hypersensitivity", "lot.expired", "release.record_review_outdated",
    ])
    # The checklist shows the same reasons before anyone signs.
    summary = api_client(app, both).get(f"/api/v1/lots/{lot.din}/release").json()
    assert summary["may_release"] is False
    assert sorted(r["code"] for r in summary["release_refusals"]) == sorted(r["code"] for r in body["reasons"])
    with database.transaction(write=False) as session:
        refusals = [e for e in audit_service.entries_for(session=session, entity_type="lot", entity_id=lot.din)
                    if e.action == "release.refused"]
    assert len(refusals) == 1 and "release.four_eyes" in refusals[0].new_values
    assert decisions(database, lot.din) == []
