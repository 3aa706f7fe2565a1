"""Demonstration data: a facility's users, one therapy, its collection, lot and containers.

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
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role, User
from batchtrack.therapies import schemas as therapy_schemas
from batchtrack.therapies import service as therapy_service

log = logging.getLogger(__name__)

DEMO_SUBJECT = "KCT0004337-S01"
DEMO_PASSWORD_SUFFIX = "-demo-pass-2026"  # noqa: S105 - demo installations only
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
}


def demo_password(username: str) -> str:
    """The demo password of a demo user (demo installations only)."""
    return f"{username}{DEMO_PASSWORD_SUFFIX}"


@dataclass
class DemoSummary:
    """What the demo created or found, for printing."""

    users: list[tuple[str, str, str]] = field(default_factory=list)
    coi: str = ""
    lot_din: str = ""
    steps: list[str] = field(default_factory=list)


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
    therapy = therapy_service.open_therapy(
        session=session, settings=settings, actor=actors["investigator"],
        data=therapy_schemas.TherapyCreate(
            recipient=therapy_schemas.RecipientCreate(
                subject_code=DEMO_SUBJECT, family_name="Kim", given_name="Soo-ah",
                date_of_birth=date(1991, 4, 17), mrn="MRN-0042-7781"),
            prescribed_cells_per_kg=1e6),
    )
    summary.steps.append(f"therapy opened: COI identifier {therapy.coi}")
    collection = collection_service.schedule(
        session=session, settings=settings, actor=actors["collector"],
        data=collection_schemas.CollectionCreate(therapy_coi=therapy.coi,
                                                 scheduled_for=utcnow() - timedelta(hours=6)))
    summary.steps.append(f"collection scheduled: DIN {collection.din}")
    collection_service.transition(session=session, actor=actors["collector"], din=collection.din, name="collect",
                                  data=collection_schemas.CollectionTransition(
                                      occurred_at=utcnow() - timedelta(hours=5), volume_ml=60.0))
    bag = session.execute(select(Container).where(col(Container.collection_id) == collection.id,
                                                  col(Container.kind) == ContainerKind.ASPIRATE_BAG)).scalar_one()
    assert bag.id is not None
    collection_service.transition(session=session, actor=actors["collector"], din=collection.din,
                                  name="dispatch", data=collection_schemas.CollectionTransition())
    for giver, receiver, place, hours in (("collector", "courier", "Bone-marrow aspiration suite", 4.5),
                                          ("courier", "operator", "GMP facility receiving", 2.0)):
        custody_service.record(session=session, actor=actors[giver], data=custody_schemas.CustodyEventCreate(
            container_id=bag.id, handed_over_by=giver, received_by=receiver, location=place,
            temperature_c=21.5, occurred_at=utcnow() - timedelta(hours=hours)))
    summary.steps.append("aspirate bag handed collector -> courier -> GMP operator")
    collection_service.transition(session=session, actor=actors["operator"], din=collection.din, name="accept",
                                  data=collection_schemas.CollectionTransition(reason="seal intact, 21.5 °C"))
    lot = lot_service.get_by_din(session=session, din=collection.din)
    summary.steps.append(f"received and accepted at the lab: lot {lot.din} opened")
    lot_service.add_containers(session=session, actor=actors["operator"], din=lot.din,
                               data=lot_schemas.ContainerCreate(kind="culture_vessel", count=2))
    lot_service.transition(session=session, actor=actors["operator"], din=lot.din, name="harvest", reason="P3")
    lot_service.transition(session=session, actor=actors["operator"], din=lot.din, name="formulate", reason="")
    lot_service.add_containers(session=session, actor=actors["operator"], din=lot.din,
                               data=lot_schemas.ContainerCreate(kind="final_product", count=2))
    lot_service.add_containers(session=session, actor=actors["operator"], din=lot.din,
                               data=lot_schemas.ContainerCreate(kind="qc_sample", count=2))
    lot_service.set_expiry(session=session, actor=actors["qa"], din=lot.din,
                           data=lot_schemas.ExpirySet(expires_at=utcnow() + timedelta(hours=48)))
    lot_service.transition(session=session, actor=actors["operator"], din=lot.din, name="submit_to_qc",
                           reason="")
    summary.steps.append("expanded, harvested, formulated into 2 product bags; 2 QC samples; submitted to QC")


def run(*, database: Database, settings: Settings) -> DemoSummary:
    """Create the demo data once (each part in one transaction) and describe it."""
    summary = DemoSummary()
    with database.transaction() as session:
        actors = _ensure_users(session, summary)
        existing = session.execute(
            select(Therapy).join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
            .where(col(Recipient.subject_code) == DEMO_SUBJECT)
        ).scalar_one_or_none()
        if existing is None:
            _walk(session, settings, actors, summary)
        else:
            summary.steps.append("demo data already present; nothing new was created")
        therapy = session.execute(
            select(Therapy).join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
            .where(col(Recipient.subject_code) == DEMO_SUBJECT)
        ).scalar_one()
        summary.coi = therapy.coi
        lots = lot_service.list_lots(session=session, offset=0, limit=1)[0]
        summary.lot_din = next((lot.din for lot in lots if lot.therapy_id == therapy.id), "")
    return summary
