"""A history written at chosen moments (the demonstration's days): what is recorded and what the gates judge
follow the recording clock, never beyond the wall clock, and only inside its block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from batchtrack.collections import service as collection_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import InvalidTransition
from batchtrack.models.base import recording_clock, utcnow
from batchtrack.models.collection import ReceiptRecord
from batchtrack.models.user import Role
from tests.builders import collected_bag, enrol_eligible, make_user, receipt


class Timeline:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment


def test_now_is_the_recording_clock_s_inside_its_block_and_the_wall_clock_s_outside() -> None:
    chosen = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    with recording_clock(lambda: chosen):
        assert utcnow() == chosen
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_recording_clock_cannot_run_ahead_of_the_wall_clock() -> None:
    with recording_clock(lambda: datetime.now(UTC) + timedelta(hours=1)), pytest.raises(ValueError, match="ahead"):
        utcnow()


@pytest.mark.parametrize(("hours_after", "accepted"), [(1.0, True), (30.0, False)])
def test_the_receipt_gate_judges_recorded_moments_as_it_judges_live_ones(
    database: Database, settings: Settings, hours_after: float, accepted: bool,
) -> None:
    clock = Timeline(utcnow() - timedelta(days=5))
    with recording_clock(clock):
        clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
        lab = make_user(database, Role.OPERATOR)
        coi = enrol_eligible(database, settings, clinician)
        clock.moment += timedelta(days=1)
        din = collected_bag(database, settings, clinician, coi, hours_ago=0.5)
        clock.moment += timedelta(hours=hours_after - 0.5)
        with database.transaction() as session:
            if accepted:
                # Four days ago by the wall clock, far past the 24 h window; an hour by the recorded moments.
                collection_service.receive(session=session, actor=lab.principal, data=receipt(din))
            else:
                with pytest.raises(InvalidTransition) as refused:
                    collection_service.receive(session=session, actor=lab.principal, data=receipt(din))
                assert "receipt.too_late" in {r.code for r in refused.value.reasons}
    with database.transaction() as session:
        collection = collection_service.get_by_din(session=session, din=din)
        assert collection.state == ("accepted" if accepted else "in_transit")
        receipts = session.execute(select(ReceiptRecord).where(
            col(ReceiptRecord.collection_id) == collection.id)).scalars().all()
        assert [r.received_at for r in receipts] == ([clock.moment] if accepted else [])
        assert [round(r.hours_since_collection, 3) for r in receipts] == ([hours_after] if accepted else [])
