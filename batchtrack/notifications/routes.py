"""API: one's own e-mail notifications (where they go, which kinds)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from batchtrack.auth.principal import Principal
from batchtrack.notifications import schemas, service
from batchtrack.web.deps import ANY_ROLE, SessionDep

router = APIRouter(tags=["notifications"])
Anyone = Annotated[Principal, Depends(ANY_ROLE)]


@router.get("/me/notifications")
def own_notifications(session: SessionDep, principal: Anyone) -> schemas.SubscriptionPublic:
    """Where my notifications go and which kinds I receive, with the kinds my roles are offered."""
    return service.subscription_of(session=session, principal=principal)


@router.put("/me/notifications")
def change_own_notifications(data: schemas.SubscriptionUpdate, session: SessionDep,
                             principal: Anyone) -> schemas.SubscriptionPublic:
    """Set my address (empty: no e-mail) and the kinds I receive, from those my roles are offered; audited."""
    return service.save_subscription(session=session, principal=principal, data=data)
