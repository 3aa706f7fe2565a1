"""Pages: a lot's labels (preview of each container's label, print, void, apply) and their reconciliation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest, BatchtrackError, Reason
from batchtrack.i18n.text import _
from batchtrack.labels import content_builder, schemas
from batchtrack.labels import export as label_export
from batchtrack.labels import service as label_service
from batchtrack.labels.routes import Closer, LabelId, Labeller
from batchtrack.lots import service as lot_service
from batchtrack.models.label import LabelStatus
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, SessionDep, SettingsDep
from batchtrack.web.rendering import render
from batchtrack.web.validation import MAX_DB_INT, DinPath, LongText

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
ContainerId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
PAGE_FORMATS = ("pdf", "zpl", "png", "svg")


@router.get("/lots/{din}/labels", name="lot_labels_page")
def lot_labels_page(
    din: DinPath, request: Request, session: SessionDep, settings: SettingsDep, viewer: Viewer
) -> Response:
    """Each container's label as it prints, the labels printed so far, and their reconciliation."""
    lot = lot_service.get_by_din(session=session, din=din)
    containers = lot_service.containers_of(session=session, lot=lot)
    previews = label_export.preview_parts(session=session, settings=settings, lot=lot, containers=containers,
                                           viewer=viewer)
    printed = label_service.labels_public(session=session, rows=label_service.labels_of_lot(session=session, lot=lot))
    rows = []
    for container in containers:
        assert container.id is not None
        preview = previews[container.id]
        live = [label for label in printed if label.container_id == container.id
                and label.status in (LabelStatus.PRINTED, LabelStatus.APPLIED)]
        rows.append({
            "container": lot_service.container_public(session=session, container=container),
            "problem": preview if isinstance(preview, BatchtrackError) else None,
            "withheld": container.kind in content_builder.IDENTITY_KINDS and not viewer.sees_patient_identity,
            "live": live,
            "may_print": _may_label(viewer, container.kind),
        })
    result = label_service.reconcile(session=session, lot=lot)
    return render(request, "labels/lot_labels.html", {
        "lot": lot_service.to_public(session=session, lot=lot),
        "rows": rows,
        "labels": printed,
        "reconciliation": schemas.ReconciliationPublic.of(lot.din, result),
        "reconciliation_reasons": result.reasons(),
        "named_difference": result.named_difference_text,
        "may_close": viewer.has_any({Role.OPERATOR, Role.COLLECTOR, Role.QA}),
        "formats": PAGE_FORMATS,
    }, principal=viewer)


def _may_label(viewer: Principal, container_kind: str) -> bool:
    try:
        label_service.require_labeller(viewer, container_kind)
    except BatchtrackError:
        return False
    return True


def _preview(
    din: str, container_id: int, session: SessionDep, settings: SettingsDep, viewer: Principal,
    fmt: Literal["svg", "png"],
) -> Response:
    image = label_export.preview_image(session=session, settings=settings, din=din, container_id=container_id,
                                        viewer=viewer, fmt=fmt)
    return Response(image, media_type=label_service.MEDIA_TYPES[fmt])


@router.get("/lots/{din}/labels/preview/{container_id}.svg", name="label_preview_svg")
def label_preview_svg(
    din: DinPath, container_id: ContainerId, session: SessionDep, settings: SettingsDep, viewer: Viewer
) -> Response:
    """The container's label as SVG, for the screen (nothing is recorded)."""
    return _preview(din, container_id, session, settings, viewer, "svg")


@router.get("/lots/{din}/labels/preview/{container_id}.png", name="label_preview_png")
def label_preview_png(
    din: DinPath, container_id: ContainerId, session: SessionDep, settings: SettingsDep, viewer: Viewer
) -> Response:
    """The container's label as PNG, for the screen (nothing is recorded)."""
    return _preview(din, container_id, session, settings, viewer, "png")


@router.post("/lots/{din}/labels/print", name="labels_print")
def print_label(
    din: DinPath, request: Request, session: SessionDep, settings: SettingsDep, actor: Labeller,
    container_id: Annotated[int, Form(ge=1, le=MAX_DB_INT)],
    output: Annotated[Literal["pdf", "zpl", "png", "svg"], Form(alias="format")] = "pdf",
    printer: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[LongText, Form()] = "",
) -> Response:
    """Print one container's label: sent to the printer named, or returned as a file to print."""
    try:
        data = schemas.PrintRequest(container_ids=[container_id], format=output, printer=printer.strip() or None,
                                    reason=reason)
    except ValidationError as exc:
        raise BadRequest(_("the print request is not valid"), code="label.request", reasons=[
            Reason("label.request", str(error["msg"])) for error in exc.errors()]) from exc
    outcome = label_service.print_labels(session=session, settings=settings, actor=actor, din=din, data=data)
    if outcome.sent_to is not None:
        return RedirectResponse(request.url_for("lot_labels_page", din=din), status_code=303)
    document = outcome.documents[0]
    return Response(document.data, media_type=document.media_type,
                    headers={"content-disposition": f'attachment; filename="{document.filename}"'})


def _back_to_lot(request: Request, session: SessionDep, label_id: int) -> Response:
    label = label_service.label_by_id_public(session=session, label_id=label_id)
    return RedirectResponse(request.url_for("lot_labels_page", din=label.din), status_code=303)


@router.post("/labels/{label_id}/void", name="label_void")
def void_label(
    label_id: LabelId, request: Request, session: SessionDep, actor: Closer,
    reason: Annotated[LongText, Form()] = "",
) -> Response:
    """Void a label from the labels page; the reason is required."""
    label_service.close_label(session=session, actor=actor, label_id=label_id, status="voided", reason=reason)
    return _back_to_lot(request, session, label_id)


@router.post("/labels/{label_id}/destroy", name="label_destroy")
def destroy_label(
    label_id: LabelId, request: Request, session: SessionDep, actor: Closer,
    reason: Annotated[LongText, Form()] = "",
) -> Response:
    """Record a label destroyed from the labels page; the reason is required."""
    label_service.close_label(session=session, actor=actor, label_id=label_id, status="destroyed", reason=reason)
    return _back_to_lot(request, session, label_id)


@router.post("/labels/{label_id}/apply", name="label_apply")
def apply_label(
    label_id: LabelId, request: Request, session: SessionDep, settings: SettingsDep, actor: Labeller,
    scan: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Apply a label once its scan confirms it is on its own container; a refusal shows every reason."""
    label_service.apply_label(session=session, actor=actor, label_id=label_id, scan=scan, zone=settings.zone)
    return _back_to_lot(request, session, label_id)
