"""Browser sessions held by the server: started at sign-in, looked up at every request, ended for good.

The session cookie (signed by the application's secret) carries only a random key; the server keeps the key's
SHA-256 in `user_session`, with the times that decide whether the session is still open. Every server reads the
same row, so a session ended on one server (sign-out, deactivation, a change of roles or password) is refused by
all of them at their next request, as is one left idle or too old.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, bindparam, inspect, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.db import Lookup
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role, User, UserRole, UserSession

# The cookie's key: 256 random bits, URL-safe.
KEY_BYTES = 32
# `last_seen_at` is written at most this often: a session's idle time is then known to within this much, and a
# page's many requests do not each write a row.
TOUCH_EVERY = timedelta(seconds=30)


class EndReason(StrEnum):
    """Why a session ended (stored in `user_session.end_reason`)."""

    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    EXPIRED = "expired"
    DEACTIVATED = "deactivated"
    ROLES_CHANGED = "roles_changed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a secret
    ENDED_BY_USER = "ended_by_user"
    LOCKED = "locked"


_REASONS = frozenset(r.value for r in EndReason)


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A session found open: who acts in it, its first signature, whether its user must change their password
    first, and whether its last request was recorded long enough ago to record this one."""

    principal: Principal
    first_signed_at: datetime | None
    must_change_password: bool
    stale: bool


def key_hash(key: str) -> str:
    """The SHA-256 of a session key, as stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def refusal(*, started_at: datetime, last_seen_at: datetime, ended_at: datetime | None, now: datetime,
            idle: timedelta, absolute: timedelta, end_reason: str | None = None) -> EndReason | None:
    """Why a session may no longer be used (pure): ended already (and why), idle too long, or too old; None when
    open."""
    if ended_at is not None:
        return EndReason(end_reason) if end_reason in _REASONS else EndReason.SIGNED_OUT
    if now - started_at >= absolute:
        return EndReason.EXPIRED
    if now - last_seen_at >= idle:
        return EndReason.IDLE
    return None


def limits(settings: Settings) -> tuple[timedelta, timedelta]:
    """(idle, absolute) lifetimes from the settings."""
    return timedelta(minutes=settings.session_idle_minutes), timedelta(seconds=settings.session_max_age_seconds)


def start(*, session: Session, user_id: int, client_address: str = "", user_agent: str = "") -> str:
    """Open a session for a user who just signed in; returns the key for the cookie (only its hash is kept)."""
    key = secrets.token_urlsafe(KEY_BYTES)
    now = utcnow()
    session.add(UserSession(key_hash=key_hash(key), user_id=user_id, started_at=now, last_seen_at=now,
                            client_address=client_address[:64], user_agent=user_agent[:200]))
    session.flush()
    return key


# Run on every request of every browser: the session and its user's principal in one query, built once with bound
# parameters (see db.Lookup). A deactivated user's session is refused whatever its own state.
_SESSION, _USER, _USER_ROLE = (inspect(model).local_table for model in (UserSession, User, UserRole))
_BY_KEY = Lookup(
    select(_SESSION.c.id, _SESSION.c.started_at, _SESSION.c.last_seen_at, _SESSION.c.ended_at,
           _SESSION.c.end_reason, _SESSION.c.first_signed_at, _USER.c.id, _USER.c.username, _USER.c.full_name,
           _USER.c.must_change_password, _USER.c.is_active, _USER_ROLE.c.role, _USER.c.language)
    .select_from(_SESSION).join(_USER, _USER.c.id == _SESSION.c.user_id)
    .outerjoin(_USER_ROLE, _USER_ROLE.c.user_id == _USER.c.id)
    .where(_SESSION.c.key_hash == bindparam("key_hash"))
)


@dataclass(frozen=True, slots=True)
class Found:
    """What a cookie's key opens: the session and its principal, or why it opens nothing (`reason`; None for a key
    that names no session of an active user)."""

    open: OpenSession | None
    reason: EndReason | None = None


def found_of_rows(rows: list[Any], *, now: datetime, idle: timedelta, absolute: timedelta) -> Found:
    """The session a key's lookup rows show (pure): one row per role its user holds."""
    if not rows:
        return Found(None)
    (session_id, started_at, last_seen_at, ended_at, end_reason, first_signed_at, user_id, username, full_name,
     must_change, active, _, _) = rows[0]
    if not active:
        return Found(None, EndReason.DEACTIVATED)
    why = refusal(started_at=started_at, last_seen_at=last_seen_at, ended_at=ended_at, now=now, idle=idle,
                  absolute=absolute, end_reason=end_reason)
    if why is not None:
        return Found(None, why)
    roles = frozenset(Role(r[11]) for r in rows if r[11] is not None)
    principal = Principal(user_id, username, full_name, roles, session_id=session_id, language=rows[0][12])
    return Found(OpenSession(principal, first_signed_at, bool(must_change), now - last_seen_at >= TOUCH_EVERY))


def look_up(*, session: Session | Connection, key: str, settings: Settings, now: datetime | None = None) -> Found:
    """The open session a cookie's key names, with its principal; else why there is none."""
    idle, absolute = limits(settings)
    return found_of_rows(_BY_KEY.rows(session, {"key_hash": key_hash(key)}), now=now or utcnow(), idle=idle,
                         absolute=absolute)


def touch(*, session: Session, session_id: int, now: datetime | None = None) -> None:
    """Record a request in an open session (its idle time starts again)."""
    session.execute(update(UserSession).where(col(UserSession.id) == session_id, col(UserSession.ended_at).is_(None))
                    .values(last_seen_at=now or utcnow()))


def end(*, session: Session, session_id: int, reason: EndReason, now: datetime | None = None) -> bool:
    """End one session; False when it had ended already."""
    result = session.execute(
        update(UserSession).where(col(UserSession.id) == session_id, col(UserSession.ended_at).is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason.value))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_all_of(*, session: Session, user_id: int, reason: EndReason, keep: int | None = None) -> int:
    """End every open session of a user (but `keep`, when given); returns how many were ended."""
    query = update(UserSession).where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
    if keep is not None:
        query = query.where(col(UserSession.id) != keep)
    result = session.execute(query.values(ended_at=utcnow(), end_reason=reason.value))
    return int(result.rowcount)  # type: ignore[attr-defined]


def open_sessions_of(*, session: Session, user_id: int, settings: Settings) -> list[UserSession]:
    """A user's sessions that are still open, newest first."""
    now = utcnow()
    idle, absolute = limits(settings)
    rows = session.execute(select(UserSession).where(col(UserSession.user_id) == user_id,
                                                     col(UserSession.ended_at).is_(None))
                           .order_by(col(UserSession.started_at).desc())).scalars().all()
    return [row for row in rows if refusal(started_at=row.started_at, last_seen_at=row.last_seen_at,
                                           ended_at=row.ended_at, now=now, idle=idle, absolute=absolute) is None]


def mark_signed(*, session: Session, session_id: int) -> None:
    """Record the session's first electronic signature (made with user id and password)."""
    session.execute(update(UserSession).where(col(UserSession.id) == session_id,
                                              col(UserSession.first_signed_at).is_(None))
                    .values(first_signed_at=utcnow()))
