"""Request latency, by route template (`/api/v1/lots/{din}`, never a lot's own path), method and status.

A pure ASGI middleware: it adds no task or copy of the body, only a clock read at each end and one observation.
A path that matched no route is counted as "unmatched", so that probing random paths cannot grow the metrics without
bound.
"""

from __future__ import annotations

import time

from prometheus_client.metrics import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from batchtrack.observability import metrics

UNMATCHED = "unmatched"
# Any other method a client sends is counted as "other": the label's values stay few whatever is sent.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestLatency:
    """Time each HTTP request from its arrival to the end of its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The labelled children, looked up once each: the library's own lookup takes its lock on every call.
        self._children: dict[tuple[str, str, int], Histogram] = {}

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
        route = scope.get("route")
        template = getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED
        method = scope["method"] if scope["method"] in METHODS else "other"
        key = (template, method, status)
        child = self._children.get(key)
        if child is None:
            child = metrics.REQUEST_SECONDS.labels(route=template, method=method, status=str(status))
            self._children[key] = child
        return child
