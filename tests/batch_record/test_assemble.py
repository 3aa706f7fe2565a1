"""The assembled batch record: steps in order, current values with their full correction history, limits,
signatures, what was used at each step, deviations and the growth curve."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.batch_record import assemble
from batchtrack.batch_record.record import BatchRecord, RecordedValue
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.processing import ProcessStep, StepValue

from batch_record_builders import CORRECTION_REASON, RecordedLot, add_value, recorded_lot
from builders import PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, seed_lot


def _record(database: Database, din: str, zone: str = "UTC") -> BatchRecord:
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        return assemble.assemble(session=session, lot=lot, display_timezone=zone)


def _step(session: Session, din: str, code: str) -> ProcessStep:
    lot = lot_service.get_by_din(session=session, din=din)
    return session.execute(
        select(ProcessStep).where(col(ProcessStep.lot_id) == lot.id, col(ProcessStep.step_code) == code)
    ).scalar_one()


def _value(record: BatchRecord, step_code: str, name: str) -> RecordedValue:
    step = next(s for s in record.steps if s.code == step_code)
    return next(v for v in step.values if v.name == name)


@pytest.fixture
def lot(database: Database, settings: Settings) -> RecordedLot:
    return recorded_lot(database, settings)


def test_steps_come_in_plan_order_with_their_titles_and_performers(database: Database, lot: RecordedLot) -> None:
    record = _record(database, lot.din)
    assert [s.code for s in record.steps] == ["isolation", "passage_1", "passage_2", "harvest"]
    assert tuple(s.title for s in record.steps) == lot.titles
    isolation = record.steps[0]
    assert isolation.state == "verified"
    assert isolation.started_by == f"Test {lot.operator.username.title()}"
    assert isolation.verified_by == f"Test {lot.verifier.username.title()}"
    assert [v.name for v in isolation.values] == ["nucleated_cells", "viability", "cells_seeded", "seeding_density"]


def test_the_header_names_the_lot_by_identifiers_and_subject_code_only(
    database: Database, lot: RecordedLot
) -> None:
    header = _record(database, lot.din).header
    assert (header.din, header.therapy_coi, header.subject_code) == (lot.din, lot.coi, "S-001")
    assert header.din_eye_readable.replace(" ", "") == lot.din + header.din_check
    assert (header.process_code, header.process_version) == ("BM-MSC-EXP", 1)
    text = repr(header)
    assert PATIENT_FAMILY not in text and PATIENT_GIVEN not in text and PATIENT_MRN not in text


def test_a_corrected_value_keeps_the_original_and_each_change_with_reason_who_and_when(
    database: Database, lot: RecordedLot
) -> None:
    value = _value(_record(database, lot.din), "passage_2", "cells_harvested")
    assert value.changed
    assert (value.original_value, value.value) == (6e6, 8e6)
    assert value.entered_by == f"Test {lot.operator.username.title()}"
    [correction] = value.corrections
    assert (correction.old_value, correction.new_value, correction.reason) == (6e6, 8e6, CORRECTION_REASON)
    assert correction.corrected_by == f"Test {lot.verifier.username.title()}"
    assert correction.corrected_at == lot.origin + timedelta(days=14, hours=5)
    assert not _value(_record(database, lot.din), "passage_2", "viability").changed


def test_a_second_correction_extends_the_history_and_becomes_the_current_value(
    database: Database, lot: RecordedLot
) -> None:
    with database.transaction() as session:
        step = _step(session, lot.din, "passage_2")
        current = session.execute(
            select(StepValue).where(col(StepValue.step_id) == step.id, col(StepValue.name) == "cells_harvested")
            .order_by(col(StepValue.id).desc()).limit(1)
        ).scalar_one()
        add_value(session, step, "cells_harvested", 8.2e6, lot.verifier, replaces=current,
                  reason="Recount of the retained sample")
    value = _value(_record(database, lot.din), "passage_2", "cells_harvested")
    assert value.original_value == 6e6 and value.value == 8.2e6
    assert [(c.old_value, c.new_value) for c in value.corrections] == [(6e6, 8e6), (8e6, 8.2e6)]
    assert value.corrections[-1].reason == "Recount of the retained sample"


def test_values_carry_their_limits_and_an_out_of_limit_value_is_flagged(
    database: Database, lot: RecordedLot
) -> None:
    record = _record(database, lot.din)
    viability = _value(record, "isolation", "viability")
    assert (viability.label, viability.unit, viability.low_limit, viability.high_limit) == ("Viability", "%", 70, None)
    assert viability.out_of_limit
    assert viability.limit_breach is not None and "below the limit 70" in str(viability.limit_breach)
    assert not _value(record, "passage_1", "viability").out_of_limit
    assert not _value(record, "passage_1", "cells_harvested").out_of_limit  # no limits at all


def test_the_growth_curve_uses_the_corrected_counts(database: Database, lot: RecordedLot) -> None:
    points = _record(database, lot.din).growth
    assert [p.step_code for p in points] == ["passage_2", "harvest"]
    assert points[0].population_doublings == pytest.approx(3.0)  # seeded 1e6, harvested 8e6 (corrected)
    assert points[1].population_doublings == pytest.approx(2.0)  # seeded 1e6, harvested 4e6
    assert [p.cumulative_doublings for p in points] == pytest.approx([3.0, 5.0])
    assert [p.days for p in points] == pytest.approx([14.0, 21.0])
    assert points[0].doubling_time_hours == pytest.approx(7 * 24 / 3)


def test_signatures_show_printed_name_meaning_and_utc_time_and_what_they_attest(
    database: Database, lot: RecordedLot
) -> None:
    record = _record(database, lot.din, zone="Asia/Seoul")
    isolation = record.steps[0]
    assert isolation.performed_signature is not None and isolation.verified_signature is not None
    assert isolation.performed_signature.printed_name == f"Test {lot.operator.username.title()}"
    assert isolation.performed_signature.meaning == "performed"
    assert isolation.verified_signature.meaning == "reviewed"
    assert str(isolation.verified_signature.signed_for) == f"{isolation.title}: verified"
    assert isolation.performed_signature.signed_at.utcoffset() == timedelta(0)
    assert isolation.performed_signature.signed_at_local.endswith("KST")
    assert len(isolation.performed_signature.content_hash) == 64
    assert sorted(s.id for s in record.signatures) == sorted(lot.signature_ids)
    assert record.steps[2].performed_signature is None


def test_vessels_materials_equipment_and_deviations_are_in_the_record(database: Database, lot: RecordedLot) -> None:
    record = _record(database, lot.din)
    isolation = record.steps[0]
    assert [v.kind for v in isolation.vessels_in] == ["aspirate_bag"]
    assert [v.kind for v in isolation.vessels_out] == ["culture_vessel"]
    assert all(v.din == lot.din for v in (*isolation.vessels_in, *isolation.vessels_out))
    [material] = isolation.materials
    assert (material.kind, material.supplier_lot, material.quantity) == ("medium", "SL-4471", 500.0)
    assert material.expires_at == lot.origin + timedelta(days=200)
    [instrument] = isolation.equipment
    assert instrument.kind == "biosafety_cabinet" and instrument.calibration_due == lot.origin + timedelta(days=300)
    [deviation] = record.deviations
    assert (deviation.state, deviation.origin, deviation.step_code) == ("closed", "out_of_limit", "isolation")
    assert deviation.closed_signature is not None and deviation.closed_signature.meaning == "approved"
    assert record.corrected_values == 1


def test_a_lot_without_steps_has_an_empty_record(database: Database, settings: Settings) -> None:
    seeded = seed_lot(database, settings)
    record = _record(database, seeded.din)
    assert record.steps == () and record.growth == () and record.deviations == () and record.signatures == ()
    assert record.header.din == seeded.din and record.header.process_code == "BM-MSC-EXP"


@contextmanager
def _counting(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_the_record_is_read_in_a_fixed_number_of_queries(database: Database, lot: RecordedLot) -> None:
    with _counting(database) as before:
        _record(database, lot.din)
    with database.transaction() as session:
        harvest = _step(session, lot.din, "harvest")
        for _ in range(5):
            add_value(session, harvest, "viability", 90.0, lot.operator)
    with _counting(database) as after:
        _record(database, lot.din)
    assert len(before) <= 12
    assert len(after) == len(before)
