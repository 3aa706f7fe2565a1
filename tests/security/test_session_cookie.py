"""The session cookie: HttpOnly, SameSite=Strict, Secure over TLS; renewed at sign-in (no session fixation)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.support import HTML, form_csrf, post_login
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.main import SESSION_COOKIE, create_app
from batchtrack.models.user import Role

from builders import UserHandle, make_user


def _session_cookie(set_cookie: str) -> dict[str, str]:
    assert set_cookie.startswith(SESSION_COOKIE + "="), set_cookie
    parts = [p.strip() for p in set_cookie.split(";")]
    flags = {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts[1:]}
    return {"value": parts[0].split("=", 1)[1], **flags}


def _sign_in_cookie(client: TestClient, user: UserHandle) -> dict[str, str]:
    response = post_login(client, user.username, user.password)
    assert response.status_code == 303
    return _session_cookie(response.headers["set-cookie"])


def test_the_cookie_is_http_only_and_strict_and_not_secure_over_plain_http(
    client: TestClient, database: Database
) -> None:
    cookie = _sign_in_cookie(client, make_user(database, Role.QA))
    assert "httponly" in cookie and cookie["samesite"] == "strict" and cookie["path"] == "/"
    assert "secure" not in cookie
    assert "strict-transport-security" not in client.get("/login").headers


def test_with_cookie_secure_the_cookie_is_secure_and_hsts_is_sent(settings: Settings, database: Database) -> None:
    app = create_app(settings.model_copy(update={"cookie_secure": True}), database)
    with TestClient(app, base_url="https://testserver") as client:
        cookie = _sign_in_cookie(client, make_user(database, Role.QA))
        assert "secure" in cookie and "httponly" in cookie and cookie["samesite"] == "strict"
        assert client.get("/login").headers["strict-transport-security"].startswith("max-age=")


def _behind_proxy(app: FastAPI, client_address: str) -> TestClient:
    # As `batchtrack serve` runs it: uvicorn's proxy headers, trusted from the proxy's address only.
    proxied = ProxyHeadersMiddleware(app, trusted_hosts="127.0.0.1")
    return TestClient(proxied, client=(client_address, 40000), headers={"x-forwarded-proto": "https"})  # type: ignore[arg-type]


def test_behind_a_trusted_tls_proxy_the_cookie_is_secure_even_without_the_setting(app: FastAPI) -> None:
    with _behind_proxy(app, "127.0.0.1") as client:
        page = client.get("/login")  # the sign-in form opens the session (its CSRF token)
    cookie = _session_cookie(page.headers["set-cookie"])
    assert "secure" in cookie and "httponly" in cookie and cookie["samesite"] == "strict"
    assert page.headers["strict-transport-security"].startswith("max-age=")


def test_a_forwarded_proto_from_an_untrusted_address_is_ignored(app: FastAPI) -> None:
    with _behind_proxy(app, "203.0.113.9") as client:
        page = client.get("/login")
    assert "secure" not in _session_cookie(page.headers["set-cookie"])
    assert "strict-transport-security" not in page.headers


def test_the_session_is_renewed_at_sign_in(
    client: TestClient, database: Database, sign_in: Callable[[UserHandle], TestClient]
) -> None:
    user = make_user(database, Role.OPERATOR)
    before_token = form_csrf(client)
    before = client.cookies[SESSION_COOKIE]
    after = _sign_in_cookie(client, user)["value"]
    assert after != before
    # The anonymous session's form token died with it: a form carrying it is refused.
    stale = client.post("/logout", data={"csrf_token": before_token}, headers=HTML, follow_redirects=False)
    assert stale.status_code == 403
    # An attacker who planted the anonymous cookie is not signed in by the victim's sign-in.
    with TestClient(client.app, raise_server_exceptions=False, cookies={SESSION_COOKIE: before}) as planted:
        assert planted.get("/", headers=HTML, follow_redirects=False).status_code == 303
    assert client.get("/", headers=HTML).status_code == 200


def test_sign_out_ends_the_session(client: TestClient, database: Database) -> None:
    user = make_user(database, Role.OPERATOR)
    _sign_in_cookie(client, user)
    response = client.post("/logout", data={"csrf_token": form_csrf(client, "/")}, headers=HTML,
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303
