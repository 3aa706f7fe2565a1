"""The language switch on every page: a form that posts the language and the page to come back to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from batchtrack.errors import BadRequest, NotAuthenticated
from batchtrack.i18n import negotiation, preference
from batchtrack.i18n.text import _
from batchtrack.web.deps import DatabaseDep, SettingsDep, check_csrf, get_principal

router = APIRouter(include_in_schema=False)
COOKIE_SECONDS = 365 * 24 * 3600


def _local(target: str) -> str:
    # Only local paths: never send a reader to another site.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/language", dependencies=[Depends(check_csrf)])
def choose_language(
    request: Request, database: DatabaseDep, settings: SettingsDep,
    language: Annotated[str, Form(max_length=16)], next: Annotated[str, Form(max_length=200)] = "/",
) -> Response:
    """Show the pages in `language` from now on: on this browser, and for a signed-in user on every browser."""
    chosen = negotiation.supported(language)
    if chosen is None:
        raise BadRequest(_("{language} is not a language the pages are shown in; choose one of {languages}",
                           language=language, languages=", ".join(negotiation.LANGUAGES)), code="language_unknown")
    try:
        principal = get_principal(request, None)
    except NotAuthenticated:
        principal = None
    if principal is not None and principal.session_id is not None:
        with database.transaction() as session:
            preference.choose(session=session, principal=principal, language=chosen)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(negotiation.LANGUAGE_COOKIE, chosen, max_age=COOKIE_SECONDS, httponly=True, samesite="lax",
                        secure=settings.cookie_secure)
    return response
