"""Builders for the clinic's end of the chain: a released lot, its bags' scans, shipment and receipt, the clinicians
at the bedside, and the bodies of checks and infusions.

The lot is expanded to two final product bags by the processing builders; QA's release is then inserted as a
signed ReleaseDecision row with the lot's state set to match (the release service is not used).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from batchtrack.auth import signatures
from batchtrack.bedside import handover
from batchtrack.bedside import schemas as bedside_schemas
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.quality import ReleaseDecision
from batchtrack.models.signature import SignatureMeaning
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role
from batchtrack.processing import service as step_service

from builders import UserHandle, make_user
from processing_builders import STATION, Bench, open_bench, run_to_formulation

TRANSPORT_C = 18.0
VITALS = {"temperature_c": 36.8, "heart_rate_bpm": 72, "systolic_mmhg": 118, "diastolic_mmhg": 76,
          "spo2_percent": 98}


@dataclass(frozen=True)
class ProductLot:
    """A lot expanded to its final product bags, the people who made it, and a QA person who did not."""

    din: str
    coi: str
    bench: Bench
    qa: UserHandle
    bag_ids: list[int]


def release(database: Database, din: str, qa: UserHandle, decision: str = "released") -> None:
    """QA's signed decision inserted as a row, and the lot's state set to it."""
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=din)
        signature = signatures.sign(session=session, signer=qa.principal, username=qa.username, password=qa.password,
                                    meaning=SignatureMeaning.RELEASED, entity_type="lot", entity_id=din,
                                    content={"lot": din, "decision": decision})
        assert lot.id is not None and signature.id is not None and qa.principal.user_id is not None
        session.add(ReleaseDecision(lot_id=lot.id, decision=decision, signature_id=signature.id,
                                    decided_by=qa.principal.user_id, reason="released for the bedside tests"))
        lot.state = decision
        session.add(lot)


def formulated_lot(database: Database, settings: Settings, *, subject: str = "S-001",
                   stock: dict[str, str] | None = None) -> ProductLot:
    """Expand a lot to two final product bags and free the workstation; QA has not released it.

    `stock`: the materials and instruments an earlier lot of the test stocked (none are stocked again).
    """
    bench = open_bench(database, settings, subject=subject, with_stock=stock is None)
    if stock is not None:
        bench = replace(bench, stock=stock)
    run_to_formulation(database, settings, bench)
    with database.transaction() as session:
        step_service.close_workstation(session=session, actor=bench.operator.principal, station=STATION)
    qa = make_user(database, Role.QA)
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=bench.lot.din)
        bags = [c.id for c in lot_service.containers_of(session=session, lot=lot)
                if c.kind == ContainerKind.FINAL_PRODUCT and c.id is not None]
    assert len(bags) == 2
    return ProductLot(bench.lot.din, bench.lot.coi, bench, qa, bags)


def released_lot(database: Database, settings: Settings, *, subject: str = "S-001",
                 decision: str = "released") -> ProductLot:
    """A lot expanded to two final product bags and released by QA (`decision`)."""
    lot = formulated_lot(database, settings, subject=subject)
    release(database, lot.din, lot.qa, decision)
    return lot


def bag_scan(database: Database, container_id: int) -> str:
    """What a scanner reads from the 2-D code of a product bag's label: DIN, product code, expiry and COI."""
    with database.transaction(write=False) as session:
        container = session.get(Container, container_id)
        assert container is not None and container.lot_id is not None
        lot = session.get(Lot, container.lot_id)
        assert lot is not None and lot.expires_at is not None
        therapy = session.get(Therapy, lot.therapy_id)
        assert therapy is not None
        return isbt.compound_message([
            isbt.din_structure(din_id.parse(lot.din)),
            isbt.product_structure(container.product_code + container.division),
            isbt.expiry_datetime_structure(lot.expires_at), isbt.coi_structure(coi_id.parse(therapy.coi)),
        ])


@dataclass(frozen=True)
class PersonName:
    """A recipient's name as written and romanised."""

    family: str
    given: str
    family_latin: str = ""
    given_latin: str = ""


