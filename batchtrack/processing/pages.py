"""Pages: the processing workstation, built for a keyboard-wedge scanner (one scan field, Enter submits).

Every action re-renders the workstation with a large verdict: green with what was recorded, or red with
every reason it was refused (the refusal is audited; nothing was changed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.datastructures import FormData
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.db import Database
from batchtrack.errors import BatchtrackError, Reason
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import Text, _
from batchtrack.lots import state_names
from batchtrack.models.user import Role
from batchtrack.processing import recording, schemas, views, workstations
from batchtrack.processing import service as step_service
from batchtrack.web.deps import ANY_ROLE, Allow, DatabaseDep, SettingsDep, run_audited
from batchtrack.web.rendering import form_data, render, translations_of
from batchtrack.web.validation import DinPath, SignerUserIdForm

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
Operator = Annotated[Principal, Depends(Allow(Role.OPERATOR))]
Reviewer = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.QA))]
Station = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
Step = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Form_ = Annotated[FormData, Depends(form_data)]


def _roles(principal: Principal) -> frozenset[str]:
    return frozenset(r.value for r in principal.roles)


def _page(request: Request, database: Database, principal: Principal, station: str,
          verdict: dict[str, Any] | None = None, status_code: int = 200, focus_step: str | None = None) -> Response:
    with database.transaction(write=False) as session:
        view = views.workstation(session=session, station=station, roles=_roles(principal))
        registered = workstations.is_registered(session=session, name=station)
    running = next((s for s in view.steps if s.state == "in_progress"), None)
    return render(request, "processing/workstation.html", {
        "station": station, "registered": registered, "view": view, "running": running, "verdict": verdict,
        "focus_step": focus_step,
        "lot_state_name": state_names.lot_state, "step_state_name": state_names.step_state,
    }, principal=principal, status_code=status_code)


def _verdict(request: Request, principal: Principal, *, ok: bool, message: Text,
             reasons: list[Reason] | None = None) -> dict[str, Any]:
    """The verdict box's content, already in the reader's language."""
    translations = translations_of(request, principal)
    return {"ok": ok, "message": message.shown_in(translations),
            "reasons": [r.as_dict(translations) for r in reasons or []]}


def _act(request: Request, database: Database, principal: Principal, station: str,
         work: Callable[[Session], Text]) -> Response:
    """Run one action in its own transaction and show its verdict on the workstation."""
    try:
        message = run_audited(database, work, settings=request.app.state.settings)
    except BatchtrackError as exc:
        verdict = _verdict(request, principal, ok=False, message=exc.text, reasons=exc.reasons)
        return _page(request, database, principal, station, verdict, status_code=exc.status_code)
    return _page(request, database, principal, station, _verdict(request, principal, ok=True, message=message))


def _invalid(request: Request, database: Database, principal: Principal, station: str,
             exc: ValidationError) -> Response:
    # Field paths and pydantic's own messages are shown as they are.
    reasons = [Reason("form_invalid", _("{field}: {problem}", field=".".join(str(p) for p in e["loc"]),
                                        problem=e["msg"])) for e in exc.errors()]
    return _page(request, database, principal, station,
                 _verdict(request, principal, ok=False, message=_("the form is not complete or not valid"),
                          reasons=reasons), 422)


def _not_a_number(request: Request, database: Database, principal: Principal, station: str,
                  message: Text) -> Response:
    return _page(request, database, principal, station, _verdict(request, principal, ok=False, message=message), 422)


@router.get("/processing", name="processing_start")
def choose_station(
    request: Request, database: DatabaseDep, viewer: Viewer,
    station: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response:
    """Choose the workstation this screen serves from those registered, or by scanning its cabinet's label."""
    with database.transaction(write=False) as session:
        refusal = None
        if station is not None:
            name, refusal = workstations.chosen(session=session, text=station)
            if name is not None:
                return RedirectResponse(request.url_for("workstation", station=name), status_code=303)
        choices = workstations.registered(session=session)
    return render(request, "processing/choose.html", {"choices": choices, "refusal": refusal},
                  principal=viewer, status_code=200 if refusal is None else 404)


@router.get("/processing/{station}", name="workstation")
def workstation(station: Station, request: Request, database: DatabaseDep, viewer: Viewer) -> Response:
    """The workstation: the lot open at it, its steps, and the scan field of the step in progress."""
    return _page(request, database, viewer, station)


@router.post("/processing/{station}/open", name="workstation_open")
def open_lot(station: Station, request: Request, database: DatabaseDep, actor: Operator,
             scan: Annotated[str, Form(max_length=4096)] = "") -> Response:
    """Open the lot a scanned label names at this workstation."""
    def work(session: Session) -> Text:
        lot = step_service.open_at_workstation(session=session, actor=actor, station=station, scan=scan)
        return _("lot {din} is open at {station}", din=lot.din, station=station)
    return _act(request, database, actor, station, work)


