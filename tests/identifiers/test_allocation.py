"""Identifier allocation is done by the database: concurrent processes never get the same one."""

from __future__ import annotations

import pytest

from batchtrack.db import Database
from batchtrack.identifiers import din, service

from concurrency import run_parallel

PROCESSES = 4
EACH = 25


@pytest.mark.parametrize("kind", ["din", "coi"])
def test_concurrent_allocation_from_several_processes_never_duplicates(db_url: str, kind: str) -> None:
    outputs = run_parallel("allocate.py", [[db_url, kind, str(EACH), f"w{i}"] for i in range(PROCESSES)])
    issued = [value for output in outputs for value in output]
    assert len(issued) == PROCESSES * EACH
    assert len(set(issued)) == len(issued), "an identifier was issued twice"
    # The sequence has no gaps either: 1..N were each issued once.
    assert sorted(int(value[-6:]) for value in issued) == list(range(1, PROCESSES * EACH + 1))


def test_sequences_are_per_facility_and_year(database: Database) -> None:
    with database.transaction() as session:
        a = service.allocate_din(session=session, fin="W0000", year=2026)
        b = service.allocate_din(session=session, fin="W0000", year=2027)
        c = service.allocate_din(session=session, fin="G1234", year=2026)
        d = service.allocate_din(session=session, fin="W0000", year=2026)
    assert [a.value, b.value, c.value, d.value] == [
        "W000026000001", "W000027000001", "G123426000001", "W000026000002"]
    assert din.parse(a.value).check == a.check
