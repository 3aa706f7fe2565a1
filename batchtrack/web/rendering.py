"""Rendering server-side pages: the Jinja2 environment, shared context, display formatting."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from pydantic import ValidationError
from starlette.datastructures import FormData

from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import BadRequest, Reason
from batchtrack.i18n import catalogs, negotiation, numbers
from batchtrack.i18n.text import ENGLISH, Text, _, shown_str
from batchtrack.resources import resource_dir
from batchtrack.web.deps import csrf_token


def make_templates(settings: Settings) -> Jinja2Templates:
    """The template environment, with filters that show UTC times in the display time zone."""
    environment = Environment(loader=FileSystemLoader(str(resource_dir("templates"))), autoescape=True,
                              extensions=["jinja2.ext.i18n"])
    templates = Jinja2Templates(env=environment)
    zone = settings.zone
    # The page's language is the request's: gettext reads the catalog of the page being rendered (a context
    # variable, set around the rendering), never state shared by the threads rendering other requests' pages. Macros
    # imported without the page's context translate too.
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_page_gettext, ngettext=_page_ngettext, newstyle=True)
    templates.env.filters["shown"] = _shown
    # Numbers for people: {{ value|quantity("cell_count", "cells") }} -> 5.84 x 10^7 cells, in superscript digits.
    templates.env.filters["quantity"] = lambda value, kind="plain", unit="": numbers.shown(
        value, numbers.Quantity(kind), unit)
    templates.env.globals["languages"] = negotiation.LANGUAGE_NAMES

    def local_time(value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    templates.env.filters["local_time"] = local_time
    templates.env.globals["facility_name"] = settings.facility_name
    templates.env.globals["display_timezone"] = settings.display_timezone
    return templates


_page_translations: ContextVar[gettext.NullTranslations] = ContextVar("page_translations", default=ENGLISH)


def _page_gettext(message: str) -> str:
    return _page_translations.get().gettext(message)


def _page_ngettext(singular: str, plural: str, count: int) -> str:
    return _page_translations.get().ngettext(singular, plural, count)


def _shown(value: object) -> object:
    """A message (a marked `Text`) in the page's language; anything else as it is."""
    return shown_str(value, _page_translations.get()) if isinstance(value, Text) else value


def language_of(request: Request, principal: Principal | None = None) -> str:
    """The language to answer `request` in: the user's, else the browser's chosen or preferred, else the site's."""
    settings: Settings = request.app.state.settings
    return negotiation.choose(profile=principal.language if principal else None,
                              cookie=request.cookies.get(negotiation.LANGUAGE_COOKIE),
                              accept_language=request.headers.get("accept-language"),
                              default=settings.default_language)


def translations_of(request: Request, principal: Principal | None = None) -> gettext.NullTranslations:
    """The catalog of the language `request` is answered in."""
    return catalogs.translations(language_of(request, principal))


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *,
    principal: Principal | None = None, status_code: int = 200,
) -> HTMLResponse:
    """Render a page with the CSRF token, the signed-in user and the page's language available to every template."""
    templates: Jinja2Templates = request.app.state.templates
    language = language_of(request, principal)
    full = {"principal": principal, "csrf_token": csrf_token(request),
            "asks_user_id": _asks_user_id(request, principal), "lang": language, **(context or {})}
    # The response renders its template as it is made, in this thread.
    token = _page_translations.set(catalogs.translations(language))
    try:
        return templates.TemplateResponse(request, template, full, status_code=status_code)
    finally:
        _page_translations.reset(token)


def _asks_user_id(request: Request, principal: Principal | None) -> Callable[[], bool]:
    """Whether the page's signature forms ask for the user id: looked up once, and only by a page that signs."""
    found: list[bool] = []

    def asks() -> bool:
        if principal is None:
            return True
        if not found:
            database: Database = request.app.state.db
            with database.transaction(write=False) as session:
                found.append(signatures.asks_user_id(session=session, signer=principal))
        return found[0]

    return asks


def parse_local_time(value: str, zone: ZoneInfo) -> datetime | None:
    """A `datetime-local` form value, read in the display time zone, as an aware UTC time (None if empty)."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadRequest(_("{value} is not a date and time", value=repr(value[:30])), code="form_invalid") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # year 1 east of UTC, year 9999 west of it: no UTC equivalent
        raise BadRequest(_("{value} is outside the times that can be recorded", value=repr(value[:30])),
                         code="form_invalid") from exc


async def form_data(request: Request) -> FormData:
    """The submitted form, read on the event loop, for pages whose fields are not known in advance."""
    return await request.form()


def form_invalid(exc: ValidationError) -> BadRequest:
    """A form whose fields did not validate, as a refusal that lists each field and what is wrong with it."""
    return BadRequest(_("some of what was entered is not valid"), code="form_invalid", reasons=[
        Reason("input." + ".".join(str(p) for p in e["loc"]), str(e["msg"])) for e in exc.errors()[:20]])
