"""API: deviations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from batchtrack.auth.principal import Principal
from batchtrack.deviations import schemas, workflow
from batchtrack.deviations import service as deviation_service
from batchtrack.lots import service as lot_service
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.validation import DinPath

router = APIRouter(tags=["deviations"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]
Opener = Annotated[Principal, Depends(Allow(*workflow.OPENERS))]
Quality = Annotated[Principal, Depends(Allow(*workflow.CLOSERS))]


@router.get("/deviations")
def list_deviations(
    session: SessionDep, _viewer: Reader, page: PageDep,
    state: Annotated[str | None, Query(max_length=16)] = None,
    lot: Annotated[str | None, Query(max_length=40, description="the lot's DIN")] = None,
) -> list[schemas.DeviationPublic]:
    """List deviations, open ones first, then newest first; optionally in one state or of one lot."""
    rows, _total = deviation_service.list_deviations(
        session=session, offset=page.offset, limit=page.limit,
        state=deviation_service.require_state_name(state or None), lot_din=lot or None,
    )
    return [deviation_service.to_public(session=session, deviation=d) for d in rows]


@router.get("/deviations/{number}")
def get_deviation(number: schemas.NumberPath, session: SessionDep, _viewer: Reader) -> schemas.DeviationPublic:
    """One deviation by number, with its closing signature."""
    deviation = deviation_service.get_by_number(session=session, number=number)
    return deviation_service.to_public(session=session, deviation=deviation)


@router.post("/lots/{din}/deviations", status_code=201)
def open_deviation(
    din: DinPath, data: schemas.DeviationCreate, session: SessionDep, actor: Opener
) -> schemas.DeviationPublic:
    """Open a deviation on a lot; a lot still moving through the chain goes on hold until QA lifts it."""
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    deviation = deviation_service.open_deviation(session=session, actor=actor, lot=lot,
                                                 description=data.description, impact=data.impact)
    return deviation_service.to_public(session=session, deviation=deviation)


@router.post("/deviations/{number}/close")
def close_deviation(
    number: schemas.NumberPath, data: schemas.DeviationClose, session: SessionDep, actor: Quality
) -> schemas.DeviationPublic:
    """Close a deviation with QA's signature (approved). The lot stays on hold: lifting the hold is QA's own signed
    decision with a reason (POST /api/v1/lots/{din}/hold/lift), refused while any deviation of the lot is open."""
    deviation = deviation_service.close_deviation(session=session, actor=actor, number=number,
                                                  closure=data.closure, username=data.username,
                                                  password=data.password)
    return deviation_service.to_public(session=session, deviation=deviation)
