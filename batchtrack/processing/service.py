"""Step execution at a workstation: one lot open per workstation, steps started, completed and verified.

What is recorded inside a step (scans, values, corrections, new vessels) is in `recording.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.errors import AuditedRefusal, Conflict, GateRefused, NotFound, Reason
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import _
from batchtrack.lots import service as lot_service
from batchtrack.lots import state_names
from batchtrack.lots import workflow as lot_workflow
from batchtrack.models.base import utcnow
from batchtrack.models.container import Container, ContainerStatus
from batchtrack.models.label import Label, LabelStatus
from batchtrack.models.lot import Lot
from batchtrack.models.processing import ProcessStep, StepState, StepValue, StepVessel, VesselRole, Workstation
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.processing import definition, gates, step_rows, workstations
from batchtrack.processing.definition import Plan, PlannedStep
from batchtrack.qualifications import requirements as qualification_requirements
from batchtrack.qualifications import service as qualification_service
from batchtrack.scanning import parser
from batchtrack.scanning import service as scan_service
from batchtrack.scanning.expectations import ResolvedCollection, ResolvedContainer


def plan_of(lot: Lot) -> Plan:
    """The steps of the process the lot is made by (one process per installation for now)."""
    del lot
    return definition.plan(definition.load())


def planned(plan: Plan, step_code: str) -> PlannedStep:
    """The planned step called `step_code`; NotFound naming the known steps otherwise."""
    step = plan.step(step_code)
    if step is None:
        known = ", ".join(s.code for s in plan.steps)
        raise NotFound(_("the process has no step {step}; its steps: {known}", step=repr(step_code[:32]), known=known),
                       code="step.unknown")
    return step


def _workstation(session: Session, station: str, *, for_update: bool = False) -> Workstation | None:
    query = select(Workstation).where(col(Workstation.name) == station)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def open_lot_of(*, session: Session, station: str) -> Lot | None:
    """The lot open at `station`, if any."""
    ws = _workstation(session, station)
    if ws is None or ws.lot_id is None:
        return None
    return session.get(Lot, ws.lot_id)


def require_open_lot(*, session: Session, station: str) -> Lot:
    """The lot open at `station`; a refusal telling the operator to open one otherwise."""
    lot = open_lot_of(session=session, station=station)
    if lot is None:
        raise Conflict(_("no lot is open at workstation {station}: scan a label of the lot to open it first",
                         station=station),
                       code="station.no_lot")
    return lot


def _lot_named_by(session: Session, scan: str) -> Lot:
    parsed = parser.parse_scan(scan)
    if isinstance(parsed, parser.ScanRefusal):
        raise GateRefused(_("the scan could not be read"), code="scan.unreadable", reasons=list(parsed.reasons))
    found = scan_service.resolve(session=session, identity=parser.identity_of(parsed)).resolved
    lot_din = found.lot_din if isinstance(found, ResolvedContainer | ResolvedCollection) else None
    if lot_din is None:
        raise NotFound(_("the scan names no lot: scan a label of a container or collection of the lot"),
                       code="station.no_lot_scanned")
    return lot_service.get_by_din(session=session, din=lot_din, for_update=True)


def open_at_workstation(*, session: Session, actor: Principal, station: str, scan: str) -> Lot:
    """Open the lot a scanned label names at `station`; refused while another lot is open there."""
    lot = _lot_named_by(session, scan)
    ws = _workstation(session, station, for_update=True)
    current = session.get(Lot, ws.lot_id) if ws is not None and ws.lot_id is not None else None
    reasons = gates.workstation_refusals(station_lot=current.din if current else None, lot_din=lot.din)
    # A lot is opened only at a cabinet of the equipment register that is in service; a lot already open at a
    # workstation (opened before the cabinet was retired) can still be worked on and closed there.
    if current is None and (not_a_workstation := workstations.opening_refusal(session=session, name=station)):
        reasons.append(Reason("station.not_a_workstation", not_a_workstation))
    if lot_workflow.LotState(lot.state) in lot_workflow.FINAL_STATES:
        reasons.append(Reason("lot.final", _("lot {din} is {state}: nothing more is processed", din=lot.din,
                                                  state=state_names.lot_state(lot.state))))
    if reasons:
        raise GateRefused(_("lot {din} cannot be opened at workstation {station}", din=lot.din, station=station),
                          reasons=reasons,
                          audit=AuditedRefusal(actor, "workstation.open_refused", "lot", lot.din,
                                               {"station": station}))
    if current is not None:
        return lot  # already open here
    if ws is None:
        ws = Workstation(name=station)
    ws.lot_id, ws.opened_by, ws.opened_at = lot.id, actor.user_id, utcnow()
    session.add(ws)
    audit_service.record(session=session, actor=actor, action="workstation.opened", entity_type="lot",
                         entity_id=lot.din, new={"station": station})
    session.flush()
    return lot


def close_workstation(*, session: Session, actor: Principal, station: str) -> None:
    """Close the lot open at `station`; refused while one of its steps is in progress."""
    ws = _workstation(session, station, for_update=True)
    if ws is None or ws.lot_id is None:
        raise Conflict(_("no lot is open at workstation {station}", station=station), code="station.no_lot")
    lot = session.get(Lot, ws.lot_id)
    assert lot is not None
    running = session.execute(select(col(ProcessStep.title)).where(
        col(ProcessStep.lot_id) == lot.id, col(ProcessStep.state) == StepState.IN_PROGRESS,
        col(ProcessStep.station) == station)).scalars().first()
    if running is not None:
        raise Conflict(_("{step} is in progress at this workstation; complete it before closing the lot", step=running),
                       code="station.step_in_progress")
    ws.lot_id, ws.opened_by, ws.opened_at = None, None, None
    session.add(ws)
    audit_service.record(session=session, actor=actor, action="workstation.closed", entity_type="lot",
                         entity_id=lot.din, new={"station": station})
    session.flush()


def steps_of(*, session: Session, lot: Lot) -> dict[str, ProcessStep]:
    """The executed steps of a lot by step code."""
    rows = session.execute(select(ProcessStep).where(col(ProcessStep.lot_id) == lot.id)).scalars()
    return {row.step_code: row for row in rows}


def get_step(*, session: Session, lot: Lot, step_code: str, for_update: bool = False) -> ProcessStep:
    """The executed step `step_code` of the lot; NotFound when it was not started."""
    query = select(ProcessStep).where(col(ProcessStep.lot_id) == lot.id, col(ProcessStep.step_code) == step_code)
    if for_update:
        query = query.with_for_update()
    step = session.execute(query).scalar_one_or_none()
    if step is None:
        raise NotFound(_("step {step} of lot {din} was not started", step=step_code[:32], din=lot.din),
                       code="step.not_started")
    return step


def start_step(*, session: Session, actor: Principal, station: str, step_code: str) -> ProcessStep:
    """Start a step of the lot open at `station`, if the process order, the lot's state and the role allow."""
    lot = require_open_lot(session=session, station=station)
    lot = lot_service.get_by_din(session=session, din=lot.din, for_update=True)
    plan = plan_of(lot)
    step = planned(plan, step_code)
    qualification_service.require(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                  activity=qualification_requirements.process_step(plan.process_code, step.type.code,
                                                                                   "perform"))
    states = {code: row.state for code, row in steps_of(session=session, lot=lot).items()}
    reasons = gates.start_refusals(plan=plan, step=step, states=states, lot_state=lot.state,
                                   actor_roles=frozenset(r.value for r in actor.roles))
    if reasons:
        raise GateRefused(_("{step} cannot start for lot {din}", step=data_words(step.title), din=lot.din),
                          reasons=reasons,
                          audit=AuditedRefusal(actor, "step.start_refused", "lot", lot.din,
                                               {"step": step.code, "station": station}))
    assert lot.id is not None and actor.user_id is not None
    row = ProcessStep(lot_id=lot.id, process_code=plan.process_code, process_version=plan.process_version,
                      step_code=step.code, step_type=step.type.code, ordinal=step.ordinal, title=step.title,
                      station=station, started_by=actor.user_id)
    session.add(row)
    session.flush()
    audit_service.record(session=session, actor=actor, action="step.started", entity_type="lot", entity_id=lot.din,
                         new={"step": step.code, "station": station, "process": plan.process_code,
                              "process_version": plan.process_version})
    return row


