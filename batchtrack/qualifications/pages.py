"""Pages: the training matrix, and QA's signed grant and revocation of qualifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.errors import BatchtrackError, Reason
from batchtrack.i18n.text import Text, _
from batchtrack.models.user import Role
from batchtrack.qualifications import matrix, schemas
from batchtrack.qualifications import service as qualification_service
from batchtrack.qualifications.routes import MATRIX_READERS
from batchtrack.web.deps import Allow, DatabaseDep, SettingsDep, run_audited
from batchtrack.web.rendering import render
from batchtrack.web.validation import MAX_DB_INT

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(*MATRIX_READERS))]
Quality = Annotated[Principal, Depends(Allow(Role.QA))]


def _outcome(ok: bool, message: Text, reasons: list[Reason] | None = None) -> dict[str, Any]:
    # Messages stay `Text`: the page shows them in its reader's language.
    return {"ok": ok, "message": message, "reasons": list(reasons or [])}


def _page(request: Request, database: DatabaseDep, viewer: Principal, *, filters: dict[str, Any],
          outcome: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    with database.transaction(write=False) as session:
        shown = matrix.training_matrix(session=session, **filters)
        everyone = shown if not any(filters.values()) else matrix.training_matrix(session=session)
    return render(request, "qualifications/training.html", {
        "matrix": shown, "filters": filters, "roles": [r.value for r in Role], "standings": matrix.STANDINGS,
        "people": everyone.rows, "can_grant": Role.QA in viewer.roles, "outcome": outcome,
    }, principal=viewer, status_code=status_code)


@router.get("/training", name="training_page")
def training_page(
    request: Request, database: DatabaseDep, viewer: Reader,
    role: Annotated[str, Query(max_length=32)] = "", qualification: Annotated[str, Query(max_length=32)] = "",
    standing: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The training matrix: people by qualification with expiry, expired and expiring soon marked; filters."""
    return _page(request, database, viewer, filters={"role": role, "qualification": qualification,
                                                     "standing": standing})


def _signed(request: Request, database: DatabaseDep, settings: SettingsDep, actor: Principal,
            work: Callable[[Session], object], done: Text) -> Response:
    """Run a signed grant or revocation in its own transaction; the outcome, or the refusal, shown in place."""
    try:
        run_audited(database, work, settings=settings)
    except BatchtrackError as exc:
        return _page(request, database, actor, filters={}, outcome=_outcome(False, exc.text, exc.reasons),
                     status_code=exc.status_code)
    return _page(request, database, actor, filters={}, outcome=_outcome(True, done))


def _invalid(request: Request, database: DatabaseDep, actor: Principal, exc: ValidationError) -> Response:
    reasons = [Reason("form_invalid", _("{field}: {problem}", field=".".join(str(p) for p in e["loc"]),
                                        problem=str(e["msg"]))) for e in exc.errors()[:20]]
    return _page(request, database, actor, filters={}, outcome=_outcome(False, _("the form is not valid"), reasons),
                 status_code=422)


@router.post("/training/grants", name="training_grant")
def grant(
    request: Request, database: DatabaseDep, settings: SettingsDep, actor: Quality,
    holder: Annotated[str, Form(max_length=64)], qualification: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=256)], expires_on: Annotated[str, Form(max_length=10)] = "",
    may_train: Annotated[str, Form(max_length=8)] = "", note: Annotated[str, Form(max_length=500)] = "",
    username: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Grant a qualification from the form, signed by QA."""
    try:
        data = schemas.GrantCreate.model_validate({
            "qualification": qualification, "expires_on": expires_on or None, "may_train": may_train == "yes",
            "note": note, "username": username, "password": password})
    except ValidationError as exc:
        return _invalid(request, database, actor, exc)

    def work(session: Session) -> object:
        return qualification_service.grant(session=session, actor=actor, username=holder, data=data)

    return _signed(request, database, settings, actor, work,
                   _("{qualification} granted to {holder} and signed", qualification=data.qualification,
                     holder=holder.strip().lower()))


@router.post("/training/revocations", name="training_revoke")
def revoke(
    request: Request, database: DatabaseDep, settings: SettingsDep, actor: Quality,
    grant_ref: Annotated[str, Form(max_length=80)], reason: Annotated[str, Form(max_length=500)],
    password: Annotated[str, Form(max_length=256)], username: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Revoke a grant in force from the form (`<user name>/<grant id>`), signed by QA with the reason."""
    holder, _slash, grant_id = grant_ref.partition("/")
    try:
        data = schemas.RevokeRequest.model_validate({"reason": reason, "username": username, "password": password})
        number = int(grant_id) if grant_id.isdecimal() and 1 <= int(grant_id) <= MAX_DB_INT else None
    except ValidationError as exc:
        return _invalid(request, database, actor, exc)
    if number is None:
        return _page(request, database, actor, filters={}, outcome=_outcome(
            False, _("choose the qualification to revoke"),
            [Reason("form_invalid", _("grant: not one of the list"))]),
            status_code=422)

    def work(session: Session) -> object:
        return qualification_service.revoke(session=session, actor=actor, username=holder, grant_id=number,
                                            data=data)

    return _signed(request, database, settings, actor, work,
                   _("grant {number} of {holder} revoked and signed", number=number, holder=holder))
