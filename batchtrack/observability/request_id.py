"""A request id on every response (`X-Request-ID`) and on every log line written while the request is served.

An id the request brings is kept only when the installation says its proxy sets it (`request_id_from_proxy`) and it
looks like an id: anything else a client sends could forge or break log lines. Otherwise a new one is made. The id
lives in a context variable for the request's task; the threads the framework runs sync routes in copy the context,
so their log lines carry it too.
"""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
# What a proxy's ids look like (nginx's $request_id: 32 hex digits; a UUID; a load balancer's trace id): letters,
# digits and a few separators, bounded. Spaces, quotes or newlines would let a client forge log lines.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
NONE = "-"  # on log lines written outside any request

current: ContextVar[str] = ContextVar("batchtrack_request_id", default=NONE)


def new_id() -> str:
    """A fresh id: 32 hex digits, as nginx's $request_id, so both kinds of id read alike in the logs."""
    # 128 random bits, as a UUID 4 holds, without building one: uuid4() cost four times as much, on every request.
    return os.urandom(16).hex()


def chosen(offered: bytes | None, *, from_proxy: bool) -> str:
    """The request's id: the one offered when the proxy is trusted to set it and it is sane, else a new one."""
    if from_proxy and offered is not None:
        text = offered.decode("latin-1")
        if _SANE.fullmatch(text):
            return text
    return new_id()


class RequestId:
    """Pure ASGI middleware: give the request its id, in the context and on the response's headers."""

    def __init__(self, app: ASGIApp, *, from_proxy: bool) -> None:
        self.app = app
        self.from_proxy = from_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with its id set; websocket and lifespan messages pass as they are."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = next((value for key, value in scope["headers"] if key == _HEADER_KEY), None) if self.from_proxy \
            else None
        request_id = chosen(offered, from_proxy=self.from_proxy)
        # Also in the scope: the last-resort error handler answers from outside this middleware (see errors_render).
        scope.setdefault("state", {})["request_id"] = request_id
        token = current.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (_HEADER_KEY, request_id.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_id)
        # Not reset when the request fails: the last-resort handler's log line, written after this returns, then
        # still names the request. Each request is served in a task of its own, so the id goes no further.
        current.reset(token)


def stamp(headers: MutableHeaders, scope: Scope) -> None:
    """Name the request's id on a response made outside this middleware (the last-resort error handler's)."""
    request_id = scope.get("state", {}).get("request_id")
    if request_id is not None:
        headers[HEADER] = request_id


class OnLogRecords(logging.Filter):
    """Put the current request's id on each record as `request_id` (installed on the handlers, see log_setup)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the id; always let the record through."""
        record.request_id = current.get()
        return True
