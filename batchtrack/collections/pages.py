"""Pages: a collection (record the aspirate, hand it over, dispatch) and the lab's receiving station."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from batchtrack.auth.principal import Principal
from batchtrack.collections import expected as expected_bags
from batchtrack.collections import gates, schemas
from batchtrack.collections import service as collection_service
from batchtrack.custody import schemas as custody_schemas
from batchtrack.custody import service as custody_service
from batchtrack.errors import BadRequest
from batchtrack.i18n.text import Text, _
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow, SessionDep, SettingsDep
from batchtrack.web.rendering import form_data, form_invalid, parse_local_time, render, translations_of
from batchtrack.web.validation import DinPath

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(*Role))]
Collector = Annotated[Principal, Depends(Allow(Role.COLLECTOR, Role.INVESTIGATOR))]
Handler = Annotated[Principal, Depends(Allow(Role.COURIER, Role.COLLECTOR, Role.OPERATOR, Role.NURSE,
                                             Role.INVESTIGATOR, Role.QA))]
Mover = Annotated[Principal, Depends(Allow(Role.COLLECTOR, Role.COURIER))]
Receiver = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.QA))]



@router.get("/collections/{din}", name="collection_page")
def collection_page(din: DinPath, request: Request, session: SessionDep, viewer: Reader) -> Response:
    """The collection: its details, what may be done next, and why not."""
    collection = collection_service.get_by_din(session=session, din=din)
    labels = collection_service.bag_labels_of(session=session, collection=collection)
    return render(request, "collections/collection.html", {
        "collection": collection_service.to_public(session=session, collection=collection),
        "labels": labels, "label_refusals": gates.labels_ready_to_leave(labels),
    }, principal=viewer)


@router.post("/collections/{din}/record", name="collection_record")
def record_aspirate(
    din: DinPath, request: Request, session: SessionDep, settings: SettingsDep, actor: Collector,
    started_at: Annotated[str, Form(max_length=32)] = "", ended_at: Annotated[str, Form(max_length=32)] = "",
    volume_ml: Annotated[float | None, Form(gt=0, le=5000)] = None,
    anticoagulant: Annotated[str, Form(max_length=64)] = "", site: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the aspirate (refused for a subject who may not be collected)."""
    try:
        data = schemas.CollectionTransition(
            started_at=parse_local_time(started_at, settings.zone),
            occurred_at=parse_local_time(ended_at, settings.zone),
            volume_ml=volume_ml, anticoagulant=anticoagulant, site=site)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    collection_service.transition(session=session, actor=actor, din=din, name="collect", data=data)
    return RedirectResponse(request.url_for("collection_page", din=din), status_code=303)


@router.post("/collections/{din}/dispatch", name="collection_dispatch")
def dispatch(din: DinPath, request: Request, session: SessionDep, actor: Mover) -> Response:
    """Send the bag on its way (only with its labels applied and verified by scan)."""
    collection_service.transition(session=session, actor=actor, din=din, name="dispatch",
                                  data=schemas.CollectionTransition())
    return RedirectResponse(request.url_for("collection_page", din=din), status_code=303)


@router.post("/collections/{din}/hand-over", name="collection_hand_over")
def hand_over(
    din: DinPath, request: Request, session: SessionDep, settings: SettingsDep, actor: Handler,
    scan: Annotated[str, Form(min_length=1, max_length=4096)], handed_over_by: Annotated[str, Form(max_length=64)],
    received_by: Annotated[str, Form(max_length=64)], location: Annotated[str, Form(max_length=200)],
    temperature_c: Annotated[float | None, Form(ge=-200, le=60)] = None,
) -> Response:
    """Record a hand-over, confirmed by scanning the bag."""
    try:
        data = custody_schemas.CustodyEventCreate(scan=scan, handed_over_by=handed_over_by, received_by=received_by,
                                                  location=location, temperature_c=temperature_c)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    custody_service.record(session=session, actor=actor, data=data)
    return RedirectResponse(request.url_for("collection_page", din=din), status_code=303)


def _station(request: Request, session: Session, viewer: Principal, *, picked: str | None = None,
             refusal: Text | None = None, result: schemas.ReceiptPublic | None = None, status_code: int = 200,
             ) -> Response:
    """The receiving station's page: the bags expected (the one picked marked), the form, and a receipt's verdict."""
    bags = expected_bags.expected_bags(session=session, now=utcnow())
    return render(request, "collections/receiving.html", {
        "bags": bags, "picked": picked or "", "picked_refusal": refusal,
        "picked_unexpected": picked is not None and all(bag.din != picked for bag in bags),
        "checklist": gates.CHECKLIST, "result": result,
    }, principal=viewer, status_code=status_code)


@router.get("/receiving", name="receiving")
def receiving_station(
    request: Request, session: SessionDep, viewer: Receiver,
    expected: Annotated[str, Query(max_length=4096)] = "",
) -> Response:
    """The receiving station: the bags expected, one picked from the list or by scanning its label (or its DIN
    typed), then measure, inspect, decide and scan."""
    din, refusal = expected_bags.expected_din_of(expected)
    return _station(request, session, viewer, picked=din, refusal=refusal,
                    status_code=422 if refusal is not None else 200)


@router.post("/receiving")
def receive(
    request: Request, form: Annotated[FormData, Depends(form_data)], session: SessionDep, actor: Receiver
) -> Response:
    """Judge the bag; accepting opens the lot; a bag out of limits can only be quarantined or rejected."""
    expected, refusal = expected_bags.expected_din_of(str(form.get("expected_din", ""))[:4096])
    if refusal is not None:
        raise BadRequest(refusal, code="form_invalid")
    try:
        data = schemas.ReceiptCreate(
            scan=str(form.get("scan", "")), expected_din=expected,
            temperature_c=float(str(form.get("temperature_c", "")) or "nan"),
            inspection=schemas.Inspection(**{item: form.get(item) == "on" for item in gates.CHECKLIST}),
            decision=str(form.get("decision", "")), reason=str(form.get("reason", "")),
        )
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    except ValueError as exc:
        raise BadRequest(_("the temperature is not a number"), code="form_invalid") from exc
    result = collection_service.receive(session=session, actor=actor, data=data,
                                        translations=translations_of(request, actor))
    return _station(request, session, actor, result=result, status_code=201)
