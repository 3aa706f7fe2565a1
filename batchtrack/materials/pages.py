"""Pages: materials."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest
from batchtrack.i18n.text import _
from batchtrack.lots import state_names
from batchtrack.materials import gates, schemas
from batchtrack.materials import service as material_service
from batchtrack.materials.routes import MaterialCodePath, Quality, Receiver
from batchtrack.models.base import utcnow
from batchtrack.models.material import MaterialKind, MaterialStatus
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, SessionDep, SettingsDep
from batchtrack.web.rendering import form_invalid, parse_local_time, render
from batchtrack.web.validation import SignerUserIdForm

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
PAGE_SIZE = 25
RECEIVERS = frozenset({Role.OPERATOR, Role.QA})


@router.get("/materials", name="materials_page")
def materials_page(
    request: Request, session: SessionDep, viewer: Viewer,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    kind: Annotated[str, Query(max_length=40)] = "", status: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Material lots (filtered by kind and status), and the form to receive one."""
    kind_filter = material_service.require_kind(kind or None)
    status_filter = material_service.require_status(status or None)
    rows, total = material_service.list_materials(session=session, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                                  kind=kind_filter, status=status_filter)
    filters = urlencode({key: value for key, value in (("kind", kind_filter), ("status", status_filter)) if value})
    return render(request, "materials/materials.html", {
        "materials": material_service.to_public_many(session=session, materials=rows),
        "kinds": [k.value for k in MaterialKind], "statuses": [s.value for s in MaterialStatus],
        "kind": kind_filter or "", "status": status_filter or "", "total": total,
        "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "base": f"/materials?{filters}&" if filters else "/materials?",
        "can_receive": viewer.has_any(RECEIVERS),
    }, principal=viewer)


@router.post("/materials", name="material_receive")
def receive(
    request: Request, session: SessionDep, settings: SettingsDep, actor: Receiver,
    kind: Annotated[str, Form(max_length=40)], description: Annotated[str, Form(max_length=200)],
    supplier: Annotated[str, Form(max_length=120)], supplier_lot: Annotated[str, Form(max_length=64)],
    expires_at: Annotated[str, Form(max_length=32)],
) -> Response:
    """Receive a material lot into quarantine from the form, and open its page."""
    expiry = parse_local_time(expires_at, settings.zone)
    if expiry is None:
        raise BadRequest(_("enter the expiry date and time printed by the supplier"), code="form_invalid")
    try:
        data = schemas.MaterialLotCreate.model_validate({
            "kind": kind, "description": description, "supplier": supplier, "supplier_lot": supplier_lot,
            "expires_at": expiry,
        })
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    material = material_service.receive(session=session, settings=settings, actor=actor, data=data)
    return RedirectResponse(request.url_for("material_page", code=material.code), status_code=303)


@router.get("/materials/{code}", name="material_page")
def material_page(code: MaterialCodePath, request: Request, session: SessionDep, viewer: Viewer) -> Response:
    """A material lot: its details, QA's decision, its record, and the lots that used it."""
    material = material_service.get_by_code(session=session, code=code)
    facts = material_service.facts_of(material=material)
    return render(request, "materials/material.html", {
        "material": material_service.to_public(session=session, material=material),
        "lots": material_service.lots_using(session=session, code=material.code),
        "history": audit_service.entries_for(session=session, entity_type=material_service.ENTITY,
                                             entity_id=material.code),
        "is_qa": Role.QA in viewer.roles,
        "release_refusals": gates.release_refusals(facts, now=utcnow()),
        "reject_refusals": gates.reject_refusals(facts), "lot_state_name": state_names.lot_state,
    }, principal=viewer)


@router.post("/materials/{code}/release", name="material_release")
def release(
    code: MaterialCodePath, request: Request, session: SessionDep, actor: Quality,
    password: Annotated[str, Form(max_length=1024)], reason: Annotated[str, Form(max_length=4000)] = "",
    username: SignerUserIdForm = "",
) -> Response:
    """Release the material lot for use, signed with the password."""
    material = material_service.release(session=session, actor=actor, code=code,
                                        data=_decision(username=username, password=password, reason=reason))
    return RedirectResponse(request.url_for("material_page", code=material.code), status_code=303)


@router.post("/materials/{code}/reject", name="material_reject")
def reject(
    code: MaterialCodePath, request: Request, session: SessionDep, actor: Quality,
    password: Annotated[str, Form(max_length=1024)], reason: Annotated[str, Form(max_length=4000)] = "",
    username: SignerUserIdForm = "",
) -> Response:
    """Reject the material lot, signed with the password, with the reason."""
    material = material_service.reject(session=session, actor=actor, code=code,
                                       data=_decision(username=username, password=password, reason=reason))
    return RedirectResponse(request.url_for("material_page", code=material.code), status_code=303)


def _decision(*, username: str, password: str, reason: str) -> schemas.MaterialDecision:
    try:
        return schemas.MaterialDecision(username=username, password=password, reason=reason)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
