"""API: therapies (the COI records). A therapy is opened by a signed eligibility assessment (enrolment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from batchtrack.auth.principal import Principal
from batchtrack.therapies import schemas
from batchtrack.therapies import service as therapy_service
from batchtrack.web.deps import ANY_ROLE, SessionDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.validation import CoiPath

router = APIRouter(prefix="/therapies", tags=["therapies"])
Reader = Annotated[Principal, Depends(ANY_ROLE)]


@router.get("")
def list_therapies(session: SessionDep, viewer: Reader, page: PageDep) -> schemas.TherapyPage:
    """List therapies, newest first."""
    rows, total = therapy_service.list_therapies(session=session, offset=page.offset, limit=page.limit)
    items = [therapy_service.to_public(session=session, therapy=t, viewer=viewer) for t in rows]
    return schemas.TherapyPage(items=items, total=total, offset=page.offset, limit=page.limit)


@router.get("/{coi}")
def get_therapy(
    coi: CoiPath, session: SessionDep, viewer: Reader
) -> schemas.TherapyWithIdentity | schemas.TherapyPublic:
    """One therapy by COI identifier (patient identity only for clinical roles)."""
    therapy = therapy_service.get_by_coi(session=session, coi=coi)
    return therapy_service.to_public(session=session, therapy=therapy, viewer=viewer)
