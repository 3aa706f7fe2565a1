"""Why batchtrack.web.body_limit is kept: the framework's own request-size limit does not do the same. Each test
states a difference; when a release of the framework removes it, the test fails and the choice is to be made again.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.web.body_limit import BodyLimit

CAP = 10


def _app(*, framework: bool) -> tuple[FastAPI, list[str]]:
    ran: list[str] = []
    try:
        app = FastAPI(max_body_size=CAP) if framework else FastAPI()
    except TypeError:  # a FastAPI without its own limit
        pytest.skip("this FastAPI has no request-size limit of its own")

    @app.post("/act")
    def act() -> dict[str, bool]:
        ran.append("act")  # stands for a write: a route that reads no body
        return {"ok": True}

    if not framework:
        app.add_middleware(BodyLimit, limit=CAP)
    return app, ran


def test_a_route_reading_no_body_is_not_run_for_an_oversized_one_here_but_is_by_the_framework() -> None:
    for framework, runs in ((True, ["act"]), (False, [])):
        app, ran = _app(framework=framework)
        answer = TestClient(app).post("/act", content=b"x" * (CAP * 3))
        assert answer.status_code == 413
        assert ran == runs, framework


def test_the_frameworks_refusal_is_plain_text_and_this_ones_is_the_refusal_body() -> None:
    framework, _ = _app(framework=True)
    assert TestClient(framework).post("/act", content=b"x" * (CAP * 3)).headers["content-type"].startswith(
        "text/plain")
    own, _ = _app(framework=False)
    refused = TestClient(own).post("/act", content=b"x" * (CAP * 3))
    assert refused.json()["error"] == "too_large" and set(refused.json()) == {"error", "message", "reasons"}
