"""Small typed builders of test data, going through the services as a user would."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.auth import service as auth_service
from batchtrack.auth import tokens as auth_tokens
from batchtrack.auth.principal import SYSTEM, Principal
from batchtrack.collections import schemas as collection_schemas
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.enrolment import schemas as enrolment_schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role, User
from batchtrack.protocols import definition, eligibility
from batchtrack.qualifications import requirements as qualification_requirements
from batchtrack.qualifications import service as qualification_service
from batchtrack.qualifications.schemas import GrantCreate

PATIENT_FAMILY = "Zwierzynska"
PATIENT_GIVEN = "Philomena"
PATIENT_DOB = date(1987, 3, 29)
PATIENT_MRN = "MRN-99817723"
PROTOCOL = "KCT0004337"


@dataclass(frozen=True)
class UserHandle:
    """A user created for a test, with the password and an API token."""

    username: str
    password: str
    token: str
    principal: Principal

    @property
    def credentials(self) -> dict[str, str]:
        """The user id and password an electronic signature asks for, as a request body's fields."""
        return {"username": self.username, "password": self.password}


def make_user(database: Database, *roles: Role, username: str | None = None, qualified: bool = True) -> UserHandle:
    """Create a user holding `roles`, with a password and an API token, qualified for what the roles do (unless
    `qualified` is False)."""
    name = username or f"{roles[0].value}-{secrets.token_hex(3)}"
    password = "Correct-Horse-" + secrets.token_hex(6)
    with database.transaction() as session:
        user = auth_service.create_user(session=session, actor=SYSTEM, username=name,
                                        full_name=f"Test {name.title()}", password=password, roles=set(roles))
        principal = auth_service.principal_for(session=session, user=user)
        token = auth_tokens.create(session=session, settings=Settings(), actor=SYSTEM, username=name, name="tests")
    if qualified:
        qualify(database, name, *sorted(qualification_requirements.load().for_roles(set(roles))))
    return UserHandle(name, password, token, principal)


TRAINING_LEAD = "training-lead"
TRAINING_LEAD_PASSWORD = "Lead-Trainer-" + secrets.token_hex(6)


def _training_lead(session: Session) -> Principal:
    """The QA training lead of this database, who grants the builders' qualifications (made at first use)."""
    user = session.execute(select(User).where(col(User.username) == TRAINING_LEAD)).scalar_one_or_none()
    if user is None:
        user = auth_service.create_user(session=session, actor=SYSTEM, username=TRAINING_LEAD,
                                        full_name="Test Training Lead", password=TRAINING_LEAD_PASSWORD,
                                        roles={Role.QA})
    return auth_service.principal_for(session=session, user=user)


def qualify(database: Database, username: str, *codes: str, expires_on: date | None = None) -> None:
    """Grant `username` each qualification of `codes`, signed by the training lead (valid for the qualification's
    validity from today, or until `expires_on`)."""
    with database.transaction() as session:
        lead = _training_lead(session)
        for code in codes:
            qualification_service.grant(session=session, actor=lead, username=username, data=GrantCreate(
                qualification=code, expires_on=expires_on, note="tests", username=TRAINING_LEAD,
                password=TRAINING_LEAD_PASSWORD))


def eligible_answers(indication: str = "nephritis", donor_kind: str = "autologous") -> dict[str, bool]:
    """Answers that make a subject eligible: every inclusion holds, no exclusion applies."""
    protocol = definition.load(PROTOCOL)
    subject = eligibility.Subject(indication=indication, donor_kind=donor_kind)
    return {c.id: c.kind == "inclusion" for c in eligibility.applicable(protocol, subject)}


def enrolment(subject: str, mrn: str, *, family: str = PATIENT_FAMILY, given: str = PATIENT_GIVEN,
              allergies: tuple[str, ...] = ()) -> enrolment_schemas.EnrolmentCreate:
    """An autologous lupus-nephritis enrolment with a recent weight."""
    return enrolment_schemas.EnrolmentCreate(
        subject_code=subject, family_name=family, given_name=given, date_of_birth=PATIENT_DOB, mrn=mrn,
        sex="female", indication="nephritis", consent_date=utcnow().date() - timedelta(days=3),
        allergies=[enrolment_schemas.AllergyCreate(substance=a) for a in allergies],
        weight=enrolment_schemas.WeightCreate(visit_date=utcnow().date(), weight_kg=62.5),
    )


