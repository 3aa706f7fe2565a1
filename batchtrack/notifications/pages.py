"""Page: one's own e-mail notifications, part of one's account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from batchtrack.auth.principal import Principal
from batchtrack.errors import BatchtrackError
from batchtrack.notifications import schemas, service
from batchtrack.notifications.mail import KIND_TITLES
from batchtrack.web.deps import ANY_ROLE, DatabaseDep, SettingsDep, run_audited
from batchtrack.web.rendering import form_invalid, render

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Principal, Depends(ANY_ROLE)]


def _page(request: Request, principal: Principal, *, shown: schemas.SubscriptionPublic,
          error: BatchtrackError | None = None, saved: bool = False, status_code: int = 200) -> Response:
    return render(request, "notifications/subscription.html", {
        "subscription": shown, "titles": KIND_TITLES, "error": error, "just_saved": saved,
        "mail_enabled": request.app.state.settings.mail_enabled,
    }, principal=principal, status_code=status_code)


@router.get("/account/notifications", name="notifications_page")
def notifications_page(request: Request, database: DatabaseDep, principal: Anyone,
                       saved: Annotated[bool, Query()] = False) -> Response:
    """Where my notifications go and which kinds I receive (before I choose: my roles' kinds, no address)."""
    with database.transaction(write=False) as session:
        shown = service.subscription_of(session=session, principal=principal)
    return _page(request, principal, shown=shown, saved=saved)


@router.post("/account/notifications", name="notifications_save")
def save_notifications(request: Request, database: DatabaseDep, settings: SettingsDep, principal: Anyone,
                       email: Annotated[str, Form(max_length=254)] = "",
                       kinds: Annotated[list[str] | None, Form(max_length=20)] = None) -> Response:
    """Save my address and kinds; a refusal is shown on the form with its reasons."""
    chosen = kinds or []
    try:
        data = schemas.SubscriptionUpdate(email=email, kinds=chosen)
    except ValidationError as exc:
        error: BatchtrackError = form_invalid(exc)
    else:
        def work(session: Session) -> None:
            service.save_subscription(session=session, principal=principal, data=data)

        try:
            run_audited(database, work, settings=settings)
        except BatchtrackError as exc:
            error = exc
        else:
            return RedirectResponse(str(request.url_for("notifications_page")) + "?saved=true", status_code=303)
    offered = service.subscription_of_roles(principal)
    shown = schemas.SubscriptionPublic(email=email[:254], kinds=[k for k in chosen if k in offered], offered=offered,
                                       saved=False)
    return _page(request, principal, shown=shown, error=error, status_code=error.status_code)
