"""Request dependencies: the database session, the acting principal, role checks, CSRF."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from batchtrack.audit import anchoring
from batchtrack.audit import service as audit_service
from batchtrack.auth import service as auth_service
from batchtrack.auth import sessions, signing_rules, tokens, usage
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import BatchtrackError, Forbidden, NotAuthenticated, PasswordChangeRequired
from batchtrack.i18n.text import Text, _
from batchtrack.models.user import Role, User

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# The browser session's key in the signed cookie (the server keeps its hash, see auth.sessions).
SESSION_KEY = "sid"
# What a signed-in user whose password was reset may still reach: the page to change it, and sign-out.
PASSWORD_CHANGE_PATHS = frozenset({"/account/password", "/logout", "/api/v1/me/password"})
SESSION_ENDED: dict[sessions.EndReason | None, Text] = {
    None: _("sign in first"),
    sessions.EndReason.SIGNED_OUT: _("your session has ended; sign in again"),
    sessions.EndReason.IDLE: _("your session ended after a time without use; sign in again"),
    sessions.EndReason.EXPIRED: _("your session reached its longest allowed time; sign in again"),
    sessions.EndReason.DEACTIVATED: _("your account was deactivated"),
    sessions.EndReason.ROLES_CHANGED: _("your roles were changed; sign in again"),
    sessions.EndReason.PASSWORD_CHANGED: _("your password was changed; sign in again"),
    sessions.EndReason.ENDED_BY_USER: _("this session was ended from your list of sessions; sign in again"),
    sessions.EndReason.LOCKED: _("your account was locked after too many failed attempts"),
}


# Dependencies that do no I/O are `async def`: FastAPI then calls them on the event loop instead of handing each
# one to its thread pool (a thread hop per dependency per request adds up on the scan path).
async def get_settings(request: Request) -> Settings:
    """The settings of the running application."""
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    """The database of the running application."""
    database: Database = request.app.state.db
    return database


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; commit before the response is sent, roll back on any error.

    A refusal that must be audited (a gate said no) is recorded after the rollback, in a transaction of its
    own, so the refused change leaves nothing behind but the record of its refusal.
    """
    database: Database = request.app.state.db
    session = database.session(write=request.method not in SAFE_METHODS)
    try:
        yield session
        session.commit()
    except BatchtrackError as exc:
        session.rollback()
        if exc.audit is not None:
            _record_refusal(database, exc, request.app.state.settings)
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    database.committed(session)


def _record_refusal(database: Database, exc: BatchtrackError, settings: Settings) -> None:
    """Record a refusal after its request was rolled back; a failed attempt at a user's credentials it was (a
    wrong password at a signature) counts toward their lockout in the same transaction."""
    assert exc.audit is not None
    refusal = exc.audit
    with database.transaction(write=True) as session:
        audit_service.record(
            session=session, actor=refusal.actor, action=refusal.action, entity_type=refusal.entity_type,
            entity_id=refusal.entity_id,
            new={"refused": exc.code, "reasons": [r.as_dict() for r in exc.reasons], **refusal.details},
            reason=exc.message,
        )
        if refusal.failed_attempt_of is not None:
            user = session.get(User, refusal.failed_attempt_of)
            if user is not None:
                auth_service.count_failure(session=session, settings=settings, user=user,
                                           action=signing_rules.FAILED_ACTION, details={"refused": exc.code})


T = TypeVar("T")


def run_audited(database: Database, work: Callable[[Session], T], *, settings: Settings) -> T:
    """Run `work` in a write transaction of its own: a refusal rolls it back, is recorded, and is raised again.

    For pages that show a refusal in place (a station's red verdict) rather than as an error page. `settings`: the
    application's, for a refused signature's count toward lockout.
    """
    try:
        with database.transaction(write=True) as session:
            return work(session)
    except BatchtrackError as exc:
        if exc.audit is not None:
            _record_refusal(database, exc, settings)
        raise


