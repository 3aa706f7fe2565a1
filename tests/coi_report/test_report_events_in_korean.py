"""The chain-of-identity report's events and what each signature attests are messages: a Korean reader reads them in
Korean on the page and in the printout, while the API and the FHIR export keep the English."""

from __future__ import annotations

from collections.abc import Callable

from document_builders import folded
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle
from coi_report_builders import infused_therapy

KOREAN = {"accept-language": "ko"}


def test_the_events_and_what_signatures_attest_read_in_korean_and_the_api_keeps_english(
    database: Database, settings: Settings, as_role: Callable[..., tuple[TestClient, UserHandle]]
) -> None:
    chain = infused_therapy(database, settings)
    client, _ = as_role(Role.QA)
    body = client.get(f"/api/v1/therapies/{chain.coi}/report", headers=KOREAN).json()
    titles = {event["title"] for event in body["events"]}
    assert {"Therapy opened", "Isolation and P0 seeding: started", "Infusion ended"} <= titles
    attests = {s["signed_for"] for s in body["signatures"]}
    assert any(text.endswith(": Isolation and P0 seeding, performed") for text in attests), attests

    page = client.get(f"/therapies/{chain.coi}/report", headers={**KOREAN, "accept": "text/html"}).text
    assert "치료 개시" in page and "분리 및 P0 접종: 시작" in page and "투여 종료" in page
    assert "Therapy opened" not in page and "Isolation and P0 seeding: started" not in page
    assert "분리 및 P0 접종, 수행" in page

    printout = folded(client.get(f"/api/v1/therapies/{chain.coi}/report.pdf", headers=KOREAN).content)
    assert "치료개시" in printout and "분리및P0접종:시작" in printout and "분리및P0접종,수행" in printout
    assert "Therapyopened" not in printout


def test_the_batch_record_says_in_korean_what_each_signature_attests(
    database: Database, settings: Settings, as_role: Callable[..., tuple[TestClient, UserHandle]]
) -> None:
    chain = infused_therapy(database, settings)
    client, _ = as_role(Role.QA)
    english = client.get(f"/api/v1/lots/{chain.din}/batch-record").json()
    attests = {s["signed_for"] for step in english["steps"] for s in (step["performed_signature"],) if s}
    assert "Isolation and P0 seeding: performed" in attests
    printout = folded(client.get(f"/api/v1/lots/{chain.din}/batch-record.pdf", headers=KOREAN).content)
    assert "분리및P0접종:수행" in printout and "IsolationandP0seeding:performed" not in printout
