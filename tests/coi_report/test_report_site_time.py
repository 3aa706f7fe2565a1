"""The chain-of-identity report printed and shown in the site's time, with its zone, and with numbers as people read
them: at a site in Seoul every time reads "2026-12-07 10:02:03 KST" (a signature's also in UTC, the time it is
stored in), doses "6.2 \u00d7 10\u2077", volumes "50.0 mL", temperatures "4.0°C". The JSON and FHIR exports keep UTC."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import datetime

import pytest
from document_builders import MACHINE_NUMBER, cut_to, text_of
from fastapi.testclient import TestClient
from printed_record_builders import AT, Filled, coi_report

from batchtrack.batch_record import formatting
from batchtrack.coi_report import events, pdf
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle
from coi_report_builders import InfusedTherapy, infused_therapy

SEOUL = "Asia/Seoul"
AT_SEOUL = "2026-12-07 10:02:03 KST"  # AT, 01:02:03 UTC
AT_UTC = "2026-12-07 01:02:03 UTC"
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def test_the_printout_gives_every_time_in_the_sites_zone_and_a_signatures_also_in_utc() -> None:
    report = coi_report(Filled(cut_to))
    report = dataclasses.replace(report, events=events.timeline(report))
    text = text_of(pdf.render_pdf(report))
    assert AT_SEOUL in text and f"times in the site's time zone, {SEOUL}" in text
    assert f"printed {AT_SEOUL}" in text
    assert "(UTC)" not in text and "times are UTC" not in text
    # Every time in UTC stands beside the same time in the site's zone, in the signatures' table.
    assert set(UTC_TIME.findall(text)) == {AT_UTC}
    assert f"{AT_SEOUL} {AT_UTC}" in text
    assert text.count(AT_SEOUL) > text.count(AT_UTC)


def test_the_printout_writes_doses_volumes_and_temperatures_for_people() -> None:
    report = coi_report(Filled(cut_to))
    report = dataclasses.replace(report, events=events.timeline(report))
    text = text_of(pdf.render_pdf(report))
    assert "6.2 \u00d7 10\u2077 of 6.25 \u00d7 10\u2077" in text  # the bedside check's dose against its target
    assert "60.0 mL" in text and "50.0 mL" in text  # the aspirate collected, the bag infused
    assert "20.0\u00b0C" in text and "4.0\u00b0C" in text  # the receipt's and the hand-over's temperature
    assert not MACHINE_NUMBER.search(text), MACHINE_NUMBER.findall(text)


def test_the_events_name_their_times_in_the_sites_zone_and_their_numbers_for_people() -> None:
    report = coi_report(Filled(cut_to))
    details = {event.kind: str(event.detail) for event in events.timeline(report)}
    assert details["collection.scheduled"] == f"planned for {AT_SEOUL}"
    assert details["collection.collected"].startswith("60.0 mL")
    assert details["collection.received"].startswith("transport 20.0\u00b0C, 2.0 h after collection")
    assert details["bedside.passed"] == "dose 6.2 \u00d7 10\u2077 cells against 6.25 \u00d7 10\u2077 cells prescribed"
    assert details["infusion.ended"].startswith("50.0 mL infused")
    # The events keep their instant in UTC, as the JSON export gives it.
    assert {event.at for event in events.timeline(report)} >= {AT}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The first site's settings: times shown in Seoul."""
    return settings.model_copy(update={"display_timezone": SEOUL})


@pytest.fixture
def chain(database: Database, settings: Settings) -> InfusedTherapy:
    return infused_therapy(database, settings)


def test_the_page_and_the_pdf_of_a_site_in_seoul_read_kst_and_the_json_keeps_utc(
    chain: InfusedTherapy, as_role: Callable[..., tuple[TestClient, UserHandle]]
) -> None:
    client, _ = as_role(Role.QA)
    body = client.get(f"/api/v1/therapies/{chain.coi}/report").json()
    assert body["display_timezone"] == SEOUL
    assert all(event["at"].endswith(("Z", "+00:00")) for event in body["events"])
    page = client.get(f"/therapies/{chain.coi}/report", headers={"accept": "text/html"}).text
    printout = text_of(client.get(f"/api/v1/therapies/{chain.coi}/report.pdf").content)
    assert body["events"]
    for event in body["events"]:
        local = formatting.local(datetime.fromisoformat(event["at"]), SEOUL)
        assert local.endswith(" KST") and local in page and local in printout
    dose = "6.2 \u00d7 10\u2077 of 6.25 \u00d7 10\u2077"  # the bedside check's, against its target
    assert dose in page and dose in printout
    assert not MACHINE_NUMBER.search(printout), MACHINE_NUMBER.findall(printout)
