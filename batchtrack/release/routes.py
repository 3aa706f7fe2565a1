"""API: the QA release of a lot, its co-signatures, the certificate of analysis and clinic alerts."""

from __future__ import annotations

import gettext
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from batchtrack.audit import anchoring
from batchtrack.auth.principal import Principal
from batchtrack.i18n.text import ENGLISH
from batchtrack.lots import service as lot_service
from batchtrack.release import alerts as release_alerts
from batchtrack.release import certificate, schemas
from batchtrack.release import service as release_service
from batchtrack.web.deps import ANY_ROLE, Allow, AnchorDep, SessionDep, SettingsDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.rendering import translations_of
from batchtrack.web.validation import MAX_DB_INT, DinPath

router = APIRouter(tags=["release"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]
ChecklistReader = Annotated[Principal, Depends(Allow(*release_service.READERS))]
Quality = Annotated[Principal, Depends(Allow(*release_service.RELEASERS))]
CoSigner = Annotated[Principal, Depends(Allow(*release_service.CO_SIGNERS))]
Acknowledger = Annotated[Principal, Depends(Allow(*release_alerts.ACKNOWLEDGERS))]
AlertPath = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="alert id")]
PDF_MEDIA_TYPE = "application/pdf"
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF_MEDIA_TYPE: {}}, "description": "The certificate of analysis as a PDF file"},
}


def pdf_response(cert: schemas.CertificatePublic, anchor: anchoring.Anchor,
                 translations: gettext.NullTranslations = ENGLISH, *, display_timezone: str = "UTC") -> Response:
    """The certificate as a PDF file download named after the lot's DIN, with its audit checkpoint, times in the
    site's zone."""
    document = certificate.render_pdf(cert, audit_anchor=anchor.for_printout().text(), translations=translations,
                                      display_timezone=display_timezone)
    return Response(document, media_type=PDF_MEDIA_TYPE, headers={
        "content-disposition": f'attachment; filename="{cert.din}-certificate-of-analysis.pdf"'})


@router.get("/lots/{din}/release")
def get_release(din: DinPath, request: Request, session: SessionDep, viewer: ChecklistReader) -> schemas.ReleaseSummary:
    """What the release gate sees for the lot and the caller, with every unmet condition of each release path."""
    lot = lot_service.get_by_din(session=session, din=din)
    return release_service.summary(session=session, lot=lot, actor=viewer,
                                   translations=translations_of(request, viewer), zone=request.app.state.settings.zone)


@router.post("/lots/{din}/release")
def release_lot(din: DinPath, data: schemas.ReleaseRequest, session: SessionDep, settings: SettingsDep,
                actor: Quality) -> schemas.DecisionOut:
    """Release the lot (or release it pending sterility) with QA's signature; 409 with every unmet condition."""
    release_service.release(session=session, actor=actor, din=din, username=data.username, password=data.password,
                            pending_sterility=data.pending_sterility, zone=settings.zone)
    return _decision(session, din)


@router.post("/lots/{din}/reject")
def reject_lot(din: DinPath, data: schemas.RejectRequest, session: SessionDep, settings: SettingsDep,
               actor: Quality) -> schemas.DecisionOut:
    """Reject the lot with QA's signature and the reason."""
    release_service.reject(session=session, actor=actor, din=din, username=data.username, password=data.password,
                           reason=data.reason, zone=settings.zone)
    return _decision(session, din)


def _decision(session: Session, din: str) -> schemas.DecisionOut:
    decision = release_service.decision_public(session=session, lot=lot_service.get_by_din(session=session, din=din))
    assert decision is not None
    return decision


@router.post("/lots/{din}/release/co-signatures", status_code=201)
def co_sign(din: DinPath, data: schemas.CoSignRequest, session: SessionDep,
            actor: CoSigner) -> list[schemas.CoSignatureOut]:
    """Co-sign the lot's release pending sterility (medical director; treating physician, an investigator)."""
    release_service.co_sign(session=session, actor=actor, din=din, role=data.role, username=data.username,
                            password=data.password)
    return release_service.co_signatures(session=session, lot=lot_service.get_by_din(session=session, din=din))


@router.get("/lots/{din}/certificate")
def get_certificate(din: DinPath, session: SessionDep, _viewer: Reader) -> schemas.CertificatePublic:
    """The certificate of analysis of a lot QA has decided on (404 before the decision)."""
    return release_service.certificate(session=session, din=din)


@router.get("/lots/{din}/certificate.pdf", response_class=Response, responses=PDF_RESPONSE)
def get_certificate_pdf(request: Request, din: DinPath, session: SessionDep, settings: SettingsDep, anchor: AnchorDep,
                        _viewer: Reader) -> Response:
    """The certificate of analysis as a PDF document, carrying the audit trail's checkpoint, in the language the
    request asks for and the site's time zone."""
    return pdf_response(release_service.certificate(session=session, din=din), anchor, translations_of(request),
                        display_timezone=settings.display_timezone)


@router.get("/alerts")
def list_alerts(
    session: SessionDep, _viewer: Reader, page: PageDep,
    open_only: Annotated[bool, Query(description="only alerts not yet acknowledged")] = False,
) -> list[schemas.AlertPublic]:
    """Alerts to the clinic, unacknowledged ones first, newest first."""
    rows = release_alerts.alerts(session=session, open_only=open_only, offset=page.offset, limit=page.limit)
    return release_alerts.alerts_public(session=session, rows=rows)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(alert_id: AlertPath, session: SessionDep, actor: Acknowledger) -> schemas.AlertPublic:
    """Acknowledge an alert (investigator, nurse or QA); once per alert."""
    alert = release_alerts.acknowledge_alert(session=session, actor=actor, alert_id=alert_id)
    return release_alerts.alerts_public(session=session, rows=[alert])[0]
