"""The current state against the audit trail: a state column edited, a record added behind the application's back,
a custody event deleted or inserted with the guards off, each named; a whole chain run through the services has
nothing to report; and the check reads the database in a fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import api_client
from fastapi import FastAPI
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session
from tampering import guards_off

from batchtrack.audit import service as audit_service
from batchtrack.audit import state_check
from batchtrack.audit.findings import Check, Finding
from batchtrack.auth.principal import SYSTEM
from batchtrack.bedside import handover
from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.errors import BatchtrackError
from batchtrack.labels import schemas as label_schemas
from batchtrack.labels import service as label_service
from batchtrack.lots import holds
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.label import Label
from batchtrack.models.lot import Lot
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role
from batchtrack.web.deps import run_audited

from bedside_builders import (
    ProductLot,
    bag_scan,
    check_body,
    clinic,
    hand_over,
    infusion_body,
    ship_and_receive,
    wristband,
)
from builders import SeededLot, collected_bag, enrol_eligible, make_user, receipt, seed_lot
from builders import bag_scan as builders_bag_scan
from coi_report_builders import reprint_label
from deviation_builders import open_deviation
from processing_builders import STATION
from release_builders import ready_lot, record_custody, review_record


def _findings(database: Database) -> list[Finding]:
    with database.transaction(write=False) as session:
        return state_check.check_states(session=session) + state_check.check_custody(session=session)


def _tampered(database: Database, is_postgres: bool, sql: str, **params: Any) -> None:
    """Run SQL with the append-only guards of the custody events off (in this test's database only)."""
    with database.transaction() as session:
        guards_off(session, "custody_event")
        session.execute(text(sql), params)


def _id_of(database: Database, query: Any) -> int:
    with database.transaction(write=False) as session:
        return int(session.execute(query).scalar_one())


@pytest.fixture
def seeded(database: Database, settings: Settings) -> SeededLot:
    """A therapy, its accepted collection, the lot in process, the labelled aspirate bag and its custody."""
    lot = seed_lot(database, settings)
    record_custody(database, lot.din, make_user(database, Role.OPERATOR))
    return lot


def _infuse_every_bag(app: FastAPI, database: Database, lot: ProductLot) -> None:
    people = clinic(database)
    ship_and_receive(database, lot, people)
    nurse = api_client(app, people.nurse)
    for bag in lot.bag_ids:
        checked = nurse.post("/api/v1/bedside/checks",
                             json=check_body(wristband(lot.coi), bag_scan(database, bag), people.doctor))
        assert checked.status_code == 200 and checked.json()["ok"], checked.json()
        infused = nurse.post("/api/v1/bedside/infusions",
                             json=infusion_body(checked.json()["id"], people.nurse, people.doctor))
        assert infused.status_code == 201, infused.json()


def test_a_whole_chain_through_the_services_agrees_with_its_audit_trail(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    ready = ready_lot(database, settings)
    bench = ready.bench
    with database.transaction(write=False) as session:
        bags = [c.id for c in lot_service.containers_of(session=session, lot=lot_service.get_by_din(
            session=session, din=ready.din)) if c.kind == ContainerKind.FINAL_PRODUCT and c.id is not None]
    # Labels: one reprinted (the old one destroyed, the new one applied), one reprint voided.
    reprint_label(database, settings, bench, bags[0])
    with database.transaction() as session:
        outcome = label_service.print_labels(
            session=session, settings=settings, actor=bench.operator.principal, din=ready.din,
            data=label_schemas.PrintRequest(container_ids=[bags[1]], format="zpl", station=STATION,
                                            reason="printer jammed"), send=lambda host, port, data, timeout: None)
        [spare] = outcome.labels
        assert spare.id is not None
        label_service.close_label(session=session, actor=bench.operator.principal, label_id=spare.id,
                                  status="voided", reason="printed twice")
    # A deviation puts the lot on hold; QA closes it and lifts the hold.
    number = open_deviation(database, ready.din, bench.operator)
    assert _findings(database) == []
    quality = make_user(database, Role.QA)
    with database.transaction() as session:
        deviation_service.close_deviation(session=session, actor=quality.principal, number=number,
                                          closure="CO2 sensor recalibrated; no impact",
                                          username=quality.username, password=quality.password)
        holds.lift(session=session, actor=quality.principal, din=ready.din, reason="deviation closed",
                   username=quality.username, password=quality.password)
    # The reprint, the void and the deviation came after the lot's record review: QA reviews it again.
    review_record(database, ready.din, ready.qa)
    released = api_client(app, ready.qa).post(
        f"/api/v1/lots/{ready.din}/release", json=ready.qa.credentials)
    assert released.status_code == 200, released.text
    _infuse_every_bag(app, database, ProductLot(ready.din, ready.coi, bench, ready.qa, bags))
    # Another subject's aspirate, rejected at receipt.
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician, subject="S-002", mrn="MRN-S-002")
    rejected = collected_bag(database, settings, clinician, coi)
    with database.transaction() as session:
        collection_service.receive(session=session, actor=bench.operator.principal,
                                   data=receipt(rejected, decision="reject", reason="bag leaking"))

    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=ready.din)
        states = {
            "lot": (lot.state, lot.state_before_hold),
            "therapies": {t.state for t in session.execute(select(Therapy)).scalars()},
            "collections": {c.state for c in session.execute(select(Collection)).scalars()},
            "containers": {c.status for c in session.execute(select(Container)).scalars()},
            "labels": {label.status for label in session.execute(select(Label)).scalars()},
        }
    # Every state column moved along a path that changes it, and each path recorded where it went.
    assert states == {"lot": ("infused", None), "therapies": {"completed", "open"},
                      "collections": {"accepted", "rejected"}, "containers": {"consumed", "infused", "in_use"},
                      "labels": {"applied", "voided", "destroyed"}}
    assert _findings(database) == []


