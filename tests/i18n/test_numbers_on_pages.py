"""Numbers for people on every page that shows a measured quantity: cell counts in powers of ten with superscript
digits, units in their signs (µg/mL, °C), a precision per kind of quantity; never "6.2e+07" or "ug/mL"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.i18n.limit_text import readable
from batchtrack.models.user import Role

from builders import make_user
from deviation_builders import sign_in
from processing_builders import STATION, open_bench, run_isolation
from quality_builders import HTML, approve_default, enter, lot_in_qc

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# The templates of the printed records, which their own tests cover.
PRINTED = {"batch_record/record.html", "coi_report/report.html", "release/certificate.html"}
# What a number written for machines looks like on a page: 6.2e+07, 1e-05.
EXPONENT = re.compile(r"\d(?:\.\d+)?e[+-]\d")


def _text(page: str) -> str:
    """The page's text as people read it (tags dropped, entities of the signs decoded)."""
    text = re.sub(r"<[^>]+>", " ", page)
    return " ".join(text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&").split())


@pytest.mark.parametrize("template", sorted(
    str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
    if str(p.relative_to(TEMPLATES)) not in PRINTED))
def test_no_page_writes_a_number_in_the_c_format(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    # A form field's value may be a plain number (the field reads it back); what a page shows is not.
    shown = re.sub(r'value="[^"]*"', "", source)
    assert not re.search(r"'%[.0-9]*[gef]'\s*\|\s*format", shown), template


def test_a_recorded_limit_reads_in_powers_of_ten_and_unit_signs() -> None:
    assert readable("<= 0.1 ug/mL or below LOQ") == "\u2264 0.1 \u00b5g/mL or below LOQ"
    assert readable("5.625e+07 to 6.875e+07 cells (1e+06/kg x 62.5 kg +/- 10%)") == (
        "5.625 \u00d7 10\u2077 to 6.875 \u00d7 10\u2077 cells (1 \u00d7 10\u2076/kg \u00d7 62.5 kg \u00b1 10%)")
    assert readable(">= 70 %") == "\u2265 70%" and readable("<= -80 degC") == "\u2264 -80\u00b0C"
    assert readable("1e+03 to 1e+04 cells/cm2") == "1 \u00d7 10\u00b3 to 1 \u00d7 10\u2074 cells/cm\u00b2"
    assert readable("no growth or not detected") == "no growth or not detected"


def test_the_qc_page_shows_results_limits_and_the_recipients_figures_for_people(
    client: TestClient, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    enter(database, qc, "viable_cell_dose", value=6.2e7)
    enter(database, qc, "residual_streptomycin", value=0.02)
    enter(database, qc, "viability", value=93)
    enter(database, qc, "endotoxin", value=0.5)
    sign_in(client, qc.analyst)
    page = client.get(f"/lots/{qc.din}/qc", headers=HTML)
    assert page.status_code == 200
    text = _text(page.text)
    dose = _text(re.search(r'<tr id="test-viable_cell_dose".*?</tr>', page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "6.2 \u00d7 10\u2077 cells" in dose and "\u00d7 10\u2077 to" in dose  # the result, and its limit
    streptomycin = _text(re.search(r'<tr id="test-residual_streptomycin".*?</tr>', page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "0.02 \u00b5g/mL" in streptomycin and "\u2264 0.1 \u00b5g/mL" in streptomycin
    viability = _text(re.search(r'<tr id="test-viability".*?</tr>', page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "93.0%" in viability and "\u2265 70%" in viability
    assert "0.5 EU/mL" in text
    facts = _text(re.search(r'<dl class="facts" id="qc-facts">.*?</dl>', page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "62.5 kg" in facts and "50.0 mL" in facts and "1 \u00d7 10\u2076 cells/kg" in facts
    assert "ug/mL" not in text and not EXPONENT.search(text), EXPONENT.findall(text)


def test_the_specification_page_shows_units_and_limits_in_their_signs(client: TestClient, database: Database) -> None:
    qa = approve_default(database, make_user(database, Role.QA))
    sign_in(client, qa)
    text = _text(client.get("/specifications/MSC-FP/1", headers=HTML).text)
    assert "\u00b5g/mL" in text and "\u2264 0.1 \u00b5g/mL" in text and "\u2265 70%" in text
    assert "ug/mL" not in text and "<=" not in text and ">=" not in text


def test_the_workstation_shows_recorded_values_for_people(
    client: TestClient, database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    run_isolation(database, settings, bench, values={"nucleated_cells": 4.25e8, "viability": 96, "cells_seeded": 4e8,
                                                     "seeding_density": 1.6e5})
    sign_in(client, bench.operator)
    page = client.get(f"/processing/{STATION}", headers=HTML)
    assert page.status_code == 200
    text = _text(page.text)
    assert "4.25 \u00d7 10\u2078 cells" in text and "4 \u00d7 10\u2078 cells" in text and "96.0%" in text
    assert "1.6 \u00d7 10\u2075 cells/cm" in text
    assert not EXPONENT.search(text), EXPONENT.findall(text)


def test_the_collection_and_the_subject_show_volume_and_weight_for_people(
    client: TestClient, database: Database, settings: Settings
) -> None:
    bench = open_bench(database, settings)
    sign_in(client, make_user(database, Role.INVESTIGATOR))
    collection = client.get(f"/collections/{bench.lot.din}", headers=HTML)
    assert collection.status_code == 200
    assert "55.0 mL heparin" in _text(collection.text)
    subject = _text(client.get("/subjects/S-001", headers=HTML).text)
    assert "55.0 mL" in subject
