"""Fixtures of the security suite."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from security.support import post_login

from builders import UserHandle


@pytest.fixture
def sign_in(client: TestClient) -> Callable[[UserHandle], TestClient]:
    """Sign the anonymous `client` in through the form as `user`; returns the client."""

    def signed_in(user: UserHandle) -> TestClient:
        response = post_login(client, user.username, user.password)
        assert response.status_code == 303, response.text
        return client

    return signed_in
