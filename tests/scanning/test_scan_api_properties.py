"""Arbitrary input through the HTTP scan endpoint: always a verdict with reasons, never a server error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchtrack.models.user import Role

from builders import UserHandle

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]

SCAN_LIKE = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.from_regex(r"\A[=&][/<>+]?[0-9A-Z*]{0,40}\Z"),
    st.text(alphabet="ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎㅏㅑㅓㅕㅗㅛㅜㅠㅡㅣ가각=0123456789", max_size=40),
    st.integers(min_value=0, max_value=60_000).map(lambda n: "=" * n),
)


@pytest.fixture
def operator_client(as_role: ClientFactory) -> TestClient:
    """One operator's API client, shared by every generated example of a test."""
    return as_role(Role.OPERATOR)[0]


# The fixture is deliberately shared across examples: each example is one more scan at the same station.
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=SCAN_LIKE)
def test_any_input_gets_a_verdict_never_a_server_error(operator_client: TestClient, raw: str) -> None:
    response = operator_client.post("/api/v1/scans", json={"raw": raw, "station": "FUZZ"})
    assert response.status_code == 200, (raw[:80], response.text[:200])
    verdict = response.json()
    if not verdict["ok"]:
        assert verdict["reasons"] and all(r["code"] and r["message"] for r in verdict["reasons"])
    assert verdict["raw_length"] == len(raw)
    assert verdict["raw_escaped"].isascii()
