"""Builders for chain-of-identity report tests: a lot processed at the workstation, released by QA, handed over
to the clinic, checked at the bedside and infused.

Processing, labels, custody and deviations go through their services. The QA release and the bedside are
written straight into their tables (`release_decision`, `bedside_check`, `infusion`), with real signatures,
the way those services record them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import col, select

from batchtrack.auth import signatures
from batchtrack.config import Settings
from batchtrack.custody import schemas as custody_schemas
from batchtrack.custody import service as custody_service
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.bedside import BedsideCheck, Infusion
from batchtrack.models.container import Container, ContainerKind, ContainerStatus
from batchtrack.models.label import Label, LabelStatus
from batchtrack.models.lot import Lot
from batchtrack.models.quality import ReleaseDecision, ReleaseDecisionKind, Specification, SpecificationStatus
from batchtrack.models.signature import SignatureMeaning
from batchtrack.models.user import Role

from bedside_builders import VITALS
from builders import PATIENT_MRN, UserHandle, make_user
from processing_builders import STATION, Bench, open_bench, run_to_formulation

REPRINT_REASON = "Label smudged by albumin during formulation"
DESTROY_REASON = "Smudged label removed and shredded"
SPEC_CODE, SPEC_VERSION = "MSC-FP-REL", 3
DEVIATION_TEXT = "Bedside check started with one clinician present"
DEVIATION_CLOSURE = "Second clinician called; the check was repeated by two clinicians"
SECOND_MISSING = {"code": "bedside.second_clinician_missing", "message": "a second clinician must confirm the identity"}
# The wristband as read at the bedside: it carries the medical record number, which the report never shows.
WRISTBAND_SCAN = f"MRN:{PATIENT_MRN}"
HANDOVERS = (("GMP dispatch bench", 4.0), ("Ward 7 infusion suite", 5.5))


@dataclass(frozen=True)
class InfusedTherapy:
    """A therapy whose first product bag was infused, and the people and records along its chain."""

    coi: str
    din: str
    bench: Bench
    qa: UserHandle
    courier: UserHandle
    nurse: UserHandle
    investigator: UserHandle
    infused_id: int
    spare_id: int
    release_signature_id: int
    infusion_signature_ids: tuple[int, int]
    deviation_number: str


def user_id(user: UserHandle) -> int:
    """The database id of a test user."""
    assert user.principal.user_id is not None
    return user.principal.user_id


def product_bags(database: Database, din: str) -> list[Container]:
    """The final product bags of the lot, by division."""
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        return sorted((c for c in lot_service.containers_of(session=session, lot=lot)
                       if c.kind == ContainerKind.FINAL_PRODUCT), key=lambda c: c.division)


def bag_scan(database: Database, container_id: int) -> str:
    """The 2-D code of the bag's applied label: DIN, product code with division, expiry, COI."""
    with database.transaction(write=False) as session:
        label = session.execute(select(Label).where(
            col(Label.container_id) == container_id, col(Label.status) == LabelStatus.APPLIED)).scalar_one()
        return label_service.recorded_barcodes(label)["compound_datamatrix"]["data"]


def reprint_label(database: Database, settings: Settings, bench: Bench, container_id: int) -> None:
    """Reprint a bag's label with a reason, destroy the old one and apply the new one by scanning it."""
    with database.transaction() as session:
        old = session.execute(select(Label).where(
            col(Label.container_id) == container_id, col(Label.status) == LabelStatus.APPLIED)).scalar_one()
        outcome = label_service.print_labels(
            session=session, settings=settings, actor=bench.operator.principal, din=bench.lot.din,
            data=label_schemas.PrintRequest(container_ids=[container_id], format="zpl", station=STATION,
                                            reason=REPRINT_REASON),
            send=lambda host, port, data, timeout: None)
        assert old.id is not None
        label_service.close_label(session=session, actor=bench.operator.principal, label_id=old.id,
                                  status="destroyed", reason=DESTROY_REASON)
        [new] = outcome.labels
        assert new.id is not None
        label_service.apply_label(session=session, actor=bench.operator.principal, label_id=new.id,
                                  scan=label_service.recorded_barcodes(new)["compound_datamatrix"]["data"])


def release(database: Database, din: str, qa: UserHandle) -> int:
    """QA's signed release of the lot against a specification version, as the release service records it."""
    with database.transaction() as session:
        spec = Specification(code=SPEC_CODE, version=SPEC_VERSION, title="BM-MSC final product release",
                             status=SpecificationStatus.EFFECTIVE, content="{}", created_by=user_id(qa),
                             effective_at=utcnow())
        session.add(spec)
        session.flush()
        lot = lot_service.get_by_din(session=session, din=din, for_update=True)
        assert lot.id is not None and spec.id is not None
        signature = signatures.sign(session=session, signer=qa.principal, username=qa.username, password=qa.password,
                                    meaning=SignatureMeaning.RELEASED, entity_type="lot", entity_id=din,
                                    content={"lot": din, "decision": "released", "specification": spec.id})
        assert signature.id is not None
        session.add(ReleaseDecision(lot_id=lot.id, decision=ReleaseDecisionKind.RELEASED,
                                    specification_id=spec.id, signature_id=signature.id, decided_by=user_id(qa),
                                    decided_at=signature.signed_at))
        lot.specification_id, lot.state = spec.id, "released"
        session.add(lot)
        return signature.id


