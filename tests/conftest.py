"""Shared fixtures: a fresh database built by the migrations for every test, on SQLite or PostgreSQL.

Set BATCHTRACK_TEST_DATABASE_URL to a PostgreSQL URL (for example postgresql://postgres@127.0.0.1:5432/test)
to run the suite against PostgreSQL: each test then gets its own database cloned from a migrated template.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from batchtrack import migrate
from batchtrack.auth import passwords
from batchtrack.config import Settings
from batchtrack.db import Database, make_engine, normalise_url
from batchtrack.main import create_app
from batchtrack.models.user import Role

from builders import UserHandle, make_user

PG_URL = os.environ.get("BATCHTRACK_TEST_DATABASE_URL", "")

# The tests are about behaviour, not password cost: argon2 at a low cost keeps the suite fast on a small
# machine. Hashing and verification still go through argon2, and wrong passwords are still refused.
passwords.set_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
# The tests read the command line's output in English, whatever the language of the shell that runs them; the tests of
# how the command line chooses its language set their own (tests/cli/test_cli_language.py).
os.environ["BATCHTRACK_LANGUAGE"] = "en"


def pytest_report_header() -> str:
    """Say which engine the suite runs on."""
    return f"batchtrack database engine: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite'}"


class PostgresCloner:
    """Creates one migrated template database, then a fresh clone of it per test.

    Creating and dropping a database each take a PostgreSQL server a fraction of a second, most of it waiting for
    its disk: one helper thread does both in the background, the next test's clone made while the current test
    runs and each used clone dropped after its test. Clones are taken in the order they were made; a failure to
    make one is raised in the test that takes it, and a failure to drop one at the end of the session."""

    def __init__(self, admin_url: str) -> None:
        self.admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.base = make_url(normalise_url(admin_url))
        self.template = f"bt_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._run(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self.url_of(self.template))
        migrate.upgrade(engine)
        engine.dispose()
        self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-cloner")
        self._drops: list[Future[None]] = []
        self._next: Future[str] = self._helper.submit(self._create)

    def _run(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def url_of(self, name: str) -> str:
        """The URL of database `name` on the same server."""
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _create(self) -> str:
        name = f"bt_t_{uuid.uuid4().hex[:12]}"
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def _drop_now(self, name: str) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def clone(self) -> str:
        """A new database copied from the template (made ahead of time); returns its name."""
        ready, self._next = self._next, self._helper.submit(self._create)
        return ready.result()

    def drop(self, name: str) -> None:
        """Drop a test database in the background, closing any connection still open to it."""
        self._drops.append(self._helper.submit(self._drop_now, name))

    def close(self) -> None:
        """Drop the clone made ahead and the template; raise the first failure to drop a clone."""
        with contextlib.suppress(Exception):  # a clone that could not be made has nothing to drop
            self.drop(self._next.result())
        self._helper.shutdown(wait=True)
        self._drop_now(self.template)
        self.admin.dispose()
        for dropped in self._drops:
            dropped.result()


# The loggers a server process's start configures (batchtrack.observability.log_setup): a test that starts one in
# the test process gets them back as they were, so no later test's captured logs depend on which ran before.
_CONFIGURED_LOGGERS = ("", "alembic", "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _CONFIGURED_LOGGERS]
    saved = [(logger, logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    yield
    for logger, level, handlers, propagate in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate


@pytest.fixture(scope="session")
def _pg_cloner() -> Iterator[PostgresCloner | None]:
    if not PG_URL:
        yield None
        return
    cloner = PostgresCloner(PG_URL)
    yield cloner
    cloner.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def db_url(
    _pg_cloner: PostgresCloner | None, _sqlite_template: Path, tmp_path: Path
) -> Iterator[str]:
    """The URL of a fresh, migrated database for this test alone."""
    if _pg_cloner is None:
        path = tmp_path / "batchtrack.sqlite3"
        shutil.copyfile(_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    name = _pg_cloner.clone()
    try:
        yield _pg_cloner.url_of(name)
    finally:
        _pg_cloner.drop(name)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """The test's database."""
    db = Database(make_engine(db_url))
    yield db
    db.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for a test installation."""
    return Settings(environment="test", database_url=db_url, data_dir=tmp_path, facility_fin="W0000",
                    facility_name="Test Cell Therapy Facility", secret_key="test-secret-" + "x" * 32)


@pytest.fixture
def is_postgres(db_url: str) -> bool:
    """True when the suite runs on PostgreSQL."""
    return db_url.startswith("postgresql")


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    """The application on the test's database."""
    return create_app(settings, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous client (no credentials)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def api_client(app: FastAPI, user: UserHandle) -> TestClient:
    """A client that sends the user's bearer token."""
    return TestClient(app, raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {user.token}"})


@pytest.fixture
def as_role(app: FastAPI, database: Database) -> Iterator[Callable[..., tuple[TestClient, UserHandle]]]:
    """Make API clients by role: as_role(Role.QA) -> (client, user)."""
    made: list[TestClient] = []

    def factory(*roles: Role) -> tuple[TestClient, UserHandle]:
        user = make_user(database, *roles)
        made.append(api_client(app, user))
        return made[-1], user

    yield factory
    for c in made:
        c.close()
