"""API: scan verification, the one pipeline every station and handheld uses."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from anyio import CancelScope
from fastapi import APIRouter, Body, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from batchtrack.auth.principal import Principal
from batchtrack.db import Database
from batchtrack.deps import AllowInRoute, Credentials
from batchtrack.models.user import Role
from batchtrack.scanning import schemas, verdict
from batchtrack.scanning import service as scan_service

router = APIRouter(prefix="/scans", tags=["scanning"])
Scanner = Annotated[Credentials, Depends(AllowInRoute(*Role))]

# Scans judged at once by one process; the others wait their turn in this pool's queue, holding neither a thread
# nor a connection (so the pool's sizing in db.py still holds). The work keeps the interpreter lock except during
# its database calls: more threads at it only hand that lock back and forth, each hand-over a thread switch, and
# under load those switches lengthened the slowest scans most. A pool of its own rather than a capacity limiter
# in front of the shared thread pool: the limiter and the shared pool each took their own turns of the event loop
# and their own bookkeeping, together about as much CPU as the scan's two queries.
SCANS_AT_ONCE = 2
_judges = ThreadPoolExecutor(max_workers=SCANS_AT_ONCE, thread_name_prefix="scan-judge")


@router.post("", response_model=schemas.VerdictOut, openapi_extra=schemas.SCAN_REQUEST_OPENAPI)
async def verify_scan(request: Request, credentials: Scanner, body: Annotated[Any, Body()] = None) -> Response:
    """Judge a scan against what the station expects: ok, or every reason to stop (refusals are audited)."""
    # The hot path of every station: the caller's credentials and the scan are checked against the database in
    # one worker-thread hop and one read transaction (each hop costs about as much as the queries themselves).
    database: Database = request.app.state.db
    sent = bool(await request.body())  # already read, and kept, by FastAPI
    # Once handed to the pool, a scan runs to the end whatever becomes of the request: a refusal judged is recorded.
    with CancelScope(shield=True):
        actor, data, result = await asyncio.wrap_future(_judges.submit(_judge, database, credentials, body, sent))
        if not result.ok:
            # In the shared pool: a refusal waiting for the write lock holds up no other station's scan. The read
            # connection is back in the pool before the refusal is written (see scan_service.verify).
            await run_in_threadpool(scan_service.record_refusal_alone, database=database, actor=actor,
                                    request=data, result=result)
    return Response(to_json(result.as_dict()), media_type="application/json")


def _judge(
    database: Database, credentials: Credentials, body: Any, sent: bool
) -> tuple[Principal, schemas.ScanRequest, verdict.Verdict]:
    # Who is asking first (401/403), then what they sent (422), then the verdict; as for every other route. All in
    # one read transaction on a plain connection: every statement here is a Core one, so no ORM session need be
    # set up and torn down (that cost more than the queries).
    with database.engine.begin() as connection:
        actor = credentials.check(connection)
        data = _scan_request(body, sent)
        return actor, data, scan_service.judge(session=connection, request=data)


def _scan_request(body: Any, sent: bool) -> schemas.ScanRequest:
    # The body as FastAPI would have validated it, with the same errors (located under "body").
    if not sent:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        return schemas.ScanRequest.model_validate(body, from_attributes=True)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)], body=body
        ) from None
