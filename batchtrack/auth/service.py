"""Users, login with lockout, sessions' principals, and API tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, inspect
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import passwords
from batchtrack.auth.principal import SYSTEM, Principal
from batchtrack.config import Settings
from batchtrack.db import Lookup
from batchtrack.errors import BadRequest, Conflict, NotFound
from batchtrack.models.base import utcnow
from batchtrack.models.user import ApiToken, Role, User, UserRole

log = logging.getLogger(__name__)
TOKEN_PREFIX = "bt_"  # noqa: S105 - a marker, not a secret


def roles_of(*, session: Session, user_id: int) -> frozenset[Role]:
    """The roles a user holds."""
    rows = session.execute(select(col(UserRole.role)).where(col(UserRole.user_id) == user_id)).scalars()
    return frozenset(Role(r) for r in rows)


def principal_for(*, session: Session, user: User) -> Principal:
    """The principal acting as `user`."""
    assert user.id is not None
    return Principal(user.id, user.username, user.full_name, roles_of(session=session, user_id=user.id))


def _principal_from_rows(rows: list[Any]) -> Principal | None:
    # Rows of (id, username, full_name, role): one per role, or one with role None for a user without roles.
    if not rows:
        return None
    user_id, username, full_name, _ = rows[0]
    return Principal(user_id, username, full_name, frozenset(Role(r[3]) for r in rows if r[3] is not None))


# The principal lookups run on every request (the token's on every scan of every station). They are built once,
# with bound parameters, from the tables' columns: building such a statement costs more than running it, and
# plain columns spare each row the ORM's result handling. On a plain connection (the scan route) they go straight
# to the driver (see db.Lookup).
_USER, _USER_ROLE, _API_TOKEN = (inspect(model).local_table for model in (User, UserRole, ApiToken))
_ACTIVE_PRINCIPAL = (
    select(_USER.c.id, _USER.c.username, _USER.c.full_name, _USER_ROLE.c.role)
    .select_from(_USER).outerjoin(_USER_ROLE, _USER_ROLE.c.user_id == _USER.c.id)
    .where(_USER.c.is_active.is_(True))
)
_PRINCIPAL_BY_ID = Lookup(_ACTIVE_PRINCIPAL.where(_USER.c.id == bindparam("user_id")))
_PRINCIPAL_BY_TOKEN = Lookup(_ACTIVE_PRINCIPAL.join(_API_TOKEN, _API_TOKEN.c.user_id == _USER.c.id).where(
    _API_TOKEN.c.token_hash == bindparam("token_hash"), _API_TOKEN.c.revoked_at.is_(None)))
_PRINCIPALS_BY_TOKEN_HASHES = (
    _ACTIVE_PRINCIPAL.add_columns(_API_TOKEN.c.token_hash).join(_API_TOKEN, _API_TOKEN.c.user_id == _USER.c.id)
    .where(_API_TOKEN.c.token_hash.in_(bindparam("token_hashes", expanding=True)), _API_TOKEN.c.revoked_at.is_(None))
)


def load_principal(*, session: Session | Connection, user_id: int) -> Principal | None:
    """The principal for an active user id, or None if the user is gone or deactivated (one query)."""
    return _principal_from_rows(_PRINCIPAL_BY_ID.rows(session, {"user_id": user_id}))


def create_user(
    *, session: Session, actor: Principal, username: str, full_name: str, password: str, roles: set[Role]
) -> User:
    """Create a user with roles; the password is hashed, never stored."""
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise BadRequest("a username is letters, digits, dot, dash or underscore", code="username_invalid")
    if not full_name.strip():
        raise BadRequest("the printed name is required (it appears on signatures)", code="full_name_required")
    if not roles:
        raise BadRequest("a user needs at least one role", code="roles_required")
    passwords.check_strength(password)
    if session.execute(select(col(User.id)).where(col(User.username) == username)).first():
        raise Conflict(f"user {username!r} already exists", code="user_exists")
    user = User(username=username, full_name=full_name.strip(), password_hash=passwords.hash_password(password))
    session.add(user)
    session.flush()
    assert user.id is not None
    for role in sorted(roles):
        session.add(UserRole(user_id=user.id, role=role.value))
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="user.created", entity_type="user", entity_id=user.id,
        new={"username": username, "full_name": user.full_name, "roles": sorted(r.value for r in roles)},
    )
    return user


# One message for every refused sign-in: an unknown user name, a wrong password and a locked account read the
# same, so the answer never tells whether an account exists (lockout would otherwise reveal it after a few tries).
# A locked-out user learns why from an administrator, who sees the lockout in the audit trail.
LOGIN_REFUSED = "Unknown user name or wrong password."


def authenticate(*, session: Session, settings: Settings, username: str, password: str) -> tuple[User | None, str]:
    """Check a login; count failures and lock the account after too many. Returns (user, refusal reason)."""
    now = utcnow()
    user = session.execute(select(User).where(col(User.username) == username.strip().lower())).scalar_one_or_none()
    if user is None:
        passwords.verify_password(None, password)
        audit_service.record(
            session=session, actor=SYSTEM, action="auth.login_failed", entity_type="user",
            entity_id=username[:64], new={"reason": "unknown user"},
        )
        return None, LOGIN_REFUSED
    if user.locked_until is not None and user.locked_until > now:
        # Verified against nothing: the same work as any other attempt, and even the right password is refused.
        passwords.verify_password(None, password)
        audit_service.record(
            session=session, actor=SYSTEM, action="auth.login_refused", entity_type="user", entity_id=user.id or 0,
            new={"username": user.username, "reason": "locked"},
        )
        return None, LOGIN_REFUSED
    if not user.is_active or not passwords.verify_password(user.password_hash, password):
        user.failed_logins += 1
        locked = user.failed_logins >= settings.login_max_failures
        if locked:
            user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
        session.add(user)
        audit_service.record(
            session=session, actor=SYSTEM, action="auth.locked" if locked else "auth.login_failed",
            entity_type="user", entity_id=user.id or 0, new={"username": user.username},
        )
        return None, LOGIN_REFUSED
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    audit_service.record(
        session=session, actor=principal_for(session=session, user=user), action="auth.login",
        entity_type="user", entity_id=user.id or 0,
    )
    return user, ""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(*, session: Session, actor: Principal, username: str, name: str) -> str:
    """Issue a bearer token for a user; returns the token, shown once (only its hash is kept)."""
    user = session.execute(select(User).where(col(User.username) == username)).scalar_one_or_none()
    if user is None or user.id is None:
        raise NotFound(f"no user {username!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token))
    session.add(record)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="api_token.created", entity_type="user", entity_id=user.id,
        new={"token_name": name, "token_id": record.id},
    )
    return token


def principal_for_token(*, session: Session | Connection, token: str) -> Principal | None:
    """The principal a bearer token stands for, or None when it is unknown, revoked, or its user inactive.

    One query: it runs on every scan of every station.
    """
    if not _may_be_a_token(token):
        return None
    return _principal_from_rows(_PRINCIPAL_BY_TOKEN.rows(session, {"token_hash": _token_hash(token)}))


def principals_for_tokens(*, session: Session | Connection, tokens: Collection[str]) -> dict[str, Principal | None]:
    """The principal of each bearer token, as `principal_for_token` gives it, all looked up in one query."""
    hashes = {_token_hash(token): token for token in tokens if _may_be_a_token(token)}
    rows: dict[str, list[Any]] = {}
    if hashes:
        for row in session.execute(_PRINCIPALS_BY_TOKEN_HASHES, {"token_hashes": list(hashes)}):
            rows.setdefault(row[4], []).append(row[:4])
    found = {token: _principal_from_rows(rows.get(token_hash, [])) for token_hash, token in hashes.items()}
    return {token: found.get(token) for token in tokens}


def _may_be_a_token(token: str) -> bool:
    # Anything else is no token of ours, and is not looked up.
    return token.startswith(TOKEN_PREFIX) and len(token) <= 128
