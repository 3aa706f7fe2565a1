"""`serve --workers 2`: each worker logs, and /metrics adds up what every worker counted."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2 as httpx
from observability.served import serving
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-token-" + "z" * 24


def test_the_workers_of_serve_write_the_applications_info_lines(db_url: str, tmp_path: Path) -> None:
    with serving(db_url, tmp_path, workers=2) as served:
        # An anonymous request to the API is refused (401): the refusal is logged at INFO by the worker.
        answer = httpx.get(served.url + "/api/v1/lots/W000026000001", timeout=10.0)
        assert answer.status_code == 401
        line = served.wait_for("refused GET /api/v1/lots/W000026000001")
    assert "INFO" in line and "not_authenticated" in line
    # The line names the request's id, as the answer did.
    assert f"[{answer.headers['X-Request-ID']}]" in line


def test_json_lines_from_every_process_with_the_access_log_naming_the_request_id(db_url: str, tmp_path: Path) -> None:
    with serving(db_url, tmp_path, workers=2, env={"BATCHTRACK_LOG_FORMAT": "json"}) as served:
        answer = httpx.get(served.url + "/api/v1/lots/W000026000002", timeout=10.0)
        served.wait_for('"GET /api/v1/lots/W000026000002 HTTP/1.1\\" 401')
        output = served.text()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines and all(line.keys() >= {"time", "level", "logger", "request_id", "message"} for line in lines)
    of_request = [line for line in lines if line["request_id"] == answer.headers["X-Request-ID"]]
    assert {line["logger"] for line in of_request} == {"batchtrack.errors", "uvicorn.access"}


def test_metrics_add_up_every_workers_counts(db_url: str, tmp_path: Path) -> None:
    with serving(db_url, tmp_path, workers=2, env={"BATCHTRACK_METRICS_TOKEN": TOKEN}) as served:
        # A new connection each time: the kernel spreads them over both workers.
        for _ in range(12):
            assert httpx.get(served.url + "/api/v1/lots/W000026000003", timeout=10.0).status_code == 401
        scrapes = [httpx.get(served.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10.0)
                   for _ in range(4)]
    for scrape in scrapes:
        assert scrape.status_code == 200
        refusals = {sample.labels.get("code"): sample.value for family in text_string_to_metric_families(scrape.text)
                    for sample in family.samples if sample.name == "batchtrack_refusals_total"}
        assert refusals.get("not_authenticated") == 12
