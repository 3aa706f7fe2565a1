"""Pages: deviations."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from batchtrack.auth.principal import Principal
from batchtrack.deviations import schemas, workflow
from batchtrack.deviations import service as deviation_service
from batchtrack.i18n.text import Text, _
from batchtrack.lots import holds, state_names
from batchtrack.lots import service as lot_service
from batchtrack.models.deviation import DeviationState
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep
from batchtrack.web.rendering import form_invalid, render
from batchtrack.web.validation import DinPath, SignerUserIdForm

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
Opener = Annotated[Principal, Depends(Allow(*workflow.OPENERS))]
Quality = Annotated[Principal, Depends(Allow(*workflow.CLOSERS))]
PAGE_SIZE = 25
# What opened a deviation, as people read it (the code stays as it is in the API).
ORIGINS: dict[str, Text] = {"manual": _("manual"), "out_of_limit": _("out of limit"),
                            "bedside_check": _("refused bedside check")}


def origin_name(origin: str) -> Text:
    """The name of a deviation's origin as people read it."""
    return ORIGINS.get(origin) or Text(origin.replace("_", " ").replace("{", "{{").replace("}", "}}"))


_NAMES = {"lot_state_name": state_names.lot_state, "origin_name": origin_name}


def _text(value: str) -> str:
    """A textarea's value with the browser's CRLF line breaks as plain newlines (a lone CR is a control code)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


@router.get("/deviations", name="deviations_page")
def deviations_page(
    request: Request, session: SessionDep, viewer: Viewer,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    state: Annotated[str | None, Query(max_length=16)] = None,
    lot: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Deviations, open ones first, filtered by state or lot, a page at a time."""
    state = deviation_service.require_state_name(state or None)
    lot = lot.strip()
    rows, total = deviation_service.list_deviations(session=session, offset=(page - 1) * PAGE_SIZE,
                                                    limit=PAGE_SIZE, state=state, lot_din=lot or None)
    filters = urlencode({key: value for key, value in (("state", state), ("lot", lot)) if value})
    return render(request, "deviations/list.html", {
        "deviations": [deviation_service.to_public(session=session, deviation=d) for d in rows],
        "states": [s.value for s in DeviationState], "state": state, "lot": lot,
        "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total,
        "pager_base": request.url_for("deviations_page").path + "?" + (filters + "&" if filters else ""), **_NAMES,
    }, principal=viewer)


@router.get("/deviations/{number}", name="deviation_page")
def deviation_page(number: schemas.NumberPath, request: Request, session: SessionDep, viewer: Viewer) -> Response:
    """One deviation: what happened, its lot, its closure with QA's signature (or the form to close it), and then
    the form that lifts the lot's hold."""
    deviation = deviation_service.get_by_number(session=session, number=number)
    public = deviation_service.to_public(session=session, deviation=deviation)
    lot = lot_service.get_by_din(session=session, din=public.lot_din)
    return render(request, "deviations/deviation.html", {
        "deviation": public,
        "open_on_lot": deviation_service.open_count(session=session, lot_id=deviation.lot_id),
        "may_close": viewer.has_any(workflow.CLOSERS),
        # The next step once it is closed: QA's signed decision to lift the lot's hold, when nothing else holds it.
        "may_lift_hold": deviation.state == DeviationState.CLOSED
        and holds.offered(session=session, lot=lot, actor=viewer), **_NAMES,
    }, principal=viewer)


@router.post("/lots/{din}/deviations", name="lot_deviation_open")
def open_deviation(
    din: DinPath, request: Request, session: SessionDep, actor: Opener,
    description: Annotated[str, Form(max_length=4000)] = "", impact: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Open a deviation from the lot page, then show it."""
    try:
        data = schemas.DeviationCreate(description=_text(description), impact=_text(impact))
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    deviation = deviation_service.open_deviation(session=session, actor=actor, lot=lot,
                                                 description=data.description, impact=data.impact)
    return RedirectResponse(request.url_for("deviation_page", number=deviation.number), status_code=303)


@router.post("/deviations/{number}/close", name="deviation_close")
def close_deviation(
    number: schemas.NumberPath, request: Request, session: SessionDep, actor: Quality,
    closure: Annotated[str, Form(max_length=4000)] = "", password: Annotated[str, Form(max_length=256)] = "",
    username: SignerUserIdForm = "",
) -> Response:
    """Close the deviation with QA's signature, then show it."""
    try:
        data = schemas.DeviationClose(closure=_text(closure), username=username, password=password)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    deviation_service.close_deviation(session=session, actor=actor, number=number, closure=data.closure,
                                      username=data.username, password=data.password)
    return RedirectResponse(request.url_for("deviation_page", number=number), status_code=303)
