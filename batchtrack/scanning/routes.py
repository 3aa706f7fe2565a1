"""API: scan verification, the one pipeline every station and handheld uses."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import Future
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic_core import to_json

from batchtrack.auth.principal import Principal
from batchtrack.db import Database
from batchtrack.i18n.text import ENGLISH
from batchtrack.models.user import Role
from batchtrack.scanning import judging, schemas, stops
from batchtrack.scanning import service as scan_service
from batchtrack.web.deps import ANY_ROLE, AllowInRoute, Credentials, SessionDep
from batchtrack.web.rendering import translations_of

router = APIRouter(prefix="/scans", tags=["scanning"])
T = TypeVar("T")
Scanner = Annotated[Credentials, Depends(AllowInRoute(*Role))]
Person = Annotated[Principal, Depends(ANY_ROLE)]
StationPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 ._:-]+$")]


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


def _stop_public(request: Request, station: str, pending: stops.PendingStop | None) -> schemas.StationStopPublic:
    if pending is None:
        return schemas.StationStopPublic(station=station, pending=False)
    translations = translations_of(request)
    return schemas.StationStopPublic(
        station=station, pending=True, refusal_seq=pending.refusal_seq, occurred_at=pending.occurred_at,
        scanned_by=pending.actor_name, reasons=[reason.as_dict(translations) for reason in pending.reasons],
        raw_escaped=pending.raw_escaped)


@router.get("/stations/{station}/stop")
def station_stop(station: StationPath, request: Request, session: SessionDep, _viewer: Person
                 ) -> schemas.StationStopPublic:
    """The STOP at a station that no one has acknowledged yet, its reasons in the request's language."""
    return _stop_public(request, station, scan_service.pending_stop(session=session, station=station))


@router.post("/stations/{station}/stop/acknowledgement", status_code=201)
def acknowledge_station_stop(station: StationPath, data: schemas.AcknowledgementCreate, request: Request,
                             session: SessionDep, actor: Person) -> schemas.AcknowledgementPublic:
    """Acknowledge the STOP shown at a station (audited: who, when, what); 409 when it is unknown there or was
    acknowledged already."""
    done = scan_service.acknowledge_stop(session=session, actor=actor, station=station, refusal_seq=data.refusal_seq)
    return schemas.AcknowledgementPublic(
        station=station, refusal_seq=done.refusal_seq, acknowledged_by=done.actor_name,
        acknowledged_at=done.occurred_at,
        still_pending=_stop_public(request, station, scan_service.pending_stop(session=session, station=station)))


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
