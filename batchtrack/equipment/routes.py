"""API: equipment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from batchtrack.auth.principal import Principal
from batchtrack.equipment import schemas
from batchtrack.equipment import service as equipment_service
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep
from batchtrack.web.pagination import PageDep

router = APIRouter(tags=["equipment"])
# Instruments carry no patient identity: every role may read them.
Reader = Annotated[Principal, Depends(ANY_ROLE)]
Keeper = Annotated[Principal, Depends(Allow(Role.QA, Role.ADMIN))]
# Lenient on purpose (spaces, lower case): the service normalises and says when no such instrument exists.
EquipmentCodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9 -]{1,40}$", description="asset tag")]


@router.get("/equipment")
def list_equipment(
    session: SessionDep, _viewer: Reader, page: PageDep,
    kind: Annotated[str | None, Query(max_length=40)] = None, active: bool | None = None,
) -> list[schemas.EquipmentPublic]:
    """List instruments, calibration due soonest first, optionally of one kind or only those in service."""
    rows, _total = equipment_service.list_equipment(
        session=session, offset=page.offset, limit=page.limit, kind=equipment_service.require_kind(kind),
        active=active)
    return equipment_service.to_public_many(session=session, equipment=rows)


@router.post("/equipment", status_code=201)
def register_equipment(data: schemas.EquipmentCreate, session: SessionDep, actor: Keeper) -> schemas.EquipmentPublic:
    """Register an instrument under the asset tag on its label."""
    equipment = equipment_service.register(session=session, actor=actor, data=data)
    return equipment_service.to_public(session=session, equipment=equipment)


@router.get("/equipment/{code}")
def get_equipment(code: EquipmentCodePath, session: SessionDep, _viewer: Reader) -> schemas.EquipmentPublic:
    """One instrument by asset tag."""
    return equipment_service.to_public(session=session,
                                       equipment=equipment_service.get_by_code(session=session, code=code))


@router.post("/equipment/{code}/calibrations", status_code=201)
def record_calibration(
    code: EquipmentCodePath, data: schemas.CalibrationCreate, session: SessionDep, actor: Keeper
) -> schemas.EquipmentPublic:
    """Record a calibration and the next due time (in the future); old and new due time are audited."""
    equipment = equipment_service.record_calibration(session=session, actor=actor, code=code, data=data)
    return equipment_service.to_public(session=session, equipment=equipment)


@router.post("/equipment/{code}/retire")
def retire_equipment(
    code: EquipmentCodePath, data: schemas.EquipmentRetire, session: SessionDep, actor: Keeper
) -> schemas.EquipmentPublic:
    """Take an instrument out of service, with the reason."""
    equipment = equipment_service.retire(session=session, actor=actor, code=code, reason=data.reason)
    return equipment_service.to_public(session=session, equipment=equipment)


@router.get("/equipment/{code}/uses")
def list_uses(
    code: EquipmentCodePath, session: SessionDep, _viewer: Reader, page: PageDep
) -> list[schemas.EquipmentUsePublic]:
    """The instrument's uses at steps of lots, newest first."""
    equipment = equipment_service.get_by_code(session=session, code=code)
    uses, _total = equipment_service.uses_of(session=session, equipment=equipment, offset=page.offset,
                                             limit=page.limit)
    return uses


@router.get("/equipment/{code}/history")
def get_history(code: EquipmentCodePath, session: SessionDep, _viewer: Reader) -> list[schemas.EquipmentEvent]:
    """The instrument's registration, calibrations and retirement, oldest first."""
    equipment = equipment_service.get_by_code(session=session, code=code)
    return equipment_service.history_of(session=session, equipment=equipment)
