"""The certificate of analysis in the site's time, with its zone, and with results and limits as people read them: a
site in Seoul prints "2026-12-07 10:02:03 KST" (a signature's also in UTC, the time it is stored in), a dose
"6.25 \u00d7 10\u2077 cells", residual antibiotics in "µg/mL", and the limit a result was judged against in the
same signs."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import api_client
from document_builders import MACHINE_NUMBER, cut_to, text_of
from fastapi import FastAPI
from printed_record_builders import Filled, certificate

from batchtrack.batch_record import formatting
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.release import certificate as certificate_pdf

from release_builders import enter_result, ready_lot

SEOUL = "Asia/Seoul"
AT_SEOUL = "2026-12-07 10:02:03 KST"  # the builders' AT, 01:02:03 UTC
AT_UTC = "2026-12-07 01:02:03 UTC"


def test_the_certificate_prints_its_times_in_the_sites_zone_and_signatures_also_in_utc() -> None:
    text = text_of(certificate_pdf.render_pdf(certificate(Filled(cut_to)), display_timezone=SEOUL))
    assert f"Lot expires {AT_SEOUL}" in text
    assert f"Date and time {AT_SEOUL} ({AT_UTC})" in text  # QA's signature
    for role in ("Medical director", "Treating physician"):
        assert f"{role} {role.lower().replace(' ', '_')}.printed_name, released, {AT_SEOUL} ({AT_UTC})" in text
    assert f"Times are in the site's time zone, {SEOUL}" in text and f"printed {AT_SEOUL}" in text
    assert "(UTC)" not in text and "Times are UTC" not in text
    assert text.count(AT_UTC) == 3  # the three signatures, nothing else


def test_a_site_that_keeps_utc_prints_utc_once() -> None:
    text = text_of(certificate_pdf.render_pdf(certificate(Filled(cut_to))))
    assert f"Date and time {AT_UTC} Signature" in text and "KST" not in text


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The first site's settings: times shown in Seoul."""
    return settings.model_copy(update={"display_timezone": SEOUL})


def test_the_certificate_of_a_site_in_seoul_reads_kst_and_numbers_for_people(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    enter_result(database, lot.din, lot.analyst, "residual_penicillin", value=0.05)
    released = api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert released.status_code == 200, released.text
    signed_at = datetime.fromisoformat(released.json()["signature"]["signed_at"])
    client = api_client(app, lot.qa)
    body = client.get(f"/api/v1/lots/{lot.din}/certificate").json()
    results = {test["code"]: test["result"] for test in body["tests"]}
    assert results["viable_cell_dose"] == "6.25 \u00d7 10\u2077 cells"
    assert results["residual_penicillin"] == "0.05 \u00b5g/mL" and results["viability"] == "90.0%"
    assert body["decision"]["signature"]["signed_at"].endswith(("Z", "+00:00"))  # the API keeps UTC

    text = text_of(client.get(f"/api/v1/lots/{lot.din}/certificate.pdf").content)
    assert f"Date and time {formatting.local(signed_at, SEOUL)} ({formatting.utc(signed_at)})" in text
    assert "6.25 \u00d7 10\u2077 cells" in text and "0.05 \u00b5g/mL" in text and "\u2264 0.1 \u00b5g/mL" in text
    assert "\u00d7 10\u2077 to" in text  # the dose's limit, for this recipient
    assert "ug/mL" not in text and not MACHINE_NUMBER.search(text), MACHINE_NUMBER.findall(text)

    page = client.get(f"/lots/{lot.din}/certificate", headers={"accept": "text/html"}).text
    assert formatting.local(signed_at, SEOUL) in page and "\u2264 0.1 \u00b5g/mL" in page
    assert "ug/mL" not in page and not MACHINE_NUMBER.search(page)
