"""Plug observability into the application: the middleware, the /metrics route and the pool's counting."""

from __future__ import annotations

from fastapi import FastAPI

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.observability import metrics, metrics_route, multiprocess
from batchtrack.observability.request_id import RequestId
from batchtrack.observability.request_metrics import RequestLatency


def install(app: FastAPI, settings: Settings, database: Database) -> None:
    """Add the request id and latency middleware outside all others, /metrics, and the pool's gauges.

    Called after every other middleware is added: the last added runs first, so the id is set before anything
    else logs or answers (a 413 from the body limit included), and the latency counts the whole stack.
    """
    app.router.routes.append(metrics_route.route(settings))
    metrics.watch_pool(database.engine)
    multiprocess.forget_this_process_at_exit()
    app.add_middleware(RequestLatency)
    app.add_middleware(RequestId, from_proxy=settings.request_id_from_proxy)
