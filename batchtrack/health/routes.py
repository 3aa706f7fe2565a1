"""Health check: public, tells whether the database answers and the schema is current."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from batchtrack import migrate
from batchtrack.db import Database

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is current; 503 otherwise."""
    database: Database = request.app.state.db
    try:
        current = migrate.current_revision(database.engine) == migrate.shipped_head()
    except SQLAlchemyError:
        log.exception("health check: the database does not answer")
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not current:
        return JSONResponse({"status": "schema out of date", "database": "ok"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
