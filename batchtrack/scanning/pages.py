"""Pages: the scan station, built for a keyboard-wedge scanner (one field, Enter submits).

A STOP stays on the station until a person acknowledges it with the button beside it: a scan sent meanwhile (the
scanner's characters and its Enter) is not taken, and the STOP is shown again. Without JavaScript every step is a
form; with it (static/station.js) the scan is sent in place and a cue is sounded for the verdict.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest, Conflict, Reason
from batchtrack.i18n import moments
from batchtrack.i18n.text import _
from batchtrack.scanning import expectations, schemas, stops
from batchtrack.scanning import service as scan_service
from batchtrack.web.deps import ANY_ROLE, DatabaseDep, SettingsDep
from batchtrack.web.rendering import render, translations_of

router = APIRouter(include_in_schema=False)
Scanner = Annotated[Principal, Depends(ANY_ROLE)]
StationField = Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9 ._:-]+$")]
# The kinds a station may expect, in the order offered, with their names for people.
KIND_NAMES = {kind: expectations.KIND_NAMES[kind]
              for kind in ("aspirate_bag", "culture_vessel", "qc_sample", "final_product")}


def _expectation(lot: str, kind: str) -> schemas.Expectation:
    try:
        return schemas.Expectation(lot_din=lot or None, container_kinds=[kind] if kind else None)
    except ValidationError as exc:
        raise BadRequest(_("the station is set up with an invalid lot or container kind"),
                         reasons=[Reason("station.setup", str(e["msg"])) for e in exc.errors()]) from exc


def _pending_shown(pending: stops.PendingStop, request: Request, actor: Principal, zone: tzinfo) -> dict[str, Any]:
    # A pending STOP as the page shows it: its reasons in the reader's language, who scanned and when.
    translations = translations_of(request, actor)
    return {"seq": pending.refusal_seq, "reasons": [reason.as_dict(translations) for reason in pending.reasons],
            "raw_escaped": pending.raw_escaped, "by": pending.actor_name,
            "at": moments.minute(pending.occurred_at, zone)}


def _page(request: Request, actor: Principal, *, station: str, lot: str, kind: str,
          status_code: int = 200, **shown: Any) -> Response:
    context = {"station": station, "lot": lot, "kind": kind, "kinds": KIND_NAMES, "verdict": None, "pending": None,
               "not_taken": False, "acknowledged": None, "refusal": None, **shown}
    return render(request, "scanning/station.html", context, principal=actor, status_code=status_code)


def _pending(database: DatabaseDep, station: str) -> stops.PendingStop | None:
    with database.transaction(write=False) as session:
        return scan_service.pending_stop(session=session, station=station)


@router.get("/station", name="station")
def station(
    request: Request, database: DatabaseDep, settings: SettingsDep, viewer: Scanner,
    station: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9 ._:-]*$")] = "",
    lot: Annotated[str, Query(max_length=13)] = "", kind: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The scan station: say what is expected here, then scan; a STOP not yet acknowledged is shown first."""
    _expectation(lot, kind)
    station = station or f"web-{viewer.username}"
    pending = _pending(database, station)
    return _page(request, viewer, station=station, lot=lot, kind=kind,
                 pending=None if pending is None else _pending_shown(pending, request, viewer, settings.zone))


@router.post("/station")
def scan_at_station(
    request: Request, database: DatabaseDep, settings: SettingsDep, actor: Scanner,
    raw: Annotated[str, Form(max_length=100_000)] = "", station: StationField = "web",
    lot: Annotated[str, Form(max_length=13)] = "", kind: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Judge the scan and show a large verdict, with the field ready for the next scan; while a STOP is not
    acknowledged, the scan is not taken (409) and the STOP is shown again."""
    data = schemas.ScanRequest(raw=raw, station=station, expect=_expectation(lot, kind))
    pending = _pending(database, station)
    if pending is not None:
        return _page(request, actor, station=station, lot=lot, kind=kind, not_taken=True, status_code=409,
                     pending=_pending_shown(pending, request, actor, settings.zone))
    result = scan_service.verify(database=database, actor=actor, request=data, zone=settings.zone)
    pending = None if result.ok else _pending(database, station)
    return _page(request, actor, station=station, lot=lot, kind=kind,
                 verdict=result.as_dict(translations_of(request, actor)),
                 pending=None if pending is None else _pending_shown(pending, request, actor, settings.zone))


@router.post("/station/acknowledge", name="station_acknowledge")
def acknowledge_stop(
    request: Request, database: DatabaseDep, settings: SettingsDep, actor: Scanner,
    refusal: Annotated[int, Form(ge=1)], station: StationField = "web",
    lot: Annotated[str, Form(max_length=13)] = "", kind: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Record that the signed-in person saw the STOP shown (audited, with who and when); the station then takes
    the next scan."""
    _expectation(lot, kind)
    try:
        with database.transaction(write=True) as session:
            done = scan_service.acknowledge_stop(session=session, actor=actor, station=station, refusal_seq=refusal)
    except Conflict as refused:
        pending = _pending(database, station)
        return _page(request, actor, station=station, lot=lot, kind=kind, status_code=409,
                     refusal=refused.as_dict(translations_of(request, actor)),
                     pending=None if pending is None else _pending_shown(pending, request, actor, settings.zone))
    pending = _pending(database, station)  # a STOP recorded there since the one acknowledged
    return _page(request, actor, station=station, lot=lot, kind=kind,
                 acknowledged={"by": done.actor_name, "at": moments.minute(done.occurred_at, settings.zone)},
                 pending=None if pending is None else _pending_shown(pending, request, actor, settings.zone))
