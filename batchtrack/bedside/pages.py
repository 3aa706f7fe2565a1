"""Pages: the bedside check on a tablet, the infusion record, and the shipment and clinic receipt stations.

The bedside page works with a keyboard-wedge scanner alone, without JavaScript: each Enter posts the form, and the
page comes back with the next empty field focused (wristband, bag, second clinician's badge, password). A scan that
cannot be read, or names nothing recorded, is asked again. Once both scans name recorded records, the page shows the
wristband and the bag side by side, each field ticked or crossed out by the bedside gate, and what the gate would
answer: a preview, nothing written. The check is recorded, PASS or STOP, only when the second clinician confirms
(badge, password, then the confirmation) the very scans the screen showed; an Enter in a scan field never records.
A photo chosen for a scan field is decoded on the server and fills it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from batchtrack.auth.principal import Principal
from batchtrack.bedside import photos, schemas, views
from batchtrack.bedside import service as bedside_service
from batchtrack.bedside.routes import upload_limit
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import BadRequest, BatchtrackError, Reason
from batchtrack.i18n.text import Text, _
from batchtrack.lots import state_names
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow, DatabaseDep, SessionDep, SettingsDep, run_audited
from batchtrack.web.rendering import form_data, parse_local_time, render, translations_of
from batchtrack.web.validation import MAX_DB_INT, DinPath

router = APIRouter(include_in_schema=False)
Clinician = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.NURSE))]
Shipper = Annotated[Principal, Depends(Allow(Role.OPERATOR, Role.COURIER))]
Receiver = Annotated[Principal, Depends(Allow(Role.INVESTIGATOR, Role.NURSE, Role.COURIER))]
CheckId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
Form_ = Annotated[FormData, Depends(form_data)]
TwoPhotos = Annotated[None, Depends(upload_limit(2))]  # the wristband's and the bag's
ScansField = Annotated[str, Form(max_length=30_000)]
VITALS = ("temperature_c", "heart_rate_bpm", "systolic_mmhg", "diastolic_mmhg", "spo2_percent")


@dataclass(frozen=True, slots=True)
class _Verdict:
    """A station's verdict before it is shown: PROCEED or STOP, what to do, and every reason."""

    ok: bool
    message: Text
    reasons: list[Reason]


def _verdict(ok: bool, message: Text, reasons: list[Reason] | None = None) -> _Verdict:
    return _Verdict(ok, message, list(reasons or []))


def _invalid(exc: ValidationError) -> _Verdict:
    return _verdict(False, _("the form is not complete or not valid"), [
        Reason("form_invalid", _("{field}: {why}", field=".".join(str(p) for p in e["loc"]), why=e["msg"]))
        for e in exc.errors()[:20]])


def _page(request: Request, template: str, context: dict[str, Any], *, principal: Principal,
          status_code: int = 200) -> Response:
    """Render a bedside or hand-over page, its verdict's (and preview's) message and reasons in the reader's
    language."""
    for key in ("verdict", "preview"):
        verdict = context.get(key)
        if isinstance(verdict, _Verdict):
            translations = translations_of(request, principal)
            context = {**context, key: {"ok": verdict.ok, "message": verdict.message.shown_in(translations),
                                        "reasons": [r.as_dict(translations) for r in verdict.reasons]}}
    return render(request, template, context, principal=principal, status_code=status_code)


