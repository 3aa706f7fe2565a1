"""The batch record printed and shown in the site's time, with its zone, and with numbers as people read them: a site
in Seoul reads "2026-12-07 10:02:03 KST", not UTC (a signature also shows its UTC time, the one it is stored in);
cell counts read "8 \u00d7 10\u2076", units "µg/mL" and "°C"; a recorded value is never rounded on its record."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from document_builders import MACHINE_NUMBER, text_of
from fastapi.testclient import TestClient

from batchtrack.batch_record import assemble, formatting, pdf
from batchtrack.batch_record.record import BatchRecord
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role

from batch_record_builders import RecordedLot, recorded_lot
from builders import UserHandle

SEOUL = "Asia/Seoul"
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The first site's settings: times shown in Seoul."""
    return settings.model_copy(update={"display_timezone": SEOUL})


@pytest.fixture
def lot(database: Database, settings: Settings) -> RecordedLot:
    return recorded_lot(database, settings)


@pytest.fixture
def record(database: Database, lot: RecordedLot) -> BatchRecord:
    with database.transaction(write=False) as session:
        return assemble.assemble(session=session, lot=lot_service.get_by_din(session=session, din=lot.din),
                                 display_timezone=SEOUL)


def test_the_printout_gives_every_time_in_the_sites_zone_with_the_zone_named(record: BatchRecord) -> None:
    text = text_of(pdf.render_pdf(record))
    step = record.steps[2]
    [correction] = next(v for v in step.values if v.name == "cells_harvested").corrections
    isolation = record.steps[0]
    for moment in (step.started_at, correction.corrected_at, isolation.materials[0].expires_at,
                   isolation.equipment[0].calibration_due, record.deviations[0].opened_at):
        assert formatting.local(moment, SEOUL) in text
    assert f"times in the site's time zone, {SEOUL}" in text
    assert f"printed {formatting.local(record.generated_at, SEOUL)}" in text
    assert "(UTC)" not in text and "times are UTC" not in text
    # UTC is printed only beside a signature's time in the site's zone.
    assert set(UTC_TIME.findall(text)) == {formatting.utc(s.signed_at) for s in record.signatures}
    for signature in record.signatures:
        assert f"{signature.signed_at_local} {formatting.utc(signature.signed_at)}" in text
    assert len(LOCAL_TIME.findall(text)) > len(UTC_TIME.findall(text))


def test_cell_counts_print_in_powers_of_ten_and_a_correction_keeps_both_values(record: BatchRecord) -> None:
    text = text_of(pdf.render_pdf(record))
    assert "Cells harvested 6 \u00d7 10\u2076 cells 8 \u00d7 10\u2076 cells" in text  # the correction: old, new
    assert "6,000,000" not in text and "8,000,000" not in text
    assert not MACHINE_NUMBER.search(text), MACHINE_NUMBER.findall(text)
    assert "500.0 mL" in text  # the medium used, as a volume


def test_units_print_in_their_signs_and_no_recorded_digit_is_rounded_away(record: BatchRecord) -> None:
    step = record.steps[0]
    value = step.values[0]
    values = (
        dataclasses.replace(value, name="residual", label="Residual penicillin", unit="ug/mL", value=0.05,
                            original_value=0.05, low_limit=None, high_limit=0.1, corrections=()),
        dataclasses.replace(value, name="frozen", label="Freeze end temperature", unit="degC", value=-80.0,
                            original_value=-80.0, low_limit=None, high_limit=-80.0, corrections=()),
        dataclasses.replace(value, name="counted", label="Counted cells", unit="cells", value=58_412_345.0,
                            original_value=58_412_345.0, low_limit=1e7, high_limit=None, corrections=()),
    )
    steps = (dataclasses.replace(step, values=values), *record.steps[1:])
    text = text_of(pdf.render_pdf(dataclasses.replace(record, steps=steps)))
    assert "Residual penicillin 0.05 \u00b5g/mL \u2264 0.1" in text and "ug/mL" not in text
    assert "Freeze end temperature -80.0 \u00b0C \u2264 -80.0" in text and "degC" not in text
    # 58,412,345 cells: every recorded digit, in a power of ten; its limit in one too.
    assert "Counted cells 5.8412345 \u00d7 10\u2077 cells \u2265 1 \u00d7 10\u2077" in text


def test_the_page_shows_the_record_in_the_sites_time_and_numbers_for_people(
    lot: RecordedLot, record: BatchRecord, as_role: Callable[..., tuple[TestClient, UserHandle]]
) -> None:
    client, _ = as_role(Role.OPERATOR)
    page = client.get(f"/lots/{lot.din}/batch-record", headers={"accept": "text/html"}).text
    step = record.steps[2]
    assert formatting.local(step.started_at, SEOUL) in page
    for signature in record.signatures:
        # The site's time is the reading; the UTC time, the one stored, is the note beside it.
        assert (f"{signature.signed_at_local}</time><br><span class=\"note\">"
                f"{formatting.utc(signature.signed_at)}</span>") in page
    assert "<del>6 \u00d7 10\u2076</del>" in page and "<ins>8 \u00d7 10\u2076</ins>" in page
    assert "6,000,000" not in page and not MACHINE_NUMBER.search(page)
