"""The batch record of a lot processed at a workstation: every step, signature and correction, in the PDF too."""

from __future__ import annotations

import io

from conftest import api_client
from fastapi import FastAPI
from pypdf import PdfReader

from batchtrack.config import Settings
from batchtrack.db import Database

from processing_builders import open_bench, run_to_formulation

TITLES = ("Isolation and P0 seeding", "Passage 1 (P1)", "Passage 2 (P2)", "Harvest",
          "Formulation into final containers")


def _pdf_text(data: bytes) -> str:
    # Table cells wrap lines where their column ends: compare text with runs of white space folded to one space.
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_of_a_processed_lot_shows_each_step_signature_and_correction(
    app: FastAPI, database: Database, settings: Settings,
) -> None:
    bench = open_bench(database, settings)
    run_to_formulation(database, settings, bench)
    client = api_client(app, bench.operator)
    din = bench.lot.din
    corrected = client.post(f"/api/v1/lots/{din}/steps/harvest/corrections",
                            json={"name": "viability", "value": 92.5, "reason": "counter printout re-read"})
    assert corrected.status_code == 201, corrected.text

    record = client.get(f"/api/v1/lots/{din}/batch-record").json()
    steps = {s["code"]: s for s in record["steps"]}
    assert [s["title"] for s in record["steps"]] == list(TITLES)
    # The harvest was signed before its viability was corrected: both its signatures now show as broken;
    # the other steps' signatures are intact.
    harvest = steps["harvest"]
    assert harvest["performed_signature"]["intact"] is False and harvest["verified_signature"]["intact"] is False
    assert steps["formulation"]["performed_signature"]["intact"] is True
    assert steps["isolation"]["verified_signature"]["intact"] is True

    response = client.get(f"/api/v1/lots/{din}/batch-record.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = _pdf_text(response.content)
    for title in TITLES:
        assert title in text
    for name in (bench.operator.username.title(), bench.verifier.username.title()):
        assert f"Test {name}" in text
    assert "performed" in text and "reviewed" in text
    assert "CORRECTED: changed since entry" in text
    assert f"Viability 94.0% 92.5% counter printout re-read Test {bench.operator.username.title()}" in text
    assert "BROKEN" in text
