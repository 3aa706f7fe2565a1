"""The certificate of analysis: the lot's identity without the patient's, every result with its limit, and QA's
signed decision with printed name, date and time and meaning; a release pending sterility is marked so."""

from __future__ import annotations

import io
from datetime import datetime

from conftest import api_client
from fastapi import FastAPI
from pypdf import PdfReader

from batchtrack.batch_record import formatting as fmt
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.i18n import limit_text
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, make_user
from release_builders import co_sign, enter_result, ready_lot


def _squeezed(value: str) -> str:
    """Text without whitespace: table cells wrap where the page is narrow."""
    return "".join(value.split())


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_no_certificate_is_issued_before_qa_decides(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = ready_lot(database, settings)
    client = api_client(app, lot.analyst)
    for url in (f"/api/v1/lots/{lot.din}/certificate", f"/api/v1/lots/{lot.din}/certificate.pdf"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["error"] == "certificate.not_issued"
    page = client.get(f"/lots/{lot.din}/certificate", headers={"accept": "text/html"})
    assert page.status_code == 200 and "no QA decision yet" in page.text


def test_the_certificate_pdf_shows_each_result_and_limit_and_the_release_signature(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    released = api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials)
    assert released.status_code == 200, released.text
    signature = released.json()["signature"]

    reader = api_client(app, make_user(database, Role.COURIER))
    cert = reader.get(f"/api/v1/lots/{lot.din}/certificate")
    assert cert.status_code == 200, cert.text
    body = cert.json()
    assert body["din"] == lot.din and body["therapy_coi"] == lot.coi and body["subject_code"] == lot.subject
    assert body["specification_code"] == "MSC-FP" and body["specification_version"] == 1
    assert len(body["tests"]) == 17 and all(t["conforms"] and t["status"] == "final" for t in body["tests"])
    assert body["decision"]["signature"]["intact"] is True

    response = reader.get(f"/api/v1/lots/{lot.din}/certificate.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = _squeezed(_pdf_text(response.content))
    assert _squeezed(f"{body['din_eye_readable']} ({lot.din}, check character {body['din_check']})") in text
    assert _squeezed(f"{lot.coi} {body['therapy_coi_check']}") in text and lot.subject in text
    for test in body["tests"]:
        for part in (test["title"], test["method"], limit_text.readable(test["limit"]), test["result"],
                     test["analyst"]):
            assert _squeezed(part) in text, part
    assert _squeezed("Viability") in text and _squeezed("\u2265 70%") in text and _squeezed("90.0%") in text
    assert _squeezed(f"Signed by {signature['printed_name']}") in text
    assert _squeezed("Meaning released") in text
    signed_at = datetime.fromisoformat(signature["signed_at"])
    assert _squeezed(f"Date and time {fmt.utc(signed_at)}") in text
    for secret in (PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN):
        assert secret not in text and secret not in cert.text


def test_a_release_pending_sterility_is_marked_with_both_co_signatures(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("sterility",))
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    co_sign(database, lot.din, lot.director, "medical_director")
    co_sign(database, lot.din, lot.physician, "treating_physician")
    released = api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/release",
                                            json={**lot.qa.credentials, "pending_sterility": True})
    assert released.status_code == 200, released.text
    # The final sterility result arrives after the release: the certificate shows it, marked as later.
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth")
    client = api_client(app, lot.qa)
    body = client.get(f"/api/v1/lots/{lot.din}/certificate").json()
    sterility = next(t for t in body["tests"] if t["code"] == "sterility")
    assert sterility["status"] == "final" and sterility["after_decision"] is True
    assert body["decision"]["signature"]["intact"] is True  # the results it was signed over are unchanged
    assert [c["role"] for c in body["co_signatures"]] == ["medical_director", "treating_physician"]

    text = _squeezed(_pdf_text(client.get(f"/api/v1/lots/{lot.din}/certificate.pdf").content))
    assert _squeezed("RELEASED PENDING STERILITY") in text
    assert _squeezed("Co-signatures of the release pending sterility") in text
    for user in (lot.director, lot.physician):
        assert _squeezed(f"{user.principal.full_name}, approved") in text
    assert _squeezed("final (entered after the decision)") in text

    page = client.get(f"/lots/{lot.din}/certificate", headers={"accept": "text/html"}).text
    assert 'id="pending-banner"' in page and 'id="certificate-pdf-link"' in page
    assert lot.director.principal.full_name in page and lot.physician.principal.full_name in page
    assert "style=" not in page and "<script" not in page
