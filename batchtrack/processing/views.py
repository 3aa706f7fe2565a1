"""What a workstation shows: the lot open there, its plan, and each step's state and recorded facts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from batchtrack.i18n.text import Text, _
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.lot import Lot
from batchtrack.models.processing import ProcessStep
from batchtrack.processing import gates, schemas
from batchtrack.processing import service as step_service
from batchtrack.processing.definition import PlannedStep


def _step_out(session: Session, lot: Lot, step: PlannedStep, row: ProcessStep | None,
              roles: frozenset[str]) -> schemas.PlannedStepOut:
    out = schemas.PlannedStepOut(code=step.code, ordinal=step.ordinal, title=step.title, optional=step.type.optional,
                                 second_person=step.type.second_person, state=row.state if row else None)
    if row is None:
        out.values = [schemas.ValueOut.of(name=v.name, label=v.label, unit=v.unit, value=None)
                      for v in step.type.values]
        return out
    assert row.id is not None
    contents = step_service.contents_of(session=session, step=row)
    corrected = {name for (_id, name), value in step_service.current_values(session=session, step_ids=[row.id]).items()
                 if value.replaces_id is not None}
    for definition in step.type.values:
        value = contents.values.get(definition.name)
        out.values.append(schemas.ValueOut.of(
            name=definition.name, label=definition.label, unit=definition.unit, value=value,
            out_of_limit=gates.limit_breach_text(definition, value) if value is not None else None,
            corrected=definition.name in corrected,
        ))
    out.vessels_in = contents.vessels_in
    out.set_vessels_out([_("{vessel} (label not verified)", vessel=name) if name in contents.unverified_out
                         else Text(name.replace("{", "{{").replace("}", "}}")) for _id, name in contents.vessels_out])
    out.materials = [f"{kind.replace('_', ' ')} {code}" for code, kind in contents.materials]
    out.equipment = [f"{kind.replace('_', ' ')} {code}" for code, kind in contents.equipment]
    out.started_at, out.completed_at, out.verified_at = row.started_at, row.completed_at, row.verified_at
    if row.state == gates.IN_PROGRESS:
        out.can_complete = [lot_schemas.ReasonOut.of(r) for r in gates.complete_refusals(
            step=step, state=row.state, record=step_service.record_of(contents), actor_roles=roles,
            lot_state=lot.state)]
    return out


def lot_plan(*, session: Session, lot: Lot, roles: frozenset[str]) -> list[schemas.PlannedStepOut]:
    """Every planned step of the lot with its state and what has been recorded at it."""
    rows = step_service.steps_of(session=session, lot=lot)
    return [_step_out(session, lot, step, rows.get(step.code), roles) for step in step_service.plan_of(lot).steps]


def workstation(*, session: Session, station: str, roles: frozenset[str]) -> schemas.WorkstationOut:
    """The workstation, the lot open at it and that lot's plan."""
    lot = step_service.open_lot_of(session=session, station=station)
    if lot is None:
        return schemas.WorkstationOut(station=station, lot_din=None)
    public = lot_service.to_public(session=session, lot=lot)
    plan = step_service.plan_of(lot)
    return schemas.WorkstationOut(
        station=station, lot_din=lot.din, lot_state=lot.state, subject_code=public.subject_code,
        process=f"{plan.process_code} v{plan.process_version}",
        steps=lot_plan(session=session, lot=lot, roles=roles),
    )