def enrol_eligible(database: Database, settings: Settings, investigator: UserHandle, *, subject: str = "S-001",
                   mrn: str = PATIENT_MRN, family: str = PATIENT_FAMILY, given: str = PATIENT_GIVEN) -> str:
    """Enrol a subject and sign an eligible assessment; returns the therapy's COI identifier."""
    with database.transaction() as session:
        enrolment_service.enrol(session=session, actor=investigator.principal,
                                data=enrolment(subject, mrn, family=family, given=given), zone=settings.zone)
        result = enrolment_service.assess(
            session=session, settings=settings, actor=investigator.principal, subject_code=subject,
            data=enrolment_schemas.EligibilityAnswers(answers=eligible_answers(), prescribed_cells_per_kg=1e6,
                                                      username=investigator.username, password=investigator.password))
        assert result.therapy is not None
        return result.therapy.coi


def bag_scan(din: str) -> str:
    """What a scanner reads from the DIN barcode of an aspirate bag's label."""
    return isbt.din_structure(din_id.parse(din))


def label_bag(session: Session, settings: Settings, collector: Principal, din: str) -> None:
    """Print the aspirate bag's label, apply it, and verify it by scanning."""
    outcome = label_service.print_labels(session=session, settings=settings, actor=collector, din=din,
                                         data=label_schemas.PrintRequest(kind="aspirate_bag", format="png"))
    for label in outcome.labels:
        assert label.id is not None
        label_service.apply_label(session=session, actor=collector, label_id=label.id, scan=bag_scan(din))


def collected_bag(database: Database, settings: Settings, collector: UserHandle, coi: str, *,
                  hours_ago: float = 2.0) -> str:
    """Schedule and record a collection `hours_ago`, label the bag and dispatch it; returns its DIN."""
    with database.transaction() as session:
        collection = collection_service.schedule(
            session=session, settings=settings, actor=collector.principal,
            data=collection_schemas.CollectionCreate(therapy_coi=coi))
        collection_service.transition(
            session=session, actor=collector.principal, din=collection.din, name="collect",
            data=collection_schemas.CollectionTransition(
                started_at=utcnow() - timedelta(hours=hours_ago + 0.5),
                occurred_at=utcnow() - timedelta(hours=hours_ago),
                volume_ml=55.0, anticoagulant="heparin", site="posterior iliac crest"))
        label_bag(session, settings, collector.principal, collection.din)
        collection_service.transition(session=session, actor=collector.principal, din=collection.din,
                                      name="dispatch", data=collection_schemas.CollectionTransition())
        return collection.din


def receipt(din: str, *, decision: str = "accept", temperature_c: float = 20.0, expected: str | None = None,
            reason: str = "") -> collection_schemas.ReceiptCreate:
    """A receipt at the lab with every inspection item passed."""
    return collection_schemas.ReceiptCreate(
        scan=bag_scan(din), expected_din=expected or din, temperature_c=temperature_c,
        inspection=collection_schemas.Inspection(bag_intact=True, seal_intact=True, label_legible=True,
                                                 no_clots=True),
        decision=decision, reason=reason)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SeededLot:
    """A therapy with one accepted collection and its lot."""

    coi: str
    din: str


def seed_lot(database: Database, settings: Settings, *, subject: str = "S-001", mrn: str = PATIENT_MRN,
             family: str = PATIENT_FAMILY, given: str = PATIENT_GIVEN) -> SeededLot:
    """Enrol an eligible subject, collect, label, dispatch and receive the aspirate: the lot is then in process."""
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    lab = make_user(database, Role.OPERATOR)
    coi = enrol_eligible(database, settings, clinician, subject=subject, mrn=mrn, family=family, given=given)
    din = collected_bag(database, settings, clinician, coi)
    with database.transaction() as session:
        collection_service.receive(session=session, actor=lab.principal, data=receipt(din))
    return SeededLot(coi=coi, din=din)
