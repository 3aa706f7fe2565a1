"""A user's choice of language for the pages, kept on their account and recorded in the audit trail."""

from __future__ import annotations

from sqlalchemy.orm import Session

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.errors import NotFound
from batchtrack.i18n.text import _
from batchtrack.models.user import User

LANGUAGE_CHOSEN = "user.language_chosen"


def choose(*, session: Session, principal: Principal, language: str) -> bool:
    """Keep `language` (one the product speaks) as the signed-in user's; True when it changed."""
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise NotFound(_("no such user"), code="user_not_found")
    if user.language == language:
        return False
    old = user.language
    user.language = language
    session.add(user)
    session.flush()
    audit_service.record(session=session, actor=principal, action=LANGUAGE_CHOSEN, entity_type="user",
                         entity_id=user.id or 0, old={"language": old}, new={"language": language})
    return True
