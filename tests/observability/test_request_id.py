"""A request id on every response and on the log lines written while it is served."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.main import create_app
from batchtrack.observability import log_setup, request_id

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def behind_proxy(settings: Settings, database: Database) -> Iterator[TestClient]:
    """A client of an installation whose proxy sets X-Request-ID."""
    app = create_app(settings.model_copy(update={"request_id_from_proxy": True}), database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """What the application's loggers write, in the text format the servers use."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(log_setup.formatter("text"))
    handler.addFilter(request_id.OnLogRecords())
    logger = logging.getLogger("batchtrack")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield written
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_every_response_carries_a_new_request_id(client: TestClient) -> None:
    ids = [client.get(path).headers["X-Request-ID"] for path in ("/health/live", "/login", "/api/v1/lots", "/nowhere")]
    assert all(GENERATED.fullmatch(found) for found in ids) and len(set(ids)) == 4


def test_an_id_the_client_sends_is_not_taken_unless_the_proxy_is_trusted_to_set_it(client: TestClient) -> None:
    answer = client.get("/health/live", headers={"X-Request-ID": "client-chosen-1"})
    assert GENERATED.fullmatch(answer.headers["X-Request-ID"])


def test_the_proxys_id_is_kept_when_it_looks_like_an_id(behind_proxy: TestClient) -> None:
    for offered in ("0f9a3c2e5b7d41e0a1b2c3d4e5f60718", "2b1e1b7c-6a0b-4f7e-9f7e-2f4a5c6d7e8f", "lb.trace:42-a"):
        assert behind_proxy.get("/health/live", headers={"X-Request-ID": offered}).headers["X-Request-ID"] == offered


def test_an_id_that_could_forge_log_lines_is_replaced_even_from_the_proxy(behind_proxy: TestClient) -> None:
    for offered in ("two words", "x" * 129, "quote\"d", "", "-starts-with-dash", "\u00e9t\u00e9"):
        answered = behind_proxy.get("/health/live", headers=[(b"X-Request-ID", offered.encode())])
        assert GENERATED.fullmatch(answered.headers["X-Request-ID"]), offered


def test_the_log_lines_of_a_request_name_its_id(behind_proxy: TestClient, logged: io.StringIO) -> None:
    answer = behind_proxy.get("/api/v1/lots/W000026000001", headers={"X-Request-ID": "req-from-nginx-7"})
    assert answer.status_code == 401
    lines = [line for line in logged.getvalue().splitlines() if "refused GET /api/v1/lots/W000026000001" in line]
    assert len(lines) == 1 and "[req-from-nginx-7]" in lines[0]
    logging.getLogger("batchtrack.test").info("outside any request")
    assert "[-]: outside any request" in logged.getvalue()


def test_a_server_error_names_the_request_id_in_its_answer_and_its_log_line(
    settings: Settings, database: Database, logged: io.StringIO
) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"request_id_from_proxy": True}), database)

    @app.get("/boom-for-the-test")
    def boom() -> None:
        raise RuntimeError("unexpected")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom-for-the-test", headers={"X-Request-ID": "req-500", "accept": "application/json"})
    assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "req-500"
    assert any("[req-500]" in line and "unexpected error" in line for line in logged.getvalue().splitlines())
