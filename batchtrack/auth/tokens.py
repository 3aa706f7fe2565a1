"""API tokens: issued with some of a user's roles, an optional station and an expiry; looked up on every request.

A token is refused (401) once revoked or expired, and whenever its user is deactivated or locked; it carries only
the roles it was issued with that its user still holds. Only the token's SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, inspect, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.db import Lookup
from batchtrack.errors import BadRequest, NotFound
from batchtrack.i18n.text import Text, _
from batchtrack.models.base import utcnow
from batchtrack.models.user import ApiToken, Role, User, UserRole

TOKEN_PREFIX = "bt_"  # noqa: S105 - a marker, not a secret
# `last_used_at` is written at most this often per token (see auth.usage).
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """The SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def roles_text(roles: Iterable[Role]) -> str:
    """Roles as stored on a token: values, sorted, comma-separated."""
    return ",".join(sorted({r.value for r in roles}))


def roles_of_text(text: str) -> frozenset[Role]:
    """The roles a token's stored text names (values no longer known are dropped)."""
    known = {r.value for r in Role}
    return frozenset(Role(v) for v in text.split(",") if v in known)


def issue_refusal(*, asked: frozenset[Role], held: frozenset[Role], days: int, max_days: int) -> Text | None:
    """Why a token may not be issued with these roles and lifetime (pure); None when it may."""
    if not asked:
        return _("a token needs at least one role")
    if not asked <= held:
        extra = ", ".join(sorted(r.value for r in asked - held))
        return _("a token carries only roles its user holds (not: {extra})", extra=extra)
    if days < 1 or days > max_days:
        return _("a token expires between 1 and {max_days} days after it is issued", max_days=max_days)
    return None


def create(*, session: Session, settings: Settings, actor: Principal, username: str, name: str,
           roles: Collection[Role] | None = None, station: str | None = None, days: int | None = None) -> str:
    """Issue a bearer token for a user; returns the token, shown once (only its hash is kept).

    Without `roles` it carries all of the user's roles; without `days` it expires after the default lifetime.
    """
    user = session.execute(select(User).where(col(User.username) == username)).scalar_one_or_none()
    if user is None or user.id is None:
        raise NotFound(_("no user {username}", username=repr(username)))
    held = frozenset(Role(r) for r in session.execute(
        select(col(UserRole.role)).where(col(UserRole.user_id) == user.id)).scalars())
    asked = frozenset(roles) if roles is not None else held
    lifetime = settings.token_default_days if days is None else days
    why = issue_refusal(asked=asked, held=held, days=lifetime, max_days=settings.token_max_days)
    if why is not None:
        raise BadRequest(why, code="token_refused")
    if not name.strip():
        raise BadRequest(_("a token needs a name (what it is for)"), code="token_name_required")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    record = ApiToken(user_id=user.id, name=name.strip(), token_hash=token_hash(token), created_at=now,
                      roles=roles_text(asked), station=(station or None), expires_at=now + timedelta(days=lifetime))
    session.add(record)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="api_token.created", entity_type="user", entity_id=user.id,
        new={"token_name": record.name, "token_id": record.id, "roles": sorted(r.value for r in asked),
             "station": record.station, "expires_at": record.expires_at.isoformat()},
    )
    return token


def revoke(*, session: Session, actor: Principal, token_id: int, reason: str) -> ApiToken:
    """Revoke a token at once; audited. Revoking one revoked already changes nothing."""
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(_("no API token {token_id}", token_id=token_id))
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.flush()
        audit_service.record(session=session, actor=actor, action="api_token.revoked", entity_type="user",
                             entity_id=record.user_id, new={"token_id": record.id, "token_name": record.name},
                             reason=reason)
    return record


def revoke_all_of(*, session: Session, user_id: int) -> int:
    """Revoke every token of a user still valid (the caller audits why); returns how many."""
    result = session.execute(update(ApiToken).where(col(ApiToken.user_id) == user_id,
                                                    col(ApiToken.revoked_at).is_(None))
                             .values(revoked_at=utcnow()))
    return int(result.rowcount)  # type: ignore[attr-defined]