def _field(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if len(value) > limit:
        raise BadRequest(_("the field {name} is longer than {limit} characters", name=name, limit=limit),
                         code="form_invalid")
    return value.strip()


def _photo(form: FormData, name: str) -> bytes | None:
    value = form.get(name)
    if not isinstance(value, UploadFile) or not (value.filename or value.size):
        return None  # the browser sends an empty file part when no photo was chosen
    return value.file.read(photos.MAX_PHOTO_BYTES + 1)


# --- the bedside check ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the form carries between steps (never the password: it is entered last and not sent back)."""

    wristband: str = ""
    bag: str = ""
    second: str = ""
    password: str = ""
    acknowledged: bool = False
    shown_wristband: str = ""  # the scans the screen showed side by side when the confirmation was asked for
    shown_bag: str = ""
    record: bool = False  # the confirmation was pressed (never the Enter of a scan)

    @property
    def as_shown(self) -> bool:
        """Whether the scans are those the screen showed the clinicians."""
        return bool(self.wristband) and (self.wristband, self.bag) == (self.shown_wristband, self.shown_bag)


def _entry(form: FormData) -> _Entry:
    return _Entry(wristband=_field(form, "wristband_scan", 4096), bag=_field(form, "bag_scan", 4096),
                  second=_field(form, "second_clinician", 64), password=_field(form, "second_password", 1024),
                  acknowledged=form.get("acknowledge_pending_sterility") == "yes",
                  shown_wristband=_field(form, "shown_wristband", 4096), shown_bag=_field(form, "shown_bag", 4096),
                  record=form.get("step") == "record")


def _read_photos(form: FormData, entry: _Entry) -> tuple[_Entry, list[Text]]:
    notices: list[Text] = []
    for field, what, pick in (("wristband", _("wristband"), photos.best_for_wristband),
                              ("bag", _("bag label"), photos.best_for_bag)):
        data = _photo(form, f"{field}_photo")
        if data is None:
            continue
        try:
            texts = photos.decode_photo(image_bytes=data)
        except BatchtrackError as exc:
            notices.append(_("The {what} photo could not be read: {why}", what=what, why=exc.text))
            continue
        chosen = pick(texts)
        if chosen is None:
            notices.append(_("No barcode was found in the {what} photo: take it again, closer and flat, in good "
                             "light", what=what))
            continue
        entry = replace(entry, wristband=chosen) if field == "wristband" else replace(entry, bag=chosen)
        notices.append(_("The {what} was read from the photo: check the value below", what=what))
    return entry, notices


def _bedside(request: Request, principal: Principal, entry: _Entry, *, focus: str = "wristband",
             status_code: int = 200, **context: Any) -> Response:
    return _page(request, "bedside/bedside.html", {
        "entry": entry, "focus": focus, "notices": [], "recipient": None, "wristband_problems": [],
        "bag_text": None, "bag_problems": [], "matches": [], "misread": "", "pending": False, "verdict": None,
        "preview": None, "confirm": False, **context,
    }, principal=principal, status_code=status_code)


def _check_page(request: Request, database: Database, principal: Principal, check_id: int,
                verdict: _Verdict | None = None, status_code: int = 200, *, check_verdict: bool = False) -> Response:
    """The recorded check; `check_verdict`: the verdict is the check's own (PASS), not an infusion's."""
    with database.transaction(write=False) as session:
        view = views.check(session=session, check_id=check_id)
    return _page(request, "bedside/check.html", {"view": view, "verdict": verdict, "verdict_of_check": check_verdict},
                 principal=principal, status_code=status_code)


def _record_check(request: Request, database: Database, settings: Settings, actor: Principal,
                  entry: _Entry, matches: list[views.MatchRow]) -> Response:
    """Record the check and show its verdict: PASS and the infusion form; or STOP, the wristband and the bag side by
    side with the fields that refused it crossed out, and a fresh start."""
    try:
        data = schemas.CheckCreate(wristband_scan=entry.wristband, bag_scan=entry.bag, second_clinician=entry.second,
                                   second_password=entry.password, acknowledge_pending_sterility=entry.acknowledged)
    except ValidationError as exc:
        return _bedside(request, actor, replace(entry, password=""), verdict=_invalid(exc), status_code=422)

    def work(session: Session) -> tuple[int, bool, list[Reason], str | None]:
        judged = bedside_service.judge(session=session, settings=settings, actor=actor, data=data)
        public = bedside_service.check_public(session=session, check=judged.row)
        return judged.row.id or 0, judged.row.ok, judged.reasons, public.deviation_number

    check_id, ok, reasons, deviation = run_audited(database, work, settings=settings)
    if ok:
        return _check_page(request, database, actor, check_id,
                           _verdict(True, _("identity confirmed by two clinicians (check {check}): infuse this bag, "
                                            "then record the infusion below", check=check_id)), check_verdict=True)
    message = _("do not infuse this bag (check {check} recorded)", check=check_id)
    if deviation:
        message = _("do not infuse this bag (check {check} recorded; deviation {deviation} opened)", check=check_id,
                    deviation=deviation)
    return _bedside(request, actor, _Entry(), verdict=_verdict(False, message, reasons), status_code=409,
                    stopped_check=check_id, matches=matches)


def _preview(pre: bedside_service.Precheck) -> _Verdict | None:
    """What the gate answers to the scans alone, before anything is recorded (None: they agree on every field)."""
    if not pre.reasons:
        return None
    return _verdict(False, _("do not infuse this bag. Not recorded yet: the second clinician confirms, and the "
                             "refused check is recorded with a deviation"), pre.reasons)


def _advance(request: Request, database: Database, settings: Settings, actor: Principal, entry: _Entry,
             notices: list[Text]) -> Response:
    """Show the next field to fill with the scans side by side, or record the check once confirmed (see the module
    docstring)."""
    shown: dict[str, Any] = {"notices": notices}
    with database.transaction(write=False) as session:
        if entry.wristband:
            shown["recipient"], shown["wristband_problems"] = views.wristband(session=session, raw=entry.wristband)
        pre = (bedside_service.precheck(session=session, actor=actor, wristband_scan=entry.wristband,
                                        bag_scan=entry.bag, zone=settings.zone) if entry.wristband and entry.bag
               else None)
        label_of = views.label_recipient(session=session, bag=pre.bag) if pre is not None else None
        matches = (views.match_rows(session=session, pre=pre, wristband_of=shown.get("recipient"), label_of=label_of)
                   if pre is not None else [])
    if not entry.wristband or shown["wristband_problems"]:
        # A misread is asked again, not recorded; the field is emptied so that the next scan does not append to it.
        return _bedside(request, actor, replace(entry, wristband="", password=""), focus="wristband",
                        misread=views.escaped(entry.wristband), **shown)
    if pre is None:
        return _bedside(request, actor, entry, focus="bag", **shown)
    if pre.bag is None:
        return _bedside(request, actor, replace(entry, bag="", password=""), focus="bag", bag_problems=pre.reasons,
                        misread=views.escaped(entry.bag), **shown)
    shown |= {"bag_text": views.describe_bag(pre.bag), "pending": pre.pending_sterility and not pre.reasons,
              "matches": matches, "preview": _preview(pre), "confirm": True}
    asking = replace(entry, password="", shown_wristband=entry.wristband, shown_bag=entry.bag)
    if not entry.second:
        return _bedside(request, actor, asking, focus="second", **shown)
    if not entry.record or not entry.password:
        return _bedside(request, actor, asking, focus="password", **shown)
    if not entry.as_shown:
        notices.append(_("A scan changed after the screen showed it: check the wristband and the bag again, then "
                         "confirm"))
        return _bedside(request, actor, asking, focus="password", **shown)
    if shown["pending"] and not entry.acknowledged:
        notices.append(_("This lot was released before its final sterility result: both of you must acknowledge "
                         "this (tick the box), then the second clinician enters the password again"))
        return _bedside(request, actor, asking, focus="acknowledge", **shown)
    problems = run_audited(database, lambda session: bedside_service.second_clinician_problems(
        session=session, settings=settings, username=entry.second, password=entry.password), settings=settings)
    if problems:
        notices += [p.text for p in problems]
        return _bedside(request, actor, asking, focus="password", **shown)
    return _record_check(request, database, settings, actor, entry, matches)


@router.get("/bedside", name="bedside_page")
def bedside_page(request: Request, viewer: Clinician) -> Response:
    """The bedside tablet: scan the wristband first."""
    return _bedside(request, viewer, _Entry())


@router.post("/bedside", name="bedside_submit")
def bedside_submit(_limit: TwoPhotos, request: Request, database: DatabaseDep, settings: SettingsDep,
                   actor: Clinician, form: Form_) -> Response:
    """One step of the bedside check: read any photos, then ask for the next field or record the check."""
    try:
        entry = _entry(form)
    except BadRequest as exc:
        return _bedside(request, actor, _Entry(), verdict=_verdict(False, exc.text), status_code=400)
    entry, notices = _read_photos(form, entry)
    return _advance(request, database, settings, actor, entry, notices)


@router.get("/bedside/checks/{check_id}", name="bedside_check_page")
def check_page(check_id: CheckId, request: Request, database: DatabaseDep, viewer: Clinician) -> Response:
    """A recorded check: its verdict, and the infusion form or the infusion recorded on it."""
    return _check_page(request, database, viewer, check_id)


def _infusion_data(form: FormData, settings: Settings) -> schemas.InfusionCreate:
    vitals = {when: {name: _field(form, f"{when}_{name}", 16) for name in VITALS} for when in ("before", "after")}
    return schemas.InfusionCreate.model_validate({
        "check_id": _field(form, "check_id", 20), "volume_ml": _field(form, "volume_ml", 20),
        "started_at": parse_local_time(_field(form, "started_at", 32), settings.zone),
        "ended_at": parse_local_time(_field(form, "ended_at", 32), settings.zone),
        "vitals_before": vitals["before"], "vitals_after": vitals["after"],
        "adverse_reactions": _field(form, "adverse_reactions", 4000), "username": _field(form, "username", 64),
        "password": _field(form, "password", 1024),
        "second_clinician": _field(form, "second_clinician", 64),
        "second_password": _field(form, "second_password", 1024),
    })


@router.post("/bedside/infusions", name="bedside_infusion_submit")
def infusion_submit(request: Request, database: DatabaseDep, settings: SettingsDep, actor: Clinician,
                    check_id: Annotated[int, Form(ge=1, le=MAX_DB_INT)], form: Form_) -> Response:
    """Record the infusion on a passed check, signed by both clinicians; refusals are shown in place."""
    try:
        data = _infusion_data(form, settings)
    except ValidationError as exc:
        return _check_page(request, database, actor, check_id, _invalid(exc), 422)
    except BadRequest as exc:
        return _check_page(request, database, actor, check_id, _verdict(False, exc.text, exc.reasons), 400)

    def work(session: Session) -> Text:
        infusion = bedside_service.record_infusion(session=session, actor=actor, data=data, zone=settings.zone)
        public = bedside_service.infusion_public(session=session, infusion=infusion)
        state = state_names.lot_state(public.lot_state)
        if public.therapy_state == bedside_service.THERAPY_COMPLETED:
            return _("infusion of bag {division} recorded and signed by both clinicians; lot {din} is {state} and "
                     "therapy {coi} is completed", division=public.division, din=public.lot_din, state=state,
                     coi=public.therapy_coi)
        return _("infusion of bag {division} recorded and signed by both clinicians; lot {din} is {state}",
                 division=public.division, din=public.lot_din, state=state)

    try:
        message = run_audited(database, work, settings=settings)
    except BatchtrackError as exc:
        return _check_page(request, database, actor, check_id, _verdict(False, exc.text, exc.reasons),
                           exc.status_code)
    return _check_page(request, database, actor, check_id, _verdict(True, message))


# --- shipment and receipt ---------------------------------------------------------------------------------------


def _hand_over_data(scans: str, giver: str, receiver: str, temperature_c: str,
                    location: str) -> schemas.BagsHandOver:
    return schemas.BagsHandOver.model_validate({
        "scans": [line.strip() for line in scans.splitlines() if line.strip()],
        "handed_over_by": giver.strip() or None, "received_by": receiver.strip() or None,
        "temperature_c": temperature_c.strip(), "location": location,
    })


Context = Callable[[Database], dict[str, Any]]


def _station(request: Request, template: str, principal: Principal, context: Context,
             work: Callable[[Session], Text], database: Database) -> Response:
    """Run a hand-over in its own transaction and show its verdict in place."""
    try:
        message = run_audited(database, work, settings=request.app.state.settings)
    except BatchtrackError as exc:
        verdict = _verdict(False, exc.text, exc.reasons)
        return _page(request, template, {**context(database), "verdict": verdict}, principal=principal,
                     status_code=exc.status_code)
    return _page(request, template, {**context(database), "verdict": _verdict(True, message)}, principal=principal)


def _shipment_context(din: str) -> Context:
    def context(database: Database) -> dict[str, Any]:
        with database.transaction(write=False) as session:
            return {"lot": views.shipment(session=session, din=din)}
    return context


@router.get("/lots/{din}/ship", name="ship_page")
def ship_page(din: DinPath, request: Request, session: SessionDep, viewer: Shipper) -> Response:
    """The shipment station: scan every bag of the released lot as it goes to the courier."""
    return render(request, "bedside/ship.html", {"lot": views.shipment(session=session, din=din), "verdict": None},
                  principal=viewer)


@router.post("/lots/{din}/ship", name="ship_submit")
def ship_submit(din: DinPath, request: Request, database: DatabaseDep, actor: Shipper, scans: ScansField = "",
                courier: Annotated[str, Form(max_length=64)] = "",
                operator: Annotated[str, Form(max_length=64)] = "",
                temperature_c: Annotated[str, Form(max_length=16)] = "",
                location: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Record the shipment; a refusal is shown in place with every reason."""
    context = _shipment_context(din)
    try:
        data = _hand_over_data(scans, operator, courier, temperature_c, location)
    except ValidationError as exc:
        return _page(request, "bedside/ship.html", {**context(database), "verdict": _invalid(exc)},
                     principal=actor, status_code=422)

    def work(session: Session) -> Text:
        outcome = bedside_service.ship(session=session, actor=actor, din=din, data=data)
        return _("lot {din} shipped: {count} bag(s) handed to {courier}", din=outcome.lot.din,
                 count=len(outcome.events), courier=courier.strip())
    return _station(request, "bedside/ship.html", actor, context, work, database)


@router.get("/clinic/receive", name="clinic_receive_page")
def receive_page(request: Request, viewer: Receiver) -> Response:
    """The clinic's receiving station: scan every bag as the courier hands it over."""
    return render(request, "bedside/receive.html", {"verdict": None}, principal=viewer)


@router.post("/clinic/receive", name="clinic_receive_submit")
def receive_submit(request: Request, database: DatabaseDep, actor: Receiver, scans: ScansField = "",
                   courier: Annotated[str, Form(max_length=64)] = "",
                   clinician: Annotated[str, Form(max_length=64)] = "",
                   temperature_c: Annotated[str, Form(max_length=16)] = "",
                   location: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Record the receipt of the lot the scanned bags belong to; a refusal is shown in place."""
    def context(_database: Database) -> dict[str, Any]:
        return {}

    try:
        data = _hand_over_data(scans, courier, clinician, temperature_c, location)
    except ValidationError as exc:
        return _page(request, "bedside/receive.html", {"verdict": _invalid(exc)}, principal=actor, status_code=422)

    def work(session: Session) -> Text:
        din = bedside_service.lot_din_named_by(session=session, scans=data.scans)
        outcome = bedside_service.receive_at_clinic(session=session, actor=actor, din=din, data=data)
        return _("lot {din} received at the clinic: {count} bag(s) from {courier}", din=outcome.lot.din,
                 count=len(outcome.events), courier=courier.strip())
    return _station(request, "bedside/receive.html", actor, context, work, database)
