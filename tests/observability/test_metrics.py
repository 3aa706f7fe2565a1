"""Prometheus metrics at /metrics: to the metrics token alone, and the counters move with what the site does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.main import create_app
from batchtrack.models.user import Role

from builders import make_user, seed_lot

TOKEN = "metrics-token-" + "y" * 24


@pytest.fixture
def watched(settings: Settings, database: Database) -> Iterator[TestClient]:
    """A client of an application whose metrics are served to TOKEN."""
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}), database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def product_label(client: TestClient, lot_din: str, coi: str) -> str:
    """The label of a new final-product bag of the lot, as a station's scanner reads it."""
    bag = client.post(f"/api/v1/lots/{lot_din}/containers", json={"kind": "final_product"}).json()[0]
    code = isbt.product_code(bag["product_code"][:5], bag["product_code"][5], bag["division"])
    return isbt.compound_message([isbt.din_structure(din_id.parse(lot_din)), isbt.product_structure(code),
                                  isbt.coi_structure(coi_id.parse(coi))])


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels."""
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """One sample's value, 0 when it is not there yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_answer_404_when_no_token_is_set(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_metrics_refuse_a_caller_without_the_metrics_token(watched: TestClient, database: Database) -> None:
    user = make_user(database, Role.ADMIN)  # a user's own token is not the metrics token
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {user.token}"},
                   {"Authorization": f"Basic {TOKEN}"}):
        answer = watched.get("/metrics", headers=header)
        assert answer.status_code == 401 and "batchtrack_" not in answer.text, header


def test_a_scrape_counts_proceed_and_stop_verdicts_refusals_and_latency(
    watched: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    other = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    operator = make_user(database, Role.OPERATOR)
    watched.headers["Authorization"] = f"Bearer {operator.token}"
    label = product_label(watched, lot.din, lot.coi)
    before = scrape(watched)

    proceed = watched.post("/api/v1/scans", json={"raw": label, "station": "BSC-1", "expect": {"lot_din": lot.din}})
    stop = watched.post("/api/v1/scans", json={"raw": label, "station": "BSC-1", "expect": {"lot_din": other.din}})
    refused = watched.get("/api/v1/lots/W000026999999")
    assert proceed.json()["verdict"] == "proceed" and stop.json()["verdict"] == "stop"
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    after = scrape(watched)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("batchtrack_scan_verdicts_total", verdict="proceed") == 1
    assert moved("batchtrack_scan_verdicts_total", verdict="stop") == 1
    assert moved("batchtrack_refusals_total", code="not_found") == 1
    # The STOP was recorded in the audit trail: one append or more (the label print before was one too).
    assert moved("batchtrack_audit_append_duration_seconds_count") >= 1
    # Latency by the route's template, never the lot's own path.
    assert moved("batchtrack_http_request_duration_seconds_count", route="/api/v1/scans", method="POST",
                 status="200") == 2
    assert moved("batchtrack_http_request_duration_seconds_count", route="/api/v1/lots/{din}", method="GET",
                 status="404") == 1
    assert not any("W000026999999" in dict(labels).get("route", "") for _name, labels in after)
    # The pool's size is known; connections in use are back to none between requests.
    assert value(after, "batchtrack_db_pool_capacity") >= 1
    assert value(after, "batchtrack_db_connections_in_use") >= 0


def test_a_path_no_route_serves_is_counted_as_unmatched(watched: TestClient) -> None:
    before = scrape(watched)
    assert watched.get("/no/such/page/12345").status_code == 404
    after = scrape(watched)
    key = ("batchtrack_http_request_duration_seconds_count",
           frozenset({"route": "unmatched", "method": "GET", "status": "404"}.items()))
    assert after[key] - before.get(key, 0.0) == 1
