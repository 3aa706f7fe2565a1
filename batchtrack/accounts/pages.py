"""Pages: administering accounts and API tokens (the admin role).

Every action is a form with the reason and the administrator's signature; a refusal is shown in place on the
user's page, with its reasons, and changes nothing. A temporary password or a new token is shown once, on the page
that answers the action, and never again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from batchtrack.accounts import api_tokens, gates, schemas
from batchtrack.accounts import service as account_service
from batchtrack.auth import sessions
from batchtrack.auth.principal import Principal
from batchtrack.db import Database
from batchtrack.errors import BatchtrackError
from batchtrack.models.user import Role
from batchtrack.web.deps import Allow, DatabaseDep, SessionDep, SettingsDep, run_audited
from batchtrack.web.rendering import form_invalid, render
from batchtrack.web.validation import OptionalShortText

router = APIRouter(include_in_schema=False)
Administrator = Annotated[Principal, Depends(Allow(Role.ADMIN))]
PAGE_SIZE = 25
ReasonField = Annotated[str, Form(max_length=4000)]
SignerField = Annotated[str, Form(max_length=64)]
PasswordField = Annotated[str, Form(max_length=256)]


def _text(value: str) -> str:
    """A textarea's value with the browser's CRLF line breaks as plain newlines."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _signed(reason: str, username: str, password: str) -> tuple[str, account_service.Signing]:
    """A signed form's reason and signature, validated as the API validates them (a refusal lists each field)."""
    try:
        data = schemas.Signed(reason=_text(reason), username=username, password=password)
    except ValidationError as exc:
        raise form_invalid(exc) from exc
    return data.reason, account_service.Signing(username=data.username, password=data.password)


