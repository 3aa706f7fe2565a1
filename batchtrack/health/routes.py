"""Health checks, public: liveness (the process answers) and readiness (the database answers, its schema current).

A supervisor restarts a server that is not alive; a proxy or load balancer sends requests only to a server that is
ready. Liveness never touches the database: a database that is down makes every server unready, and restarting them
all would not bring it back. `/health` is kept as it was (readiness), for the installations that already probe it.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from batchtrack import migrate
from batchtrack.db import Database

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


def _readiness(request: Request) -> JSONResponse:
    database: Database = request.app.state.db
    try:
        current = migrate.current_revision(database.engine) == migrate.shipped_head()
    except SQLAlchemyError as exc:
        # One line, no traceback: a probe every few seconds during an outage would otherwise flood the log.
        log.error("readiness: the database does not answer: %s", type(exc).__name__)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not current:
        return JSONResponse({"status": "schema out of date", "database": "ok"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is current; 503 otherwise (the same as /health/ready)."""
    return _readiness(request)


@router.get("/health/ready")
def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when the database answers and its schema is current; 503 with the reason otherwise."""
    return _readiness(request)


@router.get("/health/live")
async def live() -> JSONResponse:
    """Liveness: 200 whenever the process answers at all; reads nothing (no database, no thread)."""
    return JSONResponse({"status": "alive"})
