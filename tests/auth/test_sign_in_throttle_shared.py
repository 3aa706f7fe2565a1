"""The sign-in throttle counts each client's own address, and every server counts the same failures: behind a
load-balancing proxy, failures spread over the servers still stop the address, and never anyone else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.support import post_login
from sqlalchemy import func, select
from sqlmodel import col

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.main import create_app
from batchtrack.models.sign_in import SignInFailure
from batchtrack.models.user import Role

from builders import make_user

SPRAYER = ("203.0.113.9", 40000)


@pytest.fixture
def two_servers(settings: Settings, database: Database) -> Iterator[tuple[TestClient, TestClient]]:
    """The same client address at two servers of one installation (two applications on one database)."""
    settings.login_throttle_failures = 4
    first, second = create_app(settings, database), create_app(settings, database)
    with TestClient(first, raise_server_exceptions=False, client=SPRAYER) as at_first, \
            TestClient(second, raise_server_exceptions=False, client=SPRAYER) as at_second:
        yield at_first, at_second


def _failures(database: Database, address: str) -> int:
    with database.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(SignInFailure)
                                   .where(col(SignInFailure.client_address) == address)).scalar_one())


def test_failures_spread_over_two_servers_throttle_the_address_on_both(
    two_servers: tuple[TestClient, TestClient], database: Database
) -> None:
    at_first, at_second = two_servers
    user = make_user(database, Role.QA)
    answers = [post_login(server, name, "Spray-Password-2026!").status_code
               for server, name in ((at_first, "alice"), (at_second, "bob"), (at_first, "carol"),
                                    (at_second, user.username))]
    assert answers == [401, 401, 401, 401]  # two at each server: neither alone has seen four
    assert _failures(database, SPRAYER[0]) == 4
    for server in (at_first, at_second):
        throttled = post_login(server, user.username, user.password)
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0


def test_another_address_at_either_server_is_not_held_back(
    two_servers: tuple[TestClient, TestClient], app: FastAPI, database: Database
) -> None:
    at_first, at_second = two_servers
    user = make_user(database, Role.NURSE)
    for server in (at_first, at_second, at_first, at_second):
        post_login(server, "nobody", "Spray-Password-2026!")
    assert post_login(at_second, user.username, user.password).status_code == 429
    with TestClient(app, raise_server_exceptions=False, client=("198.51.100.20", 40000)) as elsewhere:
        assert post_login(elsewhere, user.username, user.password).status_code == 303
    assert _failures(database, "198.51.100.20") == 0
