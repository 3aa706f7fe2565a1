"""Request latency, by route template (`/api/v1/lots/{din}`, never a lot's own path), method and status.

A pure ASGI middleware: it adds no task or copy of the body, only a clock read at each end and one observation.
A path that matched no route is counted as "unmatched", so that probing random paths cannot grow the metrics without
bound.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client.metrics import Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from batchtrack.observability import metrics
from batchtrack.web import served_routes

UNMATCHED = "unmatched"
# Any other method a client sends is counted as "other": the label's values stay few whatever is sent.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_templates(routes: Sequence[BaseRoute]) -> dict[int, str]:
    """Each route's whole template by the route object's id: the route a request is matched to (in the scope's
    "route") knows its path within its own router alone (`/lots/{din}`), the prefix it is included under being the
    including router's. Routes of the application's own (a mount, /metrics) carry their whole path already."""
    return {id(served.route): served.path for served in served_routes.served(routes)}


class RequestLatency:
    """Time each HTTP request from its arrival to the end of its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The labelled children, looked up once each: the library's own lookup takes its lock on every call.
        self._children: dict[tuple[str, str, int], Histogram] = {}
        self._templates: dict[int, str] | None = None  # read from the application at its first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request and record how long it took; other kinds of connection pass as they are."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the application fails before it answers

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self._child(scope, status).observe(time.perf_counter() - started)

    def _child(self, scope: Scope, status: int) -> Histogram:
        if self._templates is None:
            self._templates = route_templates(scope["app"].routes)
        route = scope.get("route")
        template = UNMATCHED if route is None else self._templates.get(id(route), getattr(route, "path", UNMATCHED))
        method = scope["method"] if scope["method"] in METHODS else "other"
        key = (template, method, status)
        child = self._children.get(key)
        if child is None:
            child = metrics.REQUEST_SECONDS.labels(route=template, method=method, status=str(status))
            self._children[key] = child
        return child
