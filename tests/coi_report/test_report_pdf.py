"""The chain-of-identity printout read back: the COI identifier on every page, DINs with their check characters,
hand-overs, label prints, signatures and events; the patient's name only in a clinician's printout."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from stdnum.iso7064 import mod_37_2

from batchtrack.auth.principal import SYSTEM, Principal
from batchtrack.coi_report import assemble, pdf
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.therapies import service as therapy_service

from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, UserHandle, seed_lot
from coi_report_builders import DEVIATION_TEXT, HANDOVERS, REPRINT_REASON, InfusedTherapy, infused_therapy


def _pages(database: Database, coi: str, viewer: Principal) -> list[str]:
    with database.transaction(write=False) as session:
        therapy = therapy_service.get_by_coi(session=session, coi=coi)
        report = assemble.assemble(session=session, therapy=therapy, viewer=viewer)
    # Table cells wrap lines: compare text with runs of white space folded to one space.
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.render_pdf(report))).pages]


def _name(user: UserHandle) -> str:
    return f"Test {user.username.title()}"


@pytest.fixture
def chain(database: Database, settings: Settings) -> InfusedTherapy:
    return infused_therapy(database, settings)


def test_every_page_names_the_therapy_by_its_coi_with_check_character_and_counts_the_pages(
    database: Database, chain: InfusedTherapy
) -> None:
    pages = _pages(database, chain.coi, chain.qa.principal)
    coi = f"{chain.coi} {mod_37_2.calc_check_digit(chain.coi)}"
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"COI {coi}" in page
        assert f"page {number} of {len(pages)}" in page


def test_the_printout_shows_dins_with_check_characters_hand_overs_labels_signatures_and_deviations(
    database: Database, chain: InfusedTherapy
) -> None:
    text = " ".join(_pages(database, chain.coi, chain.qa.principal))
    check = mod_37_2.calc_check_digit(chain.din)
    assert f"{chain.din} {check}" in text
    assert re.search(rf"{chain.din[:5]} {chain.din[5:7]} {chain.din[7:9]} {chain.din[9:]} {check}", text)
    assert "Y00011A0" in text and "Y00011B0" in text
    for (location, _), (giver, receiver) in zip(
            HANDOVERS, ((chain.bench.operator, chain.courier), (chain.courier, chain.nurse)), strict=True):
        assert location in text and _name(giver) in text and _name(receiver) in text
    assert REPRINT_REASON in text
    assert "final product version 2" in text
    assert "10 / 9 / 0 / 1" in text  # labels printed / applied / voided / destroyed
    for user, meaning in ((chain.qa, "released"), (chain.qa, "approved"), (chain.nurse, "performed"),
                          (chain.investigator, "reviewed"), (chain.bench.verifier, "reviewed")):
        assert f"{_name(user)}, {meaning}, " in text or f"{_name(user)} {meaning}" in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text)
    assert chain.deviation_number in text and DEVIATION_TEXT in text
    assert "REFUSED" in text and "bedside.second_clinician_missing" in text
    assert "Infusion ended" in text and "Handed over" in text


def test_an_operators_printout_has_no_name_or_date_of_birth_and_an_investigators_has_both(
    database: Database, chain: InfusedTherapy
) -> None:
    withheld = " ".join(_pages(database, chain.coi, chain.bench.operator.principal))
    for word in (PATIENT_FAMILY, PATIENT_FAMILY.upper(), PATIENT_GIVEN, PATIENT_MRN, PATIENT_DOB.isoformat()):
        assert word not in withheld
    assert "not shown to your role" in withheld and "S-001" in withheld
    shown = " ".join(_pages(database, chain.coi, chain.investigator.principal))
    assert f"{PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}" in shown and PATIENT_DOB.isoformat() in shown
    assert PATIENT_MRN not in shown


def test_a_therapy_with_a_lot_just_opened_prints_its_empty_sections(
    database: Database, settings: Settings
) -> None:
    seeded = seed_lot(database, settings)
    text = " ".join(_pages(database, seeded.coi, SYSTEM))
    assert "No hand-over recorded." in text and "No bedside check recorded." in text
    assert "No infusion recorded." in text and "No deviation recorded." in text
