"""Administering accounts (the admin role): create, deactivate, reactivate, change roles, reset a password.

Each is the administrator's signed decision (meaning: approved) with a reason, recorded in the audit trail in the
same transaction as the change; `signed_content_of` rebuilds what was signed from that entry. The command line
acts as the system, which cannot sign: its entries carry the reason alone. Deactivation, a change of roles and a
reset end the user's open sessions at once on every server; a deactivated user's tokens are refused by the token
lookup, which admits only active users.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.accounts import gates, schemas
from batchtrack.audit import service as audit_service
from batchtrack.auth import passwords, sessions, signatures
from batchtrack.auth import service as auth_service
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.errors import AuditedRefusal, BadRequest, InvalidTransition, NotFound, Reason
from batchtrack.i18n.text import Text, _
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import Role, User, UserRole

# The signature names the account by its user name (unique, never changed), signed before a new account exists.
SIGNED_ENTITY = "user_account"
CREATED = "user.created"
DEACTIVATED = "user.deactivated"
REACTIVATED = "user.reactivated"
ROLES_CHANGED = "user.roles_changed"
PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an audit action, not a secret
# The values of each action's entry that its signature covers, besides the account and the reason.
SIGNED_DETAILS: dict[str, tuple[str, ...]] = {
    CREATED: ("full_name", "roles"), DEACTIVATED: (), REACTIVATED: (), ROLES_CHANGED: ("roles_before", "roles"),
    PASSWORD_RESET: (),
}
# The refusal of each action as people read it; the English is the action's name as recorded ("roles changed").
_REFUSED: dict[str, Callable[[str], Text]] = {
    CREATED: lambda account: _("created of {account} refused", account=account),
    DEACTIVATED: lambda account: _("deactivated of {account} refused", account=account),
    REACTIVATED: lambda account: _("reactivated of {account} refused", account=account),
    ROLES_CHANGED: lambda account: _("roles changed of {account} refused", account=account),
    PASSWORD_RESET: lambda account: _("password reset of {account} refused", account=account),
}
# A temporary password: 128 random bits, URL-safe, longer than any minimum length the settings allow below 22.
_TEMPORARY_BYTES = 16


@dataclass(frozen=True, slots=True)
class Signing:
    """The signature an administrator gives with an action: the user id they typed ("" when not typed) and their
    password."""

    username: str
    password: str


def signed_content(*, action: str, account: str, reason: str, details: dict[str, Any]) -> dict[str, Any]:
    """What an administrator's signature on an account action covers (pure): the action, the account, why, and
    what it set (a new account's printed name and roles; the roles before and after a change)."""
    return {"action": action, "account": account, "reason": reason, **details}


def temporary_password(*, username: str, min_length: int) -> str:
    """A random password that meets the password rules, for a new account or a reset."""
    while True:
        candidate = secrets.token_urlsafe(max(_TEMPORARY_BYTES, min_length))
        if not passwords.weaknesses(candidate, username=username, min_length=min_length):
            return candidate


def get_by_username(*, session: Session, username: str, for_update: bool = False) -> User:
    """A user by user name (case ignored); 404 when there is none."""
    query = select(User).where(col(User.username) == username.strip().lower())
    user = session.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
    if user is None:
        raise NotFound(_("no user {username}", username=repr(username.strip().lower())), code="user_not_found")
    return user


def role_values(*, session: Session, user_id: int) -> frozenset[str]:
    """The role values a user holds."""
    return frozenset(r.value for r in auth_service.roles_of(session=session, user_id=user_id))


def active_admin_count(*, session: Session) -> int:
    """How many active users hold the admin role; their rows are locked (in id order) until the transaction ends,
    so that two administrators removing each other at once cannot both succeed: the second waits, then counts
    again (PostgreSQL; SQLite has one writer at a time)."""
    ids = session.execute(select(col(User.id)).join(UserRole, col(UserRole.user_id) == col(User.id))
                          .where(col(User.is_active).is_(True), col(UserRole.role) == Role.ADMIN.value)
                          .order_by(col(User.id)).with_for_update(of=User)).scalars().all()
    return len(set(ids))


def _account_facts(*, session: Session, actor: Principal, username: str) -> tuple[User, gates.AccountFacts]:
    """The account acted on, locked, and what the guards need to know about it. The administrators are locked
    before the account, always in that order, so that two such actions wait for each other instead of deadlocking."""
    admins = active_admin_count(session=session)
    user = get_by_username(session=session, username=username, for_update=True)
    assert user.id is not None
    return user, gates.AccountFacts(actor_id=actor.user_id, user_id=user.id, is_active=user.is_active,
                                    roles=role_values(session=session, user_id=user.id), active_admins=admins)


def _refuse(reasons: list[Reason], *, actor: Principal, action: str, account: str) -> None:
    """Raise the refusal of an account action with every reason; audited after the rollback."""
    if not reasons:
        return
    audit = AuditedRefusal(actor, f"{action}_refused", "user", account)
    message = _REFUSED[action](repr(account))
    if all(r.code in gates.INPUT_REASONS for r in reasons):
        raise BadRequest(message, code=reasons[0].code, reasons=reasons, audit=audit)
    raise InvalidTransition(message, code="account_refused", reasons=reasons, audit=audit)


def _reason_text(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise BadRequest(_("say why: every change to an account is recorded with its reason"),
                         code="reason_required")
    return text


def _sign(*, session: Session, actor: Principal, signing: Signing | None, content: dict[str, Any]) -> int | None:
    """Sign an action's content as the acting administrator; None when the system acts (the command line)."""
    if actor.user_id is None:
        return None
    if signing is None:
        raise BadRequest(_("sign the change with your password"), code="signature_required")
    signature = signatures.sign(session=session, signer=actor, username=signing.username, password=signing.password,
                                meaning=SignatureMeaning.APPROVED, entity_type=SIGNED_ENTITY,
                                entity_id=content["account"], content=content)
    return signature.id


def _record(*, session: Session, actor: Principal, action: str, user: User, reason: str, signature_id: int | None,
            details: dict[str, Any], old: dict[str, Any] | None = None, more: dict[str, Any] | None = None) -> None:
    signed = {"signature_id": signature_id} if signature_id is not None else {}
    audit_service.record(session=session, actor=actor, action=action, entity_type="user", entity_id=user.id or 0,
                         old=old, new={"username": user.username, **details, **(more or {}), **signed},
                         reason=reason)


def create(*, session: Session, settings: Settings, actor: Principal, username: str, full_name: str,
           roles: Iterable[str], reason: str, signing: Signing | None = None,
           password: str | None = None) -> tuple[User, str | None]:
    """Create a user holding known roles; signed. Without `password` (the command line gives one) the user gets a
    temporary password, returned once, to replace at their first sign-in."""
    account = username.strip().lower()
    asked = sorted({r.strip().lower() for r in roles})
    _refuse(gates.guard_create(asked), actor=actor, action=CREATED, account=account)
    text = _reason_text(reason)
    temporary = None if password is not None else temporary_password(username=account,
                                                                    min_length=settings.password_min_length)
    details = {"full_name": full_name.strip(), "roles": asked}
    signature_id = _sign(session=session, actor=actor, signing=signing,
                         content=signed_content(action=CREATED, account=account, reason=text, details=details))
    user = auth_service.create_user(session=session, actor=actor, username=account, full_name=full_name,
                                    password=password if password is not None else str(temporary),
                                    roles={Role(r) for r in asked}, settings=settings, reason=text,
                                    signature_id=signature_id)
    if temporary is not None:
        user.must_change_password = True
        session.add(user)
        session.flush()
    return user, temporary


def deactivate(*, session: Session, actor: Principal, username: str, reason: str,
               signing: Signing | None = None) -> User:
    """Deactivate an account: its sessions end at once and its tokens are refused; signed."""
    user, facts = _account_facts(session=session, actor=actor, username=username)
    _refuse(gates.guard_deactivate(facts), actor=actor, action=DEACTIVATED, account=user.username)
    text = _reason_text(reason)
    signature_id = _sign(session=session, actor=actor, signing=signing,
                         content=signed_content(action=DEACTIVATED, account=user.username, reason=text, details={}))
    user.is_active = False
    session.add(user)
    session.flush()
    assert user.id is not None
    ended = sessions.end_all_of(session=session, user_id=user.id, reason=sessions.EndReason.DEACTIVATED)
    _record(session=session, actor=actor, action=DEACTIVATED, user=user, reason=text, signature_id=signature_id,
            details={}, old={"is_active": True}, more={"is_active": False, "sessions_ended": ended})
    return user


def reactivate(*, session: Session, actor: Principal, username: str, reason: str,
               signing: Signing | None = None) -> User:
    """Reactivate a deactivated account; signed."""
    user, facts = _account_facts(session=session, actor=actor, username=username)
    _refuse(gates.guard_reactivate(facts), actor=actor, action=REACTIVATED, account=user.username)
    text = _reason_text(reason)
    signature_id = _sign(session=session, actor=actor, signing=signing,
                         content=signed_content(action=REACTIVATED, account=user.username, reason=text, details={}))
    user.is_active = True
    session.add(user)
    session.flush()
    _record(session=session, actor=actor, action=REACTIVATED, user=user, reason=text, signature_id=signature_id,
            details={}, old={"is_active": False}, more={"is_active": True})
    return user


def change_roles(*, session: Session, actor: Principal, username: str, roles: Iterable[str], reason: str,
                 signing: Signing | None = None) -> User:
    """Replace a user's roles; their sessions end at once (their tokens carry only roles they still hold); signed."""
    user, facts = _account_facts(session=session, actor=actor, username=username)
    asked = sorted({r.strip().lower() for r in roles})
    _refuse(gates.guard_change_roles(facts, asked), actor=actor, action=ROLES_CHANGED, account=user.username)
    text = _reason_text(reason)
    details = {"roles_before": sorted(facts.roles), "roles": asked}
    signature_id = _sign(session=session, actor=actor, signing=signing,
                         content=signed_content(action=ROLES_CHANGED, account=user.username, reason=text,
                                                details=details))
    assert user.id is not None
    session.execute(delete(UserRole).where(col(UserRole.user_id) == user.id))
    session.add_all(UserRole(user_id=user.id, role=role) for role in asked)
    session.flush()
    ended = sessions.end_all_of(session=session, user_id=user.id, reason=sessions.EndReason.ROLES_CHANGED)
    _record(session=session, actor=actor, action=ROLES_CHANGED, user=user, reason=text, signature_id=signature_id,
            details=details, more={"sessions_ended": ended})
    return user


def reset_password(*, session: Session, settings: Settings, actor: Principal, username: str, reason: str,
                   signing: Signing | None = None) -> tuple[User, str]:
    """Give a user a temporary password (returned once, never recorded) that opens only the page to choose their
    own; their sessions end at once; signed."""
    user, facts = _account_facts(session=session, actor=actor, username=username)
    _refuse(gates.guard_reset_password(facts), actor=actor, action=PASSWORD_RESET, account=user.username)
    text = _reason_text(reason)
    signature_id = _sign(session=session, actor=actor, signing=signing,
                         content=signed_content(action=PASSWORD_RESET, account=user.username, reason=text,
                                                details={}))
    temporary = temporary_password(username=user.username, min_length=settings.password_min_length)
    user.password_hash = passwords.hash_password(temporary)
    user.must_change_password = True
    user.password_changed_at = utcnow()
    session.add(user)
    session.flush()
    assert user.id is not None
    ended = sessions.end_all_of(session=session, user_id=user.id, reason=sessions.EndReason.PASSWORD_CHANGED)
    _record(session=session, actor=actor, action=PASSWORD_RESET, user=user, reason=text, signature_id=signature_id,
            details={}, more={"must_change_password": True, "sessions_ended": ended})
    return user, temporary


USER_STATES = ("active", "inactive", "locked")


def list_users(*, session: Session, offset: int, limit: int, role: str | None = None, state: str | None = None,
               text: str = "") -> tuple[list[User], int]:
    """Users by user name, filtered by role, state (active, inactive, locked) and a text in the user name or printed
    name; a page of them and how many match."""
    query = select(User)
    if role:
        query = query.where(col(User.id).in_(select(col(UserRole.user_id)).where(col(UserRole.role) == role)))
    if state == "active":
        query = query.where(col(User.is_active).is_(True))
    elif state == "inactive":
        query = query.where(col(User.is_active).is_(False))
    elif state == "locked":
        query = query.where(col(User.locked_until) > utcnow())
    if text.strip():
        pattern = f"%{text.strip().lower()}%"
        query = query.where(col(User.username).like(pattern) | func.lower(col(User.full_name)).like(pattern))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(col(User.username)).offset(offset).limit(limit)).scalars().all()
    return list(rows), int(total)


def require_filters(*, role: str | None, state: str | None) -> None:
    """Refuse (400) a role or state filter that names none."""
    if role and role not in gates.KNOWN_ROLES:
        raise BadRequest(_("not a role: {role}", role=repr(role)), code="role_unknown")
    if state and state not in USER_STATES:
        raise BadRequest(_("a state is one of {states}", states=", ".join(USER_STATES)), code="state_unknown")


def roles_by_user(*, session: Session, user_ids: Iterable[int]) -> dict[int, list[str]]:
    """The role values of many users, sorted, in one query."""
    ids = sorted(set(user_ids))
    found: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for user_id, role in session.execute(select(col(UserRole.user_id), col(UserRole.role))
                                             .where(col(UserRole.user_id).in_(ids))):
            found[user_id].append(role)
    return {i: sorted(roles) for i, roles in found.items()}


def to_public(user: User, roles: list[str]) -> schemas.UserPublic:
    """A user as the administrator sees it, with its state (inactive before locked: a deactivated account stays
    closed when its lockout ends)."""
    locked = auth_service.is_locked(user, utcnow())
    state = "inactive" if not user.is_active else "locked" if locked else "active"
    return schemas.UserPublic(username=user.username, full_name=user.full_name, roles=roles, state=state,
                              is_active=user.is_active, locked_until=user.locked_until if locked else None,
                              must_change_password=user.must_change_password, created_at=user.created_at,
                              last_login_at=user.last_login_at, password_changed_at=user.password_changed_at)


def to_public_many(*, session: Session, users: list[User]) -> list[schemas.UserPublic]:
    """Users as the administrator sees them, their roles read in one query."""
    roles = roles_by_user(session=session, user_ids=[u.id for u in users if u.id is not None])
    return [to_public(u, roles.get(u.id or 0, [])) for u in users]


def public_of(*, session: Session, user: User) -> schemas.UserPublic:
    """One user as the administrator sees them."""
    return to_public_many(session=session, users=[user])[0]


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What an administrator's signature on an account action covers, rebuilt from the entry that recorded the
    action; None if none records it."""
    user_id = session.execute(select(col(User.id)).where(col(User.username) == signature.entity_id)).scalar()
    if user_id is None:
        return None
    entries = session.execute(select(col(AuditEntry.action), col(AuditEntry.new_values), col(AuditEntry.reason))
                              .where(col(AuditEntry.entity_type) == "user",
                                     col(AuditEntry.entity_id) == str(user_id),
                                     col(AuditEntry.action).in_(SIGNED_DETAILS))).all()
    for action, values, reason in entries:
        recorded = json.loads(values)
        if recorded.get("signature_id") == signature.id:
            details = {name: recorded.get(name) for name in SIGNED_DETAILS[action]}
            return signed_content(action=action, account=str(recorded.get("username")), reason=reason,
                                  details=details)
    return None
