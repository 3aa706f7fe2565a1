"""Enrolling subjects, recording consent, weights and allergies, and signing eligibility."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.enrolment import schemas
from batchtrack.errors import BadRequest, Conflict, NotFound
from batchtrack.i18n import moments
from batchtrack.i18n.text import _
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.enrolment import Allergy, EligibilityAssessment, WeightRecord
from batchtrack.models.party import Donor, DonorKind, Recipient
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.therapy import Therapy
from batchtrack.people import matching, names, rules
from batchtrack.protocols import definition, eligibility
from batchtrack.therapies import service as therapy_service


def get_recipient(*, session: Session, subject_code: str, for_update: bool = False) -> Recipient:
    """The recipient with this subject code; NotFound otherwise."""
    query = select(Recipient).where(col(Recipient.subject_code) == subject_code.strip())
    if for_update:
        query = query.with_for_update()
    recipient = session.execute(query).scalar_one_or_none()
    if recipient is None:
        raise NotFound(_("no subject {subject}", subject=repr(subject_code[:40])), code="subject.unknown")
    return recipient


def donor_of(*, session: Session, recipient: Recipient) -> Donor:
    """The recipient's donor: themself when autologous, else the donor directed to them."""
    donor = session.execute(
        select(Donor).where((col(Donor.recipient_id) == recipient.id) | (col(Donor.directed_to_id) == recipient.id))
        .order_by(col(Donor.id).desc())
    ).scalars().first()
    if donor is None:
        raise NotFound(_("subject {subject} has no donor recorded", subject=recipient.subject_code),
                       code="donor.unknown")
    return donor


def _latin_names(data: schemas.EnrolmentCreate) -> tuple[rules.LatinName, rules.LatinName | None]:
    """The recipient's and the directed donor's romanised names to record; refused unless in Latin letters."""
    recipient = rules.latin_to_record(family=data.family_name, given=data.given_name,
                                      family_latin=data.family_name_latin, given_latin=data.given_name_latin)
    fields = {"family_name_latin": (_("the romanised family name"), recipient.family),
              "given_name_latin": (_("the romanised given name"), recipient.given)}
    donor = None
    if data.donor is not None:
        donor = rules.latin_to_record(family=data.donor.family_name, given=data.donor.given_name,
                                      family_latin=data.donor.family_name_latin,
                                      given_latin=data.donor.given_name_latin)
        fields |= {"donor.family_name_latin": (_("the donor's romanised family name"), donor.family),
                   "donor.given_name_latin": (_("the donor's romanised given name"), donor.given)}
    refusals = rules.latin_name_refusals(fields)
    if refusals:
        raise BadRequest(_("a romanised name may hold only Latin letters, spaces, hyphens and apostrophes"),
                         code="enrolment.romanised_name", reasons=refusals)
    return recipient, donor


def enrol(*, session: Session, actor: Principal, data: schemas.EnrolmentCreate, zone: tzinfo) -> Recipient:
    """Register a subject with identity (the name as written and romanised), consent, indication, donor, allergies
    and a first weight; the consent and visit dates are judged by the calendar of the site's time zone `zone`."""
    latin, donor_latin = _latin_names(data)
    protocol = definition.load(data.protocol_id)
    if data.indication not in protocol.indications:
        raise Conflict(_("protocol {protocol} does not cover {indication}", protocol=protocol.id,
                         indication=data.indication), code="enrolment.indication")
    if data.consent_date > moments.day(utcnow(), zone):
        raise Conflict(_("the consent date is in the future"), code="enrolment.consent_future")
    if session.execute(select(Recipient.id).where(col(Recipient.subject_code) == data.subject_code)).first():
        raise Conflict(_("subject code {subject} is already enrolled", subject=data.subject_code),
                       code="subject_exists")
    if session.execute(select(Recipient.id).where(col(Recipient.mrn) == data.mrn)).first():
        raise Conflict(_("a recipient with this medical record number is already enrolled"), code="mrn_exists")
    if data.donor is not None and session.execute(
        select(Donor.id).where(col(Donor.donor_code) == data.donor.donor_code)
    ).first():
        raise Conflict(_("donor code {donor} is already registered", donor=data.donor.donor_code),
                       code="donor_exists")
    recipient = Recipient(
        subject_code=data.subject_code, family_name=data.family_name, given_name=data.given_name,
        family_name_latin=latin.family, given_name_latin=latin.given,
        date_of_birth=data.date_of_birth, mrn=data.mrn, sex=data.sex, protocol_id=protocol.id,
        indication=data.indication, consent_date=data.consent_date,
    )
    session.add(recipient)
    session.flush()
    if data.donor is None:
        donor = Donor(donor_code=data.subject_code, kind=DonorKind.AUTOLOGOUS, recipient_id=recipient.id,
                      date_of_birth=data.date_of_birth)
    else:
        assert donor_latin is not None
        donor = Donor(donor_code=data.donor.donor_code, kind=DonorKind.DIRECTED, directed_to_id=recipient.id,
                      date_of_birth=data.donor.date_of_birth, hla_match=data.donor.hla_match,
                      family_name=data.donor.family_name or None, given_name=data.donor.given_name or None,
                      family_name_latin=donor_latin.family or None, given_name_latin=donor_latin.given or None)
    session.add(donor)
    session.flush()
    # Identity stays in the recipient and donor rows: the audit entry carries codes only, as every role may read
    # it (review.routes). It records that each name was recorded and how its romanised form came about.
    donor_names = {} if donor_latin is None else {
        "donor_name": "recorded" if donor.family_name or donor.given_name else "none",
        "donor_romanised_name": donor_latin.how}
    audit_service.record(
        session=session, actor=actor, action="recipient.enrolled", entity_type="recipient",
        entity_id=recipient.subject_code,
        new={"subject_code": recipient.subject_code, "protocol": protocol.id, "indication": data.indication,
             "consent_date": data.consent_date, "donor_kind": donor.kind, "donor_code": donor.donor_code,
             "name": "recorded", "romanised_name": latin.how, **donor_names},
    )
    for allergy in data.allergies:
        record_allergy(session=session, actor=actor, recipient=recipient, data=allergy)
    if data.weight is not None:
        record_weight(session=session, actor=actor, recipient=recipient, data=data.weight, zone=zone)
    return recipient


