"""Rendering server-side pages: the Jinja2 environment, shared context, display formatting."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
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
from batchtrack.i18n import catalogs, code_words, data_files, limit_text, moments, negotiation, numbers, recorded
from batchtrack.i18n.text import ENGLISH, Text, _, shown_str
from batchtrack.resources import resource_dir
from batchtrack.web import navigation
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
    # A text of the facility's data files (a step's title, a test's method, a result): {{ step.title|data }}.
    templates.env.filters["data"] = lambda text: data_files.data_text(text, _page_translations.get())
    # Numbers for people: {{ value|quantity("cell_count", "cells") }} -> 5.84 x 10^7 cells, in superscript digits.
    templates.env.filters["quantity"] = lambda value, kind="plain", unit="": numbers.shown(
        value, numbers.Quantity(kind), unit)
    # A recorded value in its recorded unit, written as the printed records write it (every recorded digit kept:
    # the second person verifies what was entered): {{ v.value|measured(v.unit) }} -> 5.84 x 10^7 cells, 72.0%.
    templates.env.filters["measured"] = recorded.quantity
    templates.env.filters["unit"] = numbers.unit_sign
    # A recorded specification limit: <= 1e+07 -> ≤ 1 x 10^7, a range's "to" and an "or" in the page's language.
    templates.env.filters["limit"] = lambda text: limit_text.readable(text, _page_translations.get())
    # A stored code (a state, a decision, a kind) as words in the page's language: {{ lot.state|code }}.
    templates.env.filters["code"] = lambda value: _shown(code_words.words(str(value)))
    templates.env.filters["material_status"] = lambda value: _shown(code_words.material_status(str(value)))
    templates.env.globals["languages"] = negotiation.LANGUAGE_NAMES

    def local_time(value: datetime | None) -> str:
        return "—" if value is None else moments.minute(value, zone)

    templates.env.filters["local_time"] = local_time
    templates.env.globals["facility_name"] = settings.facility_name
    templates.env.globals["display_timezone"] = settings.display_timezone
    # Forms' time fields (macros.html `site_time_field`): the zone they are read in, and what the browser lets through.
    templates.env.globals["site_zone"] = zone_name(zone)
    templates.env.globals["form_time_pattern"] = FORM_TIME_PATTERN
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
    menu = menu_of(request.app)
    roles = principal.roles if principal else frozenset()
    full = {"principal": principal, "csrf_token": csrf_token(request),
            "asks_user_id": _asks_user_id(request, principal), "lang": language,
            "menu": menu.pages_for(roles), "account_menu": menu.account_for(roles), **(context or {})}
    # The response renders its template as it is made, in this thread.
    token = _page_translations.set(catalogs.translations(language))
    try:
        return templates.TemplateResponse(request, template, full, status_code=status_code)
    finally:
        _page_translations.reset(token)


def menu_of(app: FastAPI) -> navigation.Menu:
    """The application's menu, read from its routes once (the routes do not change while it runs)."""
    menu: navigation.Menu | None = getattr(app.state, "menu", None)
    if menu is None:
        menu = app.state.menu = navigation.menu_of(app.routes)
    return menu


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


# A form's time: the site's wall time in ISO order, 24-hour, "T" or spaces between date and time, seconds optional;
# or the same digits without separators (all a phone's number pad types). An explicit offset ("Z", "+09:00") is read
# as given: the audit trail's own links to its next page carry one.
_FORM_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:T|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
    r"(?:\s*(?P<utc>Z)|\s*(?P<sign>[+-])(?P<offset_hours>\d{2}):?(?P<offset_minutes>\d{2}))?", re.ASCII)
_FORM_TIME_DIGITS = re.compile(
    r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})[T ]?(?P<hour>\d{2})(?P<minute>\d{2})(?P<second>\d{2})?",
    re.ASCII)
# The same for the browser (the `pattern` of a time field; the server reads what it lets through).
FORM_TIME_PATTERN = r" *\d{4}-\d{1,2}-\d{1,2}(T| +)\d{1,2}:\d{2}(:\d{2})? *| *\d{8}[T ]?\d{4}(\d{2})? *"
FORM_TIME_FORMAT = "%Y-%m-%d %H:%M"


def zone_name(zone: ZoneInfo) -> str:
    """How forms and hints name the site's zone: its abbreviation where it has one all year ("KST", "UTC"), else
    its name ("Europe/Berlin", whose abbreviation changes with summer time)."""
    year = datetime.now(UTC).year
    names = {datetime(year, month, 1, 12, tzinfo=zone).tzname() for month in (1, 7)}
    only = names.pop() if len(names) == 1 else None
    return only if only and only.isalpha() else zone.key


def form_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """`moment` as a form's time field shows it back: the site's wall time, "YYYY-MM-DD HH:MM" ("" for none)."""
    return moment.astimezone(zone).strftime(FORM_TIME_FORMAT) if moment is not None else ""


def parse_local_time(value: str, zone: ZoneInfo) -> datetime | None:
    """A form's time ("2026-12-08 14:30", the site's wall time), as an aware UTC time (None if empty); a refusal
    that names the format otherwise."""
    text = value.strip()
    if not text:
        return None
    shown = repr(value[:30])
    match = _FORM_TIME.fullmatch(text) or _FORM_TIME_DIGITS.fullmatch(text)
    if match is None:
        raise BadRequest(_("{value} is not a date and time: enter it as YYYY-MM-DD HH:MM (24-hour, {zone})",
                           value=shown, zone=zone_name(zone)), code="form_invalid")
    parts = match.groupdict()
    try:
        moment = datetime(int(parts["year"]), int(parts["month"]), int(parts["day"]), int(parts["hour"]),
                          int(parts["minute"]), int(parts["second"] or 0),
                          int((parts.get("fraction") or "0").ljust(6, "0")), tzinfo=_offset(parts) or zone)
        return moment.astimezone(UTC)
    except ValueError as exc:  # month 13, 25:00, an offset of a day or more
        raise BadRequest(_("{value} is not a date and time on the calendar: enter it as YYYY-MM-DD HH:MM "
                           "(24-hour, {zone})", value=shown, zone=zone_name(zone)), code="form_invalid") from exc
    except OverflowError as exc:  # year 1 east of UTC, year 9999 west of it: no UTC equivalent
        raise BadRequest(_("{value} is outside the times that can be recorded", value=shown),
                         code="form_invalid") from exc


def _offset(parts: dict[str, str | None]) -> timezone | None:
    """The offset written after a form's time, if any (ValueError for one of a day or more)."""
    if parts.get("utc"):
        return UTC
    if not parts.get("sign"):
        return None
    offset = timedelta(hours=int(parts["offset_hours"] or 0), minutes=int(parts["offset_minutes"] or 0))
    return timezone(-offset if parts["sign"] == "-" else offset)


async def form_data(request: Request) -> FormData:
    """The submitted form, read on the event loop, for pages whose fields are not known in advance."""
    return await request.form()


def form_invalid(exc: ValidationError) -> BadRequest:
    """A form whose fields did not validate, as a refusal that lists each field and what is wrong with it."""
    return BadRequest(_("some of what was entered is not valid"), code="form_invalid", reasons=[
        Reason("input." + ".".join(str(p) for p in e["loc"]), str(e["msg"])) for e in exc.errors()[:20]])
