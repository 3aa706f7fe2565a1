"""The API's verification of the records runs inside the server's process: no worker processes started by a web
request, one verification at a time per server, and a walk from the newest checkpoint when asked."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from batchtrack.audit import chain, routes, verification
from batchtrack.models.user import Role

Append = Callable[[int], None]
Reference = Callable[[], chain.VerifyResult]
ClientFactory = Callable[..., tuple[TestClient, object]]


def test_a_verification_through_the_api_starts_no_process(
    append_entries: Append, reference_verdict: Reference, as_role: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Any] = []

    def popen(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError("a web request started a process")

    # What the command line does on a large trail with several processors: one worker process per processor.
    monkeypatch.setattr(verification, "MIN_ENTRIES_PER_WORKER", 1)
    monkeypatch.setattr(verification.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(subprocess, "Popen", popen)
    append_entries(12)
    client, _ = as_role(Role.QA)
    report = client.get("/api/v1/audit-entries/verify")
    assert report.status_code == 200, report.text
    assert report.json()["ok"] is True and report.json()["count"] == reference_verdict().count
    assert started == []


def test_a_second_verification_while_one_runs_is_refused(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.ADMIN)
    with routes._one_at_a_time():
        refused = client.get("/api/v1/audit-entries/verify")
    assert refused.status_code == 409
    assert refused.json()["error"] == "audit.verification_running"
    assert client.get("/api/v1/audit-entries/verify").status_code == 200  # the slot is free again


def test_a_verification_from_the_newest_checkpoint_reports_the_whole_count(
    append_entries: Append, reference_verdict: Reference, as_role: ClientFactory
) -> None:
    append_entries(5)
    client, _ = as_role(Role.QA)
    report = client.get("/api/v1/audit-entries/verify", params={"from_checkpoint": "true"})
    assert report.status_code == 200, report.text
    assert report.json()["ok"] is True and report.json()["count"] == reference_verdict().count
