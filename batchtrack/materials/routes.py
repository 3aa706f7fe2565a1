"""API: materials."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from batchtrack.auth.principal import Principal
from batchtrack.lots import service as lot_service
from batchtrack.materials import schemas
from batchtrack.materials import service as material_service
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep, SettingsDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.validation import DinPath

router = APIRouter(tags=["materials"])
# Material lots carry no patient identity: every role may read them and what they went into.
Reader = Annotated[Principal, Depends(ANY_ROLE)]
Receiver = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.QA))]
Quality = Annotated[Principal, Depends(Allow(Role.QA))]
# Lenient on purpose (spaces, lower case): the service normalises and says when no such lot exists.
MaterialCodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9 ]{1,40}$", description="material lot code")]


@router.get("/materials")
def list_materials(
    session: SessionDep, _viewer: Reader, page: PageDep,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
) -> list[schemas.MaterialLotPublic]:
    """List material lots, newest first, optionally of one kind and status."""
    rows, _total = material_service.list_materials(
        session=session, offset=page.offset, limit=page.limit, kind=material_service.require_kind(kind),
        status=material_service.require_status(status))
    return material_service.to_public_many(session=session, materials=rows)


@router.post("/materials", status_code=201)
def receive_material(
    data: schemas.MaterialLotCreate, session: SessionDep, settings: SettingsDep, actor: Receiver
) -> schemas.MaterialLotPublic:
    """Receive a material lot into quarantine; its in-house code is allocated."""
    material = material_service.receive(session=session, settings=settings, actor=actor, data=data)
    return material_service.to_public(session=session, material=material)


@router.get("/materials/{code}")
def get_material(code: MaterialCodePath, session: SessionDep, _viewer: Reader) -> schemas.MaterialLotPublic:
    """One material lot by its code."""
    return material_service.to_public(session=session,
                                      material=material_service.get_by_code(session=session, code=code))


@router.post("/materials/{code}/release")
def release_material(
    code: MaterialCodePath, data: schemas.MaterialDecision, session: SessionDep, actor: Quality
) -> schemas.MaterialLotPublic:
    """QA releases a quarantined material lot for use (electronic signature, meaning 'released')."""
    material = material_service.release(session=session, actor=actor, code=code, data=data)
    return material_service.to_public(session=session, material=material)


@router.post("/materials/{code}/reject")
def reject_material(
    code: MaterialCodePath, data: schemas.MaterialDecision, session: SessionDep, actor: Quality
) -> schemas.MaterialLotPublic:
    """QA rejects a material lot, also one released earlier (electronic signature, meaning 'rejected')."""
    material = material_service.reject(session=session, actor=actor, code=code, data=data)
    return material_service.to_public(session=session, material=material)


@router.get("/materials/{code}/lots")
def lots_using_material(
    code: MaterialCodePath, session: SessionDep, _viewer: Reader
) -> list[schemas.LotUsingMaterial]:
    """Recall: every lot that consumed the material lot, at which steps and when."""
    return material_service.lots_using(session=session, code=code)


@router.get("/lots/{din}/materials")
def materials_of_lot(din: DinPath, session: SessionDep, _viewer: Reader) -> list[schemas.MaterialOfLot]:
    """Every material lot that went into the lot, at which steps and when."""
    lot = lot_service.get_by_din(session=session, din=din)
    return material_service.materials_of_lot(session=session, lot=lot)
