"""Pages: the chain-of-identity report of a therapy, and its PDF printout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from batchtrack.auth.principal import Principal
from batchtrack.batch_record import formatting
from batchtrack.coi_report import events
from batchtrack.coi_report.routes import pdf_response, report_for
from batchtrack.people import names
from batchtrack.web.deps import ANY_ROLE, AnchorDep, SessionDep, SettingsDep
from batchtrack.web.rendering import render, translations_of
from batchtrack.web.validation import CoiPath

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]


@router.get("/therapies/{coi}/report", name="coi_report_page")
def coi_report_page(
    coi: CoiPath, request: Request, session: SessionDep, settings: SettingsDep, viewer: Viewer
) -> Response:
    """The identifier tables and the time-ordered events of the therapy (patient name for clinical roles only)."""
    report = report_for(session=session, settings=settings, coi=coi, viewer=viewer)
    return render(request, "coi_report/report.html", {
        "report": report, "fmt": formatting, "temperature": events.temperature,
        # A name in Hangul is marked as Korean, so that a screen reader reads it as such on an English page too.
        "name_is_hangul": names.is_hangul(report.recipient.name or ""),
    }, principal=viewer)


@router.get("/therapies/{coi}/report.pdf", name="coi_report_pdf")
def coi_report_pdf(request: Request, coi: CoiPath, session: SessionDep, settings: SettingsDep, anchor: AnchorDep,
                   viewer: Viewer) -> Response:
    """The chain-of-identity report as a PDF printout, downloaded from the page, in the page's language."""
    return pdf_response(report_for(session=session, settings=settings, coi=coi, viewer=viewer), anchor,
                        translations_of(request, viewer))
