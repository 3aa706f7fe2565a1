"""Pages: equipment."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from batchtrack.auth.principal import Principal
from batchtrack.equipment import schemas
from batchtrack.equipment import service as equipment_service
from batchtrack.equipment.routes import EquipmentCodePath, Keeper
from batchtrack.errors import BadRequest
from batchtrack.i18n.text import _
from batchtrack.models.equipment import EquipmentKind
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, SessionDep, SettingsDep
from batchtrack.web.rendering import form_invalid, parse_local_time, render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
PAGE_SIZE = 25
KEEPERS = frozenset({Role.QA, Role.ADMIN})
SERVICE_FILTERS = {"in_service": True, "out_of_service": False}


@router.get("/equipment", name="equipment_list_page")
def equipment_list_page(
    request: Request, session: SessionDep, viewer: Viewer,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    kind: Annotated[str, Query(max_length=40)] = "", service: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Instruments by calibration due time (overdue ones marked), and the form to register one."""
    kind_filter = equipment_service.require_kind(kind or None)
    if service and service not in SERVICE_FILTERS:
        raise BadRequest(_("unknown filter {filter}; use in_service or out_of_service", filter=repr(service[:40])),
                         code="form_invalid")
    rows, total = equipment_service.list_equipment(
        session=session, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, kind=kind_filter,
        active=SERVICE_FILTERS.get(service))
    filters = urlencode({key: value for key, value in (("kind", kind_filter), ("service", service)) if value})
    return render(request, "equipment/equipment_list.html", {
        "equipment": equipment_service.to_public_many(session=session, equipment=rows),
        "kinds": [k.value for k in EquipmentKind], "kind": kind_filter or "", "service": service, "total": total,
        "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "base": f"/equipment?{filters}&" if filters else "/equipment?",
        "can_keep": viewer.has_any(KEEPERS),
    }, principal=viewer)


@router.post("/equipment", name="equipment_register")
def register(
    request: Request, session: SessionDep, settings: SettingsDep, actor: Keeper,
    code: Annotated[str, Form(max_length=40)], kind: Annotated[str, Form(max_length=40)],
    description: Annotated[str, Form(max_length=200)], calibration_due: Annotated[str, Form(max_length=32)],
    location: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """Register an instrument from the form, and open its page."""
    due = parse_local_time(calibration_due, settings.zone)
    if due is None:
        raise BadRequest(_("enter when the next calibration is due"), code="form_invalid")
    try:
        data = schemas.EquipmentCreate.model_validate({
            "code": code, "kind": kind, "description": description, "location": location, "calibration_due": due,
        })
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    equipment = equipment_service.register(session=session, actor=actor, data=data)
    return RedirectResponse(request.url_for("equipment_page", code=equipment.code), status_code=303)


@router.get("/equipment/{code}", name="equipment_page")
def equipment_page(
    code: EquipmentCodePath, request: Request, session: SessionDep, viewer: Viewer,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """An instrument: its details, calibration, what was recorded about it, and where it was used."""
    equipment = equipment_service.get_by_code(session=session, code=code)
    uses, total = equipment_service.uses_of(session=session, equipment=equipment, offset=(page - 1) * PAGE_SIZE,
                                            limit=PAGE_SIZE)
    return render(request, "equipment/equipment.html", {
        "equipment": equipment_service.to_public(session=session, equipment=equipment),
        "history": equipment_service.history_of(session=session, equipment=equipment),
        "uses": uses, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "can_keep": viewer.has_any(KEEPERS),
    }, principal=viewer)


@router.post("/equipment/{code}/calibrations", name="equipment_calibrate")
def calibrate(
    code: EquipmentCodePath, request: Request, session: SessionDep, settings: SettingsDep, actor: Keeper,
    calibration_due: Annotated[str, Form(max_length=32)], certificate: Annotated[str, Form(max_length=4000)],
) -> Response:
    """Record a calibration from the form."""
    try:
        data = schemas.CalibrationCreate.model_validate({
            "calibration_due": parse_local_time(calibration_due, settings.zone), "certificate": certificate,
        })
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    equipment = equipment_service.record_calibration(session=session, actor=actor, code=code, data=data)
    return RedirectResponse(request.url_for("equipment_page", code=equipment.code), status_code=303)


@router.post("/equipment/{code}/retire", name="equipment_retire")
def retire(
    code: EquipmentCodePath, request: Request, session: SessionDep, actor: Keeper,
    reason: Annotated[str, Form(max_length=4000)],
) -> Response:
    """Take the instrument out of service, with the reason."""
    try:
        data = schemas.EquipmentRetire(reason=reason)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    equipment = equipment_service.retire(session=session, actor=actor, code=code, reason=data.reason)
    return RedirectResponse(request.url_for("equipment_page", code=equipment.code), status_code=303)
