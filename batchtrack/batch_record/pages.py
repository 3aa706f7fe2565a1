"""Pages: the batch record of a lot, with its growth curve, and its PDF printout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from batchtrack.auth.principal import Principal
from batchtrack.batch_record import formatting, growth_svg
from batchtrack.batch_record.routes import pdf_response, record_for
from batchtrack.i18n import code_words
from batchtrack.i18n.text import _
from batchtrack.web.deps import ANY_ROLE, AnchorDep, SessionDep, SettingsDep
from batchtrack.web.rendering import render, translations_of
from batchtrack.web.validation import DinPath

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]


@router.get("/lots/{din}/batch-record", name="batch_record_page")
def batch_record_page(
    din: DinPath, request: Request, session: SessionDep, settings: SettingsDep, viewer: Viewer
) -> Response:
    """The whole batch record as tables, corrections shown old and new, with the growth curve."""
    record = record_for(session=session, settings=settings, din=din)
    titles = {step.code: step.title for step in record.steps}
    svg = growth_svg.render(record.growth, title=_("Growth curve of lot {din}", din=record.header.din), labels=titles,
                            translations=translations_of(request, viewer))
    return render(request, "batch_record/record.html", {
        "record": record, "svg": svg, "titles": titles, "fmt": formatting,
        "material_status": code_words.material_status,
    }, principal=viewer)


@router.get("/lots/{din}/batch-record.pdf", name="batch_record_pdf")
def batch_record_pdf(request: Request, din: DinPath, session: SessionDep, settings: SettingsDep,
                     anchor: AnchorDep, viewer: Viewer) -> Response:
    """The batch record as a PDF printout, downloaded from the page, in the page's language."""
    return pdf_response(record_for(session=session, settings=settings, din=din), anchor,
                        translations_of(request, viewer))
