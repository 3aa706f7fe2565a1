"""Pages: release specifications (list, one version, QA's draft and approval) and a lot's QC bench.

The QC bench is a station page: the sample's label is scanned into a field with focus, and every entry
re-renders the bench with a large verdict (recorded, out of specification, or refused with every reason).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.db import Database
from batchtrack.errors import BatchtrackError
from batchtrack.i18n.text import Text, _
from batchtrack.lots import service as lot_service
from batchtrack.models.quality import SpecificationStatus
from batchtrack.models.user import Role
from batchtrack.quality import results, schemas, specification, specifications
from batchtrack.quality.specification import BELOW_LOQ
from batchtrack.web.deps import ANY_ROLE, Allow, DatabaseDep, SessionDep, run_audited
from batchtrack.web.rendering import form_invalid, render
from batchtrack.web.validation import DinPath, SignerUserIdForm

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(ANY_ROLE)]
Quality = Annotated[Principal, Depends(Allow(Role.QA))]
Analyst = Annotated[Principal, Depends(Allow(Role.QC_ANALYST))]
MAX_SPECIFICATION_TEXT = 200_000
Body = TypeVar("Body", bound=BaseModel)


def _text(value: str) -> str:
    """A textarea's value with the browser's CRLF line breaks as plain newlines."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _starting_text(session: Session) -> str:
    """What the draft form starts from: the newest version of the default code as the next version (or the
    shipped default when none is stored), fields in reading order and defaults left out, for QA to edit."""
    stored = specifications.versions(session=session, code=specification.DEFAULT_CODE)
    if not stored:
        start = specification.shipped_default()
    else:
        start = specifications.content_of(stored[0]).model_copy(update={"version": stored[0].version + 1})
    return json.dumps(start.model_dump(mode="json", exclude_defaults=True), indent=2)


@router.get("/specifications", name="specifications_page")
def specifications_page(request: Request, session: SessionDep, viewer: Viewer) -> Response:
    """Every specification version with its status; QA drafts the shipped default or a new version here."""
    stored = specifications.versions(session=session)
    is_qa = Role.QA in viewer.roles
    return render(request, "quality/specifications.html", {
        "specs": specifications.summaries(session=session, specs=stored),
        "is_qa": is_qa,
        "default_code": specification.DEFAULT_CODE,
        "default_stored": any(s.code == specification.DEFAULT_CODE for s in stored),
        "starting_text": _starting_text(session) if is_qa else "",
        "max_text": MAX_SPECIFICATION_TEXT,
    }, principal=viewer)


@router.post("/specifications", name="specification_draft")
def draft_specification(
    request: Request, session: SessionDep, actor: Quality,
    content: Annotated[str, Form(max_length=MAX_SPECIFICATION_TEXT)] = "",
) -> Response:
    """QA drafts a new version from the JSON in the form, then sees it."""
    spec = specifications.draft_from_json(session=session, actor=actor, text=_text(content))
    return RedirectResponse(request.url_for("specification_page", code=spec.code, version=spec.version),
                            status_code=303)


@router.post("/specifications/default", name="specification_draft_default")
def draft_default(request: Request, session: SessionDep, actor: Quality) -> Response:
    """QA stores the shipped default as a draft to review, then sees it."""
    spec = specifications.draft_default(session=session, actor=actor, code=specification.DEFAULT_CODE)
    return RedirectResponse(request.url_for("specification_page", code=spec.code, version=spec.version),
                            status_code=303)


@router.get("/specifications/{code}/{version}", name="specification_page")
def specification_page(
    code: schemas.SpecCodePath, version: schemas.VersionPath, request: Request, session: SessionDep, viewer: Viewer
) -> Response:
    """One version: its tests and limits, and QA's approval (or, for a draft, QA's form to approve it)."""
    spec = specifications.get(session=session, code=code, version=version)
    effective = specifications.effective(session=session, code=code)
    return render(request, "quality/specification.html", {
        "spec": specifications.to_public(session=session, spec=spec),
        "may_approve": Role.QA in viewer.roles and spec.status == SpecificationStatus.DRAFT,
        "replaces": specifications.label(effective) if effective is not None and effective.id != spec.id else None,
    }, principal=viewer)


@router.post("/specifications/{code}/{version}/approve", name="specification_approve")
def approve_specification(
    code: schemas.SpecCodePath, version: schemas.VersionPath, request: Request, session: SessionDep,
    actor: Quality, password: Annotated[str, Form(max_length=1024)] = "", username: SignerUserIdForm = "",
) -> Response:
    """QA approves the draft with the password (meaning: approved), then sees it effective."""
    data = _valid(schemas.SpecificationApproval, {"username": username, "password": password})
    specifications.approve(session=session, actor=actor, code=code, version=version, username=data.username,
                           password=data.password)
    return RedirectResponse(request.url_for("specification_page", code=code, version=version), status_code=303)