def current_values(*, session: Session, step_ids: list[int]) -> dict[tuple[int, str], StepValue]:
    """The value in force for each (step, name): the one no later correction replaced."""
    return {(step_id, name): value for step_id, rows in step_rows.values_of(session=session, step_ids=step_ids).items()
            for name, value in step_rows.in_force(rows).items()}


@dataclass(frozen=True, slots=True)
class StepContents:
    """What was recorded at a step: the facts its completion rule and its signatures cover."""

    values: dict[str, float]
    vessels_in: list[str]
    vessels_out: list[tuple[int, str]]  # (container id, name)
    unverified_out: list[str]
    materials: list[tuple[str, str]]  # (code, kind)
    equipment: list[tuple[str, str]]  # (code, kind)
    performers: frozenset[int]


def vessel_name(*, kind: str, din: str, division: str, sample_flag: str) -> str:
    """How a vessel is named in the record and in what a signature covers ('culture vessel W0000... 01')."""
    where = division if division != "00" else sample_flag
    return f"{kind.replace('_', ' ')} {din} {where}"


def _container_name(container: Container) -> str:
    return vessel_name(kind=container.kind, din=container.din, division=container.division,
                       sample_flag=container.sample_flag)


def contents_of(*, session: Session, step: ProcessStep, as_of: datetime | None = None) -> StepContents:
    """Everything recorded at a step (as it stood at `as_of`; None: as it is now), and every person who recorded
    any of it."""
    assert step.id is not None
    rows = step_rows.rows_of(session=session, step_ids=[step.id])[step.id].as_of(as_of)
    vessels, materials, instruments = rows.vessels, rows.materials, rows.instruments
    out_ids = [c.id for v, c in vessels if v.role == VesselRole.OUT and c.id is not None]
    verified = set(session.execute(select(col(Label.container_id)).where(
        col(Label.container_id).in_(out_ids), col(Label.status) == LabelStatus.APPLIED,
        col(Label.verified_at).is_not(None))).scalars()) if out_ids else set()
    people = {step.started_by, *(v.recorded_by for v in rows.values), *(v.recorded_by for v, _ in vessels)}
    people |= {u.used_by for u, _ in materials} | {u.used_by for u, _ in instruments}
    if step.completed_by is not None:
        people.add(step.completed_by)
    return StepContents(
        values={name: row.value for name, row in rows.values_in_force().items()},
        vessels_in=[_container_name(c) for v, c in vessels if v.role == VesselRole.IN],
        vessels_out=[(c.id or 0, _container_name(c)) for v, c in vessels if v.role == VesselRole.OUT],
        unverified_out=[_container_name(c) for v, c in vessels if v.role == VesselRole.OUT and c.id not in verified],
        materials=[(m.code, m.kind) for _, m in materials],
        equipment=[(e.code, e.kind) for _, e in instruments],
        performers=frozenset(people),
    )


