"""GET /metrics: the Prometheus text format, to the scraper that sends the installation's metrics token.

The metrics name routes, reason codes and volumes, not patients; still, they tell an outsider how the site works,
so they are served only to a bearer token of their own (`BATCHTRACK_METRICS_TOKEN`), never a user's. Without a
token set the route answers 404, as for any path the server does not serve. It is a plain route outside the users'
roles (the authorization matrix lists the routes people call), and outside the API's schema.
"""

from __future__ import annotations

import secrets

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from batchtrack.config import Settings
from batchtrack.observability import multiprocess as shared_metrics

PATH = "/metrics"


def _exposition() -> bytes:
    shared = shared_metrics.folder()
    if shared is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    # Every worker's values, added up (the library leaves this constructor unannotated).
    multiprocess.MultiProcessCollector(registry, path=str(shared))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def _authorised(request: Request, token: str) -> bool:
    scheme, _, offered = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(offered.strip().encode(), token.encode())


def route(settings: Settings) -> Route:
    """The /metrics route for these settings."""
    token = settings.metrics_token.get_secret_value()

    async def metrics_page(request: Request) -> Response:
        """The metrics, to the metrics token alone; 404 when none is set, 401 for any other caller."""
        if not token:
            raise HTTPException(status_code=404)
        if not _authorised(request, token):
            raise HTTPException(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        # Reading the workers' files is file I/O: off the event loop.
        return Response(await run_in_threadpool(_exposition), media_type=CONTENT_TYPE_LATEST)

    return Route(PATH, metrics_page, methods=["GET"], include_in_schema=False)
