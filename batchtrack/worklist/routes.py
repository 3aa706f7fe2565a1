"""API: the signed-in user's work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from batchtrack.auth.principal import Principal
from batchtrack.web.deps import ANY_ROLE, SessionDep, SettingsDep
from batchtrack.worklist import rules, schemas
from batchtrack.worklist import service as worklist_service

router = APIRouter(tags=["worklist"])
Viewer = Annotated[Principal, Depends(ANY_ROLE)]


def link_path(request: Request, link: rules.Link) -> str:
    """The path of the page a link names, with its query."""
    url = request.url_for(link.page, **dict(link.params))
    if link.query:
        url = url.include_query_params(**dict(link.query))
    return url.path + (f"?{url.query}" if url.query else "")


@router.get("/me/worklist")
def my_worklist(request: Request, session: SessionDep, settings: SettingsDep, viewer: Viewer
                ) -> schemas.WorklistPublic:
    """What is due for the signed-in user's roles: each item with the page where it is done, its due time in UTC
    and in the site's time with a countdown, and why it cannot be done yet."""
    worklist = worklist_service.worklist(session=session, viewer=viewer, zone=settings.zone)
    return schemas.worklist_public(worklist, roles=sorted(r.value for r in viewer.roles),
                                   link_of=lambda link: link_path(request, link), zone=settings.zone,
                                   zone_name=settings.display_timezone)
