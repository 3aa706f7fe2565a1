"""The chain-of-identity report through the API and the pages: JSON, page and PDF for any signed-in role, patient
name only for clinical roles, an unknown therapy is a 404 and a malformed COI identifier a 422."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from stdnum.iso7064 import mod_37_2

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, UserHandle, enrol_eligible, make_user
from coi_report_builders import HANDOVERS, REPRINT_REASON, InfusedTherapy, infused_therapy

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
UNKNOWN_COI = "CHW000026999999"
NAME = f"{PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}"
IDENTITY = (PATIENT_FAMILY, PATIENT_FAMILY.upper(), PATIENT_GIVEN, PATIENT_MRN, PATIENT_DOB.isoformat())
PATHS = ["/api/v1/therapies/{coi}/report", "/api/v1/therapies/{coi}/report.pdf", "/therapies/{coi}/report",
         "/therapies/{coi}/report.pdf"]


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def chain(database: Database, settings: Settings) -> InfusedTherapy:
    return infused_therapy(database, settings)


def test_the_api_returns_identifiers_hand_overs_labels_signatures_and_events_in_order(
    chain: InfusedTherapy, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.COURIER)
    response = client.get(f"/api/v1/therapies/{chain.coi}/report")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["therapy"]["coi"] == chain.coi
    assert body["therapy"]["coi_check"] == mod_37_2.calc_check_digit(chain.coi)
    assert body["collections"][0]["din_check"] == body["lots"][0]["din_check"] == mod_37_2.calc_check_digit(chain.din)
    assert [h["location"] for h in body["custody"]] == [place for place, _ in HANDOVERS]
    assert body["label_prints"][-1]["reprint_reason"] == REPRINT_REASON
    assert body["lots"][0]["release"]["signature"]["meaning"] == "released"
    assert {s["meaning"] for s in body["signatures"]} == {"approved", "performed", "reviewed", "released"}
    moments = [e["at"] for e in body["events"]]
    assert moments == sorted(moments) and body["events"][-1]["kind"] == "infusion.ended"
    assert body["recipient"] == {"subject_code": "S-001", "identity_shown": False, "family_name": None,
                                 "given_name": None, "date_of_birth": None, "name": None, "romanised_name": None}
    assert not any(word in response.text for word in IDENTITY)


def test_an_investigator_gets_the_name_and_date_of_birth_in_json_page_and_pdf(
    chain: InfusedTherapy, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    recipient = client.get(f"/api/v1/therapies/{chain.coi}/report").json()["recipient"]
    assert (recipient["name"], recipient["date_of_birth"]) == (NAME, PATIENT_DOB.isoformat())
    page = client.get(f"/therapies/{chain.coi}/report", headers=HTML).text
    assert NAME in page and PATIENT_DOB.isoformat() in page
    printout = client.get(f"/api/v1/therapies/{chain.coi}/report.pdf")
    assert NAME in _pdf_text(printout.content)
    for body in (str(recipient), page, _pdf_text(printout.content)):
        assert PATIENT_MRN not in body


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QA, Role.QC_ANALYST, Role.COURIER, Role.ADMIN])
def test_a_non_clinical_viewer_gets_no_name_or_date_of_birth_in_page_json_or_pdf(
    chain: InfusedTherapy, as_role: ClientFactory, role: Role
) -> None:
    client, _ = as_role(role)
    bodies = {
        "json": client.get(f"/api/v1/therapies/{chain.coi}/report").text,
        "page": client.get(f"/therapies/{chain.coi}/report", headers=HTML).text,
        "pdf": _pdf_text(client.get(f"/therapies/{chain.coi}/report.pdf", headers=HTML).content),
    }
    for kind, body in bodies.items():
        assert chain.coi in body, kind
        leaks = [word for word in IDENTITY if word in body]
        assert leaks == [], kind


def test_the_page_shows_the_identifier_tables_and_the_events_in_time_order(
    chain: InfusedTherapy, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.QA)
    response = client.get(f"/therapies/{chain.coi}/report", headers=HTML)
    assert response.status_code == 200, response.text
    page = response.text
    check = mod_37_2.calc_check_digit(chain.din)
    assert f'{chain.din} <span class="check" title="check character">{check}</span>' in page
    assert f'{chain.coi} <span class="check" title="check character">{mod_37_2.calc_check_digit(chain.coi)}</span>' \
        in page
    for heading in ("Collections", "Lots", "Containers", "Custody hand-overs", "Label prints", "Deviations",
                    "Bedside checks and infusions", "Electronic signatures", "Events, oldest first"):
        assert f">{heading}</h2>" in page
    assert REPRINT_REASON in page and HANDOVERS[1][0] in page and chain.deviation_number in page
    assert "Name and date of birth are not shown to your role." in page
    times = re.findall(r'<li class="event-[a-z_]+">\s*<time datetime="([^"]+)"', page)
    assert len(times) > 40 and times == sorted(times)
    assert f'href="http://testserver/therapies/{chain.coi}/report.pdf"' in page
    assert f'href="http://testserver/api/v1/containers/{chain.infused_id}/fhir"' in page
    assert "<script" not in page and " style=" not in page


def test_the_pdf_is_an_attachment_named_after_the_therapy(chain: InfusedTherapy, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.QA)
    for path in (f"/api/v1/therapies/{chain.coi}/report.pdf", f"/therapies/{chain.coi}/report.pdf"):
        response = client.get(path, headers=HTML)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == f'attachment; filename="{chain.coi}-coi-report.pdf"'
        assert response.content.startswith(b"%PDF-")


def test_the_therapy_page_links_to_the_report_page_and_pdf(chain: InfusedTherapy, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    page = client.get(f"/therapies/{chain.coi}", headers=HTML).text
    assert f'href="http://testserver/therapies/{chain.coi}/report"' in page
    assert f'href="http://testserver/therapies/{chain.coi}/report.pdf"' in page


def test_a_therapy_just_opened_has_a_report_with_empty_tables(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    coi = enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR))
    client, _ = as_role(Role.QA)
    body = client.get(f"/api/v1/therapies/{coi}/report").json()
    assert body["collections"] == body["lots"] == body["containers"] == body["custody"] == []
    assert [e["kind"] for e in body["events"]] == ["eligibility.assessed", "therapy.opened"]
    assert body["eligibility"]["eligible"] is True and body["eligibility"]["signature"]["meaning"] == "approved"
    page = client.get(f"/therapies/{coi}/report", headers=HTML).text
    assert "No collection recorded." in page and "No infusion recorded." in page
    printout = client.get(f"/therapies/{coi}/report.pdf", headers=HTML)
    assert printout.status_code == 200 and "No lot recorded." in _pdf_text(printout.content)


@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_therapy_is_not_found_and_a_malformed_coi_is_refused(path: str, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    headers = HTML if not path.startswith("/api") else {}
    missing = client.get(path.format(coi=UNKNOWN_COI), headers=headers)
    assert missing.status_code == 404
    if path.startswith("/api"):
        assert missing.json()["error"] == "not_found"
    else:
        assert f"no therapy with COI identifier {UNKNOWN_COI}" in missing.text
    for malformed in ("CHO000026000001", "chw000026000001", "CHW00002600000", "W000026000001", "CHW000026000001X"):
        assert client.get(path.format(coi=malformed), headers=headers).status_code == 422


@pytest.mark.parametrize("path", PATHS)
def test_the_report_needs_a_signed_in_user(path: str, client: TestClient) -> None:
    url = path.format(coi=UNKNOWN_COI)
    if path.startswith("/api"):
        assert client.get(url).status_code == 401
    else:
        redirect = client.get(url, headers=HTML, follow_redirects=False)
        assert redirect.status_code == 303 and redirect.headers["location"].startswith("/login")
