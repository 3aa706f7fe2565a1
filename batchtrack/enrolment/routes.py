"""API: enrolment, consent, weights, allergies and signed eligibility."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends

from batchtrack.auth.principal import Principal
from batchtrack.enrolment import schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow, SessionDep, SettingsDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.validation import SubjectPath

router = APIRouter(prefix="/recipients", tags=["enrolment"])
Investigator = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR))]
Clinician = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.NURSE))]
# Everyone in the chain may see subject codes and enrolment status; identity only reaches clinical roles.
Reader = Annotated[Principal, Depends(Allow(*Role))]


@router.post("", status_code=201)
def enrol(
    data: schemas.EnrolmentCreate, session: SessionDep, actor: Investigator, settings: SettingsDep
) -> schemas.RecipientDetail | schemas.RecipientSummary:
    """Enrol a subject in a protocol (identity, consent, indication, donor, allergies, first weight)."""
    recipient = enrolment_service.enrol(session=session, actor=actor, data=data, zone=settings.zone)
    return enrolment_service.summary(session=session, recipient=recipient, viewer=actor)


@router.get("")
def list_recipients(
    session: SessionDep, viewer: Reader, page: PageDep
) -> list[schemas.RecipientDetail | schemas.RecipientSummary]:
    """Enrolled subjects, newest first."""
    rows = enrolment_service.list_recipients(session=session, offset=page.offset, limit=page.limit)
    return [enrolment_service.summary(session=session, recipient=r, viewer=viewer) for r in rows]


@router.get("/{subject_code}")
def get_recipient(
    subject_code: SubjectPath, session: SessionDep, viewer: Reader
) -> schemas.RecipientDetail | schemas.RecipientSummary:
    """One subject (identity only for clinical roles)."""
    recipient = enrolment_service.get_recipient(session=session, subject_code=subject_code)
    return enrolment_service.summary(session=session, recipient=recipient, viewer=viewer)


@router.post("/{subject_code}/weights", status_code=201)
def record_weight(
    subject_code: SubjectPath, data: schemas.WeightCreate, session: SessionDep, actor: Clinician,
    settings: SettingsDep,
) -> schemas.RecipientDetail | schemas.RecipientSummary:
    """Record a weight measured at a dated visit."""
    recipient = enrolment_service.get_recipient(session=session, subject_code=subject_code)
    enrolment_service.record_weight(session=session, actor=actor, recipient=recipient, data=data, zone=settings.zone)
    return enrolment_service.summary(session=session, recipient=recipient, viewer=actor)


@router.post("/{subject_code}/allergies", status_code=201)
def record_allergy(
    subject_code: SubjectPath, data: schemas.AllergyCreate, session: SessionDep, actor: Clinician
) -> schemas.RecipientDetail | schemas.RecipientSummary:
    """Record a hypersensitivity."""
    recipient = enrolment_service.get_recipient(session=session, subject_code=subject_code)
    enrolment_service.record_allergy(session=session, actor=actor, recipient=recipient, data=data)
    return enrolment_service.summary(session=session, recipient=recipient, viewer=actor)


@router.post("/{subject_code}/consent-withdrawal")
def withdraw_consent(
    subject_code: SubjectPath, data: schemas.ConsentWithdrawal, session: SessionDep, actor: Investigator
) -> schemas.RecipientDetail | schemas.RecipientSummary:
    """Record that the subject withdrew consent."""
    recipient = enrolment_service.withdraw_consent(session=session, actor=actor, subject_code=subject_code,
                                                   reason=data.reason)
    return enrolment_service.summary(session=session, recipient=recipient, viewer=actor)


@router.post("/{subject_code}/eligibility", status_code=201)
def assess_eligibility(
    subject_code: SubjectPath, data: schemas.EligibilityAnswers, session: SessionDep, settings: SettingsDep,
    actor: Investigator,
) -> schemas.EligibilityOut:
    """Answer every criterion and sign; an eligible subject's therapy (COI identifier) is opened."""
    result = enrolment_service.assess(session=session, settings=settings, actor=actor, subject_code=subject_code,
                                      data=data)
    record = result.record
    return schemas.EligibilityOut(
        subject_code=subject_code, protocol_id=record.protocol_id, protocol_version=record.protocol_version,
        eligible=record.eligible, reasons=[schemas.ReasonOut(**r) for r in json.loads(record.reasons)],
        assessed_by=result.signer_name, assessed_at=record.assessed_at, signature_meaning="approved",
        therapy_coi=result.therapy.coi if result.therapy else None,
    )