HONG_GILDONG = PersonName("홍", "길동", "Hong", "Gildong")
KIM_SEOYEON = PersonName("김", "서연", "Kim", "Seoyeon")


def name_recipient(database: Database, coi: str, name: PersonName) -> None:
    """Record the name of the therapy's recipient as written and romanised (the builders enrol in Latin script)."""
    with database.transaction() as session:
        therapy = session.execute(select(Therapy).where(col(Therapy.coi) == coi)).scalar_one()
        recipient = session.get(Recipient, therapy.recipient_id)
        assert recipient is not None
        recipient.family_name, recipient.given_name = name.family, name.given
        recipient.family_name_latin, recipient.given_name_latin = name.family_latin, name.given_latin
        session.add(recipient)


def wristband(coi: str) -> str:
    """What a scanner reads from the recipient's wristband: the therapy's COI identifier structure."""
    return isbt.coi_structure(coi_id.parse(coi))


def bag_scans(database: Database, lot: ProductLot) -> list[str]:
    """The 2-D codes of every bag of the lot."""
    return [bag_scan(database, bag) for bag in lot.bag_ids]


def hand_over(scans: list[str], *, giver: str | None = None, receiver: str | None = None,
              temperature_c: float = TRANSPORT_C, location: str = "dispatch") -> bedside_schemas.BagsHandOver:
    """The body of a shipment or receipt."""
    return bedside_schemas.BagsHandOver(scans=scans, handed_over_by=giver, received_by=receiver,
                                        temperature_c=temperature_c, location=location)


@dataclass(frozen=True)
class Clinic:
    """The people at the clinic's end: the courier and two clinicians."""

    courier: UserHandle
    nurse: UserHandle
    doctor: UserHandle


def clinic(database: Database) -> Clinic:
    """A courier, a nurse and an investigator."""
    return Clinic(make_user(database, Role.COURIER), make_user(database, Role.NURSE),
                  make_user(database, Role.INVESTIGATOR))


def ship_and_receive(database: Database, lot: ProductLot, people: Clinic) -> None:
    """Ship every bag from the GMP operator to the courier, and receive them from the courier at the clinic."""
    scans = bag_scans(database, lot)
    with database.transaction() as session:
        handover.ship(session=session, actor=lot.bench.operator.principal, din=lot.din,
                      data=hand_over(scans, receiver=people.courier.username))
    with database.transaction() as session:
        handover.receive_at_clinic(session=session, actor=people.nurse.principal, din=lot.din,
                                   data=hand_over(scans, giver=people.courier.username, location="ward 5"))


def at_clinic(database: Database, settings: Settings, *, subject: str = "S-001",
              decision: str = "released") -> tuple[ProductLot, Clinic]:
    """A released lot shipped and received at the clinic, with the clinic's people."""
    lot = released_lot(database, settings, subject=subject, decision=decision)
    people = clinic(database)
    ship_and_receive(database, lot, people)
    return lot, people


def check_body(wristband_scan: str, bag: str, second: UserHandle | None, *, password: str | None = None,
               acknowledge: bool = False) -> dict[str, Any]:
    """The JSON body of a bedside check."""
    return {"wristband_scan": wristband_scan, "bag_scan": bag,
            "second_clinician": second.username if second else "",
            "second_password": (password if password is not None else second.password) if second else "",
            "acknowledge_pending_sterility": acknowledge}


def infusion_body(check_id: int, first: UserHandle, second: UserHandle, *, started: datetime | None = None,
                  ended: datetime | None = None, volume_ml: float = 50.0, reactions: str = "") -> dict[str, Any]:
    """The JSON body of an infusion recorded right after its check: from the check's minute until now."""
    now = utcnow()
    start = started or now.replace(second=0, microsecond=0)
    end = ended or max(now, start + timedelta(seconds=1))
    return {"check_id": check_id, "started_at": start.isoformat(), "ended_at": end.isoformat(),
            "volume_ml": volume_ml, "vitals_before": VITALS, "vitals_after": {**VITALS, "heart_rate_bpm": 80},
            "adverse_reactions": reactions, **first.credentials, "second_clinician": second.username,
            "second_password": second.password}
