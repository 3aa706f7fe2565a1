"""Pages: a therapy with its collections and lots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import col, select

from batchtrack.auth.principal import Principal
from batchtrack.collections import service as collection_service
from batchtrack.lots import service as lot_service
from batchtrack.models.lot import Lot
from batchtrack.therapies import journey, journey_rows, journey_svg
from batchtrack.therapies import service as therapy_service
from batchtrack.web.deps import ANY_ROLE, SessionDep
from batchtrack.web.rendering import render, translations_of
from batchtrack.web.validation import CoiPath

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]


@router.get("/therapies/{coi}", name="therapy_page")
def therapy_page(
    coi: CoiPath, request: Request, session: SessionDep,
    viewer: Viewer,
) -> Response:
    """The therapy (patient identity only for clinical roles), its collections and its lots."""
    therapy = therapy_service.get_by_coi(session=session, coi=coi)
    collections = collection_service.of_therapy(session=session, therapy=therapy)
    lots = session.execute(select(Lot).where(col(Lot.therapy_id) == therapy.id).order_by(col(Lot.id))).scalars()
    return render(request, "therapies/therapy.html", {
        "therapy": therapy_service.to_public(session=session, therapy=therapy, viewer=viewer),
        "collections": [collection_service.to_public(session=session, collection=c) for c in collections],
        "lots": [lot_service.to_public(session=session, lot=lot) for lot in lots],
    }, principal=viewer)


@router.get("/therapies/{coi}/journey", name="therapy_journey_page")
def therapy_journey_page(coi: CoiPath, request: Request, session: SessionDep, viewer: Viewer) -> Response:
    """The therapy from vein to vein: milestones against the protocol's limits, hand-over temperatures and the
    growth curve against the product's earlier lots, as charts and as tables."""
    therapy = therapy_service.get_by_coi(session=session, coi=coi)
    facts = journey.assemble(journey_rows.load(session=session, therapy=therapy))
    translations = translations_of(request, viewer)
    return render(request, "therapies/journey.html", {
        "therapy": therapy_service.to_public(session=session, therapy=therapy, viewer=viewer),
        "journey": facts,
        "temperature_svg": journey_svg.temperatures(facts.temperatures, facts.temperature_low_c,
                                                    facts.temperature_high_c, translations=translations),
        "growth_svg": journey_svg.growth(facts.growth, facts.band, translations=translations),
    }, principal=viewer)
