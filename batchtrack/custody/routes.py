"""API: custody events (append-only hand-overs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from batchtrack.auth.principal import Principal
from batchtrack.custody import schemas
from batchtrack.custody import service as custody_service
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep
from batchtrack.web.pagination import PageDep

router = APIRouter(prefix="/custody-events", tags=["custody"])
Handler = Annotated[Principal, Depends(Allow(Role.COURIER, Role.COLLECTOR, Role.OPERATOR, Role.NURSE,
                                             Role.INVESTIGATOR, Role.QA))]
Reader = Annotated[Principal, Depends(ANY_ROLE)]


@router.post("", status_code=201)
def record_hand_over(
    data: schemas.CustodyEventCreate, session: SessionDep, actor: Handler
) -> schemas.CustodyEventPublic:
    """Record a hand-over of a container between two named people."""
    event = custody_service.record(session=session, actor=actor, data=data)
    return custody_service.to_public(session=session, event=event)


@router.get("")
def list_hand_overs(session: SessionDep, _viewer: Reader, page: PageDep) -> list[schemas.CustodyEventPublic]:
    """List hand-overs, newest first."""
    events = custody_service.list_events(session=session, offset=page.offset, limit=page.limit)
    return [custody_service.to_public(session=session, event=e) for e in events]
