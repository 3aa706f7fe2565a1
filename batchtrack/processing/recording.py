"""What is recorded inside a step: scans of vessels, materials and instruments; values; corrections; new vessels.

Every scan at a step goes through the one scan pipeline; a vessel of another lot, an unreleased or expired
material and an instrument overdue for calibration are refused with their reasons and audited.
"""

from __future__ import annotations

from datetime import UTC, timedelta, tzinfo

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.deviations import service as deviation_service
from batchtrack.equipment import gates as equipment_gates
from batchtrack.errors import AuditedRefusal, BadRequest, Conflict, GateRefused, IdentityMismatch, NotFound, Reason
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import _
from batchtrack.labels import service as label_service
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.materials import gates as material_gates
from batchtrack.models.base import utcnow
from batchtrack.models.container import Container
from batchtrack.models.deviation import DeviationOrigin
from batchtrack.models.equipment import Equipment, EquipmentUse
from batchtrack.models.label import Label, LabelStatus
from batchtrack.models.lot import Lot
from batchtrack.models.material import MaterialLot, MaterialUse
from batchtrack.models.processing import ProcessStep, StepValue, StepVessel, VesselRole
from batchtrack.processing import gates, schemas
from batchtrack.processing import service as step_service
from batchtrack.processing.definition import PlannedStep
from batchtrack.scanning import cleaning, verdict
from batchtrack.scanning import service as scan_service
from batchtrack.scanning.expectations import ResolvedContainer, StationExpectation, compare, describe


def _open_step(session: Session, actor: Principal, station: str, step_code: str) -> tuple[Lot, PlannedStep,
                                                                                          ProcessStep]:
    lot = step_service.require_open_lot(session=session, station=station)
    lot = lot_service.get_by_din(session=session, din=lot.din, for_update=True)
    step = step_service.planned(step_service.plan_of(lot), step_code)
    row = step_service.get_step(session=session, lot=lot, step_code=step_code, for_update=True)
    reasons = gates.step_open_refusals(step=step, state=row.state, lot_state=lot.state)
    if reasons:
        raise GateRefused(_("nothing can be recorded at {step} now", step=data_words(step.title)), reasons=reasons,
                          audit=AuditedRefusal(actor, "step.record_refused", "lot", lot.din, {"step": step.code}))
    return lot, step, row


def _refusal(actor: Principal, lot: Lot, step: PlannedStep, station: str, raw: str) -> AuditedRefusal:
    return AuditedRefusal(actor, "step.scan_refused", "lot", lot.din,
                          {"step": step.code, "station": station, "raw_escaped": verdict.escape_raw(raw),
                           "raw_length": len(raw)})


def scan(*, session: Session, actor: Principal, station: str, step_code: str, raw: str,
         zone: tzinfo = UTC) -> schemas.ScanOutcome:
    """One scan at the open step: a vessel to work on, the label of a new vessel, a material or an instrument (a
    refusal names times in `zone`, the site's)."""
    lot, step, row = _open_step(session, actor, station, step_code)
    cleaned = cleaning.clean(raw)
    code = cleaned.upper() if isinstance(cleaned, str) else ""
    # Material lots and instruments carry in-house codes; anything else goes through the ISBT 128 pipeline.
    material = session.execute(select(MaterialLot).where(col(MaterialLot.code) == code)).scalar_one_or_none()
    if material is not None:
        return _material_scan(session, actor, station, lot, step, row, raw, material)
    instrument = session.execute(select(Equipment).where(col(Equipment.code) == code)).scalar_one_or_none()
    if instrument is not None:
        return _equipment_scan(session, actor, station, lot, step, row, raw, instrument)
    return _vessel_scan(session, actor, station, lot, step, row, raw, zone)


