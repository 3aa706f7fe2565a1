"""Pages: sign in and sign out."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from batchtrack.auth import service as auth_service
from batchtrack.auth import throttle
from batchtrack.auth.principal import Principal
from batchtrack.web.deps import ANY_ROLE, SessionDep, SettingsDep, check_csrf
from batchtrack.web.rendering import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
THROTTLED = "Too many failed sign-ins from this computer or network. Wait a few minutes and try again."


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
    # Behind a proxy, uvicorn's --proxy-headers gives the client's own address (from a trusted proxy only).
    address = request.client.host if request.client else "unknown"
    brake = throttle.of_app(request.app.state, settings)
    wait = brake.retry_after(address)
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
        brake.failed(address)
        return render(request, "auth/login.html", {"next": _safe_next(next), "error": refusal,
                                                   "username": username}, status_code=401)
    request.session.clear()  # a new session at every sign-in: no fixation
    request.session["user_id"] = user.id
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, _principal: Annotated[Principal, Depends(ANY_ROLE)]) -> Response:
    """End the browser session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
