"""Security headers on every response (a pure ASGI middleware: it does not buffer bodies)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"frame-ancestors 'none'; form-action 'self'"),
    # Pages show patient identity, and API answers carry it too: nothing is kept by browsers or proxies.
    (b"cache-control", b"no-store"),
]
# Over HTTPS only (a browser ignores it over plain HTTP): two years, every subdomain.
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
_WITH_HSTS = [*HEADERS, HSTS]


def over_tls(scope: Scope, *, behind_tls: bool) -> bool:
    """Whether the response goes out over HTTPS: declared by the settings, or the request arrived as HTTPS.

    Behind a TLS proxy, uvicorn's --proxy-headers sets the scheme from X-Forwarded-Proto when the proxy's address
    is trusted (--forwarded-allow-ips).
    """
    return behind_tls or scope.get("scheme") == "https"


def headers_for(scope: Scope, *, behind_tls: bool) -> list[tuple[bytes, bytes]]:
    """The security headers a response to `scope` carries."""
    return _WITH_HSTS if over_tls(scope, behind_tls=behind_tls) else HEADERS


def _secure_cookies(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    # A cookie set over HTTPS is marked Secure even when the settings forgot to say the site is served over TLS.
    return [(name, value + b"; secure") if name.lower() == b"set-cookie" and b"secure" not in value.lower()
            else (name, value) for name, value in headers]


class SecurityHeaders:
    """Add the headers above to every HTTP response (and Strict-Transport-Security over HTTPS)."""

    def __init__(self, app: ASGIApp, *, behind_tls: bool = False) -> None:
        self.app = app
        self.behind_tls = behind_tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        extra = _WITH_HSTS if self.behind_tls or https else HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if https:
                    headers = _secure_cookies(headers)
                existing = {name.lower() for name, _ in headers}
                message["headers"] = headers + [(name, value) for name, value in extra if name not in existing]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def apply(headers: MutableHeaders, scope: Scope, *, behind_tls: bool) -> None:
    """Set the security headers on a response made outside the middleware (the last-resort error handler)."""
    for name, value in headers_for(scope, behind_tls=behind_tls):
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