def _vessel_scan(session: Session, actor: Principal, station: str, lot: Lot, step: PlannedStep,
                 row: ProcessStep, raw: str, zone: tzinfo) -> schemas.ScanOutcome:
    container, unreadable = scan_service.scanned_container(session=session, raw=raw)
    if unreadable:
        raise GateRefused(_("the scan is not a vessel label, nor a material lot or instrument known here"),
                          code="scan.unreadable", reasons=unreadable,
                          audit=_refusal(actor, lot, step, station, raw))
    if container is None:
        raise NotFound(_("the scan names no recorded container, material lot or instrument"), code="scan.not_found",
                       audit=_refusal(actor, lot, step, station, raw))
    new_vessel = session.execute(select(StepVessel).where(
        col(StepVessel.step_id) == row.id, col(StepVessel.container_id) == container.container_id,
        col(StepVessel.role) == VesselRole.OUT)).scalar_one_or_none()
    if new_vessel is not None:
        return _apply_new_label(session, actor, step, container, raw, zone)
    expectation = StationExpectation(lot_din=lot.din, container_kinds=frozenset(step.type.vessels_in) or None,
                                     step=step.title)
    reasons = compare(expectation, container)
    if not step.type.vessels_in:
        reasons.append(Reason("step.no_vessels_in", _("{step} takes no vessel in; {container} was scanned",
                                                      step=data_words(step.title), container=describe(container))))
    if reasons:
        raise IdentityMismatch(_("{container} is not a vessel of this step of lot {din}",
                                 container=describe(container), din=lot.din),
                               reasons=reasons, audit=_refusal(actor, lot, step, station, raw))
    already = session.execute(select(StepVessel.id).where(
        col(StepVessel.step_id) == row.id, col(StepVessel.container_id) == container.container_id)).first()
    if already is None:
        assert row.id is not None and actor.user_id is not None
        session.add(StepVessel(step_id=row.id, container_id=container.container_id, role=VesselRole.IN.value,
                               recorded_by=actor.user_id))
        audit_service.record(session=session, actor=actor, action="step.vessel_scanned", entity_type="lot",
                             entity_id=lot.din, new={"step": step.code, "container_id": container.container_id,
                                                     "station": station, "scanned": verdict.escape_raw(raw)})
        session.flush()
    return schemas.ScanOutcome.of(ok=True, kind="vessel", step=step.code,
                               message=_("{container} belongs to lot {din}: proceed", container=describe(container),
                                         din=lot.din))


def _apply_new_label(session: Session, actor: Principal, step: PlannedStep, container: ResolvedContainer,
                     raw: str, zone: tzinfo) -> schemas.ScanOutcome:
    labels = session.execute(select(Label).where(
        col(Label.container_id) == container.container_id,
        col(Label.status).in_([LabelStatus.PRINTED, LabelStatus.APPLIED])).order_by(col(Label.id))).scalars().all()
    if any(label.status == LabelStatus.APPLIED and label.verified_at is not None for label in labels):
        return schemas.ScanOutcome.of(ok=True, kind="new_vessel", step=step.code,
                                   message=_("{container}: its label is already applied and verified",
                                             container=describe(container)))
    printed = [label for label in labels if label.status == LabelStatus.PRINTED]
    if not printed:
        raise Conflict(_("{container} has no printed label to apply: print its label first",
                         container=describe(container)),
                       code="label.none_printed")
    assert printed[-1].id is not None
    label_service.apply_label(session=session, actor=actor, label_id=printed[-1].id, scan=raw, zone=zone)
    return schemas.ScanOutcome.of(ok=True, kind="new_vessel", step=step.code,
                               message=_("label applied on {container} and verified by its scan",
                                         container=describe(container)))


def _material_scan(session: Session, actor: Principal, station: str, lot: Lot, step: PlannedStep,
                   row: ProcessStep, raw: str, material: MaterialLot) -> schemas.ScanOutcome:
    facts = material_gates.MaterialFacts(code=material.code, kind=material.kind, status=material.status,
                                         expires_at=material.expires_at)
    reasons = material_gates.use_refusals(facts, kinds_needed=step.type.materials, now=utcnow())
    if reasons:
        raise GateRefused(_("material {code} cannot be used at {step}", code=material.code,
                            step=data_words(step.title)),
                          reasons=reasons,
                          audit=_refusal(actor, lot, step, station, raw))
    assert row.id is not None and lot.id is not None and material.id is not None and actor.user_id is not None
    session.add(MaterialUse(step_id=row.id, lot_id=lot.id, material_lot_id=material.id, used_by=actor.user_id))
    audit_service.record(session=session, actor=actor, action="step.material_used", entity_type="lot",
                         entity_id=lot.din, new={"step": step.code, "material": material.code,
                                                 "kind": material.kind, "supplier_lot": material.supplier_lot})
    session.flush()
    return schemas.ScanOutcome.of(ok=True, kind="material", step=step.code,
                               message=_("{kind} {code} recorded", kind=material.kind.replace("_", " "),
                                         code=material.code))