def tokens_of(*, session: Session, user_id: int | None = None) -> list[ApiToken]:
    """Tokens, newest first: of one user, or of everyone."""
    query = select(ApiToken).order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    if user_id is not None:
        query = query.where(col(ApiToken.user_id) == user_id)
    return list(session.execute(query).scalars())


def state_of(token: ApiToken, *, now: datetime | None = None) -> str:
    """'revoked', 'expired' or 'active' (pure)."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


@dataclass(frozen=True, slots=True)
class TokenUse:
    """A token found valid: its principal, and whether its last use is old enough to be written again."""

    principal: Principal
    token_id: int
    stale: bool


# Run on every request made with a token (every scan of every station): built once, with bound parameters, from
# the tables' columns; on a plain connection it goes straight to the driver (see db.Lookup). Expiry and lockout
# are compared in Python: a Lookup passes its parameters unconverted, and a timestamp would need converting.
_USER, _USER_ROLE, _API_TOKEN = (inspect(model).local_table for model in (User, UserRole, ApiToken))
_TOKEN_PRINCIPAL = (
    select(_USER.c.id, _USER.c.username, _USER.c.full_name, _USER_ROLE.c.role, _USER.c.locked_until,
           _API_TOKEN.c.id, _API_TOKEN.c.roles, _API_TOKEN.c.station, _API_TOKEN.c.expires_at,
           _API_TOKEN.c.last_used_at, _API_TOKEN.c.token_hash)
    .select_from(_API_TOKEN).join(_USER, _API_TOKEN.c.user_id == _USER.c.id)
    .outerjoin(_USER_ROLE, _USER_ROLE.c.user_id == _USER.c.id)
    .where(_USER.c.is_active.is_(True), _API_TOKEN.c.revoked_at.is_(None))
)
_BY_HASH = Lookup(_TOKEN_PRINCIPAL.where(_API_TOKEN.c.token_hash == bindparam("token_hash")))
_BY_HASHES = _TOKEN_PRINCIPAL.where(_API_TOKEN.c.token_hash.in_(bindparam("token_hashes", expanding=True)))


def use_of_rows(rows: list[Any], now: datetime) -> TokenUse | None:
    """The token's use from its lookup rows (one per role its user holds), or None when it may not be used (pure):
    no rows (unknown, revoked, user inactive), expired, or its user locked."""
    if not rows:
        return None
    user_id, username, full_name, _, locked_until, token_id, carried, station, expires_at, last_used_at, _ = rows[0]
    if expires_at <= now or (locked_until is not None and locked_until > now):
        return None
    held = frozenset(Role(r[3]) for r in rows if r[3] is not None)
    principal = Principal(user_id, username, full_name, held & roles_of_text(carried), token_id=token_id,
                          station=station)
    return TokenUse(principal, token_id, last_used_at is None or now - last_used_at >= TOUCH_EVERY)


def may_be_a_token(token: str) -> bool:
    """Whether the text could be a token of ours: anything else is not looked up."""
    return token.startswith(TOKEN_PREFIX) and len(token) <= 128


def use(*, session: Session | Connection, token: str, now: datetime | None = None) -> TokenUse | None:
    """The principal a bearer token stands for, or None when it may not be used. One query."""
    if not may_be_a_token(token):
        return None
    return use_of_rows(_BY_HASH.rows(session, {"token_hash": token_hash(token)}), now or utcnow())


def uses(*, session: Session | Connection, tokens: Collection[str],
         now: datetime | None = None) -> dict[str, TokenUse | None]:
    """`use` of each of many tokens, all looked up in one query."""
    hashes = {token_hash(token): token for token in tokens if may_be_a_token(token)}
    rows: dict[str, list[Any]] = {}
    if hashes:
        for row in session.execute(_BY_HASHES, {"token_hashes": list(hashes)}):
            rows.setdefault(row[10], []).append(tuple(row))
    moment = now or utcnow()
    found = {token: use_of_rows(rows.get(digest, []), moment) for digest, token in hashes.items()}
    return {token: found.get(token) for token in tokens}


def touch(*, session: Session, token_ids: Collection[int], now: datetime | None = None) -> None:
    """Record the last use of tokens."""
    if token_ids:
        session.execute(update(ApiToken).where(col(ApiToken.id).in_(sorted(token_ids)))
                        .values(last_used_at=now or utcnow()))
