"""Demonstration: a released bag shipped to the clinic, checked at the bedside by two clinicians, infused.

Every hand-over is confirmed by scanning the bag; the nurse scans the wristband and the bag, the investigator
confirms on the same tablet, both acknowledge the release pending sterility, and both sign the infusion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.auth.principal import Principal
from batchtrack.bedside import handover, infusions
from batchtrack.bedside import schemas as bedside_schemas
from batchtrack.bedside import service as bedside_service
from batchtrack.config import Settings
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import isbt
from batchtrack.labels import service as label_service
from batchtrack.lots import service as lot_service
from batchtrack.models.container import ContainerKind
from batchtrack.models.label import Label, LabelStatus

VITALS_BEFORE = bedside_schemas.VitalSigns(temperature_c=36.7, heart_rate_bpm=74, systolic_mmhg=122,
                                           diastolic_mmhg=78, spo2_percent=98)
VITALS_AFTER = bedside_schemas.VitalSigns(temperature_c=36.9, heart_rate_bpm=78, systolic_mmhg=118,
                                          diastolic_mmhg=76, spo2_percent=98)


@dataclass(frozen=True)
class Clinic:
    """The people at the clinic's end of the chain (by demo user name)."""

    operator: Principal
    courier_username: str
    nurse: Principal
    nurse_password: str
    investigator_username: str
    investigator_password: str


def _bag_scan(session: Session, din: str) -> str:
    lot = lot_service.get_by_din(session=session, din=din)
    bag = next(c for c in lot_service.containers_of(session=session, lot=lot)
               if c.kind == ContainerKind.FINAL_PRODUCT)
    label = session.execute(select(Label).where(col(Label.container_id) == bag.id,
                                                col(Label.status) == LabelStatus.APPLIED)).scalars().one()
    return label_service.recorded_barcodes(label)["compound_datamatrix"]["data"]


def ship(*, session: Session, clinic: Clinic, din: str) -> None:
    """The GMP operator hands the released bag to the courier, scanning it, with its temperature."""
    handover.ship(session=session, actor=clinic.operator, din=din, data=bedside_schemas.BagsHandOver(
        scans=[_bag_scan(session, din)], received_by=clinic.courier_username, temperature_c=20.5,
        location="GMP facility dispatch"))


def receive_at_clinic(*, session: Session, clinic: Clinic, din: str) -> None:
    """The nurse takes the bag from the courier at the ward, scanning it, with its temperature."""
    handover.receive_at_clinic(session=session, actor=clinic.nurse, din=din, data=bedside_schemas.BagsHandOver(
        scans=[_bag_scan(session, din)], handed_over_by=clinic.courier_username, temperature_c=21.0,
        location="Nephrology ward, infusion room"))


def check(*, session: Session, settings: Settings, clinic: Clinic, din: str, coi: str) -> int:
    """The nurse scans wristband and bag, the investigator confirms; the passed check's id."""
    checked = bedside_service.check(session=session, settings=settings, actor=clinic.nurse,
                                    data=bedside_schemas.CheckCreate(
                                        wristband_scan=isbt.coi_structure(coi_id.parse(coi)),
                                        bag_scan=_bag_scan(session, din),
                                        second_clinician=clinic.investigator_username,
                                        second_password=clinic.investigator_password,
                                        acknowledge_pending_sterility=True))
    if not checked.ok:
        raise RuntimeError(f"the demo's bedside check was refused: {checked.reasons}")
    assert checked.id is not None
    return checked.id


def infuse(*, session: Session, settings: Settings, clinic: Clinic, check_id: int, started: datetime,
           ended: datetime) -> None:
    """Record the infusion that ran from `started` to `ended`, signed by both clinicians."""
    infusions.record_infusion(session=session, actor=clinic.nurse, data=bedside_schemas.InfusionCreate(
        check_id=check_id, started_at=started, ended_at=ended, volume_ml=50.0, vitals_before=VITALS_BEFORE,
        vitals_after=VITALS_AFTER, adverse_reactions="", username=clinic.nurse.username,
        password=clinic.nurse_password, second_clinician=clinic.investigator_username,
        second_password=clinic.investigator_password), zone=settings.zone)


def told(coi: str) -> list[Text]:
    """What the clinic did with the fully built lot's bag, in words."""
    return [
        _("bag shipped GMP operator -> courier -> nurse at the clinic, each hand-over scanned with its temperature"),
        _("bedside: wristband and bag scanned by the nurse, confirmed by the investigator; identity, release, expiry "
          "and dose checked"),
        _("infused and signed by both clinicians; therapy {coi} completed", coi=coi),
        _("chain-of-identity report: /therapies/{coi}/report (PDF: /therapies/{coi}/report.pdf)", coi=coi),
    ]
