"""API: the dashboard's alerts that are not about a lot (account lockouts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from batchtrack.auth.principal import Principal
from batchtrack.dashboard import lockouts, schemas
from batchtrack.web.deps import Allow, SessionDep

router = APIRouter(tags=["alerts"])
LockoutViewer = Annotated[Principal, Depends(Allow(*lockouts.VIEWERS))]


@router.get("/alerts/lockouts")
def list_lockouts(session: SessionDep, viewer: LockoutViewer) -> list[schemas.LockoutPublic]:
    """The newest account lockouts (failed sign-ins and failed signatures count together), whether still locked."""
    return lockouts.recent(session=session)
