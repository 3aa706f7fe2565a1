"""Demonstration data: a facility's users, and one subject walked from enrolment to a lot in QC.

Safe to run twice: what already exists is kept, and the summary is printed again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.auth import service as auth_service
from batchtrack.auth.principal import SYSTEM, Principal
from batchtrack.collections import schemas as collection_schemas
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.custody import schemas as custody_schemas
from batchtrack.custody import service as custody_service
from batchtrack.db import Database
from batchtrack.demo import bedside as demo_bedside
from batchtrack.demo import expansion as demo_expansion
from batchtrack.demo import quality as demo_quality
from batchtrack.demo import training as demo_training
from batchtrack.enrolment import schemas as enrolment_schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.user import Role, User
from batchtrack.protocols import definition, eligibility
from batchtrack.quality import specifications

log = logging.getLogger(__name__)

DEMO_SUBJECT = "KCT0004337-S01"
# The demo subject's name as she writes it (the first site is in Seoul) and as her passport romanises it.
DEMO_NAME = ("김", "수아")
DEMO_NAME_LATIN = ("Kim", "Sua")
DEMO_PASSWORD_PREFIX = "demo-pass-2026-"  # noqa: S105 - demo installations only
DEMO_USERS: dict[str, tuple[str, set[Role]]] = {
    "investigator": ("Dr. Mina Park", {Role.INVESTIGATOR}),
    "nurse": ("Hana Lee", {Role.NURSE}),
    "collector": ("Jun Choi", {Role.COLLECTOR}),
    "courier": ("Sam Kang", {Role.COURIER}),
    "operator": ("Ara Jung", {Role.OPERATOR}),
    "operator2": ("Tae Yoon", {Role.OPERATOR}),
    "analyst": ("Yuna Shin", {Role.QC_ANALYST}),
    "qa": ("Dr. Ji-ho Han", {Role.QA}),
    "director": ("Dr. Seo Lim", {Role.MEDICAL_DIRECTOR}),
    "admin": ("Site Administrator", {Role.ADMIN}),
    "qalead": ("Dr. Eun-ji Seo", {Role.QA}),  # head of QA: the training lead who grants qualifications
}


def demo_password(username: str) -> str:
    """The demo password of a demo user (demo installations only): numbered, as a password may not contain the
    user name."""
    return f"{DEMO_PASSWORD_PREFIX}{list(DEMO_USERS).index(username) + 1:02d}"


@dataclass
class DemoSummary:
    """What the demo created or found, for printing."""

    users: list[tuple[str, str, str]] = field(default_factory=list)
    coi: str = ""
    lot_din: str = ""
    steps: list[Text] = field(default_factory=list)


def _ensure_users(session: Session, summary: DemoSummary) -> dict[str, Principal]:
    actors: dict[str, Principal] = {}
    for username, (full_name, roles) in DEMO_USERS.items():
        user = session.execute(select(User).where(col(User.username) == username)).scalar_one_or_none()
        if user is None:
            user = auth_service.create_user(session=session, actor=SYSTEM, username=username,
                                            full_name=full_name, password=demo_password(username), roles=roles)
        actors[username] = auth_service.principal_for(session=session, user=user)
        summary.users.append((username, demo_password(username), ", ".join(sorted(r.value for r in roles))))
    return actors


def _walk(session: Session, settings: Settings, actors: dict[str, Principal], summary: DemoSummary) -> None:
    investigator = actors["investigator"]
    enrolment_service.enrol(session=session, actor=investigator, data=enrolment_schemas.EnrolmentCreate(
        subject_code=DEMO_SUBJECT, family_name=DEMO_NAME[0], given_name=DEMO_NAME[1],
        family_name_latin=DEMO_NAME_LATIN[0], given_name_latin=DEMO_NAME_LATIN[1], date_of_birth=date(1991, 4, 17),
        mrn="MRN-0042-7781", sex="female", indication="nephritis", consent_date=utcnow().date() - timedelta(days=7),
        allergies=[enrolment_schemas.AllergyCreate(substance="iodinated contrast", reaction="urticaria")],
        weight=enrolment_schemas.WeightCreate(visit_date=utcnow().date() - timedelta(days=1), weight_kg=58.4),
    ))
    summary.steps.append(_("subject {subject} enrolled in KCT0004337 (lupus nephritis), consent recorded",
                           subject=DEMO_SUBJECT))
    protocol = definition.load("KCT0004337")
    answers = {c.id: c.kind == "inclusion"
               for c in eligibility.applicable(protocol, eligibility.Subject("nephritis", "autologous"))}
    assessment = enrolment_service.assess(
        session=session, settings=settings, actor=investigator, subject_code=DEMO_SUBJECT,
        data=enrolment_schemas.EligibilityAnswers(answers=answers, prescribed_cells_per_kg=1e6,
                                                  username=investigator.username,
                                                  password=demo_password("investigator")))
    assert assessment.therapy is not None
    therapy = assessment.therapy
    summary.steps.append(_("eligibility signed by the investigator: therapy opened, COI identifier {coi}",
                           coi=therapy.coi))
    collector = actors["collector"]
    collection = collection_service.schedule(
        session=session, settings=settings, actor=collector,
        data=collection_schemas.CollectionCreate(therapy_coi=therapy.coi, scheduled_for=utcnow() - timedelta(hours=6)))
    collection_service.transition(session=session, actor=collector, din=collection.din, name="collect",
                                  data=collection_schemas.CollectionTransition(
                                      started_at=utcnow() - timedelta(hours=5, minutes=30),
                                      occurred_at=utcnow() - timedelta(hours=5), volume_ml=60.0,
                                      anticoagulant="heparin", site="posterior iliac crest"))
    summary.steps.append(_("marrow aspirate collected: DIN {din}", din=collection.din))
    bag_scan = isbt.din_structure(din_id.parse(collection.din))
    printed = label_service.print_labels(session=session, settings=settings, actor=collector, din=collection.din,
                                         data=label_schemas.PrintRequest(kind="aspirate_bag", format="png"))
    for label in printed.labels:
        assert label.id is not None
        label_service.apply_label(session=session, actor=collector, label_id=label.id, scan=bag_scan)
    summary.steps.append(_("bag label printed, applied and verified by scan"))
    collection_service.transition(session=session, actor=collector, din=collection.din, name="dispatch",
                                  data=collection_schemas.CollectionTransition())
    for giver, receiver, place, hours in (("collector", "courier", "Bone-marrow aspiration suite", 4.5),
                                          ("courier", "operator", "GMP facility receiving", 2.0)):
        custody_service.record(session=session, actor=actors[giver], data=custody_schemas.CustodyEventCreate(
            scan=bag_scan, handed_over_by=giver, received_by=receiver, location=place,
            temperature_c=21.5, occurred_at=utcnow() - timedelta(hours=hours)))
    summary.steps.append(_("bag handed collector -> courier -> GMP operator, each hand-over scanned"))
    collection_service.receive(session=session, actor=actors["operator"], data=collection_schemas.ReceiptCreate(
        scan=bag_scan, expected_din=collection.din, temperature_c=21.5,
        inspection=collection_schemas.Inspection(bag_intact=True, seal_intact=True, label_legible=True,
                                                 no_clots=True),
        decision="accept", reason="within 24 h and 2-25 °C; inspection passed"))
    lot = lot_service.get_by_din(session=session, din=collection.din)
    summary.steps.append(_("received and accepted at the lab: lot {din} opened", din=lot.din))
    crew = demo_expansion.Crew(
        operator=actors["operator"], operator_password=demo_password("operator"), verifier=actors["operator2"],
        verifier_password=demo_password("operator2"), qa=actors["qa"], qa_password=demo_password("qa"),
        admin=actors["admin"])
    summary.steps.extend(demo_expansion.expand(session=session, settings=settings, crew=crew, din=lot.din,
                                               bag_scan=bag_scan))
    lot_service.add_containers(session=session, actor=actors["operator"], din=lot.din,
                               data=lot_schemas.ContainerCreate(kind="qc_sample", count=2))
    spec = specifications.draft_shipped_default(session=session, actor=actors["qa"])
    specifications.approve(session=session, actor=actors["qa"], code=spec.code, version=spec.version,
                           username=actors["qa"].username, password=demo_password("qa"))
    summary.steps.append(_("release specification {code} version {version} approved by QA (signed)",
                           code=spec.code, version=spec.version))
    lot_service.transition(session=session, actor=actors["operator"], din=lot.din, name="submit_to_qc",
                           reason="")
    summary.steps.append(_("2 QC samples registered; lot submitted to QC"))
    summary.steps.extend(demo_quality.test_and_release(
        session=session, settings=settings, din=lot.din, signers=demo_quality.Signers(
            operator=actors["operator"], analyst=actors["analyst"], director=actors["director"],
            director_password=demo_password("director"), investigator=investigator,
            investigator_password=demo_password("investigator"), qa=actors["qa"], qa_password=demo_password("qa"))))
    summary.steps.extend(demo_bedside.ship_check_and_infuse(
        session=session, settings=settings, din=lot.din, coi=therapy.coi, clinic=demo_bedside.Clinic(
            operator=actors["operator"], courier_username="courier", nurse=actors["nurse"],
            nurse_password=demo_password("nurse"), investigator_username="investigator",
            investigator_password=demo_password("investigator"))))


def run(*, database: Database, settings: Settings) -> DemoSummary:
    """Create the demo data once (in one transaction) and describe it."""
    summary = DemoSummary()
    with database.transaction() as session:
        actors = _ensure_users(session, summary)
        granted = demo_training.qualify(session=session, actors=actors, lead="qalead", deputy="qa",
                                        password_of=demo_password)
        if granted:
            summary.steps.append(_("{count} qualifications granted by the training lead, each signed",
                                   count=len(granted)))
        recipient = session.execute(
            select(Recipient).where(col(Recipient.subject_code) == DEMO_SUBJECT)).scalar_one_or_none()
        if recipient is None:
            _walk(session, settings, actors, summary)
            recipient = session.execute(
                select(Recipient).where(col(Recipient.subject_code) == DEMO_SUBJECT)).scalar_one()
        else:
            summary.steps.append(_("demo data already present; nothing new was created"))
        therapy = enrolment_service.therapy_of(session=session, recipient=recipient)
        assert therapy is not None
        summary.coi = therapy.coi
        lot = session.execute(select(Lot).where(col(Lot.therapy_id) == therapy.id)).scalars().first()
        summary.lot_din = lot.din if lot else ""
    return summary