def step_content(*, lot_din: str, step_code: str, process_code: str, process_version: int,
                 values: Mapping[str, float], vessels_in: Sequence[str], vessels_out: Sequence[str],
                 materials: Sequence[str], equipment: Sequence[str]) -> dict[str, Any]:
    """The canonical content a step's signatures cover (pure): a later correction shows them as no longer intact.

    The batch record rebuilds it from the rows it reads to tell whether each signature is still intact.
    """
    return {
        "lot": lot_din, "step": step_code, "process": process_code, "process_version": process_version,
        "values": dict(sorted(values.items())), "vessels_in": list(vessels_in), "vessels_out": list(vessels_out),
        "materials": list(materials), "equipment": list(equipment),
    }


def signed_content(*, lot: Lot, step: ProcessStep, contents: StepContents) -> dict[str, Any]:
    """What the performer's and verifier's signatures of `step` cover."""
    return step_content(
        lot_din=lot.din, step_code=step.step_code, process_code=step.process_code,
        process_version=step.process_version, values=contents.values, vessels_in=contents.vessels_in,
        vessels_out=[name for _, name in contents.vessels_out], materials=[code for code, _ in contents.materials],
        equipment=[code for code, _ in contents.equipment],
    )


def signed_contents_of(*, session: Session, signatures: Sequence[Signature]) -> dict[int, dict[str, Any] | None]:
    """What each step signature covers, rebuilt from its step as it stood when that signature was made (None where
    the step is not found), in six queries whatever their number."""
    ids = sorted({int(s.entity_id) for s in signatures if s.entity_id.isdecimal()})
    steps = {row.id: row for row in session.execute(select(ProcessStep).where(col(ProcessStep.id).in_(ids))
                                                    ).scalars()} if ids else {}
    lot_ids = {row.lot_id for row in steps.values()}
    lots = {row.id: row for row in session.execute(select(Lot).where(col(Lot.id).in_(lot_ids))).scalars()
            } if lot_ids else {}
    recorded = step_rows.rows_of(session=session, step_ids=[i for i in steps if i is not None])
    contents: dict[int, dict[str, Any] | None] = {}
    for signature in signatures:
        step = steps.get(int(signature.entity_id)) if signature.entity_id.isdecimal() else None
        lot = lots.get(step.lot_id) if step is not None else None
        if step is None or lot is None:
            contents[signature.id or 0] = None
            continue
        # A value corrected after signing is appended, never written over: the signature covers what stood then.
        rows = recorded[step.id or 0].as_of(signature.signed_at)
        contents[signature.id or 0] = step_content(
            lot_din=lot.din, step_code=step.step_code, process_code=step.process_code,
            process_version=step.process_version,
            values={name: row.value for name, row in rows.values_in_force().items()},
            vessels_in=[_container_name(c) for v, c in rows.vessels if v.role == VesselRole.IN],
            vessels_out=[_container_name(c) for v, c in rows.vessels if v.role == VesselRole.OUT],
            materials=[m.code for _, m in rows.materials], equipment=[e.code for _, e in rows.instruments])
    return contents


