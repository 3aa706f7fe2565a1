"""API tokens as people manage them: an administrator lists, issues and revokes anyone's; a user lists and revokes
their own. Issuing and the lookup on every request are `batchtrack.auth.tokens`."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.accounts import schemas
from batchtrack.auth import tokens
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.errors import BadRequest, NotFound
from batchtrack.i18n.text import _
from batchtrack.models.base import utcnow
from batchtrack.models.user import ApiToken, Role, User


def administers(principal: Principal) -> bool:
    """Whether the principal administers every account's tokens: the admin role, or the system (the command
    line)."""
    return principal.user_id is None or Role.ADMIN in principal.roles


def to_public(token: ApiToken, username: str) -> schemas.TokenPublic:
    """A token as it is listed: never the token itself, which is shown once when issued."""
    return schemas.TokenPublic(id=token.id or 0, username=username, name=token.name,
                               roles=sorted(r.value for r in tokens.roles_of_text(token.roles)), station=token.station,
                               created_at=token.created_at, expires_at=token.expires_at,
                               last_used_at=token.last_used_at, revoked_at=token.revoked_at,
                               state=tokens.state_of(token, now=utcnow()))


def _usernames(*, session: Session, user_ids: Collection[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(col(User.id), col(User.username)).where(col(User.id).in_(sorted(user_ids))))
    return {user_id: username for user_id, username in rows if user_id is not None}


def listed(*, session: Session, rows: list[ApiToken]) -> list[schemas.TokenPublic]:
    """Tokens as they are listed, their users' names read in one query."""
    names = _usernames(session=session, user_ids={t.user_id for t in rows})
    return [to_public(t, names.get(t.user_id, "?")) for t in rows]


def of_user(*, session: Session, user_id: int) -> list[schemas.TokenPublic]:
    """One user's tokens, newest first."""
    return listed(session=session, rows=tokens.tokens_of(session=session, user_id=user_id))


def own_tokens(*, session: Session, principal: Principal) -> list[schemas.TokenPublic]:
    """The principal's own tokens, newest first (an administrator's too)."""
    return [] if principal.user_id is None else of_user(session=session, user_id=principal.user_id)


def list_tokens(*, session: Session, principal: Principal, username: str | None = None) -> list[schemas.TokenPublic]:
    """Tokens, newest first: an administrator's choice of everyone's or one user's; anyone else's their own."""
    if not administers(principal):
        user_id = principal.user_id
        if user_id is None:
            return []
    elif username:
        found = session.execute(select(col(User.id)).where(col(User.username) == username.strip().lower())).scalar()
        if found is None:
            raise NotFound(_("no user {username}", username=repr(username.strip().lower())), code="user_not_found")
        user_id = found
    else:
        user_id = None
    return listed(session=session, rows=tokens.tokens_of(session=session, user_id=user_id))


def issue(*, session: Session, settings: Settings, actor: Principal, username: str, name: str,
          roles: Collection[str] = (), station: str | None = None, days: int | None = None) -> schemas.TokenIssued:
    """Issue a token for a user (roles: some of theirs, all when none are named); the token is shown this once."""
    known = {r.value for r in Role}
    unknown = sorted(set(roles) - known)
    if unknown:
        raise BadRequest(_("not a role: {unknown}", unknown=", ".join(unknown)), code="role_unknown")
    account = username.strip().lower()
    holder = session.execute(select(User).where(col(User.username) == account)).scalar_one_or_none()
    if holder is not None and not holder.is_active:
        # It would be refused at every use: say so now rather than hand out a token that never works.
        raise BadRequest(_("{account} is deactivated: reactivate the account first", account=repr(account)),
                         code="account_inactive")
    token = tokens.create(session=session, settings=settings, actor=actor, username=account, name=name,
                          roles={Role(r) for r in roles} or None, station=station, days=days)
    record = session.execute(select(ApiToken).where(col(ApiToken.token_hash) == tokens.token_hash(token))).scalar_one()
    return schemas.TokenIssued(**to_public(record, account).model_dump(), token=token)


def revoke(*, session: Session, actor: Principal, token_id: int, reason: str,
           own_only: bool = False) -> schemas.TokenPublic:
    """Revoke a token at once, with the reason: an administrator any (unless `own_only`), a user their own (another's
    is not found)."""
    record = session.get(ApiToken, token_id)
    mine = record is not None and record.user_id == actor.user_id
    if record is None or (not mine and (own_only or not administers(actor))):
        raise NotFound(_("no API token {token_id}", token_id=token_id), code="token_not_found")
    if not reason.strip():
        raise BadRequest(_("say why the token is revoked"), code="reason_required")
    revoked = tokens.revoke(session=session, actor=actor, token_id=token_id, reason=reason.strip())
    return listed(session=session, rows=[revoked])[0]
