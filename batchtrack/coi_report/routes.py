"""API: the chain-of-identity report of a therapy (JSON and PDF), and a product bag as FHIR R5."""

from __future__ import annotations

import gettext
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from batchtrack.audit import anchoring
from batchtrack.auth.principal import Principal
from batchtrack.coi_report import assemble, fhir, pdf, schemas
from batchtrack.coi_report.record import CoiReport
from batchtrack.config import Settings
from batchtrack.i18n.text import ENGLISH
from batchtrack.models.base import utcnow
from batchtrack.therapies import service as therapy_service
from batchtrack.web.deps import ANY_ROLE, AnchorDep, SessionDep, SettingsDep
from batchtrack.web.rendering import translations_of
from batchtrack.web.validation import MAX_DB_INT, CoiPath

router = APIRouter(tags=["chain of identity"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]
ContainerIdPath = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="container id")]
PDF_MEDIA_TYPE = "application/pdf"
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF_MEDIA_TYPE: {}}, "description": "The chain-of-identity report as a PDF file"},
}
FHIR_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {fhir.FHIR_MEDIA_TYPE: {"schema": {"type": "object"}}},
          "description": "A FHIR R5 BiologicallyDerivedProduct resource"},
}


def report_for(*, session: Session, settings: Settings, coi: str, viewer: Principal) -> CoiReport:
    """The assembled report of the therapy with this COI identifier, as `viewer` may see it; NotFound if unknown."""
    therapy = therapy_service.get_by_coi(session=session, coi=coi)
    return assemble.assemble(session=session, therapy=therapy, viewer=viewer,
                             display_timezone=settings.display_timezone)


def pdf_response(report: CoiReport, anchor: anchoring.Anchor,
                 translations: gettext.NullTranslations = ENGLISH) -> Response:
    """The report as a PDF file download named after the therapy's COI identifier, with its audit checkpoint, in
    the language of `translations`."""
    document = pdf.render_pdf(report, audit_anchor=anchor.for_printout().text(), translations=translations)
    return Response(document, media_type=PDF_MEDIA_TYPE, headers={
        "content-disposition": f'attachment; filename="{report.therapy.coi}-coi-report.pdf"'})


@router.get("/therapies/{coi}/report")
def get_coi_report(coi: CoiPath, session: SessionDep, settings: SettingsDep, viewer: Reader) -> schemas.CoiReportPublic:
    """The therapy's chain of identity: identifiers with check characters, hand-overs, labels, signatures,
    deviations, bedside checks and infusions, and every event in time order (patient identity for clinical
    roles only)."""
    return schemas.CoiReportPublic.of(report_for(session=session, settings=settings, coi=coi, viewer=viewer))


@router.get("/therapies/{coi}/report.pdf", response_class=Response, responses=PDF_RESPONSE)
def get_coi_report_pdf(request: Request, coi: CoiPath, session: SessionDep, settings: SettingsDep,
                       anchor: AnchorDep, viewer: Reader) -> Response:
    """The therapy's chain-of-identity report as a PDF printout (the COI identifier, page count and the audit
    trail's checkpoint on each page), in the language the request asks for."""
    return pdf_response(report_for(session=session, settings=settings, coi=coi, viewer=viewer), anchor,
                        translations_of(request))


@router.get("/containers/{container_id}/fhir", response_class=JSONResponse, responses=FHIR_RESPONSE)
def get_container_fhir(
    container_id: ContainerIdPath, session: SessionDep, settings: SettingsDep, _viewer: Reader
) -> Response:
    """A final product bag as a FHIR R5 BiologicallyDerivedProduct (DIN, product code, division, COI identifier;
    no patient identity)."""
    product = fhir.product_facts(session=session, container_id=container_id)
    resource = fhir.biologically_derived_product(product=product, facility_name=settings.facility_name,
                                                 product_description=settings.product_description, now=utcnow())
    return JSONResponse(resource, media_type=fhir.FHIR_MEDIA_TYPE)
