"""One place that turns errors into responses: JSON for the API, a page for the browser."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from batchtrack.errors import (
    BatchtrackError,
    Conflict,
    NotAuthenticated,
    PasswordChangeRequired,
    Reason,
    ServiceUnavailable,
)
from batchtrack.i18n.text import Text, _
from batchtrack.observability import metrics, request_id
from batchtrack.web import security_headers
from batchtrack.web.rendering import render, translations_of

log = logging.getLogger("batchtrack.errors")

_TITLES = {400: _("Request refused"), 401: _("Sign in required"), 403: _("Not allowed"), 404: _("Not found"),
           405: _("Not allowed"), 409: _("Refused"), 413: _("Too large"), 422: _("Malformed request"),
           500: _("Something went wrong"), 503: _("Busy")}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def _page(request: Request, status: int, message: str | Text, reasons: list[Reason], code: str) -> Response:
    return render(request, "errors/error.html", {
        "status": status, "title": _TITLES.get(status, _("Error")), "message": message, "reasons": reasons,
        "code": code,
    }, principal=getattr(request.state, "principal", None), status_code=status)


def _respond(request: Request, exc: BatchtrackError) -> Response:
    metrics.refused(exc.code)
    if isinstance(exc, NotAuthenticated) and not _wants_json(request):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if isinstance(exc, PasswordChangeRequired) and not _wants_json(request):
        return RedirectResponse("/account/password", status_code=303)
    if _wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(exc.as_dict(translations_of(request)), status_code=exc.status_code, headers=headers)
    return _page(request, exc.status_code, exc.text, exc.reasons, exc.code)


def install(app: FastAPI) -> None:
    """Register the handlers on the application."""

    @app.exception_handler(BatchtrackError)
    async def _domain_error(request: Request, exc: BatchtrackError) -> Response:
        log.info("refused %s %s: %s %s", request.method, request.url.path, exc.code, exc.message)
        return _respond(request, exc)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # A database constraint caught what the services did not: a duplicate or a broken reference.
        # The driver's first line names the constraint; the lines after it (PostgreSQL's DETAIL) quote the
        # values, which may be a patient's: they stay out of the log.
        log.warning("integrity error on %s %s: %s", request.method, request.url.path,
                    str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__)
        return _respond(request, Conflict(_("this conflicts with what is already recorded; nothing was changed"),
                                          code="integrity"))

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
        return _respond(request, ServiceUnavailable(
            _("the database is busy or unavailable; nothing was changed, try again"), code="database_unavailable"))

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_exhausted(request: Request, exc: SQLAlchemyTimeoutError) -> Response:
        log.error("no database connection free for %s %s: %s", request.method, request.url.path, exc)
        return _respond(request, ServiceUnavailable(
            _("the server is busy (no database connection free); nothing was changed, try again"), code="busy"))

    @app.exception_handler(RequestValidationError)
    async def _malformed(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            Reason("input." + ".".join(str(p) for p in err.get("loc", ())), str(err.get("msg", "invalid")))
            for err in exc.errors()[:20]
        ]
        if _wants_json(request):
            translations = translations_of(request)
            return JSONResponse({"error": "malformed_request",
                                 "message": _("the request is malformed").shown_in(translations),
                                 "reasons": [r.as_dict(translations) for r in problems]}, status_code=422)
        return _page(request, 422, _("Some of what was entered is not valid."), problems, "malformed_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = _TITLES.get(exc.status_code, _("Error")) if exc.detail in (None, "") else _(str(exc.detail))
        if _wants_json(request):
            return JSONResponse({"error": "http_error", "message": message.shown_in(translations_of(request)),
                                 "reasons": []},
                                status_code=exc.status_code, headers=getattr(exc, "headers", None))
        return _page(request, exc.status_code, message, [], "http_error")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            message = _("unexpected error; it has been logged").shown_in(translations_of(request))
            response: Response = JSONResponse({"error": "internal", "message": message, "reasons": []},
                                              status_code=500)
        else:
            response = _page(request, 500, _("An unexpected error occurred; it has been logged."), [], "internal")
        # This handler answers from outside every middleware: it sets the security headers itself.
        security_headers.apply(response.headers, request.scope, behind_tls=request.app.state.settings.cookie_secure)
        request_id.stamp(response.headers, request.scope)
        return response
