"""API: user accounts (the admin role), one's own password and sessions, and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from batchtrack.accounts import api_tokens, own, schemas
from batchtrack.accounts import service as account_service
from batchtrack.auth import sessions
from batchtrack.auth.principal import Principal
from batchtrack.models.user import Role
from batchtrack.web.deps import ANY_ROLE, Allow, SessionDep, SettingsDep
from batchtrack.web.pagination import PageDep
from batchtrack.web.validation import OptionalShortText

router = APIRouter(tags=["accounts"])
# Accounts are the administrator's alone; what an account holds is no patient's identity.
Administrator = Annotated[Principal, Depends(Allow(Role.ADMIN))]
Anyone = Annotated[Principal, Depends(ANY_ROLE)]


def _signing(data: schemas.Signed | schemas.UserCreate) -> account_service.Signing:
    return account_service.Signing(username=data.username, password=data.password)


@router.get("/users")
def list_users(
    session: SessionDep, _admin: Administrator, page: PageDep,
    role: Annotated[str | None, Query(max_length=32)] = None,
    state: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[OptionalShortText, Query(max_length=200)] = "",
) -> list[schemas.UserPublic]:
    """Users by user name, filtered by role, state (active, inactive, locked) and a text in either name."""
    account_service.require_filters(role=role, state=state)
    rows, _total = account_service.list_users(session=session, offset=page.offset, limit=page.limit, role=role,
                                              state=state, text=q)
    return account_service.to_public_many(session=session, users=rows)


@router.get("/users/{username}")
def get_user(username: schemas.UsernamePath, session: SessionDep, settings: SettingsDep,
             _admin: Administrator) -> schemas.UserDetail:
    """One user: roles, state, last sign-in, open sessions and tokens."""
    user = account_service.get_by_username(session=session, username=username)
    assert user.id is not None
    public = account_service.public_of(session=session, user=user)
    open_rows = sessions.open_sessions_of(session=session, user_id=user.id, settings=settings)
    return schemas.UserDetail(**public.model_dump(),
                              sessions=[own.session_public(row, current=None) for row in open_rows],
                              tokens=api_tokens.of_user(session=session, user_id=user.id))


@router.post("/users", status_code=201)
def create_user(data: schemas.UserCreate, session: SessionDep, settings: SettingsDep,
                admin: Administrator) -> schemas.UserCreated:
    """Create a user with a temporary password (shown once, to be replaced at the first sign-in); signed."""
    user, temporary = account_service.create(session=session, settings=settings, actor=admin,
                                             username=data.new_username, full_name=data.full_name, roles=data.roles,
                                             reason=data.reason, signing=_signing(data))
    public = account_service.public_of(session=session, user=user)
    return schemas.UserCreated(**public.model_dump(), temporary_password=str(temporary))


@router.post("/users/{username}/deactivate")
def deactivate_user(username: schemas.UsernamePath, data: schemas.Signed, session: SessionDep,
                    admin: Administrator) -> schemas.UserPublic:
    """Deactivate an account: its sessions end and its tokens are refused at once; signed."""
    user = account_service.deactivate(session=session, actor=admin, username=username, reason=data.reason,
                                      signing=_signing(data))
    return account_service.public_of(session=session, user=user)


@router.post("/users/{username}/reactivate")
def reactivate_user(username: schemas.UsernamePath, data: schemas.Signed, session: SessionDep,
                    admin: Administrator) -> schemas.UserPublic:
    """Reactivate a deactivated account; signed."""
    user = account_service.reactivate(session=session, actor=admin, username=username, reason=data.reason,
                                      signing=_signing(data))
    return account_service.public_of(session=session, user=user)


@router.post("/users/{username}/roles")
def change_roles(username: schemas.UsernamePath, data: schemas.RolesChange, session: SessionDep,
                 admin: Administrator) -> schemas.UserPublic:
    """Replace a user's roles (never one's own); their sessions end at once; signed."""
    user = account_service.change_roles(session=session, actor=admin, username=username, roles=data.roles,
                                        reason=data.reason, signing=_signing(data))
    return account_service.public_of(session=session, user=user)


@router.post("/users/{username}/reset-password")
def reset_password(username: schemas.UsernamePath, data: schemas.Signed, session: SessionDep, settings: SettingsDep,
                   admin: Administrator) -> schemas.PasswordReset:
    """Give a user a temporary password (shown once) that opens only the change of password; signed."""
    user, temporary = account_service.reset_password(session=session, settings=settings, actor=admin,
                                                     username=username, reason=data.reason, signing=_signing(data))
    return schemas.PasswordReset(username=user.username, temporary_password=temporary)


@router.post("/me/password")
def change_own_password(data: schemas.PasswordChange, session: SessionDep, settings: SettingsDep,
                        principal: Anyone) -> schemas.PasswordChanged:
    """Change one's own password (also with a temporary one); ends one's other sessions."""
    user, ended = own.change_password(session=session, settings=settings, principal=principal,
                                      current=data.current_password, new=data.new_password,
                                      repeat=data.repeat_password)
    assert user.password_changed_at is not None
    return schemas.PasswordChanged(username=user.username, password_changed_at=user.password_changed_at,
                                   other_sessions_ended=ended)


@router.get("/me/sessions")
def list_own_sessions(session: SessionDep, settings: SettingsDep, principal: Anyone) -> list[schemas.SessionPublic]:
    """One's open browser sessions, newest first, the current one marked."""
    return own.open_sessions(session=session, settings=settings, principal=principal)


@router.post("/me/sessions/end-all")
def end_own_sessions(session: SessionDep, principal: Anyone,
                     data: schemas.SessionsEnd | None = None) -> schemas.SessionsEnded:
    """End one's other sessions (or all of them, with include_current)."""
    include = data.include_current if data is not None else False
    return schemas.SessionsEnded(ended=own.end_sessions(session=session, principal=principal,
                                                        include_current=include))


@router.get("/tokens")
def list_tokens(session: SessionDep, principal: Anyone,
                username: Annotated[str | None, Query(max_length=64)] = None) -> list[schemas.TokenPublic]:
    """API tokens, newest first: an administrator sees everyone's (or one user's), anyone else their own."""
    return api_tokens.list_tokens(session=session, principal=principal, username=username)


@router.post("/tokens", status_code=201)
def issue_token(data: schemas.TokenCreate, session: SessionDep, settings: SettingsDep,
                admin: Administrator) -> schemas.TokenIssued:
    """Issue a token for a user with some of their roles, an optional station and an expiry; shown once."""
    return api_tokens.issue(session=session, settings=settings, actor=admin, username=data.user, name=data.name,
                            roles=data.roles, station=data.station, days=data.days)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: schemas.TokenIdPath, data: schemas.TokenRevoke, session: SessionDep,
                 principal: Anyone) -> schemas.TokenPublic:
    """Revoke a token at once, with the reason: an administrator any, anyone else their own."""
    return api_tokens.revoke(session=session, actor=principal, token_id=token_id, reason=data.reason)
