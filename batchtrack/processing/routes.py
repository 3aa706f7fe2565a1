"""API: step execution at processing workstations, corrections and second-person verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from batchtrack.auth.principal import Principal
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.processing import recording, schemas, views
from batchtrack.processing import service as step_service
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep, SettingsDep
from batchtrack.web.rendering import translations_of
from batchtrack.web.validation import DinPath

router = APIRouter(tags=["processing"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]
Operator = Annotated[Principal, Depends(Allow(Role.OPERATOR))]
Reviewer = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.QA))]
Station = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="workstation name")]
Step = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,31}$", description="step code, e.g. passage_1")]


def _roles(principal: Principal) -> frozenset[str]:
    return frozenset(r.value for r in principal.roles)


@router.get("/workstations/{station}")
def get_workstation(station: Station, session: SessionDep, viewer: Reader) -> schemas.WorkstationOut:
    """The workstation, the lot open at it, and that lot's steps."""
    return views.workstation(session=session, station=station, roles=_roles(viewer))


@router.post("/workstations/{station}/lot")
def open_lot(station: Station, data: schemas.WorkstationOpen, session: SessionDep,
             actor: Operator) -> schemas.WorkstationOut:
    """Open the lot a scanned label names at the workstation (one lot per workstation)."""
    step_service.open_at_workstation(session=session, actor=actor, station=station, scan=data.scan)
    return views.workstation(session=session, station=station, roles=_roles(actor))


@router.post("/workstations/{station}/close")
def close_lot(station: Station, session: SessionDep, actor: Operator) -> schemas.WorkstationOut:
    """Close the lot open at the workstation."""
    step_service.close_workstation(session=session, actor=actor, station=station)
    return views.workstation(session=session, station=station, roles=_roles(actor))


@router.post("/workstations/{station}/steps/{step}/start")
def start_step(station: Station, step: Step, session: SessionDep, actor: Operator) -> schemas.WorkstationOut:
    """Start a step of the open lot; 409 with every reason when the order, state or role does not allow it."""
    step_service.start_step(session=session, actor=actor, station=station, step_code=step)
    return views.workstation(session=session, station=station, roles=_roles(actor))


@router.post("/workstations/{station}/steps/{step}/scans")
def scan_at_step(station: Station, step: Step, data: schemas.StepScan, session: SessionDep, settings: SettingsDep,
                 actor: Operator, request: Request) -> schemas.ScanOutcome:
    """Scan a vessel, a new vessel's label, a material lot or an instrument at the open step."""
    outcome = recording.scan(session=session, actor=actor, station=station, step_code=step, raw=data.scan,
                             zone=settings.zone)
    return outcome.model_copy(update={"message": outcome.text.shown_in(translations_of(request, actor))})


@router.post("/workstations/{station}/steps/{step}/values", status_code=201)
def record_value(station: Station, step: Step, data: schemas.ValueRecord, session: SessionDep,
                 actor: Operator) -> schemas.WorkstationOut:
    """Record a value at the open step (out of limits: recorded, and a deviation holds the lot)."""
    recording.record_value(session=session, actor=actor, station=station, step_code=step, data=data)
    return views.workstation(session=session, station=station, roles=_roles(actor))


@router.post("/workstations/{station}/steps/{step}/vessels", status_code=201)
def add_vessels(station: Station, step: Step, data: schemas.VesselsAdd, session: SessionDep,
                actor: Operator) -> list[lot_schemas.ContainerPublic]:
    """Register the new vessels of the step; print their labels, apply them and scan each to verify."""
    containers = recording.add_vessels(session=session, actor=actor, station=station, step_code=step, data=data)
    return [lot_service.container_public(session=session, container=c) for c in containers]


@router.post("/workstations/{station}/steps/{step}/complete")
def complete_step(station: Station, step: Step, data: schemas.StepSign, session: SessionDep,
                  actor: Operator) -> schemas.WorkstationOut:
    """Complete the step with the performer's electronic signature."""
    step_service.complete_step(session=session, actor=actor, station=station, step_code=step,
                               username=data.username, password=data.password)
    return views.workstation(session=session, station=station, roles=_roles(actor))


@router.get("/lots/{din}/steps")
def list_steps(din: DinPath, session: SessionDep, viewer: Reader) -> list[schemas.PlannedStepOut]:
    """The lot's planned steps with their state and recorded facts."""
    lot = lot_service.get_by_din(session=session, din=din)
    return views.lot_plan(session=session, lot=lot, roles=_roles(viewer))


@router.post("/lots/{din}/steps/{step}/verify")
def verify_step(din: DinPath, step: Step, data: schemas.StepSign, session: SessionDep,
                actor: Reviewer) -> list[schemas.PlannedStepOut]:
    """Second-person verification with an electronic signature; refused to anyone who performed the step."""
    lot = lot_service.get_by_din(session=session, din=din)
    step_service.verify_step(session=session, actor=actor, din=din, step_code=step, username=data.username,
                             password=data.password)
    return views.lot_plan(session=session, lot=lot, roles=_roles(actor))


@router.post("/lots/{din}/steps/{step}/corrections", status_code=201)
def correct_value(din: DinPath, step: Step, data: schemas.ValueCorrection, session: SessionDep,
                  actor: Reviewer) -> list[schemas.PlannedStepOut]:
    """Correct a recorded value: the reason is required and the old value stays in the record."""
    lot = lot_service.get_by_din(session=session, din=din)
    recording.correct_value(session=session, actor=actor, din=din, step_code=step, data=data)
    return views.lot_plan(session=session, lot=lot, roles=_roles(actor))