async def get_anchor(request: Request) -> anchoring.Anchor:
    """The application's writer of audit checkpoints."""
    anchor: anchoring.Anchor = request.app.state.anchor
    return anchor


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
AnchorDep = Annotated[anchoring.Anchor, Depends(get_anchor)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser session, created on first use."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request from a browser session that does not carry the session's CSRF token."""
    expected = request.session.get(CSRF_SESSION_KEY)
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        supplied = value if isinstance(value, str) else None
    if not isinstance(expected, str) or supplied is None or not hmac.compare_digest(expected, supplied):
        raise Forbidden(_("the form has expired or did not come from this site; reload the page and try again"),
                        code="csrf")


async def browser_csrf(request: Request) -> None:
    """For a signed-in browser session, an unsafe request must carry the session's CSRF token.

    Bearer-token requests carry no cookie to ride on, so they need none; anonymous requests are refused by
    authentication instead.
    """
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return
    if isinstance(request.session.get(SESSION_KEY), str):
        await check_csrf(request)


# Plain `def`: FastAPI runs it in its thread pool, so the database lookups never block the event loop. The
# lookup uses a short read-only session of its own: on SQLite, the request's write transaction (and its lock)
# then begins only when the route itself starts to work.
def get_principal(request: Request, _csrf: Annotated[None, Depends(browser_csrf)]) -> Principal:
    """The authenticated principal: a bearer token, or a browser session (CSRF checked before this runs)."""
    database: Database = request.app.state.db
    with database.transaction(write=False) as session:
        principal = _resolve_principal(request, session)
    if getattr(request.state, "use_noted", False):
        usage_of(request).flush(database)
    return principal


def usage_of(request: Request) -> usage.Usage:
    """The application's notes of sessions and tokens used."""
    noted: usage.Usage = request.app.state.usage
    return noted


def _resolve_principal(request: Request, session: Session) -> Principal:
    token, key = _presented(request)
    return _look_up(request, session, token, key)


def _presented(request: Request) -> tuple[str | None, str | None]:
    # (bearer token, None) or (None, the browser session's key); a request that presents neither is refused here,
    # before any database work.
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _space, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated(_("use the Authorization header as: Bearer <token>"))
        return token.strip(), None
    key = request.session.get(SESSION_KEY)
    if not isinstance(key, str):
        raise NotAuthenticated(_("sign in first"))
    return None, key


def _look_up(request: Request, session: Session | Connection, token: str | None, key: str | None,
             callers: Mapping[str, tokens.TokenUse | None] | None = None) -> Principal:
    # `callers`: the uses of bearer tokens looked up already, in the same read transaction.
    if token is not None:
        looked_up = callers or {}
        use = looked_up[token] if token in looked_up else tokens.use(session=session, token=token)
        if use is None:
            raise NotAuthenticated(_("the API token is unknown, revoked or expired, or its user may not sign in"))
        if use.stale:
            _note(request, token_id=use.token_id)
        principal = use.principal
    else:
        assert key is not None
        settings: Settings = request.app.state.settings
        found = sessions.look_up(session=session, key=key, settings=settings)
        if found.open is None:
            request.session.clear()
            raise NotAuthenticated(SESSION_ENDED.get(found.reason, SESSION_ENDED[None]), code="session_ended")
        if found.open.stale:
            _note(request, session_id=found.open.principal.session_id)
        principal = found.open.principal
        if found.open.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
            request.state.principal = principal
            raise PasswordChangeRequired()
    request.state.principal = principal  # error pages show who is signed in
    return principal


def _note(request: Request, *, session_id: int | None = None, token_id: int | None = None) -> None:
    usage_of(request).note(session_id=session_id, token_id=token_id)
    request.state.use_noted = True


class Allow:
    """A dependency that admits only principals holding one of `roles`; routes declare it."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def admit(self, principal: Principal) -> Principal:
        """The principal, if it holds one of the roles; refused (403) otherwise."""
        if not principal.has_any(self.roles):
            needed = ", ".join(sorted(r.value for r in self.roles))
            raise Forbidden(_("this needs one of the roles: {needed}", needed=needed), code="role")
        return principal

    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        return self.admit(principal)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presents to say who sends it (a bearer token or a browser session), not yet checked."""

    request: Request
    gate: Allow
    token: str | None
    session_key: str | None

    def check(self, session: Session | Connection,
              callers: Mapping[str, tokens.TokenUse | None] | None = None) -> Principal:
        """Look the credentials up in the database and enforce the roles, exactly as `Allow` does: the principal,
        or NotAuthenticated (401) / Forbidden (403). `callers` holds bearer tokens' uses looked up already in the
        same transaction (see `tokens.uses`)."""
        return self.gate.admit(_look_up(self.request, session, self.token, self.session_key, callers))


class AllowInRoute(Allow):
    """Declares the roles as `Allow` does, but leaves the database check to the route's own worker-thread hop.

    The route receives `Credentials` and calls `credentials.check(session)` in the read transaction of its work,
    before anything else: the same checks on every request, without a thread hop and a transaction of their own.
    For the scan path, where that hop costs about as much as the scan's own queries.
    """

    # Returns the credentials to check, not a principal: nothing can be done with them but check them. The CSRF
    # check is called here rather than declared as a sub-dependency: the same check, in the same order, without
    # one more round of FastAPI's dependency resolution on every scan.
    async def __call__(self, request: Request) -> Credentials:  # type: ignore[override]
        await browser_csrf(request)
        token, key = _presented(request)
        return Credentials(request, self, token, key)


ANY_ROLE = Allow(*Role)