def _valid(model: type[Body], fields: dict[str, Any]) -> Body:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise form_invalid(exc) from exc


def _blank_as_none(value: str) -> str | None:
    return value.strip() or None


def _bench(request: Request, database: Database, principal: Principal, din: str, *,
           verdict: dict[str, Any] | None = None, form: dict[str, str] | None = None,
           status_code: int = 200) -> Response:
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        qc = results.results_of(session=session, lot=lot)
    words = sorted({word for test in qc.tests for word in test.results}
                   | ({BELOW_LOQ} if any(t.kind == "numeric" for t in qc.tests) else set()))
    return render(request, "quality/lot_qc.html", {
        "qc": qc, "verdict": verdict, "form": form or {}, "words": words,
        "may_enter": Role.QC_ANALYST in principal.roles and qc.specification is not None,
    }, principal=principal, status_code=status_code)


def _verdict_of(outcome: tuple[Text, bool | None]) -> dict[str, Any]:
    message, conforms = outcome
    if conforms is None:
        return {"kind": "warn", "title": _("RECORDED, NOT JUDGED"), "message": message, "reasons": []}
    if conforms:
        return {"kind": "ok", "title": _("RECORDED"), "message": message, "reasons": []}
    return {"kind": "stop", "title": _("OUT OF SPECIFICATION"), "message": message, "reasons": []}


def _refused(exc: BatchtrackError) -> dict[str, Any]:
    return {"kind": "stop", "title": _("NOT RECORDED"), "message": exc.text, "reasons": exc.reasons}


@router.get("/lots/{din}/qc", name="lot_qc_page")
def lot_qc_page(din: DinPath, request: Request, database: DatabaseDep, viewer: Viewer) -> Response:
    """The lot's QC bench: the specification version, each test's limit, result in force and history; for a QC
    analyst, the form to record a result on a scanned sample."""
    return _bench(request, database, viewer, din)


@router.post("/lots/{din}/qc/results", name="lot_qc_enter")
def enter_result(
    din: DinPath, request: Request, database: DatabaseDep, actor: Analyst,
    scan: Annotated[str, Form(max_length=4096)] = "", test_code: Annotated[str, Form(max_length=64)] = "",
    value: Annotated[str, Form(max_length=64)] = "", result_text: Annotated[str, Form(max_length=200)] = "",
    status: Annotated[str, Form(max_length=16)] = "final", day: Annotated[str, Form(max_length=8)] = "",
    method: Annotated[str, Form(max_length=200)] = "", instrument: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Record a result from the bench's form and show its verdict; a refusal changes nothing and is audited."""
    kept = {"test_code": test_code, "status": status, "day": day, "value": value, "result_text": result_text,
            "method": method, "instrument": instrument}
    try:
        data = _valid(schemas.QcResultCreate, {
            "scan": scan, "test_code": test_code, "value": _blank_as_none(value), "result_text": result_text,
            "status": status, "day": _blank_as_none(day), "method": method, "instrument": instrument})
    except BatchtrackError as exc:
        return _bench(request, database, actor, din, verdict=_refused(exc), form=kept, status_code=exc.status_code)

    def work(session: Session) -> tuple[Text, bool | None]:
        recorded = results.enter_result(session=session, actor=actor, din=din, data=data)
        return recorded.message, recorded.result.conforms

    try:
        outcome = run_audited(database, work, settings=request.app.state.settings)
    except BatchtrackError as exc:
        return _bench(request, database, actor, din, verdict=_refused(exc), form=kept, status_code=exc.status_code)
    return _bench(request, database, actor, din, verdict=_verdict_of(outcome),
                  form={"test_code": test_code, "status": status})


@router.post("/lots/{din}/qc/results/{result_id}/corrections", name="lot_qc_correct")
def correct_result(
    din: DinPath, result_id: schemas.ResultIdPath, request: Request, database: DatabaseDep, actor: Analyst,
    value: Annotated[str, Form(max_length=64)] = "", result_text: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "", method: Annotated[str, Form(max_length=200)] = "",
    instrument: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Correct a result from the bench with the reason; show the corrected result's verdict."""
    try:
        data = _valid(schemas.QcResultCorrection, {
            "value": _blank_as_none(value), "result_text": result_text, "reason": _text(reason), "method": method,
            "instrument": instrument})
    except BatchtrackError as exc:
        return _bench(request, database, actor, din, verdict=_refused(exc), status_code=exc.status_code)

    def work(session: Session) -> tuple[Text, bool | None]:
        recorded = results.correct_result(session=session, actor=actor, din=din, result_id=result_id, data=data)
        return (_("correction of result {result}: {message}", result=result_id, message=recorded.message),
                recorded.result.conforms)

    try:
        outcome = run_audited(database, work, settings=request.app.state.settings)
    except BatchtrackError as exc:
        return _bench(request, database, actor, din, verdict=_refused(exc), status_code=exc.status_code)
    return _bench(request, database, actor, din, verdict=_verdict_of(outcome))
