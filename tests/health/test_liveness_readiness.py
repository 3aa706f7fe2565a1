"""Liveness answers whenever the process does; readiness only when the database answers with a current schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database, make_engine
from batchtrack.main import create_app


def _client_on(settings: Settings, database_url: str) -> Iterator[TestClient]:
    database = Database(make_engine(database_url))
    app = create_app(settings, database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    database.dispose()


@pytest.fixture
def unreachable(settings: Settings) -> Iterator[TestClient]:
    """A server whose database does not answer (nothing listens on its port)."""
    yield from _client_on(settings, "postgresql://batchtrack@127.0.0.1:9/batchtrack?connect_timeout=2")


@pytest.fixture
def unmigrated(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A server on a database that answers but has no schema yet."""
    yield from _client_on(settings, f"sqlite:///{tmp_path / 'empty.sqlite3'}")


def test_a_server_with_its_database_is_alive_and_ready(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "alive"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok"}


def test_without_its_database_a_server_is_alive_but_not_ready(unreachable: TestClient) -> None:
    assert unreachable.get("/health/live").status_code == 200
    for path in ("/health/ready", "/health"):
        answer = unreachable.get(path)
        assert answer.status_code == 503 and answer.json() == {"status": "unavailable", "database": "unreachable"}


def test_on_a_schema_not_yet_migrated_a_server_is_alive_but_not_ready(unmigrated: TestClient) -> None:
    assert unmigrated.get("/health/live").status_code == 200
    answer = unmigrated.get("/health/ready")
    assert answer.status_code == 503 and answer.json() == {"status": "schema out of date", "database": "ok"}


def test_health_checks_answer_json_without_credentials_whatever_the_caller_accepts(client: TestClient) -> None:
    for path in ("/health/live", "/health/ready"):
        answer = client.get(path, headers={"accept": "text/html"})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