def hand_over(database: Database, container_id: int, giver: UserHandle, receiver: UserHandle, location: str,
              temperature_c: float) -> None:
    """A custody hand-over of the bag, confirmed by scanning its label."""
    scan = bag_scan(database, container_id)
    with database.transaction() as session:
        custody_service.record(session=session, actor=receiver.principal, data=custody_schemas.CustodyEventCreate(
            scan=scan, handed_over_by=giver.username, received_by=receiver.username, location=location,
            temperature_c=temperature_c))


def refused_check(database: Database, din: str, container_id: int, nurse: UserHandle, qa: UserHandle) -> str:
    """A bedside check made by one clinician: refused, with a deviation QA then closed; returns its number."""
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=din, for_update=True)
        state = lot.state
        deviation = deviation_service.open_deviation(session=session, actor=nurse.principal, lot=lot,
                                                     description=DEVIATION_TEXT, impact="No product was infused")
        session.add(BedsideCheck(
            therapy_id=lot.therapy_id, lot_id=lot.id, container_id=container_id, wristband_scan=WRISTBAND_SCAN,
            bag_scan="(scanned)", first_clinician_id=user_id(nurse), ok=False, reasons=json.dumps([SECOND_MISSING]),
            deviation_id=deviation.id))
        session.flush()
        deviation_service.close_deviation(session=session, actor=qa.principal, number=deviation.number,
                                          closure=DEVIATION_CLOSURE, username=qa.username, password=qa.password)
        # QA lifts the hold (the lot goes back to where it was).
        lot.state, lot.state_before_hold = state, None
        session.add(lot)
        return deviation.number


def infuse(database: Database, din: str, container_id: int, nurse: UserHandle, doctor: UserHandle) -> tuple[int, int]:
    """A passed bedside check by two clinicians and the infusion they both sign; returns the signature ids."""
    with database.transaction() as session:
        lot = session.execute(select(Lot).where(col(Lot.din) == din)).scalar_one()
        assert lot.id is not None
        check = BedsideCheck(
            therapy_id=lot.therapy_id, lot_id=lot.id, container_id=container_id, wristband_scan=WRISTBAND_SCAN,
            bag_scan="(scanned)", first_clinician_id=user_id(nurse), second_clinician_id=user_id(doctor), ok=True,
            reasons="[]", dose_cells=6.2e7, dose_target_cells=6.25e7)
        session.add(check)
        session.flush()
        started = utcnow()
        content = {"container": container_id, "lot": din, "volume_ml": 50.0}
        first = signatures.sign(session=session, signer=nurse.principal,
                                username=nurse.username, password=nurse.password,
                                meaning=SignatureMeaning.PERFORMED, entity_type="infusion", entity_id=container_id,
                                content=content)
        second = signatures.sign(session=session, signer=doctor.principal,
                                 username=doctor.username, password=doctor.password,
                                 meaning=SignatureMeaning.REVIEWED, entity_type="infusion", entity_id=container_id,
                                 content=content)
        assert check.id is not None and first.id is not None and second.id is not None
        session.add(Infusion(
            container_id=container_id, therapy_id=lot.therapy_id, lot_id=lot.id, check_id=check.id,
            started_at=started, ended_at=second.signed_at, volume_ml=50.0,
            vital_signs=json.dumps({"before": VITALS, "after": {**VITALS, "heart_rate_bpm": 76}}),
            first_signature_id=first.id, second_signature_id=second.id, recorded_by=user_id(nurse)))
        container = session.get(Container, container_id)
        assert container is not None
        container.status = ContainerStatus.INFUSED
        session.add(container)
        return first.id, second.id


def infused_therapy(database: Database, settings: Settings, *, subject: str = "S-001") -> InfusedTherapy:
    """Process a lot to two final product bags, release it, hand the first bag to the clinic and infuse it."""
    bench = open_bench(database, settings, subject=subject)
    run_to_formulation(database, settings, bench)
    qa = make_user(database, Role.QA)
    courier = make_user(database, Role.COURIER)
    nurse = make_user(database, Role.NURSE)
    investigator = make_user(database, Role.INVESTIGATOR)
    infused, spare = product_bags(database, bench.lot.din)
    assert infused.id is not None and spare.id is not None
    reprint_label(database, settings, bench, infused.id)
    release_signature = release(database, bench.lot.din, qa)
    (first_place, first_temperature), (second_place, second_temperature) = HANDOVERS
    hand_over(database, infused.id, bench.operator, courier, first_place, first_temperature)
    hand_over(database, infused.id, courier, nurse, second_place, second_temperature)
    number = refused_check(database, bench.lot.din, infused.id, nurse, qa)
    infusion_signatures = infuse(database, bench.lot.din, infused.id, nurse, investigator)
    return InfusedTherapy(coi=bench.lot.coi, din=bench.lot.din, bench=bench, qa=qa, courier=courier, nurse=nurse,
                          investigator=investigator, infused_id=infused.id, spare_id=spare.id,
                          release_signature_id=release_signature, infusion_signature_ids=infusion_signatures,
                          deviation_number=number)

