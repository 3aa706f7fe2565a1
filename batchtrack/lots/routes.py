"""API: lots, their lifecycle and their containers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from batchtrack.auth.principal import Principal
from batchtrack.lots import holds, schemas, timeline
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.validation import MAX_DB_INT, DinPath, TransitionName

router = APIRouter(tags=["lots"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]
# Each transition's guard checks the role it needs; this keeps out roles that never move a lot.
Mover = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.QC_ANALYST, Role.QA, Role.COURIER,
                                           Role.INVESTIGATOR, Role.NURSE))]
Operator = Annotated[Principal, Depends(Allow(Role.OPERATOR))]
Quality = Annotated[Principal, Depends(Allow(Role.QA))]


@router.get("/lots")
def list_lots(
    session: SessionDep, _viewer: Reader, page: PageDep,
    state: Annotated[str | None, Query(max_length=40)] = None,
) -> list[schemas.LotPublic]:
    """List lots, newest first, optionally in one state."""
    rows, _total = lot_service.list_lots(session=session, offset=page.offset, limit=page.limit,
                                         state=lot_service.require_state_name(state))
    return [lot_service.to_public(session=session, lot=lot) for lot in rows]


@router.get("/lots/{din}")
def get_lot(din: DinPath, session: SessionDep, _viewer: Reader) -> schemas.LotPublic:
    """One lot by DIN."""
    return lot_service.to_public(session=session, lot=lot_service.get_by_din(session=session, din=din))


@router.get("/lots/{din}/transitions")
def list_transitions(din: DinPath, session: SessionDep, viewer: Reader) -> list[schemas.TransitionOption]:
    """Every transition of the lot, whether the caller may apply it now, and the reasons if not."""
    lot = lot_service.get_by_din(session=session, din=din)
    return lot_service.options(session=session, lot=lot, actor=viewer)


@router.post("/lots/{din}/transitions/{name}")
def apply_lot_transition(
    din: DinPath, name: TransitionName, data: schemas.LotTransition, session: SessionDep, actor: Mover
) -> schemas.LotPublic:
    """Move a lot through its lifecycle; 409 with every reason when its guard refuses."""
    lot = lot_service.transition(session=session, actor=actor, din=din, name=name, reason=data.reason)
    return lot_service.to_public(session=session, lot=lot)


@router.post("/lots/{din}/hold/lift")
def lift_hold(din: DinPath, data: schemas.HoldLift, session: SessionDep, actor: Quality) -> schemas.LotPublic:
    """Lift the lot's hold as QA's signed decision (approved) with a reason, back to the state before the hold;
    409 while any deviation of the lot is open (closing a deviation does not lift the hold)."""
    lot = holds.lift(session=session, actor=actor, din=din, reason=data.reason, username=data.username,
                     password=data.password)
    return lot_service.to_public(session=session, lot=lot)


@router.put("/lots/{din}/expiry")
def set_expiry(din: DinPath, data: schemas.ExpirySet, session: SessionDep, actor: Quality) -> schemas.LotPublic:
    """Record the lot's expiry; changing it later is a correction that needs a reason."""
    lot = lot_service.set_expiry(session=session, actor=actor, din=din, data=data)
    return lot_service.to_public(session=session, lot=lot)


@router.get("/lots/{din}/timeline")
def get_timeline(din: DinPath, session: SessionDep, _viewer: Reader) -> list[schemas.TimelineEvent]:
    """The lot's custody hand-overs and audit entries in time order."""
    return timeline.build(session=session, lot=lot_service.get_by_din(session=session, din=din))


@router.get("/lots/{din}/containers")
def list_containers(din: DinPath, session: SessionDep, _viewer: Reader) -> list[schemas.ContainerPublic]:
    """The containers of a lot."""
    lot = lot_service.get_by_din(session=session, din=din)
    return [lot_service.container_public(session=session, container=c)
            for c in lot_service.containers_of(session=session, lot=lot)]


@router.post("/lots/{din}/containers", status_code=201)
def add_containers(
    din: DinPath, data: schemas.ContainerCreate, session: SessionDep, actor: Operator
) -> list[schemas.ContainerPublic]:
    """Register culture vessels, QC samples or final product bags of a lot."""
    created = lot_service.add_containers(session=session, actor=actor, din=din, data=data)
    return [lot_service.container_public(session=session, container=c) for c in created]


@router.get("/containers/{container_id}")
def get_container(
    container_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)], session: SessionDep, _viewer: Reader
) -> schemas.ContainerPublic:
    """One container by id."""
    container = lot_service.get_container(session=session, container_id=container_id)
    return lot_service.container_public(session=session, container=container)
