"""Request bodies: too large is refused with 413 and a reason, before the body is read; only the photo routes take
large bodies; what is not a photo is refused with 400 and a reason."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from security.support import HTML, JSON, error_code, form_csrf, row_counts
from starlette.types import Message, Receive, Scope, Send

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.web.body_limit import BodyLimit, upload_routes

from builders import UserHandle, make_user
from own_loop import run_on_own_loop


@pytest.fixture
def nurse_api(app: FastAPI, database: Database) -> Iterator[TestClient]:
    """An API client of a nurse (a clinician: the photo routes admit her)."""
    user = make_user(database, Role.NURSE)
    with TestClient(app, raise_server_exceptions=False,
                    headers={"authorization": f"Bearer {user.token}", **JSON}) as api:
        yield api


def _noise_png(size_bytes: int) -> bytes:
    # Random pixels do not compress: a PNG of about `size_bytes`, a real image the decoder reads.
    side = int((size_bytes / 3) ** 0.5) + 1
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), secrets.token_bytes(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def test_a_json_body_over_the_cap_is_refused_with_413_and_changes_nothing(
    nurse_api: TestClient, database: Database, settings: Settings
) -> None:
    before = row_counts(database)
    body = b'{"scan": "' + b"x" * settings.max_request_bytes + b'"}'
    response = nurse_api.post("/api/v1/scans", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert error_code(response) == "too_large" and "MB" in response.json()["message"]
    assert row_counts(database) == before


def test_a_body_without_a_declared_length_is_cut_off_at_the_cap(nurse_api: TestClient, settings: Settings) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"scan": "'
        for _ in range(settings.max_request_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = nurse_api.post("/api/v1/scans", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and "larger than" in response.json()["message"]


def test_an_oversized_form_from_a_browser_gets_a_page(
    client: TestClient, database: Database, settings: Settings, sign_in: Callable[[UserHandle], TestClient]
) -> None:
    browser = sign_in(make_user(database, Role.QA))
    response = browser.post("/specifications", headers=HTML, data={
        "csrf_token": form_csrf(browser, "/specifications"), "text": "x" * (settings.max_request_bytes + 1)})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html") and "larger than" in response.text


def test_the_photo_routes_take_photos_larger_than_the_general_cap(nurse_api: TestClient, settings: Settings) -> None:
    photo = _noise_png(2 * settings.max_request_bytes)
    assert settings.max_request_bytes < len(photo) < 10 * 1024 * 1024
    response = nurse_api.post("/api/v1/bedside/decode", files={"image": ("photo.png", photo, "image/png")})
    assert response.status_code == 200 and response.json() == {"texts": []}


def test_a_photo_over_its_own_limit_and_a_body_over_the_upload_cap_are_refused(
    nurse_api: TestClient, settings: Settings
) -> None:
    too_big_photo = nurse_api.post("/api/v1/bedside/decode",
                                   files={"image": ("photo.png", b"\x89PNG" + b"0" * 11 * 1024 * 1024, "image/png")})
    assert too_big_photo.status_code == 413 and error_code(too_big_photo) == "photo.too_large"
    over_cap = nurse_api.post("/api/v1/bedside/decode", content=b"0" * (settings.max_upload_bytes + 1),
                              headers={"content-type": "multipart/form-data; boundary=x"})
    assert over_cap.status_code == 413 and error_code(over_cap) == "too_large"


def test_what_is_not_a_photo_is_refused_with_a_reason(nurse_api: TestClient) -> None:
    text = nurse_api.post("/api/v1/bedside/decode", files={"image": ("notes.txt", b"hello", "text/plain")})
    assert text.status_code == 400 and error_code(text) == "photo.not_an_image"
    as_json = nurse_api.post("/api/v1/bedside/decode", json={"image": "aGVsbG8="})
    assert as_json.status_code == 400 and error_code(as_json) == "photo.missing"
    svg = nurse_api.post("/api/v1/bedside/decode",
                         files={"image": ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")})
    assert svg.status_code == 400 and error_code(svg) == "photo.not_an_image"


def test_a_json_route_refuses_a_body_of_another_type_with_a_reason(nurse_api: TestClient) -> None:
    response = nurse_api.post("/api/v1/bedside/checks", content=b"wristband=1", headers={
        "content-type": "text/plain"})
    assert 400 <= response.status_code < 500 and response.status_code not in (401, 403)
    assert response.json()["message"]


def test_the_upload_routes_are_found_from_the_routes_themselves(app: FastAPI, settings: Settings) -> None:
    limit = BodyLimit(app, limit=settings.max_request_bytes, uploads=upload_routes(app, settings.max_upload_bytes))
    assert limit.limit_for("/api/v1/bedside/decode") == settings.max_upload_bytes
    assert limit.limit_for("/bedside") == settings.max_upload_bytes
    assert limit.limit_for("/bedside/infusions") == settings.max_request_bytes
    assert limit.limit_for("/api/v1/scans") == settings.max_request_bytes
    assert limit.limit_for("/login") == settings.max_request_bytes


def test_an_oversized_declared_body_is_refused_without_reading_it() -> None:
    reached: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append("app")

    async def receive() -> Message:
        reached.append("receive")
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/api/v1/scans", "method": "POST",
             "headers": [(b"content-length", b"5000000")]}
    run_on_own_loop(BodyLimit(inner, limit=1024 * 1024), scope, receive, send)
    assert reached == []
    assert sent[0]["status"] == 413
