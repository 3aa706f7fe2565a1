"""API: scan verification, the one pipeline every station and handheld uses."""

from __future__ import annotations

import asyncio
from typing import Annotated

from anyio import CancelScope
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic_core import to_json

from batchtrack.db import Database
from batchtrack.deps import AllowInRoute, Credentials
from batchtrack.models.user import Role
from batchtrack.scanning import judging, schemas

router = APIRouter(prefix="/scans", tags=["scanning"])
Scanner = Annotated[Credentials, Depends(AllowInRoute(*Role))]


@router.post("", response_model=schemas.VerdictOut, openapi_extra=schemas.SCAN_REQUEST_OPENAPI)
async def verify_scan(request: Request, credentials: Scanner) -> Response:
    """Judge a scan against what the station expects: ok, or every reason to stop (refusals are audited)."""
    # The hot path of every station: the caller's credentials and the scan are checked against the database in
    # one worker-thread hop and one read transaction, a refusal recorded before the answer (see judging). The body
    # is read here and validated there, after the credentials (a caller who is not allowed learns nothing of it).
    database: Database = request.app.state.db
    body, content_type = await request.body(), request.headers.get("content-type")
    # Once handed over, a scan runs to the end whatever becomes of the request: a refusal judged is recorded.
    with CancelScope(shield=True):
        result = await asyncio.wrap_future(judging.judged_and_recorded(database, credentials, body, content_type))
    return Response(to_json(result.as_dict()), media_type="application/json")