def record_of(contents: StepContents) -> gates.StepRecord:
    """The facts the completion rule needs."""
    return gates.StepRecord(
        values=frozenset(contents.values), vessels_in=len(contents.vessels_in),
        vessels_out=len(contents.vessels_out), vessels_out_unverified=tuple(contents.unverified_out),
        material_kinds=frozenset(kind for _, kind in contents.materials),
        equipment_kinds=frozenset(kind for _, kind in contents.equipment),
    )


def _consume_vessels_in(session: Session, actor: Principal, step: ProcessStep) -> None:
    # The cells left the vessels the step took in: those vessels are used up and cannot be scanned again.
    rows = session.execute(select(Container).join(StepVessel, col(StepVessel.container_id) == col(Container.id))
                           .where(col(StepVessel.step_id) == step.id, col(StepVessel.role) == VesselRole.IN,
                                  col(Container.status) == ContainerStatus.IN_USE)).scalars()
    for container in rows:
        container.status = ContainerStatus.CONSUMED.value
        session.add(container)
        audit_service.record(session=session, actor=actor, action="container.consumed", entity_type="container",
                             entity_id=container.id or 0, old={"status": ContainerStatus.IN_USE.value},
                             new={"status": container.status, "step": step.step_code})


def complete_step(*, session: Session, actor: Principal, station: str, step_code: str, username: str,
                  password: str) -> ProcessStep:
    """Complete the step with the performer's signature, once everything it needs is recorded."""
    lot = require_open_lot(session=session, station=station)
    lot = lot_service.get_by_din(session=session, din=lot.din, for_update=True)
    step = planned(plan_of(lot), step_code)
    row = get_step(session=session, lot=lot, step_code=step_code, for_update=True)
    qualification_service.require(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                  activity=qualification_requirements.process_step(row.process_code, step.type.code,
                                                                                   "perform"))
    contents = contents_of(session=session, step=row)
    reasons = gates.complete_refusals(step=step, state=row.state, record=record_of(contents),
                                      actor_roles=frozenset(r.value for r in actor.roles), lot_state=lot.state)
    if reasons:
        raise GateRefused(_("{step} cannot be completed yet", step=data_words(step.title)), reasons=reasons,
                          audit=AuditedRefusal(actor, "step.complete_refused", "lot", lot.din, {"step": step.code}))
    signature = signatures.sign(session=session, signer=actor, username=username, password=password,
                                meaning=SignatureMeaning.PERFORMED, entity_type="process_step",
                                entity_id=row.id or 0, content=signed_content(lot=lot, step=row, contents=contents))
    row.state, row.completed_by, row.completed_at = StepState.COMPLETED.value, actor.user_id, signature.signed_at
    row.performed_signature_id = signature.id
    session.add(row)
    _consume_vessels_in(session, actor, row)
    audit_service.record(session=session, actor=actor, action="step.completed", entity_type="lot", entity_id=lot.din,
                         old={"step": step.code, "state": StepState.IN_PROGRESS.value},
                         new={"step": step.code, "state": row.state, "signature_id": signature.id})
    session.flush()
    if step.type.moves_lot is not None:
        lot_service.transition(session=session, actor=actor, din=lot.din, name=step.type.moves_lot,
                               reason=f"{step.title} completed")
    return row


def verify_step(*, session: Session, actor: Principal, din: str, step_code: str, username: str,
                password: str) -> ProcessStep:
    """Second-person verification of a completed step, by someone who performed no part of it."""
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    step = planned(plan_of(lot), step_code)
    row = get_step(session=session, lot=lot, step_code=step_code, for_update=True)
    qualification_service.require(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                  activity=qualification_requirements.process_step(row.process_code, step.type.code,
                                                                                   "verify"))
    contents = contents_of(session=session, step=row)
    reasons = gates.verify_refusals(step=step, state=row.state, performers=contents.performers,
                                    verifier_id=actor.user_id, verifier_roles=frozenset(r.value for r in actor.roles))
    if reasons:
        raise GateRefused(_("{step} cannot be verified by {user}", step=data_words(step.title), user=actor.username),
                          reasons=reasons,
                          audit=AuditedRefusal(actor, "step.verify_refused", "lot", lot.din, {"step": step.code}))
    signature = signatures.sign(session=session, signer=actor, username=username, password=password,
                                meaning=SignatureMeaning.REVIEWED, entity_type="process_step",
                                entity_id=row.id or 0, content=signed_content(lot=lot, step=row, contents=contents))
    row.state, row.verified_by, row.verified_at = StepState.VERIFIED.value, actor.user_id, signature.signed_at
    row.verified_signature_id = signature.id
    session.add(row)
    audit_service.record(session=session, actor=actor, action="step.verified", entity_type="lot", entity_id=lot.din,
                         old={"step": step.code, "state": StepState.COMPLETED.value},
                         new={"step": step.code, "state": row.state, "signature_id": signature.id})
    session.flush()
    return row
