"""API: collections (marrow aspirates) and their lifecycle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from batchtrack.auth.principal import Principal
from batchtrack.collections import schemas
from batchtrack.collections import service as collection_service
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep, SettingsDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.rendering import translations_of
from batchtrack.web.validation import DinPath, TransitionName

router = APIRouter(prefix="/collections", tags=["collections"])
Scheduler = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.COLLECTOR))]
Reader = Annotated[Principal, Depends(ANY_ROLE)]
# Each transition's guard checks the role it needs; this only keeps out roles that never move a collection.
Mover = Annotated[Principal, Depends(Allow(Role.COLLECTOR, Role.INVESTIGATOR, Role.COURIER, Role.OPERATOR,
                                           Role.QA))]


@router.post("", status_code=201)
def schedule_collection(
    data: schemas.CollectionCreate, session: SessionDep, settings: SettingsDep, actor: Scheduler
) -> schemas.CollectionPublic:
    """Schedule a marrow aspirate for a therapy and allocate its DIN."""
    collection = collection_service.schedule(session=session, settings=settings, actor=actor, data=data)
    return collection_service.to_public(session=session, collection=collection)


@router.get("")
def list_collections(session: SessionDep, _viewer: Reader, page: PageDep) -> list[schemas.CollectionPublic]:
    """List collections, newest first."""
    rows = collection_service.list_collections(session=session, offset=page.offset, limit=page.limit)
    return [collection_service.to_public(session=session, collection=c) for c in rows]


@router.get("/{din}")
def get_collection(din: DinPath, session: SessionDep, _viewer: Reader) -> schemas.CollectionPublic:
    """One collection by DIN."""
    collection = collection_service.get_by_din(session=session, din=din)
    return collection_service.to_public(session=session, collection=collection)


@router.post("/{din}/transitions/{name}")
def apply_collection_transition(
    din: DinPath, name: TransitionName, data: schemas.CollectionTransition, session: SessionDep, actor: Mover
) -> schemas.CollectionPublic:
    """Move a collection (collect, dispatch, accept, reject, quarantine); 409 with reasons if refused."""
    collection = collection_service.transition(session=session, actor=actor, din=din, name=name, data=data)
    return collection_service.to_public(session=session, collection=collection)


receipts = APIRouter(prefix="/receipts", tags=["collections"])
Receiver = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.QA))]


@receipts.post("", status_code=201)
def receive_bag(
    data: schemas.ReceiptCreate, request: Request, session: SessionDep, actor: Receiver
) -> schemas.ReceiptPublic:
    """Receive a bag at the lab: the scan must be the expected bag; accept only within time, temperature and
    inspection (else quarantine or reject, with a reason); accepting opens the lot."""
    return collection_service.receive(session=session, actor=actor, data=data,
                                      translations=translations_of(request, actor))