def record_allergy(*, session: Session, actor: Principal, recipient: Recipient, data: schemas.AllergyCreate) -> Allergy:
    """Record a hypersensitivity (a penicillin or streptomycin one makes the subject ineligible)."""
    assert recipient.id is not None and actor.user_id is not None
    allergy = Allergy(recipient_id=recipient.id, substance=data.substance, reaction=data.reaction,
                      recorded_by=actor.user_id)
    session.add(allergy)
    session.flush()
    audit_service.record(session=session, actor=actor, action="recipient.allergy_recorded", entity_type="recipient",
                         entity_id=recipient.subject_code, new={"substance": data.substance, "reaction": data.reaction})
    return allergy


def record_weight(
    *, session: Session, actor: Principal, recipient: Recipient, data: schemas.WeightCreate, zone: tzinfo
) -> WeightRecord:
    """Record a weight measured at a dated visit (a date of the site's calendar, in `zone`)."""
    assert recipient.id is not None and actor.user_id is not None
    if data.visit_date > moments.day(utcnow(), zone):
        raise Conflict(_("a visit date cannot be in the future"), code="weight.future")
    weight = WeightRecord(recipient_id=recipient.id, visit_date=data.visit_date, weight_kg=data.weight_kg,
                          recorded_by=actor.user_id)
    session.add(weight)
    session.flush()
    audit_service.record(session=session, actor=actor, action="recipient.weight_recorded", entity_type="recipient",
                         entity_id=recipient.subject_code,
                         new={"visit_date": data.visit_date, "weight_kg": data.weight_kg})
    return weight


def withdraw_consent(*, session: Session, actor: Principal, subject_code: str, reason: str) -> Recipient:
    """Record a withdrawal of consent: no collection can be scheduled or recorded afterwards."""
    recipient = get_recipient(session=session, subject_code=subject_code, for_update=True)
    if recipient.consent_withdrawn_at is not None:
        raise Conflict(_("subject {subject} already withdrew consent", subject=recipient.subject_code),
                       code="consent.withdrawn")
    recipient.consent_withdrawn_at = utcnow()
    recipient.consent_withdrawal_reason = reason
    session.add(recipient)
    audit_service.record(session=session, actor=actor, action="recipient.consent_withdrawn", entity_type="recipient",
                         entity_id=recipient.subject_code, old={"consent": "given"}, new={"consent": "withdrawn"},
                         reason=reason)
    session.flush()
    return recipient


def allergies_of(*, session: Session, recipient: Recipient) -> tuple[str, ...]:
    """The substances the recipient is recorded as hypersensitive to."""
    return tuple(session.execute(
        select(Allergy.substance).where(col(Allergy.recipient_id) == recipient.id).order_by(col(Allergy.id))
    ).scalars())


def latest_weight(*, session: Session, recipient: Recipient) -> WeightRecord | None:
    """The weight of the most recent visit."""
    return session.execute(
        select(WeightRecord).where(col(WeightRecord.recipient_id) == recipient.id)
        .order_by(col(WeightRecord.visit_date).desc(), col(WeightRecord.id).desc())
    ).scalars().first()


