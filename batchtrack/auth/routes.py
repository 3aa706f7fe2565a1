"""API: the caller's identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from batchtrack.auth import schemas
from batchtrack.auth.principal import Principal
from batchtrack.web.deps import ANY_ROLE

router = APIRouter(tags=["auth"])


@router.get("/me")
def who_am_i(principal: Annotated[Principal, Depends(ANY_ROLE)]) -> schemas.Me:
    """The authenticated user, their roles, and whether they see patient identity."""
    return schemas.Me(username=principal.username, full_name=principal.full_name,
                      roles=sorted(r.value for r in principal.roles),
                      sees_patient_identity=principal.sees_patient_identity)
