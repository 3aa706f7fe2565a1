"""Helpers of the security suite: signing in through the form as a browser does, reading error codes, counting rows."""

from __future__ import annotations

import re

import httpx2 as httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import SQLModel

from batchtrack.db import Database

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}


def error_code(response: httpx.Response) -> str:
    """The `error` code of a JSON refusal, or '' for any other answer."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return ""
    body = response.json()
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def form_csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page's form carries."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, headers=HTML).text)
    assert match, f"the form at {path} carries a CSRF token"
    return match.group(1)


def post_login(client: TestClient, username: str, password: str) -> httpx.Response:
    """Post the sign-in form as a browser does (with the form's CSRF token)."""
    return client.post("/login", data={"username": username, "password": password, "next": "/",
                                       "csrf_token": form_csrf(client)}, headers=HTML, follow_redirects=False)


def row_counts(database: Database) -> dict[str, int]:
    """The number of rows in every table: equal before and after means a refused request changed nothing."""
    with database.transaction(write=False) as session:
        return {t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}
