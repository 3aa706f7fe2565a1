"""Clients racing on the same lot through the API: one infusion per bag, one label per container, one release.

The release race itself (twenty QA releases of one lot, in transactions and through the API, on both engines) is
tests/release/test_release_concurrency.py; here it runs again only across two server processes
(test_two_servers.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlmodel import col, func, select

from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.bedside import Infusion
from batchtrack.models.container import Container
from batchtrack.models.label import Label

PAIRS = 4
LABELLERS = 8


def _count(database: Database, model: Any, *where: Any) -> int:
    """How many rows of `model` match."""
    with database.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def test_two_clinician_pairs_infusing_the_same_bag_at_once_infuse_it_once(
    races: Any, in_process: Any, database: Database, whole_database: Callable[[], dict[str, int]]
) -> None:
    _bag, answers = races.bedside(in_process, pairs=PAIRS)
    # One pair infuses; every other pair is told the bag is already infused, never a 500.
    assert answers == Counter({(201, "ok"): 1, (409, "infusion.bag_infused"): PAIRS - 1}), answers
    assert _count(database, Infusion) == 1
    assert _count(database, Container, col(Container.status) == "infused") == 1
    assert _count(database, AuditEntry, col(AuditEntry.action) == "infusion.refused") == PAIRS - 1
    whole_database()


def test_operators_registering_and_labelling_the_same_lot_at_once_get_one_identity_and_one_label_each(
    races: Any, in_process: Any, database: Database, whole_database: Callable[[], dict[str, int]]
) -> None:
    din, answers, ids = races.labels(in_process, clients_count=LABELLERS)
    # Every registration got containers of its own: distinct flags, none lost.
    assert len(ids) == len(set(ids)) == 2 * LABELLERS
    with database.transaction(write=False) as session:
        flags = list(session.execute(select(col(Container.sample_flag)).where(
            col(Container.din) == din, col(Container.kind) == "qc_sample")).scalars())
    assert sorted(flags) == [f"{n:02d}" for n in range(1, 2 * LABELLERS + 1)], flags
    # One print labels them; every other one is a reprint without a reason and is refused.
    assert answers == Counter({(201, "ok"): 1, (409, "label.reprint_reason_required"): LABELLERS - 1}), answers
    assert _count(database, Label, col(Label.container_id).in_(ids)) == len(ids)
    assert _count(database, AuditEntry, col(AuditEntry.action) == "label.reprint_refused") == LABELLERS - 1
    whole_database()
