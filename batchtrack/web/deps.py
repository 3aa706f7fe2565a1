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
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import BatchtrackError, Forbidden, NotAuthenticated
from batchtrack.models.user import Role

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


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
            _record_refusal(database, exc)
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    database.committed(session)


def _record_refusal(database: Database, exc: BatchtrackError) -> None:
    assert exc.audit is not None
    refusal = exc.audit
    with database.transaction(write=True) as session:
        audit_service.record(
            session=session, actor=refusal.actor, action=refusal.action, entity_type=refusal.entity_type,
            entity_id=refusal.entity_id,
            new={"refused": exc.code, "reasons": [r.as_dict() for r in exc.reasons], **refusal.details},
            reason=exc.message,
        )


T = TypeVar("T")


def run_audited(database: Database, work: Callable[[Session], T]) -> T:
    """Run `work` in a write transaction of its own: a refusal rolls it back, is recorded, and is raised again.

    For pages that show a refusal in place (a station's red verdict) rather than as an error page.
    """
    try:
        with database.transaction(write=True) as session:
            return work(session)
    except BatchtrackError as exc:
        if exc.audit is not None:
            _record_refusal(database, exc)
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
        raise Forbidden("the form has expired or did not come from this site; reload the page and try again",
                        code="csrf")


async def browser_csrf(request: Request) -> None:
    """For a signed-in browser session, an unsafe request must carry the session's CSRF token.

    Bearer-token requests carry no cookie to ride on, so they need none; anonymous requests are refused by
    authentication instead.
    """
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return
    if isinstance(request.session.get("user_id"), int):
        await check_csrf(request)


# Plain `def`: FastAPI runs it in its thread pool, so the database lookups never block the event loop. The
# lookup uses a short read-only session of its own: on SQLite, the request's write transaction (and its lock)
# then begins only when the route itself starts to work.
def get_principal(request: Request, _csrf: Annotated[None, Depends(browser_csrf)]) -> Principal:
    """The authenticated principal: a bearer token, or a browser session (CSRF checked before this runs)."""
    database: Database = request.app.state.db
    with database.transaction(write=False) as session:
        return _resolve_principal(request, session)


def _resolve_principal(request: Request, session: Session) -> Principal:
    token, user_id = _presented(request)
    return _look_up(request, session, token, user_id)


def _presented(request: Request) -> tuple[str | None, int | None]:
    # (bearer token, None) or (None, the browser session's user id); a request that presents neither is refused
    # here, before any database work.
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("use the Authorization header as: Bearer <token>")
        return token.strip(), None
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        raise NotAuthenticated("sign in first")
    return None, user_id


def _look_up(request: Request, session: Session | Connection, token: str | None, user_id: int | None,
             callers: Mapping[str, Principal | None] | None = None) -> Principal:
    # `callers`: the principals of bearer tokens looked up already, in the same read transaction.
    if token is not None:
        if callers is not None and token in callers:
            principal = callers[token]
        else:
            principal = auth_service.principal_for_token(session=session, token=token)
        if principal is None:
            raise NotAuthenticated("the API token is unknown or revoked")
    else:
        assert user_id is not None
        principal = auth_service.load_principal(session=session, user_id=user_id)
        if principal is None:
            request.session.clear()
            raise NotAuthenticated("your account is no longer active; sign in again")
    request.state.principal = principal  # error pages show who is signed in
    return principal


class Allow:
    """A dependency that admits only principals holding one of `roles`; routes declare it."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def admit(self, principal: Principal) -> Principal:
        """The principal, if it holds one of the roles; refused (403) otherwise."""
        if not principal.has_any(self.roles):
            needed = ", ".join(sorted(r.value for r in self.roles))
            raise Forbidden(f"this needs one of the roles: {needed}", code="role")
        return principal

    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        return self.admit(principal)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presents to say who sends it (a bearer token or a browser session), not yet checked."""

    request: Request
    gate: Allow
    token: str | None
    user_id: int | None

    def check(self, session: Session | Connection, callers: Mapping[str, Principal | None] | None = None) -> Principal:
        """Look the credentials up in the database and enforce the roles, exactly as `Allow` does: the principal,
        or NotAuthenticated (401) / Forbidden (403). `callers` holds bearer tokens' principals looked up already
        in the same transaction (see `auth_service.principals_for_tokens`)."""
        return self.gate.admit(_look_up(self.request, session, self.token, self.user_id, callers))


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
        token, user_id = _presented(request)
        return Credentials(request, self, token, user_id)


ANY_ROLE = Allow(*Role)
