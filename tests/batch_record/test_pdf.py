"""The batch record printout: every step, value, correction and signature readable from the PDF's text."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from pypdf import PdfReader

from batchtrack.batch_record import assemble, formatting, pdf
from batchtrack.batch_record.record import BatchRecord
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service

from batch_record_builders import CORRECTION_REASON, RecordedLot, recorded_lot
from builders import PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, seed_lot


def _record(database: Database, din: str) -> BatchRecord:
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        return assemble.assemble(session=session, lot=lot, display_timezone="Asia/Seoul")


def _pages(data: bytes) -> list[str]:
    # Table cells wrap lines: compare text with runs of white space folded to one space.
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def lot(database: Database, settings: Settings) -> RecordedLot:
    return recorded_lot(database, settings)


@pytest.fixture
def record(database: Database, lot: RecordedLot) -> BatchRecord:
    return _record(database, lot.din)


def test_the_pdf_names_every_step_and_its_values(record: BatchRecord) -> None:
    text = " ".join(_pages(pdf.render_pdf(record)))
    for step in record.steps:
        assert step.title in text
        for value in step.values:
            assert value.label in text
    assert "Cells harvested" in text and "4 \u00d7 10\u2076" in text
    assert "OUT OF LIMITS" in text and "below the limit 70" in text


def test_a_correction_prints_the_old_and_the_new_value_with_reason_who_and_when(
    record: BatchRecord, lot: RecordedLot
) -> None:
    text = " ".join(_pages(pdf.render_pdf(record)))
    assert "CORRECTED" in text
    row = re.search(r"Cells harvested 6 \u00d7 10\u2076 cells 8 \u00d7 10\u2076 cells (.+?) Test", text)
    assert row is not None, "the correction row shows the old value, then the new one"
    assert CORRECTION_REASON in text
    corrected_by = f"Test {lot.verifier.username.title()}"
    assert corrected_by in text
    passage_2 = next(s for s in record.steps if s.code == "passage_2")
    [correction] = next(v for v in passage_2.values if v.name == "cells_harvested").corrections
    assert formatting.local(correction.corrected_at, record.display_timezone) in text


def test_every_signature_prints_printed_name_meaning_and_date_and_time_local_and_utc(record: BatchRecord) -> None:
    text = " ".join(_pages(pdf.render_pdf(record)))
    assert record.signatures
    for signature in record.signatures:
        assert signature.printed_name in text
        assert signature.meaning in text
        assert formatting.utc(signature.signed_at) in text
        assert signature.signed_at_local in text
        assert signature.content_hash[:16] in text


def test_vessels_materials_equipment_deviations_and_growth_figures_are_printed(record: BatchRecord) -> None:
    text = " ".join(_pages(pdf.render_pdf(record)))
    isolation = record.steps[0]
    assert isolation.materials[0].code in text and "SL-4471" in text
    calibration_due = formatting.local(isolation.equipment[0].calibration_due, record.display_timezone)
    assert isolation.equipment[0].code in text and calibration_due in text
    assert "aspirate bag" in text and "culture vessel" in text
    assert record.deviations[0].number in text and "Accepted: later passages above 90 %" in text
    assert "Growth curve" in text
    assert "14.0 3.00 3.00 56.0" in text  # passage 2: day, doublings, cumulative, doubling time
    assert "21.0 2.00 5.00 84.0" in text  # harvest


def test_every_page_names_the_lot_and_counts_the_pages(record: BatchRecord) -> None:
    pages = _pages(pdf.render_pdf(record))
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert record.header.din in text
        assert record.header.din_eye_readable in text
        assert f"page {number} of {len(pages)}" in text


def test_the_pdf_carries_no_patient_identity(record: BatchRecord) -> None:
    text = " ".join(_pages(pdf.render_pdf(record)))
    assert record.header.subject_code in text and record.header.therapy_coi in text
    for word in (PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN):
        assert word not in text


def test_a_lot_without_steps_prints_a_valid_pdf_with_an_empty_state(database: Database, settings: Settings) -> None:
    seeded = seed_lot(database, settings)
    data = pdf.render_pdf(_record(database, seeded.din))
    assert data.startswith(b"%PDF-")
    [text] = _pages(data)
    assert seeded.din in text and "page 1 of 1" in text
    assert "No processing step has been started for this lot." in text
    assert "No growth data yet" in text and "No signature recorded." in text


def test_hangul_and_the_symbols_of_records_print_as_written(record: BatchRecord) -> None:
    reason = "계수기 출력물 오기: 8.0 \u00d7 10⁶ cells, µL \u2013 확인 ✓ (Müller)"
    deviations = tuple(dataclasses.replace(d, description=reason) for d in record.deviations)
    text = " ".join(_pages(pdf.render_pdf(dataclasses.replace(record, deviations=deviations))))
    assert reason in text
    assert "<U+" not in text


def test_a_long_deviation_text_flows_over_pages_instead_of_failing(record: BatchRecord) -> None:
    description = " ".join(f"observation-{n}" for n in range(600))
    longer = dataclasses.replace(record, deviations=tuple(
        dataclasses.replace(d, description=description, impact=description) for d in record.deviations))
    pages = _pages(pdf.render_pdf(longer))
    text = " ".join(pages)
    assert "observation-0 " in text and "observation-599" in text
    assert all(f"of {len(pages)}" in page for page in pages)
