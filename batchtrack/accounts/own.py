"""A user's own account: changing their password, seeing and ending their sessions.

A changed password ends every other session of the user (the one it was changed in goes on); a temporary password
(a new account's, or after a reset) opens nothing but the change of password until it is replaced.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.accounts import schemas
from batchtrack.audit import service as audit_service
from batchtrack.auth import passwords, sessions
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.errors import AuditedRefusal, BadRequest, Forbidden, NotFound
from batchtrack.i18n.text import _
from batchtrack.models.base import utcnow
from batchtrack.models.user import PasswordHistory, User, UserSession

PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 - an audit action, not a secret
SESSIONS_ENDED = "auth.sessions_ended"


def _own_user(*, session: Session, principal: Principal) -> User:
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise NotFound(_("this account has no password of its own"), code="user_not_found")
    return user


def past_hashes(*, session: Session, user: User, count: int) -> list[str]:
    """The hashes a new password may not match: the one held now and the user's last `count` passwords."""
    rows = session.execute(select(col(PasswordHistory.password_hash)).where(col(PasswordHistory.user_id) == user.id)
                           .order_by(col(PasswordHistory.set_at).desc(), col(PasswordHistory.id).desc())
                           .limit(count)).scalars().all()
    return [user.password_hash, *rows]


def change_password(*, session: Session, settings: Settings, principal: Principal, current: str, new: str,
                    repeat: str) -> tuple[User, int]:
    """Change one's own password: the current one must be given, the new one twice, meeting the password rules.

    It ends the user's other sessions (returns the user and how many), clears a required change, and joins the
    password history.
    """
    user = _own_user(session=session, principal=principal)
    if not passwords.verify_password(user.password_hash, current):
        # A wrong guess here is a guess at the password: it counts toward lockout like a failed sign-in.
        raise Forbidden(_("the current password is not right: the password was not changed"), code="password_current",
                        audit=AuditedRefusal(principal, "user.password_change_refused", "user", str(user.id),
                                             failed_attempt_of=user.id))
    if new != repeat:
        raise BadRequest(_("the new password and its repetition differ"), code="password_mismatch")
    passwords.require_acceptable(new, username=user.username, min_length=settings.password_min_length,
                                 past_hashes=past_hashes(session=session, user=user,
                                                         count=settings.password_history_count))
    now = utcnow()
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now
    session.add(user)
    session.add(PasswordHistory(user_id=user.id or 0, password_hash=user.password_hash, set_at=now))
    session.flush()
    ended = sessions.end_all_of(session=session, user_id=user.id or 0, reason=sessions.EndReason.PASSWORD_CHANGED,
                                keep=principal.session_id)
    audit_service.record(session=session, actor=principal, action=PASSWORD_CHANGED, entity_type="user",
                         entity_id=user.id or 0, new={"username": user.username, "other_sessions_ended": ended})
    return user, ended


def session_public(row: UserSession, *, current: int | None) -> schemas.SessionPublic:
    """One of the user's sessions as they see it."""
    return schemas.SessionPublic(id=row.id or 0, started_at=row.started_at, last_seen_at=row.last_seen_at,
                                 client_address=row.client_address, user_agent=row.user_agent,
                                 current=row.id == current)


def open_sessions(*, session: Session, settings: Settings, principal: Principal) -> list[schemas.SessionPublic]:
    """The user's open sessions, newest first, the current one marked."""
    if principal.user_id is None:
        return []
    rows = sessions.open_sessions_of(session=session, user_id=principal.user_id, settings=settings)
    return [session_public(row, current=principal.session_id) for row in rows]


def end_sessions(*, session: Session, principal: Principal, include_current: bool) -> int:
    """End the user's other sessions, or all of them; returns how many ended."""
    if principal.user_id is None:
        return 0
    keep = None if include_current else principal.session_id
    ended = sessions.end_all_of(session=session, user_id=principal.user_id, reason=sessions.EndReason.ENDED_BY_USER,
                                keep=keep)
    if ended:  # nothing ended, nothing to record
        audit_service.record(session=session, actor=principal, action=SESSIONS_ENDED, entity_type="user",
                             entity_id=principal.user_id, new={"ended": ended, "current_kept": keep is not None})
    return ended