def _equipment_scan(session: Session, actor: Principal, station: str, lot: Lot, step: PlannedStep,
                    row: ProcessStep, raw: str, instrument: Equipment) -> schemas.ScanOutcome:
    facts = equipment_gates.EquipmentFacts(code=instrument.code, kind=instrument.kind, active=instrument.active,
                                           calibration_due=instrument.calibration_due)
    reasons = equipment_gates.use_refusals(facts, kinds_needed=step.type.equipment, now=utcnow())
    if reasons:
        raise GateRefused(_("instrument {code} cannot be used at {step}", code=instrument.code,
                            step=data_words(step.title)),
                          reasons=reasons,
                          audit=_refusal(actor, lot, step, station, raw))
    assert row.id is not None and instrument.id is not None and actor.user_id is not None
    session.add(EquipmentUse(step_id=row.id, equipment_id=instrument.id, used_by=actor.user_id))
    audit_service.record(session=session, actor=actor, action="step.equipment_used", entity_type="lot",
                         entity_id=lot.din, new={"step": step.code, "equipment": instrument.code,
                                                 "kind": instrument.kind})
    session.flush()
    return schemas.ScanOutcome.of(ok=True, kind="equipment", step=step.code,
                               message=_("{kind} {code} recorded", kind=instrument.kind.replace("_", " "),
                                         code=instrument.code))


def _open_deviation_if_out_of_limit(session: Session, actor: Principal, lot: Lot, step: PlannedStep,
                                    row: ProcessStep, name: str, value: float) -> str | None:
    definition = step.value(name)
    assert definition is not None
    breach = gates.limit_breach(definition, value)
    if breach is not None:
        deviation = deviation_service.open_deviation(
            session=session, actor=actor, lot=lot, step_id=row.id, origin=DeviationOrigin.OUT_OF_LIMIT,
            description=f"{step.title}: {breach}",
            impact="Recorded out of the process limits; QA assesses the impact on the lot.",
        )
        return str(deviation.number)
    return None


def record_value(*, session: Session, actor: Principal, station: str, step_code: str,
                 data: schemas.ValueRecord) -> StepValue:
    """Record a value at the open step; out of its limits it is kept and opens a deviation (the lot holds)."""
    lot, step, row = _open_step(session, actor, station, step_code)
    reasons = gates.value_refusals(step.value(data.name), data.name, data.value)
    if reasons:
        raise BadRequest(_("{name} was not recorded", name=data.name), code=reasons[0].code, reasons=reasons)
    assert row.id is not None and actor.user_id is not None
    if (row.id, data.name) in step_service.current_values(session=session, step_ids=[row.id]):
        raise Conflict(_("{name} is already recorded at {step}; a change is a correction with a reason",
                         name=data.name, step=data_words(step.title)),
                       code="value.already_recorded")
    definition = step.value(data.name)
    assert definition is not None
    value = StepValue(step_id=row.id, name=data.name, value=data.value, unit=definition.unit,
                      recorded_by=actor.user_id)
    session.add(value)
    session.flush()
    audit_service.record(session=session, actor=actor, action="step.value_recorded", entity_type="lot",
                         entity_id=lot.din, new={"step": step.code, "name": data.name, "value": data.value,
                                                 "unit": definition.unit})
    _open_deviation_if_out_of_limit(session, actor, lot, step, row, data.name, data.value)
    return value


