"""Helpers of the account tests: signing in through the form as a browser does, a second application server on
the same database, and the body of an administrator's signed action."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from builders import UserHandle

HTML = {"accept": "text/html"}


def form_csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token the page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, headers=HTML).text)
    assert match, f"{path} carries a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str) -> str:
    """Sign in through the form; returns where the answer sends the browser."""
    response = client.post("/login", data={"username": username, "password": password, "next": "/",
                                           "csrf_token": form_csrf(client)}, headers=HTML, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def signed(admin: UserHandle, reason: str = "left the company on 30 November", **more: Any) -> dict[str, Any]:
    """The body of an administrator's signed action: the reason, their user id and password."""
    return {"reason": reason, "username": admin.username, "password": admin.password, **more}
