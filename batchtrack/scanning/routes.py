"""API: scan verification, the one pipeline every station and handheld uses."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import Future
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic_core import to_json

from batchtrack.db import Database
from batchtrack.i18n.text import ENGLISH
from batchtrack.models.user import Role
from batchtrack.scanning import judging, schemas
from batchtrack.web.deps import AllowInRoute, Credentials
from batchtrack.web.rendering import translations_of

router = APIRouter(prefix="/scans", tags=["scanning"])
T = TypeVar("T")
Scanner = Annotated[Credentials, Depends(AllowInRoute(*Role))]


@router.post("", response_model=schemas.VerdictOut, openapi_extra=schemas.SCAN_REQUEST_OPENAPI)
async def verify_scan(request: Request, credentials: Scanner) -> Response:
    """Judge a scan against what the station expects: ok, or every reason to stop (refusals are audited), the
    reasons' messages in the request's language (their codes in every language the same)."""
    # The hot path of every station: the caller's credentials and the scan are checked against the database in
    # one worker-thread hop and one read transaction, a refusal recorded before the answer (see judging). The body
    # is read here and validated there, after the credentials (a caller who is not allowed learns nothing of it).
    database: Database = request.app.state.db
    body, content_type = await request.body(), request.headers.get("content-type")
    zone = request.app.state.settings.zone
    result = await _outcome(judging.judged_and_recorded(database, credentials, body, content_type, zone))
    # Only a refusal or an identification has messages to show: the request's language is looked up for them
    # alone, once the scan is judged.
    translations = ENGLISH if result.kind == "proceed" else translations_of(request)
    return Response(to_json(result.as_dict(translations)), media_type="application/json")


async def _outcome(future: Future[T]) -> T:
    """The outcome of work done in other threads, awaited on the event loop.

    Once handed over, a scan runs to the end whatever becomes of the request: a refusal judged is recorded. The
    request's cancellation (its client gone) leaves the work alone, unlike `asyncio.wrap_future`, which would try to
    cancel it; and it costs one hand-over to the event loop rather than wrap_future's two and a shielded scope's.
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[T] = loop.create_future()

    def settle(done: Future[T]) -> None:  # on the event loop
        if waiter.cancelled():
            return
        failure = done.exception()
        if failure is not None:
            waiter.set_exception(failure)
        else:
            waiter.set_result(done.result())

    def hand_over(done: Future[T]) -> None:  # in the thread that finished the work
        # When the event loop is closed (the server has stopped), no one is left to answer.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, done)

    future.add_done_callback(hand_over)
    return await waiter