@router.post("/processing/{station}/close", name="workstation_close")
def close_lot(station: Station, request: Request, database: DatabaseDep, actor: Operator) -> Response:
    """Close the lot open at this workstation."""
    def work(session: Session) -> Text:
        step_service.close_workstation(session=session, actor=actor, station=station)
        return _("workstation {station} is free", station=station)
    return _act(request, database, actor, station, work)


@router.post("/processing/{station}/steps/{step}/start", name="workstation_start")
def start_step(station: Station, step: Step, request: Request, database: DatabaseDep, actor: Operator) -> Response:
    """Start a step of the open lot."""
    def work(session: Session) -> Text:
        row = step_service.start_step(session=session, actor=actor, station=station, step_code=step)
        return _("{step} started: scan the vessels, materials and instruments", step=data_words(row.title))
    return _act(request, database, actor, station, work)


@router.post("/processing/{station}/steps/{step}/scan", name="workstation_scan")
def scan(station: Station, step: Step, request: Request, database: DatabaseDep, settings: SettingsDep,
         actor: Operator, raw: Annotated[str, Form(max_length=100_000)] = "") -> Response:
    """One scan at the step in progress: green when it belongs here, red with the reasons when not."""
    def work(session: Session) -> Text:
        return recording.scan(session=session, actor=actor, station=station, step_code=step, raw=raw,
                              zone=settings.zone).text
    return _act(request, database, actor, station, work)


@router.post("/processing/{station}/steps/{step}/values", name="workstation_values")
def record_values(station: Station, step: Step, request: Request, database: DatabaseDep, actor: Operator,
                  form: Form_) -> Response:
    """Record the values entered at the step in progress (blank fields are left for later)."""
    try:
        entries = [schemas.ValueRecord(name=str(key)[6:], value=float(str(value)))
                   for key, value in form.multi_items() if str(key).startswith("value:") and str(value).strip()]
    except ValidationError as exc:
        return _invalid(request, database, actor, station, exc)
    except ValueError:
        return _not_a_number(request, database, actor, station, _("a value is not a number"))

    def work(session: Session) -> Text:
        for entry in entries:
            recording.record_value(session=session, actor=actor, station=station, step_code=step, data=entry)
        return _("{count} value(s) recorded", count=len(entries)) if entries else _("no value was entered")
    return _act(request, database, actor, station, work)


@router.post("/processing/{station}/steps/{step}/vessels", name="workstation_vessels")
def add_vessels(station: Station, step: Step, request: Request, database: DatabaseDep, actor: Operator,
                count: Annotated[int, Form(ge=1, le=26)] = 1) -> Response:
    """Register the step's new vessels; their labels are printed from the lot's label page."""
    def work(session: Session) -> Text:
        made = recording.add_vessels(session=session, actor=actor, station=station, step_code=step,
                                     data=schemas.VesselsAdd(count=count))
        return _("{count} new vessel(s) registered: print their labels, apply them, and scan each label here to "
                 "verify it", count=len(made))
    return _act(request, database, actor, station, work)


@router.post("/processing/{station}/steps/{step}/complete", name="workstation_complete")
def complete_step(station: Station, step: Step, request: Request, database: DatabaseDep, actor: Operator,
                  password: Annotated[str, Form(max_length=1024)] = "", username: SignerUserIdForm = "") -> Response:
    """Complete the step with the performer's electronic signature."""
    def work(session: Session) -> Text:
        row = step_service.complete_step(session=session, actor=actor, station=station, step_code=step,
                                         username=username.strip(), password=password)
        return _("{step} completed and signed", step=data_words(row.title))
    return _act(request, database, actor, station, work)


@router.post("/processing/{station}/lots/{din}/steps/{step}/verify", name="workstation_verify")
def verify_step(station: Station, din: DinPath, step: Step, request: Request, database: DatabaseDep,
                actor: Reviewer, password: Annotated[str, Form(max_length=1024)] = "",
                username: SignerUserIdForm = "") -> Response:
    """Second-person verification, signed by someone who performed no part of the step."""
    def work(session: Session) -> Text:
        row = step_service.verify_step(session=session, actor=actor, din=din, step_code=step,
                                       username=username.strip(), password=password)
        return _("{step} verified and signed", step=data_words(row.title))
    return _act(request, database, actor, station, work)


@router.post("/processing/{station}/lots/{din}/steps/{step}/correct", name="workstation_correct")
def correct_value(station: Station, din: DinPath, step: Step, request: Request, database: DatabaseDep,
                  actor: Reviewer, name: Annotated[str, Form(max_length=32)] = "",
                  value: Annotated[str, Form(max_length=40)] = "",
                  reason: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Correct a recorded value; the reason is required and the old value stays visible."""
    try:
        data = schemas.ValueCorrection(name=name, value=float(value), reason=reason)
    except ValidationError as exc:
        return _invalid(request, database, actor, station, exc)
    except ValueError:
        return _not_a_number(request, database, actor, station, _("the new value is not a number"))

    def work(session: Session) -> Text:
        recording.correct_value(session=session, actor=actor, din=din, step_code=step, data=data)
        return _("{name} corrected; the earlier value stays in the batch record", name=name)
    return _act(request, database, actor, station, work)
