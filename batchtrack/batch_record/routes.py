"""API: the batch record of a lot, as JSON and as a PDF printout."""

from __future__ import annotations

import gettext
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from batchtrack.audit import anchoring
from batchtrack.auth.principal import Principal
from batchtrack.batch_record import assemble, pdf, schemas
from batchtrack.batch_record.record import BatchRecord
from batchtrack.config import Settings
from batchtrack.i18n.text import ENGLISH
from batchtrack.lots import service as lot_service
from batchtrack.web.deps import ANY_ROLE, AnchorDep, SessionDep, SettingsDep
from batchtrack.web.rendering import translations_of
from batchtrack.web.validation import DinPath

router = APIRouter(tags=["batch record"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]
PDF_MEDIA_TYPE = "application/pdf"
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF_MEDIA_TYPE: {}}, "description": "The batch record as a PDF file"},
}


def record_for(*, session: Session, settings: Settings, din: str) -> BatchRecord:
    """The assembled batch record of the lot with this DIN; NotFound for an unknown lot."""
    lot = lot_service.get_by_din(session=session, din=din)
    return assemble.assemble(session=session, lot=lot, display_timezone=settings.display_timezone)


def pdf_response(record: BatchRecord, anchor: anchoring.Anchor,
                 translations: gettext.NullTranslations = ENGLISH) -> Response:
    """The record as a PDF file download named after the lot's DIN, carrying the audit checkpoint it is under."""
    document = pdf.render_pdf(record, audit_anchor=anchor.for_printout().text(), translations=translations)
    return Response(document, media_type=PDF_MEDIA_TYPE, headers={
        "content-disposition": f'attachment; filename="{record.header.din}-batch-record.pdf"'})


@router.get("/lots/{din}/batch-record")
def get_batch_record(
    din: DinPath, session: SessionDep, settings: SettingsDep, _viewer: Reader
) -> schemas.BatchRecordPublic:
    """The lot's batch record: steps, values with every correction, signatures, deviations and growth curve."""
    return schemas.BatchRecordPublic.of(record_for(session=session, settings=settings, din=din))


@router.get("/lots/{din}/batch-record.pdf", response_class=Response, responses=PDF_RESPONSE)
def get_batch_record_pdf(request: Request, din: DinPath, session: SessionDep, settings: SettingsDep,
                         anchor: AnchorDep, _viewer: Reader) -> Response:
    """The lot's batch record as a PDF printout (every page names the lot, counts the pages and carries the audit
    trail's checkpoint), in the language the request asks for."""
    return pdf_response(record_for(session=session, settings=settings, din=din), anchor, translations_of(request))
