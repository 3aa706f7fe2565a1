"""Pages: one's own account (who I am, my sessions and tokens) and the change of one's own password.

The change of password is reachable with a temporary password, which opens nothing else until it is replaced.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from batchtrack.accounts import api_tokens, own, schemas
from batchtrack.auth.principal import Principal
from batchtrack.errors import BatchtrackError
from batchtrack.models.user import User
from batchtrack.web.deps import ANY_ROLE, DatabaseDep, SessionDep, SettingsDep, run_audited
from batchtrack.web.rendering import form_invalid, render

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Principal, Depends(ANY_ROLE)]
PasswordField = Annotated[str, Form(max_length=256)]


@router.get("/account", name="account_page")
def account_page(request: Request, session: SessionDep, settings: SettingsDep, principal: Anyone,
                 ended: Annotated[int | None, Query(ge=0, le=100_000)] = None,
                 changed: Annotated[bool, Query()] = False) -> Response:
    """Who I am: my roles, my open sessions (with the buttons that end them) and my API tokens."""
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    return render(request, "accounts/account.html", {
        "user": user, "roles": sorted(r.value for r in principal.roles),
        "sessions": own.open_sessions(session=session, settings=settings, principal=principal),
        "tokens": api_tokens.own_tokens(session=session, principal=principal),
        "ended": ended, "changed": changed,
    }, principal=principal)


@router.post("/account/sessions/end", name="account_sessions_end")
def end_sessions(request: Request, session: SessionDep, principal: Anyone,
                 include_current: Annotated[str, Form(max_length=8)] = "") -> Response:
    """End my other sessions (back to my account page), or all of them (then sign in again)."""
    everything = include_current == "yes"
    ended = own.end_sessions(session=session, principal=principal, include_current=everything)
    if everything:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(str(request.url_for("account_page")) + f"?ended={ended}", status_code=303)


@router.post("/account/tokens/{token_id}/revoke", name="account_token_revoke")
def revoke_token(token_id: schemas.TokenIdPath, request: Request, session: SessionDep, principal: Anyone,
                 reason: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Revoke one of my tokens, with the reason."""
    try:
        data = schemas.TokenRevoke(reason=reason.replace("\r\n", "\n"))
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    api_tokens.revoke(session=session, actor=principal, token_id=token_id, reason=data.reason, own_only=True)
    return RedirectResponse(request.url_for("account_page"), status_code=303)


def _password_page(request: Request, principal: Principal, *, error: BatchtrackError | None = None,
                   status_code: int = 200) -> Response:
    """The form that changes my password; a temporary one is said to need replacing first."""
    database = request.app.state.db
    with database.transaction(write=False) as session:
        user = session.get(User, principal.user_id) if principal.user_id is not None else None
        must = bool(user is not None and user.must_change_password)
    return render(request, "accounts/password.html", {
        "must_change": must, "error": error, "min_length": request.app.state.settings.password_min_length,
    }, principal=principal, status_code=status_code)


@router.get("/account/password", name="account_password_page")
def password_page(request: Request, principal: Anyone) -> Response:
    """The form that changes my password (the only page a temporary password opens)."""
    return _password_page(request, principal)


@router.post("/account/password", name="account_password_change")
def change_password(request: Request, database: DatabaseDep, settings: SettingsDep, principal: Anyone,
                    current_password: PasswordField = "", new_password: PasswordField = "",
                    repeat_password: PasswordField = "") -> Response:
    """Change my password; my other sessions end. A refusal is shown on the form with its reasons."""
    def work(session: Session) -> None:
        own.change_password(session=session, settings=settings, principal=principal, current=current_password,
                            new=new_password, repeat=repeat_password)

    try:
        run_audited(database, work, settings=settings)
    except BatchtrackError as exc:
        return _password_page(request, principal, error=exc, status_code=exc.status_code)
    return RedirectResponse(str(request.url_for("account_page")) + "?changed=true", status_code=303)