@pytest.mark.parametrize(("table", "column", "value"), [
    ("lot", "state", "released"),
    ("lot", "state_before_hold", "in_process"),
    ("therapy", "state", "completed"),
    ("collection", "state", "quarantined"),
    ("container", "status", "destroyed"),
    ("label", "status", "voided"),
])
def test_a_state_column_edited_in_the_database_is_named(
    database: Database, seeded: SeededLot, table: str, column: str, value: str
) -> None:
    assert _findings(database) == []
    with database.transaction() as session:
        session.execute(text(f"UPDATE {table} SET {column} = :value"), {"value": value})
    findings = _findings(database)
    assert len(findings) == 1, findings
    [finding] = findings
    assert finding.check == Check.STATE
    assert finding.subject.startswith(table), finding
    if table in ("lot", "therapy", "collection"):
        assert finding.subject == f"{table} {seeded.coi if table == 'therapy' else seeded.din}"
    assert finding.problem.startswith(f"{column} is {value!r}; its last audited transition set "), finding
    assert "(entry #" in finding.problem


def test_the_named_finding_gives_both_values_and_the_entry(database: Database, seeded: SeededLot) -> None:
    with database.transaction(write=False) as session:
        [opened] = [e for e in audit_service.entries_for(session=session, entity_type="lot", entity_id=seeded.din)
                    if e.action == "lot.opened"]
    with database.transaction() as session:
        session.execute(text("UPDATE lot SET state = 'released'"))
    assert _findings(database) == [Finding(
        Check.STATE, f"lot {seeded.din}", f"state is 'released'; its last audited transition set 'in_process' "
                                          f"(entry #{opened.seq})")]


def test_refusals_set_no_state_and_are_not_read_as_transitions(database: Database, settings: Settings,
                                                                seeded: SeededLot) -> None:
    operator = make_user(database, Role.OPERATOR)
    courier = make_user(database, Role.COURIER)
    # A lot still in process cannot be shipped: the refusal is recorded, without the lot's state.
    with pytest.raises(BatchtrackError):
        run_audited(database, lambda session: handover.ship(
            session=session, actor=operator.principal, din=seeded.din,
            data=hand_over([builders_bag_scan(seeded.din)], receiver=courier.username)), settings=settings)
    with database.transaction(write=False) as session:
        actions = [e.action for e in audit_service.entries_for(session=session, entity_type="lot",
                                                                entity_id=seeded.din)]
    assert actions[-1] == "lot.ship_refused"
    assert _findings(database) == []


