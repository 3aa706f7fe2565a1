"""API: scan verification, the one pipeline every station and handheld uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from batchtrack.auth.principal import Principal
from batchtrack.deps import ANY_ROLE, DatabaseDep, ReadSessionDep
from batchtrack.scanning import schemas
from batchtrack.scanning import service as scan_service

router = APIRouter(prefix="/scans", tags=["scanning"])
Scanner = Annotated[Principal, Depends(ANY_ROLE)]


@router.post("")
def verify_scan(
    data: schemas.ScanRequest, session: ReadSessionDep, database: DatabaseDep, actor: Scanner
) -> schemas.VerdictOut:
    """Judge a scan against what the station expects: ok, or every reason to stop (refusals are audited)."""
    result = scan_service.verify(database=database, session=session, actor=actor, request=data)
    return schemas.VerdictOut.model_validate(result.as_dict())
