"""API: scan verification, the one pipeline every station and handheld uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from batchtrack.auth.principal import Principal
from batchtrack.deps import ANY_ROLE, DatabaseDep
from batchtrack.scanning import schemas
from batchtrack.scanning import service as scan_service

router = APIRouter(prefix="/scans", tags=["scanning"])
Scanner = Annotated[Principal, Depends(ANY_ROLE)]


@router.post("")
async def verify_scan(data: schemas.ScanRequest, database: DatabaseDep, actor: Scanner) -> schemas.VerdictOut:
    """Judge a scan against what the station expects: ok, or every reason to stop (refusals are audited)."""
    # The hot path of every station: all its database work in one worker-thread hop (each hop costs about as
    # much as the queries themselves), with a read session of its own.
    result = await run_in_threadpool(scan_service.verify, database=database, actor=actor,
                                     request=data)
    return schemas.VerdictOut.model_validate(result.as_dict())
