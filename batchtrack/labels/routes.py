"""API: label print control (print, reprint, void, destroy, apply with a verifying scan, reconciliation)."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from batchtrack.auth.principal import Principal
from batchtrack.labels import schemas
from batchtrack.labels import service as label_service
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep, SettingsDep
from batchtrack.web.rendering import translations_of
from batchtrack.web.validation import MAX_DB_INT, DinPath

router = APIRouter(tags=["labels"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]
# Collectors label aspirate bags, operators everything else; the service checks the kind.
Labeller = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.COLLECTOR))]
Closer = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.COLLECTOR, Role.QA))]
LabelId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="label id")]


@router.post("/lots/{din}/labels", status_code=201)
def print_labels(
    din: DinPath, data: schemas.PrintRequest, session: SessionDep, settings: SettingsDep, actor: Labeller
) -> schemas.PrintResult:
    """Print labels for containers of the lot; returns the output, or sends ZPL to the printer named.

    Before the lot is opened, `din` may name the collection: the collector labels its aspirate bag.
    """
    outcome = label_service.print_labels(session=session, settings=settings, actor=actor, din=din, data=data)
    return schemas.PrintResult(
        job=label_service.job_public(session=session, outcome=outcome, din=din), sent_to=outcome.sent_to,
        documents=[schemas.LabelDocument(filename=d.filename, media_type=d.media_type,
                                         content_base64=base64.b64encode(d.data).decode("ascii"))
                   for d in outcome.documents],
    )


@router.get("/lots/{din}/labels")
def list_labels(din: DinPath, session: SessionDep, _viewer: Reader) -> list[schemas.LabelPublic]:
    """Every label printed for the lot's containers, oldest first."""
    lot = lot_service.get_by_din(session=session, din=din)
    return label_service.labels_public(session=session, rows=label_service.labels_of_lot(session=session, lot=lot))


@router.get("/lots/{din}/labels/reconciliation")
def get_reconciliation(
    din: DinPath, request: Request, session: SessionDep, viewer: Reader
) -> schemas.ReconciliationPublic:
    """Printed = applied + voided + destroyed? With the outstanding and unverified labels named."""
    lot = lot_service.get_by_din(session=session, din=din)
    return schemas.ReconciliationPublic.of(lot.din, label_service.reconcile(session=session, lot=lot),
                                           translations_of(request, viewer))


@router.get("/labels/{label_id}")
def get_label(label_id: LabelId, session: SessionDep, _viewer: Reader) -> schemas.LabelPublic:
    """One label, with the exact data its barcodes encode and where it ended."""
    return label_service.label_by_id_public(session=session, label_id=label_id)


@router.post("/labels/{label_id}/apply")
def apply_label(
    label_id: LabelId, data: schemas.ApplyRequest, session: SessionDep, settings: SettingsDep, actor: Labeller
) -> schemas.LabelPublic:
    """Mark a label applied: the scan must be this label's own data and name its own container (409 if not)."""
    label_service.apply_label(session=session, actor=actor, label_id=label_id, scan=data.scan, zone=settings.zone)
    return label_service.label_by_id_public(session=session, label_id=label_id)


@router.post("/labels/{label_id}/void")
def void_label(label_id: LabelId, data: schemas.LabelClose, session: SessionDep, actor: Closer) -> schemas.LabelPublic:
    """Void a printed or applied label (misprint, damaged, superseded); the reason is required."""
    label_service.close_label(session=session, actor=actor, label_id=label_id, status="voided", reason=data.reason)
    return label_service.label_by_id_public(session=session, label_id=label_id)


@router.post("/labels/{label_id}/destroy")
def destroy_label(
    label_id: LabelId, data: schemas.LabelClose, session: SessionDep, actor: Closer
) -> schemas.LabelPublic:
    """Record a printed or applied label as destroyed; the reason is required."""
    label_service.close_label(session=session, actor=actor, label_id=label_id, status="destroyed",
                              reason=data.reason)
    return label_service.label_by_id_public(session=session, label_id=label_id)
