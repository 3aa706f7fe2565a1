"""Builders of batch-record data: executed steps, values and corrections, vessels, materials, equipment,
signatures and deviations, written straight into the tables the way step execution records them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from batchtrack.auth import signatures
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.container import ContainerKind
from batchtrack.models.deviation import Deviation, DeviationOrigin, DeviationState
from batchtrack.models.equipment import Equipment, EquipmentUse
from batchtrack.models.lot import Lot
from batchtrack.models.material import MaterialLot, MaterialStatus, MaterialUse
from batchtrack.models.processing import ProcessStep, StepState, StepValue, StepVessel, VesselRole
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import Role
from batchtrack.processing import definition

from builders import UserHandle, make_user, seed_lot

PROCESS = definition.load()
CORRECTION_REASON = "Transcription error: the counter printout reads 8.0e6"


def user_id(user: UserHandle) -> int:
    """The database id of a test user."""
    assert user.principal.user_id is not None
    return user.principal.user_id


def add_step(session: Session, lot: Lot, code: str, performer: UserHandle, started_at: datetime, *,
             state: StepState = StepState.COMPLETED) -> ProcessStep:
    """An executed step of the lot's plan, started (and completed, unless in progress) by `performer`."""
    planned = definition.plan(PROCESS).step(code)
    assert planned is not None and lot.id is not None
    step = ProcessStep(
        lot_id=lot.id, process_code=PROCESS.code, process_version=PROCESS.version, step_code=code,
        step_type=planned.type.code, ordinal=planned.ordinal, title=planned.title, station="BSC-1",
        state=state, started_by=user_id(performer), started_at=started_at,
    )
    if state != StepState.IN_PROGRESS:
        step.completed_by, step.completed_at = user_id(performer), started_at + timedelta(hours=2)
    session.add(step)
    session.flush()
    return step


def add_value(session: Session, step: ProcessStep, name: str, value: float, by: UserHandle, *,
              replaces: StepValue | None = None, reason: str = "", at: datetime | None = None) -> StepValue:
    """A recorded value; with `replaces`, a correction of that earlier row."""
    planned = definition.plan(PROCESS).step(step.step_code)
    spec = planned.value(name) if planned is not None else None
    assert step.id is not None
    row = StepValue(step_id=step.id, name=name, value=value, unit=spec.unit if spec else "",
                    recorded_by=user_id(by), recorded_at=at or step.started_at + timedelta(minutes=30),
                    replaces_id=replaces.id if replaces is not None else None, reason=reason)
    session.add(row)
    session.flush()
    return row


def sign_step(session: Session, step: ProcessStep, signer: UserHandle, meaning: SignatureMeaning) -> Signature:
    """An electronic signature over the step, made with the signer's password."""
    assert step.id is not None
    return signatures.sign(session=session, signer=signer.principal,
                           username=signer.username, password=signer.password, meaning=meaning,
                           entity_type="process_step", entity_id=step.id,
                           content={"lot_id": step.lot_id, "step": step.step_code, "state": step.state})


@dataclass(frozen=True)
class RecordedLot:
    """A lot with isolation, two passages and harvest recorded, one correction and one closed deviation."""

    din: str
    coi: str
    operator: UserHandle
    verifier: UserHandle
    origin: datetime
    titles: tuple[str, ...]
    signature_ids: tuple[int, ...]


