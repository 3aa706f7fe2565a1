"""Users, and sign-in with lockout (failed signatures count toward it too)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, inspect
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import passwords, sessions
from batchtrack.auth.principal import SYSTEM, Principal
from batchtrack.config import Settings
from batchtrack.db import Lookup
from batchtrack.errors import BadRequest, Conflict
from batchtrack.i18n.text import Text, _
from batchtrack.models.base import utcnow
from batchtrack.models.user import PasswordHistory, Role, User, UserRole
from batchtrack.notifications import events as notification_events

log = logging.getLogger(__name__)


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


# Built once, with bound parameters, from the tables' columns (see db.Lookup).
_USER, _USER_ROLE = (inspect(model).local_table for model in (User, UserRole))
_PRINCIPAL_BY_ID = Lookup(
    select(_USER.c.id, _USER.c.username, _USER.c.full_name, _USER_ROLE.c.role)
    .select_from(_USER).outerjoin(_USER_ROLE, _USER_ROLE.c.user_id == _USER.c.id)
    .where(_USER.c.is_active.is_(True), _USER.c.id == bindparam("user_id"))
)


def load_principal(*, session: Session | Connection, user_id: int) -> Principal | None:
    """The principal for an active user id, or None if the user is gone or deactivated (one query)."""
    return _principal_from_rows(_PRINCIPAL_BY_ID.rows(session, {"user_id": user_id}))


def create_user(
    *, session: Session, actor: Principal, username: str, full_name: str, password: str, roles: set[Role],
    settings: Settings | None = None, reason: str = "", signature_id: int | None = None,
) -> User:
    """Create a user with roles; the password meets the password rules, is hashed (never stored) and starts the
    user's password history. `reason` and `signature_id` record an administrator's signed decision to create it."""
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise BadRequest(_("a username is letters, digits, dot, dash or underscore"), code="username_invalid")
    if not full_name.strip():
        raise BadRequest(_("the printed name is required (it appears on signatures)"), code="full_name_required")
    if not roles:
        raise BadRequest(_("a user needs at least one role"), code="roles_required")
    min_length = settings.password_min_length if settings is not None else passwords.MIN_PASSWORD_LENGTH
    passwords.require_acceptable(password, username=username, min_length=min_length)
    if session.execute(select(col(User.id)).where(col(User.username) == username)).first():
        raise Conflict(_("user {username} already exists", username=repr(username)), code="user_exists")
    now = utcnow()
    user = User(username=username, full_name=full_name.strip(), password_hash=passwords.hash_password(password),
                password_changed_at=now)
    session.add(user)
    session.flush()
    assert user.id is not None
    for role in sorted(roles):
        session.add(UserRole(user_id=user.id, role=role.value))
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, set_at=now))
    session.flush()
    signed = {"signature_id": signature_id} if signature_id is not None else {}
    audit_service.record(
        session=session, actor=actor, action="user.created", entity_type="user", entity_id=user.id,
        new={"username": username, "full_name": user.full_name, "roles": sorted(r.value for r in roles), **signed},
        reason=reason,
    )
    return user


# One message for every refused sign-in: an unknown user name, a wrong password and a locked account read the
# same, so the answer never tells whether an account exists (lockout would otherwise reveal it after a few tries).
# A locked-out user learns why from an administrator, who sees the lockout in the audit trail.
LOGIN_REFUSED = _("Unknown user name or wrong password.")


def authenticate(*, session: Session, settings: Settings, username: str,
                 password: str) -> tuple[User | None, Text | None]:
    """Check a login; count failures and lock the account after too many. Returns (user, None) or (None, why)."""
    now = utcnow()
    user = session.execute(select(User).where(col(User.username) == username.strip().lower())).scalar_one_or_none()
    if user is None:
        passwords.verify_password(None, password)
        audit_service.record(
            session=session, actor=SYSTEM, action="auth.login_failed", entity_type="user",
            entity_id=username[:64], new={"reason": "unknown user"},
        )
        return None, LOGIN_REFUSED
    if is_locked(user, now):
        # Verified against nothing: the same work as any other attempt, and even the right password is refused.
        passwords.verify_password(None, password)
        audit_service.record(
            session=session, actor=SYSTEM, action="auth.login_refused", entity_type="user", entity_id=user.id or 0,
            new={"username": user.username, "reason": "locked"},
        )
        return None, LOGIN_REFUSED
    if not user.is_active or not passwords.verify_password(user.password_hash, password):
        count_failure(session=session, settings=settings, user=user, action="auth.login_failed")
        return None, LOGIN_REFUSED
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if passwords.needs_rehash(user.password_hash):
        # The hashing parameters changed since this hash was made: the password in hand is hashed anew.
        user.password_hash = passwords.hash_password(password)
    session.add(user)
    audit_service.record(
        session=session, actor=principal_for(session=session, user=user), action="auth.login",
        entity_type="user", entity_id=user.id or 0,
    )
    return user, None


def is_locked(user: User, now: datetime) -> bool:
    """Whether the account is locked out at `now` (pure)."""
    return user.locked_until is not None and user.locked_until > now


def count_failure(*, session: Session, settings: Settings, user: User, action: str,
                  details: dict[str, Any] | None = None) -> bool:
    """Count a failed sign-in or failed signature toward lockout, audited; True when it locked the account.

    The two count together (21 CFR 11.300(d)): guessing a password at a signature prompt is guessing it at
    sign-in. A lockout ends the user's open sessions.
    """
    user.failed_logins += 1
    locked = user.failed_logins >= settings.login_max_failures
    if locked:
        user.locked_until = utcnow() + timedelta(minutes=settings.login_lockout_minutes)
        user.failed_logins = 0
    session.add(user)
    new: dict[str, Any] = {"username": user.username, **(details or {})}
    if locked:
        assert user.id is not None and user.locked_until is not None
        sessions.end_all_of(session=session, user_id=user.id, reason=sessions.EndReason.LOCKED)
        new |= {"after": action, "locked_until": user.locked_until.isoformat()}
        notification_events.account_locked(session=session, user=user, after=action)
    audit_service.record(session=session, actor=SYSTEM, action="auth.locked" if locked else action,
                         entity_type="user", entity_id=user.id or 0, new=new)
    return locked