def test_a_record_added_behind_the_applications_back_is_named(database: Database, seeded: SeededLot) -> None:
    lot_id = _id_of(database, select(Lot.id))
    with database.transaction() as session:
        session.add(Container(din=seeded.din, kind=ContainerKind.QC_SAMPLE, sample_flag="42", lot_id=lot_id))
    [finding] = _findings(database)
    assert finding.subject.startswith("container ") and f"({seeded.din} qc sample 42)" in finding.subject
    assert finding.problem == "status is 'in_use'; no audited creation or transition of it is recorded"


def test_an_audited_transition_of_a_record_that_no_longer_exists_is_named(
    database: Database, seeded: SeededLot
) -> None:
    label_id = _id_of(database, select(Label.id))
    with database.transaction() as session:
        session.execute(text("DELETE FROM label WHERE id = :id"), {"id": label_id})
    [finding] = _findings(database)
    assert finding.subject == f"label #{label_id}"
    assert finding.problem.endswith("(label.applied) set status 'applied', but there is no such label")


def test_a_custody_event_deleted_with_the_guard_off_is_named(
    database: Database, seeded: SeededLot, is_postgres: bool
) -> None:
    event_id = _id_of(database, select(CustodyEvent.id).order_by(CustodyEvent.id).limit(1))  # type: ignore[arg-type]
    _tampered(database, is_postgres, "DELETE FROM custody_event WHERE id = :id", id=event_id)
    [finding] = _findings(database)
    assert finding.check == Check.CUSTODY and finding.subject.startswith(f"custody event {event_id} (container ")
    assert "records it, but there is no such custody event" in finding.problem


def test_a_custody_event_inserted_without_its_audit_entry_is_named(database: Database, seeded: SeededLot) -> None:
    with database.transaction() as session:
        recorded = session.execute(select(CustodyEvent).limit(1)).scalar_one()
        forged = CustodyEvent(container_id=recorded.container_id, therapy_id=recorded.therapy_id,
                              handed_over_by=recorded.received_by, received_by=recorded.handed_over_by,
                              location="loading dock", occurred_at=utcnow(), recorded_by=recorded.recorded_by)
        session.add(forged)
        session.flush()
        forged_id, container_id = forged.id, forged.container_id
    assert _findings(database) == [Finding(Check.CUSTODY, f"custody event {forged_id} (container {container_id})",
                                           "recorded, but no audit entry records it")]


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    issued: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        issued.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield issued
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def _add_lots(session: Session, therapy_id: int, count: int) -> None:
    """`count` lots, each with a container, opened and registered as the services record them."""
    for n in range(count):
        lot = Lot(din=f"W000026{900000 + n:06d}", therapy_id=therapy_id, product_code="S1234100")
        session.add(lot)
        session.flush()
        container = Container(din=lot.din, kind=ContainerKind.FINAL_PRODUCT, division="A0", lot_id=lot.id)
        session.add(container)
        session.flush()
        audit_service.record(session=session, actor=SYSTEM, action="lot.opened", entity_type="lot",
                             entity_id=lot.din, new={"state": lot.state, "state_before_hold": None})
        audit_service.record(session=session, actor=SYSTEM, action="container.registered", entity_type="lot",
                             entity_id=lot.din, new={"container_id": container.id, "status": container.status})


def test_the_checks_issue_the_same_statements_for_one_lot_and_for_twenty(
    database: Database, seeded: SeededLot
) -> None:
    therapy_id = _id_of(database, select(Therapy.id))
    counts = []
    for more in (0, 19):
        with database.transaction() as session:
            _add_lots(session, therapy_id, more)
        with database.transaction(write=False) as session:
            assert len(session.execute(select(Lot.id)).all()) == 1 + more
            with _statements(database) as issued:
                assert state_check.check_states(session=session) == []
                assert state_check.check_custody(session=session) == []
        counts.append(len(issued))
    assert counts[0] == counts[1], counts