def latest_assessment(*, session: Session, recipient: Recipient) -> EligibilityAssessment | None:
    """The most recent signed eligibility assessment."""
    return session.execute(
        select(EligibilityAssessment).where(col(EligibilityAssessment.recipient_id) == recipient.id)
        .order_by(col(EligibilityAssessment.id).desc())
    ).scalars().first()


def eligibility_content(
    *, subject_code: str, protocol_id: str, protocol_version: int, answers: dict[str, bool], eligible: bool,
    reasons: list[dict[str, Any]], assessed_on: date, prescribed_cells_per_kg: float | None,
) -> dict[str, Any]:
    """What the investigator's eligibility signature covers (pure)."""
    return {"subject": subject_code, "protocol": protocol_id, "version": protocol_version,
            "answers": dict(sorted(answers.items())), "eligible": eligible, "reasons": reasons,
            "assessed_on": assessed_on.isoformat(), "prescribed_cells_per_kg": prescribed_cells_per_kg}


def _prescribed_when_signed(session: Session, recipient: Recipient, signature: Signature) -> float | None:
    """The dose prescribed with the assessment: as its audit entry records it, else (entries written before the
    entry recorded it) as the therapy it opened holds it."""
    entries = session.execute(select(col(AuditEntry.new_values)).where(
        col(AuditEntry.action) == "recipient.eligibility_assessed", col(AuditEntry.entity_type) == "recipient",
        col(AuditEntry.entity_id) == recipient.subject_code)).scalars()
    for new in (json.loads(text) for text in entries):
        if new.get("signature_id") == signature.id and "prescribed_cells_per_kg" in new:
            return float(new["prescribed_cells_per_kg"])
    therapy = therapy_of(session=session, recipient=recipient)
    return therapy.prescribed_cells_per_kg if therapy is not None else None


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What an eligibility signature covers, rebuilt from the assessment it signed; None if none names it."""
    record = session.execute(select(EligibilityAssessment).where(
        col(EligibilityAssessment.signature_id) == signature.id)).scalars().first()
    recipient = session.get(Recipient, record.recipient_id) if record is not None else None
    if record is None or recipient is None:
        return None
    return eligibility_content(
        subject_code=recipient.subject_code, protocol_id=record.protocol_id, protocol_version=record.protocol_version,
        answers=json.loads(record.answers), eligible=record.eligible, reasons=json.loads(record.reasons),
        assessed_on=record.assessed_at.date(),
        prescribed_cells_per_kg=_prescribed_when_signed(session, recipient, signature))


@dataclass(frozen=True, slots=True)
class Assessment:
    """The recorded assessment and the therapy it opened, if any."""

    record: EligibilityAssessment
    signer_name: str
    therapy: Therapy | None


def assess(
    *, session: Session, settings: Settings, actor: Principal, subject_code: str,
    data: schemas.EligibilityAnswers,
) -> Assessment:
    """Evaluate and sign the investigator's answers; an eligible subject gets their therapy (COI) opened."""
    recipient = get_recipient(session=session, subject_code=subject_code, for_update=True)
    if recipient.consent_withdrawn_at is not None:
        raise Conflict(_("subject {subject} withdrew consent", subject=recipient.subject_code),
                       code="consent.withdrawn")
    protocol = definition.load(recipient.protocol_id)
    donor = donor_of(session=session, recipient=recipient)
    now = utcnow()
    today = moments.day(now, settings.zone)
    subject = eligibility.Subject(
        indication=recipient.indication, donor_kind=donor.kind,
        allergies=allergies_of(session=session, recipient=recipient),
        donor_date_of_birth=donor.date_of_birth, assessed_on=today,
    )
    outcome = eligibility.evaluate(protocol, subject, data.answers)
    content = eligibility_content(
        subject_code=recipient.subject_code, protocol_id=protocol.id, protocol_version=protocol.version,
        answers=data.answers, eligible=outcome.eligible, reasons=[r.as_dict() for r in outcome.reasons],
        assessed_on=today, prescribed_cells_per_kg=data.prescribed_cells_per_kg)
    signature = signatures.sign(session=session, signer=actor, username=data.username, password=data.password,
                                meaning=SignatureMeaning.APPROVED, entity_type="recipient",
                                entity_id=recipient.subject_code, content=content)
    assert recipient.id is not None and actor.user_id is not None and signature.id is not None
    record = EligibilityAssessment(
        recipient_id=recipient.id, protocol_id=protocol.id, protocol_version=protocol.version,
        answers=json.dumps(content["answers"], sort_keys=True), eligible=outcome.eligible,
        reasons=json.dumps(content["reasons"]), assessed_by=actor.user_id, assessed_at=now,
        signature_id=signature.id,
    )
    session.add(record)
    session.flush()
    audit_service.record(session=session, actor=actor, action="recipient.eligibility_assessed",
                         entity_type="recipient", entity_id=recipient.subject_code,
                         new={"eligible": outcome.eligible, "reasons": content["reasons"],
                              "protocol": protocol.id, "version": protocol.version, "signature_id": signature.id,
                              "prescribed_cells_per_kg": data.prescribed_cells_per_kg})
    if donor.kind == DonorKind.DIRECTED:
        _record_donor_eligibility(session, actor, donor, outcome, data.answers)
    therapy = None
    if outcome.eligible:
        therapy = therapy_service.open_for(session=session, settings=settings, actor=actor, recipient=recipient,
                                           donor=donor, prescribed_cells_per_kg=data.prescribed_cells_per_kg)
    return Assessment(record=record, signer_name=signature.printed_name, therapy=therapy)


