"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

import batchtrack
from batchtrack.accounts import account_pages
from batchtrack.accounts import pages as account_admin_pages
from batchtrack.accounts import routes as account_routes
from batchtrack.audit import anchoring
from batchtrack.audit import routes as audit_routes
from batchtrack.auth import pages as auth_pages
from batchtrack.auth import routes as auth_routes
from batchtrack.auth import usage
from batchtrack.batch_record import pages as batch_record_pages
from batchtrack.batch_record import routes as batch_record_routes
from batchtrack.bedside import pages as bedside_pages
from batchtrack.bedside import routes as bedside_routes
from batchtrack.coi_report import pages as coi_report_pages
from batchtrack.coi_report import routes as coi_report_routes
from batchtrack.collections import pages as collection_pages
from batchtrack.collections import routes as collection_routes
from batchtrack.config import Settings, get_settings
from batchtrack.custody import routes as custody_routes
from batchtrack.dashboard import pages as dashboard_pages
from batchtrack.dashboard import routes as dashboard_routes
from batchtrack.db import Database, make_engine_for
from batchtrack.deviations import pages as deviation_pages
from batchtrack.deviations import routes as deviation_routes
from batchtrack.enrolment import pages as enrolment_pages
from batchtrack.enrolment import routes as enrolment_routes
from batchtrack.equipment import pages as equipment_pages
from batchtrack.equipment import routes as equipment_routes
from batchtrack.health import openapi_routes
from batchtrack.health import routes as health_routes
from batchtrack.i18n import pages as language_pages
from batchtrack.labels import pages as label_pages
from batchtrack.labels import routes as label_routes
from batchtrack.lots import pages as lot_pages
from batchtrack.lots import routes as lot_routes
from batchtrack.materials import pages as material_pages
from batchtrack.materials import routes as material_routes
from batchtrack.notifications import delivery as notification_delivery
from batchtrack.notifications import pages as notification_pages
from batchtrack.notifications import routes as notification_routes
from batchtrack.observability import wiring as observability
from batchtrack.processing import pages as processing_pages
from batchtrack.processing import routes as processing_routes
from batchtrack.protocols import routes as protocol_routes
from batchtrack.qualifications import pages as qualification_pages
from batchtrack.qualifications import requirements as qualification_requirements
from batchtrack.qualifications import routes as qualification_routes
from batchtrack.quality import pages as quality_pages
from batchtrack.quality import routes as quality_routes
from batchtrack.release import pages as release_pages
from batchtrack.release import routes as release_routes
from batchtrack.resources import resource_dir
from batchtrack.review import pages as review_pages
from batchtrack.review import routes as review_routes
from batchtrack.scanning import pages as scanning_pages
from batchtrack.scanning import routes as scanning_routes
from batchtrack.server_process import periodic
from batchtrack.therapies import pages as therapy_pages
from batchtrack.therapies import routes as therapy_routes
from batchtrack.web import errors_render, log_privacy
from batchtrack.web.body_limit import BodyLimit, upload_routes
from batchtrack.web.rendering import make_templates
from batchtrack.web.security_headers import SecurityHeaders
from batchtrack.worklist import routes as worklist_routes

log = logging.getLogger(__name__)

SESSION_COOKIE = "batchtrack_session"
API_PREFIX = "/api/v1"


class InsecureSettings(RuntimeError):
    """The settings may not be used to serve (for example a placeholder secret key in production)."""


def _background(anchor: anchoring.Anchor, noted: usage.Usage,
                database: Database) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """While the app runs, a thread writes the checkpoints that fall due (every N entries, every M minutes), and
    another when sessions and tokens were last used."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        threads = [periodic.Every(partial(noted.flush, database), seconds=usage.FLUSH_SECONDS,
                                  name="session-usage", at_stop=True)]
        if anchor.enabled:
            threads.append(periodic.Every(anchor.tick, seconds=anchoring.TICK_SECONDS, name="audit-checkpoints"))
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            for thread in threads:
                thread.stop()

    return lifespan


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the application: API under /api/v1, pages at the root, one error handler for both."""
    settings = settings or get_settings()
    problem = settings.secret_problem()
    if problem:
        raise InsecureSettings(
            f"{problem}: set a random secret (python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
            "or set BATCHTRACK_ENVIRONMENT=demo for a demonstration"
        )
    # What each gate's activity needs is data: a broken requirements file stops the start, not a step at a station.
    qualification_requirements.load()
    database = database or Database(make_engine_for(settings))
    anchor = anchoring.Anchor.from_settings(settings, database)
    if settings.environment == "production" and (key_problem := anchor.key_problem()):
        raise InsecureSettings(f"audit checkpoints cannot be signed: {key_problem}")
    database.checkpoint = anchor.checkpoint_quietly
    noted = usage.Usage()
    app = FastAPI(
        lifespan=_background(anchor, noted, database),
        title="batchtrack",
        version=batchtrack.__version__,
        description="Chain of identity and custody for patient-specific cell-therapy lots.",
        # The schema and its interactive documentation (/api/v1/docs, assets from the package, none from
        # elsewhere) are served by authenticated routes of openapi_routes, not FastAPI's open ones.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=openapi_routes.operation_id,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.anchor = anchor
    app.state.usage = noted
    app.state.templates = make_templates(settings)
    # Messages the requests write to the outbox are sent after their commit, by this app's courier.
    app.state.courier = notification_delivery.register(settings, database)

    # Routers are included one level deep, the scan pipeline first: every request walks the route table in
    # order, and scans are the hot path of every station.
    api_routers: list[APIRouter] = [
        scanning_routes.router, openapi_routes.router, auth_routes.router, enrolment_routes.router,
        protocol_routes.router,
        therapy_routes.router, collection_routes.router, collection_routes.receipts, lot_routes.router,
        custody_routes.router, audit_routes.router, label_routes.router, processing_routes.router,
        material_routes.router, equipment_routes.router, deviation_routes.router, batch_record_routes.router,
        quality_routes.router, release_routes.router, bedside_routes.router, coi_report_routes.router,
        dashboard_routes.router, worklist_routes.router,
        review_routes.router, qualification_routes.router,
        account_routes.router, notification_routes.router,
    ]
    for router in api_routers:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health_routes.router)
    for pages in (auth_pages, dashboard_pages, therapy_pages, lot_pages, scanning_pages, label_pages,
                  enrolment_pages, collection_pages, processing_pages, material_pages, equipment_pages,
                  deviation_pages, batch_record_pages, quality_pages, release_pages,
                  bedside_pages, coi_report_pages, review_pages, qualification_pages,
                  account_pages, account_admin_pages, notification_pages, language_pages):
        app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(resource_dir("templates") / "static")), name="static")
    openapi_routes.install(app)

    errors_render.install(app)
    log_privacy.install()
    # Innermost first: the body cap runs before anything reads a body; the headers are added to every response.
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes,
                       uploads=upload_routes(app, settings.max_upload_bytes))
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="strict",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(SecurityHeaders, behind_tls=settings.cookie_secure)
    observability.install(app, settings, database)  # outermost: request id, latency, /metrics
    return app