def recorded_lot(database: Database, settings: Settings) -> RecordedLot:
    """Seed a lot and record its expansion.

    Growth counts: P1 seeds 1e6; P2 harvests 6e6, corrected to 8e6 (3.0 doublings), and seeds 1e6; the harvest
    collects 4e6 (2.0 doublings): 5.0 cumulative. Isolation viability 65% is below its 70% limit, and the
    deviation it opened is closed by QA.
    """
    seeded = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    verifier = make_user(database, Role.QA)
    origin = (utcnow() - timedelta(days=30)).replace(microsecond=0)
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=seeded.din)
        assert lot.id is not None
        isolation = add_step(session, lot, "isolation", operator, origin)
        for name, value in (("nucleated_cells", 5e7), ("viability", 65.0), ("cells_seeded", 2e7),
                            ("seeding_density", 2e4)):
            add_value(session, isolation, name, value, operator)
        passage_1 = add_step(session, lot, "passage_1", operator, origin + timedelta(days=7))
        for name, value in (("confluence", 80.0), ("cells_harvested", 1.2e7), ("viability", 92.0),
                            ("cells_seeded", 1e6), ("seeding_density", 4000.0)):
            add_value(session, passage_1, name, value, operator)
        passage_2 = add_step(session, lot, "passage_2", operator, origin + timedelta(days=14))
        first = add_value(session, passage_2, "cells_harvested", 6e6, operator)
        add_value(session, passage_2, "cells_harvested", 8e6, verifier, replaces=first, reason=CORRECTION_REASON,
                  at=passage_2.started_at + timedelta(hours=5))
        for name, value in (("confluence", 85.0), ("viability", 94.5), ("cells_seeded", 1e6),
                            ("seeding_density", 4000.0)):
            add_value(session, passage_2, name, value, operator)
        harvest = add_step(session, lot, "harvest", operator, origin + timedelta(days=21),
                           state=StepState.IN_PROGRESS)
        for name, value in (("confluence", 90.0), ("cells_harvested", 4e6), ("viability", 91.0)):
            add_value(session, harvest, name, value, operator)

        performed = sign_step(session, isolation, operator, SignatureMeaning.PERFORMED)
        reviewed = sign_step(session, isolation, verifier, SignatureMeaning.REVIEWED)
        isolation.performed_signature_id, isolation.verified_signature_id = performed.id, reviewed.id
        isolation.verified_by, isolation.verified_at = user_id(verifier), origin + timedelta(hours=4)
        isolation.state = StepState.VERIFIED
        passage_1.performed_signature_id = sign_step(session, passage_1, operator, SignatureMeaning.PERFORMED).id
        session.add_all([isolation, passage_1])

        bag = next(c for c in lot_service.containers_of(session=session, lot=lot)
                   if c.kind == ContainerKind.ASPIRATE_BAG)
        flask = lot_service.add_containers(session=session, actor=operator.principal, din=lot.din,
                                           data=lot_schemas.ContainerCreate(kind="culture_vessel"))[0]
        assert bag.id is not None and flask.id is not None and isolation.id is not None
        session.add_all([
            StepVessel(step_id=isolation.id, container_id=bag.id, role=VesselRole.IN, recorded_by=user_id(operator)),
            StepVessel(step_id=isolation.id, container_id=flask.id, role=VesselRole.OUT,
                       recorded_by=user_id(operator)),
        ])
        medium = MaterialLot(code=f"MAT-{secrets.token_hex(3).upper()}", kind="medium", description="alpha-MEM",
                             supplier="Example Media Co", supplier_lot="SL-4471",
                             expires_at=origin + timedelta(days=200), status=MaterialStatus.RELEASED,
                             received_by=user_id(operator))
        cabinet = Equipment(code=f"EQ-{secrets.token_hex(3).upper()}", kind="biosafety_cabinet",
                            description="Class II cabinet", calibration_due=origin + timedelta(days=300),
                            registered_by=user_id(verifier))
        session.add_all([medium, cabinet])
        session.flush()
        assert medium.id is not None and cabinet.id is not None
        session.add_all([
            MaterialUse(step_id=isolation.id, lot_id=lot.id, material_lot_id=medium.id, quantity=500.0, unit="mL",
                        used_by=user_id(operator), used_at=origin + timedelta(minutes=10)),
            EquipmentUse(step_id=isolation.id, equipment_id=cabinet.id, used_by=user_id(operator),
                         used_at=origin + timedelta(minutes=5)),
        ])
        closing = signatures.sign(session=session, signer=verifier.principal,
                                  username=verifier.username, password=verifier.password,
                                  meaning=SignatureMeaning.APPROVED, entity_type="deviation", entity_id="DEV",
                                  content={"closure": "accepted"})
        session.add(Deviation(
            number=f"DEV-{secrets.token_hex(3).upper()}", lot_id=lot.id, step_id=isolation.id,
            origin=DeviationOrigin.OUT_OF_LIMIT, state=DeviationState.CLOSED,
            description="Viability 65 % below the 70 % limit at isolation", impact="None on the expanded culture",
            opened_by=user_id(operator), opened_at=origin + timedelta(hours=1),
            closure="Accepted: later passages above 90 %", closed_by=user_id(verifier),
            closed_at=origin + timedelta(days=2), closed_signature_id=closing.id,
        ))
        session.flush()
        titles = (isolation.title, passage_1.title, passage_2.title, harvest.title)
        signed = tuple(s.id for s in (performed, reviewed, closing) if s.id is not None)
        signature_ids = (*signed, passage_1.performed_signature_id or 0)
    return RecordedLot(din=seeded.din, coi=seeded.coi, operator=operator, verifier=verifier, origin=origin,
                       titles=titles, signature_ids=signature_ids)
