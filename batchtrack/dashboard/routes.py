"""API: the dashboard's alerts that are not about a lot (account lockouts), and search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from batchtrack.auth.principal import Principal
from batchtrack.dashboard import lockouts, schemas, search
from batchtrack.errors import BadRequest, NotFound
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep

router = APIRouter(tags=["alerts"])
LockoutViewer = Annotated[Principal, Depends(Allow(*lockouts.VIEWERS))]
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
# The page each kind of hit leads to, and its path parameter.
_PAGES = {"lot": ("lot_page", "din"), "therapy": ("therapy_page", "coi"), "subject": ("subject_page", "subject_code")}


@router.get("/alerts/lockouts")
def list_lockouts(session: SessionDep, viewer: LockoutViewer) -> list[schemas.LockoutPublic]:
    """The newest account lockouts (failed sign-ins and failed signatures count together), whether still locked."""
    return lockouts.recent(session=session)


@router.get("/search", tags=["search"])
def search_records(
    request: Request, session: SessionDep, viewer: Viewer, q: Annotated[str, Query(max_length=200)] = "",
) -> schemas.SearchHit:
    """What a typed or scanned identifier names (a name too, for roles that see patient identity), as the search
    box finds it; 404 with the reason when nothing matches."""
    hit = search.find(session=session, query=q, sees_identity=viewer.sees_patient_identity)
    if hit.kind == "none":
        if not q.strip():
            raise BadRequest(hit.message, code="search.empty")
        raise NotFound(hit.message, code="search.nothing_found")
    if hit.kind == "subjects":
        page = request.url_for("subjects").include_query_params(name=hit.key)
    else:
        name, parameter = _PAGES[hit.kind]
        page = request.url_for(name, **{parameter: hit.key})
    return schemas.SearchHit(kind=hit.kind, key=hit.key, page=page.path + (f"?{page.query}" if page.query else ""))