def _users_page(request: Request, session: Session, admin: Principal, *, page: int = 1, role: str = "",
                state: str = "", q: str = "", error: BatchtrackError | None = None,
                form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """The list of users and the form that creates one; with a refusal of that form, when there is one."""
    account_service.require_filters(role=role or None, state=state or None)
    rows, total = account_service.list_users(session=session, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                             role=role or None, state=state or None, text=q)
    filters = urlencode({k: v for k, v in (("role", role), ("state", state), ("q", q.strip())) if v})
    return render(request, "accounts/users.html", {
        "users": account_service.to_public_many(session=session, users=rows), "total": total, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "role": role, "state": state, "q": q.strip(),
        "roles": sorted(gates.KNOWN_ROLES), "states": account_service.USER_STATES,
        "pager_base": request.url_for("admin_users_page").path + "?" + (filters + "&" if filters else ""),
        "error": error, "form": form or {},
    }, principal=admin, status_code=status_code)


@router.get("/admin/users", name="admin_users_page")
def users_page(
    request: Request, session: SessionDep, admin: Administrator,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    role: Annotated[str, Query(max_length=32)] = "",
    state: Annotated[str, Query(max_length=16)] = "",
    q: Annotated[OptionalShortText, Query(max_length=200)] = "",
) -> Response:
    """Users, by user name, filtered by role, state and a text in either name, a page at a time; and the form
    that creates one."""
    return _users_page(request, session, admin, page=page, role=role, state=state, q=q)


def _user_page(request: Request, session: Session, admin: Principal, username: str, *,
               error: BatchtrackError | None = None, shown: dict[str, Any] | None = None,
               status_code: int = 200) -> Response:
    """The user's page: roles, state, last sign-in, sessions and tokens, the forms of every action; with a
    refusal, or what is shown once (a temporary password, a new token), when there is one."""
    user = account_service.get_by_username(session=session, username=username)
    assert user.id is not None
    settings = request.app.state.settings
    return render(request, "accounts/user.html", {
        "user": account_service.public_of(session=session, user=user),
        "sessions": sessions.open_sessions_of(session=session, user_id=user.id, settings=settings),
        "tokens": api_tokens.of_user(session=session, user_id=user.id),
        "roles": sorted(gates.KNOWN_ROLES), "own": user.id == admin.user_id,
        "error": error, "shown": shown or {}, "token_default_days": settings.token_default_days,
        "token_max_days": settings.token_max_days,
    }, principal=admin, status_code=status_code)


def _in_place(request: Request, database: Database, admin: Principal, username: str, exc: BatchtrackError) -> Response:
    """The user's page again, with the refusal and its reasons where the form was."""
    with database.transaction(write=False) as session:
        return _user_page(request, session, admin, username, error=exc, status_code=exc.status_code)


@router.get("/admin/users/{account}", name="admin_user_page")
def user_page(account: schemas.UsernamePath, request: Request, session: SessionDep,
              admin: Administrator) -> Response:
    """One user: roles, state, last sign-in, open sessions and tokens, with the forms that act on the account."""
    return _user_page(request, session, admin, account)


@router.post("/admin/users", name="admin_user_create")
def create_user(
    request: Request, database: DatabaseDep, settings: SettingsDep, admin: Administrator,
    new_username: Annotated[str, Form(max_length=64)] = "", full_name: Annotated[str, Form(max_length=200)] = "",
    roles: Annotated[list[str], Form()] = [], reason: ReasonField = "",  # noqa: B006 - FastAPI copies defaults
    username: SignerField = "", password: PasswordField = "",
) -> Response:
    """Create a user from the list's form, signed; their page then shows their temporary password once."""
    def work(session: Session) -> tuple[str, str | None]:
        try:
            data = schemas.UserCreate(new_username=new_username, full_name=full_name, roles=roles[:20],
                                      reason=_text(reason), username=username, password=password)
        except ValidationError as exc:
            raise form_invalid(exc) from exc
        user, temporary = account_service.create(
            session=session, settings=settings, actor=admin, username=data.new_username, full_name=data.full_name,
            roles=data.roles, reason=data.reason,
            signing=account_service.Signing(username=data.username, password=data.password))
        return user.username, temporary

    try:
        created, temporary = run_audited(database, work, settings=settings)
    except BatchtrackError as exc:
        kept = {"new_username": new_username, "full_name": full_name, "roles": roles, "reason": reason}
        with database.transaction(write=False) as session:
            return _users_page(request, session, admin, error=exc, form=kept, status_code=exc.status_code)
    with database.transaction(write=False) as session:
        return _user_page(request, session, admin, created, shown={"temporary_password": temporary})


def _act(request: Request, database: Database, admin: Principal, account: str,
         action: Callable[[Session], object]) -> Response:
    """Run an account action; then the user's page (a redirect), or the refusal in place."""
    try:
        run_audited(database, action, settings=request.app.state.settings)
    except BatchtrackError as exc:
        return _in_place(request, database, admin, account, exc)
    return RedirectResponse(request.url_for("admin_user_page", account=account.lower()), status_code=303)


@router.post("/admin/users/{account}/deactivate", name="admin_user_deactivate")
def deactivate(account: schemas.UsernamePath, request: Request, database: DatabaseDep, admin: Administrator,
               reason: ReasonField = "", username: SignerField = "", password: PasswordField = "") -> Response:
    """Deactivate the account, signed: its sessions end and its tokens are refused at once."""
    def work(session: Session) -> object:
        text, signing = _signed(reason, username, password)
        return account_service.deactivate(session=session, actor=admin, username=account, reason=text, signing=signing)

    return _act(request, database, admin, account, work)


@router.post("/admin/users/{account}/reactivate", name="admin_user_reactivate")
def reactivate(account: schemas.UsernamePath, request: Request, database: DatabaseDep, admin: Administrator,
               reason: ReasonField = "", username: SignerField = "", password: PasswordField = "") -> Response:
    """Reactivate the account, signed."""
    def work(session: Session) -> object:
        text, signing = _signed(reason, username, password)
        return account_service.reactivate(session=session, actor=admin, username=account, reason=text, signing=signing)

    return _act(request, database, admin, account, work)


@router.post("/admin/users/{account}/roles", name="admin_user_roles")
def change_roles(
    account: schemas.UsernamePath, request: Request, database: DatabaseDep, admin: Administrator,
    roles: Annotated[list[str], Form()] = [], reason: ReasonField = "",  # noqa: B006 - FastAPI copies defaults
    username: SignerField = "", password: PasswordField = "",
) -> Response:
    """Replace the user's roles with those ticked, signed: their sessions end at once."""
    def work(session: Session) -> object:
        text, signing = _signed(reason, username, password)
        return account_service.change_roles(session=session, actor=admin, username=account, roles=roles[:20],
                                            reason=text, signing=signing)

    return _act(request, database, admin, account, work)


@router.post("/admin/users/{account}/reset-password", name="admin_user_reset_password")
def reset_password(account: schemas.UsernamePath, request: Request, database: DatabaseDep,
                   settings: SettingsDep, admin: Administrator, reason: ReasonField = "",
                   username: SignerField = "", password: PasswordField = "") -> Response:
    """Reset the user's password, signed; the temporary password is shown once, on the page that answers."""
    def work(session: Session) -> str:
        text, signing = _signed(reason, username, password)
        return account_service.reset_password(session=session, settings=settings, actor=admin, username=account,
                                              reason=text, signing=signing)[1]

    try:
        temporary = run_audited(database, work, settings=settings)
    except BatchtrackError as exc:
        return _in_place(request, database, admin, account, exc)
    with database.transaction(write=False) as session:
        return _user_page(request, session, admin, account, shown={"temporary_password": temporary})


@router.post("/admin/users/{account}/tokens", name="admin_user_token_issue")
def issue_token(
    account: schemas.UsernamePath, request: Request, database: DatabaseDep, settings: SettingsDep,
    admin: Administrator, name: Annotated[str, Form(max_length=100)] = "",
    roles: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    station: Annotated[str, Form(max_length=64)] = "", days: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Issue a token for the user; the token is shown once, on the page that answers."""
    def work(session: Session) -> str:
        try:
            data = schemas.TokenCreate(user=account, name=name, roles=roles[:20], station=station.strip() or None,
                                       days=days.strip() or None)
        except ValidationError as exc:
            raise form_invalid(exc) from exc
        return api_tokens.issue(session=session, settings=settings, actor=admin, username=data.user, name=data.name,
                                roles=data.roles, station=data.station, days=data.days).token

    try:
        token = run_audited(database, work, settings=settings)
    except BatchtrackError as exc:
        return _in_place(request, database, admin, account, exc)
    with database.transaction(write=False) as session:
        return _user_page(request, session, admin, account, shown={"token": token})


def _valid_reason(reason: str) -> str:
    """A reason typed in a form, validated as the API validates it."""
    try:
        return schemas.TokenRevoke(reason=_text(reason)).reason
    except ValidationError as exc:
        raise form_invalid(exc) from exc


@router.get("/admin/tokens", name="admin_tokens_page")
def tokens_page(request: Request, session: SessionDep, admin: Administrator,
                state: Annotated[str, Query(max_length=16)] = "") -> Response:
    """Every API token, newest first (optionally only active, expired or revoked ones), each with its revoke form."""
    listed = api_tokens.list_tokens(session=session, principal=admin)
    if state:
        listed = [t for t in listed if t.state == state]
    return render(request, "accounts/tokens.html", {"tokens": listed, "state": state,
                                                     "states": ("active", "expired", "revoked")}, principal=admin)


@router.post("/admin/tokens/{token_id}/revoke", name="admin_token_revoke")
def revoke_token(token_id: schemas.TokenIdPath, request: Request, database: DatabaseDep, admin: Administrator,
                 reason: ReasonField = "", back: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Revoke a token with the reason; back to the user's page it was revoked from, or to the list."""
    try:
        revoked = run_audited(database, lambda session: api_tokens.revoke(
            session=session, actor=admin, token_id=token_id, reason=_valid_reason(reason)),
            settings=request.app.state.settings)
    except BatchtrackError as exc:
        if back:
            return _in_place(request, database, admin, back, exc)
        raise
    if back:
        return RedirectResponse(request.url_for("admin_user_page", account=revoked.username), status_code=303)
    return RedirectResponse(request.url_for("admin_tokens_page"), status_code=303)
