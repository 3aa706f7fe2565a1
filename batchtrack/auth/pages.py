"""Pages: sign in and sign out."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from batchtrack.audit import service as audit_service
from batchtrack.auth import service as auth_service
from batchtrack.auth import sessions, throttle
from batchtrack.auth.principal import Principal
from batchtrack.i18n.text import _
from batchtrack.web.deps import ANY_ROLE, SESSION_KEY, SessionDep, SettingsDep, check_csrf
from batchtrack.web.rendering import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
THROTTLED = _("Too many failed sign-ins from this computer or network. Wait a few minutes and try again.")


def _safe_next(target: str) -> str:
    # Only local paths: never redirect a signed-in user to another site.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return render(request, "auth/login.html", {"next": _safe_next(next[:200]), "error": ""})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request, session: SessionDep, settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=200)] = "/",
) -> Response:
    """Check the credentials; on success start a fresh session, on failure count it toward lockout."""
    # Behind a proxy, uvicorn's proxy headers give the client's own address (from a trusted proxy only: the
    # addresses BATCHTRACK_FORWARDED_ALLOW_IPS names).
    address = request.client.host if request.client else "unknown"
    brake = throttle.LoginThrottle.of(settings)
    wait = brake.retry_after(session=session, address=address)
    if wait is not None:
        # Refused before the password is checked: the right one is refused too while the address is throttled.
        log.warning("sign-in refused: %d or more failed sign-ins from %s in %d s", brake.limit, address,
                    int(brake.window))
        page = render(request, "auth/login.html", {"next": _safe_next(next), "error": THROTTLED,
                                                   "username": username}, status_code=429)
        page.headers["Retry-After"] = str(wait)
        return page
    user, refusal = auth_service.authenticate(session=session, settings=settings, username=username,
                                              password=password)
    if user is None:
        brake.failed(session=session, address=address)
        return render(request, "auth/login.html", {"next": _safe_next(next), "error": refusal,
                                                   "username": username}, status_code=401)
    assert user.id is not None
    key = sessions.start(session=session, user_id=user.id, client_address=address,
                         user_agent=request.headers.get("user-agent", ""))
    request.session.clear()  # a new session at every sign-in: no fixation
    request.session[SESSION_KEY] = key
    target = "/account/password" if user.must_change_password else _safe_next(next)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep, principal: Annotated[Principal, Depends(ANY_ROLE)]) -> Response:
    """End the browser session, on every server: its record is closed, the cookie forgotten."""
    if principal.session_id is not None:
        sessions.end(session=session, session_id=principal.session_id, reason=sessions.EndReason.SIGNED_OUT)
        audit_service.record(session=session, actor=principal, action="auth.logout", entity_type="user",
                             entity_id=principal.user_id or 0, new={"session_id": principal.session_id})
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