def _record_donor_eligibility(
    session: Session, actor: Principal, donor: Donor, outcome: eligibility.Outcome, answers: dict[str, bool]
) -> None:
    """A directed donor's own eligibility: the investigator's donor criterion and the protocol's age range."""
    donor_reasons = [r for r in outcome.reasons if r.code == "eligibility.donor_age" or "INC-DONOR" in r.message]
    verdict = "eligible" if answers.get("INC-DONOR") and not donor_reasons else "ineligible"
    old = {"eligibility": donor.eligibility}
    donor.eligibility = verdict
    donor.eligibility_recorded_at = utcnow()
    session.add(donor)
    audit_service.record(session=session, actor=actor, action="donor.eligibility_recorded", entity_type="donor",
                         entity_id=donor.donor_code, old=old, new={"eligibility": verdict,
                                                                   "reasons": [r.as_dict() for r in donor_reasons]})


def therapy_of(*, session: Session, recipient: Recipient) -> Therapy | None:
    """The recipient's open therapy, if eligibility opened one."""
    return session.execute(
        select(Therapy).where(col(Therapy.recipient_id) == recipient.id).order_by(col(Therapy.id).desc())
    ).scalars().first()


def summary(*, session: Session, recipient: Recipient, viewer: Principal) -> schemas.RecipientSummary:
    """The subject as `viewer` may see them (identity only for clinical roles)."""
    protocol = definition.load(recipient.protocol_id) if recipient.protocol_id else None
    allergies = allergies_of(session=session, recipient=recipient)
    assessment = latest_assessment(session=session, recipient=recipient)
    weight = latest_weight(session=session, recipient=recipient)
    therapy = therapy_of(session=session, recipient=recipient)
    donor = donor_of(session=session, recipient=recipient)
    base = schemas.RecipientSummary(
        subject_code=recipient.subject_code, protocol_id=recipient.protocol_id, indication=recipient.indication,
        consent_date=recipient.consent_date, consent_withdrawn=recipient.consent_withdrawn_at is not None,
        donor_kind=donor.kind, donor_code=donor.donor_code, donor_eligibility=donor.eligibility,
        eligible=assessment.eligible if assessment else None, therapy_coi=therapy.coi if therapy else None,
        latest_weight_kg=weight.weight_kg if weight else None, latest_weight_date=weight.visit_date if weight else None,
        pen_strep_hypersensitivity=bool(protocol and eligibility.pen_strep_allergies(protocol, allergies)),
    )
    if not viewer.sees_patient_identity:
        return base
    directed = donor.kind == DonorKind.DIRECTED
    return schemas.RecipientDetail(
        **base.model_dump(), family_name=recipient.family_name, given_name=recipient.given_name,
        family_name_latin=recipient.family_name_latin, given_name_latin=recipient.given_name_latin,
        written_name=names.written(recipient.family_name, recipient.given_name),
        romanised_name=names.romanised(recipient.family_name_latin, recipient.given_name_latin),
        donor_written_name=names.written(donor.family_name or "", donor.given_name or "") if directed else None,
        donor_romanised_name=names.romanised(donor.family_name_latin or "", donor.given_name_latin or "")
        if directed else None,
        date_of_birth=recipient.date_of_birth, mrn=recipient.mrn, sex=recipient.sex, allergies=list(allergies),
    )


def list_recipients(*, session: Session, offset: int, limit: int, name: str = "") -> list[Recipient]:
    """A page of enrolled subjects, newest first; only those with `name` (as written or romanised) when it is given.

    A name is a patient's identity: callers pass it only for a reader who may see identity.
    """
    query = select(Recipient)
    if name.strip():
        query = query.where(matching.recipient_named(name))
    return list(session.execute(query.order_by(col(Recipient.id).desc()).offset(offset).limit(limit)).scalars())


def weight_within(*, session: Session, recipient: Recipient, days: int, on: date) -> WeightRecord | None:
    """The latest weight measured within `days` before `on` (for dosing), or None."""
    weight = latest_weight(session=session, recipient=recipient)
    if weight is None or (on - weight.visit_date).days > days:
        return None
    return weight
