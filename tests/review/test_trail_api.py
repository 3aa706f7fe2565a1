"""The audit trail API for review: filters (lot, therapy, record, user, action, time), pages addressed by seq
(keyset: the statement has no OFFSET), and the CSV export of the same filters."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user, seed_lot
from release_builders import ready_lot


@contextmanager
def _statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement (with its parameters) the application issues while the block runs."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def _all(client: TestClient, **query: str) -> list[dict[str, Any]]:
    """Every entry matching the query, read page by page from after_seq."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        response = client.get("/api/v1/audit-entries", params={**query, "after_seq": after, "limit": 200})
        assert response.status_code == 200, response.text
        page = response.json()
        found += page
        if len(page) < 200:
            return found
        after = page[-1]["seq"]


def test_the_trail_is_paged_by_seq_and_no_statement_skips_rows_by_offset(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    seed_lot(database, settings)
    with api_client(app, make_user(database, Role.QA)) as qa:
        first = qa.get("/api/v1/audit-entries", params={"limit": 3}).json()
        with _statements(database) as statements:
            second = qa.get("/api/v1/audit-entries", params={"limit": 4, "after_seq": first[-1]["seq"]}).json()
        newest = qa.get("/api/v1/audit-entries", params={"limit": 2, "order": "desc"}).json()
        before = qa.get("/api/v1/audit-entries", params={"limit": 2, "order": "desc",
                                                         "before_seq": newest[-1]["seq"]}).json()
        refused = qa.get("/api/v1/audit-entries", params={"offset": 3})
    assert [e["seq"] for e in first] == [1, 2, 3] and [e["seq"] for e in second] == [4, 5, 6, 7]
    # The second page is addressed by the last seq of the first, and skips nothing: SQLite's compiler always writes
    # an OFFSET, which must then be 0; PostgreSQL's none.
    ((statement, parameters),) = [(s, p) for s, p in statements if "FROM audit_entry" in s]
    values = list(parameters.values() if isinstance(parameters, dict) else parameters)
    assert 3 in values  # after_seq: the page is addressed by seq
    assert "OFFSET" not in statement.upper() or values[-1] == 0
    assert newest[0]["seq"] > newest[1]["seq"] and [e["seq"] for e in before] == [
        newest[1]["seq"] - 1, newest[1]["seq"] - 2]
    # A client still paging by offset is told how to page, not silently handed the first page again.
    assert refused.status_code == 400 and refused.json()["error"] == "paging.offset_removed"


def test_the_lot_filter_finds_the_entries_of_the_lot_and_of_its_collections_containers_and_steps_only(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    other = seed_lot(database, settings, subject="S-002", mrn="MRN-S-002")
    with api_client(app, lot.qa) as qa:
        entries = _all(qa, lot=lot.din)
        others = _all(qa, lot=other.din)
        therapy = _all(qa, therapy=lot.coi)
        unknown = qa.get("/api/v1/audit-entries", params={"lot": "W000099999999"})
    types = {e["entity_type"] for e in entries}
    assert {"lot", "collection", "container", "process_step", "lot_record_review"} <= types
    assert {"step.completed", "label.printed", "custody.handed_over", "record_review.signed"} <= {
        e["action"] for e in entries}
    assert not {e["seq"] for e in entries} & {e["seq"] for e in others}
    assert other.din not in str(entries) and lot.din not in str(others)
    assert {e["seq"] for e in entries} <= {e["seq"] for e in therapy}
    assert {"therapy", "recipient"} <= {e["entity_type"] for e in therapy}
    assert unknown.status_code == 404


def test_filters_by_user_action_record_and_time(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings)
    with api_client(app, lot.qa) as qa:
        by_operator = _all(qa, user=lot.bench.operator.username)
        labels = _all(qa, action="label.", lot=lot.din)
        lot_only = _all(qa, entity_type="lot", entity_id=lot.din)
        future = _all(qa, since=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
        recent = _all(qa, since=(datetime.now(UTC) - timedelta(hours=1)).isoformat(), lot=lot.din)
        naive = qa.get("/api/v1/audit-entries", params={"since": "2026-12-07T09:00:00"})
        nobody = qa.get("/api/v1/audit-entries", params={"user": "nobody-here"})
    assert by_operator and {e["actor_name"] for e in by_operator} == {lot.bench.operator.principal.full_name}
    assert labels and all(e["action"].startswith("label.") for e in labels)
    assert lot_only and all(e["entity_type"] == "lot" and e["entity_id"] == lot.din for e in lot_only)
    assert future == [] and len(recent) > 10
    assert naive.status_code == 422 and nobody.status_code == 404


def test_the_csv_export_streams_every_entry_of_the_filter(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings)
    with api_client(app, lot.qa) as qa:
        entries = _all(qa, lot=lot.din)
        exported = qa.get("/api/v1/audit-entries.csv", params={"lot": lot.din})
        missing = qa.get("/api/v1/audit-entries.csv", params={"lot": "W000099999999"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in entries]
    assert [r["hash"] for r in rows] == [e["hash"] for e in entries]
    assert missing.status_code == 404
