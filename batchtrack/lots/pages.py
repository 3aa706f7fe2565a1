"""Pages: a lot with its containers, transitions and timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from batchtrack.auth.principal import Principal
from batchtrack.deviations import schemas as deviation_schemas
from batchtrack.deviations import service as deviation_service
from batchtrack.deviations import workflow as deviation_workflow
from batchtrack.lots import holds, state_names, timeline, timeline_stages
from batchtrack.lots import service as lot_service
from batchtrack.lots.routes import Mover, Quality
from batchtrack.lots.workflow import LotState
from batchtrack.review import pages as review_pages
from batchtrack.web.deps import ANY_ROLE, SessionDep
from batchtrack.web.rendering import render
from batchtrack.web.validation import DinPath, LongText, SignerUserIdForm, TransitionName

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]


@router.get("/lots/{din}", name="lot_page")
def lot_page(din: DinPath, request: Request, session: SessionDep, viewer: Viewer,
             stage: Annotated[timeline_stages.Stage | None, Query()] = None) -> Response:
    """The lot, its containers, what can be done next, and its timeline grouped by stage (`?stage=` shows one)."""
    lot = lot_service.get_by_din(session=session, din=din)
    events = timeline.build(session=session, lot=lot)
    return render(request, "lots/lot.html", {
        "lot": lot_service.to_public(session=session, lot=lot),
        "containers": [lot_service.container_public(session=session, container=c)
                       for c in lot_service.containers_of(session=session, lot=lot)],
        "options": lot_service.options(session=session, lot=lot, actor=viewer),
        "timeline": timeline_stages.group(events, only=stage),
        "stage_counts": timeline_stages.counts(events),
        "stage": stage,
        "may_read_trail": viewer.has_any(review_pages.TRAIL_PAGE_READERS),
        "deviations": [deviation_service.to_public(session=session, deviation=d)
                       for d in deviation_service.of_lot(session=session, lot=lot)],
        "may_open_deviation": viewer.has_any(deviation_workflow.OPENERS),
        "deviation_holds": deviation_workflow.holds_lot(LotState(lot.state)),
        "may_lift_hold": holds.offered(session=session, lot=lot, actor=viewer),
        "lot_state_name": state_names.lot_state,
    }, principal=viewer)


@router.post("/lots/{din}/transitions/{name}", name="lot_transition")
def apply_transition(
    din: DinPath, name: TransitionName, request: Request,
    session: SessionDep, actor: Mover, reason: Annotated[LongText, Form()] = "",
) -> Response:
    """Apply a transition from the lot page; a refusal shows every reason (409)."""
    lot = lot_service.transition(session=session, actor=actor, din=din, name=name, reason=reason)
    return RedirectResponse(request.url_for("lot_page", din=lot.din), status_code=303)


@router.post("/lots/{din}/hold/lift", name="lot_lift_hold")
def lift_hold(
    din: DinPath, request: Request, session: SessionDep, actor: Quality,
    reason: Annotated[LongText, Form()] = "", password: Annotated[str, Form(max_length=256)] = "",
    deviation: Annotated[str, Form(pattern=f"{deviation_schemas.NUMBER_PATTERN}|^$")] = "",
    username: SignerUserIdForm = "",
) -> Response:
    """Lift the hold as QA's signed decision from the lot's or a deviation's page, then show that page again."""
    lot = holds.lift(session=session, actor=actor, din=din, reason=reason, username=username.strip(),
                     password=password)
    if deviation:
        return RedirectResponse(request.url_for("deviation_page", number=deviation), status_code=303)
    return RedirectResponse(request.url_for("lot_page", din=lot.din), status_code=303)
