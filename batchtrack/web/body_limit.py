"""A cap on the size of every request body, refused with 413 before it is read (a pure ASGI middleware).

Most requests are small JSON or form posts; only the routes that take photos may send more. A body that declares
its length is judged from the header alone, so an oversized one is never read; a body sent without a length
(chunked) is counted as it arrives and refused as soon as it passes the cap.

Kept rather than FastAPI's own `max_body_size` (FastAPI 0.165 on Starlette 1.10; older FastAPI the project allows
has none): the framework's limit judges a declared length only when the route reads the body or starts its answer,
so a route that reads no body runs, writes, and only then has its answer replaced with 413; its 413 is plain text,
not the refusal body or page every other refusal is; and a larger cap for the photo routes would be declared route
by route rather than found from their `upload_limit` dependency.
tests/web/test_framework_body_limit.py holds those differences, and fails when they are gone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from batchtrack.web.served_routes import served


@dataclass(frozen=True, slots=True)
class UploadRoute:
    """A route allowed a larger body: its path as a pattern, and the cap there."""

    pattern: re.Pattern[str]
    limit: int


class BodyTooLarge(HTTPException):
    """A body passed its cap while being read: rendered by the application's error handler as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    """Why a body is refused, for the person or integration that sent it."""
    return f"the request body is larger than the {_size(limit)} this address accepts"


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} kB"


def _takes_uploads(dependant: object) -> bool:
    # A route declares that it takes photos with the bedside's `upload_limit(n)` dependency, which checks the
    # declared length against its own, stricter limit before anything reads the body.
    stack = [dependant]
    while stack:
        current = stack.pop()
        if getattr(getattr(current, "call", None), "__qualname__", "").startswith("upload_limit."):
            return True
        stack.extend(getattr(current, "dependencies", []))
    return False


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+(?::\w+)?\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def upload_routes(app: FastAPI, limit: int) -> list[UploadRoute]:
    """The application's routes that take photo uploads, each allowed bodies up to `limit` bytes."""
    return [UploadRoute(_path_pattern(route.path), limit) for route in served(app.routes)
            if _takes_uploads(route.dependant)]


class BodyLimit:
    """Refuse request bodies larger than `limit` bytes (larger than an upload route's own limit there) with 413."""

    def __init__(self, app: ASGIApp, *, limit: int, uploads: Sequence[UploadRoute] = ()) -> None:
        self.app = app
        self.limit = limit
        self.uploads = tuple(uploads)

    def limit_for(self, path: str) -> int:
        """The largest body accepted at `path`."""
        return next((u.limit for u in self.uploads if u.pattern.match(path)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _declared_length(scope)
        if declared is not None:
            # The server never delivers more than the declared length: the header alone decides.
            if declared > limit:
                await _refuse(scope, send, limit)
                return
            await self.app(scope, receive, send)
            return
        await self.app(scope, _counting(receive, limit), send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _counting(receive: Receive, limit: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _wants_html(scope: Scope) -> bool:
    accept = next((v for n, v in scope["headers"] if n == b"accept"), b"")
    return not scope["path"].startswith("/api/") and b"text/html" in accept


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    message = too_large_message(limit)
    if _wants_html(scope):
        body = (f"<!doctype html><title>Too large</title><h1>Too large</h1><p>{message}: "
                "go back and send less.</p>").encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"error": "too_large", "message": message, "reasons": []}).encode()
        content_type = b"application/json"
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})

