"""Pages: the scan station, built for a keyboard-wedge scanner (one field, Enter submits)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest, Reason
from batchtrack.i18n.text import _
from batchtrack.scanning import expectations, schemas
from batchtrack.scanning import service as scan_service
from batchtrack.web.deps import ANY_ROLE, DatabaseDep, SettingsDep
from batchtrack.web.rendering import render, translations_of

router = APIRouter(include_in_schema=False)
Scanner = Annotated[Principal, Depends(ANY_ROLE)]
# The kinds a station may expect, in the order offered, with their names for people.
KIND_NAMES = {kind: expectations.KIND_NAMES[kind]
              for kind in ("aspirate_bag", "culture_vessel", "qc_sample", "final_product")}


def _expectation(lot: str, kind: str) -> schemas.Expectation:
    try:
        return schemas.Expectation(lot_din=lot or None, container_kinds=[kind] if kind else None)
    except ValidationError as exc:
        raise BadRequest(_("the station is set up with an invalid lot or container kind"),
                         reasons=[Reason("station.setup", str(e["msg"])) for e in exc.errors()]) from exc


@router.get("/station", name="station")
def station(
    request: Request, viewer: Scanner,
    station: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9 ._:-]*$")] = "",
    lot: Annotated[str, Query(max_length=13)] = "", kind: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The scan station: say what is expected here, then scan."""
    _expectation(lot, kind)
    return render(request, "scanning/station.html", {
        "station": station or f"web-{viewer.username}", "lot": lot, "kind": kind, "kinds": KIND_NAMES,
        "verdict": None,
    }, principal=viewer)


@router.post("/station")
def scan_at_station(
    request: Request, database: DatabaseDep, settings: SettingsDep, actor: Scanner,
    raw: Annotated[str, Form(max_length=100_000)] = "",
    station: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9 ._:-]+$")] = "web",
    lot: Annotated[str, Form(max_length=13)] = "", kind: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Judge the scan and show a large green or red verdict, with the field ready for the next scan."""
    data = schemas.ScanRequest(raw=raw, station=station, expect=_expectation(lot, kind))
    result = scan_service.verify(database=database, actor=actor, request=data, zone=settings.zone)
    return render(request, "scanning/station.html", {
        "station": station, "lot": lot, "kind": kind, "kinds": KIND_NAMES,
        "verdict": result.as_dict(translations_of(request, actor)),
    }, principal=actor, status_code=200)