def correct_value(*, session: Session, actor: Principal, din: str, step_code: str,
                  data: schemas.ValueCorrection) -> StepValue:
    """Correct a recorded value: a new entry that replaces the old one, which stays in the record."""
    if not data.reason.strip():
        raise BadRequest(_("a correction of a recorded value needs a reason"), code="reason_required",
                         reasons=[Reason("reason_required", _("say why the recorded value is wrong"))])
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    step = step_service.planned(step_service.plan_of(lot), step_code)
    row = step_service.get_step(session=session, lot=lot, step_code=step_code, for_update=True)
    if not frozenset(r.value for r in actor.roles) & (set(step.type.perform_roles) | {"qa"}):
        raise GateRefused(_("only the step's performing roles or QA correct its values"),
                          reasons=[Reason("actor.role", _("{step} is performed by: {roles}",
                                                          step=data_words(step.title),
                                                          roles=", ".join(step.type.perform_roles)))])
    reasons = gates.value_refusals(step.value(data.name), data.name, data.value)
    if reasons:
        raise BadRequest(_("{name} was not corrected", name=data.name), code=reasons[0].code, reasons=reasons)
    assert row.id is not None and actor.user_id is not None
    current = step_service.current_values(session=session, step_ids=[row.id]).get((row.id, data.name))
    if current is None:
        raise NotFound(_("{name} was never recorded at {step}: record it rather than correct it", name=data.name,
                         step=data_words(step.title)),
                       code="value.not_recorded")
    corrected = StepValue(step_id=row.id, name=data.name, value=data.value, unit=current.unit,
                          recorded_by=actor.user_id, replaces_id=current.id, reason=data.reason.strip())
    session.add(corrected)
    session.flush()
    audit_service.record_correction(
        session=session, actor=actor, entity_type="lot", entity_id=lot.din,
        old={"step": step.code, "name": data.name, "value": current.value, "value_id": current.id},
        new={"step": step.code, "name": data.name, "value": data.value, "value_id": corrected.id},
        reason=data.reason,
    )
    _open_deviation_if_out_of_limit(session, actor, lot, step, row, data.name, data.value)
    return corrected


def add_vessels(*, session: Session, actor: Principal, station: str, step_code: str,
                data: schemas.VesselsAdd) -> list[Container]:
    """Register the new vessels the step puts cells into; each then needs its label printed, applied, scanned."""
    lot, step, row = _open_step(session, actor, station, step_code)
    if step.type.vessels_out is None:
        raise Conflict(_("{step} puts the cells into no new vessel", step=data_words(step.title)),
                       code="step.no_vessels_out")
    containers = lot_service.add_containers(session=session, actor=actor, din=lot.din,
                                            data=lot_schemas.ContainerCreate(kind=step.type.vessels_out,
                                                                             count=data.count))
    if step.type.sets_expiry_hours is not None and lot.expires_at is None:
        # The final containers' labels carry the expiry: it is fixed when they are made.
        lot.expires_at = utcnow() + timedelta(hours=step.type.sets_expiry_hours)
        session.add(lot)
        audit_service.record(session=session, actor=actor, action="lot.expiry_set", entity_type="lot",
                             entity_id=lot.din, old={"expires_at": None}, new={"expires_at": lot.expires_at},
                             reason=f"{step.title}: shelf life {step.type.sets_expiry_hours:g} h from formulation")
    assert row.id is not None and actor.user_id is not None
    for container in containers:
        assert container.id is not None
        session.add(StepVessel(step_id=row.id, container_id=container.id, role=VesselRole.OUT.value,
                               recorded_by=actor.user_id))
    audit_service.record(session=session, actor=actor, action="step.vessels_added", entity_type="lot",
                         entity_id=lot.din, new={"step": step.code, "containers": [c.id for c in containers]})
    session.flush()
    return containers


def new_vessel_ids(*, session: Session, step: ProcessStep) -> list[int]:
    """The containers a step put cells into, in the order they were added."""
    return list(session.execute(select(col(StepVessel.container_id)).where(
        col(StepVessel.step_id) == step.id, col(StepVessel.role) == VesselRole.OUT)
        .order_by(col(StepVessel.id))).scalars())


def unlabelled_new_vessels(*, session: Session, step: ProcessStep) -> list[int]:
    """New vessels of the step without a live (printed or applied) label: these need printing."""
    ids = new_vessel_ids(session=session, step=step)
    if not ids:
        return []
    labelled = set(session.execute(select(col(Label.container_id)).where(
        col(Label.container_id).in_(ids), col(Label.status).in_([LabelStatus.PRINTED, LabelStatus.APPLIED])))
        .scalars())
    return [i for i in ids if i not in labelled]

